"""Recurrent layers: forward against plain-NumPy loops, BPTT gradients of the fused ops (with
masks, go_backwards, states, recurrent dropout), Keras weight layout and configs,
Bidirectional, masks from Embedding, errors."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np, weight_table

from ember import layers
from ember.autodiff.gradcheck import check_gradients
from ember.autodiff.tensor import Tensor, Variable
from ember.backend import np
from ember.ops.rnn import rnn_sequence


# -- plain-NumPy references -----------------------------------------------------------------------
def _sig(a):
    return 1 / (1 + np.exp(-a))


def _step_simple(x, states, w):
    k, r, b = w
    h = np.tanh(x @ k + states[0] @ r + (0 if b is None else b))
    return h, [h]


def _step_lstm(x, states, w):
    k, r, b = w
    h, c = states
    z = x @ k + h @ r + (0 if b is None else b)
    i, f, g, o = np.split(z, 4, axis=-1)
    c = _sig(f) * c + _sig(i) * np.tanh(g)
    h = _sig(o) * np.tanh(c)
    return h, [h, c]


def _step_gru(x, states, w, reset_after=True):
    k, r, b = w
    h = states[0]
    u = h.shape[1]
    if reset_after:
        bi, br = (0, 0) if b is None else (b[0], b[1])
        xz, xr, xh = np.split(x @ k + bi, 3, axis=-1)
        rz, rr, rh = np.split(h @ r + br, 3, axis=-1)
        z, rg = _sig(xz + rz), _sig(xr + rr)
        hh = np.tanh(xh + rg * rh)
    else:
        xz, xr, xh = np.split(x @ k + (0 if b is None else b), 3, axis=-1)
        rz, rr = np.split(h @ r[:, :2 * u], 2, axis=-1)
        z, rg = _sig(xz + rz), _sig(xr + rr)
        hh = np.tanh(xh + (rg * h) @ r[:, 2 * u:])
    h = z * states[0] + (1 - z) * hh
    return h, [h]


def np_rnn(step, x, states, w, mask=None, go_backwards=False, zero_output=False):
    """Keras's backend.rnn: masked steps keep the states and repeat the previous output."""
    steps = x.shape[1]
    outs, prev = [], np.zeros_like(states[0])
    for t in (range(steps - 1, -1, -1) if go_backwards else range(steps)):
        out, new = step(x[:, t], states, w)
        if mask is not None:
            m = mask[:, t, None]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            out = np.where(m, out, 0.0 if zero_output else prev)
        states, prev = new, out
        outs.append(out)
    return np.stack(outs, axis=1), states


def _weights(layer):
    c = layer.cell
    return [c.kernel.numpy().astype("float64"), c.recurrent_kernel.numpy().astype("float64"),
            None if c.bias is None else c.bias.numpy().astype("float64")]


STEPS = {"simple": (layers.SimpleRNN, _step_simple, 1),
         "lstm": (layers.LSTM, _step_lstm, 2),
         "gru": (layers.GRU, _step_gru, 1),
         "gru_before": (lambda u, **k: layers.GRU(u, reset_after=False, **k),
                        lambda x, s, w: _step_gru(x, s, w, reset_after=False), 1)}

MASK = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 0], [0, 1, 1, 1, 1]], dtype=bool)


@pytest.mark.parametrize("kind", sorted(STEPS))
@pytest.mark.parametrize("opts", [
    {}, {"go_backwards": True}, {"mask": True}, {"mask": True, "go_backwards": True},
    {"mask": True, "zero_output_for_mask": True}, {"use_bias": False}])
def test_forward_matches_numpy_loop(kind, opts):
    make, step, n_states = STEPS[kind]
    opts = dict(opts)
    use_mask = opts.pop("mask", False)
    x = rng(1).standard_normal((3, 5, 4)).astype("float32")
    layer = make(6, return_sequences=True, return_state=True, **opts)
    mask = MASK if use_mask else None
    init = [rng(2 + i).standard_normal((3, 6)).astype("float32") for i in range(n_states)]
    got = to_np(layer(x, initial_state=init, mask=mask))
    ref_seq, ref_states = np_rnn(step, x.astype("float64"), [s.astype("float64") for s in init],
                                 _weights(layer), mask=mask,
                                 go_backwards=opts.get("go_backwards", False),
                                 zero_output=opts.get("zero_output_for_mask", False))
    np.testing.assert_allclose(got[0], ref_seq, rtol=1e-4, atol=1e-5)
    for g, r in zip(got[1:], ref_states):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)
    # the last output alone (return_sequences=False) is the last step of the sequence
    last = make(6, **opts)
    last(x)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_np(last(x, initial_state=init, mask=mask)), ref_seq[:, -1],
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(STEPS))
def test_stepwise_path_equals_fused_path(kind):
    """The generic path (cell.call per step on the tape) agrees with the fused op."""
    make, _, n_states = STEPS[kind]
    x = rng(3).standard_normal((3, 5, 4)).astype("float32")
    layer = make(4, return_sequences=True, return_state=True)
    layer(x)
    init = layer.get_initial_state(3)
    fused = to_np(layer._fused(Tensor(x), init, MASK, None, None,
                               layer.cell.fused_activations()))
    layer.go_backwards = True
    step = layer._stepwise(Tensor(x), init, MASK, False)
    layer.go_backwards = False
    step_fwd = to_np(layer._stepwise(Tensor(x), init, MASK, False))
    np.testing.assert_allclose(fused[0], step_fwd[0], rtol=1e-5, atol=1e-6)
    for a, b in zip(fused[1], step_fwd[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert to_np(step[0]).shape == (3, 5, 4)


def test_custom_activation_uses_the_stepwise_path():
    x = rng(4).standard_normal((2, 3, 2)).astype("float32")
    layer = layers.SimpleRNN(3, activation="softsign", return_sequences=True)
    y = to_np(layer(x))
    k, r, b = _weights(layer)
    h = np.zeros((2, 3))
    for t in range(3):
        a = x[:, t] @ k + h @ r + b
        h = a / (1 + np.abs(a))
        np.testing.assert_allclose(y[:, t], h, rtol=1e-5, atol=1e-6)
    assert layer.cell.fused_activations() is None


# -- gradients (backpropagation through time inside the fused op) ---------------------------------
GRAD_CASES = [
    {}, {"go_backwards": True}, {"return_sequences": True}, {"return_state": True},
    {"return_sequences": True, "return_state": True, "mask": True},
    {"mask": True, "go_backwards": True}, {"return_sequences": True, "mask": True,
                                             "zero_output_for_mask": True},
    {"use_bias": False, "return_sequences": True},
]


def _call_layer(layer, x, h0, c0=None, mask=None):
    init = [h0] if c0 is None else [h0, c0]
    y = layer(x, initial_state=init, mask=mask)
    if isinstance(y, tuple):  # output and states: differentiate through all of them
        from ember import ops

        y = ops.concatenate([ops.reshape(t, (t.shape[0], -1)) for t in y], axis=1)
    return y


@pytest.mark.parametrize("kind", sorted(STEPS))
@pytest.mark.parametrize("opts", GRAD_CASES)
def test_gradients(kind, opts):
    make, _, n_states = STEPS[kind]
    opts = dict(opts)
    mask = MASK[:2, :4] if opts.pop("mask", False) else None
    layer = make(3, dtype="float64", **opts)
    r = rng(5)
    x = r.standard_normal((2, 4, 2))
    states = [r.standard_normal((2, 3)) for _ in range(n_states)]
    layer(x)
    for w in layer.trainable_weights:  # non-trivial biases
        w.assign(w.numpy() + r.standard_normal(w.shape) * 0.3)
    grad_check(layer, [x] + states,
               call=lambda l, *t: _call_layer(l, t[0], *t[1:], mask=mask))


@pytest.mark.parametrize("kind,gates,acts", [
    ("lstm", 4, ("tanh", "sigmoid")), ("gru", 3, ("tanh", "sigmoid")),
    ("simple_rnn", 1, ("relu", "sigmoid")), ("lstm", 4, ("linear", "hard_sigmoid"))])
def test_op_gradients_with_recurrent_dropout_mask(kind, gates, acts):
    r = rng(6)
    u = 3
    x = r.standard_normal((2, 4, 2))
    rmask = (r.random((2, u)) > 0.4) / 0.6
    w = [Variable(r.standard_normal((2, gates * u)) * 0.5, dtype="float64"),
         Variable(r.standard_normal((u, gates * u)) * 0.5, dtype="float64"),
         Variable(r.standard_normal((2, gates * u) if kind == "gru" else (gates * u,)),
                  dtype="float64")]
    n_states = 2 if kind == "lstm" else 1
    states = [r.standard_normal((2, u)) for _ in range(n_states)]

    def fn(xt, *st):
        return rnn_sequence(kind, xt, list(st), *w, units=u, activation=acts[0],
                            recurrent_activation=acts[1], recurrent_mask=rmask,
                            mask=MASK[:2, :4], return_sequences=True, return_state=True)

    check_gradients(fn, [x] + states, variables=w)


# -- layout and configs ---------------------------------------------------------------------------
@pytest.mark.parametrize("make,expected", [
    (lambda: layers.LSTM(8), [("kernel", (5, 32)), ("recurrent_kernel", (8, 32)),
                              ("bias", (32,))]),
    (lambda: layers.GRU(8), [("kernel", (5, 24)), ("recurrent_kernel", (8, 24)),
                             ("bias", (2, 24))]),
    (lambda: layers.GRU(8, reset_after=False), [("kernel", (5, 24)),
                                                ("recurrent_kernel", (8, 24)), ("bias", (24,))]),
    (lambda: layers.SimpleRNN(8), [("kernel", (5, 8)), ("recurrent_kernel", (8, 8)),
                                   ("bias", (8,))]),
    (lambda: layers.LSTM(8, use_bias=False), [("kernel", (5, 32)),
                                              ("recurrent_kernel", (8, 32))]),
])
def test_weights_live_in_the_cell_with_keras_layout(make, expected):
    layer = make()
    layer.build((None, 7, 5))
    assert weight_table(layer) == expected
    assert weight_table(layer.cell) == expected
    assert layer.cell.weights[0] is layer.weights[0]
    assert layer.cell.name == {"LSTM": "lstm_cell", "GRU": "gru_cell",
                               "SimpleRNN": "simple_rnn_cell"}[type(layer).__name__]


def test_lstm_unit_forget_bias_and_orthogonal_recurrent_kernel():
    layer = layers.LSTM(4)
    layer.build((None, 3, 2))
    b = layer.cell.bias.numpy()
    np.testing.assert_array_equal(b, [0] * 4 + [1] * 4 + [0] * 8)
    rk = layer.cell.recurrent_kernel.numpy()  # (4, 16): orthonormal rows
    np.testing.assert_allclose(rk @ rk.T, np.eye(4), atol=1e-5)
    no_ufb = layers.LSTM(4, unit_forget_bias=False)
    no_ufb.build((None, 3, 2))
    np.testing.assert_array_equal(no_ufb.cell.bias.numpy(), 0)


def test_lstm_config_keys_as_keras():
    cfg = layers.LSTM(5).get_config()
    assert list(cfg)[:9] == ["name", "trainable", "dtype", "return_sequences", "return_state",
                             "go_backwards", "stateful", "unroll", "zero_output_for_mask"]
    assert list(cfg)[9:] == [
        "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
        "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
        "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
        "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed"]
    assert cfg["recurrent_initializer"]["class_name"] == "Orthogonal"
    gru = layers.GRU(5).get_config()
    assert gru["reset_after"] is True and "unit_forget_bias" not in gru
    assert "recurrent_activation" not in layers.SimpleRNN(5).get_config()
    assert layers.LSTM(5).units == 5 and layers.GRU(5, dropout=0.25).dropout == 0.25


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(4, return_sequences=True, go_backwards=True, dropout=0.1),
    lambda: layers.GRU(4, reset_after=False, return_state=True, activation="relu"),
    lambda: layers.SimpleRNN(4, recurrent_dropout=0.2, kernel_regularizer="l2"),
    lambda: layers.RNN(layers.LSTMCell(4), return_sequences=True),
    lambda: layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode="sum"),
    lambda: layers.Bidirectional(layers.GRU(3)),
])
def test_config_round_trip(make):
    assert_roundtrip(make(), rng(7).standard_normal((2, 5, 3)).astype("float32"))


# -- masks from Embedding, Bidirectional, stateful, dropout ---------------------------------------
def test_embedding_mask_reaches_lstm():
    ids = np.array([[5, 2, 7, 0, 0], [3, 0, 0, 0, 0], [1, 2, 3, 4, 6]])
    emb = layers.Embedding(8, 3, mask_zero=True)
    lstm = layers.LSTM(4)
    y = to_np(lstm(emb(ids)))
    for i, row in enumerate(ids):  # right padding: same as the unpadded sequence
        real = row[row != 0][None]
        np.testing.assert_allclose(y[i], to_np(lstm(emb(real)))[0], rtol=1e-5, atol=1e-6)
    seq = layers.LSTM(4, return_sequences=True)
    out = seq(emb(ids))
    np.testing.assert_array_equal(np.asarray(out._keras_mask), ids != 0)


def test_bidirectional_matches_two_directions():
    x = rng(8).standard_normal((2, 5, 3)).astype("float32")
    bi = layers.Bidirectional(layers.LSTM(4, return_sequences=True, name="lstm"))
    y = to_np(bi(x))
    assert bi.forward_layer.name == "forward_lstm" and bi.backward_layer.name == "backward_lstm"
    assert bi.backward_layer.go_backwards and not bi.forward_layer.go_backwards
    fw, bw = layers.LSTM(4, return_sequences=True), layers.LSTM(4, return_sequences=True,
                                                                go_backwards=True)
    fw(x), bw(x)
    fw.set_weights(bi.forward_layer.get_weights())
    bw.set_weights(bi.backward_layer.get_weights())
    ref = np.concatenate([to_np(fw(x)), to_np(bw(x))[:, ::-1]], axis=-1)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    assert len(bi.weights) == 6 and bi.compute_output_shape((None, 5, 3)) == (None, 5, 8)
    assert [w.name for w in bi.weights[:3]] == ["kernel", "recurrent_kernel", "bias"]
    cfg = bi.get_config()
    assert cfg["merge_mode"] == "concat" and cfg["layer"]["class_name"] == "LSTM"
    assert cfg["backward_layer"]["config"]["go_backwards"] is True


def test_bidirectional_states_masks_and_gradients():
    x = rng(9).standard_normal((3, 5, 2))
    bi = layers.Bidirectional(layers.GRU(3, return_state=True), merge_mode="ave",
                              dtype="float64")
    out = bi(x)
    assert len(out) == 3 and to_np(out[0]).shape == (3, 3)
    shapes = bi.compute_output_shape((None, 5, 2))
    assert shapes == ((None, 3), (None, 3), (None, 3))
    bi2 = layers.Bidirectional(layers.LSTM(2, return_sequences=True), dtype="float64")
    grad_check(bi2, x, call=lambda l, t: l(t, mask=MASK))


def test_stateful_carries_state_between_calls():
    x = rng(10).standard_normal((2, 6, 3)).astype("float32")
    whole = layers.GRU(4)
    full = to_np(whole(x))
    stateful = layers.GRU(4, stateful=True)
    stateful(x[:, :3])
    stateful.set_weights(whole.get_weights())
    stateful.reset_states()
    stateful(x[:, :3])
    np.testing.assert_allclose(to_np(stateful(x[:, 3:])), full, rtol=1e-5, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(to_np(stateful(x)), full, rtol=1e-5, atol=1e-6)


def test_dropout_only_while_training():
    x = rng(11).standard_normal((4, 5, 3)).astype("float32")
    layer = layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5)
    a, b = to_np(layer(x)), to_np(layer(x))
    np.testing.assert_array_equal(a, b)
    t1, t2 = to_np(layer(x, training=True)), to_np(layer(x, training=True))
    assert not np.allclose(t1, a) and not np.allclose(t1, t2)
    assert layer.cell._dropout_mask is None  # masks are per sequence, dropped afterwards


def test_symbolic_shapes():
    from ember.layers import Input

    x = Input((7, 3))
    y, h, c = layers.LSTM(5, return_sequences=True, return_state=True)(x)
    assert y.shape == (None, 7, 5) and h.shape == (None, 5) and c.shape == (None, 5)
    assert layers.Bidirectional(layers.GRU(4))(x).shape == (None, 8)


def test_errors():
    with pytest.raises(ValueError, match=r"LSTM.*units.*-4"):
        layers.LSTM(-4)
    with pytest.raises(ValueError, match=r"GRUCell.*units.*0"):
        layers.GRUCell(0)
    with pytest.raises(ValueError, match=r"LSTM 'l'.*rank 3.*\(2, 5\)"):
        layers.LSTM(3, name="l")(np.zeros((2, 5), dtype="float32"))
    with pytest.raises(ValueError, match=r"SimpleRNN.*dropout.*1.5"):
        layers.SimpleRNN(3, dropout=1.5)
    with pytest.raises(ValueError, match=r"LSTM 'l2'.*2 initial state.*1"):
        layers.LSTM(3, name="l2")(np.zeros((2, 4, 3), dtype="float32"),
                                  initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"GRU 'g'.*mask.*\(2, 3\).*\(2, 4, 3\)"):
        layers.GRU(3, name="g")(np.zeros((2, 4, 3), dtype="float32"),
                                mask=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"Bidirectional.*merge_mode.*'cat'"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="cat")
    with pytest.raises(ValueError, match=r"Bidirectional.*recurrent layer"):
        layers.Bidirectional(layers.Dense(3))


# -- training on a generated task ----------------------------------------------------------------
def make_order_task(n, seed, maxlen=15):
    """Padded token sequences holding tokens 1 and 2 once each; label 1 when 1 comes first
    (an order a bag of words cannot see)."""
    r = np.random.default_rng(seed)
    x = np.zeros((n, maxlen), dtype="int64")
    y = np.zeros(n, dtype="int64")
    for i in range(n):
        length = r.integers(4, maxlen + 1)
        row = r.integers(3, 12, size=length)
        a, b = r.choice(length, size=2, replace=False)
        row[a], row[b] = 1, 2
        x[i, :length] = row
        y[i] = int(a < b)
    return x, y


@pytest.mark.parametrize("rnn", [lambda: layers.LSTM(16),
                                 lambda: layers.Bidirectional(layers.GRU(8))])
def test_recurrent_classifier_learns_order(rnn):
    import ember

    ember.utils.set_random_seed(0)
    (x, y), (xt, yt) = make_order_task(2000, 1), make_order_task(500, 2)
    model = ember.Sequential([layers.Embedding(12, 8, mask_zero=True), rnn(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=ember.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.9
