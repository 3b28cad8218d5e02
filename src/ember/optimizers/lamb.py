"""Lamb."""

import math

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer")
class Lamb(Optimizer):
    """Lamb (layer-wise adaptive moments), as ``keras.optimizers.Lamb``: Adam's direction,
    rescaled for each variable by the trust ratio ``||w|| / ||update||`` (1 when either norm
    is zero)::

        m += (g - m) * (1 - beta_1);  v += (g * g - v) * (1 - beta_2)
        update = m / (1 - beta_1 ** t) / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        w -= ratio * lr * update
    """

    _num_scratch = 2
    _per_variable_rule = True  # the trust ratio is a norm of each variable

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs):
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

    def _slot_groups(self):
        return [(("momentum", 0.0), ("velocity", 0.0))]

    def _coefficients(self, step, lr):
        return lr, 1 - self.beta_1 ** step, 1 - self.beta_2 ** step

    def _update_arrays(self, p, g, slots, coef, scratch):
        lr, correction_1, correction_2 = coef
        s, u = scratch
        m, v = slots
        xp.subtract(g, m, out=s)
        s *= 1 - self.beta_1
        m += s
        xp.multiply(g, g, out=s)
        s -= v
        s *= 1 - self.beta_2
        v += s
        xp.divide(v, correction_2, out=s)
        xp.sqrt(s, out=s)
        s += self.epsilon
        xp.divide(m, correction_1, out=u)
        u /= s  # the update
        flat_p, flat_u = p.reshape(-1), u.reshape(-1)
        w_norm = math.sqrt(float(xp.dot(flat_p, flat_p)))
        u_norm = math.sqrt(float(xp.dot(flat_u, flat_u)))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        u *= ratio * lr
        p -= u

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
