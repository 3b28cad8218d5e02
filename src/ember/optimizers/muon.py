"""Muon."""

import math
import re

from ember.autodiff.tensor import data_of
from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("muon",))
class Muon(Optimizer):
    """Muon (momentum orthogonalized by Newton-Schulz), as ``keras.optimizers.Muon``.

    2-D variables (dense kernels) take Muon steps: momentum, then the update is replaced by an
    approximately orthogonal matrix with the same singular vectors (``ns_steps`` quintic
    Newton-Schulz iterations with coefficients ``muon_a, muon_b, muon_c``), scaled by
    ``sqrt(max(rows, cols)) * rms_rate``::

        m += g + (momentum - 1) * m
        w -= lr * NS(g + momentum * m if nesterov else m) * sqrt(max(rows, cols)) * rms_rate

    Other variables (biases, embeddings when ``exclude_embeddings``, and those whose path
    matches one of the ``exclude_layers`` regexes) take AdamW steps with learning rate
    ``lr * adam_lr_ratio`` and weight decay ``adam_weight_decay``. Slots: ``momentum`` for every
    variable, then ``velocity`` for the AdamW ones.
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        """True for the variables that take AdamW steps rather than Muon steps."""
        if len(variable.shape) != 2:
            return True
        path = variable.path or variable.name
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def build(self, variables):
        """Create ``momentum`` for every variable and ``velocity`` for the AdamW ones."""
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = [], []
        for var in self._trainable_variables:
            self._momentums.append(self.add_variable_from_reference(var, "momentum"))
            self._velocities.append(self.add_variable_from_reference(var, "velocity")
                                    if self._should_use_adamw(var) else None)

    def _apply_weight_decay(self, variables):
        lr = self._lr_float()
        for v in variables:
            if not self._decay_flags[self._index[id(v)]]:
                continue
            wd = self.adam_weight_decay if self._should_use_adamw(v) else self.weight_decay
            if wd is not None:
                v.data -= v.data * v.data.dtype.type(wd * lr)

    def update_step(self, gradient, variable, learning_rate):
        """One Muon (2-D) or AdamW (other) step on ``variable``."""
        i = self._get_variable_index(variable)
        w = variable.data
        g = data_of(gradient).astype(w.dtype, copy=False)
        lr = float(data_of(learning_rate))
        m = self._momentums[i].data
        v = self._velocities[i]
        if v is not None:
            self._adamw_step(w, g, m, v.data, lr * self.adam_lr_ratio)
            return
        m += g + m * (self.momentum - 1)
        update = self.zeropower_via_newtonschulz5(g + self.momentum * m if self.nesterov else m,
                                                  self.ns_steps)
        update *= lr
        if self.rms_rate is not None:
            update *= math.sqrt(max(w.shape[0], w.shape[1])) * self.rms_rate
        w -= update

    def _adamw_step(self, w, g, m, v, lr):
        t = int(self._iterations.data) + 1
        alpha = lr * math.sqrt(1 - self.adam_beta_2 ** t) / (1 - self.adam_beta_1 ** t)
        m += (g - m) * (1 - self.adam_beta_1)
        v += (g * g - v) * (1 - self.adam_beta_2)
        w -= m * alpha / (xp.sqrt(v) + self.epsilon)

    def zeropower_via_newtonschulz5(self, x, steps):
        """``steps`` quintic Newton-Schulz iterations towards the orthogonal factor ``U V^T``
        of ``x`` (over its last two axes)."""
        x = xp.asarray(data_of(x))
        if x.ndim < 2:
            raise ValueError(
                "Expected gradient or momentum to have at least 2 dimensions. "
                f"Received: shape={x.shape}")
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:  # iterate on the smaller Gram matrix
            x = xp.swapaxes(x, -1, -2)
        x = x / (xp.sqrt(xp.sum(x * x, axis=(-2, -1), keepdims=True)) + x.dtype.type(1e-7))
        for _ in range(steps):
            gram = x @ xp.swapaxes(x, -1, -2)
            x = a * x + (b * gram + c * gram @ gram) @ x
        if tall:
            x = xp.swapaxes(x, -1, -2)
        return xp.ascontiguousarray(x)

    def get_config(self):
        config = super().get_config()
        config.update({
            "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
            "ns_steps": self.ns_steps, "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate,
        })
        return config
