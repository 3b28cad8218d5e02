"""``ember.tree`` on its own (Keras parity is in tests/keras_parity/test_tree_parity.py): the
short path for flat lists and tuples agrees with the general walk, and errors are clear."""

import collections

import pytest

from ember import tree

P = collections.namedtuple("P", "x y")


@pytest.mark.parametrize("flat", [[1, None, "a"], (1, 2), [], (), P(1, 2), [P(1, 2), 3]])
def test_flat_sequences_take_the_short_path_with_the_same_result(flat):
    # the general walk, through a one-key dict around the same structure
    assert tree.flatten(flat) == tree.flatten({"k": flat})
    packed = tree.pack_sequence_as(flat, [f"v{i}" for i in range(len(tree.flatten(flat)))])
    walked = tree.pack_sequence_as({"k": flat}, [f"v{i}" for i in range(len(tree.flatten(flat)))])
    assert packed == walked["k"] and type(packed) is type(flat)


def test_pack_sequence_as_counts_leaves_on_the_short_path():
    with pytest.raises(ValueError, match="Too few leaves.*expected: 2, got: 1"):
        tree.pack_sequence_as([0, 0], [1])
    with pytest.raises(ValueError, match="Too many leaves.*expected: 2"):
        tree.pack_sequence_as((0, 0), [1, 2, 3])


def test_map_structure_keeps_types_and_key_order():
    d = collections.defaultdict(list, {"b": 1, "a": 2})
    out = tree.map_structure(lambda v: v * 10, {"z": P(1, [2]), "y": d})
    assert list(out) == ["z", "y"] and out["z"] == P(10, [20])
    assert type(out["y"]) is collections.defaultdict and out["y"].default_factory is list
    assert list(out["y"].items()) == [("b", 10), ("a", 20)]
