"""Gradients and automatic differentiation: ``GradientTape`` gradients with respect to variables,
lists and dicts of them, and a layer's weights; ``watch`` and ``watch_accessed_variables``;
gradients of intermediate results; persistent tapes; what the tape does not see (constants,
non-trainable variables, integers, ``assign``, ``stop_recording``, ``stop_gradient``) and
``unconnected_gradients``; second derivatives from nested tapes; ``jacobian`` and
``batch_jacobian``.

In the style of TensorFlow's "Introduction to gradients and automatic differentiation" and
"Advanced automatic differentiation" guides; runs unchanged on TensorFlow once the import says
``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (the same lines are expected here):
    d(x**2)/dx at 3: 6.0
    dl/dw shape (3, 2), dl/db shape (2,); dict grads: ['b', 'w']
    grads of [x0, x1, x2, x3]: [6.0, None, None, None]; watched: ['x0:0']
    persistent tape: dz/dx [4.0, 108.0], dy/dx [2.0, 6.0]
    second gradient call on a non-persistent tape: RuntimeError
    sigmoid'(x) on 201 points: max error 5e-08 (as sigma * (1 - sigma))
    (a warning: the dtype of the watched tensor must be floating, got tf.int32)
    integer source: None; assign_add breaks the chain: None; unconnected ZERO: [0.0, 0.0]
    stop_recording: dz/dx 4.0, dz/dy None
    d/dx x**3 at 1: 3.0, d2/dx2: 6.0
    jacobian of Dense(10) output wrt kernel: (7, 10, 5, 10)
    jacobian (7, 6, 7, 5), batch_jacobian (7, 6, 5)

    python examples/tf_tutorials/autodiff_basics.py
"""

import numpy as np

import ember as tf

# --- the basics ----------------------------------------------------------------------------
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x**2
dy_dx = tape.gradient(y, x)
assert float(dy_dx) == 6.0
print(f"d(x**2)/dx at 3: {dy_dx.numpy()}")

# a small linear model: gradients for a list, and for a dict, of variables
w = tf.Variable(tf.random.normal((3, 2)), name="w")
b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
x = [[1.0, 2.0, 3.0]]
with tf.GradientTape(persistent=True) as tape:
    y = x @ w + b
    loss = tf.reduce_mean(y**2)
[dl_dw, dl_db] = tape.gradient(loss, [w, b])
assert dl_dw.shape == w.shape and dl_db.shape == b.shape
# loss = mean(y**2) over 2 outputs, so dl/dy = y, dl/db = y, dl/dw = x^T y
y_np = np.array(x, dtype=np.float32) @ w.numpy() + b.numpy()
np.testing.assert_allclose(dl_db.numpy(), y_np[0], rtol=1e-5)
np.testing.assert_allclose(dl_dw.numpy(), np.array(x).T @ y_np, rtol=1e-5)
grad = tape.gradient(loss, {"w": w, "b": b})
np.testing.assert_allclose(grad["b"].numpy(), dl_db.numpy())
print(f"dl/dw shape {tuple(dl_dw.shape)}, dl/db shape {tuple(dl_db.shape)}; "
      f"dict grads: {sorted(grad)}")
del tape

# gradients with respect to a layer's weights
layer = tf.keras.layers.Dense(2, activation="relu")
x = tf.constant([[1.0, 2.0, 3.0]])
with tf.GradientTape() as tape:
    y = layer(x)
    loss = tf.reduce_mean(y**2)
grad = tape.gradient(loss, layer.trainable_variables)
assert [tuple(g.shape) for g in grad] == [(3, 2), (2,)]

# --- what the tape watches -----------------------------------------------------------------
x0 = tf.Variable(3.0, name="x0")                   # trainable: watched
x1 = tf.Variable(3.0, name="x1", trainable=False)  # not trainable: not watched
x2 = tf.Variable(2.0, name="x2") + 1.0             # a variable + a tensor is a tensor
x3 = tf.constant(3.0, name="x3")                   # not a variable: not watched
with tf.GradientTape() as tape:
    y = (x0**2) + (x1**2) + (x2**2)
grad = tape.gradient(y, [x0, x1, x2, x3])
assert float(grad[0]) == 6.0 and grad[1:] == [None, None, None]
watched = [var.name for var in tape.watched_variables()]
assert watched == ["x0:0"], watched
print(f"grads of [x0, x1, x2, x3]: {[None if g is None else float(g) for g in grad]}; "
      f"watched: {watched}")

# watch() makes the tape record a tensor
x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x**2
assert float(tape.gradient(y, x)) == 6.0

# ... and watch_accessed_variables=False makes it record only what is watched
x0 = tf.Variable(0.0)
x1 = tf.Variable(10.0)
with tf.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(x1)
    y0 = tf.math.sin(x0)
    y1 = tf.nn.softplus(x1)
    y = y0 + y1
    ys = tf.reduce_sum(y)
grad = tape.gradient(ys, {"x0": x0, "x1": x1})
assert grad["x0"] is None
np.testing.assert_allclose(grad["x1"].numpy(), 1 / (1 + np.exp(-10.0)), rtol=1e-6)

# gradient of an intermediate result: z = y**2 with y = x**2 = 9, dz/dy = 2y = 18
x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x * x
    z = y * y
assert float(tape.gradient(z, y)) == 18.0

# a persistent tape answers several gradient calls
x = tf.constant([1, 3.0])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x * x
    z = y * y
dz_dx, dy_dx = tape.gradient(z, x), tape.gradient(y, x)
np.testing.assert_allclose(dz_dx.numpy(), [4.0, 108.0])  # 4 x**3
np.testing.assert_allclose(dy_dx.numpy(), [2.0, 6.0])    # 2 x
print(f"persistent tape: dz/dx {dz_dx.numpy().tolist()}, dy/dx {dy_dx.numpy().tolist()}")
del tape

# ... a non-persistent one only one
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = x * x
tape.gradient(y, x)
try:
    tape.gradient(y, x)
except RuntimeError:
    print("second gradient call on a non-persistent tape: RuntimeError")
else:
    raise AssertionError("a non-persistent tape computed gradients twice")

# --- several targets, and non-scalar ones: the gradient of their sum -----------------------
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y0 = x**2
    y1 = 1 / x
np.testing.assert_allclose(tape.gradient({"y0": y0, "y1": y1}, x).numpy(), 2 * 2.0 - 1 / 4.0)

x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y = x * [3.0, 4.0]
assert float(tape.gradient(y, x)) == 7.0

# element-wise: the gradient of the sum is the derivative at each point
x = tf.linspace(-10.0, 10.0, 200 + 1)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = tf.nn.sigmoid(x)
dy_dx = tape.gradient(y, x)
sigma = 1 / (1 + np.exp(-x.numpy().astype(np.float64)))
error = np.max(np.abs(dy_dx.numpy() - sigma * (1 - sigma)))
assert dy_dx.shape == (201,) and error < 1e-6, error
print(f"sigmoid'(x) on 201 points: max error {error:.1g} (as sigma * (1 - sigma))")

# --- control flow: only the branch taken is recorded ---------------------------------------
x = tf.constant(1.0)
v0 = tf.Variable(2.0)
v1 = tf.Variable(2.0)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    if x > 0.0:
        result = v0
    else:
        result = v1**2
dv0, dv1 = tape.gradient(result, [v0, v1])
assert float(dv0) == 1.0 and dv1 is None
assert tape.gradient(result, x) is None  # the condition is not differentiable
del tape

# --- where the gradient is None ------------------------------------------------------------
x = tf.constant(10)
with tf.GradientTape() as tape:
    tape.watch(x)  # TensorFlow warns: integers are not differentiable
    y = x * x
int_grad = tape.gradient(y, x)
assert int_grad is None

x0 = tf.Variable(3.0)
x1 = tf.Variable(0.0)
with tf.GradientTape() as tape:
    x1.assign_add(x0)  # a stateful update: the tape does not see through it
    y = x1**2
assign_grad = tape.gradient(y, x0)
assert assign_grad is None

x = tf.Variable([2.0, 2.0])
y = tf.Variable(3.0)
with tf.GradientTape() as tape:
    z = y**2
zero = tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO)
np.testing.assert_array_equal(zero.numpy(), [0.0, 0.0])
print(f"integer source: {int_grad}; assign_add breaks the chain: {assign_grad}; "
      f"unconnected ZERO: {zero.numpy().tolist()}")

# --- advanced: stop recording, stop the gradient -------------------------------------------
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as t:
    x_sq = x * x
    with t.stop_recording():
        y_sq = y * y
    z = x_sq + y_sq
grad = t.gradient(z, {"x": x, "y": y})
assert float(grad["x"]) == 4.0 and grad["y"] is None
print(f"stop_recording: dz/dx {grad['x'].numpy()}, dz/dy {grad['y']}")

with tf.GradientTape() as t:
    y_sq = y**2
    z = x**2 + tf.stop_gradient(y_sq)
grad = t.gradient(z, {"x": x, "y": y})
assert float(grad["x"]) == 4.0 and grad["y"] is None

# --- higher-order gradients: a tape inside a tape ------------------------------------------
x = tf.Variable(1.0)
with tf.GradientTape() as t2:
    with tf.GradientTape() as t1:
        y = x * x * x
    # computed inside t2's context, so t2 records how dy_dx depends on x
    dy_dx = t1.gradient(y, x)
d2y_dx2 = t2.gradient(dy_dx, x)
assert float(dy_dx) == 3.0 and float(d2y_dx2) == 6.0
print(f"d/dx x**3 at 1: {dy_dx.numpy()}, d2/dx2: {d2y_dx2.numpy()}")

# --- Jacobians -----------------------------------------------------------------------------
x = tf.linspace(-10.0, 10.0, 200 + 1)
delta = tf.Variable(0.0)
with tf.GradientTape() as tape:
    y = tf.nn.sigmoid(x + delta)
dy_dx = tape.jacobian(y, delta)  # a scalar source: one derivative per output
assert dy_dx.shape == (201,)
np.testing.assert_allclose(dy_dx.numpy(), sigma * (1 - sigma), atol=1e-6)

x = tf.random.normal([7, 5])
layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
with tf.GradientTape(persistent=True) as tape:
    y = layer(x)
j = tape.jacobian(y, layer.kernel)
assert j.shape == (7, 10, 5, 10)  # output shape + kernel shape
print(f"jacobian of Dense(10) output wrt kernel: {tuple(j.shape)}")
# the gradient is the jacobian summed over the target's axes
g = tape.gradient(y, layer.kernel)
j_sum = tf.reduce_sum(j, axis=[0, 1])
assert float(tf.reduce_max(abs(g - j_sum))) < 1e-4
del tape

# batch jacobian: rows of a batch are independent, so only the diagonal blocks are kept
x = tf.random.normal([7, 5])
layer1 = tf.keras.layers.Dense(8, activation=tf.nn.elu)
layer2 = tf.keras.layers.Dense(6, activation=tf.nn.elu)
with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
    tape.watch(x)
    y = layer1(x)
    y = layer2(y)
j = tape.jacobian(y, x)
jb = tape.batch_jacobian(y, x)
assert j.shape == (7, 6, 7, 5) and jb.shape == (7, 6, 5)
j_diag = np.stack([j.numpy()[i, :, i, :] for i in range(7)])
np.testing.assert_allclose(jb.numpy(), j_diag, atol=1e-6)
# the off-diagonal blocks are zero, so summing over the batch axis gives the same
np.testing.assert_allclose(tf.reduce_sum(j, axis=2).numpy(), jb.numpy(), atol=1e-6)
print(f"jacobian {tuple(j.shape)}, batch_jacobian {tuple(jb.shape)}")
del tape

print("autodiff tutorial: OK")
