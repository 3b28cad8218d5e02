"""Parity of what test_optimizers_parity.py's cases cannot express: LossScaleOptimizer (which
wraps an inner optimizer) step by step, with non-finite gradients, against Keras 3 (JAX); and
the shape-dependent rules (Adafactor's factoring of rank-3 variables, Muon on tall kernels
and embeddings) on more shapes than the common harness's."""

import re

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember.optimizers as eoptimizers
from ember.autodiff.tensor import Variable

SHAPES = {"kernel": (3, 4), "bias": (4,)}


def _grads(n, shapes, bad_steps=()):
    rng = np.random.default_rng(5)
    out = []
    for step in range(n):
        grads = [(rng.normal(size=s) * 100).astype(np.float32) for s in shapes.values()]
        if step in bad_steps:
            grads[-1][0] = np.inf if step % 2 else np.nan
        out.append(grads)
    return out


def _vars(keras, shapes):
    rng = np.random.default_rng(6)
    init = [rng.normal(size=s).astype(np.float32) for s in shapes.values()]
    evars = [Variable(v.copy(), name=n) for n, v in zip(shapes, init)]
    kvars = [keras.Variable(v.copy(), name=n) for n, v in zip(shapes, init)]
    for ev, n in zip(evars, shapes):
        ev.path = n
    return evars, kvars


def _keras_stateless_step(k, kvars, grads):
    """Keras's LossScaleOptimizer only steps statelessly on JAX (its eager ``apply`` leaks a
    tracer from ``ops.cond``): what its JAX trainer does."""
    if not k.built:
        k.build(kvars)
    new_vars, new_state = k.stateless_apply([v.value for v in k.variables], grads,
                                            [v.value for v in kvars])
    for v, value in zip(kvars, new_vars):
        v.assign(value)
    for v, value in zip(k.variables, new_state):
        v.assign(value)


def _step_both(e, k, evars, kvars, grads, what, stateless=False):
    for step, g in enumerate(grads):
        e.apply_gradients(zip(g, evars))
        if stateless:
            _keras_stateless_step(k, kvars, g)
        else:
            k.apply_gradients(zip(g, kvars))
        for ev, kv in zip(evars, kvars):
            assert_close(ev.numpy(), to_numpy(kv), rtol=2e-5, atol=1e-6,
                         what=f"{what}: {kv.name} after step {step + 1}")
    assert [(v.name, tuple(v.shape)) for v in e.variables] == [
        (v.name, tuple(v.shape)) for v in k.variables]
    for ev, kv in zip(e.variables, k.variables):
        assert_close(ev.numpy(), to_numpy(kv), rtol=2e-5, atol=1e-6, what=f"{what}: {kv.name}")


def _assert_same_config(a, b):
    assert sorted(a) == sorted(b)
    for key, value in b.items():
        if isinstance(value, float):
            assert a[key] == pytest.approx(value, rel=1e-6), key
        else:
            assert a[key] == value, key


# -- LossScaleOptimizer ---------------------------------------------------------------------------
@pytest.mark.parametrize("inner,kwargs", [
    ("SGD", {"learning_rate": 0.01, "momentum": 0.9}),
    ("Adam", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.01})])
def test_loss_scale_optimizer_steps(keras, inner, kwargs):
    """Finite steps grow the scale every dynamic_growth_steps; inf/nan steps are skipped and
    halve it: variables, iterations and every optimizer variable agree with Keras."""
    args = {"initial_scale": 16.0, "dynamic_growth_steps": 2}
    e = eoptimizers.LossScaleOptimizer(getattr(eoptimizers, inner)(**kwargs), **args)
    k = keras.optimizers.LossScaleOptimizer(getattr(keras.optimizers, inner)(**kwargs), **args)
    evars, kvars = _vars(keras, SHAPES)
    _step_both(e, k, evars, kvars, _grads(8, SHAPES, bad_steps=(2, 5, 6)), f"LSO({inner})",
               stateless=True)
    assert int(e.iterations.numpy()) == int(to_numpy(k.iterations)) == 5
    assert float(e.dynamic_scale.numpy()) == float(to_numpy(k.dynamic_scale))
    assert float(e.scale_loss(1.5)) == pytest.approx(float(to_numpy(k.scale_loss(1.5))))


def test_loss_scale_optimizer_config_and_envelope(keras):
    e = eoptimizers.LossScaleOptimizer(eoptimizers.Adam(0.01), initial_scale=64.0,
                                       dynamic_growth_steps=10)
    k = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01), initial_scale=64.0,
                                            dynamic_growth_steps=10)
    econfig, kconfig = e.get_config(), k.get_config()
    assert econfig.keys() == kconfig.keys()
    assert econfig["name"] == re.sub(r"_\d+$", "", kconfig["name"])  # Keras numbers names
    for key in ("initial_scale", "dynamic_growth_steps"):
        assert econfig[key] == kconfig[key]
    einner, kinner = econfig["inner_optimizer"], kconfig["inner_optimizer"]
    assert (einner["module"], einner["class_name"]) == (kinner["module"], kinner["class_name"])
    _assert_same_config(einner["config"], {
        **kinner["config"], "name": re.sub(r"_\d+$", "", kinner["config"]["name"])})
    # each side loads the other's envelope
    from_keras = eoptimizers.deserialize(keras.optimizers.serialize(k))
    assert isinstance(from_keras, eoptimizers.LossScaleOptimizer)
    _assert_same_config(from_keras.get_config()["inner_optimizer"]["config"],
                        {**einner["config"], "name": kinner["config"]["name"]})
    from_ember = keras.optimizers.deserialize(eoptimizers.serialize(e))
    assert isinstance(from_ember, keras.optimizers.LossScaleOptimizer)
    assert from_ember.dynamic_growth_steps == 10


def test_loss_scale_optimizer_unbuilt_variables_and_names(keras):
    e = eoptimizers.LossScaleOptimizer(eoptimizers.SGD())
    k = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())
    assert [v.name for v in e.variables] == [v.name for v in k.variables]
    assert e.name == re.sub(r"_\d+$", "", k.name)
    assert float(e.scale_loss(2.0)) == float(to_numpy(k.scale_loss(2.0)))


@pytest.mark.parametrize("kwargs", [{"dynamic": False}, {"clipnorm": 1.0},
                                    {"loss_scale_factor": 2.0}, {"foo": 1}])
def test_loss_scale_optimizer_errors(keras, kwargs):
    with pytest.raises(Exception) as kerr:
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), **kwargs)
    with pytest.raises(type(kerr.value)):
        eoptimizers.LossScaleOptimizer(eoptimizers.SGD(), **kwargs)


# -- shape-dependent rules ------------------------------------------------------------------------
@pytest.mark.parametrize("canonical,kwargs,shapes", [
    ("Adafactor", {}, {"kernel": (2, 3, 4), "bias": (4,), "scalar": ()}),
    ("Adafactor", {"learning_rate": 0.5}, {"kernel": (5, 2)}),
    ("Muon", {}, {"kernel": (6, 3), "wide": (2, 5), "bias": (3,)}),
    ("Muon", {}, {"token_embedding": (7, 4), "conv": (2, 2, 3)}),
    ("Lamb", {"learning_rate": 0.1}, {"kernel": (2, 3, 4), "zero": (3,)}),
])
def test_shape_dependent_steps(keras, canonical, kwargs, shapes):
    e = getattr(eoptimizers, canonical)(**kwargs)
    k = getattr(keras.optimizers, canonical)(**kwargs)
    evars, kvars = _vars(keras, shapes)
    if "zero" in shapes:  # a zero weight: Lamb's trust ratio falls back to 1
        evars[-1].assign(np.zeros(shapes["zero"], np.float32))
        kvars[-1].assign(np.zeros(shapes["zero"], np.float32))
    grads = [[g / 100 for g in gs] for gs in _grads(4, shapes)]
    _step_both(e, k, evars, kvars, grads, canonical)


# -- MultiOptimizer and OptimizerMap --------------------------------------------------------------
def _multi(module, loss_scale_factor=None):
    table = module.OptimizerMap(module.SGD(0.05, momentum=0.9),
                                {"kern.*": module.Adam(0.01)})
    return module.MultiOptimizer(table, loss_scale_factor=loss_scale_factor)


@pytest.mark.parametrize("loss_scale_factor", [None, 8.0])
def test_multi_optimizer_steps(keras, loss_scale_factor):
    e = _multi(eoptimizers, loss_scale_factor)
    k = _multi(keras.optimizers, loss_scale_factor)
    evars, kvars = _vars(keras, SHAPES)
    grads = [[g / 100 for g in gs] for gs in _grads(4, SHAPES)]
    _step_both(e, k, evars, kvars, grads, "MultiOptimizer")
    assert int(e.iterations.numpy()) == int(to_numpy(k.iterations)) == 4
    assert [type(o).__name__ for o in e.optimizers] == [type(o).__name__ for o in k.optimizers]


def test_multi_optimizer_config_and_envelope(keras):
    e, k = _multi(eoptimizers, 2.0), _multi(keras.optimizers, 2.0)
    econfig, kconfig = e.get_config(), k.get_config()
    assert sorted(econfig) == sorted(kconfig)
    assert econfig["loss_scale_factor"] == kconfig["loss_scale_factor"]
    emap, kmap = econfig["optimizer_map"], kconfig["optimizer_map"]
    assert (emap["module"], emap["class_name"]) == (kmap["module"], kmap["class_name"])
    assert sorted(emap["config"]) == sorted(kmap["config"])
    assert list(emap["config"]["optimizer_map"]) == list(kmap["config"]["optimizer_map"])
    from_keras = eoptimizers.deserialize(keras.optimizers.serialize(k))
    assert [type(o).__name__ for o in from_keras.optimizers] == ["Adam", "SGD"]
    assert from_keras.loss_scale_factor == 2.0
    from_ember = keras.optimizers.deserialize(eoptimizers.serialize(e))
    assert [type(o).__name__ for o in from_ember.optimizers] == ["Adam", "SGD"]


def test_optimizer_map_lookup(keras):
    def table(module):
        t = module.OptimizerMap(module.RMSprop())
        t["encoder/layer_0/dense"] = module.Adam()
        t["encoder/.*"] = module.SGD()
        t["decoder"] = module.Adam()
        return t

    e, k = table(eoptimizers), table(keras.optimizers)
    for key in ["encoder/layer_0/dense", "encoder/layer_0/attention/query", "decoder",
                "decoder/layer_0/dense", "other"]:
        assert type(e[key]).__name__ == type(k[key]).__name__, key


@pytest.mark.parametrize("action", ["duplicate", "int_key", "not_optimizer", "lso", "multi",
                                    "two_patterns", "learning_rate"])
def test_multi_optimizer_errors(keras, action):
    def run(module):
        t = module.OptimizerMap(module.SGD(), {"a.*": module.Adam(), ".*b": module.SGD()})
        if action == "duplicate":
            t["a.*"] = module.SGD()
        elif action == "int_key":
            t[3] = module.SGD()
        elif action == "not_optimizer":
            t["c"] = "sgd"
        elif action == "lso":
            t["c"] = module.LossScaleOptimizer(module.SGD())
        elif action == "multi":
            t["c"] = module.MultiOptimizer(module.OptimizerMap(module.SGD()))
        elif action == "two_patterns":
            t["ab"]
        else:
            _ = module.MultiOptimizer(t).learning_rate

    with pytest.raises(Exception) as kerr:
        run(keras.optimizers)
    with pytest.raises(type(kerr.value)):
        run(eoptimizers)
