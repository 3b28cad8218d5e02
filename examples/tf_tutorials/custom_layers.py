"""Modules and custom layers: a ``tf.Module`` holding trainable and non-trainable variables;
modules made of modules, with variables created on first call; a module's variables saved and
restored with ``tf.train.Checkpoint``; a Keras ``Layer`` that makes its weight in ``build`` with
``add_weight``; a ResNet identity block as a subclassed ``Model`` next to the same layers in a
``Sequential``; the variable and parameter counts the tutorials print.

In the style of TensorFlow's "Introduction to modules, layers, and models" and "Custom layers"
guides; runs unchanged on TensorFlow once the import says ``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (the same lines are expected here):
    simple module(5.0) = 30.0; trainable: ['train_me:0']; all: ['train_me:0', 'do_not_train_me:0']
    Model results: shape (1, 2); submodules: 2, variables: 4
    flexible module: built on first call, 4 variables, w shapes [(3, 3), (3, 2)]
    checkpoint restored: dense_1.w equal again
    gradients for 4 module variables
    Dense(10) on (10, 5): kernel (5, 10), bias (10,)
    MyDenseLayer variables: ['kernel']
    ResNet block: 6 layers, 18 variables, 12 trainable, 41 parameters, output (1, 2, 3, 3)
    Sequential of the same layers: 41 parameters

    python examples/tf_tutorials/custom_layers.py
"""

import os
import tempfile

import numpy as np

import ember as tf

tf.keras.utils.set_random_seed(3)


# --- tf.Module: a named container of variables ---------------------------------------------
class SimpleModule(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.a_variable = tf.Variable(5.0, name="train_me")
        self.non_trainable_variable = tf.Variable(5.0, trainable=False, name="do_not_train_me")

    def __call__(self, x):
        return self.a_variable * x + self.non_trainable_variable


simple_module = SimpleModule(name="simple")
result = simple_module(tf.constant(5.0))
assert float(result) == 30.0 and simple_module.name == "simple"
trainable = [v.name for v in simple_module.trainable_variables]
every = [v.name for v in simple_module.variables]
assert trainable == ["train_me:0"], trainable
assert sorted(every) == ["do_not_train_me:0", "train_me:0"], every
print(f"simple module(5.0) = {result.numpy()}; trainable: {trainable}; all: {every}")


# modules made of modules
class Dense(tf.Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.random.normal([in_features, out_features]), name="w")
        self.b = tf.Variable(tf.zeros([out_features]), name="b")

    def __call__(self, x):
        y = tf.matmul(x, self.w) + self.b
        return tf.nn.relu(y)


class SequentialModule(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_1 = Dense(in_features=3, out_features=3)
        self.dense_2 = Dense(in_features=3, out_features=2)

    def __call__(self, x):
        x = self.dense_1(x)
        return self.dense_2(x)


my_model = SequentialModule(name="the_model")
out = my_model(tf.constant([[2.0, 2.0, 2.0]]))
assert out.shape == (1, 2)
x_np = np.full((1, 3), 2.0, dtype=np.float32)
h = np.maximum(x_np @ my_model.dense_1.w.numpy() + my_model.dense_1.b.numpy(), 0)
np.testing.assert_allclose(out.numpy(),
                           np.maximum(h @ my_model.dense_2.w.numpy() + my_model.dense_2.b.numpy(),
                                      0), rtol=1e-6)
submodules = list(my_model.submodules)
assert submodules == [my_model.dense_1, my_model.dense_2], submodules
assert len(my_model.variables) == 4 and len(my_model.trainable_variables) == 4
print(f"Model results: shape {tuple(out.shape)}; submodules: {len(submodules)}, "
      f"variables: {len(my_model.variables)}")


# variables created on first call, when the input size is known
class FlexibleDenseModule(tf.Module):
    def __init__(self, out_features, name=None):
        super().__init__(name=name)
        self.is_built = False
        self.out_features = out_features

    def __call__(self, x):
        if not self.is_built:
            self.w = tf.Variable(tf.random.normal([x.shape[-1], self.out_features]), name="w")
            self.b = tf.Variable(tf.zeros([self.out_features]), name="b")
            self.is_built = True
        y = tf.matmul(x, self.w) + self.b
        return tf.nn.relu(y)


class MySequentialModule(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_1 = FlexibleDenseModule(out_features=3)
        self.dense_2 = FlexibleDenseModule(out_features=2)

    def __call__(self, x):
        x = self.dense_1(x)
        return self.dense_2(x)


flexible = MySequentialModule(name="the_model")
assert len(flexible.variables) == 0  # nothing built yet
assert flexible(tf.constant([[2.0, 2.0, 2.0]])).shape == (1, 2)
shapes = [tuple(flexible.dense_1.w.shape), tuple(flexible.dense_2.w.shape)]
assert len(flexible.variables) == 4 and shapes == [(3, 3), (3, 2)]
print(f"flexible module: built on first call, {len(flexible.variables)} variables, "
      f"w shapes {shapes}")

# a module's variables go into a checkpoint and come back from it
chkp_path = os.path.join(tempfile.mkdtemp(), "my_checkpoint")
checkpoint = tf.train.Checkpoint(model=my_model)
checkpoint.write(chkp_path)
saved_w = my_model.dense_1.w.numpy().copy()
my_model.dense_1.w.assign(tf.zeros([3, 3]))
checkpoint.restore(chkp_path)
np.testing.assert_array_equal(my_model.dense_1.w.numpy(), saved_w)
print("checkpoint restored: dense_1.w equal again")

# the module's trainable variables are what a tape differentiates
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(my_model(tf.constant([[2.0, 2.0, 2.0]])) ** 2)
grads = tape.gradient(loss, my_model.trainable_variables)
assert len(grads) == 4
assert all(g is None or g.shape == v.shape for g, v in zip(grads, my_model.trainable_variables))
print(f"gradients for {len(grads)} module variables")

# --- Keras layers --------------------------------------------------------------------------
layer = tf.keras.layers.Dense(10)
assert not layer.built and layer.variables == []  # built on first call
layer(tf.zeros([10, 5]))
assert [tuple(v.shape) for v in layer.variables] == [(5, 10), (10,)]
assert layer.kernel.shape == (5, 10) and layer.bias.shape == (10,)
print(f"Dense(10) on (10, 5): kernel {tuple(layer.kernel.shape)}, bias {tuple(layer.bias.shape)}")


class MyDenseLayer(tf.keras.layers.Layer):
    def __init__(self, num_outputs):
        super().__init__()
        self.num_outputs = num_outputs

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel",
                                      shape=[int(input_shape[-1]), self.num_outputs])

    def call(self, inputs):
        return tf.matmul(inputs, self.kernel)


layer = MyDenseLayer(10)
inputs = tf.random.normal([10, 5])
outputs = layer(inputs)
names = [var.name for var in layer.trainable_variables]
assert names == ["kernel"], names
assert layer.kernel.shape == (5, 10) and outputs.shape == (10, 10)
np.testing.assert_allclose(outputs.numpy(), inputs.numpy() @ layer.kernel.numpy(), rtol=1e-5,
                           atol=1e-6)
print(f"MyDenseLayer variables: {names}")


# --- a model made of layers: a ResNet identity block ---------------------------------------
class ResnetIdentityBlock(tf.keras.Model):
    def __init__(self, kernel_size, filters):
        super().__init__(name="")
        filters1, filters2, filters3 = filters

        self.conv2a = tf.keras.layers.Conv2D(filters1, (1, 1))
        self.bn2a = tf.keras.layers.BatchNormalization()

        self.conv2b = tf.keras.layers.Conv2D(filters2, kernel_size, padding="same")
        self.bn2b = tf.keras.layers.BatchNormalization()

        self.conv2c = tf.keras.layers.Conv2D(filters3, (1, 1))
        self.bn2c = tf.keras.layers.BatchNormalization()

    def call(self, input_tensor, training=False):
        x = self.conv2a(input_tensor)
        x = self.bn2a(x, training=training)
        x = tf.nn.relu(x)

        x = self.conv2b(x)
        x = self.bn2b(x, training=training)
        x = tf.nn.relu(x)

        x = self.conv2c(x)
        x = self.bn2c(x, training=training)

        x += input_tensor
        return tf.nn.relu(x)


block = ResnetIdentityBlock(1, [1, 2, 3])
out = block(tf.zeros([1, 2, 3, 3]))
assert out.shape == (1, 2, 3, 3)
assert len(block.layers) == 6
assert len(block.variables) == 18            # 3 x (kernel, bias) + 3 x 4 batch-norm ones
assert len(block.trainable_variables) == 12  # the moving mean and variance are not trained
# conv 3->1 (3 + 1) + bn(1) 4 + conv 1->2 (2 + 2) + bn(2) 8 + conv 2->3 (6 + 3) + bn(3) 12
assert block.count_params() == 41, block.count_params()
print(f"ResNet block: {len(block.layers)} layers, {len(block.variables)} variables, "
      f"{len(block.trainable_variables)} trainable, {block.count_params()} parameters, "
      f"output {tuple(out.shape)}")

# the same layers, in order, as a Sequential
my_seq = tf.keras.Sequential([
    tf.keras.Input(shape=(None, None, 3)),
    tf.keras.layers.Conv2D(1, (1, 1)),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Conv2D(2, 1, padding="same"),
    tf.keras.layers.BatchNormalization(),
    tf.keras.layers.Conv2D(3, (1, 1)),
    tf.keras.layers.BatchNormalization(),
])
assert my_seq(tf.zeros([1, 2, 3, 3])).shape == (1, 2, 3, 3)
assert my_seq.count_params() == block.count_params()  # kernel_size 1 in the block, too
print(f"Sequential of the same layers: {my_seq.count_params()} parameters")
print("custom layers tutorial: OK")
