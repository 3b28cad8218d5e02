"""``tf.debugging``: runtime assertions. Each returns None when the condition holds and raises
TensorFlow's error when it does not (``InvalidArgumentError`` for values, ``ValueError`` for
static shapes and ranks, ``TypeError`` for dtypes), with the offending values in the message."""

from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import raw
from ember.tf.array_ops import _format_value, _to_tensor
from ember.tf.errors import InvalidArgumentError

_LOG_DEVICE_PLACEMENT = [False]


def _values(x):
    return xp.asarray(raw(_to_tensor(x)))


def _compare(x, y, holds, symbol, message, summarize):
    a, b = _values(x), _values(y)
    try:
        ok = holds(a, b)
    except ValueError:
        raise InvalidArgumentError(
            f"{message + ' ' if message else ''}Incompatible shapes: {list(a.shape)} vs. "
            f"{list(b.shape)}") from None
    if bool(xp.all(ok)):
        return None
    n = summarize or 3
    bad = xp.argwhere(~xp.broadcast_to(ok, xp.broadcast_shapes(a.shape, b.shape)))
    ab, bb = xp.broadcast_arrays(a, b)
    detail = ""
    if ab.ndim:
        idx = tuple(bad[:n].T)
        detail = (f"Indices of first {min(len(bad), n)} different values: {bad[:n].tolist()} "
                  f"Corresponding x values: {ab[idx].tolist()} Corresponding y values: "
                  f"{bb[idx].tolist()} ")
    raise InvalidArgumentError(
        f"{message + ' ' if message else ''}Condition x {symbol} y did not hold. {detail}"
        f"First {min(a.size, n)} elements of x: {a.reshape(-1)[:n].tolist()} "
        f"First {min(b.size, n)} elements of y: {b.reshape(-1)[:n].tolist()}")


def assert_equal(x, y, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless ``x == y`` everywhere (broadcasting)."""
    return _compare(x, y, xp.equal, "==", message, summarize)


def assert_none_equal(x, y, message=None, summarize=None, name=None):
    return _compare(x, y, xp.not_equal, "!=", message, summarize)


def assert_less(x, y, message=None, summarize=None, name=None):
    return _compare(x, y, xp.less, "<", message, summarize)


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    return _compare(x, y, xp.less_equal, "<=", message, summarize)


def assert_greater(x, y, message=None, summarize=None, name=None):
    return _compare(x, y, xp.greater, ">", message, summarize)


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    return _compare(x, y, xp.greater_equal, ">=", message, summarize)


def _sign_check(holds, text):
    def check(x, message=None, summarize=None, name=None):
        a = _values(x)
        if bool(xp.all(holds(a))):
            return None
        raise InvalidArgumentError(
            f"{message + ' ' if message else ''}Condition x {text} did not hold element-wise: "
            f"x (shape={a.shape} dtype={a.dtype}) = {a.reshape(-1)[:summarize or 3].tolist()}")

    check.__doc__ = f"Raise InvalidArgumentError unless ``x {text}`` everywhere."
    return check


assert_positive = _sign_check(lambda a: a > 0, "> 0")
assert_negative = _sign_check(lambda a: a < 0, "< 0")
assert_non_negative = _sign_check(lambda a: a >= 0, ">= 0")
assert_non_positive = _sign_check(lambda a: a <= 0, "<= 0")


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """Raise InvalidArgumentError unless ``|x - y| <= atol + rtol * |y|`` everywhere (both
    tolerances default to ``10 * eps`` of the dtype)."""
    a, b = _values(x), _values(y)
    eps = xp.finfo(a.dtype).eps if a.dtype.kind == "f" else 0
    rtol = 10 * eps if rtol is None else rtol
    atol = 10 * eps if atol is None else atol
    if bool(xp.all(xp.abs(a - b) <= atol + rtol * xp.abs(b))):
        return None
    raise InvalidArgumentError(
        f"{message + ' ' if message else ''}x and y not equal to tolerance rtol = {rtol}, "
        f"atol = {atol}: x = {_format_value(a, summarize)}, y = {_format_value(b, summarize)}")


def _rank(x):
    return xp.ndim(raw(_to_tensor(x)))


def assert_rank(x, rank, message=None, name=None):
    """Raise ValueError unless ``x`` has rank ``rank``."""
    r = _rank(x)
    if r != int(raw(rank)):
        raise ValueError(f"{message + ' ' if message else ''}Tensor must have rank "
                         f"{int(raw(rank))}. Received rank {r}, shape {xp.shape(raw(x))}")


def assert_rank_at_least(x, rank, message=None, name=None):
    r = _rank(x)
    if r < int(raw(rank)):
        raise ValueError(f"{message + ' ' if message else ''}Tensor must have rank at least "
                         f"{int(raw(rank))}. Received rank {r}, shape {xp.shape(raw(x))}")


def assert_rank_in(x, ranks, message=None, name=None):
    r = _rank(x)
    allowed = [int(raw(k)) for k in ranks]
    if r not in allowed:
        raise ValueError(f"{message + ' ' if message else ''}Tensor must have rank in "
                         f"{allowed}. Received rank {r}, shape {xp.shape(raw(x))}")


def assert_scalar(tensor, message=None, name=None):
    shape = xp.shape(raw(_to_tensor(tensor)))
    if shape:
        raise ValueError(f"{message + ' ' if message else ''}Expected scalar shape, saw shape: "
                         f"{shape}.")
    return tensor


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Check that each ``(tensor, dims)`` pair has the given dims, where a string names a
    dimension that must agree across the pairs, an int is a fixed size and ``None``/``"."``
    any size (``"*"`` first: any number of leading dims). Raises ValueError."""
    pairs = shapes.items() if isinstance(shapes, dict) else shapes
    known = {}
    for tensor, dims in pairs:
        shape = xp.shape(raw(_to_tensor(tensor)))
        dims = list(dims) if not isinstance(dims, str) else list(dims)
        if dims and dims[0] in ("*", "..."):
            dims = dims[1:]
            shape = shape[len(shape) - len(dims):] if len(shape) >= len(dims) else shape
        if len(shape) != len(dims):
            raise ValueError(f"{message + ' ' if message else ''}Tensor of shape {shape} must "
                             f"have rank {len(dims)}. Received rank {len(shape)}")
        for i, (want, got) in enumerate(zip(dims, shape)):
            if want is None or want == ".":
                continue
            if isinstance(want, str):
                if want in known and known[want][0] != got:
                    size, origin = known[want]
                    raise ValueError(
                        f"{message + ' ' if message else ''}Specified by tensor shape={origin} "
                        f"dimension {want!r}. Tensor shape={shape} dimension {i} must have size "
                        f"{size}. Received size {got}, shape {shape}")
                known.setdefault(want, (got, shape))
            elif int(want) != got:
                raise ValueError(f"{message + ' ' if message else ''}Tensor shape={shape} "
                                 f"dimension {i} must have size {want}. Received size {got}")


def assert_type(tensor, tf_type, message=None, name=None):
    """Raise TypeError unless ``tensor`` has dtype ``tf_type``."""
    from ember.tf.dtypes import as_dtype

    got = as_dtype(_to_tensor(tensor).dtype)
    want = as_dtype(tf_type)
    if got != want:
        raise TypeError(f"{message + ' ' if message else ''}tensor must be of type {want!r}; "
                        f"got {got!r}")


def assert_integer(x, message=None, name=None):
    dtype = _to_tensor(x).dtype
    if dtype.kind not in "iu":
        raise TypeError(f"{message + ' ' if message else ''}Expected \"x\" to be integer type. "
                        f"Found: tensor of dtype {dtype}")


def assert_same_float_dtype(tensors=None, dtype=None):
    """The common float dtype of ``tensors`` (and ``dtype``); ValueError if they differ."""
    from ember.tf.dtypes import as_dtype

    found = {_to_tensor(t).dtype for t in tensors or []}
    if dtype is not None:
        found.add(xp.dtype(dtype))
    if len(found) > 1 or any(d.kind != "f" for d in found):
        raise ValueError(f"assert_same_float_dtype: expected one float dtype, got "
                         f"{sorted(str(d) for d in found)}")
    return as_dtype(found.pop()) if found else as_dtype("float32")


def assert_all_finite(x, message, name=None):
    """``x`` itself; InvalidArgumentError if it holds NaN or Inf."""
    return check_numerics(x, message)


def check_numerics(tensor, message, name=None):
    """``tensor`` itself; InvalidArgumentError naming NaN/Inf when it holds any."""
    t = _to_tensor(tensor)
    if t.dtype.kind not in "fc":
        raise TypeError(f"check_numerics: tensor must be a float tensor; got {t.dtype}")
    data = t.data
    if xp.isnan(data).any():
        raise InvalidArgumentError(f"{message} : Tensor had NaN values")
    if xp.isinf(data).any():
        raise InvalidArgumentError(f"{message} : Tensor had Inf values")
    return t


def is_numeric_tensor(tensor):
    return isinstance(tensor, Tensor) and tensor.dtype.kind in "iufcb"


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TF's name
    """Raise InvalidArgumentError showing ``data`` unless ``condition`` is True."""
    if bool(xp.all(raw(condition))):
        return None
    shown = " ".join(_format_value(d, summarize or 3) for d in data)
    raise InvalidArgumentError(f"Expected condition to be true. Summarized data: {shown}")


def set_log_device_placement(enabled):
    """Accepted and recorded; ember runs everything on the CPU, so nothing is logged."""
    _LOG_DEVICE_PLACEMENT[0] = bool(enabled)


def get_log_device_placement():
    return _LOG_DEVICE_PLACEMENT[0]
