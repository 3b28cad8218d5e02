"""Adam and AdamW."""

import math

from ember.backend import kernels, xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("adam",))
class Adam(Optimizer):
    """Adam, as ``keras.optimizers.Adam``.

    Per step ``t`` (from 1)::

        m += (g - m) * (1 - beta_1)
        v += (g * g - v) * (1 - beta_2)
        v_hat = maximum(v_hat, v)                  # amsgrad only; then v_hat replaces v
        alpha = lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w -= m / (sqrt(v) + epsilon) * alpha
    """

    _num_scratch = 1

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def _slot_groups(self):
        groups = [(("momentum", 0.0), ("velocity", 0.0))]
        if self.amsgrad:
            groups.append((("velocity_hat", 0.0),))
        return groups

    def _coefficients(self, step, lr):
        return lr * math.sqrt(1 - self.beta_2 ** step) / (1 - self.beta_1 ** step)

    def _kernel(self):
        return None if self.amsgrad else kernels.get("adam")

    def _kernel_scalars(self, alpha):
        return 1 - self.beta_1, 1 - self.beta_2, self.epsilon, alpha

    def _update_arrays(self, p, g, slots, alpha, scratch):
        # the same float32 operations, in the same order, as kernels.adam
        s = scratch[0]  # one scratch buffer: less memory traffic than two
        m, v = slots[0], slots[1]
        xp.subtract(g, m, out=s)
        s *= 1 - self.beta_1
        m += s
        xp.multiply(g, g, out=s)
        s -= v
        s *= 1 - self.beta_2
        v += s
        if self.amsgrad:
            v_hat = slots[2]
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        xp.sqrt(v, out=s)
        s += self.epsilon
        xp.divide(m, s, out=s)
        s *= alpha
        p -= s

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config


@register("optimizer", aliases=("adamw",))
class AdamW(Adam):
    """Adam with decoupled weight decay, as ``keras.optimizers.AdamW``: each step first
    ``w -= w * weight_decay * lr``, then the Adam update."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="adam_w", **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        if self.weight_decay is None:
            raise ValueError(
                "Argument `weight_decay` must be a float. Received: weight_decay=None")
