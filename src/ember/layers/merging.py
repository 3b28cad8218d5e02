"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, and
their functional forms (``add([a, b])`` ...).

Each takes a list of tensors. Elementwise merges broadcast size-1 axes as Keras does; their
output mask is the AND of the input masks.
"""

from ember import ops, registry
from ember.backend import xp
from ember.layers.convolutional import fmt_shape
from ember.layers.layer import Layer
from ember.ops._helpers import raw


def _masks(mask, n):
    if mask is None:
        return [None] * n
    if isinstance(mask, (list, tuple)):
        return list(mask)
    return [mask] * n


def _arr(m):
    return xp.asarray(raw(m))


class Merge(Layer):
    """Base of the elementwise merges: validates a list of inputs with broadcastable shapes."""

    min_inputs, max_inputs = 2, None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check(self, shapes):
        who = f"{type(self).__name__} '{self.name}'"
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(
                shapes[0], (list, tuple)):
            raise ValueError(f"{who} expects a list of inputs. Received: input shape {shapes}")
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs and n > self.max_inputs):
            want = f"exactly {self.max_inputs}" if self.max_inputs == self.min_inputs else (
                f"at least {self.min_inputs}")
            raise ValueError(f"{who} expects {want} inputs. Received {n} inputs of shapes "
                             f"{[fmt_shape(s) for s in shapes]}")
        return self._broadcast_shape(shapes, who)

    @staticmethod
    def _broadcast_shape(shapes, who):
        ndim = max(len(s) for s in shapes)
        out = []
        for i in range(ndim):
            dims = {s[len(s) - ndim + i] for s in shapes if len(s) - ndim + i >= 0}
            known = {d for d in dims if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(
                    f"{who}: inputs with incompatible shapes "
                    f"{', '.join(fmt_shape(s) for s in shapes)} (they must be equal or "
                    "broadcastable)")
            if known:
                out.append(known.pop())
            elif None in dims:
                out.append(None)
            else:
                out.append(1)
        return tuple(out)

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def call(self, inputs):
        self._check([tuple(x.shape) for x in inputs])
        return self._merge(list(inputs))

    def compute_output_shape(self, input_shape):
        return self._check(input_shape)

    def compute_mask(self, inputs, mask=None):
        masks = [_arr(m) for m in _masks(mask, len(inputs)) if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = out & m
        return out


@registry.register("layer")
class Add(Merge):
    """The elementwise sum of its inputs."""

    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = ops.add(y, x)
        return y


@registry.register("layer")
class Subtract(Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs)."""

    min_inputs = max_inputs = 2

    def _merge(self, xs):
        return ops.subtract(xs[0], xs[1])


@registry.register("layer")
class Multiply(Merge):
    """The elementwise product of its inputs."""

    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = ops.multiply(y, x)
        return y


@registry.register("layer")
class Average(Merge):
    """The elementwise mean of its inputs."""

    def _merge(self, xs):
        return ops.multiply(Add._merge(self, xs), 1.0 / len(xs))


@registry.register("layer")
class Maximum(Merge):
    """The elementwise maximum of its inputs."""

    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = ops.maximum(y, x)
        return y


@registry.register("layer")
class Minimum(Merge):
    """The elementwise minimum of its inputs."""

    def _merge(self, xs):
        y = xs[0]
        for x in xs[1:]:
            y = ops.minimum(y, x)
        return y


@registry.register("layer")
class Concatenate(Layer):
    """Joins its inputs along ``axis`` (default the last); the other axes must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Concatenate: `axis` must be an int. Received: axis={axis!r}")
        self.axis = axis
        self.supports_masking = True

    def _check(self, shapes):
        who = f"Concatenate '{self.name}'"
        if not isinstance(shapes, (list, tuple)) or len(shapes) < 1 or not isinstance(
                shapes[0], (list, tuple)):
            raise ValueError(f"{who} expects a list of inputs. Received: input shape {shapes}")
        ranks = {len(s) for s in shapes}
        shown = ", ".join(fmt_shape(s) for s in shapes)
        if len(ranks) != 1:
            raise ValueError(f"{who}: all inputs must have the same rank. Received input shapes "
                             f"{shown}")
        ndim = ranks.pop()
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"{who}: axis {self.axis} is out of range for inputs of rank "
                             f"{ndim}. Received input shapes {shown}")
        axis = self.axis % ndim
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, s)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        f"{who}: inputs must have matching shapes except for the concatenation "
                        f"axis ({self.axis}). Received input shapes {shown}")
                elif a is None:
                    out[i] = b
        return tuple(out)

    def build(self, input_shape):
        self._check(input_shape)
        self.built = True

    def call(self, inputs):
        self._check([tuple(x.shape) for x in inputs])
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        return self._check(input_shape)

    def compute_mask(self, inputs, mask=None):
        masks = _masks(mask, len(inputs))
        if all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                full.append(xp.ones(x.shape, dtype=bool))
            else:
                m = _arr(m)
                full.append(xp.broadcast_to(m[..., None], x.shape) if m.ndim < x.ndim else m)
        return xp.any(xp.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


@registry.register("layer")
class Dot(Layer):
    """Batched dot product of two inputs along ``axes`` (an int or one per input), as Keras's
    ``batch_dot``: ``(b, n) . (b, n) -> (b, 1)``, ``(b, n, d) . (b, m, d)`` with axes 2 ->
    ``(b, n, m)``. ``normalize=True`` L2-normalizes both inputs along the axes first (the
    result is then the cosine similarity)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int) and not isinstance(axes, bool):
            pass
        elif isinstance(axes, (list, tuple)) and len(axes) == 2 and all(
                isinstance(a, int) for a in axes):
            axes = list(axes)
        else:
            raise TypeError(f"Dot: `axes` must be an int or a list of 2 ints. Received: "
                            f"axes={axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _axes_for(self, shapes):
        who = f"Dot '{self.name}'"
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2 or not isinstance(
                shapes[0], (list, tuple)):
            raise ValueError(f"{who} expects a list of exactly 2 inputs. Received: {shapes}")
        s1, s2 = shapes
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        axes = [a % len(s) if -len(s) <= a < len(s) else None for a, s in zip(axes, shapes)]
        if None in axes or 0 in axes:
            raise ValueError(f"{who}: axes {self.axes} are out of range (or the batch axis) for "
                             f"inputs of shapes {fmt_shape(s1)} and {fmt_shape(s2)}")
        d1, d2 = s1[axes[0]], s2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"{who}: the dimensions along the dot axes differ ({d1} != {d2}). Received "
                f"input shapes {fmt_shape(s1)} and {fmt_shape(s2)} with axes {self.axes}")
        return axes

    def build(self, input_shape):
        self._axes_for(input_shape)
        self.built = True

    def call(self, inputs):
        x1, x2 = inputs
        a1, a2 = self._axes_for([tuple(x1.shape), tuple(x2.shape)])
        if self.normalize:
            x1 = _l2_normalize(x1, a1)
            x2 = _l2_normalize(x2, a2)
        letters = "bcdefghijklmnopqrstuvwxyz"
        n1, n2 = x1.ndim, x2.ndim
        s1 = ["a"] + list(letters[:n1 - 1])
        s2 = ["a"] + list(letters[n1 - 1:n1 + n2 - 2])
        s2[a2] = s1[a1]
        out = [c for i, c in enumerate(s1) if i != a1] + [
            c for i, c in enumerate(s2) if i not in (0, a2)]
        y = ops.einsum(f"{''.join(s1)},{''.join(s2)}->{''.join(out)}", x1, x2)
        if y.ndim == 1:
            y = ops.expand_dims(y, 1)
        return y

    def compute_output_shape(self, input_shape):
        a1, a2 = self._axes_for(input_shape)
        s1, s2 = input_shape
        out = (s1[0],) + tuple(d for i, d in enumerate(s1) if i not in (0, a1)) + tuple(
            d for i, d in enumerate(s2) if i not in (0, a2))
        return out if len(out) > 1 else out + (1,)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axes": self.axes, "normalize": self.normalize})
        return cfg


def _l2_normalize(x, axis):
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(square_sum, 1e-24)))


# -- functional forms, as keras.layers.add(...) ----------------------------------------------------
def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]
