"""Symbolic tensors and nodes: how the Functional API records a graph.

``keras.Input`` yields a :class:`KerasTensor` (a shape and a dtype, no data). Calling a layer on
KerasTensors creates a :class:`Node` (the layer, its call arguments, its outputs) and new
KerasTensors whose ``_keras_history`` points back to it. A Functional model replays the nodes in
topological order.
"""

from ember import tree
from ember.utils.naming import unique_name


class KerasTensor:
    """A symbolic tensor, as ``keras.KerasTensor``: a shape (None for unknown dimensions), a
    dtype, a name and the layer call it came from; no data. ``_keras_mask`` is the symbolic mask
    that a masking layer (``Embedding(mask_zero=True)``) attaches, as on eager tensors."""

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, name=None,
                 history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = str(dtype)
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        # Keras names every unnamed symbolic tensor keras_tensor, keras_tensor_1, ...
        self.name = name if name is not None else unique_name("keras_tensor")
        self._keras_history = history  # (layer, node_index, tensor_index)
        self._keras_mask = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged={self.ragged}, name={self.name}>")

    def __hash__(self):
        return id(self)

    def __len__(self):
        raise TypeError("A symbolic KerasTensor has no length; use .shape")

    def __bool__(self):
        # a symbolic tensor has no truth value; `if x:` in a call() is a bug to report early
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool.")

    def __array__(self, *args, **kwargs):
        raise TypeError(
            "A symbolic KerasTensor (an Input or a layer output in the Functional API) has no "
            "value. Build a model with keras.Model(inputs, outputs) and call it on data."
        )


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic :class:`KerasTensor` (as ``keras.utils.is_keras_tensor``)."""
    return isinstance(x, KerasTensor)


class Node:
    """One call of a layer on symbolic inputs."""

    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.input_tensors = [t for t in flatten(call_args) if isinstance(t, KerasTensor)]
        self.input_tensors += [t for t in flatten(list(call_kwargs.values()))
                               if isinstance(t, KerasTensor)]
        self.output_tensors = [t for t in flatten(outputs) if isinstance(t, KerasTensor)]

    @property
    def parent_nodes(self):
        out = []
        for t in self.input_tensors:
            layer, index, _ = t._keras_history
            out.append(layer._inbound_nodes[index])
        return out


def flatten(structure):
    """The leaves of ``structure`` in Keras's order (``keras.tree.flatten``: dict keys sorted)."""
    if not isinstance(structure, (list, tuple, dict)):
        return [structure]  # the common case (one tensor), kept short
    return tree.flatten(structure)


def map_structure(fn, structure):
    """``fn`` applied to each leaf, in ``structure``'s shape (``keras.tree.map_structure``)."""
    if not isinstance(structure, (list, tuple, dict)):
        return fn(structure)
    return tree.map_structure(fn, structure)


def is_symbolic(structure):
    return any(isinstance(t, KerasTensor) for t in flatten(structure))
