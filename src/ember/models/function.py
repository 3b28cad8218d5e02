"""``keras.Function``: a callable graph from ``keras.Input`` tensors to outputs, without the
training machinery of a Model."""

from ember.layers.node import KerasTensor, map_structure
from ember.utils.naming import auto_name


class Function:
    """The computation from ``inputs`` to ``outputs`` (symbolic tensors of the Functional API),
    callable on data.

    Args:
        inputs: a ``keras.Input`` tensor, or a list or dict of them.
        outputs: a symbolic tensor computed from ``inputs``, or a list or dict of them.
        name: defaults to ``function``, ``function_1``, ...

    Example::

        x = keras.Input((3,))
        f = keras.Function(x, keras.layers.Dense(2)(x))
        y = f(np.ones((4, 3), "float32"))  # shape (4, 2)

    ember's graphs are made of layer calls (ember's ``ops`` run eagerly, not on symbolic
    tensors), so ``operations`` lists layers.
    """

    def __init__(self, inputs, outputs, name=None):
        from ember.models.functional import Functional

        self.name = name or auto_name("Function")
        # the Functional model checks the graph (inputs are Inputs, outputs connected) and
        # knows how to replay it
        self._graph = Functional(inputs, outputs, name=self.name)

    @property
    def inputs(self):
        return list(self._graph.inputs)

    @property
    def outputs(self):
        return list(self._graph.outputs)

    @property
    def operations(self):
        """The layers of the graph, in the order they run (``InputLayer`` s first)."""
        return self._graph.layers

    def __call__(self, inputs):
        return self.call(inputs)

    def call(self, inputs):
        """The outputs for ``inputs`` (arrays or tensors, structured as the graph's inputs)."""
        return self._graph(inputs)

    def compute_output_spec(self, inputs):
        """The outputs as ``KerasTensor`` s (shape and dtype) for symbolic ``inputs``."""
        return self._graph.compute_output_spec(inputs)

    def compute_output_shape(self, input_shape):
        """The output shape(s) for ``input_shape`` (a shape, or a list or dict of shapes)."""
        return map_structure(lambda t: t.shape, self.compute_output_spec(_specs(input_shape)))

    def __repr__(self):
        return f"<Function name={self.name}>"


def _specs(shapes):
    """KerasTensors for a shape, or for a list or dict of shapes."""
    if isinstance(shapes, dict):
        return {k: _specs(v) for k, v in shapes.items()}
    if all(d is None or isinstance(d, int) for d in shapes):
        return KerasTensor(shapes)
    return [_specs(s) for s in shapes]
