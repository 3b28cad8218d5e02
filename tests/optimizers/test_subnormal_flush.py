"""Slots that decay towards zero are flushed before they become subnormal (slow) numbers."""

import numpy as np

import ember
from ember.optimizers import base_optimizer


def test_decaying_momentum_is_flushed_to_zero_not_left_subnormal():
    v = ember.Variable(np.ones(4, dtype="float32"))
    opt = ember.optimizers.Adam(learning_rate=1e-3)
    opt.build([v])
    opt.apply([np.array([1.0, 0, 0, 0], dtype="float32")], [v])
    zero = np.zeros(4, dtype="float32")
    tiny = np.finfo(np.float32).tiny
    for _ in range(1000):  # momentum of element 0 decays by 0.9 per step: 1000 steps pass 1e-38
        opt.apply([zero], [v])
        m = opt.variables[2].numpy()
        assert not np.any((m != 0) & (np.abs(m) < tiny)), "a subnormal momentum survived"
    assert opt.variables[2].numpy()[0] == 0.0


def test_flush_leaves_normal_values_alone():
    slot = np.array([1e-29, -1e-31, 0.5, -2e-30], dtype="float32")
    base_optimizer._flush_tiny([slot], np.empty_like(slot))
    np.testing.assert_array_equal(slot, np.array([1e-29, 0.0, 0.5, -2e-30], dtype="float32"))
