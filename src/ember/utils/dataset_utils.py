"""Datasets from files and arrays: the pieces the ``*_dataset_from_directory`` loaders share
(indexing a directory of class folders, the training/validation split, the labels), and
``keras.utils.split_dataset``.

The results are ``ember.tf.data.Dataset`` pipelines, so ``model.fit(ds)`` takes them as it takes
TensorFlow's. Files are listed, shuffled (``np.random.RandomState(seed)`` on the sorted list) and
split exactly as Keras does, so the same seed gives the same training and validation files.
"""

import os
import random

from ember.backend import np
from ember.utils.io_utils import print_msg

LABEL_MODES = ("int", "categorical", "binary", None)


def check_labels_arg(fn, labels, label_mode, class_names, what):
    """Validate ``labels``/``label_mode``/``class_names``; ``(labels, label_mode)`` with both
    None when either is (a dataset of inputs only)."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"{fn}: `labels` should be a list/tuple of integer labels, of the same size as "
                f"the number of {what} files in the target directory; pass labels='inferred' to "
                "infer them from the subdirectory names, or labels=None for no labels. "
                f"Received: labels={labels!r}")
        if class_names:
            raise ValueError(f"{fn}: you can only pass `class_names` if labels='inferred'. "
                             f"Received: labels={labels!r}, and class_names={class_names!r}")
    if label_mode not in LABEL_MODES:
        raise ValueError(f"{fn}: `label_mode` must be one of 'int', 'categorical', 'binary', or "
                         f"None. Received: label_mode={label_mode!r}")
    if labels is None or label_mode is None:
        return None, None
    return labels, label_mode


def check_validation_split_arg(fn, validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"{fn}: `validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(f"{fn}: if `subset` is set, `validation_split` must be set, and "
                         f"inversely. Received: validation_split={validation_split!r}, "
                         f"subset={subset!r}")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f"{fn}: `subset` must be either 'training', 'validation' or 'both', "
                         f"received: {subset!r}")
    if validation_split and shuffle and seed is None:
        raise ValueError(f"{fn}: when using `validation_split` and shuffling the data, you must "
                         "provide a `seed` argument, so that the training and validation "
                         "subsets do not overlap.")


def _valid_files(directory, follow_links, formats):
    """``(root, name)`` of the files under ``directory`` whose lowercase name ends with one of
    ``formats``: folders in sorted path order, names sorted within each."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield root, name


def index_directory(fn, directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """``(file_paths, labels, class_names)`` of the files in ``directory`` with an extension in
    ``formats``. ``labels='inferred'``: one class per subdirectory (sorted, or in
    ``class_names``' order), an int32 array of class indices; a list: given labels, in the
    sorted order of the files; None: no labels. Shuffled with ``RandomState(seed)`` unless
    ``shuffle`` is False (then sorted by class, then path)."""
    if not os.path.isdir(directory):
        # Keras's os.listdir raises FileNotFoundError here
        raise FileNotFoundError(f"{fn}: directory {str(directory)!r} does not exist or is not a "
                                "directory")
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    f"{fn}: the `class_names` passed did not match the names of the "
                    f"subdirectories of the target directory. Expected: {subdirs} (or a subset "
                    f"of it), but received: class_names={class_names}")
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(f"{fn}: `class_names` can only be given with labels='inferred' "
                             f"(received labels={'None' if labels is None else 'a list'})")
        subdirs = [""]
    file_names, file_labels = [], []
    for index, subdir in enumerate(subdirs):
        top = os.path.join(directory, subdir)
        for root, name in _valid_files(top, follow_links, formats):
            relative = os.path.relpath(os.path.join(root, name), top)
            file_names.append(os.path.join(os.path.basename(top), relative))
            file_labels.append(index)
    if labels == "inferred":
        labels = np.asarray(file_labels, dtype="int32")
        names = subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(file_names):
            raise ValueError(
                f"{fn}: expected the length of `labels` to match the number of files in the "
                f"target directory. len(labels) is {len(labels)} while we found "
                f"{len(file_names)} files in directory {directory}.")
        names = [str(label) for label in sorted(set(labels))]
        labels = list(labels)
    if verbose:
        if labels is None:
            print_msg(f"Found {len(file_names)} files.")
        else:
            print_msg(f"Found {len(file_names)} files belonging to {len(names)} classes.")
    paths = [os.path.join(directory, name) for name in file_names]
    if shuffle:
        # the same two shuffles as Keras, so that a seed picks the same files
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def training_or_validation_split(samples, labels, validation_split, subset):
    """The last ``int(validation_split * n)`` samples for 'validation', the rest for
    'training' (all of them without a ``validation_split``)."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - num_val} files for training.")
        cut = slice(None, len(samples) - num_val)
    else:
        print_msg(f"Using {num_val} files for validation.")
        cut = slice(len(samples) - num_val, None)
    return samples[cut], None if labels is None else labels[cut]


def encode_labels(labels, label_mode, num_classes):
    """Labels as the dataset yields them: int32 class indices, float32 one-hot rows
    ('categorical') or float32 ``(n, 1)`` columns ('binary')."""
    labels = np.asarray(labels, dtype="int32")
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        # as tf.one_hot: a label outside [0, num_classes) is an all-zero row
        return (labels[:, None] == np.arange(num_classes)).astype("float32")
    return labels


def paths_and_labels_to_dataset(paths, labels, label_mode, num_classes, load, shuffle=False,
                                shuffle_buffer_size=None, seed=None):
    """A Dataset of ``load(path)`` (or ``(load(path), label)`` pairs), optionally shuffled
    through a buffer before loading; ``load`` runs on a thread pool, results in order."""
    from ember.tf.data import AUTOTUNE, Dataset

    def load_path(path):
        return load(os.fsdecode(path.data[()]))

    paths = np.asarray([os.fsencode(p) for p in paths], dtype=object)  # tf.string: bytes
    if label_mode:
        ds = Dataset.from_tensor_slices(
            (paths, encode_labels(labels, label_mode, num_classes)))
    else:
        ds = Dataset.from_tensor_slices(paths)
    if shuffle:
        ds = ds.shuffle(buffer_size=shuffle_buffer_size or 1024, seed=seed)
    if label_mode:
        return ds.map(lambda path, label: (load_path(path), label), num_parallel_calls=AUTOTUNE)
    return ds.map(load_path, num_parallel_calls=AUTOTUNE)


def dataset_from_directory(fn, what, directory, labels, label_mode, class_names, batch_size,
                           shuffle, seed, validation_split, subset, follow_links, verbose,
                           formats, load, finish=None, file_paths_attr=False):
    """The common body of the ``*_dataset_from_directory`` loaders: index, check, split, build
    (``finish(ds, batch_size)`` batches; default ``batch`` + ``prefetch``) and tag with
    ``class_names`` (and ``file_paths``). A list ``[train, val]`` for subset='both'."""
    from ember.tf.data import AUTOTUNE

    labels, label_mode = check_labels_arg(fn, labels, label_mode, class_names, what)
    check_validation_split_arg(fn, validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(
        fn, directory, labels, formats, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"{fn}: when passing label_mode='binary', there must be exactly 2 "
                         f"class_names. Received: class_names={class_names}")
    num_classes = len(class_names) if class_names else 0
    buffer_size = batch_size * 8 if batch_size is not None else 1024

    def default_finish(ds, batch_size):
        if batch_size is not None:
            ds = ds.batch(batch_size)
        return ds.prefetch(AUTOTUNE)

    finish = finish or default_finish

    def build(which, shuffled):
        part_paths, part_labels = training_or_validation_split(paths, labels, validation_split,
                                                               which)
        if not part_paths:
            kind = f"{which} " if which and subset == "both" else ""
            raise ValueError(f"{fn}: no {kind}{what} files found in directory {directory}. "
                             f"Allowed formats: {formats}")
        ds = paths_and_labels_to_dataset(part_paths, part_labels, label_mode, num_classes,
                                         load, shuffle=shuffled, shuffle_buffer_size=buffer_size,
                                         seed=seed)
        ds = finish(ds, batch_size)
        ds.class_names = class_names
        if file_paths_attr:
            ds.file_paths = part_paths
        return ds

    if subset == "both":
        return [build("training", shuffle), build("validation", False)]
    return build(subset, shuffle)


# -- split_dataset ------------------------------------------------------------------------------
def _samples(dataset):
    """The samples of ``dataset`` (a Dataset, unbatched if batched; an array; a list/tuple of
    arrays of the same length) as a list, each a structure of host arrays."""
    from ember.tf.data import Dataset
    from ember.tf.data.dataset import _BatchDataset

    if isinstance(dataset, Dataset):
        # as Keras: only a dataset whose last step is `batch` counts as batched
        if isinstance(dataset, _BatchDataset):
            return list(dataset.unbatch().as_numpy_iterator()), dataset._size
        return list(dataset.as_numpy_iterator()), None
    if isinstance(dataset, np.ndarray):
        return list(dataset), None
    if isinstance(dataset, (list, tuple)):
        kind = type(dataset).__name__
        if not dataset:
            raise ValueError(f"split_dataset: received an empty {kind} dataset. Please provide "
                             f"a non-empty {kind} of arrays.")
        for i, element in enumerate(dataset):
            if not isinstance(element, np.ndarray):
                raise ValueError(f"split_dataset: expected a {kind} of `numpy.ndarray` "
                                 f"objects, received: {type(element)} at index {i}.")
            if len(element) != len(dataset[0]):
                raise ValueError(
                    f"split_dataset: received a {kind} of NumPy arrays with different lengths. "
                    f"Mismatch found at index {i}, expected shape={dataset[0].shape}, received "
                    f"shape={element.shape}.")
        return list(zip(*dataset)), None
    raise TypeError("split_dataset: the `dataset` argument must be either a "
                    "`tf.data.Dataset` object, or a list/tuple of arrays. "
                    f"Received: dataset={dataset!r} of type {type(dataset)}")


def _split_sizes(left_size, right_size, total):
    """``(left, right)`` sample counts: ints as given, floats as fractions of ``total``
    (rounded), None as the complement."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"split_dataset: invalid `{name}` type. Expected: int or float or "
                            f"None, received: type({name})={type(size)}")
    if left_size == 0 and right_size == 0:
        raise ValueError("split_dataset: both `left_size` and `right_size` are zero. At least "
                         "one of the split sizes must be non-zero.")
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if (type(size) is int and not 0 < size < total
                or type(size) is float and not 0 < size < 1):
            raise ValueError(f"split_dataset: `{name}` should be either a positive integer "
                             f"smaller than {total}, or a float within the range `[0, 1]`. "
                             f"Received: {name}={size}")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError("split_dataset: the sum of `left_size` and `right_size` is greater "
                         "than 1. It must be less than or equal to 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(f"split_dataset: the sum of `left_size` and `right_size` should be "
                         f"at most {total}. Received: left_size + right_size = {left + right}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(f"split_dataset: with `dataset` of length={total}, "
                             f"left_size={left_size} and right_size={right_size}, the "
                             f"resulting {side} side dataset split would be empty.")
    return int(left), int(right)


def _restack(samples):
    """A list of samples (each a nested structure of arrays) as one structure of stacked
    arrays, each keeping its dtype."""
    from ember.tf.data import structure as st

    columns = [np.stack([np.asarray(v) for v in column])
               for column in zip(*(st.flatten(s) for s in samples))]
    return st.pack_as(samples[0], columns)


def _check_shapes(samples):
    from ember.tf.data import structure as st

    first = [np.shape(v) for v in st.flatten(samples[0])]
    for i, sample in enumerate(samples):
        shapes = [np.shape(v) for v in st.flatten(sample)]
        if shapes != first:
            raise ValueError(f"split_dataset: all `dataset` samples must have the same shape. "
                             f"Expected shape: {first}, received shape: {shapes} at index {i}.")


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split a dataset (a ``tf.data.Dataset``, an array, or a list/tuple of arrays of the same
    length) into two Datasets: ``left_size`` and ``right_size`` are sample counts (int) or
    fractions (float), one of them None for the complement. ``shuffle`` reorders the samples
    first (Python's ``random`` with ``seed``, as Keras). A batched dataset gives batched
    splits. Meant for small in-memory datasets: every sample is loaded."""
    from ember.tf.data import AUTOTUNE, Dataset

    if preferred_backend == "torch":
        raise ValueError("split_dataset: ember splits into tf.data-style Datasets; "
                         "preferred_backend='torch' (torch Datasets) is not supported")
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: at least one of the `left_size` or `right_size` must "
                         "be specified. Received: left_size=None and right_size=None")
    samples, batch_size = _samples(dataset)
    if not samples:
        raise ValueError("split_dataset: received an empty dataset.")
    _check_shapes(samples)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.Random(seed).shuffle(samples)
    left, right = _split_sizes(left_size, right_size, len(samples))
    splits = []
    for part in (samples[:left], samples[len(samples) - right:]):
        ds = Dataset.from_tensor_slices(_restack(part))
        if batch_size is not None:
            ds = ds.batch(batch_size)
        splits.append(ds.prefetch(AUTOTUNE))
    return tuple(splits)
