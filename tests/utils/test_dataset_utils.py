"""The *_dataset_from_directory loaders, timeseries_dataset_from_array and split_dataset on real
files in tmp_path (file order and split, image decoding against Keras itself:
tests/keras_parity/test_dataset_utils_parity.py)."""

import os
import random
import wave

import numpy as np
import pytest

import ember

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `image`)")


def _images(root, counts, size=(6, 8), seed=0):
    """``counts = {class: n}`` PNG files of random pixels; {path: pixels}."""
    rng = np.random.default_rng(seed)
    written = {}
    for name, n in counts.items():
        os.makedirs(root / name, exist_ok=True)
        for i in range(n):
            x = rng.integers(0, 256, size + (3,), dtype=np.uint8)
            path = root / name / f"{i}.png"
            Image.fromarray(x).save(path)
            written[str(path)] = x
    return written


def _collect(ds):
    xs, ys = [], []
    for x, y in ds:
        xs.append(x.numpy())
        ys.append(y.numpy())
    return np.concatenate(xs), np.concatenate(ys)


def test_image_dataset_unshuffled_order_labels_and_pixels(tmp_path):
    written = _images(tmp_path, {"b": 3, "a": 2})
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    ds = ember.utils.image_dataset_from_directory(tmp_path, image_size=(6, 8), batch_size=2,
                                                  shuffle=False, verbose=False)
    assert ds.class_names == ["a", "b"]
    expected = [str(tmp_path / c / f"{i}.png") for c, n in (("a", 2), ("b", 3))
                for i in range(n)]
    assert ds.file_paths == expected
    x, y = _collect(ds)
    assert x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(y, [0, 0, 1, 1, 1])
    # same size: the resize keeps the pixels
    np.testing.assert_allclose(x, np.stack([written[p] for p in expected]), atol=1e-3)
    assert [b[0].shape[0] for b in ds] == [2, 2, 1]


def test_image_dataset_label_modes_color_modes_and_layout(tmp_path):
    _images(tmp_path, {"a": 2, "b": 2})
    kw = dict(image_size=(3, 4), batch_size=None, shuffle=False, verbose=False)
    cat = ember.utils.image_dataset_from_directory(tmp_path, label_mode="categorical", **kw)
    x, y = next(iter(cat))
    assert x.shape == (3, 4, 3) and y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), [1.0, 0.0])
    binary = ember.utils.image_dataset_from_directory(tmp_path, label_mode="binary", **kw)
    np.testing.assert_array_equal(np.stack([y.numpy() for _, y in binary]),
                                  [[0.0], [0.0], [1.0], [1.0]])
    gray = ember.utils.image_dataset_from_directory(
        tmp_path, label_mode=None, color_mode="grayscale", data_format="channels_first", **kw)
    assert next(iter(gray)).shape == (1, 3, 4)
    rgba = ember.utils.image_dataset_from_directory(tmp_path, labels=None, color_mode="rgba",
                                                    image_size=5, batch_size=4, verbose=False)
    assert next(iter(rgba)).shape == (4, 5, 5, 4)
    manual = ember.utils.image_dataset_from_directory(tmp_path, labels=[3, 1, 3, 1], **kw)
    assert manual.class_names == ["1", "3"]
    np.testing.assert_array_equal([int(y.numpy()) for _, y in manual], [3, 1, 3, 1])
    # one-hot over len(class_names) columns: as tf.one_hot, label 3 of 2 classes is all zeros
    manual_cat = ember.utils.image_dataset_from_directory(
        tmp_path, labels=[3, 1, 3, 1], label_mode="categorical", **kw)
    np.testing.assert_array_equal(np.stack([y.numpy() for _, y in manual_cat]),
                                  [[0, 0], [0, 1], [0, 0], [0, 1]])
    chosen = ember.utils.image_dataset_from_directory(tmp_path, class_names=["b"], **kw)
    assert chosen.class_names == ["b"] and len(list(chosen)) == 2


def test_image_dataset_validation_split_partitions_the_shuffled_files(tmp_path):
    _images(tmp_path, {"a": 5, "b": 5})
    kw = dict(image_size=(6, 8), validation_split=0.3, seed=7, verbose=False)
    train, val = ember.utils.image_dataset_from_directory(tmp_path, subset="both", **kw)
    assert len(train.file_paths) == 7 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    only_val = ember.utils.image_dataset_from_directory(tmp_path, subset="validation", **kw)
    assert only_val.file_paths == val.file_paths
    # the same files as Keras's shuffle of the sorted list with RandomState(seed)
    files = sorted(str(tmp_path / c / f"{i}.png") for c in "ab" for i in range(5))
    np.random.RandomState(7).shuffle(files)
    assert train.file_paths + val.file_paths == files
    x, y = _collect(train)
    labels = [0 if os.sep + "a" + os.sep in p else 1 for p in train.file_paths]
    assert sorted(y.tolist()) == sorted(labels)


def test_image_dataset_errors(tmp_path):
    _images(tmp_path, {"a": 1, "b": 1, "c": 1})
    fn = ember.utils.image_dataset_from_directory
    cases = [
        (dict(labels="folders"), "`labels` should be a list"),
        (dict(labels=[0, 1, 2], class_names=["a"]), "class_names"),
        (dict(label_mode="sparse"), "label_mode"),
        (dict(color_mode="cmyk"), "color_mode"),
        (dict(image_size=(1, 2, 3)), "image_size"),
        (dict(interpolation="cubic"), "interpolation"),
        (dict(interpolation="area"), "not supported"),
        (dict(format="grain"), "format"),
        (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "only one of"),
        (dict(validation_split=1.5, subset="training", seed=1), "between 0 and 1"),
        (dict(validation_split=0.5), "inversely"),
        (dict(validation_split=0.5, subset="test", seed=1), "subset"),
        (dict(validation_split=0.5, subset="training"), "seed"),
        (dict(label_mode="binary"), "exactly 2"),
        (dict(class_names=["a", "zzz"]), "did not match"),
        (dict(labels=[0, 1]), "length of `labels`"),
        (dict(labels=None, class_names=["a"]), "class_names"),
        (dict(data_format="nhwc"), "data_format"),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            fn(tmp_path, verbose=False, **kwargs)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fn(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no image files found"):
        fn(tmp_path / "empty", verbose=False)
    with pytest.raises(ValueError, match="no validation image files"):
        fn(tmp_path, validation_split=0.1, subset="both", seed=1, verbose=False)


def test_image_dataset_fits_a_model_on_mnist_pngs(tmp_path, mnist_arrays):
    (x_train, y_train), _ = mnist_arrays
    for i in range(50):
        folder = tmp_path / str(int(y_train[i]))
        folder.mkdir(exist_ok=True)
        Image.fromarray(x_train[i]).save(folder / f"{i}.png")
    train, val = ember.utils.image_dataset_from_directory(
        tmp_path, color_mode="grayscale", image_size=(28, 28), batch_size=16,
        validation_split=0.2, subset="both", seed=1, verbose=False)
    assert train.class_names == sorted({str(int(v)) for v in y_train[:50]})
    # the images are MNIST's pixels, under their folder's label
    x, y = _collect(val)
    by_pixels = {x_train[i].tobytes(): str(int(y_train[i])) for i in range(50)}
    for image, label in zip(x, y):
        assert by_pixels[image[..., 0].astype(np.uint8).tobytes()] == val.class_names[label]
    model = ember.Sequential([ember.Input((28, 28, 1)), ember.layers.Rescaling(1 / 255),
                              ember.layers.Flatten(),
                              ember.layers.Dense(len(train.class_names), activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(history.history["val_loss"]).all()


def test_text_dataset(tmp_path):
    texts = {("neg", "a.txt"): b"bad movie", ("neg", "b.txt"): b"awful",
             ("pos", "c.txt"): "très bien".encode(), ("pos", "d.md"): b"ignored"}
    for (label, name), content in texts.items():
        (tmp_path / label).mkdir(exist_ok=True)
        (tmp_path / label / name).write_bytes(content)
    ds = ember.utils.text_dataset_from_directory(tmp_path, batch_size=2, shuffle=False,
                                                 verbose=False)
    assert ds.class_names == ["neg", "pos"]
    x, y = _collect(ds)
    assert x.tolist() == [b"bad movie", b"awful", "très bien".encode()]
    np.testing.assert_array_equal(y, [0, 0, 1])
    short = ember.utils.text_dataset_from_directory(tmp_path, max_length=3, labels=None,
                                                    shuffle=False, verbose=False)
    assert next(iter(short)).numpy().tolist() == [b"bad", b"awf", "très".encode()[:3]]
    assert ember.preprocessing.text_dataset_from_directory is \
        ember.utils.text_dataset_from_directory
    with pytest.raises(ValueError, match="format"):
        ember.utils.text_dataset_from_directory(tmp_path, format="grain")
    with pytest.raises(ValueError, match="max_length"):
        ember.utils.text_dataset_from_directory(tmp_path, max_length=-1)
    with pytest.raises(ValueError, match="label_mode"):
        ember.utils.text_dataset_from_directory(tmp_path, label_mode="onehot")


def _wav(path, samples, rate=8000, width=2):
    samples = np.asarray(samples)
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1])
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(samples.astype({1: "uint8", 2: "<i2", 4: "<i4"}[width]).tobytes())


def test_audio_dataset(tmp_path):
    rng = np.random.default_rng(0)
    clips = {"no/0.wav": rng.integers(-30000, 30000, (5, 1)),
             "no/1.wav": rng.integers(-30000, 30000, (3, 1)),
             "yes/0.wav": rng.integers(-30000, 30000, (4, 1))}
    for name, samples in clips.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        _wav(tmp_path / name, samples)
    ds = ember.utils.audio_dataset_from_directory(tmp_path, batch_size=3, shuffle=False,
                                                  verbose=False)
    assert ds.class_names == ["no", "yes"]
    x, y = next(iter(ds))
    # zero-padded to the longest clip; scaled as tf.audio.decode_wav (int16 / 32768)
    expected = np.zeros((3, 5, 1), np.float32)
    for i, name in enumerate(clips):
        expected[i, :len(clips[name])] = clips[name] / 32768.0
    np.testing.assert_allclose(x.numpy(), expected)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), [0, 0, 1])
    fixed = ember.utils.audio_dataset_from_directory(tmp_path, output_sequence_length=4,
                                                     batch_size=None, shuffle=False,
                                                     label_mode="categorical", verbose=False)
    first, label = next(iter(fixed))
    np.testing.assert_allclose(first.numpy(), expected[0, :4])
    np.testing.assert_array_equal(label.numpy(), [1.0, 0.0])


def test_audio_sample_widths_and_errors(tmp_path):
    (tmp_path / "a").mkdir()
    _wav(tmp_path / "a" / "u8.wav", np.array([[0, 128], [255, 64]]), width=1)
    _wav(tmp_path / "a" / "w32.wav", np.array([[-2 ** 31, 2 ** 30]]), width=4)
    from ember.utils.audio_dataset_utils import read_wav

    np.testing.assert_allclose(read_wav(str(tmp_path / "a" / "u8.wav")),
                               (np.array([[0, 128], [255, 64]]) - 128) / 128.0)
    np.testing.assert_allclose(read_wav(str(tmp_path / "a" / "w32.wav")), [[-1.0, 0.5]])
    (tmp_path / "a" / "bad.wav").write_bytes(b"not a wav")
    with pytest.raises(ValueError, match="cannot decode"):
        read_wav(str(tmp_path / "a" / "bad.wav"))
    fn = ember.utils.audio_dataset_from_directory
    for kwargs, match in [(dict(ragged=True, output_sequence_length=3), "both"),
                          (dict(sampling_rate=1.5), "integer"),
                          (dict(sampling_rate=0), "higher than 0"),
                          (dict(sampling_rate=16000), "not supported"),
                          (dict(ragged=True), "RaggedTensor"),
                          (dict(output_sequence_length=0), "output_sequence_length")]:
        with pytest.raises(ValueError, match=match):
            fn(tmp_path, **kwargs)


def _windows_reference(data, targets, length, stride, rate, start, end):
    data, n = data[start:end], end - start - (length - 1) * rate
    if targets is not None:
        n = min(n, len(targets))
    starts = range(0, n, stride)
    xs = np.stack([data[p:p + length * rate:rate] for p in starts])
    ys = None if targets is None else np.asarray(targets)[start:end][list(starts)]
    return xs, ys


@pytest.mark.parametrize("length,stride,rate,start,end", [
    (5, 1, 1, None, None), (4, 3, 2, 2, 40), (3, 2, 1, 5, None)])
def test_timeseries_windows_match_a_numpy_reference(length, stride, rate, start, end):
    data = np.random.default_rng(0).normal(size=(50, 2))
    targets = np.arange(50) * 10
    ds = ember.utils.timeseries_dataset_from_array(
        data, targets, length, sequence_stride=stride, sampling_rate=rate, batch_size=4,
        start_index=start, end_index=end)
    x, y = _collect(ds)
    ref_x, ref_y = _windows_reference(data, targets, length, stride, rate, start or 0,
                                      end or 50)
    np.testing.assert_array_equal(x, ref_x)
    np.testing.assert_array_equal(y, ref_y)
    assert x.dtype == data.dtype and y.dtype == targets.dtype


def test_timeseries_shuffle_no_targets_and_unbatched():
    data = np.arange(30, dtype=np.float32)
    ds = ember.utils.timeseries_dataset_from_array(data, None, 4, batch_size=None,
                                                   shuffle=True, seed=3)
    windows = [w.numpy() for w in ds]
    ref, _ = _windows_reference(data, None, 4, 1, 1, 0, 30)
    assert len(windows) == len(ref)
    assert sorted(map(tuple, windows)) == sorted(map(tuple, ref))
    assert [tuple(w) for w in windows] != [tuple(r) for r in ref]
    assert ember.preprocessing.timeseries_dataset_from_array is \
        ember.utils.timeseries_dataset_from_array


def test_timeseries_errors():
    fn, data = ember.utils.timeseries_dataset_from_array, np.zeros(10)
    for kwargs, match in [(dict(start_index=-1), "0 or greater"),
                          (dict(start_index=10), "start_index"),
                          (dict(start_index=5, end_index=4), "higher than `start_index`"),
                          (dict(end_index=10), "end_index"),
                          (dict(end_index=-2), "higher than 0"),
                          (dict(sampling_rate=0), "sampling_rate"),
                          (dict(sampling_rate=10), "sampling_rate"),
                          (dict(sequence_stride=0), "sequence_stride"),
                          (dict(sequence_stride=11), "sequence_stride"),
                          (dict(format="grain"), "format")]:
        with pytest.raises(ValueError, match=match):
            fn(data, None, 3, **kwargs)


def test_split_dataset_arrays_and_datasets():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    left, right = ember.utils.split_dataset((x, y), left_size=0.8)
    (lx, ly), (rx, ry) = [tuple(np.stack(c) for c in zip(*d.as_numpy_iterator()))
                          for d in (left, right)]
    np.testing.assert_array_equal(lx, x[:8])
    np.testing.assert_array_equal(ry, y[8:])
    assert lx.dtype == np.float32 and ry.dtype == y.dtype
    left, right = ember.utils.split_dataset(x, right_size=3, shuffle=True, seed=5)
    rows = list(x)
    random.Random(5).shuffle(rows)  # Keras: random.seed(seed); random.shuffle(samples)
    np.testing.assert_array_equal(np.stack(list(right.as_numpy_iterator())),
                                  np.stack(rows[-3:]))
    batched = ember.tf.data.Dataset.from_tensor_slices({"a": x, "b": y}).batch(4)
    left, right = ember.utils.split_dataset(batched, left_size=6)
    assert [b["a"].shape[0] for b in left] == [4, 2]
    np.testing.assert_array_equal(next(iter(right))["b"].numpy(), y[6:])


def test_split_dataset_errors():
    x = np.zeros((10, 2))
    fn = ember.utils.split_dataset
    for args, kwargs, err, match in [
        (("data",), dict(left_size=0.5), TypeError, "list/tuple of arrays"),
        ((x,), {}, ValueError, "at least one"),
        ((x,), dict(left_size="half"), TypeError, "left_size"),
        ((x,), dict(left_size=0, right_size=0), ValueError, "both"),
        ((x,), dict(left_size=10), ValueError, "left_size"),
        ((x,), dict(right_size=1.5), ValueError, "right_size"),
        ((x,), dict(left_size=0.6, right_size=0.6), ValueError, "greater than 1"),
        ((x,), dict(left_size=6, right_size=6), ValueError, "at most 10"),
        ((x,), dict(left_size=0.01), ValueError, "empty"),
        (([],), dict(left_size=1), ValueError, "empty"),
        (([x, [1, 2]],), dict(left_size=1), ValueError, "numpy.ndarray"),
        (((x, np.zeros(3)),), dict(left_size=1), ValueError, "different lengths"),
        ((x,), dict(left_size=0.5, preferred_backend="torch"), ValueError, "preferred_backend"),
    ]:
        with pytest.raises(err, match=match):
            fn(*args, **kwargs)
    ragged = ember.tf.data.Dataset.from_generator(
        lambda: iter([np.zeros(2), np.zeros(3)]),
        output_signature=ember.tf.TensorSpec((None,), "float64"))
    with pytest.raises(ValueError, match="same shape"):
        fn(ragged, left_size=1)
