"""Sequential: a plain stack of layers, each with one input and one output."""

from ember import registry
from ember.autodiff.tensor import bump_structure
from ember.layers.core.input_layer import InputLayer
from ember.layers.layer import Layer
from ember.layers.node import KerasTensor
from ember.models.model import Model


@registry.register("model")
class Sequential(Model):
    """``keras.Sequential([layers...])``: calls its layers one after the other.

    The input shape comes from a ``keras.Input`` added first, from ``input_shape=`` on the first
    layer, or from the first data it sees; then every layer is built and the output shapes are
    known (for ``summary``).
    """

    _keras_module = "keras"

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_from_input()

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer, rebuild=True):
        """Append a layer (or a ``keras.Input`` tensor, which sets the input shape)."""
        if isinstance(layer, KerasTensor):
            owner = layer._keras_history[0] if layer._keras_history else None
            if not isinstance(owner, InputLayer):
                raise ValueError(
                    "Sequential.add: only a keras.Input tensor may be added as a tensor. "
                    f"Received: {layer!r}"
                )
            layer = owner
        if not isinstance(layer, Layer):
            raise TypeError(
                "Sequential.add expects a Layer instance. "
                f"Received: {layer!r} of type {type(layer).__name__}"
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError(
                    f"Sequential '{self.name}': an InputLayer must come first, and only once."
                )
            self._input_layer = layer
        else:
            if any(layer.name == l.name for l in self._stack):
                raise ValueError(
                    f"All layers added to a Sequential model should have unique names. Name "
                    f"'{layer.name}' is already the name of a layer in this model."
                )
            self._stack.append(layer)
            self._layers.append(layer)
            bump_structure()
        self.built = False
        if rebuild:
            self._maybe_build_from_input()

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self._layers.remove(layer)
        bump_structure()
        self.built = False
        self._maybe_build_from_input()
        return layer

    def _maybe_build_from_input(self):
        if self._input_layer is None and self._stack:
            shape = self._stack[0]._batch_input_shape
            if shape is not None:
                self._input_layer = InputLayer(batch_shape=shape)
        if self._input_layer is not None and self._stack:
            self.build(self._input_layer.batch_shape)

    def build(self, input_shape=None):
        """Build every layer for inputs of ``input_shape`` (batch axis included)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential '{self.name}': build() needs an input shape, or an Input first."
                )
            input_shape = self._input_layer.batch_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None or self._input_layer.batch_shape != input_shape:
            self._input_layer = InputLayer(batch_shape=input_shape)
        x = self._input_layer.output
        for layer in self._stack:
            x = layer(x)
        self._output_spec = x
        self._build_shapes = input_shape
        self.built = True

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._stack:
            x = layer(x, training=training)
        return x

    def _maybe_build(self, shapes):
        if not self.built:
            shape = (None,) + tuple(shapes[1:]) if isinstance(shapes, tuple) else shapes
            self.build(shape)

    @property
    def inputs(self):
        return [self._input_layer.output] if self._input_layer is not None else None

    @property
    def outputs(self):
        return [self._output_spec] if self.built else None

    @property
    def input_shape(self):
        """The input shape, batch axis included (AttributeError while it is unknown)."""
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape "
                                 "yet.")
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        """The output shape, batch axis included (AttributeError while it is unknown)."""
        if not self.built:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape "
                                 "yet.")
        return self._output_spec.shape

    @property
    def input_dtype(self):
        """The dtype of the model's input."""
        if self._input_layer is None:
            return self.dtype
        return self._input_layer.dtype

    def compute_output_spec(self, inputs, *args, **kwargs):
        x = inputs
        for layer in self._stack:
            x = layer._symbolic_outputs(x, (), {})
        return x

    def get_build_config(self):
        if self._input_layer is None:
            return None
        return {"input_shape": list(self._input_layer.batch_shape)}

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None:
            self.build(tuple(config["input_shape"]))

    def get_config(self):
        """Keras's Sequential config: the InputLayer first in ``layers``, then each layer."""
        from ember.saving import model_config

        return model_config.sequential_get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.saving import model_config

        return model_config.sequential_from_config(cls, config, custom_objects)
