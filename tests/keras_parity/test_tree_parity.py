"""``keras.tree`` parity: every function on the same structures (lists, tuples, namedtuples,
dicts, OrderedDicts, defaultdicts, None and strings as leaves) gives Keras's result, and the
same error type and message for mismatched structures."""

import collections

import pytest

import ember

P = collections.namedtuple("P", "x y")
OD = collections.OrderedDict([("b", 1), ("a", [2, (3, None)])])
DD = collections.defaultdict(int, {"b": 1, "a": 2})
STRUCTURES = [
    1, None, "ab", [], (), {}, [1, [2, (3,)]], {"b": 1, "a": [2, (3, None)]}, P(1, [2, 3]),
    OD, DD, {"x": {"z": 1, "y": P(2, 3)}}, {3: "c", 1: "a"}, {1, 2}, [None, {"k": None}],
]


def _same(ember_value, keras_value):
    assert type(ember_value) is type(keras_value) or (
        isinstance(ember_value, P) and isinstance(keras_value, P)), (ember_value, keras_value)
    assert ember_value == keras_value
    if isinstance(keras_value, dict):
        assert list(ember_value) == list(keras_value)  # key order too
        for k in keras_value:
            _same(ember_value[k], keras_value[k])
    elif isinstance(keras_value, (list, tuple)):
        for a, b in zip(ember_value, keras_value):
            _same(a, b)


def _both(keras, call):
    """``call(tree)`` with ember's and Keras's tree: same result, or same error."""
    try:
        expected = call(keras.tree)
    except ValueError as exc:
        with pytest.raises(ValueError) as info:
            call(ember.tree)
        assert str(info.value) == str(exc)
        return
    _same(call(ember.tree), expected)


@pytest.mark.parametrize("s", STRUCTURES, ids=repr)
def test_flatten_and_friends(keras, s):
    _both(keras, lambda t: t.flatten(s))
    _both(keras, lambda t: t.flatten_with_path(s))
    _both(keras, lambda t: t.is_nested(s))
    _both(keras, lambda t: t.lists_to_tuples(s))
    _both(keras, lambda t: t.map_structure(lambda x: (x, "leaf"), s))
    _both(keras, lambda t: t.map_structure(lambda x: 0, s, none_is_leaf=False))
    _both(keras, lambda t: t.pack_sequence_as(s, list(range(len(t.flatten(s))))))
    _both(keras, lambda t: t.traverse(lambda x: None, s))
    _both(keras, lambda t: t.traverse(lambda x: None, s, top_down=False))


def _visits(tree, s, top_down):
    seen = []
    tree.traverse(lambda x: seen.append(x), s, top_down=top_down)
    return seen


@pytest.mark.parametrize("top_down", [True, False])
def test_traverse_visits_and_replaces(keras, top_down):
    s = {"b": 1, "a": [2, (3, [4])]}
    _both(keras, lambda t: _visits(t, s, top_down))
    _both(keras, lambda t: t.traverse(
        lambda x: [9] if x == 2 else (t.MAP_TO_NONE if x == 1 else None), s, top_down))
    _both(keras, lambda t: t.traverse(
        lambda x: (x, "seen") if isinstance(x, list) else None, s, top_down))
    _both(keras, lambda t: t.traverse(lambda x: t.MAP_TO_NONE, 3, top_down))


@pytest.mark.parametrize("a, b", [
    ([1, 2], [3, 4]), ((1, 2), [1, 2]), ([1, (2,)], [3, [4]]), ({"a": 1}, {"a": [1]}),
    (P(1, 2), (1, 2)), ({"a": 1}, {"b": 1}), ([1, 2], [3]), ([1, [2]], [1, 2]),
    ({"b": 1, "a": 2}, {"a": 10, "b": 20}), ([[1], 2], [3, 4]),
])
def test_two_structures(keras, a, b):
    _both(keras, lambda t: t.assert_same_structure(a, b))
    _both(keras, lambda t: t.assert_same_paths(a, b))
    _both(keras, lambda t: t.map_structure(lambda x, y: (x, y), a, b))
    _both(keras, lambda t: t.map_structure_up_to(a, lambda x, y: (x, y), a, b))


def test_an_ordered_dict_and_a_dict_match_in_the_ordered_dicts_order(keras):
    b = {"a": [5, (6, 7)], "b": 8}
    _both(keras, lambda t: t.assert_same_structure(OD, b))
    _both(keras, lambda t: t.assert_same_structure(b, OD))
    _both(keras, lambda t: t.map_structure(lambda x, y: (x, y), OD, b))


@pytest.mark.parametrize("shallow, deep", [
    ([0, 0], [[1, 2], 3]), ([0, {"a": 0}], [[1, 2], {"a": (3, 4)}]), ([0, 0], (1, 2)),
    ([0, 0], [1]),
])
def test_map_structure_up_to(keras, shallow, deep):
    _both(keras, lambda t: t.map_structure_up_to(shallow, lambda x: repr(x), deep))


@pytest.mark.parametrize("s", [[(1, 2), {"a": (3,), "b": [4, None]}], [1, 2], (None, 5),
                               {"x": [(1,), [None, 2]]}])
def test_map_shape_structure(keras, s):
    _both(keras, lambda t: t.map_shape_structure(lambda shape: repr(shape), s))


@pytest.mark.parametrize("structure, flat", [([0, 0], [1]), ([0, 0], [1, 2, 3]), (1, [5, 6]),
                                             ([0, 0], (1, 2)), ([0, 0], "ab"),
                                             ({"a": 0, "b": [0, 0]}, [1, 2])])
def test_pack_sequence_as_counts(keras, structure, flat):
    _both(keras, lambda t: t.pack_sequence_as(structure, flat))


def test_map_structure_needs_a_structure(keras):
    _both(keras, lambda t: t.map_structure(lambda x: x))
    _both(keras, lambda t: t.map_structure(lambda *a: sum(a), [1], [2], [3]))
