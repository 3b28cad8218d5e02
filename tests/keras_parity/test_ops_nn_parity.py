"""keras.ops.nn parity: the activations, normalizations, image ops, attention and CTC ops of
ember against Keras 3 (JAX): values, shapes and dtypes; gradients against ``jax.grad``."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember
from ember import ops

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 8)).astype("float32") * 2

# name -> kwargs; each is called as ops.<name>(x, **kwargs) in both libraries
ELEMENTWISE = {
    "celu": {}, "celu_alpha": {"alpha": 0.5}, "glu": {}, "glu_axis0": {"axis": 0, "_x": "even0"},
    "hard_shrink": {}, "hard_shrink_t": {"threshold": 1.0}, "hard_tanh": {},
    "soft_shrink": {}, "soft_shrink_t": {"threshold": 1.5}, "sparse_plus": {},
    "sparse_sigmoid": {}, "squareplus": {}, "squareplus_b": {"b": 1.0}, "tanh_shrink": {},
    "threshold": {"threshold": 0.3, "default_value": -1.0}, "log_sigmoid": {},
}


def _x(spec):
    return np.concatenate([X, X[:1]]) if spec == "even0" else X


def _call(lib_ops, case, x):
    kwargs = {k: v for k, v in ELEMENTWISE[case].items() if not k.startswith("_")}
    return getattr(lib_ops, case.split("_")[0] if case.startswith(("celu_", "glu_", "squareplus_"))
                   else case.rsplit("_t", 1)[0] if case.endswith("_t") else case)(x, **kwargs)


@pytest.mark.parametrize("case", sorted(ELEMENTWISE))
def test_elementwise_activation_values_and_grads(keras, case):
    import jax

    x = _x(ELEMENTWISE[case].get("_x"))
    ours = _call(ops, case, x)
    theirs = _call(keras.ops, case, x)
    assert ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs, what=case)
    # gradients of sum(f(x) * w) against jax.grad
    w = RNG.normal(size=ours.shape).astype("float32")
    v = ember.Variable(x)
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.multiply(_call(ops, case, v), w))
    g = tape.gradient(loss, v)
    g_ref = jax.grad(lambda t: (_call(keras.ops, case, t) * w).sum())(x)
    assert_close(g, g_ref, what=f"{case} gradient")


@pytest.mark.parametrize("name", ["celu", "hard_shrink", "hard_tanh", "soft_shrink",
                                  "sparse_plus", "sparse_sigmoid", "squareplus", "tanh_shrink",
                                  "log_sigmoid"])
def test_integer_input_dtype(keras, name):
    x = np.array([-2, 0, 1, 3], dtype="int32")
    ours, theirs = getattr(ops, name)(x), getattr(keras.ops, name)(x)
    assert ours.dtype == np.dtype(theirs.dtype), name
    assert_close(ours, theirs, what=name)


@pytest.mark.parametrize("default", [0, 0.5])
def test_threshold_integer_dtype(keras, default):
    x = np.array([-2, 0, 1, 3], dtype="int32")
    ours, theirs = ops.threshold(x, 0, default), keras.ops.threshold(x, 0, default)
    assert ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs)


def test_sparsemax_matches_keras_where_one_entry_survives(keras):
    # Keras 3.15's sparsemax sums every cumulative sum of the support into tau, which is only
    # right when the support has one element; ember computes the projection exactly (see the
    # unit tests against a NumPy reference). Compare where both are right.
    x = np.array([[3.0, 1.0, -1.0], [0.5, -2.0, 2.0]], dtype="float32")
    assert_close(ops.sparsemax(x), keras.ops.sparsemax(x))
    assert_close(ops.sparsemax(x.T, axis=0), keras.ops.sparsemax(x.T, axis=0))


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": (0, 2)}, {"epsilon": 0.1}])
@pytest.mark.parametrize("params", ["none", "gamma", "both"])
def test_layer_normalization(keras, kwargs, params):
    import jax

    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    axes = kwargs.get("axis", -1)
    pshape = tuple(x.shape[a] for a in ((axes,) if isinstance(axes, int) else axes))
    gamma = RNG.normal(size=pshape).astype("float32") if params != "none" else None
    beta = RNG.normal(size=pshape).astype("float32") if params == "both" else None
    ours = ops.layer_normalization(x, gamma, beta, **kwargs)
    theirs = keras.ops.layer_normalization(x, gamma, beta, **kwargs)
    assert ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    v = ember.Variable(x)
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.square(ops.layer_normalization(v, gamma, beta, **kwargs)) * x)
    g_ref = jax.grad(lambda t: (keras.ops.layer_normalization(t, gamma, beta, **kwargs) ** 2
                                * x).sum())(x)
    assert_close(tape.gradient(loss, v), g_ref, rtol=1e-4, atol=1e-4)


def test_layer_normalization_rms_scaling(keras):
    import warnings

    x = RNG.normal(size=(2, 5)).astype("float32")
    gamma = RNG.normal(size=(5,)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = keras.ops.layer_normalization(x, gamma, rms_scaling=True)
    assert_close(ops.layer_normalization(x, gamma, rms_scaling=True), theirs)


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": (1, 2)}, {"epsilon": 0.5}])
@pytest.mark.parametrize("with_scale", [False, True])
def test_rms_normalization(keras, kwargs, with_scale):
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    axes = kwargs.get("axis", -1)
    axes = [a % 3 for a in ((axes,) if isinstance(axes, int) else axes)]
    # Keras broadcasts scale as it is (no reshape along axis)
    bshape = tuple(x.shape[i] if i in axes else 1 for i in range(3))
    scale = RNG.normal(size=bshape).astype("float32") if with_scale else None
    ours = ops.rms_normalization(x, scale, **kwargs)
    theirs = keras.ops.rms_normalization(x, scale, **kwargs)
    assert ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 1, 0])
@pytest.mark.parametrize("params", [(False, False), (True, False), (True, True)])
def test_batch_normalization(keras, axis, params):
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    n = x.shape[axis]
    mean = RNG.normal(size=(n,)).astype("float32")
    var = RNG.uniform(0.5, 2, size=(n,)).astype("float32")
    offset = RNG.normal(size=(n,)).astype("float32") if params[0] else None
    scale = RNG.normal(size=(n,)).astype("float32") if params[1] else None
    ours = ops.batch_normalization(x, mean, var, axis, offset, scale, epsilon=0.01)
    theirs = keras.ops.batch_normalization(x, mean, var, axis, offset, scale, epsilon=0.01)
    assert ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs)


def test_psnr(keras):
    a = RNG.uniform(size=(2, 8, 8, 3)).astype("float32")
    b = np.clip(a + RNG.normal(scale=0.05, size=a.shape), 0, 1).astype("float32")
    ours, theirs = ops.psnr(a, b, 1.0), keras.ops.psnr(a, b, 1.0)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs, rtol=1e-5)
    assert_close(ops.psnr(a * 255, b * 255, 255.0), keras.ops.psnr(a * 255, b * 255, 255.0),
                 rtol=1e-5)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_depth_to_space_and_back(keras, fmt):
    x = RNG.normal(size=(2, 3, 4, 8)).astype("float32")
    if fmt == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    ours, theirs = ops.depth_to_space(x, 2, fmt), keras.ops.depth_to_space(x, 2, fmt)
    assert_close(ours, theirs)
    assert_close(ops.space_to_depth(ours, 2, fmt), x)
    y = RNG.normal(size=(2, 4, 6, 8)).astype("float32")
    assert_close(ops.space_to_depth(y, 2, fmt), keras.ops.space_to_depth(y, 2, fmt))


@pytest.mark.parametrize("op", ["adaptive_average_pool", "adaptive_max_pool"])
@pytest.mark.parametrize("shape,size", [((2, 7, 3), 3), ((2, 10, 3), 4), ((1, 7, 9, 2), (3, 4)),
                                        ((1, 5, 6, 2), 5), ((1, 6, 5, 7, 2), (2, 3, 4))],
                         ids=str)
@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_adaptive_pool(keras, op, shape, size, fmt):
    x = RNG.normal(size=shape).astype("float32")
    if fmt == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    ours = getattr(ops, op)(x, size, data_format=fmt)
    theirs = getattr(keras.ops, op)(x, size, data_format=fmt)
    assert_close(ours, theirs)


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": (2, 3), "stride": 2},
                                    {"kernel_size": 3, "padding": 1, "dilation": 2},
                                    {"kernel_size": (3, 2), "padding": (1, 0), "stride": (2, 1)}],
                         ids=str)
def test_unfold_and_fold(keras, kwargs):
    import jax

    x = RNG.normal(size=(2, 3, 7, 6)).astype("float32")
    ours, theirs = ops.unfold(x, **kwargs), keras.ops.unfold(x, **kwargs)
    assert_close(ours, theirs)
    cols = RNG.normal(size=ours.shape).astype("float32")
    v = ember.Variable(x)
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.unfold(v, **kwargs) * cols)
    g_ref = jax.grad(lambda t: (keras.ops.unfold(t, **kwargs) * cols).sum())(x)
    assert_close(tape.gradient(loss, v), g_ref)
    # fold is the adjoint of unfold, so it equals that gradient. Keras's JAX fold returns
    # only the rows and columns its blocks cover when they stop short of output_size
    # (PyTorch and Keras's NumPy backend pad with zeros, as ember): compare it where it can.
    folded = ops.fold(cols, (7, 6), **kwargs)
    assert_close(folded, g_ref)
    jax_folded = keras.ops.fold(cols, (7, 6), **kwargs)
    if tuple(jax_folded.shape) == folded.shape:
        assert_close(folded, jax_folded)


def test_polar(keras):
    r = RNG.uniform(size=(2, 3)).astype("float32")
    theta = RNG.normal(size=(2, 3)).astype("float32")
    ours, theirs = ops.polar(r, theta), keras.ops.polar(r, theta)
    assert ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs)


ATTENTION = {
    "plain": {},
    "scale": {"scale": 0.3},
    "causal": {"is_causal": True},
    "bias": {"_bias": (1, 2, 4, 5)},
    "mask": {"_mask": (2, 1, 4, 5)},
    "mask_causal_bias": {"_mask": (4, 5), "is_causal": True, "_bias": (2, 2, 4, 5)},
    "gqa": {"_heads_kv": 1},
}


@pytest.mark.parametrize("case", sorted(ATTENTION))
def test_dot_product_attention(keras, case):
    import jax

    spec = ATTENTION[case]
    hk = spec.get("_heads_kv", 2)
    q = RNG.normal(size=(2, 4, 2, 3)).astype("float32")
    k = RNG.normal(size=(2, 5, hk, 3)).astype("float32")
    v = RNG.normal(size=(2, 5, hk, 3)).astype("float32")
    kwargs = {key: val for key, val in spec.items() if not key.startswith("_")}
    if "_bias" in spec:
        kwargs["bias"] = RNG.normal(size=spec["_bias"]).astype("float32")
    if "_mask" in spec:
        mask = RNG.uniform(size=spec["_mask"]) > 0.3
        mask[..., 0] = True  # a row with every key masked is Keras-specific arithmetic
        kwargs["mask"] = mask
    ours = ops.dot_product_attention(q, k, v, **kwargs)
    theirs = keras.ops.dot_product_attention(q, k, v, **kwargs)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    w = RNG.normal(size=ours.shape).astype("float32")
    tensors = [ember.Variable(a) for a in (q, k, v)]
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.dot_product_attention(*tensors, **kwargs) * w)
    grads = tape.gradient(loss, tensors)
    refs = jax.grad(lambda a, b, c: (keras.ops.dot_product_attention(a, b, c, **kwargs)
                                     * w).sum(), argnums=(0, 1, 2))(q, k, v)
    for g, r, name in zip(grads, refs, "qkv"):
        assert_close(g, r, rtol=1e-4, atol=1e-5, what=f"d{name}")


def _ctc_data(b=3, t=9, c=5, max_label=4, seed=1):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(b, t, c)).astype("float32")
    target = rng.integers(1, c, size=(b, max_label)).astype("int32")
    target[0, 1] = target[0, 0]  # a repeated label needs a blank between the two
    target_len = np.array([4, 2, 3][:b], dtype="int32")
    output_len = np.array([9, 7, 8][:b], dtype="int32")
    return target, logits, target_len, output_len


@pytest.mark.parametrize("mask_index", [0, 4])
def test_ctc_loss_values_and_gradient(keras, mask_index):
    import jax

    target, logits, tl, ol = _ctc_data()
    if mask_index:
        target = np.where(target == mask_index, 0, target).astype("int32")
    ours = ops.ctc_loss(target, logits, tl, ol, mask_index=mask_index)
    theirs = keras.ops.ctc_loss(target, logits, tl, ol, mask_index=mask_index)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.dtype(theirs.dtype)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    v = ember.Variable(logits)
    w = np.array([1.0, 2.0, -0.5], dtype="float32")
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.ctc_loss(target, v, tl, ol, mask_index=mask_index) * w)
    g_ref = jax.grad(lambda z: (keras.ops.ctc_loss(target, z, tl, ol, mask_index=mask_index)
                                * w).sum())(logits)
    assert_close(tape.gradient(loss, v), g_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("merge_repeated", [True, False])
@pytest.mark.parametrize("mask_index", [0, 2])
def test_ctc_decode_greedy(keras, merge_repeated, mask_index):
    rng = np.random.default_rng(3)
    x = np.log(rng.dirichlet(np.ones(4) * 0.3, size=(3, 10))).astype("float32")
    x[0, 2:4] = x[0, 1]  # repeats to merge
    lengths = np.array([10, 6, 3], dtype="int32")
    ours = ops.ctc_decode(x, lengths, merge_repeated=merge_repeated, mask_index=mask_index)
    theirs = keras.ops.ctc_decode(x, lengths, merge_repeated=merge_repeated,
                                  mask_index=mask_index)
    np.testing.assert_array_equal(to_numpy(ours[0]), to_numpy(theirs[0]))
    assert ours[0].dtype == np.dtype(theirs[0].dtype)
    assert_close(ours[1], theirs[1])


@pytest.mark.parametrize("beam_width,top_paths", [(1, 1), (3, 2), (10, 3)])
@pytest.mark.parametrize("mask_index", [0, 3])
def test_ctc_decode_beam_search(keras, beam_width, top_paths, mask_index):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 7, 4)).astype("float32") * 2
    lengths = np.array([7, 5, 2], dtype="int32")
    kwargs = {"strategy": "beam_search", "beam_width": beam_width, "top_paths": top_paths,
              "mask_index": mask_index}
    ours, theirs = ops.ctc_decode(x, lengths, **kwargs), keras.ops.ctc_decode(x, lengths,
                                                                              **kwargs)
    assert ours[0].shape == tuple(theirs[0].shape)
    np.testing.assert_array_equal(to_numpy(ours[0]), to_numpy(theirs[0]))
    assert ours[1].dtype == np.dtype(theirs[1].dtype)
    assert_close(ours[1], theirs[1], rtol=1e-5, atol=1e-5)
