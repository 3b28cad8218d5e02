"""``tf.TensorShape``: a shape whose dimensions may be unknown (``None``).

A tuple subclass, so that it is a drop-in for the tuples ember's engine and user code index,
compare and unpack; ``str`` gives ``(2, 3)`` (as a tuple, and as TensorFlow), ``repr``
``TensorShape([2, 3])``. An unknown rank is ``TensorShape(None)``.
"""


def _dim(value):
    if value is None:
        return None
    if hasattr(value, "value") and not isinstance(value, int):  # a Dimension-like object
        value = value.value
        if value is None:
            return None
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"TensorShape: dimensions must be integers or None. Received: {value!r}") from None
    if out < 0 and out != -1:
        raise ValueError(f"TensorShape: dimensions must be >= 0. Received: {value!r}")
    return None if out == -1 else out


class TensorShape(tuple):
    """The (possibly partially known) shape of a tensor.

    Args:
        dims: an iterable of ints / ``None``, an int (a 1-D shape), or ``None`` (unknown rank).
    """

    def __new__(cls, dims=()):
        if dims is None:
            return tuple.__new__(_UnknownShape, ())
        if isinstance(dims, TensorShape):
            if dims.rank is None:
                return tuple.__new__(_UnknownShape, ())
            return tuple.__new__(TensorShape, dims)
        if isinstance(dims, int):
            dims = (dims,)
        return tuple.__new__(TensorShape, (_dim(d) for d in dims))

    @property
    def rank(self):
        """The number of dimensions (``None`` when unknown)."""
        return len(self)

    ndims = rank

    @property
    def dims(self):
        """The dimensions as a list (ints, ``None`` for unknown ones)."""
        return list(self)

    def as_list(self):
        """The dimensions as a list of ints and ``None``."""
        return list(self)

    def num_elements(self):
        """The number of elements, or ``None`` when a dimension is unknown."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self:
            n *= d
        return n

    def is_fully_defined(self):
        return None not in tuple(self)

    def is_compatible_with(self, other):
        other = as_shape(other)
        if other.rank is None:
            return True
        return len(self) == len(other) and all(
            a is None or b is None or a == b for a, b in zip(self, other))

    def assert_is_compatible_with(self, other):
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def merge_with(self, other):
        """The most specific shape compatible with both (ValueError when they disagree)."""
        other = as_shape(other)
        if other.rank is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape(a if a is not None else b for a, b in zip(self, other))

    def concatenate(self, other):
        other = as_shape(other)
        if other.rank is None:
            return TensorShape(None)
        return TensorShape(tuple(self) + tuple(other))

    def assert_has_rank(self, rank):
        if len(self) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def with_rank(self, rank):
        self.assert_has_rank(rank)
        return self

    def as_proto(self):  # pragma: no cover - protos are not part of ember
        raise NotImplementedError("TensorShape.as_proto: ember has no protocol buffers")

    def __getitem__(self, key):
        if isinstance(key, slice):
            return TensorShape(tuple.__getitem__(self, key))
        return tuple.__getitem__(self, key)

    # Adding a plain tuple or list is tuple concatenation (a plain tuple), as it was before
    # shapes were TensorShapes: code builds reshape targets as ``x.shape[:1] + (-1,)``. Two
    # TensorShapes concatenate into a TensorShape, as TensorFlow's ``+``.
    def __add__(self, other):
        if isinstance(other, TensorShape):
            return self.concatenate(other)
        return tuple(self) + tuple(other)

    def __radd__(self, other):
        return tuple(other) + tuple(self)

    def __eq__(self, other):
        if isinstance(other, _UnknownShape):
            return False
        if isinstance(other, tuple):  # the common case (another shape): C tuple equality
            return tuple.__eq__(self, other)
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return tuple.__eq__(self, other)

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = tuple.__hash__

    def __repr__(self):
        return f"TensorShape({list(self)})"

    def __str__(self):
        return tuple.__repr__(self)

    def __reduce__(self):
        return (TensorShape, (list(self),))


class _UnknownShape(TensorShape):
    """A shape of unknown rank."""

    @property
    def rank(self):
        return None

    ndims = rank

    @property
    def dims(self):
        return None

    def as_list(self):
        raise ValueError("as_list() is not defined on an unknown TensorShape.")

    def num_elements(self):
        return None

    def is_fully_defined(self):
        return False

    def is_compatible_with(self, other):
        return True

    def merge_with(self, other):
        return as_shape(other)

    def concatenate(self, other):
        return self

    def __len__(self):
        raise ValueError("Cannot take the length of shape with unknown rank.")

    def __iter__(self):
        raise ValueError("Cannot iterate over a shape with unknown rank.")

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self
        return None

    def __eq__(self, other):
        return isinstance(other, _UnknownShape)

    __hash__ = tuple.__hash__

    def __repr__(self):
        return "TensorShape(None)"

    def __str__(self):
        return "<unknown>"

    def __reduce__(self):
        return (TensorShape, (None,))


def as_shape(shape):
    """``shape`` as a :class:`TensorShape`."""
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)
