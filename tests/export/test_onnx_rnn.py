"""ONNX export of the recurrent layers: LSTM (gate reorder), GRU (both reset_after), SimpleRNN,
the RNN wrapper, Bidirectional, go_backwards, return_state; and the refusals."""

import pytest
from onnx_parity import assert_parity, op_types

import ember
from ember import layers
from ember.backend import np
from ember.export import ExportError, to_onnx


def seq(shape, *stack):
    return ember.Sequential([ember.Input(shape)] + list(stack))


def random_biases(model):
    """Non-zero biases, so that a wrong bias layout shows."""
    rng = np.random.default_rng(1)
    for w in model.weights:
        if "bias" in w.name:
            w.assign(rng.normal(size=w.shape).astype(np.float32))
    return model


RECURRENT = {
    "lstm": lambda: seq((6, 3), layers.LSTM(4)),
    "lstm_sequences": lambda: seq((6, 3), layers.LSTM(4, return_sequences=True)),
    "lstm_go_backwards": lambda: seq((6, 3), layers.LSTM(4, go_backwards=True)),
    "lstm_go_backwards_sequences": lambda: seq((6, 3), layers.LSTM(
        4, go_backwards=True, return_sequences=True)),
    "lstm_no_bias": lambda: seq((6, 3), layers.LSTM(4, use_bias=False)),
    "lstm_hard_sigmoid": lambda: seq((6, 3), layers.LSTM(4, recurrent_activation="hard_sigmoid")),
    "lstm_relu": lambda: seq((6, 3), layers.LSTM(4, activation="relu")),
    "gru": lambda: seq((6, 3), layers.GRU(4)),
    "gru_reset_before": lambda: seq((6, 3), layers.GRU(4, reset_after=False,
                                                        return_sequences=True)),
    "gru_go_backwards": lambda: seq((6, 3), layers.GRU(4, go_backwards=True,
                                                        return_sequences=True)),
    "simple_rnn": lambda: seq((6, 3), layers.SimpleRNN(4)),
    "simple_rnn_relu_sequences": lambda: seq((6, 3), layers.SimpleRNN(
        4, activation="relu", return_sequences=True)),
    "rnn_wrapper_lstm_cell": lambda: seq((6, 3), layers.RNN(layers.LSTMCell(4))),
    "rnn_wrapper_gru_cell": lambda: seq((6, 3), layers.RNN(layers.GRUCell(4),
                                                           return_sequences=True)),
    "bidirectional_lstm": lambda: seq((6, 3), layers.Bidirectional(layers.LSTM(4))),
    "bidirectional_gru_sequences": lambda: seq((6, 3), layers.Bidirectional(
        layers.GRU(4, return_sequences=True))),
    "bidirectional_sum": lambda: seq((6, 3), layers.Bidirectional(
        layers.SimpleRNN(4, return_sequences=True), merge_mode="sum")),
    "bidirectional_ave": lambda: seq((6, 3), layers.Bidirectional(layers.LSTM(4),
                                                                  merge_mode="ave")),
    "bidirectional_mul": lambda: seq((6, 3), layers.Bidirectional(
        layers.GRU(4, reset_after=False), merge_mode="mul")),
    "stacked_with_dense": lambda: seq((7, 3), layers.LSTM(5, return_sequences=True),
                                      layers.Bidirectional(layers.GRU(3, return_sequences=True)),
                                      layers.Dense(2), layers.SimpleRNN(2)),
    "embedding_lstm_gru": lambda: seq((7,), layers.Embedding(30, 5),
                                      layers.LSTM(4, return_sequences=True), layers.GRU(3)),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent(name):
    assert_parity(random_biases(RECURRENT[name]()))


def test_no_layout_1_and_no_transpose_between_recurrent_layers():
    proto = assert_parity(random_biases(RECURRENT["stacked_with_dense"]()))
    for node in proto.graph.node:
        if node.op_type in ("LSTM", "GRU", "RNN"):
            assert all(a.name != "layout" or a.i == 0 for a in node.attribute)
    # one into time-major, one out for the Dense, one back in for the SimpleRNN
    assert op_types(proto).count("Transpose") == 4  # + the bidirectional (T,2,B,H) shuffle


def test_return_state():
    inp = ember.Input((6, 3))
    out, h, c = layers.LSTM(4, return_state=True, return_sequences=True)(inp)
    gru_out, gru_h = layers.GRU(2, return_state=True)(out)
    assert_parity(random_biases(ember.Model(inp, [out, h, c, gru_out, gru_h])))
    bi = layers.Bidirectional(layers.LSTM(4, return_state=True))(inp)
    assert_parity(random_biases(ember.Model(inp, list(bi))))
    both = layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode=None)(inp)
    assert_parity(random_biases(ember.Model(inp, list(both))))


def test_lstm_gate_order_matters():
    # the forget and output gates get very different biases: a wrong reorder fails parity
    model = seq((6, 3), layers.LSTM(4))
    bias = np.zeros(16, dtype=np.float32)
    bias[4:8], bias[12:16] = 3.0, -3.0
    model.layers[0].cell.bias.assign(bias)
    proto = assert_parity(model)
    (node,) = [n for n in proto.graph.node if n.op_type == "LSTM"]
    init = {t.name: t for t in proto.graph.initializer}
    from onnx import numpy_helper

    b = numpy_helper.to_array(init[node.input[3]])[0]
    np.testing.assert_array_equal(b[4:8], -3.0)  # ONNX i, o, f, c
    np.testing.assert_array_equal(b[8:12], 3.0)


def test_masked_input_to_rnn_is_refused():
    model = seq((7,), layers.Embedding(30, 5, mask_zero=True), layers.LSTM(4, name="lstm_m"))
    with pytest.raises(ExportError, match="LSTM layer 'lstm_m'.*mask"):
        to_onnx(model)


def test_refusals_name_the_layer():
    model = seq((6, 3), layers.LSTM(4, activation="softsign", name="odd"))
    with pytest.raises(ExportError, match="LSTM layer 'odd'.*softsign"):
        to_onnx(model)
    stateful = ember.Sequential([ember.Input(batch_shape=(2, 6, 3)),
                                 layers.GRU(4, stateful=True, name="keeps")])
    with pytest.raises(ExportError, match="GRU layer 'keeps'.*stateful"):
        to_onnx(stateful)
    inp, state = ember.Input((6, 3)), ember.Input((4,))
    out = layers.GRU(4, name="seeded")(inp, initial_state=[state])
    with pytest.raises(ExportError, match="GRU layer 'seeded'.*keyword"):
        to_onnx(ember.Model([inp, state], out))
