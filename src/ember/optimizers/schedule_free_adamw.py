"""ScheduleFreeAdamW."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("schedulefreeadamw",))
class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW, as ``keras.optimizers.ScheduleFreeAdamW``: the iterate ``z`` (the
    ``momentum`` slot, starting at the weights) takes Adam-style steps, ``x`` is the running
    average of the ``z``s, and the weights hold ``y``, an interpolation of the two, so that no
    learning-rate schedule is needed. Per step ``t`` (from 1), with ``lr`` ramped linearly over
    ``warmup_steps``::

        v += (g * g - v) * (1 - beta_2)
        z_new = z - lr * g / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        x = (w - (1 - beta_1) * z) / beta_1                # recovered from the weights
        x = (1 - 1 / t) * x + z_new / t
        w = (1 - beta_1) * z_new + beta_1 * x
    """

    _num_scratch = 3

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, weight_decay=None, clipnorm=None, clipvalue=None,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def _slot_groups(self):
        return [(("momentum", 0.0), ("velocity", 0.0))]

    def build(self, variables):
        """Create the slots; ``momentum`` (the iterate ``z``) starts at the weights."""
        if self.built:
            return
        super().build(variables)
        for v, slots in zip(self._trainable_variables, self._slot_arrays):
            xp.copyto(slots[0], v.data)

    def _coefficients(self, step, lr):
        if self.warmup_steps > 0:
            lr *= min(step / self.warmup_steps, 1.0)
        return lr, 1 - self.beta_2 ** step, 1.0 / step

    def _update_arrays(self, p, g, slots, coef, scratch):
        lr, correction_2, weight = coef
        b1 = self.beta_1
        a, b, c = scratch
        z, v = slots
        xp.multiply(z, 1 - b1, out=a)  # from the old z
        xp.multiply(g, g, out=b)
        b -= v
        b *= 1 - self.beta_2
        v += b
        xp.divide(v, correction_2, out=b)
        xp.sqrt(b, out=b)
        b += self.epsilon
        xp.multiply(g, lr, out=c)
        c /= b
        z -= c
        xp.subtract(p, a, out=a)
        a /= b1  # x_old
        a *= 1 - weight
        xp.multiply(z, weight, out=b)
        a += b  # x_new
        a *= b1
        xp.multiply(z, 1 - b1, out=b)
        xp.add(b, a, out=p)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "warmup_steps": self.warmup_steps})
        return config
