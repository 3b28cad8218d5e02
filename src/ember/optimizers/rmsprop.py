"""RMSprop."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("rmsprop",))
class RMSprop(Optimizer):
    """RMSprop, as ``keras.optimizers.RMSprop``::

        v = rho * v + (1 - rho) * g * g
        a = rho * a + (1 - rho) * g                # centered only
        denominator = v - a * a + epsilon          # centered; else v + epsilon
        increment = lr * g / sqrt(denominator)
        mom = momentum * mom + increment           # momentum > 0 only; then w -= mom
        w -= increment
    """

    _num_scratch = 1

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="rm_sprop", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _slot_groups(self):
        # Keras creates all velocities, then all momentums, then all average gradients
        groups = [(("velocity", 0.0),)]
        if self.momentum > 0:
            groups.append((("momentum", 0.0),))
        if self.centered:
            groups.append((("average_gradient", 0.0),))
        return groups

    def _update_arrays(self, p, g, slots, lr, scratch):
        s = scratch[0]
        rho = self.rho
        v = slots[0]
        v *= rho
        xp.multiply(g, g, out=s)
        s *= 1 - rho
        v += s
        if self.centered:
            a = slots[-1]
            a *= rho
            xp.multiply(g, 1 - rho, out=s)
            a += s
            xp.multiply(a, a, out=s)
            xp.subtract(v, s, out=s)
            s += self.epsilon
        else:
            xp.add(v, self.epsilon, out=s)
        xp.sqrt(s, out=s)
        xp.divide(g, s, out=s)
        s *= lr  # the increment lr * g / sqrt(denominator)
        if self.momentum > 0:
            mom = slots[1]
            mom *= self.momentum
            mom += s
            p -= mom
        else:
            p -= s

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
