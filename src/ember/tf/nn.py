"""``tf.nn``: activations, convolutions, pooling and losses with TensorFlow's signatures
(NHWC, ``strides``/``ksize`` as an int or a list of 1, 2 or 4, ``padding`` ``"SAME"`` /
``"VALID"``), on ember's ops."""

from ember import ops
from ember.backend import xp
from ember.ops._helpers import raw
from ember.ops.nn import SigmoidBCE, SoftmaxCE, SparseSoftmaxCE
from ember.tf.array_ops import (  # noqa: F401 - re-exported as tf.nn.*
    _floats_only,
    _numeric,
    _same_dtype,
    _tf_errors,
    _to_tensor,
    sigmoid,
    softplus,
    softsign,
    tanh,
    top_k,
)
from ember.tf.errors import InvalidArgumentError, UnimplementedError
from ember.tf.math import in_top_k, l2_normalize, log_softmax, softmax  # noqa: F401


def _act(fn, name, doc, floats=True):
    def act(features, name=None):
        return fn(_floats_only(features, name_) if floats else _numeric(features, name_))

    name_ = name
    act.__name__ = name
    act.__doc__ = doc
    return act


relu = _act(ops.relu, "relu", "``max(features, 0)``.", floats=False)
relu6 = _act(ops.relu6, "relu6", "``min(max(features, 0), 6)``.", floats=False)
selu = _act(ops.selu, "selu", "Scaled ELU.")
elu = _act(ops.elu, "elu", "``features`` if > 0 else ``exp(features) - 1``.")


def leaky_relu(features, alpha=0.2, name=None):
    """``features`` if > 0 else ``alpha * features``."""
    return ops.leaky_relu(_floats_only(features, "leaky_relu"), negative_slope=alpha)


def gelu(features, approximate=False, name=None):
    """Gaussian error linear unit: exact (erf) by default, as TensorFlow (Keras's default is
    the tanh approximation)."""
    return ops.gelu(_floats_only(features, "gelu"), approximate=approximate)


def silu(features, beta=1.0, name=None):
    """``features * sigmoid(beta * features)``."""
    x = _floats_only(features, "silu")
    if beta == 1.0:
        return ops.silu(x)
    return ops.multiply(x, ops.sigmoid(ops.multiply(x, ops.cast(beta, x.dtype))))


swish = silu


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``
    (always: there is no training flag in ``tf.nn``)."""
    return _tf_errors(ops.dropout)(_floats_only(x, "dropout"), float(raw(rate)),
                                   noise_shape=None if noise_shape is None
                                   else [int(d) for d in raw(noise_shape)], seed=seed)


# -- convolution and pooling ---------------------------------------------------------------------
def _spatial(value, n, data_format, what, op):
    """TensorFlow's ``strides``/``ksize``/``dilations``: an int, or a list of 1, n or n + 2
    (the batch and channel entries must be 1)."""
    if value is None:
        return (1,) * n
    values = [int(v) for v in xp.asarray(raw(value)).reshape(-1)]
    if len(values) == 1:
        return tuple(values) * n
    if len(values) == n:
        return tuple(values)
    if len(values) == n + 2:
        channels_first = str(data_format).startswith("NC")
        inner = values[2:] if channels_first else values[1:-1]
        outer = values[:2] if channels_first else [values[0], values[-1]]
        if outer != [1, 1]:
            raise UnimplementedError(f"{op}: {what} in the batch and depth dimensions must be "
                                     f"1 (TensorFlow does not support others either); got "
                                     f"{values}")
        return tuple(inner)
    raise ValueError(f"{op}: {what} should be of length 1, {n} or {n + 2}; got {values}")


def _padding(padding, op):
    if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
        raise ValueError(f"{op}: padding must be 'SAME' or 'VALID' (explicit paddings are not "
                         f"supported by ember); got {padding!r}")
    return padding.lower()


def _format(data_format, n):
    if data_format is None or data_format in ("NWC", "NHWC", "NDHWC"):
        return "channels_last"
    if data_format in ("NCW", "NCHW", "NCDHW"):
        return "channels_first"
    raise ValueError(f"data_format must be NHWC-style or NCHW-style; got {data_format!r}")


def convolution(input, filters, strides=None, padding="VALID", data_format=None,  # noqa: A002
                dilations=None, name=None):
    """An N-D convolution (N = rank of ``filters`` - 2): ``filters`` is
    ``[*spatial, in_channels, out_channels]``."""
    x, k = _same_dtype(input, filters, "convolution")
    n = k.ndim - 2
    if x.ndim != n + 2:
        raise ValueError(f"convolution: input must have rank {n + 2} for a {n}-D filter; got "
                         f"shape {x.shape}")
    return _tf_errors(ops.conv)(
        x, k, strides=_spatial(strides, n, data_format, "strides", "convolution"),
        padding=_padding(padding, "convolution"), data_format=_format(data_format, n),
        dilation_rate=_spatial(dilations, n, data_format, "dilations", "convolution"))


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,  # noqa: A002
           name=None):
    """A 2-D convolution of ``input`` ``[batch, height, width, in]`` with ``filters``
    ``[kh, kw, in, out]``."""
    if raw(filters).ndim != 4:
        raise ValueError(f"conv2d: filters must have rank 4; got shape {raw(filters).shape}")
    return convolution(input, filters, strides, padding, data_format, dilations)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None,  # noqa: A002
           name=None):
    """A 1-D convolution of ``input`` ``[batch, width, in]`` with ``filters`` ``[k, in, out]``."""
    if raw(filters).ndim != 3:
        raise ValueError(f"conv1d: filters must have rank 3; got shape {raw(filters).shape}")
    return convolution(input, filters, stride, padding, data_format, dilations)


def depthwise_conv2d(input, filter, strides, padding, data_format=None,  # noqa: A002
                     dilations=None, name=None):
    """Each input channel convolved with its own ``filter[..., c, :]`` (``[kh, kw, in,
    multiplier]``)."""
    x, k = _same_dtype(input, filter, "depthwise_conv2d")
    return _tf_errors(ops.depthwise_conv)(
        x, k, strides=_spatial(strides, 2, data_format, "strides", "depthwise_conv2d"),
        padding=_padding(padding, "depthwise_conv2d"), data_format=_format(data_format, 2),
        dilation_rate=_spatial(dilations, 2, data_format, "dilations", "depthwise_conv2d"))


def _pool(fn, op):
    def pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
        x = _floats_only(input, op)
        n = x.ndim - 2
        if n < 1:
            raise ValueError(f"{op}: input must have rank >= 3; got shape {x.shape}")
        return _tf_errors(fn)(
            x, _spatial(ksize, n, data_format, "ksize", op),
            strides=_spatial(strides, n, data_format, "strides", op),
            padding=_padding(padding, op), data_format=_format(data_format, n))

    pool.__name__ = op
    pool.__doc__ = (f"{'Max' if 'max' in op else 'Average'} pooling over windows of "
                    "``ksize`` (NHWC by default).")
    return pool


max_pool = _pool(ops.max_pool, "max_pool")
avg_pool = _pool(ops.average_pool, "avg_pool")
max_pool1d = _pool(ops.max_pool, "max_pool1d")
avg_pool1d = _pool(ops.average_pool, "avg_pool1d")
max_pool2d = _pool(ops.max_pool, "max_pool2d")
avg_pool2d = _pool(ops.average_pool, "avg_pool2d")


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` with ``bias`` (1-D) along the channel axis (the last for NHWC)."""
    x, b = _same_dtype(value, bias, "bias_add")
    if b.ndim != 1:
        raise ValueError(f"bias_add: bias must be 1-D; got shape {b.shape}")
    axis = 1 if data_format is not None and str(data_format).startswith("NC") else -1
    if x.ndim < 2 or x.shape[axis] != b.shape[0]:
        raise InvalidArgumentError(
            f"bias_add: Must provide as many biases as the channel dimension of the input "
            f"tensor: {list(b.shape)} vs. {list(x.shape)}")
    if axis == 1:
        b = ops.reshape(b, (-1,) + (1,) * (x.ndim - 2))
    return ops.add(x, b)


# -- losses --------------------------------------------------------------------------------------
def _check_same_shape(labels, logits, op):
    if labels.shape != logits.shape:
        raise ValueError(f"{op}: logits and labels must have the same shape "
                         f"({logits.shape} vs {labels.shape})")


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """Elementwise ``max(x, 0) - x * z + log(1 + exp(-|x|))`` for logits ``x`` and labels ``z``
    (stable; gradients to both)."""
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits: both labels and logits must be "
                         "given")
    z, x = _same_dtype(labels, logits, "sigmoid_cross_entropy_with_logits")
    _check_same_shape(z, x, "sigmoid_cross_entropy_with_logits")
    return SigmoidBCE().apply(z, x)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """``sigmoid_cross_entropy_with_logits`` with the positive term weighted by
    ``pos_weight``: ``(1 - z) x + (1 + (w - 1) z) log(1 + exp(-x))``."""
    z, x = _same_dtype(labels, logits, "weighted_cross_entropy_with_logits")
    _check_same_shape(z, x, "weighted_cross_entropy_with_logits")
    w = ops.cast(_to_tensor(pos_weight), x.dtype)
    log_weight = ops.add(1.0, ops.multiply(ops.subtract(w, 1.0), z))
    softplus_neg = ops.add(ops.log1p(ops.exp(ops.negative(ops.abs(x)))),
                           ops.relu(ops.negative(x)))
    return ops.add(ops.multiply(ops.subtract(1.0, z), x), ops.multiply(log_weight, softplus_neg))


def _last_axis(t, axis):
    if axis == -1 or axis == t.ndim - 1:
        return t
    return ops.moveaxis(t, axis, -1)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """``-sum(labels * log_softmax(logits), axis)`` per example (gradients to both)."""
    z, x = _same_dtype(labels, logits, "softmax_cross_entropy_with_logits")
    if z.shape != x.shape:
        raise InvalidArgumentError(
            f"softmax_cross_entropy_with_logits: logits and labels must be broadcastable: "
            f"logits_size={list(x.shape)} labels_size={list(z.shape)}")
    return SoftmaxCE().apply(_last_axis(z, axis), _last_axis(x, axis))


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """``-log_softmax(logits)[label]`` per example; ``labels`` has the shape of ``logits``
    without its last axis, with values in ``[0, classes)``."""
    x = _floats_only(logits, "sparse_softmax_cross_entropy_with_logits")
    lab = xp.asarray(raw(labels))
    if lab.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be int32 or "
                        f"int64; got {lab.dtype}")
    if lab.shape != x.shape[:-1]:
        raise ValueError(
            f"sparse_softmax_cross_entropy_with_logits: Shape mismatch: The shape of labels "
            f"(received {lab.shape}) should equal the shape of logits except for the last "
            f"dimension (received {x.shape}).")
    n = x.shape[-1]
    if lab.size and (lab.min() < 0 or lab.max() >= n):
        bad = lab[(lab < 0) | (lab >= n)].reshape(-1)[0]
        raise InvalidArgumentError(
            f"sparse_softmax_cross_entropy_with_logits: Received a label value of {bad} which "
            f"is outside the valid range of [0, {n}).")
    return SparseSoftmaxCE("sparse_softmax_cross_entropy_with_logits").apply(x, lab)


def l2_loss(t, name=None):
    """``sum(t ** 2) / 2``."""
    x = _floats_only(t, "l2_loss")
    return ops.multiply(ops.sum(ops.square(x)), ops.cast(0.5, x.dtype))


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """``exp(log_input) - targets * log_input`` (the Stirling term with
    ``compute_full_loss``)."""
    z, c = _same_dtype(targets, log_input, "log_poisson_loss")
    loss = ops.subtract(ops.exp(c), ops.multiply(z, c))
    if compute_full_loss:
        safe = ops.where(ops.greater(z, 1), z, ops.ones_like(z))
        stirling = ops.add(ops.subtract(ops.multiply(safe, ops.log(safe)), safe),
                           ops.multiply(0.5, ops.log(ops.multiply(2 * xp.pi, safe))))
        loss = ops.add(loss, ops.where(ops.greater(z, 1), stirling, ops.zeros_like(z)))
    return loss


# -- normalization -------------------------------------------------------------------------------
def moments(x, axes, shift=None, keepdims=False, name=None):
    """``(mean, variance)`` of ``x`` over ``axes``."""
    t = _floats_only(x, "moments")
    axes = tuple(int(a) for a in (axes if isinstance(axes, (list, tuple)) else [axes]))
    return ops.mean(t, axis=axes, keepdims=keepdims), ops.var(t, axis=axes, keepdims=keepdims)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`` (``offset`` and
    ``scale`` may be None)."""
    t = _floats_only(x, "batch_normalization")
    inv = ops.rsqrt(ops.add(variance, ops.cast(variance_epsilon, t.dtype)))
    if scale is not None:
        inv = ops.multiply(inv, scale)
    out = ops.multiply(ops.subtract(t, mean), inv)
    return out if offset is None else ops.add(out, offset)


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """Mean and variance from sufficient statistics (``shift`` may be None)."""
    divisor = ops.divide(1.0, counts)
    shifted_mean = ops.multiply(mean_ss, divisor)
    mean = shifted_mean if shift is None else ops.add(shifted_mean, shift)
    variance = ops.subtract(ops.multiply(variance_ss, divisor), ops.square(shifted_mean))
    return mean, variance


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0,  # noqa: A002
                                 beta=0.5, name=None):
    """``input / (bias + alpha * sum of squares over a window of channels) ** beta``."""
    x = _floats_only(input, "local_response_normalization")
    sq = ops.square(x)
    c = x.shape[-1]
    padded = ops.pad(sq, [[0, 0]] * (x.ndim - 1) + [[depth_radius, depth_radius]])
    window = None
    for i in range(2 * depth_radius + 1):
        part = ops.getitem(padded, (Ellipsis, slice(i, i + c)))
        window = part if window is None else ops.add(window, part)
    return ops.divide(x, ops.power(ops.add(bias, ops.multiply(alpha, window)), beta))


lrn = local_response_normalization


# -- embeddings ----------------------------------------------------------------------------------
def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of ``params`` at ``ids`` (the gradient accumulates into the looked-up rows);
    ``max_norm`` clips each looked-up row's L2 norm."""
    from ember.tf.array_ops import clip_by_norm, gather

    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise ValueError("embedding_lookup: ember takes one params tensor, not a sharded "
                             "list")
        params = params[0]
    out = gather(params, ids)
    if max_norm is not None:
        out = clip_by_norm(out, max_norm, axes=[-1])
    return out


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """The sum of (weighted) per-example losses divided by ``global_batch_size`` (the batch
    size by default)."""
    loss = _floats_only(per_example_loss, "compute_average_loss")
    if sample_weight is not None:
        loss = ops.multiply(loss, sample_weight)
    n = loss.shape[0] if global_batch_size is None else global_batch_size
    return ops.divide(ops.sum(loss), ops.cast(n, loss.dtype))


def zero_fraction(value, name=None):
    from ember.tf.math import zero_fraction as _zf

    return _zf(value)


def space_to_depth(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """Move ``block_size`` x ``block_size`` spatial blocks into the channel axis (NHWC)."""
    x = _to_tensor(input)
    n, h, w, c = x.shape
    b = int(block_size)
    if h % b or w % b:
        raise InvalidArgumentError(f"space_to_depth: height {h} and width {w} must be "
                                   f"divisible by block_size {b}")
    y = ops.reshape(x, (n, h // b, b, w // b, b, c))
    y = ops.transpose(y, (0, 1, 3, 2, 4, 5))
    return ops.reshape(y, (n, h // b, w // b, b * b * c))


def depth_to_space(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """The inverse of :func:`space_to_depth` (NHWC)."""
    x = _to_tensor(input)
    n, h, w, c = x.shape
    b = int(block_size)
    if c % (b * b):
        raise InvalidArgumentError(f"depth_to_space: channels {c} must be divisible by "
                                   f"block_size ** 2 = {b * b}")
    y = ops.reshape(x, (n, h, w, b, b, c // (b * b)))
    y = ops.transpose(y, (0, 1, 3, 2, 4, 5))
    return ops.reshape(y, (n, h * b, w * b, c // (b * b)))


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "ops", "xp", "raw", "InvalidArgumentError", "UnimplementedError", "SigmoidBCE", "SoftmaxCE",
    "SparseSoftmaxCE")]
