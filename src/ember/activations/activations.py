"""The activation functions, each registered under its Keras name."""

from ember import ops
from ember.registry import register


@register("activation")
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: ``max(x, 0)``, with Keras's optional arguments.

    With defaults it is one op. ``negative_slope`` scales values below ``threshold``,
    ``max_value`` caps the result, and values below ``threshold`` (when no slope) become 0.
    """
    if max_value is None and threshold == 0:
        if negative_slope == 0:
            return ops.relu(x)
        return ops.leaky_relu(x, negative_slope=negative_slope)
    x = ops.convert_to_tensor(x)
    if threshold != 0:
        out = ops.where(ops.greater(x, threshold), x, 0.0)
    else:
        out = ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0.0, float(max_value))
    if negative_slope != 0:
        # below the threshold: negative_slope * (x - threshold)
        below = ops.relu(ops.subtract(threshold, x))
        out = ops.subtract(out, ops.multiply(below, float(negative_slope)))
    return out


@register("activation")
def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x > 0`` else ``negative_slope * x``."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


@register("activation")
def relu6(x):
    """``min(max(x, 0), 6)``."""
    return ops.relu6(x)


@register("activation")
def softmax(x, axis=-1):
    """Softmax along ``axis``. A following crossentropy uses its logits (exact and stable)."""
    return ops.softmax(x, axis=axis)


@register("activation")
def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed stably."""
    return ops.log_softmax(x, axis=axis)


@register("activation")
def elu(x, alpha=1.0):
    """``x`` for ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    return ops.elu(x, alpha=alpha)


@register("activation")
def selu(x):
    """Scaled exponential linear unit (self-normalizing constants)."""
    return ops.selu(x)


@register("activation")
def softplus(x):
    """``log(exp(x) + 1)``, stable for large ``|x|``."""
    return ops.softplus(x)


@register("activation")
def softsign(x):
    """``x / (abs(x) + 1)``."""
    return ops.softsign(x)


@register("activation", aliases=("swish",))
def silu(x):
    """``x * sigmoid(x)`` (also known as swish)."""
    return ops.silu(x)


swish = silu


@register("activation")
def gelu(x, approximate=False):
    """Gaussian error linear unit; exact (erf) by default, as ``keras.activations.gelu``."""
    return ops.gelu(x, approximate=approximate)


@register("activation")
def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


@register("activation")
def sigmoid(x):
    """``1 / (1 + exp(-x))``. A following binary crossentropy uses its logits."""
    return ops.sigmoid(x)


@register("activation")
def exponential(x):
    """``exp(x)``."""
    return ops.exp(x)


@register("activation")
def hard_sigmoid(x):
    """``clip(x / 6 + 0.5, 0, 1)`` (Keras 3's piecewise-linear sigmoid)."""
    return ops.hard_sigmoid(x)


@register("activation", aliases=("hard_swish",))
def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = ops.convert_to_tensor(x)
    return ops.multiply(x, ops.hard_sigmoid(x))


hard_swish = hard_silu


@register("activation")
def mish(x):
    """``x * tanh(softplus(x))``."""
    x = ops.convert_to_tensor(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


@register("activation")
def linear(x):
    """The identity: returns ``x`` unchanged."""
    return x


@register("activation")
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` for ``x > 0`` else
    ``alpha * (exp(x / alpha) - 1)``."""
    return ops.celu(x, alpha=alpha)


@register("activation")
def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` for the halves ``a, b`` of ``x`` along ``axis``."""
    return ops.glu(x, axis=axis)


@register("activation")
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return ops.hard_shrink(x, threshold=threshold)


@register("activation")
def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return ops.hard_tanh(x)


@register("activation")
def log_sigmoid(x):
    """``log(sigmoid(x))``, stable for large ``|x|``."""
    return ops.log_sigmoid(x)


@register("activation")
def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` towards 0, and 0 within ``[-threshold, threshold]``."""
    return ops.soft_shrink(x, threshold=threshold)


@register("activation")
def sparse_plus(x):
    """0 below -1, ``x`` above 1, ``(x + 1)**2 / 4`` in between."""
    return ops.sparse_plus(x)


@register("activation")
def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``."""
    return ops.sparse_sigmoid(x)


@register("activation")
def sparsemax(x, axis=-1):
    """Sparsemax along ``axis``: a probability distribution with exact zeros."""
    return ops.sparsemax(x, axis=axis)


@register("activation")
def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    return ops.squareplus(x, b=b)


@register("activation")
def tanh_shrink(x):
    """``x - tanh(x)``."""
    return ops.tanh_shrink(x)


@register("activation")
def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    return ops.threshold(x, threshold, default_value)
