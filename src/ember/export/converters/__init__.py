"""The converter registry: layer class -> function that emits its ONNX nodes.

A converter is ``fn(g, layer, inputs, outputs)``:

* ``g`` — the :class:`~ember.export._graph.GraphBuilder` (``g.op``, ``g.const``, ``g.keras``,
  ``g.channels_first``, ``g.unsupported``...), already prefixed with the layer's name;
* ``layer`` — the ember layer instance (its config attributes and weights);
* ``inputs`` — the :class:`~ember.export._graph.Value` of each tensor the layer is called on;
* ``outputs`` — the layer's output KerasTensors (their ``shape`` and ``dtype``);

and returns one :class:`~ember.export._graph.Value` per output (a single Value for one).

Built-in converters are registered by class *name* (``"Dense"``), so the exporter needs no
import of layer families that are not installed; users register their own classes with
:func:`register_converter`. Lookup walks the layer's class hierarchy, but stops at the first
class that defines its own ``call`` without a converter: a subclass that computes something
else is refused instead of being exported as its parent.
"""

import importlib

_BY_CLASS = {}
_BY_NAME = {}
_HANDLES_MASK = set()
_MODULES = ("core", "activations", "convolutional", "pooling", "normalization", "embedding",
            "merging", "reshaping", "rnn", "preprocessing")
_loaded = False


def register_converter(layer_class, handles_mask=False):
    """Decorator registering ``fn(g, layer, inputs, outputs)`` as the ONNX converter of
    ``layer_class`` (a class, or the name of a built-in ember layer class).

    Args:
        layer_class: the Layer subclass (or built-in class name) the function converts.
        handles_mask: True when the converter reads ``inputs[i].mask`` itself; otherwise a
            masked input to a layer whose ``call`` takes a ``mask`` is refused.

    Example:
        >>> @register_converter(MyScale)
        ... def _(g, layer, inputs, outputs):
        ...     x = inputs[0]
        ...     y = g.op("Mul", [g.keras(x), g.scalar("scale", layer.scale)])
        ...     return Value(y, outputs[0].shape)
    """

    def deco(fn):
        keys = [layer_class] if isinstance(layer_class, (str, type)) else list(layer_class)
        for key in keys:
            (_BY_NAME if isinstance(key, str) else _BY_CLASS)[key] = fn
        if handles_mask:
            _HANDLES_MASK.add(fn)
        return fn

    return deco


def _load():
    global _loaded
    if not _loaded:
        _loaded = True
        for name in _MODULES:
            importlib.import_module(f"{__name__}.{name}")


def find_converter(layer):
    """The converter of ``layer``'s class, or None."""
    _load()
    for cls in type(layer).__mro__:
        fn = _BY_CLASS.get(cls)
        if fn is None and cls.__module__.startswith("ember."):
            fn = _BY_NAME.get(cls.__name__)
        if fn is not None:
            return fn
        if "call" in cls.__dict__:
            return None
    return None


def handles_mask(fn):
    return fn in _HANDLES_MASK


def supported_layers():
    """The names of the built-in layer classes with a converter (sorted)."""
    _load()
    return sorted(_BY_NAME) + sorted(c.__name__ for c in _BY_CLASS)
