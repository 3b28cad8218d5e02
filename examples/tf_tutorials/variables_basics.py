"""Introduction to Variables: creating a ``tf.Variable`` from a tensor, a list or another
variable; reading it like a tensor; ``assign``/``assign_add``/``assign_sub`` in place (same
dtype, same shape); names; ``trainable=False``; placing a computation with ``tf.device``.

In the style of TensorFlow's "Introduction to Variables" guide (complex variables left out);
runs unchanged on TensorFlow once the import says ``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (the same lines are expected here):
    Shape: (2, 2), DType: float32, As NumPy: [[1.0, 2.0], [3.0, 4.0]]
    assign([1, 2]) keeps float32: [1. 2.]
    assign of a (3,) value to a (2,) variable: ValueError
    a = [5. 6.], b = [2. 3.] (b copied a's value, not a's storage)
    assign_add -> [7. 9.], assign_sub -> [0. 0.]
    names: Mark:0 Mark:0, a == b: [[False, False], [False, False]]
    step counter: int32, trainable False
    matmul on CPU:0: [[22.0, 28.0], [49.0, 64.0]] on /job:localhost/replica:0/task:0/device:CPU:0

    python examples/tf_tutorials/variables_basics.py
"""

import numpy as np

import ember as tf

my_tensor = tf.constant([[1.0, 2.0], [3.0, 4.0]])
my_variable = tf.Variable(my_tensor)
bool_variable = tf.Variable([False, False, False, True])

print(f"Shape: {tuple(my_variable.shape)}, DType: {my_variable.dtype.name}, "
      f"As NumPy: {my_variable.numpy().tolist()}")
assert my_variable.shape == (2, 2) and my_variable.dtype == tf.float32
assert bool_variable.dtype == tf.bool
np.testing.assert_array_equal(my_variable.numpy(), [[1.0, 2.0], [3.0, 4.0]])

# a variable reads like a tensor: ops take it and return (new) tensors
as_tensor = tf.convert_to_tensor(my_variable)
assert not isinstance(as_tensor, tf.Variable)
np.testing.assert_array_equal(as_tensor, my_tensor)
np.testing.assert_array_equal(tf.math.argmax(my_variable), [1, 1])
reshaped = tf.reshape(my_variable, [1, 4])  # a new tensor; the variable keeps its shape
assert reshaped.shape == (1, 4) and my_variable.shape == (2, 2)
np.testing.assert_array_equal(my_variable + 1.0, [[2.0, 3.0], [4.0, 5.0]])

# assign writes in place, converting the value to the variable's dtype
a = tf.Variable([2.0, 3.0])
a.assign([1, 2])
assert a.dtype == tf.float32
np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
print(f"assign([1, 2]) keeps float32: {a.numpy()}")

# ... but never changes its shape
try:
    a.assign([1.0, 2.0, 3.0])
except ValueError as e:
    print("assign of a (3,) value to a (2,) variable:", type(e).__name__)
else:
    raise AssertionError("a (2,) variable accepted a (3,) value")
np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])  # unchanged by the failed assign

# a variable made from another one copies its value; they do not share memory
a = tf.Variable([2.0, 3.0])
b = tf.Variable(a)
a.assign([5, 6])
np.testing.assert_array_equal(a.numpy(), [5.0, 6.0])
np.testing.assert_array_equal(b.numpy(), [2.0, 3.0])
print(f"a = {a.numpy()}, b = {b.numpy()} (b copied a's value, not a's storage)")

# assign_add / assign_sub return the updated variable
added = a.assign_add([2, 3]).numpy()
np.testing.assert_array_equal(added, [7.0, 9.0])
subtracted = a.assign_sub([7, 9]).numpy()
np.testing.assert_array_equal(subtracted, [0.0, 0.0])
np.testing.assert_array_equal(a.numpy(), [0.0, 0.0])
print(f"assign_add -> {added}, assign_sub -> {subtracted}")

# names: two variables may share one; comparing them compares values element-wise
a = tf.Variable(my_tensor, name="Mark")
b = tf.Variable(my_tensor + 1, name="Mark")
equal = (a == b).numpy()
assert a.name == b.name == "Mark:0", (a.name, b.name)
np.testing.assert_array_equal(equal, np.zeros((2, 2), dtype=bool))
print(f"names: {a.name} {b.name}, a == b: {equal.tolist()}")

# a counter that no gradient should touch
step_counter = tf.Variable(1, trainable=False)
assert step_counter.dtype == tf.int32 and not step_counter.trainable
assert my_variable.trainable  # the default
step_counter.assign_add(1)
assert int(step_counter.numpy()) == 2
print(f"step counter: {step_counter.dtype.name}, trainable {step_counter.trainable}")

# placing variables and computation on a device
with tf.device("CPU:0"):
    a = tf.Variable([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    c = tf.matmul(a, b)
np.testing.assert_array_equal(c.numpy(), [[22.0, 28.0], [49.0, 64.0]])
assert c.device.endswith("CPU:0"), c.device
print(f"matmul on CPU:0: {c.numpy().tolist()} on {c.device}")

print("variables tutorial: OK")
