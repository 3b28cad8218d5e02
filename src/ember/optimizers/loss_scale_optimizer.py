"""LossScaleOptimizer: dynamic loss scaling around another optimizer."""

from ember import registry
from ember.autodiff.tensor import data_of
from ember.autodiff.trace import effect
from ember.backend import xp
from ember.optimizers.base_optimizer import Optimizer
from ember.registry import register

# the base optimizer's arguments, which belong on the inner optimizer
_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                  "ema_overwrite_frequency": None, "loss_scale_factor": None,
                  "gradient_accumulation_steps": None}


@register("optimizer")
class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around ``inner_optimizer``, as
    ``keras.optimizers.LossScaleOptimizer`` (and ``keras.mixed_precision``'s).

    ``scale_loss`` multiplies the loss by the current scale (``fit`` does it), so that small
    float16 gradients do not underflow; ``apply`` divides the gradients by it again. When a
    gradient holds an inf or a nan, the step is skipped and the scale halved; after
    ``dynamic_growth_steps`` finite steps in a row, the scale doubles.

    Args:
        inner_optimizer: the ``Optimizer`` that applies the (unscaled) gradients.
        initial_scale: the starting loss scale.
        dynamic_growth_steps: the number of finite steps after which the scale doubles.
        name: the optimizer's name.
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`.")
        for key, default in _BASE_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{key}`. Instead, set `{key}` on the "
                    "`inner_optimizer`.")
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer: `inner_optimizer` must be an Optimizer instance. "
                f"Received: inner_optimizer={inner_optimizer!r}")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None  # the dynamic scale replaces it
        self.step_counter = None
        self.dynamic_scale = None

    def build(self, variables):
        """Create ``step_counter`` and ``dynamic_scale`` and build the inner optimizer."""
        if self.built:
            return
        variables = list(variables)
        self.step_counter = self._own_variable(0, "step_counter", "int64")
        self.dynamic_scale = self._own_variable(self.initial_scale, "dynamic_scale", "float32")
        self.inner_optimizer.build(variables)
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        self.built = True

    @property
    def variables(self):
        """Its own variables (iterations, learning_rate, step_counter, dynamic_scale), then
        the inner optimizer's."""
        return self._variables + self.inner_optimizer.variables

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    def _lr_float(self):
        return self.inner_optimizer._lr_float()

    def scale_loss(self, loss):
        """``loss`` times the current loss scale."""
        scale = self.dynamic_scale if self.built else self.initial_scale
        return loss * scale

    def check_finite(self, grads):
        """True when no gradient holds an inf or a nan (None gradients are ignored)."""
        return all(bool(xp.isfinite(data_of(g)).all()) for g in grads if g is not None)

    @effect
    def apply(self, grads, trainable_variables=None):
        """Unscale ``grads`` and apply them with the inner optimizer, or skip the step and
        halve the scale when one is not finite."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            trainable_variables = self._trainable_variables
        elif not self.built:
            self.build(trainable_variables)
        scale = self.dynamic_scale.data
        if not self.check_finite(grads):
            self.step_counter.data[()] = 0
            scale *= 0.5
            return
        self.inner_optimizer.apply(
            [None if g is None else xp.asarray(data_of(g)) / scale for g in grads],
            trainable_variables)
        if int(self.step_counter.data) == self.dynamic_growth_steps - 1:
            self.step_counter.data[()] = 0
            scale *= 2.0
        else:
            self.step_counter.data[()] += 1

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {"name": self.name, "inner_optimizer": registry.serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner = registry.deserialize(config.pop("inner_optimizer"),
                                     custom_objects=custom_objects, kind="optimizer")
        return cls(inner, **config)
