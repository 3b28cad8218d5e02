"""Introduction to Tensors: constants of each rank, dtypes and shapes, basic math, reductions,
indexing and slicing, reshaping, casting, broadcasting and ``convert_to_tensor``.

In the style of TensorFlow's "Introduction to Tensors" guide (string, ragged and sparse tensors
left out); runs unchanged on TensorFlow once the import says ``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (the same lines are expected here):
    rank 0: () int32; rank 1: (3,) float32; rank 2: (3, 2) float16
    a + b = [[2, 3], [4, 5]]; a * b = [[1, 2], [3, 4]]; a @ b = [[3, 3], [7, 7]]
    max 10.0, argmax [1 0], softmax row 0 = [0.2689 0.7311]
    rank-4 zeros: shape [3, 2, 4, 5], 120 elements
    cast float64 -> float16 -> uint8: [2 3 4]
    broadcast (3, 1) * (4,) -> (3, 4)
    ValueError for a ragged list

    python examples/tf_tutorials/tensors_basics.py
"""

import numpy as np

import ember as tf

# --- basics: a tensor has one dtype and a shape ------------------------------------------
rank_0_tensor = tf.constant(4)                  # Python int -> int32
rank_1_tensor = tf.constant([2.0, 3.0, 4.0])    # Python float -> float32
rank_2_tensor = tf.constant([[1, 2], [3, 4], [5, 6]], dtype=tf.float16)
print(f"rank 0: {tuple(rank_0_tensor.shape)} {rank_0_tensor.dtype.name}; "
      f"rank 1: {tuple(rank_1_tensor.shape)} {rank_1_tensor.dtype.name}; "
      f"rank 2: {tuple(rank_2_tensor.shape)} {rank_2_tensor.dtype.name}")
assert rank_0_tensor.dtype == tf.int32 and rank_0_tensor.shape == ()
assert rank_1_tensor.dtype == tf.float32 and rank_1_tensor.shape == (3,)
assert rank_2_tensor.dtype == tf.float16 and rank_2_tensor.shape == (3, 2)

# to NumPy and back
assert np.array(rank_2_tensor).dtype == np.float16
np.testing.assert_array_equal(rank_2_tensor.numpy(), [[1, 2], [3, 4], [5, 6]])
assert int(rank_0_tensor) == 4 and rank_0_tensor.numpy() == 4

# --- basic math, as functions and as operators ------------------------------------------
a = tf.constant([[1, 2], [3, 4]])
b = tf.constant([[1, 1], [1, 1]])  # could have said tf.ones([2, 2], dtype=tf.int32)
np.testing.assert_array_equal(tf.add(a, b), [[2, 3], [4, 5]])
np.testing.assert_array_equal(tf.multiply(a, b), [[1, 2], [3, 4]])
np.testing.assert_array_equal(tf.matmul(a, b), [[3, 3], [7, 7]])
np.testing.assert_array_equal(a + b, tf.add(a, b))        # element-wise addition
np.testing.assert_array_equal(a * b, tf.multiply(a, b))   # element-wise multiplication
np.testing.assert_array_equal(a @ b, tf.matmul(a, b))     # matrix multiplication
np.testing.assert_array_equal(tf.ones([2, 2], dtype=tf.int32), b.numpy())
print(f"a + b = {(a + b).numpy().tolist()}; a * b = {(a * b).numpy().tolist()}; "
      f"a @ b = {(a @ b).numpy().tolist()}")

# reductions and friends
c = tf.constant([[4.0, 5.0], [10.0, 1.0]])
largest = tf.reduce_max(c)
where = tf.math.argmax(c)        # along axis 0 by default, int64 as in NumPy
probs = tf.nn.softmax(c)
assert float(largest) == 10.0
assert where.dtype == tf.int64
np.testing.assert_array_equal(where, [1, 0])
expected = np.exp([[4.0, 5.0], [10.0, 1.0]])
expected /= expected.sum(axis=1, keepdims=True)
np.testing.assert_allclose(probs.numpy(), expected, rtol=1e-6)
assert probs.dtype == tf.float32
print(f"max {largest.numpy()}, argmax {where.numpy()}, softmax row 0 = "
      f"{np.round(probs.numpy()[0], 4)}")

# ops accept Python lists and NumPy arrays: they go through convert_to_tensor
t = tf.convert_to_tensor([1, 2, 3])
assert t.dtype == tf.int32
assert int(tf.reduce_max([1, 2, 3])) == 3
assert int(tf.reduce_max(np.array([1, 2, 3]))) == 3
assert tf.convert_to_tensor(np.array([1, 2, 3])).dtype == tf.int64  # NumPy's int64 kept

# --- shapes --------------------------------------------------------------------------------
rank_4_tensor = tf.zeros([3, 2, 4, 5])
assert rank_4_tensor.dtype == tf.float32
assert rank_4_tensor.ndim == 4
assert rank_4_tensor.shape == (3, 2, 4, 5)
assert rank_4_tensor.shape[0] == 3 and rank_4_tensor.shape[-1] == 5
assert rank_4_tensor.shape.as_list() == [3, 2, 4, 5]
assert int(tf.size(rank_4_tensor)) == 3 * 2 * 4 * 5
assert int(tf.rank(rank_4_tensor)) == 4
np.testing.assert_array_equal(tf.shape(rank_4_tensor), [3, 2, 4, 5])
print(f"rank-4 zeros: shape {rank_4_tensor.shape.as_list()}, "
      f"{tf.size(rank_4_tensor).numpy()} elements")

# --- indexing and slicing, NumPy style -----------------------------------------------------
rank_1_tensor = tf.constant([0, 1, 1, 2, 3, 5, 8, 13, 21, 34])
assert rank_1_tensor[0].numpy() == 0 and rank_1_tensor[-1].numpy() == 34
np.testing.assert_array_equal(rank_1_tensor[1:4], [1, 1, 2])
np.testing.assert_array_equal(rank_1_tensor[::2], [0, 1, 3, 8, 21])
np.testing.assert_array_equal(rank_1_tensor[::-1], [34, 21, 13, 8, 5, 3, 2, 1, 1, 0])

rank_2_tensor = tf.constant([[1, 2], [3, 4], [5, 6]], dtype=tf.float16)
assert rank_2_tensor[1, 1].numpy() == 4.0
np.testing.assert_array_equal(rank_2_tensor[1, :], [3, 4])
np.testing.assert_array_equal(rank_2_tensor[:, 1], [2, 4, 6])
np.testing.assert_array_equal(rank_2_tensor[1:, :], [[3, 4], [5, 6]])

rank_3_tensor = tf.constant([
    [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]],
    [[10, 11, 12, 13, 14], [15, 16, 17, 18, 19]],
    [[20, 21, 22, 23, 24], [25, 26, 27, 28, 29]]])
np.testing.assert_array_equal(rank_3_tensor[:, :, 4], [[4, 9], [14, 19], [24, 29]])

# --- reshaping: same data, new shape ---------------------------------------------------------
x = tf.constant([[1], [2], [3]])
assert x.shape.as_list() == [3, 1]
reshaped = tf.reshape(x, [1, 3])
assert reshaped.shape == (1, 3)
np.testing.assert_array_equal(tf.reshape(rank_3_tensor, [-1]), np.arange(30))
assert tf.reshape(rank_3_tensor, [3 * 2, 5]).shape == (6, 5)
assert tf.reshape(rank_3_tensor, [3, -1]).shape == (3, 10)

# --- casting -------------------------------------------------------------------------------
the_f64_tensor = tf.constant([2.2, 3.3, 4.4], dtype=tf.float64)
the_f16_tensor = tf.cast(the_f64_tensor, dtype=tf.float16)
the_u8_tensor = tf.cast(the_f16_tensor, dtype=tf.uint8)  # truncates toward zero
assert the_f16_tensor.dtype == tf.float16 and the_u8_tensor.dtype == tf.uint8
np.testing.assert_array_equal(the_u8_tensor, [2, 3, 4])
print(f"cast float64 -> float16 -> uint8: {the_u8_tensor.numpy()}")

# --- broadcasting --------------------------------------------------------------------------
x = tf.constant([1, 2, 3])
y = tf.constant(2)
z = tf.constant([2, 2, 2])
# all of these are the same computation
np.testing.assert_array_equal(tf.multiply(x, 2), [2, 4, 6])
np.testing.assert_array_equal(x * y, [2, 4, 6])
np.testing.assert_array_equal(x * z, [2, 4, 6])

x = tf.reshape(x, [3, 1])
y = tf.range(1, 5)
outer = tf.multiply(x, y)
assert outer.shape == (3, 4)
np.testing.assert_array_equal(outer, np.arange(1, 4)[:, None] * np.arange(1, 5))
print(f"broadcast {tuple(x.shape)} * {tuple(y.shape)} -> {tuple(outer.shape)}")
np.testing.assert_array_equal(tf.broadcast_to(tf.constant([1, 2, 3]), [3, 3]),
                              [[1, 2, 3]] * 3)

# --- a ragged list is not a tensor ---------------------------------------------------------
ragged_list = [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]
try:
    tf.constant(ragged_list)
except ValueError as e:
    print("ValueError for a ragged list:", str(e).splitlines()[0])
else:
    raise AssertionError("tf.constant accepted a ragged list")

print("tensors tutorial: OK")
