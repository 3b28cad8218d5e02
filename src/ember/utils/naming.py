"""Unique names for layers and models (``dense``, ``dense_1``, ...), as Keras."""

import collections

from ember.registry import to_snake_case

_counters = collections.defaultdict(int)


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``, ..."""
    n = _counters[base]
    _counters[base] += 1
    return base if n == 0 else f"{base}_{n}"


def auto_name(cls_name):
    return unique_name(to_snake_case(cls_name))


def get_uid(prefix=""):
    """1 the first time for ``prefix``, then 2, 3, ... (the counters that name layers)."""
    _counters[prefix] += 1
    return _counters[prefix]


def clear_session(free_memory=True):
    """Reset the name counters (as ``keras.utils.clear_session``); with ``free_memory``, also
    run Python's garbage collector so that dropped models free their memory now."""
    _counters.clear()
    if free_memory:
        import gc

        gc.collect()
