"""Image preprocessing and augmentation layers: what the parity harness does not compare (it
compares inference, and training calls whose random range is a single value). Here: training
statistics over many draws, per-image independence, seeding, dtypes, errors, gradients, a
``.keras`` round trip with Keras and the ONNX exporter's refusal."""

import pytest

import ember
from ember import layers
from ember.autodiff.gradcheck import check_gradients
from ember.backend import np
from ember.utils.random import set_random_seed

RANDOM_LAYERS = {
    "RandomFlip": lambda **kw: layers.RandomFlip(**kw),
    "RandomRotation": lambda **kw: layers.RandomRotation(0.2, **kw),
    "RandomZoom": lambda **kw: layers.RandomZoom(0.3, 0.2, **kw),
    "RandomTranslation": lambda **kw: layers.RandomTranslation(0.2, 0.3, **kw),
    "RandomCrop": lambda **kw: layers.RandomCrop(5, 6, **kw),
    "RandomContrast": lambda **kw: layers.RandomContrast(0.5, **kw),
    "RandomBrightness": lambda **kw: layers.RandomBrightness(0.3, **kw),
    "RandomGrayscale": lambda **kw: layers.RandomGrayscale(**kw),
    "RandomInvert": lambda **kw: layers.RandomInvert(0.6, **kw),
    "Solarization": lambda **kw: layers.Solarization(0.5, 0.5, **kw),
    "RandomPosterization": lambda **kw: layers.RandomPosterization(6, **kw),
    "RandomSaturation": lambda **kw: layers.RandomSaturation((0.2, 0.8), **kw),
    "RandomColorDegeneration": lambda **kw: layers.RandomColorDegeneration(0.8, **kw),
    "RandomHue": lambda **kw: layers.RandomHue(0.5, **kw),
    "RandomShear": lambda **kw: layers.RandomShear(0.3, 0.2, **kw),
    "MixUp": lambda **kw: layers.MixUp(**kw),
}


def images(shape=(16, 8, 9, 3), seed=0, high=255.0):
    return np.random.default_rng(seed).uniform(0, high, size=shape).astype("float32")


def out(layer, x, **kw):
    return np.asarray(layer(ember.Tensor(x), **kw).data)


# -- training and inference ---------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_identity_at_inference_and_augments_by_default(name):
    x = images()
    layer = RANDOM_LAYERS[name](seed=3)
    np.testing.assert_array_equal(out(layer, x, training=False), x)
    y = out(layer, x)  # a direct call without `training` augments, as Keras (training=True)
    assert y.dtype == np.float32
    assert y.shape != x.shape or not np.allclose(y, x)


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_inference_in_predict_training_in_fit(name):
    x = images((8, 8, 9, 3))
    layer = RANDOM_LAYERS[name](seed=1)
    model = ember.Sequential([ember.Input((8, 9, 3)), layer, layers.GlobalAveragePooling2D()])
    ref = np.asarray(x.mean(axis=(1, 2)))
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-4)
    model = ember.Sequential([model, layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    before = int(layer.generator.state.data[1])
    model.fit(x, ref, epochs=3, batch_size=8, verbose=0)
    # each training step draws anew (a traced step is not frozen with one draw)
    assert int(layer.generator.state.data[1]) - before >= 3


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_seeded_layers_are_reproducible_and_draw_anew(name):
    x = images()
    a, b = RANDOM_LAYERS[name](seed=11), RANDOM_LAYERS[name](seed=11)
    first = out(a, x)
    np.testing.assert_array_equal(first, out(b, x))
    assert not np.array_equal(first, out(a, x))  # the generator advances


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_global_seed_makes_unseeded_layers_reproducible(name):
    x = images()
    set_random_seed(5)
    first = out(RANDOM_LAYERS[name](), x)
    set_random_seed(5)
    np.testing.assert_array_equal(first, out(RANDOM_LAYERS[name](), x))


def test_random_flip_flips_about_half_of_the_images():
    x = images((2000, 4, 5, 1), seed=1)
    y = out(layers.RandomFlip("horizontal", seed=0), x)
    flipped = np.all(y == x[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(y == x, axis=(1, 2, 3))
    assert np.all(flipped ^ kept)
    assert 0.45 < flipped.mean() < 0.55
    both = out(layers.RandomFlip(seed=0), x)
    flipped = np.all(both == x[:, ::-1, ::-1], axis=(1, 2, 3))
    assert np.all(flipped | np.all(both == x, axis=(1, 2, 3)))
    assert 0.45 < flipped.mean() < 0.55
    vertical = out(layers.RandomFlip("vertical", seed=0, data_format="channels_first"),
                   x.transpose(0, 3, 1, 2))
    flipped = np.all(vertical == x.transpose(0, 3, 1, 2)[:, :, ::-1], axis=(1, 2, 3))
    assert 0.45 < flipped.mean() < 0.55


@pytest.mark.parametrize("make", [
    lambda: layers.RandomRotation(0.0), lambda: layers.RandomZoom(0.0),
    lambda: layers.RandomTranslation(0.0, 0.0), lambda: layers.RandomContrast(0.0),
    lambda: layers.RandomBrightness(0.0)])
def test_zero_factor_is_the_identity_while_training(make):
    x = images()
    np.testing.assert_allclose(out(make(), x, training=True), x, rtol=1e-5, atol=1e-3)


def test_rotation_draws_one_angle_per_image_in_range():
    x = np.zeros((200, 9, 9, 1), dtype="float32")
    x[:, 4, 6:] = 1.0  # a ray from the centre pointing right
    y = out(layers.RandomRotation(0.25, fill_mode="constant", interpolation="nearest",
                                  seed=2), x)
    # the ray's direction in each output: angles spread over [-90, 90] degrees
    ys, xs = np.meshgrid(np.arange(9) - 4, np.arange(9) - 4, indexing="ij")
    angles = np.degrees(np.arctan2((y[..., 0] * ys).sum((1, 2)), (y[..., 0] * xs).sum((1, 2))))
    assert np.all(np.abs(angles) <= 91)
    assert angles.min() < -60 and angles.max() > 60
    assert len(np.unique(np.round(angles))) > 25  # nearest sampling quantizes the angle
    # reflect fill and bilinear sampling: outputs stay within the input's range
    x = images((64, 8, 8, 3))
    y = out(layers.RandomRotation(0.5, seed=0), x)
    assert y.min() >= x.min() - 1e-3 and y.max() <= x.max() + 1e-3


def test_zoom_and_translation_draw_within_their_ranges():
    x = np.zeros((300, 11, 11, 1), dtype="float32")
    x[:, 5, 5] = 1.0
    y = out(layers.RandomTranslation((0.1, 0.3), 0.0, fill_mode="constant",
                                     interpolation="nearest", seed=4), x)
    rows = np.argmax(y[..., 0].max(axis=2), axis=1) - 5
    assert rows.min() >= 1 and rows.max() <= 4 and len(np.unique(rows)) >= 3
    x = np.ones((100, 10, 10, 1), dtype="float32")
    y = out(layers.RandomZoom((0.2, 0.6), fill_mode="constant", seed=4), x)
    kept = y[..., 0].mean(axis=(1, 2))  # zooming out by 1 + z keeps about 1 / (1 + z)^2
    assert kept.max() < 0.75 ** 0.5 + 0.1 and kept.min() > 1 / 1.6 ** 2 - 0.1
    assert kept.std() > 0.02


def test_contrast_and_brightness_stay_in_value_range_per_image():
    x = images((500, 4, 4, 3), high=1.0)
    y = out(layers.RandomBrightness(0.4, value_range=(0, 1), seed=1), x)
    assert y.min() >= 0 and y.max() <= 1
    inner = (x > 0.45) & (x < 0.55)  # far from clipping: the delta itself
    deltas = [np.unique(np.round((y - x)[i][inner[i]], 4)) for i in range(len(x))]
    assert all(len(d) == 1 for d in deltas if len(d))  # one delta per image
    flat = np.concatenate(deltas)
    assert flat.min() >= -0.4 - 1e-4 and flat.max() <= 0.4 + 1e-4 and flat.std() > 0.15
    y = out(layers.RandomContrast((0.9, 0.9), value_range=(0, 1), seed=1), x)
    assert y.min() >= 0 and y.max() <= 1
    spread = y.std(axis=(1, 2, 3)) / x.std(axis=(1, 2, 3))
    assert spread.min() < 0.4 and spread.max() > 1.2
    # a single number f draws from [1, 1 + f] in Keras (the lower bound is clamped at 0)
    y = out(layers.RandomContrast(0.9, value_range=(-10, 10), seed=1), x)
    spread = y.std(axis=(1, 2, 3)) / x.std(axis=(1, 2, 3))
    assert spread.min() > 1 - 1e-4 and spread.max() > 1.6


def test_grayscale_invert_and_solarization_statistics():
    x = images((2000, 3, 3, 3), seed=2)
    y = out(layers.RandomGrayscale(0.3, seed=0), x)
    gray = np.all(np.ptp(y, axis=-1) < 1e-3, axis=(1, 2))
    np.testing.assert_array_equal(y[~gray], x[~gray])
    assert 0.26 < gray.mean() < 0.34
    y = out(layers.RandomInvert((0.5, 0.5), seed=0), x)
    inverted = np.all(np.abs(y - (255 - x)) < 1e-3, axis=(1, 2, 3))
    np.testing.assert_array_equal(y[~inverted], x[~inverted])
    assert 0.45 < inverted.mean() < 0.55
    y = out(layers.RandomInvert(0.6, seed=0), x)  # probability drawn from [0, 0.6]: 0.3 mean
    inverted = np.all(np.abs(y - (255 - x)) < 1e-3, axis=(1, 2, 3))
    assert 0.26 < inverted.mean() < 0.34
    # thresholds drawn from [1, 255] (Keras scales only the upper bound): per image, the pixels
    # kept lie below those inverted
    y = out(layers.Solarization(threshold_factor=(1.0, 1.0), value_range=(0, 1), seed=0),
            x / 255) * 255
    kept = np.abs(y - x) < 1e-3
    assert np.all(kept | (np.abs(y - (255 - x)) < 1e-3))
    for i in range(50):
        if kept[i].any() and (~kept[i]).any():
            assert x[i][kept[i]].max() <= x[i][~kept[i]].min()
    assert 0.2 < kept.mean() < 0.8
    y = out(layers.Solarization(0.5, 0.5, value_range=(0, 1), seed=0), x / 255)
    assert y.min() >= 0 and y.max() <= 1 and not np.allclose(y, x / 255)


def test_posterization_saturation_and_degeneration_statistics():
    x = images((500, 3, 4, 3), seed=4)
    y = out(layers.RandomPosterization((2, 5), seed=0), x)
    levels = [len(np.unique(img)) for img in y]
    assert max(levels) <= 16 and min(levels) <= 4  # 2 to 4 bits kept: at most 16 levels
    steps = [256 // 2 ** b for b in (2, 3, 4)]
    for img in y[:50]:
        assert any(np.all(img % s == 0) for s in steps)
    assert np.all(y <= np.floor(x)) and np.all(y >= np.floor(x) - 64)
    gray = out(layers.RandomSaturation((0.0, 0.0), seed=0), x)
    np.testing.assert_allclose(np.ptp(gray, axis=-1), 0, atol=1e-3)  # saturation 0: gray
    y = out(layers.RandomSaturation((0.1, 0.9), seed=0), x)
    assert np.ptp(y, axis=-1).std() > np.ptp(x, axis=-1).std() * 0.5
    np.testing.assert_allclose(y.max(axis=-1), x.max(axis=-1), rtol=1e-4)  # value is kept
    y = out(layers.RandomColorDegeneration((1.0, 1.0), seed=0), x)
    np.testing.assert_allclose(np.ptp(y, axis=-1), 0, atol=1e-3)
    y = out(layers.RandomColorDegeneration((0.0, 1.0), seed=0), x)
    ratio = np.ptp(y, axis=-1).mean(axis=(1, 2)) / np.ptp(x, axis=-1).mean(axis=(1, 2))
    assert ratio.min() < 0.1 and ratio.max() > 0.9


def test_hue_rotates_hue_and_keeps_value_and_saturation():
    x = images((300, 3, 4, 3), seed=5)
    y = out(layers.RandomHue(1.0, seed=0), x)
    np.testing.assert_allclose(y.max(axis=-1), x.max(axis=-1), rtol=1e-3, atol=1e-2)
    np.testing.assert_allclose(np.ptp(y, axis=-1), np.ptp(x, axis=-1), rtol=1e-3, atol=1e-2)
    changed = np.abs(y - x).max(axis=(1, 2, 3)) > 1
    assert changed.mean() > 0.9
    # a half turn (factor 1 draws it at the top of its range): the complementary colour
    y = out(layers.RandomHue((1.0, 1.0), value_range=(0, 1), seed=0), x / 255)
    np.testing.assert_allclose(y, (x.max(-1, keepdims=True) + x.min(-1, keepdims=True)
                                   - x) / 255, atol=1e-4)


def test_auto_contrast_spans_the_range_and_keeps_flat_channels():
    x = images((4, 5, 6, 3), high=100.0) + 50
    x[1, ..., 2] = 7.0
    y = out(layers.AutoContrast(), x, training=False)
    np.testing.assert_allclose(y.min(axis=(1, 2))[[0, 2, 3]], 0, atol=1e-3)
    np.testing.assert_allclose(y.max(axis=(1, 2))[[0, 2, 3]], 255, atol=1e-3)
    np.testing.assert_array_equal(y[1, ..., 2], 7.0)
    np.testing.assert_allclose(out(layers.AutoContrast(), x), y)  # training changes nothing


def test_shear_moves_a_point_along_the_drawn_direction():
    x = np.zeros((300, 9, 9, 1), dtype="float32")
    x[:, 8, 4] = 1.0  # the bottom row's middle pixel: x-shear moves it sideways
    y = out(layers.RandomShear((0.25, 0.25), 0.0, fill_mode="constant",
                               interpolation="nearest", seed=0), x)
    cols = np.argmax(y[:, 8, :, 0], axis=1)
    assert set(np.unique(cols)) == {2, 6}  # sx = +-0.25: sampled from x + sx * 8
    assert 0.4 < (cols == 2).mean() < 0.6


def test_mix_up_mixes_images_and_labels_with_the_same_weights():
    x = images((64, 2, 2, 1), seed=6)
    labels = np.eye(4, dtype="float32")[np.arange(64) % 4]
    y = layers.MixUp(alpha=0.4, seed=0)({"images": x, "labels": labels, "extra": labels})
    mixed, mixed_labels = np.asarray(y["images"].data), np.asarray(y["labels"].data)
    np.testing.assert_allclose(mixed_labels.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(y["extra"].data), labels)
    # each image is w * x_i + (1 - w) * x_j with the weight its label row shows
    w = mixed_labels[np.arange(64), np.arange(64) % 4]
    partner = (mixed - w[:, None, None, None] * x)
    assert ((w > 1e-3) & (w < 1 - 1e-3)).sum() > 10  # truly mixed, in [0, 1]
    assert w.min() >= -1e-6 and w.max() <= 1 + 1e-6
    for i in range(64):
        if w[i] < 1 - 1e-3:
            other = partner[i] / (1 - w[i])
            assert np.min(np.abs(x - other).max(axis=(1, 2, 3))) < 1e-2
    spread = layers.MixUp(alpha=0.05, seed=0)(ember.Tensor(images((500, 1, 1, 1))))
    assert spread.shape == (500, 1, 1, 1)


def test_random_crop_windows_lie_inside_the_image():
    x = np.arange(10 * 12, dtype="float32").reshape(1, 10, 12, 1)
    layer = layers.RandomCrop(4, 5, seed=0)
    starts = set()
    for _ in range(60):
        y = out(layer, x)[0, ..., 0]
        top, left = divmod(int(y[0, 0]), 12)
        np.testing.assert_array_equal(y, x[0, top:top + 4, left:left + 5, 0])
        starts.add((top, left))
    assert len(starts) > 20


# -- deterministic layers, dtypes, gradients -----------------------------------------------------
def test_resizing_keeps_integer_dtypes_and_center_crop_casts():
    x = np.random.default_rng(0).integers(0, 256, (2, 6, 6, 3)).astype("uint8")
    y = layers.Resizing(3, 4)(ember.Tensor(x))
    assert y.dtype == np.uint8 and y.shape == (2, 3, 4, 3)
    assert layers.CenterCrop(2, 2)(ember.Tensor(x)).dtype == np.float32
    assert layers.RandomFlip(seed=0)(ember.Tensor(x)).dtype == np.float32


def test_unbatched_images():
    x = images((6, 7, 3))
    for layer in (layers.RandomRotation(0.3, seed=0), layers.RandomZoom(0.3, seed=0),
                  layers.RandomFlip(seed=0), layers.RandomContrast(0.4, seed=0)):
        assert out(layer, x).shape == (6, 7, 3)
    assert out(layers.Resizing(3, 2), x).shape == (3, 2, 3)
    assert out(layers.CenterCrop(4, 4), x).shape == (4, 4, 3)


def test_gradients_flow_through_training_transforms():
    x = np.random.default_rng(0).uniform(size=(2, 5, 6, 3))
    # a fresh layer with a fixed seed per call: the same random draws at every evaluation
    for make in (lambda: layers.RandomRotation(0.1, fill_mode="constant", seed=1),
                 lambda: layers.RandomZoom(0.3, fill_mode="reflect", seed=2),
                 lambda: layers.RandomTranslation(0.3, 0.2, fill_mode="wrap", seed=3),
                 lambda: layers.RandomContrast(0.5, value_range=(-10, 10), seed=4),
                 lambda: layers.RandomBrightness(0.2, value_range=(-10, 10), seed=5),
                 lambda: layers.RandomFlip(seed=6),
                 lambda: layers.RandomShear(0.2, 0.3, seed=9),
                 lambda: layers.RandomColorDegeneration(0.5, value_range=(-9, 9), seed=7),
                 lambda: layers.RandomSaturation((0.2, 0.4), seed=8),
                 lambda: layers.Resizing(3, 4, interpolation="bicubic")):
        report = check_gradients(lambda t, make=make: make()(t, training=True), [x], tolerance=1e-5)
        assert report


# -- errors ------------------------------------------------------------------------------------
def test_argument_errors():
    with pytest.raises(ValueError, match="factor"):
        layers.RandomRotation(1.5)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomContrast(-0.2)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomTranslation(0.1, (0.1, 0.2, 0.3))
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="interpolation"):
        layers.RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="value_range"):
        layers.RandomBrightness(0.1, value_range=5)
    with pytest.raises(ValueError, match="interpolation"):
        layers.Resizing(2, 2, interpolation="area")
    with pytest.raises(ValueError, match="mode"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="factor"):
        layers.RandomGrayscale(1.5)
    with pytest.raises(ValueError, match="threshold_factor"):
        layers.Solarization(threshold_factor=(0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="rank 3 or 4"):
        layers.RandomBrightness(0.1)(ember.Tensor(np.zeros((2, 3), "float32")))


# -- saving and export -----------------------------------------------------------------------------
def _augment_model():
    return ember.Sequential([
        ember.Input((10, 12, 3)), layers.RandomFlip(seed=1), layers.RandomRotation(0.1, seed=2),
        layers.RandomZoom(0.1, seed=3), layers.RandomTranslation(0.1, 0.1),
        layers.RandomContrast(0.2), layers.RandomBrightness(0.1, value_range=(0, 1)),
        layers.RandomGrayscale(0.2), layers.RandomInvert(0.3, value_range=(0, 1)),
        layers.Solarization(0.1, 0.2, value_range=(0, 1)), layers.RandomPosterization(5),
        layers.RandomSaturation(0.3), layers.RandomHue(0.2), layers.RandomColorDegeneration(0.4),
        layers.AutoContrast(value_range=(0, 1)),
        layers.Resizing(8, 8, interpolation="bicubic"), layers.CenterCrop(6, 6),
        layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(1)])


def test_keras_file_round_trip_with_keras(tmp_path):
    keras = pytest.importorskip("keras")
    model = _augment_model()
    x = images((3, 10, 12, 3), high=1.0)
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    assert [type(l).__name__ for l in theirs.layers] == [type(l).__name__ for l in model.layers]
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), want, atol=1e-4)
    theirs.save(tmp_path / "k.keras")
    back = ember.saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), want, atol=1e-4)
    assert list(back.layers[1].get_config()["factor"]) == [-0.1, 0.1]
    assert back.layers[0].get_config()["seed"] == 1


def test_random_crop_config_keeps_a_seed_and_round_trips(tmp_path):
    # Keras 3 writes a drawn seed when none is given; its symbolic shape is the crop while an
    # inference call keeps the input size, so it is saved on its own
    keras = pytest.importorskip("keras")
    layer = layers.RandomCrop(5, 4)
    assert isinstance(layer.get_config()["seed"], int)
    model = ember.Sequential([ember.Input((8, 8, 3)), layers.RandomCrop(5, 4, seed=9)])
    model.save(tmp_path / "c.keras")
    theirs = keras.saving.load_model(tmp_path / "c.keras")
    assert theirs.layers[0].get_config()["seed"] == 9
    assert theirs.layers[0].get_config()["height"] == 5


@pytest.mark.parametrize("layer", [layers.RandomFlip(), layers.RandomRotation(0.1),
                                   layers.Resizing(4, 4), layers.CenterCrop(4, 4)],
                         ids=lambda l: type(l).__name__)
def test_onnx_export_refuses_with_a_clear_error(layer):
    pytest.importorskip("onnx")
    from ember.export import to_onnx

    model = ember.Sequential([ember.Input((6, 6, 3)), layer, layers.Flatten(), layers.Dense(1)])
    with pytest.raises(Exception, match=f"Cannot export {type(layer).__name__} layer"):
        to_onnx(model)
