"""Layer parity: every class in ember's layer registry, built in ember and in Keras 3 (JAX) with
the same constructor arguments and the same weights, must agree on outputs, configs, weights,
symbolic shapes, masks, gradients and error types.

The cases live in ``layer_cases.py``; the tests are parametrized over the registry, so a layer
class registered without a case fails here until it gets one.
"""

import inspect
import json
import os
import re

import numpy as np
import pytest
from layer_cases import CASES, Exclusion
from parity_harness import assert_close, to_numpy

import ember
import ember.layers as EL
from ember import ops, registry

ASPECTS = ("forward", "train", "config", "weights", "symbolic", "gradients", "errors")


def _registered_classes():
    """{canonical name: class} for every class in the layer registry (aliases folded)."""
    out = {}
    for name in registry.names("layer"):
        cls = registry.get_registered_object(name, kind="layer")
        out.setdefault(registry.canonical_name(cls) or name, cls)
    return out


def _params(aspect):
    """One pytest param per (registered class, case); a class with no case gets a param that
    fails, so the table cannot silently miss a layer."""
    params = []
    for canonical in sorted(_registered_classes()):
        cases = CASES.get(canonical)
        if cases is None:
            params.append(pytest.param(canonical, None, id=f"{canonical}-NO_CASE"))
            continue
        if isinstance(cases, Exclusion):
            continue
        for case in cases:
            marks = []
            if aspect in case.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=case.xfail[aspect]))
            params.append(pytest.param(canonical, case, id=f"{canonical}-{case.id}",
                                       marks=marks))
    return params


def _require(canonical, case, aspect):
    if case is None:
        pytest.fail(f"layer {canonical} is registered but has no parity case; add one (or an "
                    "Exclusion with its reason) to tests/keras_parity/layer_cases.py")
    if aspect in case.skip:
        pytest.skip(case.skip[aspect])


# -- building and feeding -------------------------------------------------------------------
def _inputs(case, seed=0):
    rng = np.random.default_rng(seed)
    xs = []
    for shape in case.inputs:
        if case.int_high is not None:
            x = rng.integers(0, case.int_high, size=shape).astype("int32")
            x.flat[-1] = 0  # a padding id, so mask_zero has something to mask
        else:
            x = rng.standard_normal(shape).astype("float32")
        xs.append(x)
    return xs


def _flat(y):
    if isinstance(y, (list, tuple)):
        return [t for v in y for t in _flat(v)]
    return [y]


def _randomize(keras_layer, seed=1):
    """Non-trivial weights (initial biases are zeros); positive for non-trainable ones, so that
    BatchNormalization's moving variance stays a variance."""
    rng = np.random.default_rng(seed)
    values = []
    trainable = {id(w) for w in keras_layer.trainable_weights}
    for w in keras_layer.weights:
        shape = tuple(w.shape)
        if id(w) in trainable:
            values.append((rng.standard_normal(shape) * 0.5).astype(w.dtype))
        else:
            values.append(rng.uniform(0.5, 1.5, shape).astype(w.dtype))
    keras_layer.set_weights(values)


_PAIRS = {}  # id(case) -> (ember layer, keras layer, inputs)


def _pair(keras, case, seed=0):
    """(ember layer, keras layer, inputs): both built on the same inputs, with Keras's (random)
    weights copied into ember. Built once per case and shared by the tests (Keras's eager
    recurrent layers trace on every new layer, which dominates this file's time); a test that
    updates state (BatchNormalization's training call) updates both sides alike."""
    key = (id(case), seed)
    if key not in _PAIRS:
        _PAIRS[key] = _build_pair(keras, case, seed)
    return _PAIRS[key]


def _build_pair(keras, case, seed):
    xs = _inputs(case, seed)
    ours, theirs = case.make(EL), case.make(keras.layers)
    ours(*case.call_args([ember.Tensor(x) for x in xs]))
    theirs(*case.call_args(xs))
    _randomize(theirs)
    values = [to_numpy(w) for w in theirs.get_weights()]
    assert [v.shape for v in values] == [tuple(w.shape) for w in ours.weights], (
        "weight shapes differ: keras " + str([v.shape for v in values]) + ", ember "
        + str([tuple(w.shape) for w in ours.weights]))
    ours.set_weights(values)
    return ours, theirs, xs


def _compare_outputs(ours, theirs, case, what):
    a, b = _flat(ours), _flat(theirs)
    assert len(a) == len(b), f"{what}: ember returned {len(a)} outputs, keras {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        assert_close(x, y, rtol=case.rtol, atol=case.atol, what=f"{what} output {i}")


def _norm_name(text):
    """Auto-generated names end in a per-process counter (``lstm_3``); drop it."""
    return re.sub(r"_\d+(?=/|$)", "", text)


# Deliberate config differences, shared with tests/saving/test_saving_structure.py: keys newer
# Keras releases write with a default value that ember leaves out because older Keras 3 releases
# reject them, and SimpleRNN's `seed`, which ember writes (so that a round trip keeps the
# dropout seed) and Keras takes but does not write.
_NEWER_KERAS_KEYS = {"quantization_config", "optional", "ragged", "input_axes", "output_axes"}
_EMBER_EXTRA_KEYS = {"SimpleRNN": {"seed"}}


def _norm_config(cfg, class_name, ours):
    """``cfg`` through JSON, auto-generated names without their counter, and the deliberate
    differences above removed (from ember's side or Keras's)."""

    def walk(v, cls):
        if isinstance(v, dict):
            if isinstance(v.get("config"), dict) and "class_name" in v:
                return {k: (walk(x, v["class_name"]) if k == "config" else walk(x, None))
                        for k, x in v.items()}
            out = {}
            for k, x in v.items():
                if not ours and k in _NEWER_KERAS_KEYS and x in (None, False):
                    continue
                if ours and k in _EMBER_EXTRA_KEYS.get(cls, ()):
                    continue
                out[k] = _norm_name(x) if k == "name" and isinstance(x, str) else walk(x, None)
            return out
        if isinstance(v, list):
            return [walk(x, None) for x in v]
        return v

    return walk(json.loads(json.dumps(cfg)), class_name)


def _raised_by_backend(exc):
    """Whether ``exc`` (or the error it wraps) was raised inside JAX rather than by Keras."""
    for e in (exc, exc.__cause__, exc.__context__):
        tb, last = getattr(e, "__traceback__", None), None
        while tb is not None:
            last, tb = tb, tb.tb_next
        if last is not None and f"{os.sep}jax{os.sep}" in last.tb_frame.f_code.co_filename:
            return True
    return False


def _builtin_error_type(exc):
    """The first built-in exception class in ``exc``'s MRO (ValueError, TypeError, ...)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


# -- the tests ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", registry.names("layer"))
def test_registered_name_has_case_and_matches_keras(keras, name):
    """Every registry name (aliases included) resolves to a class with cases, and Keras has the
    same name for the same class."""
    cls = registry.get_registered_object(name, kind="layer")
    canonical = registry.canonical_name(cls) or name
    assert canonical in CASES, (
        f"layer {name} ({canonical}) has no parity case in tests/keras_parity/layer_cases.py")
    if isinstance(CASES[canonical], Exclusion):
        return
    assert hasattr(keras.layers, name), f"Keras has no layer named {name}"
    assert getattr(keras.layers, name) is getattr(keras.layers, canonical), (
        f"in Keras {name} is not an alias of {canonical}")


@pytest.mark.parametrize("canonical, case", _params("forward"))
def test_forward(keras, canonical, case):
    _require(canonical, case, "forward")
    ours, theirs, xs = _pair(keras, case)
    args_e = case.call_args([ember.Tensor(x) for x in xs])
    args_k = case.call_args(xs)
    _compare_outputs(ours(*args_e, training=False), theirs(*args_k, training=False), case,
                     f"{canonical} training=False")
    if case.train:
        _require(canonical, case, "train")
        _compare_outputs(ours(*args_e, training=True), theirs(*args_k, training=True), case,
                         f"{canonical} training=True")
        # a training call updates state (BatchNorm's moving statistics): compare it too
        for w_e, w_k in zip(ours.weights, theirs.weights):
            assert_close(w_e, w_k, rtol=1e-5, atol=1e-6, what=f"{w_k.path} after training")


@pytest.mark.parametrize("canonical, case", _params("config"))
def test_config(keras, canonical, case):
    _require(canonical, case, "config")
    ours, theirs = case.make(EL), case.make(keras.layers)
    a = _norm_config(ours.get_config(), canonical, ours=True)
    b = _norm_config(theirs.get_config(), canonical, ours=False)
    assert sorted(a) == sorted(b), (
        f"{canonical} config keys: ember has extra {sorted(set(a) - set(b))}, lacks "
        f"{sorted(set(b) - set(a))}")
    diffs = {k: (a[k], b[k]) for k in b if a[k] != b[k]}
    assert not diffs, f"{canonical} config values differ (ember, keras): {diffs}"


@pytest.mark.parametrize("canonical, case", _params("weights"))
def test_weights(keras, canonical, case):
    _require(canonical, case, "weights")
    ours, theirs, _ = _pair(keras, case)

    def table(ws, layer):
        return [(_norm_name(w.path), w.name, tuple(w.shape)) for w in ws]

    for attr in ("weights", "trainable_weights", "non_trainable_weights"):
        assert table(getattr(ours, attr), ours) == table(getattr(theirs, attr), theirs), (
            f"{canonical}.{attr} (path, name, shape) differ")


@pytest.mark.parametrize("canonical, case", _params("symbolic"))
def test_symbolic(keras, canonical, case):
    _require(canonical, case, "symbolic")
    xs = _inputs(case)
    dtype = "int32" if case.int_high is not None else "float32"
    ins_e = [EL.Input(shape=x.shape[1:], dtype=dtype) for x in xs]
    ins_k = [keras.Input(shape=x.shape[1:], dtype=dtype) for x in xs]
    ours, theirs = case.make(EL), case.make(keras.layers)
    out_e, out_k = _flat(ours(*case.call_args(ins_e))), _flat(theirs(*case.call_args(ins_k)))
    assert [(tuple(t.shape), str(t.dtype)) for t in out_e] == [
        (tuple(t.shape), str(t.dtype)) for t in out_k], f"{canonical} symbolic outputs"

    shapes = [(None,) + x.shape[1:] for x in xs]
    arg = shapes if case.multi else shapes[0]

    def norm(s):
        if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple)):
            return [norm(v) for v in s]
        return tuple(s)

    try:
        expected = norm(theirs.compute_output_shape(arg))
    except Exception as exc:  # noqa: BLE001 - Keras's error type is the expectation
        with pytest.raises(_builtin_error_type(exc)):
            ours.compute_output_shape(arg)
    else:
        assert norm(ours.compute_output_shape(arg)) == expected, (
            f"{canonical}.compute_output_shape({arg})")

    assert bool(ours.supports_masking) == bool(theirs.supports_masking), (
        f"{canonical}.supports_masking")
    # Keras's base compute_mask hands any mask back, even from a layer that does not support
    # masking (its __call__ then drops it), so compare only where the mask is really propagated
    keras_masks = theirs.supports_masking or (
        type(theirs).compute_mask is not keras.layers.Layer.compute_mask)
    if keras_masks and (case.mask or case.int_high is not None):
        x_e, x_k = ember.Tensor(xs[0]), xs[0]
        m = None
        if case.mask:
            m = np.ones(xs[0].shape[:2], dtype=bool)
            m[0, -2:] = False
        ours(*case.call_args([ember.Tensor(x) for x in xs]))
        theirs(*case.call_args(xs))
        got = ours.compute_mask(x_e, None if m is None else ember.Tensor(m))
        want = theirs.compute_mask(x_k, m)
        if want is None:
            assert got is None, f"{canonical}.compute_mask: keras None, ember {got}"
        else:
            for g, w in zip(_flat(got), _flat(want)):
                if w is None:
                    assert g is None
                else:
                    np.testing.assert_array_equal(to_numpy(g), to_numpy(w))


@pytest.mark.parametrize("canonical, case", _params("gradients"))
def test_gradients(keras, canonical, case):
    _require(canonical, case, "gradients")
    import jax
    import jax.numpy as jnp

    ours, theirs, xs = _pair(keras, case)
    float_in = case.int_high is None
    if not float_in and not ours.trainable_weights:
        pytest.skip("integer inputs and no trainable weights: nothing to differentiate")
    # the output shapes, from ember (cheap) rather than another eager Keras call; a shape
    # mismatch would fail test_forward and the assertions below alike
    y = _flat(ours(*case.call_args([ember.Tensor(x) for x in xs]), training=False))
    rng = np.random.default_rng(7)
    rs = [rng.standard_normal(tuple(t.shape)).astype("float32") for t in y]

    tv = [v.value for v in theirs.trainable_variables]
    ntv = [v.value for v in theirs.non_trainable_variables]

    # stateless_call hands its kwargs to call() as they are: pass `training` only when it's taken
    kw = {"training": False} if "training" in inspect.signature(theirs.call).parameters else {}

    def loss(tv, xin):
        out, _ = theirs.stateless_call(tv, ntv, *case.call_args(xin), **kw)
        return sum(jnp.sum(o * r) for o, r in zip(_flat(out), rs))

    argnums = (0, 1) if float_in else 0
    grads_k = jax.grad(loss, argnums=argnums)(tv, [jnp.asarray(x) for x in xs])
    g_w, g_x = grads_k if float_in else (grads_k, [])

    xs_e = [ember.Tensor(x) for x in xs]
    with ember.GradientTape() as tape:
        if float_in:
            tape.watch(xs_e)
        out = _flat(ours(*case.call_args(xs_e), training=False))
        total = ops.sum(out[0] * rs[0])
        for o, r in zip(out[1:], rs[1:]):
            total = total + ops.sum(o * r)
    sources = (xs_e if float_in else []) + ours.trainable_weights
    grads = tape.gradient(total, sources)
    expected = (list(g_x) if float_in else []) + list(g_w)
    names = ([f"input {i}" for i in range(len(xs))] if float_in else []) + [
        w.path for w in theirs.trainable_weights]
    assert len(grads) == len(expected)
    for g, e, n in zip(grads, expected, names):
        g = np.zeros(e.shape, "float32") if g is None else to_numpy(g)
        assert_close(g, e, rtol=1e-4, atol=1e-4, what=f"{canonical} d/d {n}")


@pytest.mark.parametrize("canonical, case", _params("errors"))
def test_errors(keras, canonical, case):
    _require(canonical, case, "errors")
    if not case.bad:
        pytest.skip("no invalid input listed for this case")
    ours, theirs, _ = _pair(keras, case)
    rng = np.random.default_rng(3)
    for bad in case.bad:
        shapes = bad if case.multi else [bad]
        xs = [rng.standard_normal(s).astype("float32") for s in shapes]
        try:
            theirs(*case.call_args(xs))
        except Exception as exc:  # noqa: BLE001 - Keras's error type is the expectation
            expected = _builtin_error_type(exc)
            if _raised_by_backend(exc):
                # Keras did not check this itself: JAX failed inside the computation (a
                # TypeError from dot_general, an IndexError from indexing), a type that depends
                # on the backend. ember checks the shapes up front and raises ValueError, as
                # Keras's own checks do; either type is accepted.
                expected = (expected, ValueError)
            with pytest.raises(expected):
                ours(*case.call_args([ember.Tensor(x) for x in xs]))
        else:
            ours(*case.call_args([ember.Tensor(x) for x in xs]))
