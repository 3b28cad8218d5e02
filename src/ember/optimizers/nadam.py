"""Nadam."""

from ember.autodiff.tensor import Variable
from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register


@register("optimizer", aliases=("nadam",))
class Nadam(Optimizer):
    """Nadam (Adam with Nesterov momentum), as ``keras.optimizers.Nadam``. With
    ``u_t = beta_1 * (1 - 0.5 * 0.96 ** t)`` and ``u_product`` the running product of the
    ``u_t`` (a Variable saved after the slots, as Keras)::

        m += (g - m) * (1 - beta_1);  v += (g * g - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        w -= lr * m_hat / (sqrt(v_hat) + epsilon)
    """

    _num_scratch = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name="nadam",
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
        self._u_product = None

    def _slot_groups(self):
        return [(("momentum", 0.0), ("velocity", 0.0))]

    def _extra_variables(self, dtype):
        self._u_product = Variable(1.0, dtype=dtype, trainable=False, name="u_product")
        self._u_product.path = f"{self.name}/u_product"
        return [self._u_product]

    def _u(self, step):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** step)

    def _advance(self, step):
        u = self._u_product.data
        u *= self._u(step)

    def _coefficients(self, step, lr):
        u_t, u_t1 = self._u(step), self._u(step + 1)
        u_product = float(self._u_product.data)
        return (lr, u_t1 / (1 - u_product * u_t1), (1 - u_t) / (1 - u_product),
                1 / (1 - self.beta_2 ** step))

    def _update_arrays(self, p, g, slots, coef, scratch):
        lr, c_m, c_g, c_v = coef
        s, s2 = scratch[0], scratch[1]
        m, v = slots
        xp.subtract(g, m, out=s)
        s *= 1 - self.beta_1
        m += s
        xp.multiply(g, g, out=s)
        s -= v
        s *= 1 - self.beta_2
        v += s
        xp.multiply(m, c_m, out=s)
        xp.multiply(g, c_g, out=s2)
        s += s2
        xp.multiply(v, c_v, out=s2)
        xp.sqrt(s2, out=s2)
        s2 += self.epsilon
        s *= lr
        xp.divide(s, s2, out=s)
        p -= s

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
