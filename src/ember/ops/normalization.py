"""Fused normalization ops: batch normalization (training and inference), layer normalization,
and the bias + ReLU tail of convolution layers. Each is one node on the tape with an analytic
backward, instead of the dozen elementwise ops and reductions it would be when composed.

(The module is not called ``norm`` because ``ember.ops.norm`` is the vector-norm op.)

Formulas, with ``xhat = (x - mean) / sqrt(var + eps)`` and ``y = gamma * xhat + beta``:

    d beta  = sum(gy)                 d gamma = sum(gy * xhat)
    d x     = gamma / sqrt(var + eps) * (gy - mean(gy) - xhat * mean(gy * xhat))

where sums and means run over the normalized (reduced) axes. Statistics use the biased
variance, as Keras (``ops.moments``).
"""

from ember.autodiff.function import Function
from ember.backend import kernels, xp
from ember.ops._parallel import for_batches


def _to_last(x, axis):
    """``x`` with ``axis`` moved last, as a contiguous (rows, channels) matrix."""
    if axis in (-1, x.ndim - 1):
        return x.reshape(-1, x.shape[-1])
    moved = xp.moveaxis(x, axis, -1)
    return xp.ascontiguousarray(moved).reshape(-1, moved.shape[-1])


def _from_last(y2, shape, axis):
    if axis in (-1, len(shape) - 1):
        return y2.reshape(shape)
    moved_shape = tuple(d for i, d in enumerate(shape) if i != axis % len(shape)) + (
        shape[axis],)
    return xp.moveaxis(y2.reshape(moved_shape), -1, axis)


def _column_sums(a):
    """Sums over the rows of a 2D array through BLAS (faster and more accurate than a
    row-by-row ``a.sum(axis=0)`` for tall float32 matrices)."""
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


class BatchNormTrain(Function):
    """Batch normalization with the batch's statistics over every axis but ``axis``.

    Inputs: x, then gamma if ``scale``, then beta if ``center``. After ``forward``,
    ``self.batch_mean`` and ``self.batch_var`` hold the statistics used (for the moving
    averages).
    """

    def __init__(self, axis, epsilon, scale, center):
        self.axis, self.epsilon, self.scale, self.center = axis, epsilon, scale, center

    def forward(self, x, *params):
        gamma = params[0] if self.scale else None
        beta = params[-1] if self.center else None
        x2 = _to_last(x, self.axis)
        n = x2.shape[0]
        mean = _column_sums(x2) / n
        xhat = x2 - mean
        var = xp.einsum("ij,ij->j", xhat, xhat) / n
        inv = 1.0 / xp.sqrt(var + self.epsilon)
        xhat *= inv
        if gamma is not None:
            y = xhat * gamma
        else:
            y = xhat.copy() if self.recording else xhat
        if beta is not None:
            y += beta
        self.batch_mean, self.batch_var = mean, var
        if self.recording:
            self.saved = (xhat, inv, gamma, x.shape)
        return _from_last(y, x.shape, self.axis)

    def backward(self, gy):
        xhat, inv, gamma, shape = self.saved
        gy2 = _to_last(gy, self.axis)
        n = gy2.shape[0]
        sum_gy = _column_sums(gy2)
        sum_gy_xhat = xp.einsum("ij,ij->j", gy2, xhat)
        grads = []
        if self.needs[0]:
            scale = inv if gamma is None else gamma * inv
            gx = xhat * (sum_gy_xhat * (-1.0 / n))
            gx += gy2
            gx -= sum_gy / n
            gx *= scale
            grads.append(_from_last(gx, shape, self.axis))
        else:
            grads.append(None)
        if self.scale:
            grads.append(sum_gy_xhat)
        if self.center:
            grads.append(sum_gy)
        return tuple(grads)


class BatchNormInference(Function):
    """``(x - mean) / sqrt(var + eps) * gamma + beta`` with given (moving) statistics, as one
    affine map per channel. Inputs: x, mean, var, then gamma if ``scale``, beta if
    ``center``; mean and var get no gradient."""

    def __init__(self, axis, epsilon, scale, center):
        self.axis, self.epsilon, self.scale, self.center = axis, epsilon, scale, center

    def forward(self, x, mean, var, *params):
        gamma = params[0] if self.scale else None
        beta = params[-1] if self.center else None
        inv = 1.0 / xp.sqrt(var + self.epsilon)
        mult = inv if gamma is None else gamma * inv
        shift = -mean * mult
        if beta is not None:
            shift = shift + beta
        shape = [1] * x.ndim
        shape[self.axis] = x.shape[self.axis]
        y = x * mult.reshape(shape).astype(x.dtype, copy=False)
        y += shift.reshape(shape).astype(x.dtype, copy=False)
        if self.recording:
            self.saved = (x, mean, inv, mult, shape)
        return y

    def backward(self, gy):
        x, mean, inv, mult, shape = self.saved
        grads = [gy * mult.reshape(shape) if self.needs[0] else None, None, None]
        gy2 = _to_last(gy, self.axis)
        if self.scale:
            xhat = (_to_last(x, self.axis) - mean) * inv
            grads.append(xp.einsum("ij,ij->j", gy2, xhat))
        if self.center:
            grads.append(_column_sums(gy2))
        return tuple(grads)


def batch_norm_train(x, gamma, beta, axis=-1, epsilon=1e-3):
    """Batch-normalize ``x`` with its own statistics over every axis but ``axis``.

    Returns ``(y, batch_mean, batch_var)``; the statistics are plain arrays (no gradient),
    the biased variance as Keras.
    """
    op = BatchNormTrain(axis, float(epsilon), gamma is not None, beta is not None)
    y = op.apply(x, *[p for p in (gamma, beta) if p is not None])
    return y, op.batch_mean, op.batch_var


def batch_norm_inference(x, mean, variance, gamma, beta, axis=-1, epsilon=1e-3):
    """Normalize ``x`` with the given statistics (the moving ones, at inference)."""
    op = BatchNormInference(axis, float(epsilon), gamma is not None, beta is not None)
    return op.apply(x, mean, variance, *[p for p in (gamma, beta) if p is not None])


class LayerNorm(Function):
    """Normalization of each row over the trailing ``k`` axes (x reshaped to (rows, size)),
    then ``* gamma + beta`` with gamma and beta of the trailing axes' shape."""

    def __init__(self, k, epsilon, scale, center):
        self.k, self.epsilon, self.scale, self.center = k, epsilon, scale, center

    def forward(self, x, *params):
        gamma = params[0].reshape(-1) if self.scale else None
        beta = params[-1].reshape(-1) if self.center else None
        shape = x.shape
        size = 1
        for d in shape[len(shape) - self.k:]:
            size *= d
        x2 = x.reshape(-1, size)
        xhat = x2 - x2.mean(axis=1, keepdims=True)
        var = xp.einsum("ij,ij->i", xhat, xhat)[:, None] / size
        inv = 1.0 / xp.sqrt(var + self.epsilon)
        xhat *= inv
        y = xhat * gamma if gamma is not None else xhat.copy()
        if beta is not None:
            y += beta
        if self.recording:
            self.saved = (xhat, inv, gamma, shape, [p.shape for p in params])
        return y.reshape(shape)

    def backward(self, gy):
        xhat, inv, gamma, shape, pshapes = self.saved
        gy2 = gy.reshape(xhat.shape)
        size = xhat.shape[1]
        grads = [None]
        if self.needs[0]:
            g = gy2 * gamma if gamma is not None else gy2.copy()
            proj = xp.einsum("ij,ij->i", g, xhat)[:, None] / size
            gx = xhat * -proj
            gx += g
            gx -= g.mean(axis=1, keepdims=True)
            gx *= inv
            grads[0] = gx.reshape(shape)
        i = 0
        if self.scale:
            grads.append(xp.einsum("ij,ij->j", gy2, xhat).reshape(pshapes[i]))
            i += 1
        if self.center:
            grads.append(_column_sums(gy2).reshape(pshapes[i]))
        return tuple(grads)


def layer_norm(x, gamma, beta, num_axes=1, epsilon=1e-3):
    """Normalize ``x`` over its last ``num_axes`` axes, then scale by ``gamma`` and shift by
    ``beta`` (each None or of those axes' shape)."""
    op = LayerNorm(int(num_axes), float(epsilon), gamma is not None, beta is not None)
    return op.apply(x, *[p for p in (gamma, beta) if p is not None])


class BiasAct(Function):
    """``act(x + bias)`` over the last axis, ``act`` None or ``"relu"``: the tail of a
    convolution layer as one op (one new array forward, one backward). With ``inplace`` the
    result is written over ``x``'s array: only for an ``x`` that is a fresh intermediate
    nothing else reads (a convolution's output, whose op keeps no reference to it)."""

    def __init__(self, relu, inplace=False):
        self.relu, self.inplace = relu, inplace

    def forward(self, x, bias):
        inplace = self.inplace and x.flags.writeable
        kernel = _bias_relu_kernel(x, bias)
        if kernel is not None:
            y = x if inplace else x.copy()
            run_bias_relu(kernel, y, bias, self.relu)
        else:
            if inplace:
                y = x
                y += bias
            else:
                y = x + bias
            if self.relu:
                xp.maximum(y, 0, out=y)
        if self.recording:
            self.saved = y if self.relu else None
        return y

    def backward(self, gy):
        y = self.saved
        if self.needs[1]:
            fused = relu_bias_grad(gy, y)
            if fused is not None:
                return fused
        if gy.dtype == xp.float32 and _has_subnormals(gy):
            g = _flushed(gy, y if self.relu else None)
        else:
            g = gy * (y > 0) if self.relu else gy
        gb = _column_sums(g.reshape(-1, g.shape[-1])) if self.needs[1] else None
        return g, gb


def _bias_relu_kernel(y, bias):
    """The compiled bias+ReLU kernel when it can take ``y`` and ``bias``, else None."""
    if y.dtype == xp.float32 and y.flags.c_contiguous and y.size and \
            bias.dtype == y.dtype and bias.shape == y.shape[-1:]:
        return kernels.get("bias_relu")
    return None


def run_bias_relu(kernel, y, bias, relu):
    """``y = relu(y + bias)`` (or ``y + bias``) in place over the last axis, split over the
    cores; ``kernel`` from ``_bias_relu_kernel``."""
    y2 = y.reshape(-1, y.shape[-1])
    b = xp.ascontiguousarray(bias)

    def run(rows):
        kernel(y2[rows], b, rows.stop - rows.start, y2.shape[1], relu)

    for_batches(run, len(y2), y.nbytes)


def bias_relu_inplace(y, bias, relu):
    """``y = relu(y + bias)`` in place with the compiled kernel; False (``y`` untouched) when
    the kernel is off or cannot take these arrays."""
    kernel = _bias_relu_kernel(y, bias)
    if kernel is None:
        return False
    run_bias_relu(kernel, y, bias, relu)
    return True


def relu_bias_grad(gy, y):
    """The backward of ``relu(x + bias)`` (of ``x + bias`` when ``y`` is None) with the
    compiled kernel, in one pass per row block: the flushed, masked gradient and its column
    sums (the bias gradient). None when the kernel is off or cannot take these arrays."""
    if not (gy.dtype == xp.float32 and gy.flags.c_contiguous and gy.size and
            (y is None or y.dtype == xp.float32 and y.flags.c_contiguous)):
        return None
    kernel = kernels.get("relu_grad_sums")
    if kernel is None:
        return None
    gy2 = gy.reshape(-1, gy.shape[-1])
    y2 = y.reshape(gy2.shape) if y is not None else None
    g = xp.empty(gy2.shape, dtype=gy.dtype)
    parts = {}

    def run(rows):
        sums = xp.empty(gy2.shape[1], dtype=gy.dtype)
        kernel(gy2[rows], None if y2 is None else y2[rows], g[rows], sums,
               rows.stop - rows.start, gy2.shape[1])
        parts[rows.start] = sums

    for_batches(run, len(gy2), g.nbytes)
    gb = None
    for start in sorted(parts):
        gb = parts[start] if gb is None else gb + parts[start]
    return g.reshape(gy.shape), gb


_SAMPLE_STRIDE = 61  # coprime with the usual channel counts, so every channel is sampled


def _has_subnormals(g):
    """Whether float32 ``g`` holds subnormal values, judged on every 61st element (they come
    in whole rows: the gradient of a confidently classified sample), or True when ``g`` is not
    contiguous (then the flush runs anyway)."""
    if not g.flags.c_contiguous:
        return True
    bits = g.reshape(-1)[::_SAMPLE_STRIDE].view(xp.int32)
    return bool(xp.any((xp.bitwise_and(bits, 0x7F800000) == 0) &
                       (xp.bitwise_and(bits, 0x7FFFFFFF) != 0)))


def _flushed(g, y=None):
    """float32 ``g`` with subnormal values set to 0 (and, given ``y``, zero where ``y <= 0``:
    ReLU's gradient), computed on the bit patterns.

    Subnormal floats (|g| < 1.2e-38, e.g. from softmax probabilities that underflow) make every
    BLAS product they enter about 100x slower (and float arithmetic on them slow as well), and
    NumPy cannot set the CPU to flush them to zero as TensorFlow does. Integer operations on the
    exponent bits are not slowed down, so the flush happens there, before the gradient reaches
    a convolution's GEMMs.
    """
    bits = g.view(xp.int32)
    keep = xp.bitwise_and(bits, 0x7F800000) != 0
    if y is not None:
        keep &= y.view(xp.int32) > 0  # y > 0 for every non-NaN float32
    return xp.multiply(bits, keep, dtype=xp.int32).view(xp.float32)


def bias_act(x, bias, relu=False, inplace=False):
    """``x + bias`` over the last axis, followed by ReLU when ``relu``; ``inplace`` reuses
    ``x``'s memory (see BiasAct)."""
    return BiasAct(bool(relu), bool(inplace)).apply(x, bias)


__all__ = ["batch_norm_train", "batch_norm_inference", "layer_norm", "bias_act"]
