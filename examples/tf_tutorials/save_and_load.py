"""Save and load models: a ``ModelCheckpoint`` callback that saves weights during training (once
per epoch, then every 5 epochs into numbered files); ``load_weights`` into a fresh model;
``save_weights`` by hand; a ``tf.train.Checkpoint`` of the model found again with
``tf.train.latest_checkpoint``; the whole model in a ``.keras`` file and
``tf.keras.models.load_model``. Each restored model evaluates exactly as the trained one.

In the style of TensorFlow's "Save and load models" tutorial, on the first 1,000 training and
test images of the real MNIST (as the tutorial); runs unchanged on TensorFlow once the import
says ``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (seed 1):
    trained model, accuracy: 86.80%
    Untrained model, accuracy:  9.70%
    Restored model, accuracy: 86.80%
    numbered checkpoints: ['cp-0000.weights.h5', 'cp-0005.weights.h5', 'cp-0010.weights.h5']
    latest checkpoint: ckpt-2
    Restored from ckpt-2, accuracy: 86.10%
    Restored from .keras, accuracy: 86.10%, optimizer at step 320
    (and, from Keras, "Epoch 5: saving model to .../cp-0005.weights.h5" lines, and warnings
    that load_weights skips the saved optimizer's variables: a fresh model's are not built)

    TUTORIAL_DATASETS=/path/to/datasets python examples/tf_tutorials/save_and_load.py
"""

import os
import tempfile

import numpy as np

import ember as tf

DATASETS = os.environ.get(
    "TUTORIAL_DATASETS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                 "datasets"))

tf.keras.utils.set_random_seed(1)

with np.load(os.path.join(DATASETS, "mnist", "mnist.npz")) as f:
    train_images, train_labels = f["x_train"][:1000], f["y_train"][:1000]
    test_images, test_labels = f["x_test"][:1000], f["y_test"][:1000]
train_images = train_images.reshape(-1, 28 * 28) / 255.0
test_images = test_images.reshape(-1, 28 * 28) / 255.0


# Define a simple sequential model
def create_model():
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(784,)),
        tf.keras.layers.Dense(512, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return model


def accuracy_of(model):
    _, acc = model.evaluate(test_images, test_labels, verbose=0)
    return acc


workdir = tempfile.mkdtemp()

# --- save checkpoints during training ------------------------------------------------------
checkpoint_path = os.path.join(workdir, "training_1", "cp.weights.h5")
checkpoint_dir = os.path.dirname(checkpoint_path)
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                                 save_weights_only=True, verbose=1)
model = create_model()
model.fit(train_images, train_labels, epochs=5, validation_data=(test_images, test_labels),
          callbacks=[cp_callback], verbose=0)
assert os.listdir(checkpoint_dir) == ["cp.weights.h5"]
trained_acc = accuracy_of(model)
print(f"trained model, accuracy: {100 * trained_acc:5.2f}%")
assert trained_acc > 0.75, trained_acc

# a fresh model guesses; with the checkpoint's weights it is the trained model again
model = create_model()
untrained_acc = accuracy_of(model)
print(f"Untrained model, accuracy: {100 * untrained_acc:5.2f}%")
assert untrained_acc < 0.3, untrained_acc
model.load_weights(checkpoint_path)
restored_acc = accuracy_of(model)
print(f"Restored model, accuracy: {100 * restored_acc:5.2f}%")
assert restored_acc == trained_acc, (restored_acc, trained_acc)

# --- checkpoint options: numbered files, every 5 epochs ------------------------------------
checkpoint_path = os.path.join(workdir, "training_2", "cp-{epoch:04d}.weights.h5")
checkpoint_dir = os.path.dirname(checkpoint_path)
batch_size = 32
n_batches = -(-len(train_images) // batch_size)
cp_callback = tf.keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, verbose=1,
                                                 save_weights_only=True,
                                                 save_freq=5 * n_batches)
model = create_model()
os.makedirs(checkpoint_dir)
model.save_weights(checkpoint_path.format(epoch=0))
model.fit(train_images, train_labels, epochs=10, batch_size=batch_size, callbacks=[cp_callback],
          validation_data=(test_images, test_labels), verbose=0)
saved = sorted(os.listdir(checkpoint_dir))
print("numbered checkpoints:", saved)
assert saved == ["cp-0000.weights.h5", "cp-0005.weights.h5", "cp-0010.weights.h5"], saved
final_acc = accuracy_of(model)
epoch_10 = create_model()
epoch_10.load_weights(checkpoint_path.format(epoch=10))
assert accuracy_of(epoch_10) == final_acc
epoch_0 = create_model()
epoch_0.load_weights(checkpoint_path.format(epoch=0))  # the untrained start
assert accuracy_of(epoch_0) < 0.3

# --- a TensorFlow checkpoint, found again with latest_checkpoint ---------------------------
ckpt_dir = os.path.join(workdir, "training_3")
checkpoint = tf.train.Checkpoint(model=model)
first = checkpoint.save(os.path.join(ckpt_dir, "ckpt"))
for layer in model.layers:  # change the weights, then save them again
    for weight in layer.trainable_weights:
        weight.assign(weight * 1.0)
second = checkpoint.save(os.path.join(ckpt_dir, "ckpt"))
latest = tf.train.latest_checkpoint(ckpt_dir)
print("latest checkpoint:", os.path.basename(latest))
assert latest == second != first, (latest, first, second)
restored = create_model()
tf.train.Checkpoint(model=restored).restore(latest).expect_partial()  # not its optimizer
for a, b in zip(restored.weights, model.weights):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
ckpt_acc = accuracy_of(restored)
print(f"Restored from {os.path.basename(latest)}, accuracy: {100 * ckpt_acc:5.2f}%")
assert ckpt_acc == final_acc

# --- weights saved by hand -----------------------------------------------------------------
weights_path = os.path.join(workdir, "checkpoints", "my_checkpoint.weights.h5")
os.makedirs(os.path.dirname(weights_path))
model.save_weights(weights_path)
by_hand = create_model()
by_hand.load_weights(weights_path)
assert accuracy_of(by_hand) == final_acc

# --- the entire model: architecture, weights and optimizer state ---------------------------
model_path = os.path.join(workdir, "my_model.keras")
model.save(model_path)
new_model = tf.keras.models.load_model(model_path)
assert [type(layer).__name__ for layer in new_model.layers] == ["Dense", "Dropout", "Dense"]
loaded_acc = accuracy_of(new_model)
np.testing.assert_array_equal(new_model.predict(test_images, verbose=0),
                              model.predict(test_images, verbose=0))
steps = int(new_model.optimizer.iterations.numpy())
assert steps == int(model.optimizer.iterations.numpy()) == 10 * n_batches
print(f"Restored from .keras, accuracy: {100 * loaded_acc:5.2f}%, optimizer at step {steps}")
assert loaded_acc == final_acc
print("save and load tutorial: OK")
