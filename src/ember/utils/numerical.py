"""Label and array helpers of ``keras.utils``: ``to_categorical`` and ``normalize``."""

from ember.backend import np, to_numpy


def to_categorical(x, num_classes=None):
    """Converts a class vector (integers) to a one-hot matrix, as Keras.

    Args:
        x: Array-like of class indices in ``[0, num_classes)``. A trailing axis of size 1
            (shape ``(N, 1)``) is dropped, so ``(N, 1)`` labels give ``(N, num_classes)``.
        num_classes: Total number of classes; ``max(x) + 1`` when None.

    Returns:
        A float32 NumPy array of shape ``x.shape + (num_classes,)`` with the class axis last.

    Raises:
        ValueError: when a label is negative or not below ``num_classes``, or when the labels
            are not integers.

    Example:
        >>> to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]], dtype=float32)
    """
    labels = to_numpy(x)
    if labels.dtype.kind == "f":
        if labels.size and not np.all(np.isfinite(labels) & (labels == np.round(labels))):
            raise ValueError(
                "to_categorical expects integer class indices. Received non-integer values, "
                f"e.g. {labels[labels != np.round(labels)].ravel()[:3].tolist()}.")
    elif labels.dtype.kind not in "iub":
        raise ValueError(
            f"to_categorical expects integer class indices. Received dtype {labels.dtype}.")
    labels = labels.astype("int64")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if num_classes is None or num_classes == 0:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    num_classes = int(num_classes)
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        bad = flat[(flat < 0) | (flat >= num_classes)][:3].tolist()
        raise ValueError(
            f"to_categorical expects class indices in [0, {num_classes}) for "
            f"num_classes={num_classes}. Received labels out of range, e.g. {bad}.")
    out = np.zeros((flat.size, num_classes), dtype="float32")
    out[np.arange(flat.size), flat] = 1.0
    return out.reshape(tuple(shape) + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Normalizes an array along ``axis`` by its ``order``-norm, as Keras.

    Slices whose norm is 0 are left unchanged (divided by 1).

    Args:
        x: Array to normalize (array-like or Tensor).
        axis: Axis along which to normalize.
        order: Normalization order (``order=2`` for the L2 norm, as ``numpy.linalg.norm``).

    Returns:
        A normalized copy of ``x`` as a NumPy array of the same shape (float inputs keep their
        dtype, integer inputs become float64).

    Example:
        >>> normalize([[3.0, 4.0]])
        array([[0.6, 0.8]])
    """
    x = to_numpy(x)
    if x.dtype.kind not in "fc":
        x = x.astype("float64")
    if axis is None:
        axis = -1
    norm = np.linalg.norm(x, order, axis, keepdims=True).astype(x.dtype, copy=False)
    norm[norm == 0] = 1
    return x / norm
