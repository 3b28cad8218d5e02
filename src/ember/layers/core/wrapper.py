"""Wrapper (the base class of layers that wrap another layer) and Identity."""

import copy

from ember import dtype_policies, registry
from ember.layers.layer import Layer
from ember.layers.node import KerasTensor, map_structure


class Wrapper(Layer):
    """Base class for a layer that wraps another: ``self.layer``, built by ``build`` for the
    wrapper's input shape when it is not built yet (its new weights get paths under the
    wrapper's name, ``wrapper/dense/kernel``, as Keras's build name scopes give them).

    Subclasses implement ``call``. ``get_config`` holds the wrapped layer, serialized, under
    ``"layer"``, and ``from_config`` rebuilds it first.

    Args:
        layer: a layer instance.

    Raises:
        ValueError: ``layer`` is not a layer instance (Keras's error type).
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer!r} supplied to Wrapper isn't a supported layer type. Please "
                "ensure the wrapped layer is a valid layer instance.")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            before = {id(w) for w in self.layer.weights}
            self.layer._maybe_build(input_shape)
            for w in self.layer.weights:
                if id(w) not in before:
                    w.path = f"{self.name}/{w.path}"
            self.layer.built = True
        self.built = True

    def get_config(self):
        config = super().get_config()
        config["layer"] = registry.serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        layer = registry.deserialize(config.pop("layer"), custom_objects=custom_objects,
                                     kind="layer")
        if "dtype" in config:
            config["dtype"] = dtype_policies.get(config["dtype"])  # keeps a mixed policy
        return cls(layer, **config)


@registry.register("layer")
class Identity(Layer):
    """Returns its input unchanged (any structure of tensors), and its mask."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, *args, **kwargs):
        # the inputs' shapes and dtypes, integer ones included (as Keras)
        return map_structure(lambda t: KerasTensor(t.shape, t.dtype, sparse=t.sparse), inputs)


__all__ = ["Identity", "Wrapper"]
