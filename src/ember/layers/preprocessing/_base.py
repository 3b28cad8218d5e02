"""What the categorical preprocessing layers share: a data-side ``call`` (NumPy in, a Tensor out,
no gradient: their outputs are integer indices or counts, as Keras's run in ``tf.data``) and
Keras's ``encode_categorical_inputs``."""

from ember import ops
from ember.backend import to_numpy, xp
from ember.layers.layer import Layer
from ember.layers.node import is_symbolic


def as_array(value):
    """A NumPy array for ``value`` (a Tensor, an array, a list or a scalar); bytes strings are
    decoded as UTF-8 and object arrays of strings become ``str`` arrays."""
    array = to_numpy(value)
    if array.dtype.kind == "S":
        array = xp.char.decode(array, "utf-8")
    elif array.dtype.kind == "O":
        flat = [v.decode("utf-8") if isinstance(v, bytes) else v for v in array.reshape(-1)]
        array = xp.asarray(flat).reshape(array.shape) if flat else array.astype(str)
    return array


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None):
    """Keras's ``numerical_utils.encode_categorical_inputs`` on a NumPy index array:
    ``"int"`` casts; ``"one_hot"`` encodes each element (a trailing axis of size 1 is replaced);
    ``"multi_hot"`` and ``"count"`` encode each sample (the last axis of a rank-2 input, the
    whole of a rank-1 input); out-of-range indices encode to zeros."""
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices.reshape(1)
    indices = indices.astype("int64")
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices.reshape(indices.shape[:-1])
    hot = xp.zeros(indices.shape + (depth,), dtype=dtype)
    valid = (indices >= 0) & (indices < depth)
    where = xp.nonzero(valid)
    hot[where + (indices[valid],)] = 1
    if output_mode == "one_hot":
        return hot
    axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return hot.max(axis=axis)
    if count_weights is not None:
        hot = hot * count_weights[..., None]
    return hot.sum(axis=axis).astype(hot.dtype)


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of :func:`encode_categorical` for ``input_shape``."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


def batches_of(data, steps=None):
    """The batches of ``adapt``'s ``data``: a ``tf.data`` Dataset or any non-array iterable is
    a stream of batches (``steps`` of them at most); an array (or Tensor) is one batch."""
    from ember.autodiff.tensor import Tensor
    from ember.tf.data import Dataset

    if isinstance(data, Dataset) and steps is not None:
        data = data.take(steps)
    if isinstance(data, Dataset) or (hasattr(data, "__iter__") and not isinstance(
            data, (Tensor, str, bytes)) and not hasattr(data, "dtype")):
        out = []
        for i, batch in enumerate(data):
            if steps is not None and i >= steps:
                break
            if isinstance(batch, (tuple, list)) and len(batch) in (1, 2, 3) and \
                    hasattr(batch[0], "shape"):
                batch = batch[0]  # (x, y) pairs: adapt on x
            out.append(as_array(batch))
        return out
    return [as_array(data)]


class DataLayer(Layer):
    """A preprocessing layer computed on the host in NumPy (not differentiable): eager calls
    run ``call`` directly; symbolic calls go through ``compute_output_spec``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True

    def build(self, input_shape=None):
        self.built = True

    def __call__(self, *args, **kwargs):
        if is_symbolic((args, kwargs)):
            return super().__call__(*args, **kwargs)
        kwargs.pop("training", None)
        if not args and "inputs" in kwargs:
            args = (kwargs.pop("inputs"),)
        return self.call(*args, **kwargs)

    @staticmethod
    def _tensor(array):
        return ops.convert_to_tensor(array)
