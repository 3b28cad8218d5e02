"""Adadelta."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("adadelta",))
class Adadelta(Optimizer):
    """Adadelta, as ``keras.optimizers.Adadelta``::

        accumulated_grad = rho * accumulated_grad + (1 - rho) * g * g
        delta = -sqrt(accumulated_delta_var + epsilon) * g / sqrt(accumulated_grad + epsilon)
        accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta * delta
        w += lr * delta
    """

    _num_scratch = 2

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _slot_groups(self):
        return [(("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0))]

    def _update_arrays(self, p, g, slots, lr, scratch):
        s, t = scratch
        acc_g, acc_d = slots
        rho = self.rho
        acc_g *= rho
        xp.multiply(g, g, out=s)
        s *= 1 - rho
        acc_g += s
        xp.add(acc_d, self.epsilon, out=s)
        xp.sqrt(s, out=s)
        s *= g
        xp.add(acc_g, self.epsilon, out=t)
        xp.sqrt(t, out=t)
        s /= t  # s = -delta
        acc_d *= rho
        xp.multiply(s, s, out=t)
        t *= 1 - rho
        acc_d += t
        s *= lr
        p -= s

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
