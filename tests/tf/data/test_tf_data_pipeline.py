"""tf.data.Dataset sources and transformations, against what TensorFlow 2.21 printed for the
same pipelines (run in a separate venv; TensorFlow is not imported here)."""

import collections

import numpy as np
import pytest

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.tf import errors
from ember.tf.data import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    experimental,
)
from ember.tf.tensor_shape import TensorShape


def values(ds):
    """The elements as plain Python values (nested lists), for comparisons."""
    def plain(v):
        if isinstance(v, tuple):
            return tuple(plain(x) for x in v)
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return np.asarray(v).tolist()

    return [plain(v) for v in ds.as_numpy_iterator()]


def shapes(spec):
    return spec.shape, spec.dtype.name


# -- constants and conversions -----------------------------------------------------------------
def test_constants_as_tf():
    # tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == INFINITE_CARDINALITY == -1
    assert AUTOTUNE == experimental.AUTOTUNE == INFINITE_CARDINALITY == -1
    assert UNKNOWN_CARDINALITY == -2


@pytest.mark.parametrize("value, dtype", [
    ([1, 2, 3], "int32"), ([1.0, 2.0], "float32"), ([True, False], "bool"),
    (np.zeros((3, 2), np.uint8), "uint8"), (np.zeros((3, 2)), "float64"),
    ([np.arange(3), np.arange(3)], "int64"), ([2**40, 1], "int64"),
])
def test_from_tensor_slices_dtypes_as_tf(value, dtype):
    spec = Dataset.from_tensor_slices(value).element_spec
    assert spec.dtype == np.dtype(dtype)
    assert spec.shape == np.asarray(value).shape[1:]


def test_elements_are_tensors_and_numpy_scalars():
    ds = Dataset.from_tensor_slices([1, 2])
    first = next(iter(ds))
    assert isinstance(first, Tensor) and first.dtype == np.int32 and first.shape == ()
    items = list(ds.as_numpy_iterator())
    assert [type(v) for v in items] == [np.int32, np.int32]
    assert values(Dataset.from_tensor_slices(["a", "bc"])) == [b"a", b"bc"]


def test_iterator_protocol():
    it = iter(Dataset.range(1))
    assert int(it.get_next()) == 0
    with pytest.raises(StopIteration):
        next(it)
    assert it.element_spec == Dataset.range(1).element_spec


def test_from_tensor_slices_structures():
    ds = Dataset.from_tensor_slices({"a": [1, 2], "b": [[1.0, 2.0], [3.0, 4.0]]})
    spec = ds.element_spec
    assert shapes(spec["a"]) == ((), "int32") and shapes(spec["b"]) == ((2,), "float32")
    assert values(ds) == [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}]
    Point = collections.namedtuple("Point", "x y")
    element = next(iter(Dataset.from_tensor_slices(Point(np.arange(3), np.ones(3)))))
    assert type(element) is Point and float(element.y) == 1.0


def test_from_tensor_slices_errors():
    with pytest.raises(ValueError, match=r"Dimensions 3 and 4 are not compatible.*\(3,\), "
                                         r"\(4, 2\)"):
        Dataset.from_tensor_slices((np.arange(3), np.zeros((4, 2))))
    with pytest.raises(ValueError, match="rank >= 1"):
        Dataset.from_tensor_slices((np.arange(3), 3))
    with pytest.raises(ValueError, match="non-rectangular"):
        Dataset.from_tensor_slices([[1, 2], [3]])


def test_source_does_not_expose_writable_views():
    x = np.arange(3)
    element = next(iter(Dataset.from_tensor_slices(x))).numpy()
    with pytest.raises(ValueError):
        element[...] = 7
    assert x.flags.writeable


def test_from_tensors():
    ds = Dataset.from_tensors(([1, 2], 3.0))
    a, b = ds.element_spec
    assert shapes(a) == ((2,), "int32") and shapes(b) == ((), "float32")
    assert len(ds) == 1 and values(ds) == [([1, 2], 3.0)]


def test_range():
    assert values(Dataset.range(2, 10, 3)) == list(range(2, 10, 3))
    assert values(Dataset.range(5, 0, -2)) == list(range(5, 0, -2))
    assert len(Dataset.range(5, 0, -2)) == len(range(5, 0, -2))
    assert shapes(Dataset.range(3).element_spec) == ((), "int64")
    assert Dataset.range(3, output_type="int32").element_spec.dtype == np.int32
    with pytest.raises(errors.InvalidArgumentError, match="step must be a non-zero"):
        Dataset.range(0, 3, 0)
    with pytest.raises(TypeError, match="integer"):
        Dataset.range(2.5)


# -- from_generator ---------------------------------------------------------------------------
def gen():
    for i in range(3):
        yield i, [float(i)] * i


def test_from_generator_signature():
    from ember.tf.tf_function import TensorSpec

    ds = Dataset.from_generator(gen, output_signature=(TensorSpec((), "int32"),
                                                       TensorSpec((None,), "float32")))
    assert values(ds) == [(i, [float(i)] * i) for i in range(3)]
    assert values(ds) == values(ds)  # the generator is called anew for each pass
    assert int(ds.cardinality()) == UNKNOWN_CARDINALITY
    assert shapes(ds.element_spec[1]) == ((None,), "float32")


def test_from_generator_types_and_shapes():
    ds = Dataset.from_generator(gen, output_types=("int64", "float64"))
    # TF: shape=<unknown>, a TensorShape of unknown rank
    assert [s.shape.rank for s in ds.element_spec] == [None, None]
    assert all(isinstance(s.shape, TensorShape) for s in ds.element_spec)
    assert next(iter(ds))[1].dtype == np.float64
    ds = Dataset.from_generator(gen, output_types=("int64", "float64"),
                                output_shapes=((), (None,)))
    assert [s.shape for s in ds.element_spec] == [(), (None,)]
    assert ds.element_spec[1].shape.as_list() == [None]
    ds = Dataset.from_generator(lambda n: iter(range(n)), args=(3,), output_types="int32")
    assert values(ds) == [0, 1, 2]


def test_from_generator_conversions_as_tf():
    from ember.tf.tf_function import TensorSpec

    # TF converts 1.5 to int32 1, and ints / float64 to float32
    assert values(Dataset.from_generator(lambda: iter([1.5]),
                                         output_signature=TensorSpec((), "int32"))) == [1]
    ds = Dataset.from_generator(lambda: iter([np.float64(1.5), 2]),
                                output_signature=TensorSpec((), "float32"))
    assert [v.dtype for v in ds.as_numpy_iterator()] == [np.float32, np.float32]


def test_from_generator_errors():
    from ember.tf.tf_function import TensorSpec

    with pytest.raises(TypeError, match="either the `output_signature` argument or the "
                                        "`output_types`"):
        Dataset.from_generator(gen)
    with pytest.raises(TypeError, match="can not be used together"):
        Dataset.from_generator(gen, output_types="int32",
                               output_signature=TensorSpec((), "int32"))
    with pytest.raises(TypeError, match="must be a Python callable"):
        Dataset.from_generator(gen(), output_types="int32")
    bad_shape = Dataset.from_generator(gen, output_signature=(TensorSpec((), "int32"),
                                                              TensorSpec((2,), "float32")))
    with pytest.raises(errors.InvalidArgumentError, match=r"shape \(0,\) where an element of "
                                                          r"shape \(2,\)"):
        list(bad_shape)
    bad_type = Dataset.from_generator(lambda: iter(["a"]),
                                      output_signature=TensorSpec((), "int32"))
    with pytest.raises(errors.InvalidArgumentError, match="expected type was int32"):
        list(bad_type)
    bad_structure = Dataset.from_generator(gen, output_signature=TensorSpec((), "int32"))
    with pytest.raises(errors.InvalidArgumentError):
        list(bad_structure)


# -- zip, concatenate, enumerate -------------------------------------------------------------
def test_zip():
    ds = Dataset.zip((Dataset.range(3), Dataset.range(5)))
    assert values(ds) == [(i, i) for i in range(3)] and len(ds) == 3
    assert values(Dataset.zip(Dataset.range(2), Dataset.range(2))) == [(0, 0), (1, 1)]
    assert values(Dataset.zip({"a": Dataset.range(2), "b": Dataset.range(2)})) == [
        {"a": i, "b": i} for i in range(2)]
    assert values(Dataset.zip(Dataset.range(2))) == [0, 1]
    assert len(Dataset.zip((Dataset.range(3), Dataset.range(2).repeat()))) == 3
    with pytest.raises(TypeError, match="Invalid input to `zip`.*<class 'int'>"):
        Dataset.zip((Dataset.range(3), 5))


def test_concatenate():
    ds = Dataset.range(2).concatenate(Dataset.range(5, 7))
    assert values(ds) == [0, 1, 5, 6] and len(ds) == 4
    assert int(Dataset.range(2).concatenate(Dataset.range(1).repeat()).cardinality()) == -1
    mixed = Dataset.range(4).batch(2, drop_remainder=True).concatenate(Dataset.range(3).batch(3))
    assert mixed.element_spec.shape == (None,)
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        Dataset.range(2).concatenate(Dataset.from_tensor_slices([1.0, 2.0]))
    with pytest.raises(TypeError, match="Incompatible dataset elements"):
        Dataset.range(2).concatenate(Dataset.zip((Dataset.range(2), Dataset.range(2))))


def test_enumerate():
    ds = Dataset.from_tensor_slices([5, 6]).enumerate(start=3)
    assert values(ds) == [(3, 5), (4, 6)]
    index, value = ds.element_spec
    assert index.dtype == np.int64 and value.dtype == np.int32


# -- map, filter, flat_map, interleave --------------------------------------------------------
def test_map_spreads_tuples_and_passes_dicts():
    ds = Dataset.from_tensor_slices(([1, 2], [3, 4])).map(lambda a, b: a + b)
    assert values(ds) == [4, 6]
    assert values(Dataset.from_tensor_slices({"a": [1, 2]}).map(lambda d: d["a"] * 2)) == [2, 4]
    with pytest.raises(TypeError, match="positional argument"):
        list(Dataset.from_tensor_slices(([1, 2], [3, 4])).map(lambda a: a))


def test_map_output_conversion_as_tf():
    spec = Dataset.range(2).map(lambda x: [x, x]).element_spec  # a list becomes a tuple
    assert isinstance(spec, tuple) and len(spec) == 2
    spec = Dataset.range(2).map(lambda x: (x, 1.5, 2)).element_spec
    assert [s.dtype.name for s in spec] == ["int64", "float32", "int32"]
    assert Dataset.range(2).map(lambda x: np.float64(1.0)).element_spec.dtype == np.float64
    with pytest.raises(TypeError, match="None"):
        list(Dataset.range(2).map(lambda x: None))


def test_map_runs_ember_ops_and_keeps_cardinality():
    ds = Dataset.from_tensor_slices(np.arange(6, dtype=np.uint8).reshape(3, 2)).map(
        lambda x: ops.cast(x, "float32") / 255.0)
    np.testing.assert_allclose(np.stack(list(ds.as_numpy_iterator())),
                               np.arange(6).reshape(3, 2) / np.float32(255), rtol=1e-6)
    assert len(ds) == 3 and ds.element_spec.dtype == np.float32


def test_map_spec_after_batch_has_unknown_batch_dim():
    ds = Dataset.range(10).batch(4).map(lambda x: ops.cast(x, "float32"))
    assert ds.element_spec.shape == (None,)
    ds = Dataset.range(10).batch(4, drop_remainder=True).map(lambda x: ops.cast(x, "float32"))
    assert ds.element_spec.shape == (4,)


def test_map_num_parallel_calls():
    ds = Dataset.range(50).map(lambda x: x * 2, num_parallel_calls=AUTOTUNE)
    assert values(ds) == [2 * i for i in range(50)]  # deterministic order by default
    ds = Dataset.range(50).map(lambda x: x * 2, num_parallel_calls=3, deterministic=False)
    assert sorted(values(ds)) == [2 * i for i in range(50)]
    for bad in (0, -5):
        with pytest.raises(errors.InvalidArgumentError, match="greater than zero"):
            Dataset.range(5).map(lambda x: x, num_parallel_calls=bad)


def test_filter():
    assert values(Dataset.range(10).filter(lambda x: ops.mod(x, 3) == 0)) == [0, 3, 6, 9]
    ds = Dataset.from_tensor_slices(([1, 2, 3], [3, 4, 5])).filter(lambda a, b: a + b > 5)
    assert values(ds) == [(2, 4), (3, 5)]
    assert int(ds.cardinality()) == UNKNOWN_CARDINALITY
    with pytest.raises(ValueError, match=r"must return a `tf.bool` scalar.*int64"):
        list(Dataset.range(3).filter(lambda x: x))
    with pytest.raises(ValueError, match=r"scalar.*shape=\(2,\)"):
        list(Dataset.range(3).filter(lambda x: ops.stack([x > 1, x > 2])))


def test_take_while():
    assert values(Dataset.range(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]


def test_flat_map():
    ds = Dataset.range(3).flat_map(lambda x: Dataset.range(x))
    assert values(ds) == [v for x in range(3) for v in range(x)]
    assert int(ds.cardinality()) == UNKNOWN_CARDINALITY
    assert ds.element_spec.dtype == np.int64
    with pytest.raises(TypeError, match="must return a `Dataset`"):
        list(Dataset.range(3).flat_map(lambda x: x))


def interleave_reference(inputs, cycle_length, block_length):
    """TensorFlow's interleave order: a slot that runs out is dropped and the turn passes to
    the next slot; an empty slot opens the next input where it stands."""
    inputs, slots, out, index = list(inputs), [None] * cycle_length, [], 0
    while inputs or any(s is not None for s in slots):
        if slots[index] is None:
            if not inputs:
                index = (index + 1) % cycle_length
                continue
            slots[index] = list(inputs.pop(0))
        for _ in range(block_length):
            if not slots[index]:
                slots[index] = None
                break
            out.append(slots[index].pop(0))
        index = (index + 1) % cycle_length
    return out


@pytest.mark.parametrize("cycle_length, block_length", [(2, 3), (2, 1), (1, 1), (3, 2)])
def test_interleave_order_as_tf(cycle_length, block_length):
    ds = Dataset.range(1, 6).interleave(lambda x: Dataset.range(10 * x, 10 * x + x),
                                        cycle_length=cycle_length, block_length=block_length)
    expected = interleave_reference([range(10 * x, 11 * x) for x in range(1, 6)],
                                    cycle_length, block_length)
    assert values(ds) == expected
    if (cycle_length, block_length) == (2, 1):
        # what TensorFlow 2.21 printed for this pipeline
        assert expected == [10, 20, 21, 30, 31, 40, 32, 41, 42, 50, 43, 51, 52, 53, 54]


def test_interleave_errors():
    for kwargs, what in (({"cycle_length": 0}, "cycle_length"),
                         ({"block_length": 0}, "block_length")):
        with pytest.raises(errors.InvalidArgumentError, match=f"{what} must be greater"):
            Dataset.range(3).interleave(lambda x: Dataset.range(x), **kwargs)


# -- batching ---------------------------------------------------------------------------------
def test_batch_nested_and_specs():
    ds = Dataset.from_tensor_slices(({"a": [1, 2, 3]}, [[1.0, 2], [3, 4], [5, 6]])).batch(2)
    assert values(ds) == [({"a": [1, 2]}, [[1.0, 2.0], [3.0, 4.0]]),
                          ({"a": [3]}, [[5.0, 6.0]])]
    spec_a, spec_b = ds.element_spec
    assert spec_a["a"].shape == (None,) and spec_b.shape == (None, 2)
    dropped = Dataset.range(5).batch(2, drop_remainder=True)
    assert dropped.element_spec.shape == (2,) and values(dropped) == [[0, 1], [2, 3]]
    assert len(Dataset.range(5).batch(2)) == 3 and len(dropped) == 2


def test_batch_errors():
    for bad in (0, -1):
        with pytest.raises(errors.InvalidArgumentError, match="Batch size must be greater"):
            Dataset.range(5).batch(bad)
    with pytest.raises(TypeError, match="batch_size"):
        Dataset.range(5).batch(2.5)
    ragged = Dataset.range(1, 4).map(lambda x: ops.arange(x)).batch(2)
    with pytest.raises(errors.InvalidArgumentError, match=r"Shapes are: \[tensor\]: \[2\], "
                                                          r"\[batch\]: \[1\]"):
        list(ragged)


def test_padded_batch():
    ragged = Dataset.range(1, 4).map(lambda x: ops.arange(x))
    assert values(ragged.padded_batch(2)) == [[[0, 0], [0, 1]], [[0, 1, 2]]]
    ds = ragged.padded_batch(2, padded_shapes=[5], padding_values=-1)
    assert values(ds) == [[[0, -1, -1, -1, -1], [0, 1, -1, -1, -1]], [[0, 1, 2, -1, -1]]]
    assert ds.element_spec.shape == (None, 5) and ragged.padded_batch(2).element_spec.shape == (
        None, None)
    with pytest.raises(errors.DataLossError, match="pad to a smaller size"):
        list(ragged.padded_batch(2, padded_shapes=[2]))
    with pytest.raises(TypeError, match="does not match type"):
        list(ragged.padded_batch(2, padding_values=np.int32(-1)))
    pairs = Dataset.range(1, 4).map(lambda x: (ops.arange(x), ops.ones((x,))))
    assert values(pairs.padded_batch(2, padding_values=(-1, 9.0)))[0] == (
        [[0, -1], [0, 1]], [[1.0, 9.0], [1.0, 1.0]])


def test_unbatch_and_rebatch():
    ds = Dataset.from_tensor_slices(([[1, 2], [3, 4]], [[5, 6], [7, 8]])).unbatch()
    assert values(ds) == [(1, 5), (2, 6), (3, 7), (4, 8)]
    assert Dataset.range(10).batch(3).unbatch().element_spec.shape == ()
    with pytest.raises(ValueError, match="scalar components"):
        list(Dataset.range(3).unbatch())
    batches = Dataset.range(10).batch(4)
    assert values(batches.rebatch(3)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert values(batches.rebatch(3, drop_remainder=True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert values(batches.rebatch([1, 2])) == [[0], [1, 2], [3], [4, 5], [6], [7, 8], [9]]
    assert batches.rebatch(3, drop_remainder=True).element_spec.shape == (3,)


def test_window():
    def windows(ds):
        return [values(w) for w in ds]

    assert windows(Dataset.range(7).window(3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert windows(Dataset.range(7).window(3, shift=2)) == [[0, 1, 2], [2, 3, 4], [4, 5, 6],
                                                             [6]]
    # stride: every second element of each window, windows starting at every element
    assert windows(Dataset.range(7).window(3, shift=1, stride=2)) == [
        list(range(s, 7, 2))[:3] for s in range(7)]
    assert windows(Dataset.range(7).window(3, shift=2, drop_remainder=True)) == [
        [0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert len(Dataset.range(7).window(3)) == 3
    assert len(Dataset.range(7).window(3, drop_remainder=True)) == 2
    pairs = [tuple(values(c) for c in w)
             for w in Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6])).window(2)]
    assert pairs == [([1, 2], [4, 5]), ([3], [6])]
    flat = Dataset.range(7).window(3, shift=1, drop_remainder=True).flat_map(
        lambda w: w.batch(3))
    assert values(flat) == [[i, i + 1, i + 2] for i in range(5)]
    assert "DatasetSpec" in repr(Dataset.range(7).window(3).element_spec)
    with pytest.raises(errors.InvalidArgumentError, match="Window size"):
        Dataset.range(7).window(0)
    with pytest.raises(errors.InvalidArgumentError, match="Window shift"):
        Dataset.range(7).window(2, shift=0)


# -- counting ---------------------------------------------------------------------------------
def test_repeat_take_skip_shard():
    assert values(Dataset.range(3).repeat(2)) == [0, 1, 2] * 2
    assert values(Dataset.range(3).repeat(0)) == []
    assert values(Dataset.range(3).repeat().take(7)) == ([0, 1, 2] * 3)[:7]
    assert values(Dataset.range(3).repeat(-3).take(5)) == ([0, 1, 2] * 2)[:5]
    assert values(Dataset.range(0).repeat()) == []  # nothing to repeat: ends
    assert values(Dataset.range(10).skip(3).take(4)) == [3, 4, 5, 6]
    assert values(Dataset.range(5).take(-1)) == list(range(5))
    assert values(Dataset.range(5).skip(-1)) == []
    assert values(Dataset.range(10).shard(3, 1)) == list(range(1, 10, 3))
    assert len(Dataset.range(10).shard(3, 1)) == len(range(1, 10, 3))


@pytest.mark.parametrize("make, expected", [
    (lambda: Dataset.range(5).repeat(), INFINITE_CARDINALITY),
    (lambda: Dataset.range(5).filter(lambda x: x > 2), UNKNOWN_CARDINALITY),
    (lambda: Dataset.range(5).repeat(3), 15),
    (lambda: Dataset.range(5).take(3), 3),
    (lambda: Dataset.range(5).take(10), 5),
    (lambda: Dataset.range(5).skip(2), 3),
    (lambda: Dataset.range(5).skip(10), 0),
    (lambda: Dataset.range(5).repeat().take(4), 4),
    (lambda: Dataset.range(5).repeat().skip(4), INFINITE_CARDINALITY),
    (lambda: Dataset.range(5).batch(2), 3),
    (lambda: Dataset.range(5).batch(2, drop_remainder=True), 2),
    (lambda: Dataset.range(5).repeat().batch(2), INFINITE_CARDINALITY),
    (lambda: Dataset.range(5).repeat(0), 0),
    (lambda: Dataset.range(10).batch(3).unbatch(), UNKNOWN_CARDINALITY),
    (lambda: Dataset.range(3).shuffle(2), 3),
])
def test_cardinality_as_tf(make, expected):
    card = make().cardinality()
    assert isinstance(card, Tensor) and card.dtype == np.int64 and int(card) == expected
    assert int(experimental.cardinality(make())) == expected


def test_len_as_tf():
    assert len(Dataset.range(5)) == 5
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(Dataset.range(5).repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown."):
        len(Dataset.range(5).filter(lambda x: x > 2))
    assert bool(Dataset.range(0))  # a dataset is truthy even when empty, as TF


# -- reduce, apply, options, repr -----------------------------------------------------------
def test_reduce():
    assert int(Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)) == sum(range(5))
    total = Dataset.from_tensor_slices(([1, 2], [3.0, 4.0])).reduce(
        (0, 0.0), lambda s, x: (s[0] + x[0], s[1] + x[1]))
    assert [t.dtype.name for t in total] == ["int32", "float32"]
    assert (int(total[0]), float(total[1])) == (3, 7.0)
    with pytest.raises(TypeError, match="must match the initial state"):
        Dataset.range(5).reduce(0, lambda s, x: s + x)  # int32 state + int64 -> int64


def test_apply_options_repr():
    assert values(Dataset.range(3).apply(lambda d: d.map(lambda x: x + 1))) == [1, 2, 3]
    with pytest.raises(TypeError, match="must return a Dataset"):
        Dataset.range(3).apply(lambda d: 3)
    from ember.tf.data import Options

    options = Options()
    options.deterministic = False
    ds = Dataset.range(3).with_options(options).map(lambda x: x)
    assert ds.options().deterministic is False and ds.options().experimental_deterministic is False
    assert Dataset.range(3).options().deterministic is None
    assert repr(Dataset.range(3)) == ("<_RangeDataset element_spec=TensorSpec(shape=(), "
                                      "dtype=tf.int64, name=None)>")


# -- shuffle ----------------------------------------------------------------------------------
def test_shuffle_seed_and_reshuffle():
    ds = Dataset.range(20).shuffle(20, seed=1)
    first, second = values(ds), values(ds)
    assert sorted(first) == list(range(20)) and first != second  # reshuffled each pass
    assert values(Dataset.range(20).shuffle(20, seed=1)) == first  # the seed fixes the passes
    fixed = Dataset.range(20).shuffle(20, seed=1, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    repeated = values(Dataset.range(8).shuffle(8, seed=3).repeat(2))
    assert sorted(repeated[:8]) == sorted(repeated[8:]) == list(range(8))
    assert repeated[:8] != repeated[8:]
    with pytest.raises(errors.InvalidArgumentError, match="buffer_size must be greater"):
        Dataset.range(3).shuffle(0)


def test_shuffle_follows_set_random_seed():
    import ember

    ember.utils.set_random_seed(5)
    a = values(Dataset.range(30).shuffle(30))
    ember.utils.set_random_seed(5)
    assert values(Dataset.range(30).shuffle(30)) == a


@pytest.mark.parametrize("source", ["slices", "generator"])
def test_shuffle_buffer_semantics(source):
    """A buffer of B elements: the first output is one of the first B inputs, and input k
    (k >= B) enters the buffer after output k - B, so it cannot come out earlier than position
    k - B + 1. Both the vectorized path (array rows) and the element loop (a generator) obey."""
    n, size = 200, 10
    if source == "slices":
        base = Dataset.from_tensor_slices(np.arange(n))
    else:
        base = Dataset.from_generator(lambda: iter(range(n)), output_types="int64")
    for seed in range(20):
        order = values(base.shuffle(size, seed=seed))
        assert sorted(order) == list(range(n))
        assert order[0] < size
        position = {v: i for i, v in enumerate(order)}
        assert all(position[k] >= k - size + 1 for k in range(size, n))


@pytest.mark.parametrize("source", ["slices", "generator"])
def test_shuffle_first_output_is_uniform_over_the_buffer(source):
    n, size, trials = 50, 5, 2000
    if source == "slices":
        base = Dataset.from_tensor_slices(np.arange(n))
    else:
        base = Dataset.from_generator(lambda: iter(range(n)), output_types="int64")
    ds = base.shuffle(size, seed=7).take(1)  # reshuffled each pass: independent draws
    counts = np.bincount([values(ds)[0] for _ in range(trials)], minlength=size)
    assert len(counts) == size
    expected = trials / size
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 25.0  # 4 degrees of freedom: p < 1e-4 for a fair draw to exceed this


def test_shuffle_batch_gathers_the_same_elements():
    x = np.arange(40).reshape(20, 2)
    batches = values(Dataset.from_tensor_slices((x, np.arange(20))).shuffle(8, seed=0).batch(6))
    assert [len(b[1]) for b in batches] == [6, 6, 6, 2]
    rows = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(rows, x[labels])  # rows stay paired with their labels
    assert sorted(labels.tolist()) == list(range(20))


def test_reached_as_tensorflow():
    import ember as tf

    assert tf.data.Dataset is Dataset and tf.data.AUTOTUNE == -1
    assert tf.data.experimental.AUTOTUNE == -1
    images = np.arange(12, dtype=np.uint8).reshape(3, 2, 2, 1)
    ds = (tf.data.Dataset.from_tensor_slices((images, [0, 1, 2]))
          .map(lambda x, y: (tf.image.flip_left_right(tf.cast(x, tf.float32) / 255.0), y))
          .batch(2))
    x, y = next(iter(ds))
    np.testing.assert_allclose(x.numpy(), images[:2, :, ::-1].astype(np.float32) / 255.0,
                               rtol=1e-6)
    assert y.dtype == np.int32
    spec = ds.element_spec[0]
    assert isinstance(spec, tf.TensorSpec) and spec.shape == (None, 2, 2, 1)
    assert repr(spec) == "TensorSpec(shape=(None, 2, 2, 1), dtype=tf.float32, name=None)"
