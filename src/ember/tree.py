"""Nested structures, as ``keras.tree``: flatten, map and rebuild lists, tuples, namedtuples and
dicts of leaves.

The nodes are lists, tuples, namedtuples and dicts; everything else (None, strings, sets,
arrays, Tensors) is a leaf. A dict's children come in sorted key order (an ``OrderedDict``'s in
its own order), and a rebuilt dict keeps the original's key order, as Keras's (optree) does.
"""

import collections

__all__ = ["MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
           "flatten_with_path", "is_nested", "lists_to_tuples", "map_shape_structure",
           "map_structure", "map_structure_up_to", "pack_sequence_as", "traverse"]


class MAP_TO_NONE:  # noqa: N801 - Keras's name
    """Returned by a ``traverse`` function to put ``None`` in a node's place."""


def is_nested(structure):
    """Whether ``structure`` is a list, tuple, namedtuple or dict (a node, not a leaf)."""
    return isinstance(structure, (list, tuple, dict))


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _keys(node):
    """The keys of a dict node's children, in flattening order."""
    if isinstance(node, collections.OrderedDict):
        return list(node)
    return sorted(node)


def _children(node):
    """(key, child) pairs of a node, in flattening order."""
    if isinstance(node, dict):
        return [(k, node[k]) for k in _keys(node)]
    return list(enumerate(node))


def _rebuild(node, values):
    """A node of ``node``'s type holding ``values`` (in flattening order)."""
    if isinstance(node, dict):
        by_key = dict(zip(_keys(node), values))
        out = {k: by_key[k] for k in node}  # the original key order
        if isinstance(node, collections.defaultdict):
            return collections.defaultdict(node.default_factory, out)
        return out if type(node) is dict else type(node)(out)
    if _is_namedtuple(node):
        return type(node)(*values)
    if isinstance(node, tuple):
        return tuple(values) if type(node) is tuple else type(node)(values)
    return list(values) if type(node) is list else type(node)(values)


def _flat_sequence(structure):
    """Whether ``structure`` is a list or tuple of leaves (the common case, kept short)."""
    return isinstance(structure, (list, tuple)) and not any(
        isinstance(x, (list, tuple, dict)) for x in structure)


def flatten(structure):
    """The leaves of ``structure``, depth first (a leaf gives ``[leaf]``)."""
    if _flat_sequence(structure):
        return list(structure)
    out = []

    def walk(x):
        if is_nested(x):
            for _, child in _children(x):
                walk(child)
        else:
            out.append(x)

    walk(structure)
    return out


def flatten_with_path(structure):
    """``(path, leaf)`` pairs: a path is the tuple of keys and indices leading to the leaf."""
    out = []

    def walk(x, path):
        if is_nested(x):
            for key, child in _children(x):
                walk(child, path + (key,))
        else:
            out.append((path, x))

    walk(structure, ())
    return out


def _type_name(node):
    if _is_namedtuple(node):
        return "collections.namedtuple"
    return type(node).__name__


def _check_level(a, b):
    """Raise ValueError unless ``b`` is a node like the node ``a`` (same type, length, keys);
    their children are not compared."""
    if not is_nested(b) or (_is_namedtuple(a) != _is_namedtuple(b)) or (
            isinstance(a, dict) != isinstance(b, dict)) or (
            not isinstance(a, dict) and isinstance(a, list) != isinstance(b, list)):
        raise ValueError(f"Expected an instance of {_type_name(a)}, got {b!r}.")
    if isinstance(a, dict):
        if set(a) != set(b):
            missing = sorted(set(a) - set(b), key=repr)
            extra = sorted(set(b) - set(a), key=repr)
            raise ValueError(
                f"dictionary key mismatch; expected key(s): {sorted(a, key=repr)}, got key(s): "
                f"{sorted(b, key=repr)}, missing key(s): {missing}, extra key(s): {extra}; "
                f"dict: {b!r}.")
    elif len(a) != len(b):
        raise ValueError(f"{_type_name(a)} arity mismatch; expected: {len(a)}, got: {len(b)}; "
                         f"{_type_name(a)}: {b!r}.")


def _check_same(a, b):
    """Raise ValueError unless ``b`` has every node of ``a`` (where ``a`` has a leaf, ``b`` may
    have anything: optree's ``flatten_up_to``)."""
    if not is_nested(a):
        return
    _check_level(a, b)
    for key, child in _children(a):
        _check_same(child, b[key])


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied to the leaves at the same places of ``structures`` (which must have the
    same structure: see ``assert_same_structure``), in the first structure's shape. With
    ``none_is_leaf=False`` a None stays None without a call."""
    if not structures:
        raise ValueError("Must provide at least one structure")
    first = structures[0]
    for other in structures[1:]:
        assert_same_structure(first, other)

    def walk(nodes):
        x = nodes[0]
        if is_nested(x):
            keyed = [_children(x)] + [
                [(k, n[k]) for k in _keys(x)] if isinstance(x, dict) else list(enumerate(n))
                for n in nodes[1:]]
            values = [walk([kids[i][1] for kids in keyed]) for i in range(len(keyed[0]))]
            return _rebuild(x, values)
        if x is None and not none_is_leaf:
            return None
        return func(*nodes)

    return walk(list(structures))


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of
    ``shallow_structure`` (whose nodes the structures must have)."""
    if not structures:
        raise ValueError("Must provide at least one structure")

    def walk(shallow, nodes):
        if not is_nested(shallow):
            return func(*nodes)
        for n in nodes:
            _check_level(shallow, n)
        if isinstance(shallow, dict):
            values = [walk(shallow[k], [n[k] for n in nodes]) for k in _keys(shallow)]
        else:
            values = [walk(s, [n[i] for n in nodes]) for i, s in enumerate(shallow)]
        return _rebuild(shallow, values)

    return walk(shallow_structure, list(structures))


def pack_sequence_as(structure, flat_sequence):
    """``structure`` with its leaves replaced, in flattening order, by ``flat_sequence``."""
    flat = list(flat_sequence)
    expected = len(flatten(structure))
    if len(flat) < expected:
        raise ValueError(f"Too few leaves for PyTreeSpec; expected: {expected}, "
                         f"got: {len(flat)}.")
    if len(flat) > expected:
        raise ValueError(f"Too many leaves for PyTreeSpec; expected: {expected}.")
    if _flat_sequence(structure):
        return _rebuild(structure, flat)
    leaves = iter(flat)

    def walk(x):
        if is_nested(x):
            return _rebuild(x, [walk(child) for _, child in _children(x)])
        return next(leaves)

    return walk(structure)


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple."""
    def walk(x):
        if not is_nested(x):
            return x
        values = [walk(child) for _, child in _children(x)]
        return tuple(values) if isinstance(x, list) else _rebuild(x, values)

    return walk(structure)


def _is_shape(x):
    return isinstance(x, (list, tuple)) and all(
        isinstance(d, int) or d is None for d in x)


def map_shape_structure(func, structure):
    """``func`` applied to each shape in ``structure``: a shape is a list or tuple of ints and
    Nones, and counts as one leaf."""
    def walk(x):
        if _is_shape(x) or not is_nested(x):
            return func(x)
        return _rebuild(x, [walk(child) for _, child in _children(x)])

    return walk(structure)


def traverse(func, structure, top_down=True):
    """Visit every node and leaf of ``structure`` with ``func``.

    Top down, a non-None result replaces the node (and its children are not visited);
    bottom up, ``func`` sees each node after its children were rebuilt and a non-None result
    replaces it. ``MAP_TO_NONE`` stands for a None result that replaces.
    """
    def result(value, default):
        if value is MAP_TO_NONE:
            return None
        return default if value is None else value

    def down(x):
        value = func(x)
        if value is not None:
            return result(value, None)
        if not is_nested(x):
            return x
        return _rebuild(x, [down(child) for _, child in _children(x)])

    def up(x):
        if is_nested(x):
            x = _rebuild(x, [up(child) for _, child in _children(x)])
        return result(func(x), x)

    return down(structure) if top_down else up(structure)


def assert_same_structure(a, b, check_types=None):
    """Raise ValueError unless ``a`` and ``b`` have the same nodes (types, lengths, keys).
    ``check_types`` is accepted for compatibility; types are always checked, as in Keras."""
    _check_same(a, b)
    try:
        _check_same(b, a)  # a leaf of `a` where `b` has a node
    except ValueError:
        raise ValueError("Structures don't have the same nested structure.") from None


def assert_same_paths(a, b):
    """Raise ValueError unless ``a`` and ``b`` have the same leaf paths (node types may
    differ)."""
    paths_a = {p for p, _ in flatten_with_path(a)}
    paths_b = {p for p, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        message = "`a` and `b` don't have the same paths."
        if paths_a - paths_b:
            message += f"\nPaths in `a` missing in `b`:\n{paths_a - paths_b}"
        if paths_b - paths_a:
            message += f"\nPaths in `b` missing in `a`:\n{paths_b - paths_a}"
        raise ValueError(message)
