"""Lion."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("lion",))
class Lion(Optimizer):
    """Lion (evolved sign momentum), as ``keras.optimizers.Lion``::

        w -= lr * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Each step moves every weight by exactly ``lr``, so Lion wants a learning rate 3-10x
    smaller than Adam's.
    """

    _num_scratch = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None,
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
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _slot_groups(self):
        return [(("momentum", 0.0),)]

    def _update_arrays(self, p, g, slots, lr, scratch):
        s, t = scratch
        (m,) = slots
        xp.multiply(m, self.beta_1, out=s)
        xp.multiply(g, 1.0 - self.beta_1, out=t)
        s += t
        xp.sign(s, out=s)
        s *= lr
        p -= s
        m *= self.beta_2
        xp.multiply(g, 1.0 - self.beta_2, out=t)
        m += t

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return config
