"""Activation layers: ReLU, LeakyReLU, ELU, Softmax and PReLU, as Keras 3.

Each is the activation function of :mod:`ember.activations` (or a composition of
:mod:`ember.ops`) as a layer, with Keras's arguments and configs. All of them keep the input's
shape and pass an input mask through. ``Softmax`` also takes a mask in ``call``: masked
positions get a large negative logit (so they get no probability) and a zero output. PReLU
learns its slope ``alpha``, one per input element unless axes are shared.
"""

import numbers
import warnings

from ember import activations as activation_fns
from ember import ops, registry
from ember.backend import xp
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops._helpers import raw


def _number(value, layer, arg, allow_none=False):
    """``value`` checked to be a real number >= 0 (or None when allowed), else an error naming
    the layer and the argument."""
    if value is None and allow_none:
        return None
    if value is None or isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{layer}: `{arg}` must be a number >= 0{' or None' if allow_none else ''}. "
            f"Received: {arg}={value!r}")
    if not value >= 0:  # also refuses NaN
        raise ValueError(
            f"{layer}: `{arg}` must be a number >= 0{' or None' if allow_none else ''}. "
            f"Received: {arg}={value!r}")
    return value


def _shape_str(shape):
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


class _Elementwise(Layer):
    """An activation layer: same output shape, masks pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@registry.register("layer")
class ReLU(_Elementwise):
    """Rectified linear unit with Keras's options.

    ``f(x) = max_value`` for ``x >= max_value``; ``x`` for ``threshold < x < max_value``;
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: a float >= 0 capping the output, or None (no cap).
        negative_slope: a float >= 0, the slope below ``threshold``.
        threshold: a float >= 0 below which the output is ``negative_slope * (x - threshold)``.

    Raises:
        ValueError: for a negative argument; TypeError for one that is not a number.

    Input shape / Output shape: any; the output has the input's shape.

    Example:
        >>> ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 8.0]]))   # [[0., 3., 6.]]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _number(max_value, "ReLU", "max_value", allow_none=True)
        self.negative_slope = _number(negative_slope, "ReLU", "negative_slope")
        self.threshold = _number(threshold, "ReLU", "threshold")

    def call(self, inputs):
        return activation_fns.relu(inputs, negative_slope=self.negative_slope,
                                   max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


@registry.register("layer")
class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, else ``negative_slope * x``.

    Args:
        negative_slope: a float >= 0 (Keras 3's default, 0.3). The Keras 2 name ``alpha`` is
            accepted, with a warning, and wins over ``negative_slope``.

    Raises:
        ValueError: for a negative slope; TypeError for one that is not a number.

    Input shape / Output shape: any; the output has the input's shape.

    Example:
        >>> LeakyReLU(negative_slope=0.5)(np.array([[-2.0, 4.0]]))   # [[-1., 4.]]
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: the argument `alpha` is deprecated; use "
                          "`negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _number(negative_slope, "LeakyReLU", "negative_slope")

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@registry.register("layer")
class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: a float, the scale of the negative part.

    Raises:
        TypeError: when ``alpha`` is not a number.

    Input shape / Output shape: any; the output has the input's shape.

    Example:
        >>> ELU(alpha=0.5)(np.array([[-1.0, 2.0]]))   # [[-0.316, 2.]]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"ELU: `alpha` must be a number. Received: alpha={alpha!r}")
        self.alpha = alpha

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


def _large_negative(dtype):
    """The logit a masked position gets (Keras's values: -1e9, or -3e4 in float16)."""
    return -3e4 if xp.dtype(dtype) == xp.float16 else -1e9


@registry.register("layer")
class Softmax(_Elementwise):
    """Softmax along ``axis`` (an int, or a list of ints normalized together).

    Args:
        axis: the axis, or axes, the probabilities sum to 1 over.

    Call arguments:
        inputs: the logits.
        mask: optional booleans (or numbers, true above 0.5) broadcastable to ``inputs``
            (each dimension 1 or the input's, aligned from the last axis, never of higher
            rank). Masked positions get a large negative logit and a zero output; the input's
            own mask, when it carries one, is used when none is given.

    Raises:
        TypeError: for an ``axis`` that is not an int or a list of ints.
        ValueError: at call time, for an axis outside the input's rank or a mask that does
            not broadcast to the input.

    Input shape / Output shape: any; the output has the input's shape.

    Example:
        >>> Softmax()(np.array([[1.0, 2.0, 1.0]]))   # [[0.212, 0.576, 0.212]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
            bad = not axis or any(isinstance(a, bool) or not isinstance(a, numbers.Integral)
                                  for a in axis)
        else:
            bad = isinstance(axis, bool) or not isinstance(axis, numbers.Integral)
        if bad:
            raise TypeError(
                f"Softmax: `axis` must be an int or a non-empty list of ints. Received: "
                f"axis={axis!r}")
        self.axis = [int(a) for a in axis] if isinstance(axis, list) else int(axis)

    def _axes(self, shape):
        ndim = len(shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        out = []
        for a in axes:
            if not -max(ndim, 1) <= a < max(ndim, 1):
                raise ValueError(
                    f"Softmax '{self.name}': axis {a} is out of range for an input of rank "
                    f"{ndim}. Received input of shape {_shape_str(shape)}")
            out.append(a % max(ndim, 1))
        if len(set(out)) != len(out):
            raise ValueError(
                f"Softmax '{self.name}': repeated axes in axis={self.axis} for an input of "
                f"shape {_shape_str(shape)}")
        return tuple(out)

    def _mask(self, mask, inputs):
        m = xp.asarray(raw(mask))
        shape = tuple(inputs.shape)
        if m.ndim > len(shape) or any(md != 1 and md != d for md, d in
                                      zip(m.shape[::-1], shape[::-1])):
            raise ValueError(
                f"Softmax '{self.name}': the mask must broadcast to the input (each mask "
                f"dimension 1 or the input's, aligned from the last axis, and not of higher "
                f"rank). Received input of shape {_shape_str(shape)} and mask of shape "
                f"{_shape_str(m.shape)}")
        return m if m.dtype == bool else m > 0.5

    def call(self, inputs, mask=None):
        axes = self._axes(inputs.shape)
        if mask is not None:
            mask = self._mask(mask, inputs)
            inputs = ops.where(mask, inputs, _large_negative(inputs.dtype))
        if len(axes) == 1:
            outputs = ops.softmax(inputs, axis=axes[0])
        else:
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=axes,
                                                                 keepdims=True)))
        if mask is not None:
            outputs = ops.where(mask, outputs, 0.0)
        return outputs

    def get_config(self):
        config = super().get_config()
        config["axis"] = list(self.axis) if isinstance(self.axis, list) else self.axis
        return config


@registry.register("layer")
class PReLU(_Elementwise):
    """Parametric ReLU: ``x`` for ``x >= 0``, else ``alpha * x`` with ``alpha`` learned.

    ``alpha`` has the input's shape without the batch axis, with size 1 on ``shared_axes``
    (``shared_axes=[1, 2]`` on images: one slope per channel).

    Args:
        alpha_initializer: initializer of ``alpha`` (default zeros: a plain ReLU at first).
        alpha_regularizer: optional regularizer of ``alpha``.
        alpha_constraint: optional constraint on ``alpha``.
        shared_axes: an int or a list of ints (1-based, the batch axis is 0) along which the
            slope is shared, or None.

    Raises:
        TypeError / ValueError: for ``shared_axes`` that are not positive ints; at build, for
            shared axes beyond the input's rank or a non-shared dimension that is unknown.

    Input shape / Output shape: any, rank >= 2; the output has the input's shape.

    Weights: ``alpha``.

    Example:
        >>> PReLU(shared_axes=[1, 2])(np.zeros((2, 8, 8, 3))).shape   # alpha: (1, 1, 3)
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = registry.get("initializer", alpha_initializer)
        self.alpha_regularizer = registry.get("regularizer", alpha_regularizer)
        self.alpha_constraint = registry.get("constraint", alpha_constraint)
        if shared_axes is not None:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            for a in axes:
                if isinstance(a, bool) or not isinstance(a, numbers.Integral):
                    raise TypeError(
                        "PReLU: `shared_axes` must be an int or a list of ints. Received: "
                        f"shared_axes={shared_axes!r}")
                if a < 1:
                    raise ValueError(
                        "PReLU: `shared_axes` are 1-based input axes (the batch axis 0 cannot "
                        f"be shared). Received: shared_axes={shared_axes!r}")
            shared_axes = [int(a) for a in axes]
        self.shared_axes = shared_axes

    def build(self, input_shape):
        shape = tuple(input_shape)
        who = f"PReLU '{self.name}'"
        if len(shape) < 2:
            raise ValueError(
                f"{who} expects inputs of rank >= 2 (batch, ...). Received input of shape "
                f"{_shape_str(shape)}")
        shared = set(self.shared_axes or ())
        beyond = sorted(a for a in shared if a >= len(shape))
        if beyond:
            raise ValueError(
                f"{who}: shared_axes={self.shared_axes} name axes {beyond} beyond the input's "
                f"rank {len(shape)}. Received input of shape {_shape_str(shape)}")
        param_shape = tuple(1 if i in shared else d for i, d in enumerate(shape) if i > 0)
        if any(d is None for d in param_shape):
            raise ValueError(
                f"{who} needs every non-shared input dimension to be known to create `alpha`. "
                f"Received input of shape {_shape_str(shape)}; share the unknown axes "
                "(shared_axes) or give the input a full shape.")
        self.alpha = self.add_weight(shape=param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        self.input_spec = InputSpec(ndim=len(shape), axes={
            i: d for i, d in enumerate(shape) if i > 0 and i not in shared})
        self.built = True

    def call(self, inputs):
        # relu(x) - alpha * relu(-x): gradients reach both x and alpha (reduced over shared axes)
        negative = ops.multiply(self.alpha, ops.relu(ops.negative(inputs)))
        return ops.subtract(ops.relu(inputs), negative)

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": registry.serialize(self.alpha_initializer),
            "alpha_regularizer": registry.serialize(self.alpha_regularizer),
            "alpha_constraint": registry.serialize(self.alpha_constraint),
            "shared_axes": None if self.shared_axes is None else list(self.shared_axes),
        })
        return config


__all__ = ["ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU"]
