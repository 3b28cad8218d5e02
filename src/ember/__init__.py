"""ember: a small, fast Keras 3 for CPUs, with its own backpropagation engine on NumPy.

``import ember as keras`` exposes what ``import keras`` does; ``import ember as tf`` gives
``tf.keras``, ``tf.GradientTape`` and ``tf.Variable``. Subpackages load on first use, so that
importing ember stays fast.
"""

import importlib
import types

from ember.autodiff import GradientTape, Tensor, convert_to_tensor
from ember.autodiff.tensor import NamedVariable as Variable

__version__ = "0.1.0"

# name -> module that defines it (a module itself when the value ends with the name)
_LAZY_MODULES = {
    "ops": "ember.ops",
    "layers": "ember.layers",
    "models": "ember.models",
    "optimizers": "ember.optimizers",
    "losses": "ember.losses",
    "metrics": "ember.metrics",
    "callbacks": "ember.callbacks",
    "datasets": "ember.datasets",
    "utils": "ember.utils",
    "initializers": "ember.initializers",
    "regularizers": "ember.regularizers",
    "constraints": "ember.constraints",
    "activations": "ember.activations",
    "saving": "ember.saving",
    "backend": "ember.backend",
    "config": "ember.config",
    "random": "ember.random",
    "export": "ember.export",
    "preprocessing": "ember.preprocessing",
    "tree": "ember.tree",
    "wrappers": "ember.wrappers",
    "dtype_policies": "ember.dtype_policies",
    "mixed_precision": "ember.mixed_precision",
}
_LAZY_NAMES = {
    "Sequential": "ember.models",
    "Model": "ember.models",
    "Input": "ember.layers",
    "Layer": "ember.layers",
    "InputSpec": "ember.layers",
    "KerasTensor": "ember.layers.node",
    "check_gradients": "ember.autodiff.gradcheck",
    "check_second_gradients": "ember.autodiff.gradcheck",
    "set_random_seed": "ember.utils.random",
    "stop_gradient": "ember.ops",
    "clear_session": "ember.utils.naming",
    "DTypePolicy": "ember.dtype_policies",
    "FloatDTypePolicy": "ember.dtype_policies",
    "Function": "ember.models.function",
    "Initializer": "ember.initializers",
    "Loss": "ember.losses",
    "Metric": "ember.metrics",
    "Optimizer": "ember.optimizers",
    "Regularizer": "ember.regularizers",
    "remat": "ember.autodiff.remat",
}


class _Version(types.ModuleType):
    """``keras.version()`` (a function giving ember's version) and ``tf.version`` (a module:
    ``tf.version.VERSION`` ...) are one object here, since ``import ember`` stands for both."""

    def __call__(self):
        return __version__

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(importlib.import_module("ember.tf.version_info"), name)

    def __dir__(self):
        return sorted(n for n in dir(importlib.import_module("ember.tf.version_info"))
                      if not n.startswith("_"))


version = _Version("ember.version", _Version.__doc__)


def __getattr__(name):
    if name == "keras":
        # `import ember as tf; tf.keras.layers` - ember.keras is ember itself
        import ember

        return ember
    if name in _LAZY_MODULES:
        module = importlib.import_module(_LAZY_MODULES[name])
        globals()[name] = module
        return module
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value
        return value
    if name == "tf":
        return importlib.import_module("ember.tf")
    # `import ember as tf`: TensorFlow's names that Keras does not define (tf.constant, ...)
    tf = importlib.import_module("ember.tf")
    if name in tf._MODULES or name in tf._NAMES:
        value = getattr(tf, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember' has no attribute {name!r}")


def __dir__():
    from ember.tf import public_names

    return sorted(set(globals()) | set(_LAZY_MODULES) | set(_LAZY_NAMES) | {"keras", "tf"}
                  | set(public_names()))


__all__ = ["GradientTape", "Tensor", "Variable", "convert_to_tensor", "__version__"]
