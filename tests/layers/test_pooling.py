"""Pooling layers: forward against direct loops, gradients, masks, configs, errors."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np, weight_table

from ember import layers
from ember.autodiff.tensor import Tensor
from ember.backend import np


def ref_pool2d(x, pool, strides, padding, mode):
    n, h, w, c = x.shape
    if padding == "same":
        oh, ow = -(-h // strides[0]), -(-w // strides[1])
        th = max((oh - 1) * strides[0] + pool[0] - h, 0)
        tw = max((ow - 1) * strides[1] + pool[1] - w, 0)
        pt, pl = th // 2, tw // 2
    else:
        oh, ow = (h - pool[0]) // strides[0] + 1, (w - pool[1]) // strides[1] + 1
        pt = pl = 0
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - pt, j * strides[1] - pl
            win = x[:, max(r0, 0):min(r0 + pool[0], h), max(c0, 0):min(c0 + pool[1], w)]
            y[:, i, j] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return y


@pytest.mark.parametrize("cls,mode", [(layers.MaxPooling2D, "max"),
                                      (layers.AveragePooling2D, "avg")])
@pytest.mark.parametrize("kwargs", [
    {"pool_size": 2}, {"pool_size": 3, "strides": 2}, {"pool_size": (2, 3), "padding": "same"},
    {"pool_size": 3, "strides": 1, "padding": "same"}])
def test_pool2d_matches_direct_loop(cls, mode, kwargs):
    x = rng(1).standard_normal((2, 7, 6, 3)).astype("float32")
    layer = cls(**kwargs)
    y = to_np(layer(x))
    ref = ref_pool2d(x.astype("float64"), layer.pool_size, layer.strides, layer.padding, mode)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    assert y.shape[1:] == layer.compute_output_shape((None, 7, 6, 3))[1:]


@pytest.mark.parametrize("cls,mode", [(layers.MaxPooling1D, "max"),
                                      (layers.AveragePooling1D, "avg")])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pool1d_matches_direct_loop(cls, mode, padding):
    x = rng(2).standard_normal((2, 9, 3)).astype("float32")
    layer = cls(pool_size=2, strides=2, padding=padding)
    y = to_np(layer(x))
    ref = ref_pool2d(x[:, None].astype("float64"), (1, 2), (1, 2), padding, mode)[:, 0]
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    assert y.shape[1:] == layer.compute_output_shape((None, 9, 3))[1:]


def test_pooling_channels_first():
    x = rng(3).standard_normal((2, 3, 6, 6)).astype("float32")
    y = to_np(layers.MaxPooling2D(2, data_format="channels_first")(x))
    ref = ref_pool2d(x.transpose(0, 2, 3, 1), (2, 2), (2, 2), "valid", "max")
    np.testing.assert_allclose(y, ref.transpose(0, 3, 1, 2))


@pytest.mark.parametrize("cls,fn,axes", [
    (layers.GlobalMaxPooling1D, np.max, (1,)), (layers.GlobalAveragePooling1D, np.mean, (1,)),
    (layers.GlobalMaxPooling2D, np.max, (1, 2)), (layers.GlobalAveragePooling2D, np.mean, (1, 2))])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(cls, fn, axes, keepdims):
    shape = (2, 5, 3) if len(axes) == 1 else (2, 4, 5, 3)
    x = rng(4).standard_normal(shape).astype("float32")
    layer = cls(keepdims=keepdims)
    y = to_np(layer(x))
    np.testing.assert_allclose(y, fn(x, axis=axes, keepdims=keepdims), rtol=1e-6)
    assert y.shape[1:] == layer.compute_output_shape((None,) + shape[1:])[1:]


def test_global_average_pooling_1d_honours_mask():
    x = rng(5).standard_normal((3, 4, 2)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], dtype=bool)
    y = to_np(layers.GlobalAveragePooling1D()(x, mask=mask))
    ref = np.stack([x[i, mask[i]].mean(axis=0) for i in range(3)])
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    # a mask carried by the tensor (as Embedding(mask_zero=True) sets it) is used too
    t = Tensor(x)
    t._keras_mask = mask
    np.testing.assert_allclose(to_np(layers.GlobalAveragePooling1D()(t)), ref, rtol=1e-6)


def test_global_average_pooling_1d_masked_gradient():
    mask = np.array([[1, 1, 0], [1, 0, 1]], dtype=bool)
    layer = layers.GlobalAveragePooling1D(dtype="float64")
    x = rng(6).standard_normal((2, 3, 2))
    grad_check(layer, x, call=lambda l, t: l(t, mask=mask))


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.MaxPooling2D(2, dtype="float64"), (2, 4, 4, 2)),
    (lambda: layers.MaxPooling2D(3, strides=2, padding="same", dtype="float64"), (1, 5, 5, 2)),
    (lambda: layers.AveragePooling2D(3, strides=1, padding="same", dtype="float64"), (1, 4, 4, 2)),
    (lambda: layers.MaxPooling1D(2, dtype="float64"), (2, 6, 2)),
    (lambda: layers.AveragePooling1D(3, strides=2, dtype="float64"), (2, 7, 2)),
    (lambda: layers.GlobalMaxPooling2D(dtype="float64"), (2, 3, 3, 2)),
    (lambda: layers.GlobalAveragePooling1D(dtype="float64"), (2, 3, 2)),
])
def test_gradients(make, shape):
    # distinct values so that max ties (non-differentiable points) do not occur
    x = rng(7).permutation(np.prod(shape)).reshape(shape) / 10.0
    grad_check(make(), x)


def test_no_weights_and_keras_config():
    layer = layers.MaxPooling2D()
    layer(np.zeros((1, 4, 4, 1), dtype="float32"))
    assert weight_table(layer) == []
    cfg = layer.get_config()
    assert list(cfg) == ["name", "trainable", "dtype", "pool_size", "padding", "strides",
                         "data_format"]
    assert cfg["pool_size"] == [2, 2] and cfg["strides"] == [2, 2]
    g = layers.GlobalAveragePooling2D().get_config()
    assert g["data_format"] == "channels_last" and g["keepdims"] is False


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (2, 7, 7, 3)),
    (lambda: layers.AveragePooling1D(2), (2, 6, 3)),
    (lambda: layers.MaxPooling1D(), (2, 6, 3)),
    (lambda: layers.GlobalAveragePooling1D(keepdims=True), (2, 6, 3)),
    (lambda: layers.GlobalMaxPooling2D(), (2, 4, 4, 3)),
])
def test_config_round_trip(make, shape):
    assert_roundtrip(make(), rng(8).standard_normal(shape).astype("float32"))


def test_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D


def test_errors_name_layer_and_shape():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'mp'.*larger.*\(1, 2, 5, 1\)"):
        layers.MaxPooling2D(3, name="mp")(np.zeros((1, 2, 5, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"MaxPooling2D 'mp2'.*ndim=4.*\(2, 5, 1\)"):
        layers.MaxPooling2D(name="mp2")(np.zeros((2, 5, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"AveragePooling1D.*pool_size.*0"):
        layers.AveragePooling1D(0)
    with pytest.raises(ValueError, match=r"MaxPooling2D.*padding.*'full'"):
        layers.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D 'gap'.*mask.*\(2, 3, 2\)"):
        layers.GlobalAveragePooling1D(name="gap")(np.zeros((2, 3, 2), dtype="float32"),
                                                  mask=np.ones((2, 5), dtype=bool))
