"""Nested elements of a Dataset: flattening, conversion and specs.

Inside a pipeline an element is a nested structure (tuples, namedtuples, dicts) of host arrays;
user functions see ember Tensors, as TensorFlow's eager tensors. Python values convert as
TensorFlow converts them: ints to int32 (int64 when they do not fit), floats to float32, bools to
bool, strings to bytes (dtype object, TensorFlow's ``tf.string``); NumPy arrays keep their dtype.
"""

from ember.autodiff.tensor import Tensor
from ember.backend import np

_INT32 = np.iinfo(np.int32)


def is_nested(value):
    return isinstance(value, (tuple, dict))


def flatten(structure):
    """The leaves of ``structure`` in TensorFlow's order (dict keys sorted)."""
    if isinstance(structure, tuple):
        out = []
        for s in structure:
            out.extend(flatten(s))
        return out
    if isinstance(structure, dict):
        out = []
        for k in sorted(structure):
            out.extend(flatten(structure[k]))
        return out
    return [structure]


def pack_as(structure, leaves):
    """``leaves`` (in :func:`flatten`'s order) arranged as ``structure``."""
    it = iter(leaves)

    def build(s):
        if isinstance(s, tuple):
            values = [build(v) for v in s]
            return type(s)(*values) if hasattr(s, "_fields") else tuple(values)
        if isinstance(s, dict):
            built = {k: build(s[k]) for k in sorted(s)}
            return {k: built[k] for k in s}
        return next(it)

    return build(structure)


def map_structure(fn, structure):
    return pack_as(structure, [fn(leaf) for leaf in flatten(structure)])


def same_structure(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return sorted(a) == sorted(b) and all(same_structure(a[k], b[k]) for k in a)
    return not is_nested(a) and not is_nested(b)


def _python_array(value):
    """A Python scalar or (nested) list as an array with TensorFlow's dtypes."""
    try:
        array = np.asarray(value)
    except ValueError:
        array = None
    if array is None or array.dtype == object and not _all_text(value):
        raise ValueError("Can't convert non-rectangular Python sequence to Tensor.")
    if array.dtype.kind in "US" or array.dtype == object:
        return np.vectorize(_as_bytes, otypes=[object])(array) if array.ndim else \
            np.asarray(_as_bytes(array.item()), dtype=object)
    if array.dtype.kind == "f" and not _has_numpy_leaf(value):
        return array.astype(np.float32)
    if array.dtype.kind == "i" and not _has_numpy_leaf(value):
        if array.size == 0 or (array.min() >= _INT32.min and array.max() <= _INT32.max):
            return array.astype(np.int32)
    return array


def _as_bytes(value):
    return value.encode() if isinstance(value, str) else value


def _all_text(value):
    if isinstance(value, (list, tuple)):
        return all(_all_text(v) for v in value)
    return isinstance(value, (str, bytes))


def _has_numpy_leaf(value):
    if isinstance(value, (list, tuple)):
        return any(_has_numpy_leaf(v) for v in value)
    return isinstance(value, (np.ndarray, np.generic, Tensor))


def to_array(value):
    """One leaf as a host array (see the module's docstring for the dtype rules)."""
    if isinstance(value, Tensor):
        value = value.data  # may be a NumPy scalar (an op on 0-d arrays): made 0-d below
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return np.asarray(value)
    if isinstance(value, list) and _has_numpy_leaf(value):
        return np.asarray([to_array(v) for v in value])
    if value is None:
        raise TypeError("tf.data: None is not a valid element value (a function returned "
                        "None, or a structure holds one)")
    if hasattr(value, "__array__") and not isinstance(value, (list, str, bytes)):
        return np.asarray(value)
    return _python_array(value)


def to_element(value, lists_are_tensors=True):
    """A user's value as an element: a structure of arrays.

    ``lists_are_tensors``: a list is one tensor (``from_tensor_slices([[1, 2], [3, 4]])``);
    otherwise (values a ``map`` function returns) a list is a tuple of components, as TF.
    """
    if isinstance(value, tuple):
        values = [to_element(v, lists_are_tensors) for v in value]
        return type(value)(*values) if hasattr(value, "_fields") else tuple(values)
    if isinstance(value, dict):
        return {k: to_element(v, lists_are_tensors) for k, v in value.items()}
    if isinstance(value, list) and not lists_are_tensors:
        return tuple(to_element(v, lists_are_tensors) for v in value)
    from ember.tf.data.dataset import Dataset

    if isinstance(value, Dataset):
        return value
    return to_array(value)


def to_tensors(element):
    """What user code sees: Tensors (Datasets, e.g. windows, pass as they are)."""
    if isinstance(element, np.ndarray):
        return Tensor(element)
    return map_structure(lambda a: Tensor(a) if isinstance(a, np.ndarray) else a, element)


def to_numpy(element):
    """What ``as_numpy_iterator`` yields: arrays, NumPy scalars for 0-d values, as TF."""
    def one(a):
        if isinstance(a, np.ndarray):
            return a[()] if a.ndim == 0 else a
        from ember.tf.data.dataset import Dataset

        if isinstance(a, Dataset):
            return a.as_numpy_iterator()
        return a

    if isinstance(element, np.ndarray):
        return one(element)
    return map_structure(one, element)


def tensor_spec(shape, dtype):
    from ember.tf.tf_function import TensorSpec

    return TensorSpec(shape, dtype)


def spec_of(element):
    """The element_spec of one element: TensorSpecs (DatasetSpecs for nested datasets)."""
    from ember.tf.data.dataset import Dataset

    def one(a):
        if isinstance(a, Dataset):
            return DatasetSpec(a.element_spec)
        return tensor_spec(a.shape, a.dtype)

    return map_structure(one, element)


def relax(spec_a, spec_b):
    """The most specific spec both ``spec_a`` and ``spec_b`` fit (differing dims -> None)."""
    def one(a, b):
        if isinstance(a, DatasetSpec):
            return a
        if a.shape.rank is None or b.shape.rank is None or len(a.shape) != len(b.shape):
            return tensor_spec(None, a.dtype)
        return tensor_spec(tuple(x if x == y else None for x, y in zip(a.shape, b.shape)),
                           a.dtype)

    return pack_as(spec_a, [one(a, b) for a, b in zip(flatten(spec_a), flatten(spec_b))])


def spec_dtypes_match(spec_a, spec_b):
    return same_structure(spec_a, spec_b) and all(
        getattr(a, "dtype", None) == getattr(b, "dtype", None)
        for a, b in zip(flatten(spec_a), flatten(spec_b)))


class DatasetSpec:
    """The spec of an element that is itself a Dataset (``window`` yields them)."""

    def __init__(self, element_spec, dataset_shape=()):
        self.element_spec = element_spec
        self.shape = tuple(dataset_shape)

    def __eq__(self, other):
        return isinstance(other, DatasetSpec) and other.element_spec == self.element_spec

    def __hash__(self):
        return hash(repr(self))

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape({list(self.shape)}))"
