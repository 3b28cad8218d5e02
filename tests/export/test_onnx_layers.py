"""ONNX export, layer by layer: each exportable layer in a tiny model; ONNX Runtime's output
equals ember's predict within 1e-5 at batch sizes 1 and 7."""

import pytest
from onnx_parity import assert_parity, op_types

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
