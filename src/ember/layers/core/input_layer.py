"""InputLayer and ``keras.Input``: the entry points of a Functional model."""

from ember import registry
from ember.layers.layer import Layer, standardize_dtype
from ember.layers.node import KerasTensor, Node


@registry.register("layer")
class InputLayer(Layer):
    """The layer behind ``keras.Input``: it holds the batch shape and dtype of a model input."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, **kwargs):
        ragged = kwargs.pop("ragged", False)
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        kwargs.pop("trainable", None)
        super().__init__(name=name, dtype=dtype, **kwargs)
        if ragged:
            raise ValueError(f"InputLayer '{self.name}': ragged inputs are not supported.")
        if sparse:
            raise ValueError(f"InputLayer '{self.name}': sparse inputs are not supported.")
        if shape is not None and batch_shape is not None:
            raise ValueError(
                "InputLayer: give `shape` or `batch_shape`, not both. "
                f"Received: shape={shape}, batch_shape={batch_shape}"
            )
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs a `shape` (without the batch axis).")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.sparse = False
        self.optional = optional
        self.built = True
        # "string" (Keras's dtype of text inputs, e.g. FeatureSpace.get_inputs) has no NumPy
        # dtype of that name
        self._dtype = "string" if dtype == "string" else standardize_dtype(dtype)
        output = KerasTensor(self.batch_shape, self._dtype, name=self.name,
                             history=(self, 0, 0))
        self._inbound_nodes.append(Node(self, (), {}, output))
        self.output = output

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self._dtype,
                "sparse": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic model input, as ``keras.Input``: ``Input(shape=(28, 28))``."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, optional=optional)
    return layer.output
