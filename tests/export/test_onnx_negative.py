"""The spec's negative tests (§5): each deliberate mistake in an exported graph must FAIL
parity, which shows that the parity checks can see the details the exporter gets right."""

from onnx_parity import assert_parity, bn

import ember
from ember import layers
from ember.backend import np
from ember.export import random_inputs, run_onnxruntime


def seq(shape, *stack):
    return ember.Sequential([ember.Input(shape)] + list(stack))


def worst_error(model, proto):
    feeds = random_inputs(model, proto, 4, seed=4)
    (got,) = run_onnxruntime(proto, feeds)
    want = model.predict(next(iter(feeds.values())), verbose=0)
    return float(np.max(np.abs(got - want)))


def node(proto, op_type):
    return [n for n in proto.graph.node if n.op_type == op_type][0]


def set_attr(n, name, value):
    for a in n.attribute:
        if a.name == name:
            if a.type == a.INTS:
                del a.ints[:]
                a.ints.extend(value)
            elif a.type == a.FLOAT:
                a.f = value
            else:
                a.i = value
            return
    from onnx import helper

    n.attribute.append(helper.make_attribute(name, value))


def initializer(proto, name):
    return [t for t in proto.graph.initializer if t.name == name][0]


def replace_initializer(proto, name, array):
    from onnx import numpy_helper

    t = initializer(proto, name)
    t.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))


def check(model, spoil):
    proto = assert_parity(model)  # right as exported...
    spoil(proto)
    assert worst_error(model, proto) > 1e-4  # ...and 10x outside the tolerance when spoiled


def _lstm_keras_gate_order(proto):
    from onnx import numpy_helper

    lstm = node(proto, "LSTM")
    for name in lstm.input[1:4]:
        a = numpy_helper.to_array(initializer(proto, name)).copy()
        u = a.shape[1] // (8 if name.endswith("/B") else 4)  # B holds Wb then Rb
        blocks = [a[:, i * u:(i + 1) * u] for i in range(a.shape[1] // u)]
        blocks[:4] = [blocks[0], blocks[2], blocks[3], blocks[1]]  # i,o,f,c -> i,f,c,o
        replace_initializer(proto, name, np.concatenate(blocks, axis=1))


def test_lstm_without_gate_reorder_fails():
    model = seq((6, 3), layers.LSTM(4))
    rng = np.random.default_rng(0)
    model.layers[0].cell.bias.assign(rng.normal(size=16).astype(np.float32))
    check(model, _lstm_keras_gate_order)


def test_gru_reset_after_with_linear_before_reset_0_fails():
    check(seq((6, 3), layers.GRU(4)),
          lambda p: set_attr(node(p, "GRU"), "linear_before_reset", 0))


def test_average_pool_same_counting_pads_fails():
    check(seq((9, 8, 3), layers.AveragePooling2D(3, strides=2, padding="same")),
          lambda p: set_attr(node(p, "AveragePool"), "count_include_pad", 1))


def test_conv_same_with_odd_pad_at_start_fails():
    def spoil(p):
        conv = node(p, "Conv")
        pads = [a for a in conv.attribute if a.name == "pads"][0].ints
        set_attr(conv, "pads", list(pads[2:]) + list(pads[:2]))  # begin <-> end

    check(seq((8, 8, 3), layers.Conv2D(4, 2, padding="same")), spoil)


def test_flatten_on_nchw_without_transposing_back_fails():
    def spoil(p):
        back = [n for n in p.graph.node if n.op_type == "Transpose"][-1]
        flatten = node(p, "Flatten")
        flatten.input[0] = back.input[0]  # skip the transpose to NHWC

    check(seq((6, 6, 2), layers.Conv2D(3, 3), layers.Flatten(), layers.Dense(4)), spoil)


def test_batchnorm_with_onnx_default_epsilon_fails():
    model = seq((5,), bn((None, 5), low=0.001))
    check(model, lambda p: set_attr(node(p, "BatchNormalization"), "epsilon", 1e-5))
