"""StackedRNNCells: several RNN cells run as one, each feeding the next at every step."""

import copy

from ember import dtype_policies, ops, registry
from ember.layers.layer import Layer, _call_signature
from ember.layers.rnn.rnn import build_inside


def _output_dim(cell):
    if getattr(cell, "output_size", None) is not None:
        return cell.output_size
    if isinstance(cell.state_size, (list, tuple)):
        return cell.state_size[0]
    return cell.state_size


@registry.register("layer")
class StackedRNNCells(Layer):
    """A stack of RNN cells that behaves as one cell: at each step the first cell reads the
    step's input, each next cell reads the previous cell's output, and the last cell's output
    is the stack's. ``RNN([cell_a, cell_b])`` wraps its list in one.

    Args:
        cells: a list of cells (each with ``call(inputs, states)`` and ``state_size``).

    ``state_size`` is the list of the cells' state sizes (nested: ``[[u, u], v]`` for an
    LSTMCell then a SimpleRNNCell), and ``call(inputs, states)`` takes and returns the states
    in that nested form, as Keras.

    Raises:
        ValueError: a cell without a ``call`` method or a ``state_size`` attribute.
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(
                    "StackedRNNCells: all cells must have a `call` method. Received a cell "
                    f"without one: {cell!r}")
            if "state_size" not in dir(cell):
                raise ValueError(
                    "StackedRNNCells: all cells must have a `state_size` attribute. Received a "
                    f"cell without one: {cell!r}")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return _output_dim(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn:
                states.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(ops.zeros((batch_size, cell.state_size), dtype=self.compute_dtype))
            else:
                states.append([ops.zeros((batch_size, d), dtype=self.compute_dtype)
                               for d in cell.state_size])
        return states

    def call(self, inputs, states, training=False, **kwargs):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            state_is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if state_is_list else [cell_states]
            if isinstance(cell, Layer) and _call_signature(cell)[0]:
                kwargs["training"] = training
            else:
                kwargs.pop("training", None)
            inputs, cell_states = cell.call(inputs, cell_states, **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            if len(cell_states) == 1 and not state_is_list:
                cell_states = cell_states[0]
            new_states.append(cell_states if not isinstance(cell_states, tuple)
                              else list(cell_states))
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states

    def build(self, input_shape):
        batch = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                build_inside(self, cell, input_shape)
                cell.built = True
            input_shape = (batch, _output_dim(cell))
        self.built = True

    # per-sequence dropout masks for the cells that take them (RNN draws them before the loop)
    def make_dropout_masks(self, batch, features, dtype):
        for cell in self.cells:
            if hasattr(cell, "make_dropout_masks"):
                cell.make_dropout_masks(batch, features, dtype)
            features = _output_dim(cell)
        return None, None

    def reset_dropout_masks(self):
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_masks"):
                cell.reset_dropout_masks()

    def get_config(self):
        cfg = super().get_config()
        cfg["cells"] = [registry.serialize(c) for c in self.cells]
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        cells = [registry.deserialize(c, custom_objects=custom_objects, kind="layer")
                 for c in config.pop("cells")]
        if "dtype" in config:
            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(cells, **config)


__all__ = ["StackedRNNCells"]
