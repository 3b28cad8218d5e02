"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("sgd",))
class SGD(Optimizer):
    """Gradient descent (with momentum), as ``keras.optimizers.SGD``.

    Without momentum: ``w -= learning_rate * g``. With momentum:
    ``velocity = momentum * velocity - learning_rate * g`` then ``w += velocity``, or with
    ``nesterov=True``: ``w += momentum * velocity - learning_rate * g``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(
                f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    @property
    def _num_scratch(self):
        return 2 if self.nesterov and self.momentum != 0 else 1

    def _slot_groups(self):
        return [(("momentum", 0.0),)] if self.momentum != 0 else []

    def _update_arrays(self, p, g, slots, lr, scratch):
        s = scratch[0]
        xp.multiply(g, lr, out=s)
        if self.momentum == 0:
            p -= s
            return
        (m,) = slots
        m *= self.momentum
        m -= s
        if self.nesterov:
            s2 = scratch[1]
            xp.multiply(m, self.momentum, out=s2)
            s2 -= s
            p += s2
        else:
            p += m

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
