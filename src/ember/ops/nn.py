"""Neural-network ops: one_hot, crossentropies (fused with softmax where possible), dropout,
moments. Convolution and pooling live in ``conv.py`` and ``pooling.py``."""

from ember import config
from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor, convert_to_tensor
from ember.backend import xp
from ember.ops import elementwise as E
from ember.ops import reduction as R
from ember.ops._helpers import normalize_axis, raw
from ember.ops.activations import SUBNORMAL_EXP


def one_hot(x, num_classes, axis=-1, dtype=None):
    """One-hot encode integer labels into a new axis of length ``num_classes``."""
    labels = xp.asarray(raw(x)).astype("int64", copy=False)
    out = xp.zeros(labels.shape + (num_classes,), dtype=dtype or config.floatx())
    valid = (labels >= 0) & (labels < num_classes)  # out-of-range labels give all-zero rows
    idx = xp.nonzero(valid)
    out[idx + (labels[valid],)] = 1
    if axis != -1:
        out = xp.moveaxis(out, -1, axis)
    return Tensor(out)


def _labels_for(target, logits_shape, axis, op):
    labels = xp.asarray(raw(target))
    if labels.dtype.kind == "f":
        labels = labels.astype("int64")
    expected = logits_shape[:axis] + logits_shape[axis + 1:] if axis != -1 else logits_shape[:-1]
    if labels.shape != expected:
        if labels.ndim == len(logits_shape) and labels.shape[-1] == 1:
            labels = labels.reshape(labels.shape[:-1])
        if labels.shape != expected:
            raise ValueError(
                f"{op}: labels of shape {xp.shape(raw(target))} do not match predictions of "
                f"shape {logits_shape}; expected labels of shape {expected}"
            )
    n = logits_shape[axis]
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        bad = labels[(labels < 0) | (labels >= n)].flat[0]
        raise ValueError(
            f"{op}: received a label value of {bad}, which is outside the valid range "
            f"[0, {n}) for predictions of shape {logits_shape}"
        )
    return labels


class SparseSoftmaxCE(Function):
    """Per-sample ``-log softmax(logits)[label]``, last axis; one op forward and backward.

    Applied to ``(logits, target)`` or ``(logits, target, probs)`` when the caller already has
    the softmax of the logits. The labels are checked and converted in ``forward`` (not when the
    op is made), so that a replayed ``tf.function`` trace reads each call's labels.
    """

    def __init__(self, op="sparse_categorical_crossentropy"):
        self.op = op

    def forward(self, logits, target, probs=None):
        self.labels = _labels_for(target, logits.shape, -1, self.op)
        self.probs = probs
        m = logits.max(axis=-1, keepdims=True)
        shifted = logits - m
        e = xp.exp(xp.maximum(shifted, SUBNORMAL_EXP))  # no subnormal probabilities
        s = e.sum(axis=-1, keepdims=True)
        flat = shifted.reshape(-1, shifted.shape[-1])
        picked = flat[xp.arange(flat.shape[0]), self.labels.reshape(-1)].reshape(
            self.labels.shape)
        loss = xp.log(s[..., 0]) - picked
        if self.recording:
            self.saved = e / s if self.probs is None else self.probs
        return loss

    def backward(self, gy):
        g = self.saved * gy[..., None]
        flat = g.reshape(-1, g.shape[-1])
        flat[xp.arange(flat.shape[0]), self.labels.reshape(-1)] -= gy.reshape(-1)
        return (g, None, None)


class SparseSoftmaxCEMean(SparseSoftmaxCE):
    """The batch mean of ``SparseSoftmaxCE`` as one op: the compiled loss of a softmax
    classifier (``mean`` then ``SparseSoftmaxCE``, fused; the same arithmetic)."""

    def forward(self, logits, target, probs=None):
        loss = super().forward(logits, target, probs)
        self.count = max(loss.size, 1)
        total = xp.sum(loss)
        return total.dtype.type(total / self.count)

    def backward(self, gy):
        share = xp.full(self.labels.shape, gy.reshape(()) / self.count, dtype=gy.dtype)
        return super().backward(share)


def sparse_softmax_crossentropy_mean(target, output):
    """The mean over the batch of ``sparse_categorical_crossentropy(target, output)``, for
    ``output`` produced by ``softmax`` over its last axis (else None: use the general ops)."""
    logits = _logits_of(output, "softmax") if isinstance(output, Tensor) else None
    if logits is None or output.dtype != logits.dtype or output.ndim < 1:
        return None
    _labels_for(target, output.shape, -1, "sparse_categorical_crossentropy")  # errors first
    return SparseSoftmaxCEMean().apply(logits, target, output.data)


class SoftmaxCE(Function):
    """Per-sample ``-sum(target * log softmax(logits))`` over the last axis."""

    def forward(self, target, logits):
        m = logits.max(axis=-1, keepdims=True)
        shifted = logits - m
        e = xp.exp(xp.maximum(shifted, SUBNORMAL_EXP))  # no subnormal probabilities
        s = e.sum(axis=-1, keepdims=True)
        logp = shifted - xp.log(s)
        if self.recording:
            self.saved = (target, e / s, logp)
        return -(target * logp).sum(axis=-1)

    def backward(self, gy):
        target, p, logp = self.saved
        gt = -logp * gy[..., None] if self.needs[0] else None
        gz = None
        if self.needs[1]:
            gz = (p * target.sum(axis=-1, keepdims=True) - target) * gy[..., None]
        return gt, gz


class SigmoidBCE(Function):
    """Elementwise ``max(z, 0) - z * t + log(1 + exp(-|z|))``: BCE from logits, stable."""

    def forward(self, target, logits):
        if self.recording:
            self.saved = (target, logits)
        return (xp.maximum(logits, 0) - logits * target
                + xp.log1p(xp.exp(-xp.abs(logits))))

    def backward(self, gy):
        t, z = self.saved
        gt = -z * gy if self.needs[0] else None
        gz = None
        if self.needs[1]:
            e = xp.exp(-xp.abs(z))
            sig = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))
            gz = (sig - t) * gy
        return gt, gz


def _logits_of(output, kind):
    """The logits an activation output was computed from, if it was ``kind`` (see softmax)."""
    tagged = output._keras_logits
    if tagged is not None and tagged[0] == kind:
        return tagged[1]
    return None


def _float_target(target, like):
    t = raw(target)
    if isinstance(target, Tensor):
        return target if target.dtype == like.dtype else E.cast(target, like.dtype)
    return Tensor(xp.asarray(t, dtype=like.dtype))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample crossentropy between integer labels and predictions over ``axis``.

    From probabilities produced by ``softmax``, the logits are used directly (exact and stable,
    as Keras does); other probabilities are clipped to ``[epsilon, 1 - epsilon]``.
    """
    output = convert_to_tensor(output)
    shape = output.shape
    if len(shape) < 1:
        raise ValueError(
            f"sparse_categorical_crossentropy: output must have rank >= 1, got {shape}")
    (ax,) = normalize_axis(axis, len(shape), "sparse_categorical_crossentropy")
    if ax != len(shape) - 1:
        from ember.ops.shape import transpose

        perm = [i for i in range(len(shape)) if i != ax] + [ax]
        output = transpose(output, perm)
        shape = output.shape
    labels = _labels_for(target, shape, -1, "sparse_categorical_crossentropy")
    if from_logits:
        return SparseSoftmaxCE().apply(output, target)
    logits = _logits_of(output, "softmax")
    if logits is not None:
        return SparseSoftmaxCE().apply(logits, target, output.data)
    eps = config.epsilon()
    p = E.divide(output, R.sum(output, axis=-1, keepdims=True))
    p = E.clip(p, eps, 1 - eps)
    logp = E.log(p)
    flat_index = (xp.arange(labels.size), labels.reshape(-1))
    from ember.ops.shape import getitem, reshape

    picked = getitem(reshape(logp, (-1, shape[-1])), flat_index)
    return E.negative(reshape(picked, labels.shape))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample crossentropy between one-hot (or soft) targets and predictions."""
    output = convert_to_tensor(output)
    tshape, oshape = xp.shape(raw(target)), output.shape
    if tshape != oshape:
        raise ValueError(
            "categorical_crossentropy: target and output must have the same shape. "
            f"Received target shape {tshape} and output shape {oshape}"
        )
    (ax,) = normalize_axis(axis, len(oshape), "categorical_crossentropy")
    target = _float_target(target, output)
    if ax == len(oshape) - 1:
        if from_logits:
            return SoftmaxCE().apply(target, output)
        logits = _logits_of(output, "softmax")
        if logits is not None:
            return SoftmaxCE().apply(target, logits)
    if from_logits:
        return E.negative(R.sum(E.multiply(target, log_softmax(output, axis=ax)), axis=ax))
    eps = config.epsilon()
    p = E.divide(output, R.sum(output, axis=ax, keepdims=True))
    p = E.clip(p, eps, 1 - eps)
    return E.negative(R.sum(E.multiply(target, E.log(p)), axis=ax))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy; from logits it is stable for large ``|logits|``."""
    output = convert_to_tensor(output)
    tshape, oshape = xp.shape(raw(target)), output.shape
    if tshape != oshape:
        raise ValueError(
            "binary_crossentropy: target and output must have the same shape. "
            f"Received target shape {tshape} and output shape {oshape}"
        )
    target = _float_target(target, output)
    if from_logits:
        return SigmoidBCE().apply(target, output)
    logits = _logits_of(output, "sigmoid")
    if logits is not None:
        return SigmoidBCE().apply(target, logits)
    eps = config.epsilon()
    p = E.clip(output, eps, 1 - eps)
    one = E.subtract(1.0, target)
    return E.negative(E.add(E.multiply(target, E.log(p)),
                            E.multiply(one, E.log(E.subtract(1.0, p)))))


def dropout(x, rate, noise_shape=None, seed=None):
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must be in [0, 1). Received: rate={rate}")
    x = convert_to_tensor(x)
    if rate == 0:
        return x
    shape = tuple(noise_shape) if noise_shape is not None else x.shape
    shape = tuple(x.shape[i] if d is None else d for i, d in enumerate(shape))
    return Dropout(rate, shape, seed).apply(x)


class Dropout(Function):
    """``x * mask``, the mask (of ``noise_shape``, broadcast) keeping each value with
    probability ``1 - rate`` scaled by ``1 / (1 - rate)``. Drawn in ``forward``: a replayed
    ``tf.function`` trace draws a new mask, in the same order as eager execution."""

    def __init__(self, rate, noise_shape, seed):
        self.rate, self.noise_shape, self.seed = rate, noise_shape, seed

    def forward(self, x):
        keep = _rng_for(self.seed).random(self.noise_shape, dtype="float32") >= self.rate
        mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.rate))
        if self.recording:
            self.saved = mask
        return x * mask

    def backward(self, gy):
        return (gy * self.saved,)


def _rng_for(seed):
    """The generator for a Keras ``seed`` argument: ember's global one for None, a fresh one
    for an int (the same draws each call, as Keras), the next state of a SeedGenerator."""
    if trace.tracing[0]:  # drawn outside an op's forward, the numbers would be frozen in a trace
        trace.random_drawn()
    if seed is None:
        return config.rng()
    if hasattr(seed, "next_generator"):
        return seed.next_generator()
    if isinstance(seed, Tensor):
        seed = seed.data
    try:
        return xp.random.default_rng(seed)
    except (TypeError, ValueError):
        raise ValueError(
            "A seed must be None, an int or a SeedGenerator. "
            f"Received: seed={seed!r} of type {type(seed).__name__}") from None


def multi_hot(inputs, num_classes, axis=-1, dtype=None):
    """Multi-hot encode integer labels: ``one_hot`` reduced by max over the label axis."""
    labels = xp.asarray(raw(inputs))
    out = one_hot(labels, num_classes, axis=axis, dtype=dtype).data
    return Tensor(out.max(axis=0 if labels.ndim <= 1 else 1))


def top_k(x, k, sorted=True):  # noqa: A002 - the Keras name
    """The ``k`` largest values along the last axis and their indices (ties: lower index
    first, as TensorFlow). The values carry gradients."""
    from ember.ops.shape import take_along_axis

    data = raw(x)
    n = xp.shape(data)[-1] if xp.ndim(data) else 0
    if not 0 <= k <= n:
        raise ValueError(f"top_k: k={k} is out of range for an input of shape {xp.shape(data)}")
    order = xp.argsort(-data, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, order, axis=-1), Tensor(order.astype("int32"))


def log_sigmoid(x):
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|`` (floatx for integers)."""
    return E.negative(softplus(E.negative(_float_input(x))))


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""

    return E.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``), as Keras."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1. Received: order={order}")
    eps = config.epsilon() if epsilon is None else epsilon
    x = convert_to_tensor(x)
    if order == 2:
        sq = R.sum(E.square(x), axis=axis, keepdims=True)
        return E.multiply(x, E.rsqrt(E.maximum(sq, eps * eps)))
    from ember.ops.linalg import norm

    return E.divide(x, E.maximum(norm(x, ord=order, axis=axis, keepdims=True), eps))


def moments(x, axes, keepdims=False, synchronized=False):
    """Mean and variance of ``x`` over ``axes``."""
    m = R.mean(x, axis=axes, keepdims=keepdims)
    v = R.var(x, axis=axes, keepdims=keepdims)
    return m, v


# -- normalizations -----------------------------------------------------------------------------
def _along(v, axes, x, op):
    """``v`` (None, or a Tensor of the sizes of ``x`` on ``axes``) as ``x``'s dtype (as Keras
    casts it), reshaped to broadcast against ``x``; a value of ``x``'s rank that broadcasts
    is left in its shape."""
    if v is None:
        return None
    from ember.ops.shape import reshape

    v = E.cast(convert_to_tensor(v), x.dtype)
    x_shape = x.shape
    want = tuple(x_shape[a] for a in axes)
    if tuple(v.shape) == want:
        return reshape(v, tuple(x_shape[i] if i in axes else 1 for i in range(len(x_shape))))
    try:
        if v.ndim != len(x_shape):  # only a full-rank value is broadcast as it is
            raise ValueError
        xp.broadcast_shapes(tuple(v.shape), tuple(x_shape))
    except ValueError:
        raise ValueError(f"{op}: a parameter of shape {tuple(v.shape)} does not match the "
                         f"input of shape {tuple(x_shape)} along axes {list(axes)}") from None
    return v


def _float_input(x):
    x = convert_to_tensor(x)
    return x if x.dtype.kind == "f" else E.cast(x, config.floatx())


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, the 1-D statistics and
    parameters laid along ``axis`` of ``x``."""
    x = _float_input(x)
    (ax,) = normalize_axis(axis, x.ndim, "batch_normalization")
    mean, variance, offset, scale = (_along(v, (ax,), x, "batch_normalization")
                                     for v in (mean, variance, offset, scale))
    inv = E.rsqrt(E.add(variance, float(epsilon)))
    if scale is not None:
        inv = E.multiply(inv, scale)
    out = E.multiply(E.subtract(x, mean), inv)
    return out if offset is None else E.add(out, offset)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalize ``x`` to zero mean and unit variance over ``axis``, then scale by ``gamma``
    and shift by ``beta`` (``epsilon`` defaults to ``config.epsilon()``).

    ``rms_scaling=True`` (deprecated in Keras) divides by ``sqrt(variance + epsilon)`` without
    centering, as Keras does."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}")
    x, dtype = _at_least_float32(x)
    axes = tuple(sorted(normalize_axis(axis, x.ndim, "layer_normalization")))
    eps = config.epsilon() if epsilon is None else float(epsilon)
    gamma = _along(gamma, axes, x, "layer_normalization")
    beta = _along(beta, axes, x, "layer_normalization")
    mean, variance = moments(x, axes, keepdims=True)
    inv = E.rsqrt(E.add(variance, eps))
    if rms_scaling:
        out = E.multiply(x, inv)
        return E.cast(out if gamma is None else E.multiply(out, gamma), dtype)
    if gamma is not None:
        inv = E.multiply(inv, gamma)
    out = E.multiply(E.subtract(x, mean), inv)
    return E.cast(out if beta is None else E.add(out, beta), dtype)


def _at_least_float32(x):
    """``x`` as a float of at least 32 bits, and the dtype to return: half-precision inputs
    are normalized in float32 (as Keras, for stability), integers in floatx."""
    x = _float_input(x)
    if x.dtype.itemsize < 4:
        return E.cast(x, "float32"), x.dtype
    return x, x.dtype


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2, axis) + epsilon) * scale`` (root-mean-square normalization)."""
    from ember.ops.shape import expand_dims

    x, dtype = _at_least_float32(x)
    if x.ndim == 0:
        x = expand_dims(x, 0)
    axes = tuple(sorted(normalize_axis(axis, x.ndim, "rms_normalization")))
    eps = config.epsilon() if epsilon is None else float(epsilon)
    out = E.multiply(x, E.rsqrt(E.add(R.mean(E.square(x), axis=axes, keepdims=True), eps)))
    if scale is not None:  # broadcast as given, as Keras
        out = E.multiply(out, E.cast(convert_to_tensor(scale), x.dtype))
    return E.cast(out, dtype)


# -- image-shaped ops ---------------------------------------------------------------------------
def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``, a
    scalar over all elements."""
    x1, x2 = _float_input(x1), _float_input(x2)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: input shapes {x1.shape} and {x2.shape} must match")
    peak = E.log10(E.cast(convert_to_tensor(max_val), x2.dtype))
    mse = R.mean(E.square(E.subtract(x1, x2)))
    return E.subtract(E.multiply(peak, 20.0), E.multiply(E.log10(mse), 10.0))


def _check_4d(x, op):
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (batch, height, width, channels or "
                         f"batch, channels, height, width); received shape {x.shape}")


def _data_format(data_format, op):
    fmt = config.image_data_format() if data_format is None else data_format
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return fmt


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move blocks of ``block_size**2`` channels into ``block_size x block_size`` spatial
    blocks (pixel shuffle)."""
    from ember.ops.shape import reshape, transpose

    x = convert_to_tensor(x)
    _check_4d(x, "depth_to_space")
    fmt = _data_format(data_format, "depth_to_space")
    b = int(block_size)
    if b < 1:
        raise ValueError(f"depth_to_space: block_size must be >= 1. Received: {block_size}")
    n, h, w, c = x.shape if fmt == "channels_last" else (x.shape[0], *x.shape[2:], x.shape[1])
    if c % (b * b):
        raise ValueError(f"depth_to_space: the number of channels ({c}) must be divisible by "
                         f"block_size**2 ({b * b}); input shape {x.shape}")
    if fmt == "channels_last":
        y = transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h * b, w * b, c // (b * b)))
    y = transpose(reshape(x, (n, c // (b * b), b, b, h, w)), (0, 1, 4, 2, 5, 3))
    return reshape(y, (n, c // (b * b), h * b, w * b))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move ``block_size x block_size`` spatial blocks into channels (the inverse of
    ``depth_to_space``)."""
    from ember.ops.shape import reshape, transpose

    x = convert_to_tensor(x)
    _check_4d(x, "space_to_depth")
    fmt = _data_format(data_format, "space_to_depth")
    b = int(block_size)
    if b < 1:
        raise ValueError(f"space_to_depth: block_size must be >= 1. Received: {block_size}")
    n, h, w, c = x.shape if fmt == "channels_last" else (x.shape[0], *x.shape[2:], x.shape[1])
    if h % b or w % b:
        raise ValueError(f"space_to_depth: height ({h}) and width ({w}) must be divisible by "
                         f"block_size ({b}); input shape {x.shape}")
    if fmt == "channels_last":
        y = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, h // b, w // b, c * b * b))
    y = transpose(reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
    return reshape(y, (n, c * b * b, h // b, w // b))


def _adaptive_pool(inputs, output_size, data_format, reduce, op):
    """Pool each spatial axis in turn into ``output_size`` windows, window ``i`` of an axis of
    length ``L`` covering ``[floor(i L / out), ceil((i + 1) L / out))`` (PyTorch's and Keras's
    windows); pooling the axes one after another gives the same result as pooling boxes."""
    from ember.ops.shape import concatenate, getitem

    x = convert_to_tensor(inputs)
    spatial = x.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(f"{op}: expected a 3-D, 4-D or 5-D input (1 to 3 spatial axes); "
                         f"received shape {x.shape}")
    fmt = _data_format(data_format, op)
    from ember.ops.conv import normalize_tuple

    sizes = normalize_tuple(output_size, spatial, "output_size", op)
    first = 1 if fmt == "channels_last" else 2
    for k, out in enumerate(sizes):
        ax = first + k
        length = x.shape[ax]
        parts = []
        for i in range(out):
            start, stop = (i * length) // out, -((-(i + 1) * length) // out)
            key = (slice(None),) * ax + (slice(start, stop),)
            parts.append(reduce(getitem(x, key), axis=ax, keepdims=True))
        x = concatenate(parts, axis=ax)
    return x



def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed ``output_size`` (an int or one per spatial axis), whatever
    the input's spatial size."""
    return _adaptive_pool(inputs, output_size, data_format, R.mean, "adaptive_average_pool")


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed ``output_size`` (an int or one per spatial axis)."""
    return _adaptive_pool(inputs, output_size, data_format, R.max, "adaptive_max_pool")


def _patch_geometry(kernel_size, dilation, padding, stride, op):
    from ember.ops.conv import normalize_tuple

    return (normalize_tuple(kernel_size, 2, "kernel_size", op),
            normalize_tuple(dilation, 2, "dilation", op),
            normalize_tuple(padding, 2, "padding", op, minimum=0),
            normalize_tuple(stride, 2, "stride", op))


def _blocks(size, k, d, p, s):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _unfold_array(x, k, d, p, s):
    from ember.ops.conv import pad_hw, windows

    n, c, h, w = x.shape
    out_hw = (_blocks(h, k[0], d[0], p[0], s[0]), _blocks(w, k[1], d[1], p[1], s[1]))
    xpad = pad_hw(xp.ascontiguousarray(x.transpose(0, 2, 3, 1)), ((p[0], p[0]), (p[1], p[1])))
    win = windows(xpad, k, s, d, out_hw)  # (N, OH, OW, KH, KW, C)
    return win.transpose(0, 5, 3, 4, 1, 2).reshape(n, c * k[0] * k[1], -1)


def _fold_array(cols, out_hw, k, d, p, s):
    from ember.ops.conv import position

    n, ckk, _ = cols.shape
    c = ckk // (k[0] * k[1])
    blocks = (_blocks(out_hw[0], k[0], d[0], p[0], s[0]),
              _blocks(out_hw[1], k[1], d[1], p[1], s[1]))
    parts = cols.reshape(n, c, k[0], k[1], *blocks).transpose(2, 3, 0, 4, 5, 1)
    g = xp.zeros((n, out_hw[0] + 2 * p[0], out_hw[1] + 2 * p[1], c), dtype=cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            view = position(g, i, j, s, d, blocks)
            view += parts[i, j]
    g = g[:, p[0]:p[0] + out_hw[0], p[1]:p[1] + out_hw[1]]
    return xp.ascontiguousarray(g.transpose(0, 3, 1, 2))


class Unfold(Function):
    """Sliding blocks of an (N, C, H, W) input as columns (N, C * KH * KW, L); its gradient is
    ``fold`` of the output gradient."""

    def __init__(self, geometry):
        self.geometry = geometry

    def forward(self, x):
        self.hw = x.shape[2:]
        return _unfold_array(x, *self.geometry)

    def backward(self, gy):
        return (_fold_array(gy, self.hw, *self.geometry),)


class Fold(Function):
    """Columns (N, C * KH * KW, L) summed back into an (N, C, H, W) image; its gradient is
    ``unfold`` of the output gradient."""

    def __init__(self, out_hw, geometry):
        self.out_hw, self.geometry = out_hw, geometry

    def forward(self, cols):
        return _fold_array(cols, self.out_hw, *self.geometry)

    def backward(self, gy):
        return (_unfold_array(gy, *self.geometry),)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks from a batched (N, C, H, W) image into a tensor of shape
    (N, C * kernel_h * kernel_w, L), L being the number of blocks (``torch.nn.Unfold``)."""
    x = convert_to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W); received shape {x.shape}")
    k, d, p, s = geometry = _patch_geometry(kernel_size, dilation, padding, stride, "unfold")
    for size, kk, dd, pp, ss in zip(x.shape[2:], k, d, p, s):
        if _blocks(size, kk, dd, pp, ss) < 1:
            raise ValueError(f"unfold: the kernel {k} (dilation {d}) does not fit the input of "
                             f"shape {x.shape} with padding {p}")
    return Unfold(geometry).apply(x)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding local blocks (N, C * kernel_h * kernel_w, L) back into an image of
    ``output_size`` (N, C, H, W): the adjoint of ``unfold`` (``torch.nn.Fold``)."""
    from ember.ops.conv import normalize_tuple

    x = convert_to_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"fold: expected a 3-D input (N, C * KH * KW, L); received shape "
                         f"{x.shape}")
    out_hw = normalize_tuple(output_size, 2, "output_size", "fold")
    k, d, p, s = geometry = _patch_geometry(kernel_size, dilation, padding, stride, "fold")
    blocks = [_blocks(o, kk, dd, pp, ss) for o, kk, dd, pp, ss in zip(out_hw, k, d, p, s)]
    if x.shape[1] % (k[0] * k[1]) or x.shape[2] != blocks[0] * blocks[1] or min(blocks) < 1:
        raise ValueError(
            f"fold: an input of shape {x.shape} does not match output_size {out_hw} with "
            f"kernel {k}, dilation {d}, padding {p}, stride {s}: expected dimension 1 to be a "
            f"multiple of {k[0] * k[1]} and dimension 2 to be {blocks[0] * blocks[1]} blocks")
    return Fold(out_hw, geometry).apply(x)


class _Polar(Function):
    def forward(self, r, theta):
        return (r * xp.cos(theta) + 1j * (r * xp.sin(theta))).astype(
            xp.result_type(r.dtype, xp.complex64))

    def backward(self, gy):
        raise NotImplementedError(
            "polar: gradients through complex results are not supported by ember")


def polar(abs_, angle):
    """The complex number ``abs_ * (cos(angle) + i sin(angle))`` (complex64 for float32
    inputs). Its result carries no gradient: ember differentiates real tensors only."""
    r, theta = _float_input(abs_), _float_input(angle)
    return _Polar().apply(r, theta)


# Convolution, pooling and the activations are part of keras.ops.nn too.
from ember.ops.activations import (  # noqa: E402,F401
    celu,
    elu,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_tanh,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh_shrink,
    threshold,
)
from ember.ops.attention import dot_product_attention  # noqa: E402,F401
from ember.ops.conv import (  # noqa: E402,F401
    conv,
    conv_bias_act,
    conv_transpose,
    depthwise_conv,
    separable_conv,
)
from ember.ops.ctc import ctc_decode, ctc_loss  # noqa: E402,F401
from ember.ops.pooling import average_pool, max_pool  # noqa: E402,F401
