"""tf.data: building input pipelines - a dataset from a list or from arrays, iterated and
reduced; its ``element_spec``; ``zip``, ``batch``, ``repeat``, ``take``, ``shuffle``, ``filter``;
then the usual training pipeline for MNIST: ``from_tensor_slices``, ``map`` with
``num_parallel_calls=tf.data.AUTOTUNE``, ``cache``, ``shuffle``, ``batch``, ``prefetch``, and
``fit`` on the dataset with another as validation data.

In the style of TensorFlow's "tf.data: Build TensorFlow input pipelines" guide and its
"Training a neural network on MNIST with Keras" example, on the first 6,000 training and 1,000
test images of the real MNIST; runs unchanged on TensorFlow once the import says
``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (seed 7):
    elements: [8, 3, 0, 8, 2, 1]; reduce: 22
    element_spec: TensorSpec(shape=(), dtype=tf.int32, name=None)
    zipped batches: [[0, 1, 2, 3], [0, -1, -2, -3]] ... spec (None,)
    pipeline batch: (128, 28, 28) float32, (128,) uint8
    epoch accuracy: 0.7473 0.9030 0.9222; val: 0.8400 0.8790 0.8890
    (and Keras's warning that fit's shuffle=True is ignored for a tf.data.Dataset)

    TUTORIAL_DATASETS=/path/to/datasets python examples/tf_tutorials/data_pipeline.py
"""

import os

import numpy as np

import ember as tf

DATASETS = os.environ.get(
    "TUTORIAL_DATASETS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                 "datasets"))
TRAIN, TEST = 6000, 1000

tf.keras.utils.set_random_seed(7)

# --- basic mechanics -----------------------------------------------------------------------
dataset = tf.data.Dataset.from_tensor_slices([8, 3, 0, 8, 2, 1])
elements = [int(elem.numpy()) for elem in dataset]
assert elements == [8, 3, 0, 8, 2, 1]
it = iter(dataset)
assert int(next(it).numpy()) == 8 and int(next(it).numpy()) == 3
total = dataset.reduce(0, lambda state, value: state + value).numpy()
assert total == 22
print(f"elements: {elements}; reduce: {total}")

assert dataset.element_spec == tf.TensorSpec(shape=(), dtype=tf.int32)
print("element_spec:", dataset.element_spec)

# a tuple of arrays is sliced along the first axis, together
dataset1 = tf.data.Dataset.from_tensor_slices(tf.random.uniform([4, 10]))
dataset2 = tf.data.Dataset.from_tensor_slices(
    (tf.random.uniform([4]), tf.random.uniform([4, 100], maxval=100, dtype=tf.int32)))
dataset3 = tf.data.Dataset.zip((dataset1, dataset2))
a, (b, c) = next(iter(dataset3))
assert a.shape == (10,) and b.shape == () and c.shape == (100,) and c.dtype == tf.int32
assert len(list(dataset3)) == 4

# batching: the batch axis has unknown size, since the last batch may be short
inc_dataset = tf.data.Dataset.range(100)
dec_dataset = tf.data.Dataset.range(0, -100, -1)
dataset = tf.data.Dataset.zip((inc_dataset, dec_dataset))
batched_dataset = dataset.batch(4)
batches = [[arr.numpy().tolist() for arr in batch] for batch in batched_dataset.take(4)]
assert batches[1] == [[4, 5, 6, 7], [-4, -5, -6, -7]]
spec = batched_dataset.element_spec
assert spec[0].shape.as_list() == [None] and spec[0].dtype == tf.int64
assert dataset.batch(7, drop_remainder=True).element_spec[0].shape.as_list() == [7]
assert len(list(dataset.batch(7))) == 15 and len(list(dataset.batch(7, True))) == 14
print(f"zipped batches: {batches[0]} ... spec {tuple(spec[0].shape)}")

# repeat, shuffle, filter
repeated = [int(x) for x in tf.data.Dataset.range(3).repeat(2)]
assert repeated == [0, 1, 2, 0, 1, 2]
shuffled = [int(x) for x in tf.data.Dataset.range(10).shuffle(10)]
assert sorted(shuffled) == list(range(10))  # a full buffer: a permutation of the elements
evens = [int(x) for x in tf.data.Dataset.range(10).filter(lambda x: x % 2 == 0)]
assert evens == [0, 2, 4, 6, 8]
assert [int(x) for x in tf.data.Dataset.range(10).skip(7)] == [7, 8, 9]

# --- a training pipeline -------------------------------------------------------------------
with np.load(os.path.join(DATASETS, "mnist", "mnist.npz")) as f:
    train = f["x_train"][:TRAIN], f["y_train"][:TRAIN]
    test = f["x_test"][:TEST], f["y_test"][:TEST]


def normalize_img(image, label):
    """Normalizes images: `uint8` -> `float32`."""
    return tf.cast(image, tf.float32) / 255.0, label


ds_train = tf.data.Dataset.from_tensor_slices(train)
ds_train = ds_train.map(normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_train = ds_train.cache()
ds_train = ds_train.shuffle(TRAIN)
ds_train = ds_train.batch(128)
ds_train = ds_train.prefetch(tf.data.AUTOTUNE)

ds_test = tf.data.Dataset.from_tensor_slices(test)
ds_test = ds_test.map(normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_test = ds_test.batch(128)
ds_test = ds_test.cache()
ds_test = ds_test.prefetch(tf.data.AUTOTUNE)

images, labels = next(iter(ds_train))
assert images.shape == (128, 28, 28) and images.dtype == tf.float32
assert labels.shape == (128,) and labels.dtype == tf.uint8
assert 0.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
print(f"pipeline batch: {tuple(images.shape)} {images.dtype.name}, "
      f"{tuple(labels.shape)} {labels.dtype.name}")

# each epoch is the same examples in a new order (the cache holds the mapped images)
first_epoch = np.concatenate([y.numpy() for _, y in ds_train])
second_epoch = np.concatenate([y.numpy() for _, y in ds_train])
assert len(first_epoch) == TRAIN and np.any(first_epoch != second_epoch)
np.testing.assert_array_equal(np.sort(first_epoch), np.sort(second_epoch))
# the cached test set is the mapped arrays, in order
test_images = np.concatenate([x.numpy() for x, _ in ds_test])
np.testing.assert_array_equal(test_images, test[0].astype(np.float32) / np.float32(255.0))

model = tf.keras.models.Sequential([
    tf.keras.Input(shape=(28, 28)),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10),
])
model.compile(
    optimizer=tf.keras.optimizers.Adam(0.001),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[tf.keras.metrics.SparseCategoricalAccuracy()],
)
history = model.fit(ds_train, epochs=3, validation_data=ds_test, verbose=0)
acc = history.history["sparse_categorical_accuracy"]
val = history.history["val_sparse_categorical_accuracy"]
print("epoch accuracy: " + " ".join(f"{a:.4f}" for a in acc) + "; val: " +
      " ".join(f"{v:.4f}" for v in val))
assert acc[-1] > acc[0] and val[-1] > 0.85, (acc, val)
assert int(model.optimizer.iterations.numpy()) == 3 * -(-TRAIN // 128)  # 47 batches an epoch
print("tf.data tutorial: OK")
