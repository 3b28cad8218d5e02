"""Optimizers, as ``keras.optimizers``.

All trainable variables (when they share one float dtype) live in one flat buffer and each
optimizer slot in another, so an update is a handful of in-place NumPy calls whatever the
number of layers; see :mod:`ember.optimizers.base_optimizer`.
"""

from ember import registry
from ember.optimizers import schedules
from ember.optimizers.adadelta import Adadelta
from ember.optimizers.adafactor import Adafactor
from ember.optimizers.adagrad import Adagrad
from ember.optimizers.adam import Adam, AdamW
from ember.optimizers.adamax import Adamax
from ember.optimizers.base_optimizer import Optimizer
from ember.optimizers.ftrl import Ftrl
from ember.optimizers.lamb import Lamb
from ember.optimizers.lion import Lion
from ember.optimizers.loss_scale_optimizer import LossScaleOptimizer
from ember.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from ember.optimizers.muon import Muon
from ember.optimizers.nadam import Nadam
from ember.optimizers.rmsprop import RMSprop
from ember.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from ember.optimizers.sgd import SGD


def serialize(optimizer):
    """Keras's envelope ``{"module", "class_name", "config", "registered_name"}``."""
    return registry.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from its envelope (or a name such as ``'adam'``)."""
    return registry.deserialize(config, custom_objects=custom_objects, kind="optimizer")


def get(identifier):
    """An optimizer for a name (``'adam'``, ``'SGD'``), a config dict, a class or an instance.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or another value.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, (str, dict)) or (
            isinstance(identifier, type) and issubclass(identifier, Optimizer)):
        return registry.get("optimizer", identifier)
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected a name such as "
        "'adam', a config dict or an Optimizer.")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Nadam",
           "Adadelta", "Adafactor", "Ftrl", "Lamb", "Lion", "Muon", "ScheduleFreeAdamW",
           "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap", "schedules", "get",
           "serialize", "deserialize"]
