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
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``."""

    return E.negative(softplus(E.negative(x)))


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


# Convolution, pooling and the activations are part of keras.ops.nn too.
from ember.ops.activations import (  # noqa: E402,F401
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)
from ember.ops.conv import (  # noqa: E402,F401
    conv,
    conv_bias_act,
    conv_transpose,
    depthwise_conv,
    separable_conv,
)
from ember.ops.pooling import average_pool, max_pool  # noqa: E402,F401
