"""ONNX export of whole models: the tutorial MLP and the convnet on random and real MNIST
inputs, graph boundary (names, dynamic batch, initializers), opsets, writing and validation."""

import os

import pytest
from onnx_parity import assert_parity, onnx, op_types, session

import ember
from ember import layers
from ember.backend import np
from ember.export import ExportError, compare_with_onnxruntime, to_onnx


def tutorial_model():
    return ember.Sequential([
        layers.Flatten(input_shape=(28, 28)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def convnet():
    return ember.Sequential([
        ember.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def mnist_feeds(mnist_arrays, model, shape, sizes=(1, 7)):
    name = model.inputs[0]._keras_history[0].name
    (_, _), (x_test, _) = mnist_arrays
    images = (x_test[:max(sizes)] / np.float32(255)).astype(np.float32)
    return [{name: images[:n].reshape((n,) + shape)} for n in sizes]


def test_tutorial_model_random_inputs():
    proto = assert_parity(tutorial_model())
    assert op_types(proto) == ["Flatten", "Gemm", "Relu", "Gemm", "Softmax"]
    assert len(proto.graph.initializer) == 4


def test_tutorial_model_mnist(mnist_arrays):
    model = tutorial_model()
    assert_parity(model, feeds=mnist_feeds(mnist_arrays, model, (28, 28)))


def test_convnet_random_inputs():
    proto = assert_parity(convnet())
    ops = op_types(proto)
    # one transpose into NCHW before the first conv, one back before Flatten; no Dropout
    assert ops.count("Transpose") == 2 and "Dropout" not in ops
    assert ops.count("Conv") == 2 and ops.count("MaxPool") == 2


def test_convnet_mnist(mnist_arrays):
    model = convnet()
    assert_parity(model, feeds=mnist_feeds(mnist_arrays, model, (28, 28, 1)))


def test_graph_boundary_names_batch_and_initializers():
    inp = ember.Input(shape=(6,), name="features")
    out = layers.Dense(3, activation="sigmoid", name="scores")(layers.Dense(4)(inp))
    model = ember.Model(inp, out)
    proto = to_onnx(model)
    g = proto.graph
    assert [i.name for i in g.input] == ["features"]
    assert [o.name for o in g.output] == ["scores"]
    dims = g.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 6
    assert g.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    init = {t.name for t in g.initializer}
    assert not init & {i.name for i in g.input}
    assert "scores/kernel" in init
    assert proto.opset_import[0].version == 17 and proto.ir_version == 8
    assert proto.producer_name == "ember"
    names = [n.name for n in g.node]
    assert len(set(names)) == len(names)


def test_custom_names_and_dynamic_batch():
    model = tutorial_model()
    proto = to_onnx(model, input_names=["pixels"], output_names=["probs"])
    sess = session(proto)
    for n in (1, 5, 32):
        x = np.random.default_rng(n).random((n, 28, 28), dtype=np.float32)
        (y,) = sess.run(["probs"], {"pixels": x})
        np.testing.assert_allclose(y, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="1 input names expected"):
        to_onnx(model, input_names=["a", "b"])


def test_opset_18_and_ir_version():
    model = ember.Sequential([ember.Input((8, 8, 3)), layers.Conv2D(4, 3, padding="same"),
                              layers.GlobalAveragePooling2D(), layers.Dense(2)])
    proto = assert_parity(model, opset=18)
    assert proto.ir_version == 8
    reduce = [n for n in proto.graph.node if n.op_type == "ReduceMean"][0]
    assert len(reduce.input) == 2  # axes as an input from opset 18
    assert [a.name for a in reduce.attribute] == ["keepdims"]
    assert to_onnx(model, opset=21).ir_version == 10
    with pytest.raises(ValueError, match="opset"):
        to_onnx(model, opset=13)


def test_writes_file_atomically(tmp_path):
    path = tmp_path / "m.onnx"
    model = tutorial_model()
    to_onnx(model, path)
    assert os.listdir(tmp_path) == ["m.onnx"]
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded, full_check=True)
    assert [o.name for o in loaded.graph.output] == [model.layers[-1].name]


def test_failed_export_leaves_no_file(tmp_path):
    model = ember.Sequential([ember.Input((4,)), layers.Lambda(lambda x: x * 2)])
    with pytest.raises(ExportError):
        to_onnx(model, tmp_path / "m.onnx")
    assert os.listdir(tmp_path) == []


def test_validate_flag_and_compare():
    model = convnet()
    proto = to_onnx(model, validate=True)
    assert compare_with_onnxruntime(model, proto) < 1e-5


def test_validate_reports_a_mismatch():
    model = tutorial_model()
    proto = to_onnx(model)
    model.layers[-1].bias.assign(np.ones(10, dtype=np.float32) * 3 + np.arange(10))
    with pytest.raises(ValueError, match="differs from ember's"):
        compare_with_onnxruntime(model, proto)


def test_unsupported_layer_names_layer_and_reason():
    model = ember.Sequential([ember.Input((4,)), layers.Dense(3),
                              layers.Lambda(lambda x: x * 2, name="times_two")])
    with pytest.raises(ExportError, match="Lambda layer 'times_two'.*Python code"):
        to_onnx(model)
    assert issubclass(ExportError, NotImplementedError)


def test_custom_layer_without_converter_and_with_one():
    class Scale(layers.Layer):
        def call(self, x):
            return x * 3.0

        def compute_output_shape(self, s):
            return s

    model = ember.Sequential([ember.Input((4,)), layers.Dense(3), Scale(name="scale")])
    with pytest.raises(ExportError, match="Scale layer 'scale'.*no ONNX converter"):
        to_onnx(model)

    from ember.export import Value, register_converter

    @register_converter(Scale)
    def _scale(g, layer, inputs, outputs):
        return Value(g.op("Mul", [g.keras(inputs[0]), g.scalar("k", 3.0)]), outputs[0].shape)

    assert_parity(model)


def test_subclass_overriding_call_is_refused():
    class Doubling(layers.Dense):
        def call(self, x):
            return super().call(x) * 2.0

    model = ember.Sequential([ember.Input((4,)), Doubling(3, name="doubling")])
    with pytest.raises(ExportError, match="Doubling layer 'doubling'"):
        to_onnx(model)


def test_subclassed_model_is_refused():
    class Net(ember.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    net = Net()
    net(np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(ExportError, match="Sequential and Functional"):
        to_onnx(net)


def test_unbuilt_sequential_is_refused():
    with pytest.raises(ValueError, match="no input shape"):
        to_onnx(ember.Sequential([layers.Dense(2)]))


def test_nested_models():
    inner = ember.Sequential([ember.Input((5,)), layers.Dense(4, activation="tanh")],
                             name="inner")
    inp = ember.Input((5,), name="x")
    out = layers.Dense(2, name="head")(inner(inp))
    assert_parity(ember.Model(inp, out))


def test_multi_input_multi_output_names():
    a, b = ember.Input((4,), name="a"), ember.Input((3,), name="b")
    h = layers.Dense(5, name="h")(a)
    probs = layers.Dense(2, name="probs", activation="softmax")(h)
    joined = layers.Concatenate(name="joined")([h, b])
    proto = assert_parity(ember.Model([a, b], [probs, joined, h]))
    assert [i.name for i in proto.graph.input] == ["a", "b"]
    assert [o.name for o in proto.graph.output] == ["probs", "joined", "h"]
    assert "Identity" not in op_types(proto)  # producers renamed, even 'h' used inside
    # the same tensor twice, and an input passed through: Identity nodes, unique names
    proto = assert_parity(ember.Model([a, b], [probs, probs, a]))
    assert [o.name for o in proto.graph.output] == ["probs", "probs_1", "a_1"]
    assert_parity(ember.Model({"a": a, "b": b}, {"x": probs, "y": joined}))


def test_unknown_spatial_and_sequence_sizes_stay_dynamic():
    model = ember.Sequential([
        ember.Input((None, None, 3)), layers.Conv2D(4, 3, padding="same", strides=2),
        layers.MaxPooling2D(3, strides=2, padding="same"), layers.AveragePooling2D(
            2, padding="same"), layers.Conv2D(2, 3), layers.GlobalAveragePooling2D()])
    proto = to_onnx(model)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_param and dims[2].dim_param and dims[1].dim_param != dims[2].dim_param
    sess, name = session(proto), proto.graph.input[0].name
    for shape in [(2, 20, 18, 3), (1, 33, 27, 3)]:
        x = np.random.default_rng(0).random(shape, dtype=np.float32)
        np.testing.assert_allclose(sess.run(None, {name: x})[0], model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-5)

    inp = ember.Input((None,), dtype="int32")
    x = layers.Embedding(50, 6)(inp)
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True))(x)
    model = ember.Model(inp, layers.Dense(2, activation="softmax")(layers.GRU(3)(x)))
    proto = to_onnx(model)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT32
    sess, name = session(proto), proto.graph.input[0].name
    for shape in [(2, 9), (1, 4), (3, 17)]:
        ids = np.random.default_rng(1).integers(0, 50, shape).astype(np.int32)
        np.testing.assert_allclose(sess.run(None, {name: ids})[0],
                                   model.predict(ids, verbose=0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("opset", [17, 18, 21])
def test_mixed_model_across_opsets(opset):
    image, ids = ember.Input((10, 10, 3), name="image"), ember.Input((6,), dtype="int64",
                                                                     name="ids")
    x = layers.Rescaling(1 / 255.0)(image)
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(layers.ZeroPadding2D(1)(x))
    x = layers.SeparableConv2D(4, 3)(x)
    x = layers.GlobalMaxPooling2D()(x)
    t = layers.Embedding(20, 4, mask_zero=True)(ids)
    t = layers.LayerNormalization()(t)
    t = layers.GlobalAveragePooling1D()(t)
    s = layers.LSTM(3)(layers.Embedding(20, 4)(ids))
    y = layers.Concatenate()([x, t, s])
    y = layers.Dense(5, activation="gelu")(layers.Dropout(0.2)(y))
    model = ember.Model([image, ids], layers.Dense(2, activation="softmax", name="out")(y))
    proto = assert_parity(model, opset=opset)
    assert proto.opset_import[0].version == opset
