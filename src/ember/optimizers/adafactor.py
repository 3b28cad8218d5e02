"""Adafactor."""

import math

from ember.autodiff.tensor import data_of
from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


def _rms(x):
    return xp.sqrt(xp.mean(xp.square(x)))


@register("optimizer", aliases=("adafactor",))
class Adafactor(Optimizer):
    """Adafactor, as ``keras.optimizers.Adafactor``: Adam-like steps whose second moment is
    factored for variables of rank >= 2 (running means of the squared gradient over the last
    axis, ``r``, and over the second-to-last, ``c``), so its memory is ``O(n + m)`` rather than
    ``O(n * m)`` for an ``(n, m)`` kernel. Per step ``t`` (from 1)::

        rho = min(lr, 1 / sqrt(t));  alpha = max(epsilon_2, rms(w)) * rho
        beta = 1 - t ** beta_2_decay;  g2 = g * g + epsilon_1
        rank >= 2: r = beta * r + (1 - beta) * mean(g2, -1)
                   c = beta * c + (1 - beta) * mean(g2, -2)
                   v = (r / mean(r, -1))[..., None] * c[..., None, :]
        else:      v = beta * v + (1 - beta) * g2
        u = g / sqrt(v);  w -= alpha * u / max(1, rms(u) / clip_threshold)

    The slots of each variable are ``r``, ``c`` (both named after the variable; int32 scalar
    placeholders for variables of rank < 2, as Keras) and ``velocity``.
    ``relative_step`` is kept for config compatibility: as in Keras the step size is always
    capped at ``1 / sqrt(t)``.
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, variables):
        """Create ``r``, ``c`` and ``velocity`` for each variable (Keras's order)."""
        if self.built:
            return
        super().build(variables)
        self._r, self._c, self._v = [], [], []
        for var in self._trainable_variables:
            name = var.name.split(":")[0]  # Keras's name ("kernel"), not TensorFlow's "x:0"
            if var.ndim < 2:
                r = self.add_variable((), dtype="int32", name=name)
                c = self.add_variable((), dtype="int32", name=name)
            else:  # factor the last two axes
                shape = tuple(var.shape)
                r = self.add_variable(shape[:-1], dtype=var.dtype, name=name)
                c = self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype, name=name)
            self._r.append(r)
            self._c.append(c)
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        """One Adafactor step on ``variable``."""
        i = self._get_variable_index(variable)
        w = variable.data
        dtype = w.dtype.type
        g = data_of(gradient).astype(w.dtype, copy=False)
        t = int(self._iterations.data) + 1
        rho = min(float(data_of(learning_rate)), 1.0 / math.sqrt(t))
        alpha = dtype(max(self.epsilon_2, float(_rms(w))) * rho)
        beta = dtype(1.0 - t ** self.beta_2_decay)
        g2 = g * g + dtype(self.epsilon_1)
        v = self._v[i].data
        if w.ndim >= 2:
            r, c = self._r[i].data, self._c[i].data
            r[...] = beta * r + (1 - beta) * xp.mean(g2, axis=-1)
            c[...] = beta * c + (1 - beta) * xp.mean(g2, axis=-2)
            v[...] = (r / xp.mean(r, axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + (1 - beta) * g2
        u = g / xp.sqrt(v)
        u /= max(dtype(1.0), _rms(u) / dtype(self.clip_threshold))
        w -= alpha * u

    def get_config(self):
        config = super().get_config()
        config.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                       "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                       "relative_step": self.relative_step})
        return config
