"""``tf.TensorArray``: a list of tensors of one dtype and element shape, written and read by
index inside loops, then stacked. ember runs eagerly, so it behaves as TensorFlow's eager
TensorArray: ``write`` changes the array in place and returns it, an element read with
``clear_after_read`` (the default) cannot be read again, unwritten elements read as zeros.
Elements are ember Tensors and ``stack``/``gather``/``concat`` are ember ops, so gradients
flow from the results back to what was written.
"""

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import raw
from ember.tf.array_ops import _to_tensor
from ember.tf.errors import InvalidArgumentError, OutOfRangeError


class TensorArray:
    """A list of tensors of ``dtype`` (``size`` of them, growing past it when
    ``dynamic_size``); the first write fixes the element shape unless ``element_shape`` is
    given."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        from ember.tf.dtypes import as_dtype
        from ember.tf.tensor_shape import TensorShape

        if handle is not None or flow is not None:
            raise ValueError("TensorArray: handle and flow are graph-mode arguments; ember's "
                             "TensorArray is eager")
        self._dtype = as_dtype(dtype)
        size = 0 if size is None else int(size)
        if size < 0:
            raise ValueError(f"TensorArray: size must be non-negative, got {size}")
        self._dynamic = bool(dynamic_size)
        self._clear = True if clear_after_read is None else bool(clear_after_read)
        self._elements = [None] * size
        self._read = set()  # indices cleared by a read
        self._shape = TensorShape(element_shape)

    # -- properties ------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype

    @property
    def dynamic_size(self):
        return self._dynamic

    @property
    def element_shape(self):
        """The elements' TensorShape (unknown until the first write when not given)."""
        return self._shape

    def size(self, name=None):
        """The number of elements (an int32 scalar)."""
        return Tensor(xp.asarray(len(self._elements), dtype="int32"))

    # -- writing ---------------------------------------------------------------------------
    def _index(self, index, op):
        i = int(raw(index))
        if i < 0:
            raise OutOfRangeError(f"TensorArray.{op}: negative indices ({i}) are not allowed.")
        return i

    def _check_value(self, value):
        t = _to_tensor(value, self._dtype.as_numpy_dtype, "TensorArray.write")
        if t.dtype != self._dtype.as_numpy_dtype:
            raise InvalidArgumentError(f"TensorArray dtype is {self._dtype.name} but Op is "
                                       f"trying to write dtype {t.dtype.name}")
        if not self._shape.is_compatible_with(tuple(t.shape)):
            raise ValueError(f"Incompatible shape for value ({tuple(t.shape)}), expected "
                             f"({tuple(self._shape.as_list())})")
        if not self._shape.is_fully_defined():
            from ember.tf.tensor_shape import TensorShape

            self._shape = TensorShape(tuple(t.shape))
        return t

    def write(self, index, value, name=None):
        """Store ``value`` at ``index``; returns the array."""
        i = self._index(index, "write")
        if i >= len(self._elements):
            if not self._dynamic:
                raise OutOfRangeError(f"Tried to write to index {i} but array is not resizeable "
                                      f"and size is: {len(self._elements)}")
            self._elements.extend([None] * (i + 1 - len(self._elements)))
        self._elements[i] = self._check_value(value)
        self._read.discard(i)
        return self

    def unstack(self, value, name=None):
        """Write the rows of ``value`` (along axis 0) at indices 0, 1, ..."""
        t = _to_tensor(value, self._dtype.as_numpy_dtype, "TensorArray.unstack")
        n = t.shape[0] if t.ndim else 0
        if t.ndim == 0:
            raise ValueError("TensorArray.unstack: value must have rank >= 1")
        if n > len(self._elements) and not self._dynamic:
            raise ValueError(f"Cannot unstack {n} tensors into a TensorArray of static size "
                             f"{len(self._elements)}")
        return self.scatter(list(range(n)), t)

    def scatter(self, indices, value, name=None):
        """Write row ``k`` of ``value`` at ``indices[k]``."""
        t = _to_tensor(value, self._dtype.as_numpy_dtype, "TensorArray.scatter")
        idx = [int(i) for i in xp.asarray(raw(indices)).reshape(-1)]
        if t.ndim == 0 or t.shape[0] != len(idx):
            raise ValueError(f"TensorArray.scatter: value must have {len(idx)} rows (one per "
                             f"index), got shape {tuple(t.shape)}")
        for i, row in zip(idx, ops.unstack(t, axis=0) if idx else []):
            self.write(i, row)
        return self

    def split(self, value, lengths, name=None):
        """Write consecutive pieces of ``value`` (along axis 0) of ``lengths`` rows each."""
        t = _to_tensor(value, self._dtype.as_numpy_dtype, "TensorArray.split")
        sizes = [int(n) for n in xp.asarray(raw(lengths)).reshape(-1)]
        if t.ndim == 0 or sum(sizes) != t.shape[0] or min(sizes, default=0) < 0:
            raise InvalidArgumentError(f"TensorArray.split: lengths {sizes} must be "
                                       f"non-negative and sum to the rows of a value of shape "
                                       f"{tuple(t.shape)}")
        if len(sizes) > len(self._elements):
            if not self._dynamic:
                raise ValueError(f"Cannot split into {len(sizes)} pieces a TensorArray of "
                                 f"static size {len(self._elements)}")
            self._elements.extend([None] * (len(sizes) - len(self._elements)))
        # the pieces may differ in length: the element shape keeps axis 0 unknown
        from ember.tf.tensor_shape import TensorShape

        self._shape = TensorShape([None] + list(t.shape[1:]))
        start = 0
        for i, n in enumerate(sizes):
            self._elements[i] = ops.getitem(t, slice(start, start + n))
            self._read.discard(i)
            start += n
        return self

    # -- reading ---------------------------------------------------------------------------
    def _value(self, i):
        element = self._elements[i]
        if element is not None:
            return element
        if not self._shape.is_fully_defined():
            raise InvalidArgumentError(f"TensorArray: index {i} was never written and the "
                                       "element shape is unknown")
        return Tensor(xp.zeros(tuple(self._shape.as_list()), self._dtype.as_numpy_dtype))

    def read(self, index, name=None):
        """The element at ``index`` (zeros when never written)."""
        i = self._index(index, "read")
        if i >= len(self._elements):
            raise OutOfRangeError(f"Tried to read from index {i} but array size is: "
                                  f"{len(self._elements)}")
        if i in self._read:
            raise InvalidArgumentError(
                f"Could not read index {i} twice because it was cleared after a previous read "
                "(perhaps try setting clear_after_read = false?)")
        value = self._value(i)
        if self._clear:
            self._elements[i] = None
            self._read.add(i)
        return value

    def stack(self, name=None):
        """All the elements stacked along a new axis 0."""
        return self.gather(list(range(len(self._elements))))

    def gather(self, indices, name=None):
        """The elements at ``indices`` stacked along a new axis 0."""
        idx = [int(i) for i in xp.asarray(raw(indices)).reshape(-1)]
        for i in idx:
            if not 0 <= i < len(self._elements):
                raise OutOfRangeError(f"TensorArray.gather: index {i} is out of range for "
                                      f"size {len(self._elements)}")
        if not idx:
            shape = tuple(self._shape.as_list()) if self._shape.is_fully_defined() else ()
            return Tensor(xp.zeros((0,) + shape, self._dtype.as_numpy_dtype))
        return ops.stack([self._value(i) for i in idx], axis=0)

    def concat(self, name=None):
        """The elements (each of rank >= 1) joined along their axis 0."""
        if not self._elements:
            return Tensor(xp.zeros((0,), self._dtype.as_numpy_dtype))
        values = [self._value(i) for i in range(len(self._elements))]
        if any(v.ndim == 0 for v in values):
            raise InvalidArgumentError("TensorArray.concat: the elements must have rank >= 1")
        return ops.concatenate(values, axis=0)

    def identity(self):
        """The array itself (eagerly there is no flow to thread)."""
        return self

    def close(self, name=None):
        """Drop every element."""
        self._elements = []
        self._read = set()

    def __repr__(self):
        return (f"<TensorArray dtype={self._dtype.name} size={len(self._elements)} "
                f"element_shape={self._shape}>")
