"""``tf.data.Dataset``: input pipelines of transformations, iterated lazily.

A Dataset is a recipe: each iteration (``iter(ds)``, ``for x in ds``, ``fit``'s epochs) runs it
from the start. Elements flow through the pipeline as nested structures of host arrays and reach
user code (``map`` functions, the iterator) as ember Tensors, as TensorFlow's eager tensors.
Transformations run in the consumer's thread, except ``prefetch`` (a producer thread that keeps a
bounded buffer full) and ``map(num_parallel_calls=...)`` (a thread pool; results in order unless
``deterministic=False``). Stopping an iteration early (``break``, ``take``, an exception) stops
those threads.

Differences from TensorFlow, by design: functions run eagerly, so an error inside a ``map``
function surfaces on the first iteration, not when ``map`` is called, and an exception a
function or generator raises passes through unchanged (TF wraps it in ``UnknownError``); the
``element_spec`` of ``map``/``flat_map`` is found by running the function on the first two
elements (dimensions that differ, or that follow an unknown input dimension, become None).
"""

import collections
import itertools
import json
import os
import threading
import uuid
import weakref
import zipfile
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ember.autodiff.tensor import Tensor
from ember.backend import np
from ember.tf.data import structure as st

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
_INF, _UNKNOWN = INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
# AUTOTUNE's prefetch depth: enough to hide a consumer's jitter, small enough for big batches
_AUTOTUNE_PREFETCH = 8


def _errors():
    from ember.tf import errors

    return errors


def _int(value, what, op):
    """``value`` (an int, a NumPy integer or a 0-d integer Tensor) as a Python int."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: `{what}` must be an integer, got {value!r} "
                        f"({type(value).__name__})")
    return int(value)


def _call(fn, element):
    """Call a user function on an element: a tuple is spread over the arguments, as TF."""
    args = st.to_tensors(element)
    if type(element) is tuple:
        return fn(*args)
    return fn(args)


def _close(iterator):
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


class Options:
    """``tf.data.Options``: settings carried by a dataset (``deterministic`` is honoured by a
    parallel ``map``; others are accepted and kept)."""

    def __init__(self):
        self.deterministic = None

    @property
    def experimental_deterministic(self):
        return self.deterministic

    @experimental_deterministic.setter
    def experimental_deterministic(self, value):
        self.deterministic = value

    def merge(self, other):
        merged = Options()
        merged.__dict__.update({k: v for k, v in self.__dict__.items() if v is not None})
        merged.__dict__.update({k: v for k, v in other.__dict__.items() if v is not None})
        return merged


class Dataset:
    """A sequence of elements built from sources and transformations (``tf.data.Dataset``).

    Build one with :meth:`from_tensor_slices`, :meth:`from_tensors`, :meth:`from_generator`,
    :meth:`range` or :meth:`zip`, then chain transformations (``map``, ``shuffle``, ``batch``,
    ``prefetch`` ...); iterate it with ``for``, or pass it to ``Model.fit``.
    """

    def __init__(self, *inputs):
        self._inputs = inputs
        self._spec_cache = None
        self._opts = None

    # -- what subclasses define ------------------------------------------------------------
    def _iter(self):
        """A Python iterator over the elements (structures of host arrays)."""
        raise NotImplementedError

    def _card(self):
        return _UNKNOWN

    def _spec(self):
        return self._inputs[0].element_spec

    def _indexed(self):
        """For a pass whose elements are rows of in-memory arrays: ``(order, row, gather)``,
        the row indices the pass yields (a 1-d int array), a function giving one row's
        element, and one giving the rows of an index array stacked as a batch. None
        otherwise. Shuffling and batching such a pass take whole index arrays at once instead
        of element after element (same elements, same semantics)."""
        return None

    # -- inspection ------------------------------------------------------------------------
    @property
    def element_spec(self):
        """The structure of ``tf.TensorSpec`` of each element (None for unknown sizes)."""
        if self._spec_cache is None:
            self._spec_cache = self._spec()
        return self._spec_cache

    def cardinality(self):
        """The number of elements as an int64 scalar Tensor, or ``INFINITE_CARDINALITY`` (-1)
        / ``UNKNOWN_CARDINALITY`` (-2)."""
        return Tensor(np.asarray(self._card(), dtype=np.int64))

    def __len__(self):
        n = self._card()
        if n == _INF:
            raise TypeError("The dataset is infinite.")
        if n == _UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True  # not len(): an empty or unknown-length dataset is still a dataset

    def __repr__(self):
        return f"<{type(self).__name__} element_spec={self.element_spec!r}>"

    def options(self):
        """The ``tf.data.Options`` of this dataset (merged along the pipeline)."""
        opts = Options()
        for d in self._inputs:
            if isinstance(d, Dataset):
                opts = opts.merge(d.options())
        return opts.merge(self._opts) if self._opts is not None else opts

    def with_options(self, options):
        return _OptionsDataset(self, options)

    # -- iteration -------------------------------------------------------------------------
    def __iter__(self):
        return OwnedIterator(self)

    def as_numpy_iterator(self):
        """An iterator over the elements as NumPy values (scalars for 0-d elements)."""
        return _NumpyIterator(self)

    def reduce(self, initial_state, reduce_func):
        """Fold the elements: ``state = reduce_func(state, element)``; returns the final state
        as Tensors. The state keeps its structure and dtypes (TypeError otherwise, as TF)."""
        state = st.to_element(initial_state)
        spec = st.spec_of(state)
        for element in _Running(self):
            args = st.to_tensors(element)
            state = st.to_element(reduce_func(st.to_tensors(state), args),
                                  lists_are_tensors=False)
            if not st.spec_dtypes_match(spec, st.spec_of(state)):
                raise TypeError(
                    "The element types for the new state must match the initial state. "
                    f"Expected {_dtypes(spec)}; got {_dtypes(st.spec_of(state))}.")
        return st.to_tensors(state)

    def apply(self, transformation_func):
        """``transformation_func(self)``, which must return a Dataset."""
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError("apply: `transformation_func` must return a Dataset, got "
                            f"{type(result).__name__}")
        return result

    # -- sources ---------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row: slices ``tensors`` (a structure of arrays sharing their first
        dimension) along that dimension."""
        return _TensorSliceDataset(st.to_element(tensors))

    @staticmethod
    def from_tensors(tensors, name=None):
        """One element: ``tensors`` as they are."""
        return _TensorDataset(st.to_element(tensors))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """Elements yielded by ``generator(*args)``, called anew on each iteration, converted
        to ``output_signature`` (a structure of ``tf.TensorSpec``) or to ``output_types`` /
        ``output_shapes``."""
        return _GeneratorDataset(generator, output_types, output_shapes, args,
                                 output_signature)

    @staticmethod
    def range(*args, output_type="int64", name=None):
        """``range(stop)``, ``range(start, stop[, step])`` as int64 scalars."""
        return _RangeDataset(args, output_type)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        """Elements of several datasets side by side: ``zip((a, b))``, ``zip(a, b)`` or
        ``zip({"x": a, "y": b})``; as long as the shortest."""
        if datasets is not None and args:
            raise TypeError("zip: pass the datasets positionally or as `datasets`, not both.")
        if datasets is None:
            if not args:
                raise TypeError("zip: expected at least one dataset.")
            datasets = args[0] if len(args) == 1 else tuple(args)
        return _ZipDataset(datasets)

    # -- transformations -------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func`` applied to each element (a tuple element is spread over its
        arguments); ``num_parallel_calls`` runs it on that many threads (AUTOTUNE: one per
        core), keeping the order unless ``deterministic=False``."""
        return _MapDataset(self, map_func, num_parallel_calls, deterministic)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate`` returns a scalar bool True."""
        return _FilterDataset(self, predicate)

    def flat_map(self, map_func, name=None):
        """The elements of the datasets ``map_func`` returns, one dataset after the other."""
        return _FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        """Elements of the datasets ``map_func`` returns, taken ``block_length`` at a time
        from ``cycle_length`` of them in turn (TensorFlow's order)."""
        return _InterleaveDataset(self, map_func, cycle_length, block_length)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Randomly shuffled through a buffer of ``buffer_size`` elements: each output is drawn
        uniformly from the buffer and replaced by the next input (so an element moves at most
        ``buffer_size - 1`` places earlier). A new order each iteration unless
        ``reshuffle_each_iteration=False``."""
        return _ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Consecutive elements stacked into batches of ``batch_size`` (a shorter last batch
        unless ``drop_remainder``)."""
        return _BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """Batches of elements padded to common shapes (``padded_shapes``; None dims: the
        largest in the batch) with ``padding_values`` (0 / b"" by default)."""
        return _PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                   drop_remainder)

    def unbatch(self, name=None):
        """The rows of each element (the inverse of ``batch``)."""
        return _UnbatchDataset(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """The rows re-grouped into batches of ``batch_size`` (a list cycles through sizes)."""
        return _RebatchDataset(self, batch_size, drop_remainder)

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times (forever when None or negative)."""
        return _RepeatDataset(self, count)

    def take(self, count, name=None):
        """The first ``count`` elements (all when negative)."""
        return _TakeDataset(self, count)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none when negative)."""
        return _SkipDataset(self, count)

    def take_while(self, predicate, name=None):
        """The elements up to the first for which ``predicate`` is False."""
        return _TakeWhileDataset(self, predicate)

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element, starting at ``index``."""
        return _ShardDataset(self, num_shards, index)

    def cache(self, filename="", name=None):
        """The elements of the first complete iteration, replayed afterwards: in memory, or in
        the file ``filename`` (written atomically when the iteration completes, read by later
        iterations and later programs)."""
        return _CacheDataset(self, filename)

    def prefetch(self, buffer_size, name=None):
        """Elements produced ahead by a background thread into a buffer of ``buffer_size``
        (AUTOTUNE: a few), overlapping the pipeline with the consumer."""
        return _PrefetchDataset(self, buffer_size)

    def enumerate(self, start=0, name=None):
        """``(index, element)`` pairs, the index an int64 counting from ``start``."""
        return _ZipDataset((_RangeDataset((start, np.iinfo(np.int64).max), "int64"), self))

    def concatenate(self, dataset, name=None):
        """This dataset's elements followed by ``dataset``'s (same structure and dtypes)."""
        return _ConcatenateDataset(self, dataset)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """Windows of ``size`` elements (every ``stride``-th), one starting every ``shift``
        elements; each window is a structure of Datasets, as TF."""
        return _WindowDataset(self, size, shift, stride, drop_remainder)


def _dtypes(spec):
    return tuple(f"tf.{getattr(s.dtype, 'name', s.dtype)}" for s in st.flatten(spec))


class _Running:
    """One pass over a dataset that closes the pipeline (threads included) when done."""

    def __init__(self, dataset):
        self._it = dataset._iter()

    def __iter__(self):
        try:
            yield from self._it
        finally:
            _close(self._it)


class OwnedIterator:
    """The iterator ``iter(dataset)`` returns: elements as Tensors. Dropping it (or ``break``
    out of a ``for`` loop) stops the pipeline's threads."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._it = dataset._iter()
        # stop threads when the iterator is dropped half-way, without a reference cycle
        self._finalizer = weakref.finalize(self, _close, self._it)

    def __iter__(self):
        return self

    def __next__(self):
        return st.to_tensors(next(self._it))

    def get_next(self):
        return next(self)

    @property
    def element_spec(self):
        return self._dataset.element_spec

    def close(self):
        self._finalizer()


class _NumpyIterator(OwnedIterator):
    def __next__(self):
        return st.to_numpy(next(self._it))


def _check_positive(value, what, op, message=None):
    if value <= 0:
        raise _errors().InvalidArgumentError(
            message or f"{op}: {what} must be greater than zero, got {value}.")


# -- sources -------------------------------------------------------------------------------
def _readonly(array):
    view = array.view()
    view.flags.writeable = False
    return view


def _packer(structure):
    """A fast ``leaves -> element`` for the structure of ``structure``."""
    if isinstance(structure, np.ndarray):
        return lambda leaves: leaves[0]
    if type(structure) is tuple and all(isinstance(v, np.ndarray) for v in structure):
        return tuple
    return lambda leaves: st.pack_as(structure, leaves)


def _leaves_of(element):
    if isinstance(element, np.ndarray):
        return [element]
    if type(element) is tuple and all(isinstance(v, np.ndarray) for v in element):
        return list(element)
    return st.flatten(element)


class _TensorSliceDataset(Dataset):
    def __init__(self, element):
        super().__init__()
        leaves = st.flatten(element)
        for leaf in leaves:
            if isinstance(leaf, Dataset) or leaf.ndim == 0:
                raise ValueError(
                    "from_tensor_slices: Unbatching a tensor is only supported for rank >= 1; "
                    f"got a component of shape {getattr(leaf, 'shape', '?')} (every component "
                    "needs a first dimension to slice along).")
        sizes = [leaf.shape[0] for leaf in leaves]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(tuple(leaf.shape)) for leaf in leaves)
            first = next(s for s in sizes if s != sizes[0])
            raise ValueError(
                f"from_tensor_slices: Dimensions {sizes[0]} and {first} are not compatible: all "
                f"components must have the same size in their first dimension; got shapes "
                f"{shapes}.")
        self._leaves = [_readonly(leaf) for leaf in leaves]
        self._structure = element
        self._n = sizes[0]

    def _iter(self):
        leaves, pack = self._leaves, _packer(self._structure)
        if len(leaves) == 1 and isinstance(self._structure, np.ndarray):
            leaf = leaves[0]
            for i in range(self._n):
                yield leaf[i, ...]  # `...`: rows of a vector stay (0-d) arrays
            return
        for i in range(self._n):
            yield pack([leaf[i, ...] for leaf in leaves])

    def _indexed(self):
        leaves, pack = self._leaves, _packer(self._structure)
        return (np.arange(self._n), lambda i: pack([leaf[i, ...] for leaf in leaves]),
                lambda index: pack([leaf[index] for leaf in leaves]))

    def _card(self):
        return self._n

    def _spec(self):
        return st.pack_as(self._structure, [st.tensor_spec(leaf.shape[1:], leaf.dtype)
                                            for leaf in self._leaves])


class _TensorDataset(Dataset):
    def __init__(self, element):
        super().__init__()
        self._element = element

    def _iter(self):
        yield self._element

    def _card(self):
        return 1

    def _spec(self):
        return st.spec_of(self._element)


class _ListDataset(Dataset):
    """Elements held in a list (a window's, a cache's)."""

    def __init__(self, elements, spec):
        super().__init__()
        self._elements = elements
        self._given_spec = spec

    def _iter(self):
        return iter(self._elements)

    def _card(self):
        return len(self._elements)

    def _spec(self):
        return self._given_spec


class _RangeDataset(Dataset):
    def __init__(self, args, output_type):
        super().__init__()
        if not 1 <= len(args) <= 3:
            raise TypeError(f"range: expected 1 to 3 arguments (start, stop, step), got "
                            f"{len(args)}")
        args = [_int(a, "start/stop/step", "range") for a in args]
        start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
        _check_positive(abs(step), "step", "range", "range: step must be a non-zero integer.")
        self._range = range(start, stop, step)
        self._dtype = np.dtype(str(getattr(output_type, "_np", output_type)))

    def _iter(self):
        dtype = self._dtype
        for v in self._range:
            yield np.asarray(v, dtype=dtype)

    def _card(self):
        return len(self._range)

    def _spec(self):
        return st.tensor_spec((), self._dtype)


def _spec_from_types(output_types, output_shapes):
    """``output_types`` (+ ``output_shapes``) as a structure of TensorSpecs."""
    types = output_types
    leaves = st.flatten(_tupled(types))
    if output_shapes is None:
        shapes = [None] * len(leaves)
    else:
        shapes = _shape_leaves(_tupled(output_shapes), _tupled(types))
    specs = [st.tensor_spec(shape, _np_dtype(t)) for t, shape in zip(leaves, shapes)]
    return st.pack_as(_tupled(types), specs)


def _tupled(value):
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_tupled(v) for v in value)
    if isinstance(value, dict):
        return {k: _tupled(v) for k, v in value.items()}
    return value


def _is_shape(value):
    return value is None or isinstance(value, tuple) and all(
        d is None or isinstance(d, (int, np.integer)) for d in value)


def _shape_leaves(shapes, types):
    """The shapes in ``shapes`` laid out as the leaves of ``types`` (a shape is a tuple of
    ints/None, so it is a leaf there)."""
    if isinstance(types, tuple) and not _is_shape(shapes):
        if not isinstance(shapes, tuple) or len(shapes) != len(types):
            raise ValueError(f"from_generator: output_shapes {shapes} do not match the "
                             f"structure of output_types {types}")
        return [s for sub, t in zip(shapes, types) for s in _shape_leaves(sub, t)]
    if isinstance(types, dict):
        return [s for k in sorted(types) for s in _shape_leaves(shapes[k], types[k])]
    return [None if shapes is None else tuple(shapes)]


def _np_dtype(dtype):
    from ember.tf.dtypes import as_dtype

    return np.dtype(str(as_dtype(getattr(dtype, "dtype", dtype))))


class _GeneratorDataset(Dataset):
    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        super().__init__()
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError("The `output_types` argument can not be used together with the "
                                "`output_signature` argument.")
            if output_shapes is not None:
                raise TypeError("The `output_shapes` argument can not be used together with "
                                "the `output_signature` argument.")
            spec = st.map_structure(
                lambda s: st.tensor_spec(s.shape, _np_dtype(s.dtype)), _tupled(output_signature))
        elif output_types is not None:
            spec = _spec_from_types(output_types, output_shapes)
        else:
            raise TypeError("To specify the output signature you need to provide either the "
                            "`output_signature` argument or the `output_types` argument.")
        self._generator = generator
        self._args = tuple(st.to_numpy(st.to_element(a)) for a in (args or ()))
        self._given_spec = spec

    def _iter(self):
        spec_leaves = st.flatten(self._given_spec)
        for value in self._generator(*self._args):
            yield st.pack_as(self._given_spec, self._convert(value, spec_leaves))

    def _convert(self, value, spec_leaves):
        errors = _errors()
        leaves = _flatten_up_to(self._given_spec, value)
        if leaves is None:
            raise errors.InvalidArgumentError(
                "TypeError: `generator` yielded an element that did not match the expected "
                f"structure. The expected structure was {self._given_spec}, but the yielded "
                f"element was {value!r}.")
        out = []
        for leaf, spec in zip(leaves, spec_leaves):
            try:
                if spec.dtype.kind == "O":
                    array = st.to_array(leaf)
                else:
                    array = np.asarray(leaf.data if isinstance(leaf, Tensor) else leaf,
                                       dtype=spec.dtype)
            except (TypeError, ValueError):
                raise errors.InvalidArgumentError(
                    "TypeError: `generator` yielded an element that could not be converted to "
                    f"the expected type. The expected type was {spec.dtype.name}, but the "
                    f"yielded element was {leaf!r}.") from None
            if spec.shape.rank is not None and (
                    array.ndim != len(spec.shape) or
                    any(d is not None and d != a for d, a in zip(spec.shape, array.shape))):
                raise errors.InvalidArgumentError(
                    f"TypeError: `generator` yielded an element of shape {array.shape} where "
                    f"an element of shape {_fmt(spec.shape)} was expected.")
            out.append(array)
        return out

    def _card(self):
        return _UNKNOWN

    def _spec(self):
        return self._given_spec


def _flatten_up_to(structure, value):
    """The parts of ``value`` at the leaves of ``structure`` (a list there is one value), or
    None when ``value`` does not have that structure."""
    if isinstance(structure, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(structure):
            return None
        parts = [_flatten_up_to(s, v) for s, v in zip(structure, value)]
    elif isinstance(structure, dict):
        if not isinstance(value, dict) or sorted(value) != sorted(structure):
            return None
        parts = [_flatten_up_to(structure[k], value[k]) for k in sorted(structure)]
    else:
        return [value]
    if any(p is None for p in parts):
        return None
    return [leaf for p in parts for leaf in p]


def _fmt(shape):
    if shape is None or getattr(shape, "rank", 0) is None:
        return "<unknown>"
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_datasets(structure):
    for leaf in st.flatten(_tupled(structure)):
        if not isinstance(leaf, Dataset):
            raise TypeError(
                "Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                f"`tf.data.Dataset` objects but encountered object of type {type(leaf)}.")


class _ZipDataset(Dataset):
    def __init__(self, datasets):
        datasets = _tupled(datasets)
        _check_datasets(datasets)
        super().__init__(*st.flatten(datasets))
        self._structure = datasets

    def _iter(self):
        its = [d._iter() for d in self._inputs]
        try:
            while True:
                leaves = []
                for it in its:
                    try:
                        leaves.append(next(it))
                    except StopIteration:
                        return
                yield st.pack_as(self._structure, leaves)
        finally:
            for it in its:
                _close(it)

    def _card(self):
        cards = [d._card() for d in self._inputs]
        finite = [c for c in cards if c >= 0]
        if finite and (min(finite) == 0 or _UNKNOWN not in cards):
            return min(finite)
        return _UNKNOWN if _UNKNOWN in cards else _INF

    def _spec(self):
        return st.pack_as(self._structure, [d.element_spec for d in self._inputs])


class _OptionsDataset(Dataset):
    def __init__(self, dataset, options):
        super().__init__(dataset)
        self._opts = options

    def _iter(self):
        return self._inputs[0]._iter()

    def _card(self):
        return self._inputs[0]._card()


# -- element-wise transformations ----------------------------------------------------------
class _MapDataset(Dataset):
    def __init__(self, dataset, fn, num_parallel_calls, deterministic):
        super().__init__(dataset)
        if not callable(fn):
            raise TypeError(f"map: `map_func` must be callable, got {type(fn).__name__}")
        if num_parallel_calls is not None:
            num_parallel_calls = _int(num_parallel_calls, "num_parallel_calls", "map")
            if num_parallel_calls != AUTOTUNE:
                _check_positive(num_parallel_calls, "num_parallel_calls", "map",
                                "num_parallel_calls must be greater than zero.")
        self._fn = fn
        self._workers = (os.cpu_count() or 1) if num_parallel_calls == AUTOTUNE else \
            num_parallel_calls
        self._deterministic = deterministic

    def _apply(self, element):
        return st.to_element(_call(self._fn, element), lists_are_tensors=False)

    def _iter(self):
        if not self._workers or self._workers == 1:
            apply = self._apply
            return (apply(el) for el in self._inputs[0]._iter())
        deterministic = self._deterministic
        if deterministic is None:
            deterministic = self.options().deterministic is not False
        return self._parallel(deterministic)

    def _parallel(self, deterministic):
        upstream = self._inputs[0]._iter()
        pool = ThreadPoolExecutor(self._workers, thread_name_prefix="ember-data-map")
        pending = []
        window = 2 * self._workers  # in flight: keeps every worker busy while we yield
        try:
            for element in upstream:
                pending.append(pool.submit(self._apply, element))
                if len(pending) >= window:
                    yield self._next_done(pending, deterministic)
            while pending:
                yield self._next_done(pending, deterministic)
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            _close(upstream)

    @staticmethod
    def _next_done(pending, deterministic):
        if deterministic:
            return pending.pop(0).result()
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        future = next(f for f in pending if f in done)  # the oldest finished one
        pending.remove(future)
        return future.result()

    def _card(self):
        return self._inputs[0]._card()

    def _spec(self):
        return _probe_spec(self._inputs[0], lambda el: [self._apply(el)])


def _probe_spec(dataset, outputs_of):
    """The spec of what ``outputs_of(element)`` gives, by running it on up to two elements
    of ``dataset`` (ember has no graph to trace): dimensions that differ between them, or that
    equal an unknown dimension of the input, become None."""
    in_spec = dataset.element_spec
    unknown_sizes = set()
    spec = None
    it = dataset._iter()
    try:
        for element in itertools.islice(it, 2):
            if not unknown_sizes:
                for s, leaf in zip(st.flatten(in_spec), _leaves_of(element)):
                    if s.shape.rank is not None and hasattr(leaf, "shape"):
                        unknown_sizes.update(a for d, a in zip(s.shape, leaf.shape) if d is None)
            for out in outputs_of(element):
                out_spec = _spec_of(out)
                spec = out_spec if spec is None else st.relax(spec, out_spec)
    finally:
        _close(it)
    if spec is None:  # an empty dataset: probe with zeros of the input's shapes
        zeros = st.pack_as(in_spec, [np.zeros([d or 0 for d in (s.shape or ())], s.dtype)
                                     for s in st.flatten(in_spec)])
        for out in outputs_of(zeros):
            spec = _spec_of(out)
        if spec is None:
            raise ValueError("element_spec: could not determine the structure of an empty "
                             "dataset's elements")

    def relax_unknown(s):
        if isinstance(s, st.DatasetSpec) or s.shape.rank is None:
            return s
        return st.tensor_spec(tuple(None if d in unknown_sizes else d for d in s.shape),
                              s.dtype)

    return st.map_structure(relax_unknown, spec) if unknown_sizes else spec


class _FilterDataset(Dataset):
    def __init__(self, dataset, predicate):
        super().__init__(dataset)
        self._predicate = predicate

    def _keep(self, element):
        result = st.to_element(_call(self._predicate, element))
        if not isinstance(result, np.ndarray) or result.dtype != bool or result.ndim:
            raise ValueError(
                "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but "
                f"its return type is {st.spec_of(result)!r}.")
        return bool(result)

    def _iter(self):
        keep = self._keep
        return (el for el in self._inputs[0]._iter() if keep(el))

    def _card(self):
        return 0 if self._inputs[0]._card() == 0 else _UNKNOWN


class _TakeWhileDataset(_FilterDataset):
    def _iter(self):
        upstream = self._inputs[0]._iter()
        try:
            for el in upstream:
                if not self._keep(el):
                    return
                yield el
        finally:
            _close(upstream)


def _returned_dataset(fn, element, op):
    result = _call(fn, element)
    if not isinstance(result, Dataset):
        raise TypeError(f"{op}: `map_func` must return a `Dataset` object. Got "
                        f"{type(result).__name__}.")
    return result


class _FlatMapDataset(Dataset):
    def __init__(self, dataset, fn):
        super().__init__(dataset)
        self._fn = fn

    def _iter(self):
        upstream = self._inputs[0]._iter()
        try:
            for element in upstream:
                inner = _returned_dataset(self._fn, element, "flat_map")._iter()
                try:
                    yield from inner
                finally:
                    _close(inner)
        finally:
            _close(upstream)

    def _card(self):
        return 0 if self._inputs[0]._card() == 0 else _UNKNOWN

    def _spec(self):
        return _probe_spec(self._inputs[0], lambda el: [
            _SpecOnly(_returned_dataset(self._fn, el, "flat_map").element_spec)])


class _SpecOnly:
    """A stand-in whose spec is known (a returned dataset's element_spec)."""

    def __init__(self, spec):
        self.spec = spec


def _spec_of(output):
    return output.spec if isinstance(output, _SpecOnly) else st.spec_of(output)


class _InterleaveDataset(Dataset):
    def __init__(self, dataset, fn, cycle_length, block_length):
        super().__init__(dataset)
        cycle_length = AUTOTUNE if cycle_length is None else _int(
            cycle_length, "cycle_length", "interleave")
        block_length = 1 if block_length is None else _int(
            block_length, "block_length", "interleave")
        if cycle_length != AUTOTUNE:
            _check_positive(cycle_length, "cycle_length", "interleave",
                            "cycle_length must be greater than zero.")
        _check_positive(block_length, "block_length", "interleave",
                        "block_length must be greater than zero.")
        self._fn = fn
        self._cycle = (os.cpu_count() or 1) if cycle_length == AUTOTUNE else cycle_length
        self._block = block_length

    def _iter(self):
        upstream = self._inputs[0]._iter()
        slots = [None] * self._cycle
        index, exhausted = 0, False
        try:
            while True:
                if slots[index] is None:
                    if exhausted:
                        if all(s is None for s in slots):
                            return
                        index = (index + 1) % self._cycle
                        continue
                    try:
                        element = next(upstream)
                    except StopIteration:
                        exhausted = True
                        continue
                    slots[index] = _returned_dataset(self._fn, element, "interleave")._iter()
                # up to block_length elements from this slot, then the next slot
                for _ in range(self._block):
                    try:
                        value = next(slots[index])
                    except StopIteration:
                        slots[index] = None
                        break
                    yield value
                index = (index + 1) % self._cycle
        finally:
            for it in slots:
                if it is not None:
                    _close(it)
            _close(upstream)

    def _card(self):
        return 0 if self._inputs[0]._card() == 0 else _UNKNOWN

    def _spec(self):
        return _probe_spec(self._inputs[0], lambda el: [
            _SpecOnly(_returned_dataset(self._fn, el, "interleave").element_spec)])


class _ShuffleDataset(Dataset):
    def __init__(self, dataset, buffer_size, seed, reshuffle):
        super().__init__(dataset)
        buffer_size = _int(buffer_size, "buffer_size", "shuffle")
        if buffer_size != UNKNOWN_CARDINALITY:
            _check_positive(buffer_size, "buffer_size", "shuffle",
                            "buffer_size must be greater than zero or UNKNOWN_CARDINALITY, "
                            f"got {buffer_size}.")
        self._size = buffer_size if buffer_size > 0 else None  # None: the whole dataset
        if seed is None:
            from ember import config

            seed = int(config.rng().integers(2**62))  # set_random_seed makes this repeatable
        self._seed = _int(seed, "seed", "shuffle")
        self._epochs = itertools.count()
        self._reshuffle = True if reshuffle is None else bool(reshuffle)

    def _rng(self):
        """This pass's generator: a new stream each pass unless reshuffle_each_iteration is
        False."""
        key = [self._seed, next(self._epochs)] if self._reshuffle else [self._seed]
        return np.random.default_rng(key)

    def _indexed(self):
        inner = self._inputs[0]._indexed()
        if inner is None:
            return None
        order, row, gather = inner
        return order[_buffer_order(len(order), self._size, self._rng())], row, gather

    def _iter(self):
        indexed = self._indexed()
        if indexed is not None:
            order, row, _ = indexed
            return map(row, order)
        return self._buffered(self._rng())

    def _buffered(self, rng):
        upstream = self._inputs[0]._iter()
        size = self._size
        buffer = list(itertools.islice(upstream, size)) if size else list(upstream)
        exhausted = size is None or len(buffer) < size
        draws, k = rng.random(1024), 0
        try:
            while buffer:
                if k == len(draws):
                    draws, k = rng.random(1024), 0
                i = int(draws[k] * len(buffer))
                k += 1
                out = buffer[i]
                if not exhausted:
                    try:
                        buffer[i] = next(upstream)
                    except StopIteration:
                        exhausted = True
                if exhausted:
                    buffer[i] = buffer[-1]
                    buffer.pop()
                yield out
        finally:
            _close(upstream)

    def _card(self):
        return self._inputs[0]._card()


def _buffer_order(n, size, rng):
    """The positions ``0..n-1`` in the order a shuffle buffer of ``size`` yields them, without
    a Python step per element.

    The buffer starts with inputs ``0..size-1`` in slots ``0..size-1``; step ``t`` draws a slot
    uniformly, yields what it holds and refills it with input ``size + t``. So step ``t``
    yields the input written by the previous step that drew the same slot (``size + t'``), or
    the slot's first input. Once the input is exhausted, uniform draws from the shrinking
    buffer give its remaining contents in a uniformly random order: a permutation.
    """
    if size is None or size >= n:
        return rng.permutation(n)
    steady = n - size
    slots = (rng.random(steady) * size).astype(np.int64)
    steps = np.lexsort((np.arange(steady), slots))  # steps grouped by slot, in time order
    by_slot = slots[steps]
    first = np.ones(steady, dtype=bool)
    first[1:] = by_slot[1:] != by_slot[:-1]
    yielded = np.where(first, by_slot, size + np.roll(steps, 1))
    order = np.empty(n, dtype=np.int64)
    order[steps] = yielded
    remaining = np.arange(size)
    last = np.ones(steady, dtype=bool)
    last[:-1] = first[1:]
    remaining[by_slot[last]] = size + steps[last]
    order[steady:] = rng.permutation(remaining)
    return order


# -- batching ------------------------------------------------------------------------------
def _batch_size(value, op):
    value = _int(value, "batch_size", op)
    _check_positive(value, "batch_size", op,
                    f"{op}: Batch size must be greater than zero, got {value}.")
    return value


def _stack(batch):
    """A list of elements as one element whose leaves are stacked along a new first axis."""
    first = batch[0]
    try:
        if isinstance(first, np.ndarray):
            return np.stack(batch)
        leaves = [_leaves_of(el) for el in batch]
        return st.pack_as(first, [np.stack(column) for column in zip(*leaves)])
    except ValueError:
        pass
    for j, column in enumerate(zip(*[_leaves_of(el) for el in batch])):
        for i, leaf in enumerate(column):
            if leaf.shape != column[0].shape:
                raise _errors().InvalidArgumentError(
                    "Cannot add tensor to the batch: number of elements does not match. Shapes "
                    f"are: [tensor]: {list(leaf.shape)}, [batch]: {list(column[0].shape)} "
                    f"(component {j}, element {i} of the batch; use padded_batch to batch "
                    "elements of different shapes).") from None
    raise  # pragma: no cover - np.stack failed for another reason


def _batched_card(card, size, drop_remainder):
    if card < 0:
        return card
    return card // size if drop_remainder else -(-card // size)


class _BatchDataset(Dataset):
    def __init__(self, dataset, batch_size, drop_remainder):
        super().__init__(dataset)
        self._size = _batch_size(batch_size, "batch")
        self._drop = bool(drop_remainder)

    def _iter(self):
        indexed = self._indexed_input()
        if indexed is not None:
            return self._gathered(*indexed)
        return self._stacked()

    def _indexed_input(self):
        return self._inputs[0]._indexed()

    def _gathered(self, order, row, gather):
        size = self._size
        end = len(order) - len(order) % size if self._drop else len(order)
        for start in range(0, end, size):
            yield gather(order[start:start + size])

    def _stacked(self):
        size, make = self._size, self._make
        upstream = self._inputs[0]._iter()
        try:
            while True:
                batch = list(itertools.islice(upstream, size))
                if not batch or (len(batch) < size and self._drop):
                    return
                yield make(batch)
                if len(batch) < size:
                    return
        finally:
            _close(upstream)

    _make = staticmethod(_stack)

    def _card(self):
        return _batched_card(self._inputs[0]._card(), self._size, self._drop)

    def _spec(self):
        dim = self._size if self._drop else None
        return st.map_structure(
            lambda s: st.tensor_spec(None if s.shape.rank is None else (dim, *s.shape),
                                     s.dtype),
            self._inputs[0].element_spec)


class _PaddedBatchDataset(_BatchDataset):
    def __init__(self, dataset, batch_size, padded_shapes, padding_values, drop_remainder):
        super().__init__(dataset, batch_size, drop_remainder)
        self._shapes = _tupled(padded_shapes)
        self._values = padding_values

    def _indexed_input(self):
        return None

    def _targets(self, element):
        leaves = _leaves_of(element)
        if self._shapes is None:
            shapes = [None] * len(leaves)
        elif not isinstance(element, (tuple, dict)):
            shapes = [self._shapes if _is_shape(self._shapes) else tuple(self._shapes)]
        else:
            shapes = _shape_leaves(self._shapes, _tupled(element))
        if self._values is None:
            values = [None] * len(leaves)
        elif isinstance(element, (tuple, dict)) and isinstance(self._values, (tuple, dict)):
            values = st.flatten(_tupled(self._values))
        else:
            values = [self._values] * len(leaves)
        return leaves, shapes, values

    def _make(self, batch):
        columns = list(zip(*[_leaves_of(el) for el in batch]))
        _, shapes, values = self._targets(batch[0])
        out = []
        for column, shape, value in zip(columns, shapes, values):
            rank = column[0].ndim
            if any(leaf.ndim != rank for leaf in column):
                raise _errors().InvalidArgumentError(
                    "padded_batch: all elements of a component must have the same rank; got "
                    f"shapes {[leaf.shape for leaf in column]}")
            longest = [max(leaf.shape[d] for leaf in column) for d in range(rank)]
            if shape is not None:
                if len(shape) != rank:
                    raise ValueError(f"padded_batch: padded shape {_fmt(shape)} does not match "
                                     f"the rank of the component ({rank})")
                for d, (want, have) in enumerate(zip(shape, longest)):
                    if want is not None and want >= 0 and have > want:
                        raise _errors().DataLossError(
                            "Attempted to pad to a smaller size than the input element "
                            f"(padded shape {_fmt(shape)}, element of size {have} in dimension "
                            f"{d}).")
                longest = [h if w is None or w < 0 else w for w, h in zip(shape, longest)]
            dtype = column[0].dtype
            fill = _padding(value, dtype)
            result = np.full((len(column), *longest), fill, dtype=dtype)
            for i, leaf in enumerate(column):
                result[(i, *[slice(0, s) for s in leaf.shape])] = leaf
            out.append(result)
        return st.pack_as(batch[0], out)

    def _spec(self):
        dim = self._size if self._drop else None
        spec = self._inputs[0].element_spec
        leaves = st.flatten(spec)
        if self._shapes is None:
            shapes = [None] * len(leaves)
        elif not isinstance(spec, (tuple, dict)):
            shapes = [tuple(self._shapes)]
        else:
            shapes = _shape_leaves(self._shapes, spec)
        out = []
        for s, shape in zip(leaves, shapes):
            if shape is None:  # each dimension pads to the batch's longest
                shape = tuple(None for _ in (s.shape or ()))
            else:
                shape = tuple(None if d is None or d < 0 else d for d in shape)
            out.append(st.tensor_spec((dim, *shape), s.dtype))
        return st.pack_as(spec, out)


def _padding(value, dtype):
    if value is None:
        return b"" if dtype.kind == "O" else 0
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype != dtype:
            raise TypeError(
                f"Invalid `padding_values`. `padding_values` values type {array.dtype} does not "
                f"match type {dtype} of the corresponding input component.")
        return array[()]
    return value  # a Python scalar: cast to the component's dtype


class _UnbatchDataset(Dataset):
    def _iter(self):
        upstream = self._inputs[0]._iter()
        try:
            for element in upstream:
                leaves = _leaves_of(element)
                if any(leaf.ndim == 0 for leaf in leaves):
                    raise ValueError("Cannot unbatch an input with scalar components.")
                n = leaves[0].shape[0]
                if any(leaf.shape[0] != n for leaf in leaves):
                    raise _errors().InvalidArgumentError(
                        "unbatch: input components have different batch sizes: "
                        f"{[leaf.shape[0] for leaf in leaves]}")
                if isinstance(element, np.ndarray):
                    for i in range(n):
                        yield element[i, ...]
                    continue
                pack = _packer(element)
                for i in range(n):
                    yield pack([leaf[i, ...] for leaf in leaves])
        finally:
            _close(upstream)

    def _card(self):
        card = self._inputs[0]._card()
        return card if card in (0, _INF) else _UNKNOWN

    def _spec(self):
        spec = self._inputs[0].element_spec
        for s in st.flatten(spec):
            if s.shape.rank == 0:
                raise ValueError("Cannot unbatch an input with scalar components.")
        return st.map_structure(
            lambda s: st.tensor_spec(None if s.shape.rank is None else s.shape[1:], s.dtype),
            spec)


class _RebatchDataset(Dataset):
    def __init__(self, dataset, batch_size, drop_remainder):
        super().__init__(dataset)
        sizes = list(batch_size) if isinstance(batch_size, (list, tuple)) else [batch_size]
        self._sizes = [_batch_size(s, "rebatch") for s in sizes]
        self._drop = bool(drop_remainder)
        self._rows = _UnbatchDataset(dataset)

    def _iter(self):
        rows = self._rows._iter()
        try:
            for size in itertools.cycle(self._sizes):
                batch = list(itertools.islice(rows, size))
                if not batch or (len(batch) < size and self._drop):
                    return
                yield _stack(batch)
        finally:
            _close(rows)

    def _card(self):
        return 0 if self._inputs[0]._card() == 0 else (
            _INF if self._inputs[0]._card() == _INF else _UNKNOWN)

    def _spec(self):
        dim = self._sizes[0] if self._drop and len(self._sizes) == 1 else None
        return st.map_structure(
            lambda s: st.tensor_spec(None if s.shape.rank is None else (dim, *s.shape),
                                     s.dtype),
            self._rows.element_spec)


# -- counting ------------------------------------------------------------------------------
class _RepeatDataset(Dataset):
    def __init__(self, dataset, count):
        super().__init__(dataset)
        self._count = -1 if count is None else _int(count, "count", "repeat")

    def _iter(self):
        passes = itertools.count() if self._count < 0 else range(self._count)
        for _ in passes:
            produced = False
            for element in _Running(self._inputs[0]):
                produced = True
                yield element
            if not produced:
                return  # repeating an empty dataset forever gives nothing, as TF

    def _card(self):
        card = self._inputs[0]._card()
        if self._count == 0 or card == 0:
            return 0
        if card == _INF or self._count < 0:
            return _INF if card != _UNKNOWN else _UNKNOWN
        return card * self._count if card >= 0 else card


class _TakeDataset(Dataset):
    def __init__(self, dataset, count):
        super().__init__(dataset)
        self._count = _int(count, "count", "take")

    def _iter(self):
        if self._count < 0:
            return self._inputs[0]._iter()
        return self._take()

    def _indexed(self):
        inner = self._inputs[0]._indexed()
        if inner is None or self._count < 0:
            return inner
        return (inner[0][:self._count], *inner[1:])

    def _take(self):
        if self._count == 0:
            return
        upstream = self._inputs[0]._iter()
        try:
            yield from itertools.islice(upstream, self._count)
        finally:
            _close(upstream)

    def _card(self):
        card = self._inputs[0]._card()
        if self._count < 0:
            return card
        if card == _INF:
            return self._count
        return min(card, self._count) if card >= 0 else _UNKNOWN


class _SkipDataset(Dataset):
    def __init__(self, dataset, count):
        super().__init__(dataset)
        self._count = _int(count, "count", "skip")

    def _iter(self):
        if self._count < 0:
            return iter(())
        upstream = self._inputs[0]._iter()
        return self._skip(upstream)

    def _indexed(self):
        inner = self._inputs[0]._indexed()
        if inner is None:
            return None
        return (inner[0][max(self._count, 0) if self._count >= 0 else len(inner[0]):],
                *inner[1:])

    def _skip(self, upstream):
        try:
            yield from itertools.islice(upstream, self._count, None)
        finally:
            _close(upstream)

    def _card(self):
        card = self._inputs[0]._card()
        if self._count < 0:
            return 0
        return max(card - self._count, 0) if card >= 0 else card


class _ShardDataset(Dataset):
    def __init__(self, dataset, num_shards, index):
        super().__init__(dataset)
        self._n = _int(num_shards, "num_shards", "shard")
        self._index = _int(index, "index", "shard")
        _check_positive(self._n, "num_shards", "shard")
        if not 0 <= self._index < self._n:
            raise _errors().InvalidArgumentError(
                f"shard: index must be in [0, num_shards={self._n}), got {self._index}.")

    def _iter(self):
        upstream = self._inputs[0]._iter()
        try:
            yield from itertools.islice(upstream, self._index, None, self._n)
        finally:
            _close(upstream)

    def _card(self):
        card = self._inputs[0]._card()
        return max(0, -(-(card - self._index) // self._n)) if card >= 0 else card


class _ConcatenateDataset(Dataset):
    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate: expected a Dataset, got {type(second).__name__}")
        super().__init__(first, second)
        a, b = first.element_spec, second.element_spec
        if not st.spec_dtypes_match(a, b):
            raise TypeError(f"Incompatible dataset elements:\n  {a!r} vs.   {b!r}")

    def _iter(self):
        for d in self._inputs:
            yield from _Running(d)

    def _card(self):
        a, b = (d._card() for d in self._inputs)
        if _INF in (a, b):
            return _INF
        return _UNKNOWN if _UNKNOWN in (a, b) else a + b

    def _spec(self):
        return st.relax(*(d.element_spec for d in self._inputs))


class _WindowDataset(Dataset):
    def __init__(self, dataset, size, shift, stride, drop_remainder):
        super().__init__(dataset)
        self._size = _int(size, "size", "window")
        self._shift = self._size if shift is None else _int(shift, "shift", "window")
        self._stride = _int(stride, "stride", "window")
        _check_positive(self._size, "size", "window", "Window size must be greater than zero.")
        _check_positive(self._shift, "shift", "window", "Window shift must be greater than zero.")
        _check_positive(self._stride, "stride", "window",
                        "Window stride must be greater than zero.")
        self._drop = bool(drop_remainder)

    def _iter(self):
        span = (self._size - 1) * self._stride + 1  # input elements one window covers
        upstream = self._inputs[0]._iter()
        buffer, start, exhausted = [], 0, False  # buffer[0] is input element `start`
        spec = self._inputs[0].element_spec
        try:
            while True:
                while not exhausted and len(buffer) < span:
                    try:
                        buffer.append(next(upstream))
                    except StopIteration:
                        exhausted = True
                if not buffer or (self._drop and len(buffer) < span):
                    return
                window = buffer[:span:self._stride]
                yield self._split(window, spec)
                # the next window starts `shift` elements later
                drop = min(self._shift, len(buffer))
                skip_more = self._shift - drop
                del buffer[:drop]
                start += self._shift
                while skip_more and not exhausted:
                    try:
                        next(upstream)
                        skip_more -= 1
                    except StopIteration:
                        exhausted = True
                if exhausted and not buffer:
                    return
        finally:
            _close(upstream)

    @staticmethod
    def _split(window, spec):
        """A window of elements as a structure of datasets, one per component."""
        columns = list(zip(*[_leaves_of(el) for el in window]))
        return st.pack_as(spec, [_ListDataset(list(col), s)
                                 for col, s in zip(columns, st.flatten(spec))])

    def _card(self):
        card = self._inputs[0]._card()
        if card < 0:
            return card
        if not self._drop:
            return -(-card // self._shift)
        span = (self._size - 1) * self._stride + 1
        return 0 if card < span else (card - span) // self._shift + 1

    def _spec(self):
        return st.map_structure(st.DatasetSpec, self._inputs[0].element_spec)


# -- caching and prefetching ---------------------------------------------------------------
class _CacheDataset(Dataset):
    def __init__(self, dataset, filename):
        super().__init__(dataset)
        self._filename = os.fspath(filename)
        self._memory = None
        self._lock = threading.Lock()

    def _card(self):
        return self._inputs[0]._card()

    def _iter(self):
        if not self._filename:
            return self._memory_iter()
        path = _cache_path(self._filename)
        if os.path.exists(path):
            return _read_cache(path)
        return self._writing_iter(path)

    def _memory_iter(self):
        if self._memory is not None:
            yield from self._memory
            return
        collected = []
        for element in _Running(self._inputs[0]):
            collected.append(element)
            yield element
        # only a complete pass is kept (a partial one would truncate the dataset, as TF warns)
        with self._lock:
            if self._memory is None:
                self._memory = collected

    def _writing_iter(self, path):
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise _errors().NotFoundError(
                f"cache: the directory of the cache file {self._filename!r} does not exist "
                f"({directory})")
        writer = _CacheWriter(path)
        complete = False
        try:
            for element in _Running(self._inputs[0]):
                writer.add(element)
                yield element
            complete = True
        finally:
            writer.finish(complete)


def _cache_path(filename):
    return f"{filename}.ember-cache.zip"


_CHUNK = 1024  # elements per stored block: one array per component per block


class _CacheWriter:
    """Writes a pass's elements into a temporary zip beside the target; renames it into place
    when the pass completes (so readers see either no cache or a complete one)."""

    def __init__(self, path):
        self._path = path
        self._tmp = f"{path}.tmp-{os.getpid()}-{uuid.uuid4().hex}"
        self._zip = zipfile.ZipFile(self._tmp, "w", zipfile.ZIP_STORED)
        self._pending, self._blocks, self._count, self._skeleton = [], 0, 0, None

    def add(self, element):
        if self._skeleton is None:
            self._skeleton = _skeleton(element)
        self._pending.append(_leaves_of(element))
        self._count += 1
        if len(self._pending) == _CHUNK:
            self._flush()

    def _flush(self):
        if not self._pending:
            return
        for j, column in enumerate(zip(*self._pending)):
            text = column[0].dtype.kind == "O"
            shapes = np.asarray([leaf.shape for leaf in column], dtype=np.int64).reshape(
                len(column), column[0].ndim)
            flat = np.concatenate([np.asarray(leaf, dtype=bytes if text else None).ravel()
                                   for leaf in column])
            self._write(f"{self._blocks}/{j}.shapes.npy", shapes)
            self._write(f"{self._blocks}/{j}.{'text' if text else 'data'}.npy", flat)
        self._blocks += 1
        self._pending = []

    def _write(self, name, array):
        with self._zip.open(name, "w") as f:
            np.lib.format.write_array(f, array, allow_pickle=False)

    def finish(self, complete):
        try:
            if complete:
                self._flush()
                meta = {"count": self._count, "blocks": self._blocks,
                        "structure": self._skeleton}
                self._zip.writestr("meta.json", json.dumps(meta))
            self._zip.close()
            if complete:
                with open(self._tmp, "rb") as f:
                    os.fsync(f.fileno())
                os.replace(self._tmp, self._path)
        finally:
            if os.path.exists(self._tmp):
                os.remove(self._tmp)


def _skeleton(element):
    """The structure of an element as JSON (leaves: null; namedtuples become tuples)."""
    if isinstance(element, tuple):
        return {"tuple": [_skeleton(v) for v in element]}
    if isinstance(element, dict):
        return {"dict": [[k, _skeleton(v)] for k, v in element.items()]}
    return None


def _from_skeleton(skeleton):
    if skeleton is None:
        return np.empty(0)
    if "tuple" in skeleton:
        return tuple(_from_skeleton(v) for v in skeleton["tuple"])
    return {k: _from_skeleton(v) for k, v in skeleton["dict"]}


def _read_cache(path):
    with zipfile.ZipFile(path) as archive:
        meta = json.loads(archive.read("meta.json"))
        structure = _from_skeleton(meta["structure"])
        pack = _packer(structure)
        names = set(archive.namelist())
        for block in range(meta["blocks"]):
            columns = []
            j = 0
            while f"{block}/{j}.shapes.npy" in names:
                with archive.open(f"{block}/{j}.shapes.npy") as f:
                    shapes = np.lib.format.read_array(f, allow_pickle=False)
                text = f"{block}/{j}.text.npy" in names
                with archive.open(f"{block}/{j}.{'text' if text else 'data'}.npy") as f:
                    flat = np.lib.format.read_array(f, allow_pickle=False)
                if text:
                    flat = flat.astype(object)
                sizes = np.prod(shapes, axis=1, dtype=np.int64)
                ends = np.cumsum(sizes)
                columns.append([flat[e - n:e].reshape(s) for e, n, s in
                                zip(ends, sizes, map(tuple, shapes))])
                j += 1
            for leaves in zip(*columns):
                yield pack(list(leaves))


_DONE = object()


class _PrefetchDataset(Dataset):
    def __init__(self, dataset, buffer_size):
        super().__init__(dataset)
        buffer_size = _int(buffer_size, "buffer_size", "prefetch")
        if buffer_size < AUTOTUNE:
            raise _errors().InvalidArgumentError(
                "buffer_size must be >= 0 or set buffer_size to be -1 for auto-tuning, got "
                f"{buffer_size}.")
        self._size = _AUTOTUNE_PREFETCH if buffer_size == AUTOTUNE else buffer_size

    def _card(self):
        return self._inputs[0]._card()

    def _iter(self):
        if self._size == 0:
            return self._inputs[0]._iter()
        return self._prefetched()

    def _prefetched(self):
        buffer = _Buffer(self._size)
        thread = threading.Thread(target=_produce, args=(self._inputs[0], buffer),
                                  name="ember-data-prefetch", daemon=True)
        thread.start()
        try:
            while True:
                item = buffer.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            buffer.stop()


class _Buffer:
    """The bounded buffer between the prefetch thread and the consumer. The producer, once
    the buffer is full, sleeps until the consumer has taken half of it: it then refills
    several elements in one go, so the two threads hand the interpreter lock back and forth
    once per few elements rather than per element."""

    def __init__(self, size):
        self._items = collections.deque()
        self._size = size
        self._refill_at = size // 2
        self._cond = threading.Condition()
        self._stopped = False

    def put(self, item):
        """Add ``item`` (waiting while full); False once the consumer has stopped."""
        with self._cond:
            while len(self._items) >= self._size and not self._stopped:
                self._cond.wait()
            if self._stopped:
                return False
            self._items.append(item)
            if len(self._items) == 1:
                self._cond.notify()  # the consumer may be waiting on an empty buffer
            return True

    def get(self):
        with self._cond:
            while not self._items:
                self._cond.wait()
            item = self._items.popleft()
            if len(self._items) == self._refill_at:
                self._cond.notify()  # wake the producer to refill
            return item

    def stop(self):
        with self._cond:
            self._stopped = True
            self._items.clear()
            self._cond.notify_all()


class _Failure:
    def __init__(self, error):
        self.error = error


def _produce(dataset, buffer):
    """The prefetch thread: runs the upstream pipeline into ``buffer`` until it ends or the
    consumer stops."""
    upstream = None
    try:
        upstream = dataset._iter()
        for element in upstream:
            if not buffer.put(element):
                return
        buffer.put(_DONE)
    except BaseException as error:  # handed to the consumer, raised there
        buffer.put(_Failure(error))
    finally:
        if upstream is not None:
            _close(upstream)
