"""Adagrad."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("adagrad",))
class Adagrad(Optimizer):
    """Adagrad, as ``keras.optimizers.Adagrad``::

        accumulator += g * g                      # starts at initial_accumulator_value
        w -= lr * g / sqrt(accumulator + epsilon)
    """

    _num_scratch = 1

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
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
        if initial_accumulator_value < 0:
            raise ValueError(
                "`initial_accumulator_value` must be non-negative. Received: "
                f"initial_accumulator_value={initial_accumulator_value}")
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _slot_groups(self):
        return [(("accumulator", self.initial_accumulator_value),)]

    def _update_arrays(self, p, g, slots, lr, scratch):
        s = scratch[0]
        (acc,) = slots
        xp.multiply(g, g, out=s)
        acc += s
        xp.add(acc, self.epsilon, out=s)
        xp.sqrt(s, out=s)
        xp.divide(g, s, out=s)
        s *= lr
        p -= s

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config
