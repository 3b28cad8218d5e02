"""The *_dataset_from_directory loaders and split_dataset against Keras itself.

Keras builds these datasets with TensorFlow (or grain), neither installed beside Keras on JAX,
so the parity is checked on the pieces that run without them: Keras's own file indexing,
shuffling and validation split (``dataset_utils.index_directory`` and
``get_training_or_validation_split``), its Pillow image loader for the grain format
(``image_dataset_utils._load_image_grain``: decode, ``ops.image.resize`` with crop/pad), and
split_dataset's size arithmetic.
"""

import os
import random

import numpy as np
import pytest
from parity_harness import to_numpy

import ember

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `image`)")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """Three classes of PNG/JPEG images of various sizes, one nested folder, one non-image."""
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for c in ("cat", "dog", "zebra"):
        os.makedirs(root / c / "sub")
        for i in range(6):
            h, w = (int(v) for v in rng.integers(5, 20, 2))
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(
                root / c / f"{i}.png")
        Image.fromarray(rng.integers(0, 256, (7, 9), dtype=np.uint8)).save(
            root / c / "sub" / "g.jpg")
    (root / "cat" / "notes.txt").write_text("skipped")
    return str(root)


@pytest.mark.parametrize("shuffle,seed", [(False, None), (True, 3), (True, 1234)])
@pytest.mark.parametrize("subset", ["training", "validation"])
def test_same_files_labels_and_split(keras, tree, shuffle, seed, subset):
    from keras.src.utils import dataset_utils, image_dataset_utils

    if not shuffle and seed is None:
        seed = 0
    paths, labels, names = dataset_utils.index_directory(
        tree, "inferred", image_dataset_utils.ALLOWLIST_FORMATS, shuffle=shuffle, seed=seed,
        verbose=False)
    paths, labels = dataset_utils.get_training_or_validation_split(paths, labels, 0.25, subset)
    ds = ember.utils.image_dataset_from_directory(
        tree, image_size=(4, 4), shuffle=shuffle, seed=seed, validation_split=0.25,
        subset=subset, verbose=False, batch_size=None)
    assert ds.class_names == names
    assert ds.file_paths == paths
    if not shuffle:  # the dataset's own order is the file order only without the buffer shuffle
        np.testing.assert_array_equal([int(y.numpy()) for _, y in ds], labels)


def test_same_class_names_subset_order(keras, tree):
    from keras.src.utils import dataset_utils, image_dataset_utils

    chosen = ["zebra", "cat"]
    paths, labels, names = dataset_utils.index_directory(
        tree, "inferred", image_dataset_utils.ALLOWLIST_FORMATS, class_names=chosen,
        shuffle=False, verbose=False)
    ds = ember.utils.image_dataset_from_directory(tree, class_names=chosen, shuffle=False,
                                                  batch_size=None, image_size=(2, 2),
                                                  verbose=False)
    assert ds.class_names == names and ds.file_paths == paths
    np.testing.assert_array_equal([int(y.numpy()) for _, y in ds], labels)


_INTERPOLATIONS = ["bilinear", "nearest", "bicubic", "lanczos3"]
_ASPECTS = ["stretch", "crop", "pad"]
_MODES = [("rgb", 3), ("grayscale", 1), ("rgba", 4)]
# every interpolation with every aspect handling; the colour modes take turns (12 cases, not 36)
_IMAGE_CASES = [(interp, aspect) + _MODES[(i + j) % 3]
                for i, interp in enumerate(_INTERPOLATIONS) for j, aspect in enumerate(_ASPECTS)]


@pytest.mark.parametrize("interpolation,aspect,color_mode,channels", _IMAGE_CASES)
def test_same_images(keras, tree, interpolation, aspect, color_mode, channels):
    from keras.src.utils import image_dataset_utils

    crop, pad = aspect == "crop", aspect == "pad"
    ds = ember.utils.image_dataset_from_directory(
        tree, image_size=(8, 10), color_mode=color_mode, interpolation=interpolation,
        crop_to_aspect_ratio=crop, pad_to_aspect_ratio=pad, shuffle=False, batch_size=None,
        label_mode=None, data_format="channels_first", verbose=False)
    for path, image in zip(ds.file_paths[::5], list(ds)[::5]):
        theirs = image_dataset_utils._load_image_grain(
            path, (8, 10), channels, interpolation, "channels_first", crop, pad)
        assert image.dtype == np.float32 and image.shape == tuple(theirs.shape)
        np.testing.assert_allclose(image.numpy(), to_numpy(theirs), rtol=1e-5, atol=5e-3)


@pytest.mark.parametrize("left,right", [(0.8, None), (None, 0.25), (3, None), (None, 7),
                                        (0.5, 0.3), (4, 2), (0.333, None)])
def test_split_sizes(keras, left, right):
    from keras.src.utils import dataset_utils

    x = np.arange(30, dtype="float32").reshape(10, 3)
    n_left, n_right = dataset_utils._rescale_dataset_split_sizes(left, right, len(x))
    ours = ember.utils.split_dataset(x, left_size=left, right_size=right)
    got = [np.stack(list(d.as_numpy_iterator())) for d in ours]
    np.testing.assert_array_equal(got[0], x[:n_left])
    np.testing.assert_array_equal(got[1], x[len(x) - n_right:])


@pytest.mark.parametrize("left,right", [(0, 0), (10, None), (1.5, None), (0.6, 0.6), (6, 6),
                                        (0.01, None), ("a", None)])
def test_split_size_errors(keras, left, right):
    from keras.src.utils import dataset_utils

    with pytest.raises((ValueError, TypeError)) as theirs:
        dataset_utils._rescale_dataset_split_sizes(left, right, 10)
    with pytest.raises(theirs.type):
        ember.utils.split_dataset(np.zeros((10, 2)), left_size=left, right_size=right)


def test_split_shuffle_order(keras):
    from keras.src.utils import dataset_utils

    x, y = np.arange(40).reshape(20, 2), np.arange(20)
    samples = dataset_utils._convert_dataset_to_list((x, y), tuple)
    state = random.getstate()
    random.seed(11)  # what Keras does with the seed
    random.shuffle(samples)
    random.setstate(state)
    left, right = ember.utils.split_dataset((x, y), left_size=0.75, shuffle=True, seed=11)
    got = [b for b in left.as_numpy_iterator()] + [b for b in right.as_numpy_iterator()]
    for (gx, gy), (sx, sy) in zip(got, samples):
        np.testing.assert_array_equal(gx, sx)
        assert gy == sy


@pytest.mark.parametrize("kwargs", [
    dict(labels="folders"), dict(labels=[0, 1], class_names=["cat"]), dict(label_mode="sparse"),
    dict(color_mode="cmyk"), dict(image_size=(1, 2, 3)), dict(interpolation="cubic"),
    dict(format="other"), dict(validation_split=1.5, subset="training", seed=1),
    dict(validation_split=0.5), dict(validation_split=0.5, subset="test", seed=1),
    dict(validation_split=0.5, subset="training"), dict(label_mode="binary"),
    dict(class_names=["cat", "zzz"]), dict(labels=[0, 1]),
])
def test_same_argument_errors(keras, tree, kwargs):
    with pytest.raises(Exception) as theirs:
        keras.utils.image_dataset_from_directory(tree, verbose=False, **kwargs)
    assert theirs.type is ValueError, theirs.value  # raised before Keras needs TensorFlow
    with pytest.raises(ValueError):
        ember.utils.image_dataset_from_directory(tree, verbose=False, **kwargs)


def test_missing_directory_error(keras, tmp_path):
    with pytest.raises(OSError) as theirs:
        keras.utils.image_dataset_from_directory(tmp_path / "missing", verbose=False)
    with pytest.raises(theirs.type):
        ember.utils.image_dataset_from_directory(tmp_path / "missing", verbose=False)


def test_text_files_in_the_same_order(keras, tmp_path):
    from keras.src.utils import dataset_utils

    for c in ("neg", "pos"):
        (tmp_path / c / "deep").mkdir(parents=True)
        for name in ("b.txt", "a.TXT", "c.md", "deep/z.txt"):
            (tmp_path / c / name).write_text(f"{c} {name}")
    paths, labels, names = dataset_utils.index_directory(
        str(tmp_path), "inferred", (".txt",), shuffle=True, seed=5, verbose=False)
    ds = ember.utils.text_dataset_from_directory(str(tmp_path), shuffle=False, batch_size=None,
                                                 verbose=False)
    assert ds.class_names == names
    unshuffled = [x.numpy() for x, _ in ds]
    shuffled = list(unshuffled)
    np.random.RandomState(5).shuffle(shuffled)
    assert shuffled == [open(p, "rb").read() for p in paths]


@pytest.mark.parametrize("labels", ["inferred", None])
def test_same_messages(keras, tree, capsys, labels):
    from keras.src.utils import dataset_utils, image_dataset_utils

    paths, found, _ = dataset_utils.index_directory(
        tree, labels, image_dataset_utils.ALLOWLIST_FORMATS, seed=1)
    dataset_utils.get_training_or_validation_split(paths, found, 0.3, "training")
    theirs = capsys.readouterr().out
    ember.utils.image_dataset_from_directory(tree, labels=labels, seed=1, validation_split=0.3,
                                             subset="training", image_size=(2, 2))
    assert capsys.readouterr().out == theirs
