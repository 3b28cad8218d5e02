"""Adamax."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("adamax",))
class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), as ``keras.optimizers.Adamax``::

        m += (g - m) * (1 - beta_1)
        u = maximum(beta_2 * u, abs(g))
        w -= lr * m / ((1 - beta_1 ** t) * (u + epsilon))
    """

    _num_scratch = 1

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="adamax",
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
        return [(("momentum", 0.0), ("norm", 0.0))]

    def _coefficients(self, step, lr):
        return lr, 1 - self.beta_1 ** step

    def _update_arrays(self, p, g, slots, coef, scratch):
        lr, correction = coef
        s = scratch[0]
        m, u = slots
        xp.subtract(g, m, out=s)
        s *= 1 - self.beta_1
        m += s
        u *= self.beta_2
        xp.abs(g, out=s)
        xp.maximum(u, s, out=u)
        xp.add(u, self.epsilon, out=s)
        s *= correction
        xp.divide(m, s, out=s)
        s *= lr
        p -= s

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
