"""Seeding."""

import random as _pyrandom

from ember import config


def set_random_seed(seed):
    """Seed ember's generator, NumPy's global generator and Python's ``random``.

    Two runs with the same seed create identical weights and identical shuffles.
    """
    if not isinstance(seed, int):
        raise TypeError(f"set_random_seed expects an int seed. Received: seed={seed!r}")
    _pyrandom.seed(seed)
    config.seed(seed)
