"""Ftrl."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register

_NON_NEGATIVE = ("initial_accumulator_value", "l1_regularization_strength",
                 "l2_regularization_strength", "l2_shrinkage_regularization_strength")


@register("optimizer", aliases=("ftrl",))
class Ftrl(Optimizer):
    """Follow The Regularized Leader, as ``keras.optimizers.Ftrl``. With ``p = -lr_power``,
    ``l1``, ``l2``, ``l2_shrinkage`` the regularization strengths::

        new_accum = accumulator + g * g
        linear += g + 2 * l2_shrinkage * w - (new_accum ** p - accumulator ** p) / lr * w
        quadratic = new_accum ** p / lr + 2 * (l2 + beta / (2 * lr))
        w = (clip(linear, -l1, l1) - linear) / quadratic
        accumulator = new_accum
    """

    _num_scratch = 3

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
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
        values = {"initial_accumulator_value": initial_accumulator_value,
                  "l1_regularization_strength": l1_regularization_strength,
                  "l2_regularization_strength": l2_regularization_strength,
                  "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength}
        for key in _NON_NEGATIVE:
            if values[key] < 0.0:
                raise ValueError(
                    f"`{key}` needs to be positive or zero. Received: {key}={values[key]}.")
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _slot_groups(self):
        return [(("accumulator", self.initial_accumulator_value), ("linear", 0.0))]

    def _update_arrays(self, p, g, slots, lr, scratch):
        a, b, c = scratch
        acc, linear = slots
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrinkage = self.l2_shrinkage_regularization_strength
        xp.power(acc, power, out=c)
        xp.multiply(g, g, out=a)
        acc += a  # the new accumulator from here on
        xp.power(acc, power, out=b)
        xp.subtract(b, c, out=c)
        c /= lr
        c *= p
        if shrinkage:
            xp.multiply(p, 2 * shrinkage, out=a)
            a += g
        else:
            xp.copyto(a, g)
        a -= c
        linear += a
        b /= lr
        b += 2 * l2  # quadratic
        xp.clip(linear, -l1, l1, out=a)
        a -= linear
        xp.divide(a, b, out=p)

    def get_config(self):
        config = super().get_config()
        config.update({
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        })
        return config
