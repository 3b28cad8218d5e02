"""Deep convolutional GAN: a generator (``Dense``, ``BatchNormalization``, ``LeakyReLU``,
``Reshape``, ``Conv2DTranspose`` up to 28x28) and a discriminator (strided ``Conv2D``,
``Dropout``, ``Dense``) trained against each other by a ``@tf.function`` step with two
``GradientTape``s and two Adam optimizers; all four saved with ``tf.train.Checkpoint`` and
restored from ``tf.train.latest_checkpoint``.

In the style of TensorFlow's "Deep Convolutional Generative Adversarial Network" tutorial, with
the layers' widths divided by 8 (the generator starts from 7x7x32 instead of 7x7x256, the
discriminator has 8 and 16 filters instead of 64 and 128) and one epoch over the first 512
images of the real MNIST in batches of 64 (the tutorial: all 60,000, batches of 256, 50
epochs), so that it runs in seconds; runs unchanged on TensorFlow once the import says
``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (seed 5):
    generated image (1, 28, 28, 1), decision (1, 1)
    step 1: gen_loss 0.6877, disc_loss 1.4549
    step 8: gen_loss 0.6773, disc_loss 1.3751
    restored from ckpt-1: generator output and optimizer steps (8, 8) as saved
    generated for the seed: (16, 28, 28, 1), in [-1, 1]

    TUTORIAL_DATASETS=/path/to/datasets python examples/tf_tutorials/dcgan.py
"""

import os
import tempfile

import numpy as np

import ember as tf
from ember.keras import layers

DATASETS = os.environ.get(
    "TUTORIAL_DATASETS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                 "datasets"))
IMAGES = 512

tf.keras.utils.set_random_seed(5)

with np.load(os.path.join(DATASETS, "mnist", "mnist.npz")) as f:
    train_images = f["x_train"][:IMAGES]
train_images = train_images.reshape(train_images.shape[0], 28, 28, 1).astype("float32")
train_images = (train_images - 127.5) / 127.5  # Normalize the images to [-1, 1]

BUFFER_SIZE = IMAGES
BATCH_SIZE = 64

# Batch and shuffle the data
train_dataset = tf.data.Dataset.from_tensor_slices(train_images).shuffle(BUFFER_SIZE).batch(
    BATCH_SIZE)


def make_generator_model():
    model = tf.keras.Sequential()
    model.add(tf.keras.Input(shape=(100,)))
    model.add(layers.Dense(7 * 7 * 32, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Reshape((7, 7, 32)))
    assert model.output_shape == (None, 7, 7, 32)  # Note: None is the batch size

    model.add(layers.Conv2DTranspose(16, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    assert model.output_shape == (None, 7, 7, 16)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(8, (5, 5), strides=(2, 2), padding="same", use_bias=False))
    assert model.output_shape == (None, 14, 14, 8)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False,
                                     activation="tanh"))
    assert model.output_shape == (None, 28, 28, 1)

    return model


def make_discriminator_model():
    model = tf.keras.Sequential()
    model.add(tf.keras.Input(shape=(28, 28, 1)))
    model.add(layers.Conv2D(8, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Conv2D(16, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Flatten())
    model.add(layers.Dense(1))

    return model


generator = make_generator_model()
noise = tf.random.normal([1, 100])
generated_image = generator(noise, training=False)

discriminator = make_discriminator_model()
decision = discriminator(generated_image)
print(f"generated image {tuple(generated_image.shape)}, decision {tuple(decision.shape)}")
assert generated_image.shape == (1, 28, 28, 1) and decision.shape == (1, 1)

# This method returns a helper function to compute cross entropy loss
cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    total_loss = real_loss + fake_loss
    return total_loss


def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)


generator_optimizer = tf.keras.optimizers.Adam(1e-4)
discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)

checkpoint_dir = os.path.join(tempfile.mkdtemp(), "training_checkpoints")
checkpoint_prefix = os.path.join(checkpoint_dir, "ckpt")
checkpoint = tf.train.Checkpoint(generator_optimizer=generator_optimizer,
                                 discriminator_optimizer=discriminator_optimizer,
                                 generator=generator,
                                 discriminator=discriminator)

noise_dim = 100
num_examples_to_generate = 16

# We will reuse this seed overtime (so it's easier)
# to visualize progress in the animated GIF)
seed = tf.random.normal([num_examples_to_generate, noise_dim])


# Notice the use of `tf.function`
# This annotation causes the function to be "compiled".
@tf.function
def train_step(images):
    noise = tf.random.normal([BATCH_SIZE, noise_dim])

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)

        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)

        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)

    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss,
                                                    discriminator.trainable_variables)

    generator_optimizer.apply_gradients(zip(gradients_of_generator,
                                            generator.trainable_variables))
    discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator,
                                                discriminator.trainable_variables))
    return gen_loss, disc_loss


disc_before = [v.numpy().copy() for v in discriminator.trainable_variables]
losses = []
for image_batch in train_dataset:
    gen_loss, disc_loss = train_step(image_batch)
    losses.append((float(gen_loss), float(disc_loss)))
for step in (0, len(losses) - 1):
    print(f"step {step + 1}: gen_loss {losses[step][0]:.4f}, disc_loss {losses[step][1]:.4f}")
assert len(losses) == IMAGES // BATCH_SIZE
assert np.all(np.isfinite(losses)), losses
# at the start the discriminator cannot tell: about log 2 for the generator, 2 log 2 for it
assert abs(losses[0][0] - np.log(2)) < 0.2 and abs(losses[0][1] - 2 * np.log(2)) < 0.4
# the discriminator learns a little in those steps
assert losses[-1][1] < losses[0][1], losses
assert all(np.any(v.numpy() != b) for v, b in zip(discriminator.trainable_variables,
                                                  disc_before))

# save all four, train on, then go back to the checkpoint
saved_path = checkpoint.save(file_prefix=checkpoint_prefix)
saved_images = generator(seed, training=False).numpy()
steps = (int(generator_optimizer.iterations.numpy()),
         int(discriminator_optimizer.iterations.numpy()))
assert steps == (len(losses), len(losses))
for image_batch in train_dataset.take(2):
    train_step(image_batch)
assert np.any(generator(seed, training=False).numpy() != saved_images)

latest = tf.train.latest_checkpoint(checkpoint_dir)
assert latest == saved_path, (latest, saved_path)
checkpoint.restore(latest)
np.testing.assert_array_equal(generator(seed, training=False).numpy(), saved_images)
restored_steps = (int(generator_optimizer.iterations.numpy()),
                  int(discriminator_optimizer.iterations.numpy()))
assert restored_steps == steps, (restored_steps, steps)
print(f"restored from {os.path.basename(latest)}: generator output and optimizer steps "
      f"{restored_steps} as saved")

# what generate_and_save_images plots: 16 images from the fixed seed
predictions = generator(seed, training=False)
assert predictions.shape == (16, 28, 28, 1)
assert float(tf.reduce_min(predictions)) >= -1.0 and float(tf.reduce_max(predictions)) <= 1.0
print(f"generated for the seed: {tuple(predictions.shape)}, in [-1, 1]")
print("DCGAN tutorial: OK")
