"""OptimizerMap and MultiOptimizer: lookup rules, dispatch, state, errors, serialization and
training through ``fit``."""

import numpy as np
import pytest

import ember
from ember import optimizers
from ember.optimizers import SGD, Adam, LossScaleOptimizer, MultiOptimizer, OptimizerMap


def _var(shape, path, seed=0):
    v = ember.Variable(np.random.default_rng(seed).standard_normal(shape).astype("float32"))
    v.path = path
    return v


# -- OptimizerMap ---------------------------------------------------------------------------------
def test_lookup_exact_then_regex_then_default():
    adam, sgd, default = Adam(), SGD(), SGD(0.5)
    table = OptimizerMap(default)
    table["encoder/layer_0/dense"] = adam
    table["encoder/.*"] = sgd
    table["decoder"] = adam
    assert table["encoder/layer_0/dense"] is adam
    assert table["encoder/layer_0/attention/query"] is sgd
    assert table["decoder"] is adam
    assert table["decoder/layer_0/dense"] is default  # fullmatch, not search
    assert table.default_optimizer is default
    assert table(_var((2,), "encoder/x")) is sgd
    assert len(table) == 3 and list(table) == ["encoder/layer_0/dense", "encoder/.*", "decoder"]
    del table["decoder"]
    assert table["decoder"] is default


def test_several_matching_patterns_is_an_error():
    table = OptimizerMap(SGD(), {"enc.*": Adam(), ".*der/x": SGD()})
    with pytest.raises(ValueError, match="Multiple optimizers assigned to variable encoder/x"):
        table["encoder/x"]


def test_map_errors():
    with pytest.raises(TypeError, match="default_optimizer must be a Keras Optimizer"):
        OptimizerMap("sgd")
    with pytest.raises(TypeError, match="optimizer_map must be a dictionary"):
        OptimizerMap(SGD(), [("a", Adam())])
    table = OptimizerMap(SGD(), {"a": Adam()})
    with pytest.raises(ValueError, match="'a' already exists"):
        table["a"] = SGD()
    with pytest.raises(ValueError, match="key must be a string. Received: 3"):
        table[3] = SGD()
    with pytest.raises(ValueError, match="must be a Keras Optimizer instance"):
        table["b"] = "adam"
    with pytest.raises(ValueError, match="cannot be a LossScaleOptimizer"):
        table["b"] = LossScaleOptimizer(SGD())
    with pytest.raises(ValueError, match="cannot be a MultiOptimizer"):
        table["b"] = MultiOptimizer(OptimizerMap(SGD()))


def test_map_config_round_trip():
    table = OptimizerMap(SGD(0.2), {"enc.*": Adam(0.01)})
    envelope = optimizers.serialize(table)
    assert (envelope["module"], envelope["class_name"]) == ("keras.optimizers", "OptimizerMap")
    rebuilt = optimizers.deserialize(envelope)
    assert isinstance(rebuilt, OptimizerMap) and isinstance(rebuilt["encoder"], Adam)
    assert rebuilt.get_config() == table.get_config()


# -- MultiOptimizer -------------------------------------------------------------------------------
def _pair():
    return [_var((3, 2), "enc/kernel", 1), _var((2,), "dec/bias", 2)]


def _grads(step):
    rng = np.random.default_rng(10 + step)
    return [rng.standard_normal((3, 2)).astype("float32"),
            rng.standard_normal(2).astype("float32")]


def test_each_variable_steps_as_with_its_own_optimizer():
    variables = _pair()
    multi = MultiOptimizer(OptimizerMap(SGD(0.1, momentum=0.9), {"enc/.*": Adam(0.01)}))
    alone = _pair()
    adam, sgd = Adam(0.01), SGD(0.1, momentum=0.9)
    for step in range(3):
        g = _grads(step)
        multi.apply(g, variables)
        adam.apply([g[0]], [alone[0]])
        sgd.apply([g[1]], [alone[1]])
    for a, b in zip(variables, alone):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(multi.iterations.numpy()) == 3
    assert [int(o.iterations.numpy()) for o in multi.optimizers] == [3, 3]
    assert [type(o) for o in multi.optimizers] == [Adam, SGD]


def test_variables_order_and_weights():
    variables = _pair()
    multi = MultiOptimizer(OptimizerMap(SGD(0.1, momentum=0.9), {"enc/.*": Adam(0.01)}))
    multi.apply(_grads(0), variables)
    names = [v.name for v in multi.variables]
    assert names[:2] == ["iteration", "learning_rate"]
    inner = [v.name for o in multi.optimizers for v in o.variables]
    assert names[2:] == inner
    other = MultiOptimizer(OptimizerMap(SGD(0.1, momentum=0.9), {"enc/.*": Adam(0.01)}))
    other.build(_pair())
    other.set_weights(multi.get_weights())
    for a, b in zip(multi.variables, other.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_learning_rate_is_not_defined():
    multi = MultiOptimizer(OptimizerMap(SGD()))
    with pytest.raises(AttributeError, match="cannot be accessed on a MultiOptimizer"):
        _ = multi.learning_rate
    with pytest.raises(AttributeError, match="cannot be set on a MultiOptimizer"):
        multi.learning_rate = 0.1


def test_loss_scale_factor_reaches_the_inner_optimizers():
    adam, sgd = Adam(), SGD()
    multi = MultiOptimizer(OptimizerMap(sgd, {"a": adam}), loss_scale_factor=4.0)
    assert adam.loss_scale_factor == sgd.loss_scale_factor == 4.0
    multi.loss_scale_factor = 8.0
    assert adam.loss_scale_factor == sgd.loss_scale_factor == 8.0
    assert float(multi.scale_loss(ember.constant(2.0))) == 16.0


def test_callable_map_and_build_errors():
    shared = SGD(0.1)
    multi = MultiOptimizer(lambda v: shared)
    assert multi.optimizers == []
    variables = _pair()
    multi.apply(_grads(0), variables)
    assert multi.optimizers == [shared] and int(shared.iterations.numpy()) == 1
    for bad, match in [("sgd", "must be a Keras Optimizer instance"),
                       (LossScaleOptimizer(SGD()), "cannot be a LossScaleOptimizer"),
                       (MultiOptimizer(OptimizerMap(SGD())), "cannot be a MultiOptimizer")]:
        with pytest.raises(ValueError, match=match):
            MultiOptimizer(lambda v, bad=bad: bad).build(_pair())
    with pytest.raises(TypeError, match="must be an OptimizerMap or a callable"):
        MultiOptimizer({"a": SGD()})


def test_apply_errors():
    multi = MultiOptimizer(OptimizerMap(SGD()))
    with pytest.raises(ValueError, match="must already be built"):
        multi.apply(_grads(0))
    variables = _pair()
    multi.build(variables)
    with pytest.raises(ValueError, match="Received 1 gradients and 2 variables"):
        multi.apply(_grads(0)[:1], variables[:1])
    with pytest.raises(ValueError, match="Unknown variable: 'other'"):
        multi.apply(_grads(0), [variables[0], _var((2,), "other")])
    multi.apply(_grads(0))  # the variables it was built with
    assert int(multi.iterations.numpy()) == 1


def test_serialization_round_trip():
    multi = MultiOptimizer(OptimizerMap(SGD(0.2), {"enc.*": Adam(0.01)}),
                           loss_scale_factor=2.0, name="multi")
    envelope = optimizers.serialize(multi)
    assert envelope["class_name"] == "MultiOptimizer"
    assert envelope["config"]["optimizer_map"]["class_name"] == "OptimizerMap"
    rebuilt = optimizers.deserialize(envelope)
    assert isinstance(rebuilt, MultiOptimizer)
    assert rebuilt.get_config() == multi.get_config()
    assert [type(o) for o in rebuilt.optimizers] == [Adam, SGD]


def test_fit_with_a_multi_optimizer():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 1)) + 0.3).astype("float32")
    ember.utils.set_random_seed(0)
    model = ember.Sequential([ember.Input((4,)), ember.layers.Dense(8, activation="relu"),
                              ember.layers.Dense(1)])
    adam, sgd = Adam(0.02), SGD(0.05)
    multi = MultiOptimizer(OptimizerMap(sgd, {".*/kernel": adam}))
    model.compile(optimizer=LossScaleOptimizer(multi), loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]
    assert int(adam.iterations.numpy()) == int(sgd.iterations.numpy()) == 15
    kernels = [v for v in model.trainable_variables if v.path.endswith("kernel")]
    assert len(adam._trainable_variables) == len(kernels) == 2
