"""TimeDistributed: applies a layer to every time step of a sequence."""

import copy

from ember import dtype_policies, ops, registry
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.layers.layer import Layer, _call_signature
from ember.layers.node import KerasTensor, map_structure
from ember.layers.rnn.rnn import build_inside
from ember.ops._helpers import raw


def _shape_str(shape):
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


@registry.register("layer")
class TimeDistributed(Layer):
    """Applies ``layer`` to every step of the time axis (axis 1), as Keras 3.

    The steps are folded into the batch: ``(batch, time, ...)`` becomes
    ``(batch * time, ...)``, the wrapped layer runs once on it, and the result is unfolded to
    ``(batch, time, ...)``. The same weights serve every step; they belong to the wrapped layer
    (saved at ``<time_distributed>/layer``, as Keras does).

    Args:
        layer: a layer instance, built for inputs of shape ``(batch, ...)``.

    Call arguments:
        inputs: a tensor of rank >= 3, ``(batch, time, ...)``.
        training: passed to the wrapped layer.
        mask: optional ``(batch, time, ...)`` mask. A ``(batch, time)`` mask is the output's
            mask, unchanged (as Keras). A mask with axes beyond ``time`` (say ``(batch, time,
            steps)``) is folded too and given to a wrapped layer whose ``call`` takes a mask;
            the output's mask is then the wrapped layer's, unfolded, or ``(batch, time)``.

    Raises:
        ValueError: for a ``layer`` that is not a layer instance; at call time, for an input of
            rank < 3 or a mask whose batch and time do not match the input's.

    Input shape: ``(batch, time, ...)``. Output shape: ``(batch, time) + layer's output shape
    without its batch axis``.

    Example:
        >>> TimeDistributed(Dense(8))(np.zeros((32, 10, 16))).shape   # (32, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "TimeDistributed: `layer` must be a layer instance, such as Dense(8). "
                f"Received: layer={layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _step_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' expects inputs of rank >= 3 (batch, time, ...). "
                f"Received input of shape {_shape_str(shape)}")
        batch, steps = shape[0], shape[1]
        folded = None if batch is None or steps is None else batch * steps
        return (folded,) + shape[2:]

    def build(self, input_shape):
        step_shape = self._step_shape(input_shape)
        if not self.layer.built:
            build_inside(self, self.layer, step_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        spec = self.layer.compute_output_spec(
            KerasTensor(self._step_shape(input_shape), self.layer.compute_dtype))
        return map_structure(lambda t: (batch, steps) + tuple(t.shape[1:]), spec)

    def _fold_mask(self, mask, shape):
        m = xp.asarray(raw(mask))
        if m.ndim < 2 or m.shape[:2] != tuple(shape[:2]):
            raise ValueError(
                f"TimeDistributed '{self.name}': the mask must start with the input's batch and "
                f"time axes {_shape_str(shape[:2])}. Received input of shape "
                f"{_shape_str(shape)} and mask of shape {_shape_str(m.shape)}")
        if m.ndim == 2:
            return None  # one flag per step: the output's mask, nothing for the inner layer
        return m.reshape((shape[0] * shape[1],) + m.shape[2:])

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        batch, steps = shape[0], shape[1]
        self._step_shape(shape)
        kwargs = {"training": training}
        if mask is not None:
            step_mask = self._fold_mask(mask, shape)
            if step_mask is not None and _call_signature(self.layer)[1]:
                kwargs["mask"] = step_mask
        folded = ops.reshape(inputs, (batch * steps,) + shape[2:])
        outputs = self.layer(folded, **kwargs)

        def unfold(y):
            if not isinstance(y, Tensor):
                return y
            if y.shape[0] != batch * steps:
                raise ValueError(
                    f"TimeDistributed '{self.name}': the wrapped {type(self.layer).__name__} "
                    f"'{self.layer.name}' changed the folded batch axis {batch * steps} "
                    f"(batch {batch} x time {steps}) to {y.shape[0]}; it must keep the batch.")
            return ops.reshape(y, (batch, steps) + tuple(y.shape[1:]))

        return map_structure(unfold, outputs)

    def compute_mask(self, inputs, mask=None):
        """A ``(batch, time)`` mask passes through unchanged. A mask with more axes is folded
        and given to the wrapped layer's ``compute_mask``; its answer is unfolded, or, when it
        has none, the mask is reduced to ``(batch, time)`` (a step is kept if any of it is)."""
        if mask is None:
            return None
        m = xp.asarray(raw(mask))
        if m.ndim <= 2:
            return mask
        shape = tuple(inputs.shape)
        batch, steps = shape[0], shape[1]
        x = Tensor(xp.reshape(raw(inputs), (batch * steps,) + shape[2:]))
        inner = self.layer.compute_mask(x, self._fold_mask(m, shape))
        if isinstance(inner, (list, tuple)) or inner is None:
            return xp.any(m.reshape(batch, steps, -1), axis=-1)
        inner = xp.asarray(raw(inner))
        return inner.reshape((batch, steps) + inner.shape[1:])

    def get_config(self):
        config = super().get_config()
        config["layer"] = registry.serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = registry.deserialize(config["layer"], custom_objects=custom_objects,
                                               kind="layer")
        if "dtype" in config:
            config["dtype"] = dtype_policies.get(config["dtype"])  # keeps a mixed policy
        return cls(**config)


__all__ = ["TimeDistributed"]
