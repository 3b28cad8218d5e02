"""ONNX export, layer by layer: each exportable layer in a tiny model; ONNX Runtime's output
equals ember's predict within 1e-5 at batch sizes 1 and 7."""

import pytest
from onnx_parity import assert_parity, bn, op_types

import ember
from ember import layers


def seq(shape, *stack):
    return ember.Sequential([ember.Input(shape)] + list(stack))


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "softplus",
               "softsign", "silu", "swish", "gelu", "exponential", "hard_sigmoid", "hard_silu",
               "mish", "relu6", "leaky_relu", "linear", None]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dense_activation(activation):
    assert_parity(seq((5,), layers.Dense(4, activation=activation)))


@pytest.mark.parametrize("activation", ["relu", "softmax", "gelu", "hard_sigmoid"])
def test_activation_layer_on_rank_4(activation):
    assert_parity(seq((4, 5, 3), layers.Activation(activation)))


def test_dense_rank_3_and_no_bias():
    proto = assert_parity(seq((6, 5), layers.Dense(4, use_bias=False),
                              layers.Dense(3, activation="softmax")))
    assert op_types(proto) == ["MatMul", "MatMul", "Add", "Softmax"]


CORE = {
    "flatten": lambda: seq((3, 4, 2), layers.Flatten(), layers.Dense(3)),
    "reshape": lambda: seq((12,), layers.Reshape((3, 4)), layers.Dense(2)),
    "reshape_minus_one": lambda: seq((3, 4, 2), layers.Reshape((-1, 2)), layers.Dense(2)),
    "permute": lambda: seq((3, 4, 2), layers.Permute((2, 3, 1)), layers.Dense(2)),
    "repeat_vector": lambda: seq((5,), layers.RepeatVector(3), layers.Dense(2)),
    "dropout": lambda: seq((5,), layers.Dropout(0.5), layers.Dense(2)),
}


@pytest.mark.parametrize("name", sorted(CORE))
def test_core_layer(name):
    assert_parity(CORE[name]())


CONV = {
    "conv2d_same_stride2": lambda: seq((9, 8, 3), layers.Conv2D(4, 3, strides=2,
                                                              padding="same")),
    "conv2d_valid_rect": lambda: seq((9, 8, 3), layers.Conv2D(4, (3, 2), activation="relu")),
    "conv2d_groups_dilation": lambda: seq((9, 8, 4), layers.Conv2D(6, 3, groups=2,
                                                                   dilation_rate=2,
                                                                   padding="same")),
    "conv2d_channels_first": lambda: seq((3, 9, 8), layers.Conv2D(
        4, 3, padding="same", data_format="channels_first"), layers.Flatten()),
    "conv1d_causal": lambda: seq((12, 4), layers.Conv1D(5, 3, padding="causal",
                                                        dilation_rate=2)),
    "conv1d_same": lambda: seq((12, 4), layers.Conv1D(5, 3, strides=2, padding="same",
                                                      activation="tanh")),
    "depthwise2d": lambda: seq((9, 8, 3), layers.DepthwiseConv2D(3, depth_multiplier=2,
                                                                 padding="same")),
    "depthwise1d": lambda: seq((12, 3), layers.DepthwiseConv1D(3, depth_multiplier=2)),
    "separable2d": lambda: seq((9, 8, 3), layers.SeparableConv2D(5, 3, strides=2,
                                                                 depth_multiplier=2,
                                                                 padding="same")),
    "separable1d": lambda: seq((12, 3), layers.SeparableConv1D(4, 3, padding="same")),
    "conv2d_transpose_same": lambda: seq((5, 4, 3), layers.Conv2DTranspose(2, 3, strides=2,
                                                                         padding="same")),
    "conv2d_transpose_valid": lambda: seq((5, 4, 3), layers.Conv2DTranspose(2, 2, strides=3)),
    "conv1d_transpose": lambda: seq((6, 3), layers.Conv1DTranspose(2, 3, strides=2)),
}


@pytest.mark.parametrize("name", sorted(CONV))
def test_convolution(name):
    assert_parity(CONV[name]())


POOL = {
    "max2d": lambda: seq((9, 8, 3), layers.MaxPooling2D()),
    "max2d_same": lambda: seq((9, 8, 3), layers.MaxPooling2D(3, strides=2, padding="same")),
    "avg2d": lambda: seq((9, 8, 3), layers.AveragePooling2D(2)),
    "avg2d_same": lambda: seq((9, 8, 3), layers.AveragePooling2D(3, strides=2,
                                                                 padding="same")),
    "max1d_same": lambda: seq((11, 3), layers.MaxPooling1D(3, strides=2, padding="same")),
    "avg1d_same": lambda: seq((11, 3), layers.AveragePooling1D(2, padding="same")),
    "global_avg2d": lambda: seq((5, 4, 3), layers.GlobalAveragePooling2D()),
    "global_max2d_keepdims": lambda: seq((5, 4, 3), layers.GlobalMaxPooling2D(keepdims=True)),
    "global_avg1d": lambda: seq((7, 3), layers.GlobalAveragePooling1D()),
    "global_max1d": lambda: seq((7, 3), layers.GlobalMaxPooling1D()),
    "conv_then_global": lambda: seq((9, 8, 3), layers.Conv2D(4, 3), layers.MaxPooling2D(),
                                    layers.GlobalAveragePooling2D(keepdims=True),
                                    layers.Flatten()),
}


@pytest.mark.parametrize("name", sorted(POOL))
def test_pooling(name):
    assert_parity(POOL[name]())


def test_max_pool_same_on_negative_inputs():
    # the padded cells must never win a max over an all-negative window
    from ember.backend import np

    model = POOL["max2d_same"]()
    name = model.inputs[0]._keras_history[0].name
    x = -np.random.default_rng(0).random((2, 9, 8, 3), dtype=np.float32) - 1
    assert_parity(model, feeds=[{name: x}])


NORM = {
    "batchnorm_2d": lambda: seq((5,), bn((None, 5))),
    "batchnorm_in_conv_block": lambda: seq((6, 6, 3), layers.Conv2D(4, 3),
                                           bn((None, 4, 4, 4)), layers.MaxPooling2D()),
    "batchnorm_channels_last_folded": lambda: seq((6, 3), bn((None, 6, 3), epsilon=0.01)),
    "batchnorm_tiny_variance": lambda: seq((6, 3), bn((None, 6, 3), low=0.001)),
    "batchnorm_axis1_no_scale_center": lambda: seq((6, 3), bn((None, 6, 3), axis=1,
                                                              center=False, scale=False)),
    "layernorm": lambda: seq((6, 3), layers.LayerNormalization()),
    "layernorm_two_axes": lambda: seq((6, 3), layers.LayerNormalization(axis=[1, 2])),
    "layernorm_middle_axis": lambda: seq((6, 3, 2), layers.LayerNormalization(axis=1,
                                                                              center=False)),
    "layernorm_rms": lambda: seq((6, 3), layers.LayerNormalization(rms_scaling=True)),
    "unitnorm": lambda: seq((6, 3), layers.UnitNormalization()),
}


@pytest.mark.parametrize("name", sorted(NORM))
def test_normalization(name):
    assert_parity(NORM[name]())


def test_batchnorm_uses_layer_epsilon():
    proto = assert_parity(seq((5,), bn((None, 5), epsilon=0.02)))
    (node,) = [n for n in proto.graph.node if n.op_type == "BatchNormalization"]
    assert [a.f for a in node.attribute if a.name == "epsilon"] == [pytest.approx(0.02)]


RESHAPING = {
    "zero_padding1d": lambda: seq((7, 3), layers.ZeroPadding1D((1, 2))),
    "zero_padding2d": lambda: seq((7, 6, 3), layers.ZeroPadding2D(((1, 2), (0, 1)))),
    "zero_padding2d_between_convs": lambda: seq((7, 6, 3), layers.Conv2D(2, 3),
                                                layers.ZeroPadding2D(1), layers.Conv2D(2, 3)),
    "cropping1d": lambda: seq((7, 3), layers.Cropping1D((1, 2))),
    "cropping2d": lambda: seq((7, 6, 3), layers.Cropping2D(((1, 2), (0, 1)))),
    "upsampling1d": lambda: seq((7, 3), layers.UpSampling1D(3)),
    "upsampling2d": lambda: seq((4, 5, 3), layers.UpSampling2D((2, 3))),
    "upsampling2d_bilinear": lambda: seq((4, 5, 3), layers.UpSampling2D(
        (2, 3), interpolation="bilinear")),
    "rescaling": lambda: seq((4, 5, 3), layers.Rescaling(1 / 255.0, offset=-1)),
    "rescaling_per_channel": lambda: seq((4, 5, 3), layers.Rescaling([1.0, 2.0, 3.0])),
    "spatial_dropout_and_noise": lambda: seq((6, 3), layers.SpatialDropout1D(0.3),
                                             layers.GaussianNoise(0.1),
                                             layers.GaussianDropout(0.2), layers.Dense(2)),
}


@pytest.mark.parametrize("name", sorted(RESHAPING))
def test_reshaping_and_preprocessing(name):
    assert_parity(RESHAPING[name]())


def test_normalization_layer_adapted():
    from ember.backend import np

    norm = layers.Normalization()
    norm.adapt(np.random.default_rng(0).normal(3, 2, size=(50, 4)).astype(np.float32))
    assert_parity(seq((4,), norm, layers.Dense(2)))
    inverse = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], invert=True)
    assert_parity(seq((2,), inverse))


def ids_model(*stack, steps=8, vocab=20, dtype="int64"):
    inp = ember.Input((steps,), dtype=dtype)
    x = inp
    for layer in stack:
        x = layer(x)
    return ember.Model(inp, x)


def test_embedding_token_ids():
    proto = assert_parity(ids_model(layers.Embedding(20, 4), layers.Flatten()))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx_int64()
    assert op_types(proto)[0] == "Gather"


def test_embedding_after_float_input_declares_int64():
    # a Sequential's Input defaults to float32; the ids enter the graph as int64 (spec §2)
    proto = assert_parity(seq((8,), layers.Embedding(20, 4), layers.Flatten()))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx_int64()


def test_embedding_mask_zero_into_global_average():
    from ember.backend import np

    model = ids_model(layers.Embedding(20, 4, mask_zero=True), layers.Dense(3),
                      layers.GlobalAveragePooling1D())
    name = model.inputs[0]._keras_history[0].name
    ids = np.array([[3, 5, 0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8],
                    [0, 0, 0, 0, 0, 0, 0, 0], [0, 9, 0, 9, 0, 9, 0, 9]], dtype=np.int64)
    assert_parity(model, feeds=[{name: ids}, {name: ids[:1]}])


def test_masking_into_global_average():
    from ember.backend import np

    model = seq((5, 3), layers.Masking(0.0), layers.GlobalAveragePooling1D())
    name = model.inputs[0]._keras_history[0].name
    x = np.random.default_rng(0).random((3, 5, 3), dtype=np.float32)
    x[0, 2:] = 0
    x[2, :] = 0
    assert_parity(model, feeds=[{name: x}])


def onnx_int64():
    import onnx

    return onnx.TensorProto.INT64


def merge_model(merge, shapes=((4,), (4,))):
    ins = [ember.Input(s) for s in shapes]
    xs = [layers.Dense(shapes[0][-1])(i) for i in ins]
    return ember.Model(ins, merge(xs))


MERGES = {
    "add": lambda: merge_model(layers.Add()),
    "add_three": lambda: merge_model(layers.Add(), ((4,), (4,), (4,))),
    "subtract": lambda: merge_model(layers.Subtract()),
    "multiply": lambda: merge_model(layers.Multiply()),
    "average": lambda: merge_model(layers.Average(), ((4,), (4,), (4,))),
    "maximum": lambda: merge_model(layers.Maximum()),
    "minimum": lambda: merge_model(layers.Minimum()),
    "concatenate": lambda: merge_model(layers.Concatenate(), ((3, 4), (3, 4))),
    "concatenate_axis1": lambda: merge_model(layers.Concatenate(axis=1), ((3, 4), (2, 4))),
    "dot": lambda: merge_model(layers.Dot(axes=1)),
    "dot_rank3_normalized": lambda: merge_model(layers.Dot(axes=2, normalize=True),
                                                ((3, 4), (5, 4))),
}


@pytest.mark.parametrize("name", sorted(MERGES))
def test_merge(name):
    assert_parity(MERGES[name]())


def test_merge_of_conv_branches_stays_channels_first():
    inp = ember.Input((8, 8, 3))
    a = layers.Conv2D(4, 3, padding="same")(inp)
    b = layers.Conv2D(4, 1)(inp)
    x = layers.Add()([a, b])
    x = layers.Concatenate()([x, layers.Conv2D(2, 3, padding="same")(inp)])
    x = layers.MaxPooling2D()(layers.Activation("relu")(x))
    model = ember.Model(inp, layers.Dense(3)(layers.Flatten()(x)))
    proto = assert_parity(model)
    assert op_types(proto).count("Transpose") == 2


OPTIONAL = {  # layers of Keras' catalog that ember may not have (yet): skipped when absent
    "ReLU": lambda L: seq((6,), L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2)),
    "LeakyReLU": lambda L: seq((6,), L.LeakyReLU(negative_slope=0.3)),
    "ELU": lambda L: seq((6,), L.ELU(alpha=0.5)),
    "Softmax": lambda L: seq((4, 5), L.Softmax(axis=1)),
    "PReLU": lambda L: seq((4, 5), L.PReLU(alpha_initializer="random_uniform")),
    "TimeDistributed": lambda L: seq((5, 6), L.TimeDistributed(L.Dense(3, activation="tanh"))),
    "TimeDistributedConv": lambda L: seq((3, 6, 6, 2), L.TimeDistributed(L.Conv2D(2, 3))),
}


@pytest.mark.parametrize("name", sorted(OPTIONAL))
def test_optional_layer(name):
    cls = name.replace("Conv", "")
    if not hasattr(layers, cls):
        pytest.skip(f"ember.layers has no {cls}")
    assert_parity(OPTIONAL[name](layers))
