"""Fused ops that exist for speed: one node instead of several on the tape."""

from ember.autodiff.function import Function, autocast_dtype
from ember.backend import xp
from ember.backend.half import matmul
from ember.ops._helpers import raw
from ember.ops.elementwise import cast
from ember.ops.normalization import bias_relu_inplace, relu_bias_grad


class Affine(Function):
    """``activation(x @ kernel + bias)`` over the last axis of ``x``, with ``activation`` None or
    ``"relu"``: the Dense layer's whole computation as one op (one GEMM forward, at most two
    backward, no temporaries beyond the output)."""

    def __init__(self, relu=False):
        self.relu = relu

    def forward(self, x, kernel, bias=None):
        shape = x.shape
        x2 = x.reshape(-1, shape[-1]) if x.ndim != 2 else x
        y = matmul(x2, kernel)  # float16/bfloat16: a float32 GEMM (see ember.backend.half)
        if bias is None or not bias_relu_inplace(y, bias, self.relu):
            if bias is not None:
                y += bias
            if self.relu:
                xp.maximum(y, 0, out=y)
        if self.recording:
            self.saved = (x2, kernel, y, shape)
        return y.reshape(shape[:-1] + (kernel.shape[1],)) if x.ndim != 2 else y

    def backward(self, gy):
        x2, kernel, y, shape = self.saved
        g = gy.reshape(-1, kernel.shape[1]) if gy.ndim != 2 else gy
        gb = None
        fused = relu_bias_grad(g, y) if self.relu and len(self.needs) > 2 and \
            self.needs[2] else None
        if fused is not None:  # the masked gradient and the bias gradient in one pass
            g, gb = fused
        elif self.relu:
            g = g * (y > 0)
        gx = matmul(g, kernel.T).reshape(shape) if self.needs[0] else None
        gk = matmul(x2.T, g) if self.needs[1] else None
        if len(self.needs) > 2:
            if gb is None and self.needs[2]:
                gb = g.sum(axis=0)
            return gx, gk, gb
        return gx, gk

    def backward_ops(self, gy, x, kernel, bias=None):
        from ember.ops.linalg import matmul
        from ember.ops.reduction import sum as _sum
        from ember.ops.shape import reshape, transpose

        _, _, y, shape = self.saved
        g = reshape(gy, (-1, kernel.shape[1]))
        if self.relu:
            g = g * (y > 0).astype(g.dtype)  # a constant mask (the output's)
        gx = reshape(matmul(g, transpose(kernel)), shape) if self.needs[0] else None
        gk = matmul(transpose(reshape(x, (-1, shape[-1]))), g) if self.needs[1] else None
        if bias is None:
            return gx, gk
        return gx, gk, (_sum(g, axis=0) if self.needs[2] else None)


def affine(x, kernel, bias=None, relu=False):
    """``x @ kernel + bias`` (then ReLU when ``relu``) over the last axis of ``x``."""
    xs, ks = tuple(getattr(x, "shape", ())), tuple(kernel.shape)
    if len(xs) < 1 or len(ks) != 2 or xs[-1] != ks[0]:
        raise ValueError(
            f"affine: the last axis of the input ({xs[-1] if xs else None}) must equal the "
            f"kernel's first axis. Received input shape {xs} and kernel shape {ks}"
        )
    if xp.asarray(raw(x)).dtype.kind in "iub" and kernel.dtype.kind == "f":
        # integer inputs: the kernel's float dtype as the op reads it (the compute dtype in
        # a mixed-precision layer), as Keras's Dense
        x = cast(x, autocast_dtype() or kernel.dtype)
    if bias is None:
        return Affine(relu).apply(x, kernel)
    return Affine(relu).apply(x, kernel, bias)
