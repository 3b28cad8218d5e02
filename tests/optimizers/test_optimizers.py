"""Optimizers: each update against its formula written in NumPy (float64) for several steps,
flat and per-variable paths bit-identical, clipping, weight decay, schedules, state order,
config round trips and errors."""

import math
import warnings

import numpy as np
import pytest

import ember
from ember import optimizers, registry
from ember.optimizers import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop, schedules

SHAPES = [(3, 2), (2,)]
STEPS = 5


def _problem(seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def _run(opt, params, grads, flat=True):
    variables = [ember.Variable(p.copy(), dtype=p.dtype) for p in params]
    if not flat:
        opt._use_flat = False
    for gs in grads:
        opt.apply_gradients(zip([ember.Tensor(g) for g in gs], variables))
    return [v.numpy() for v in variables], opt


# -- reference formulas (float64) -----------------------------------------------------------------
def ref_sgd(p, g, s, t, lr, momentum=0.0, nesterov=False):
    if momentum == 0:
        return p - lr * g
    m = s.setdefault("m", np.zeros_like(p))
    m[...] = momentum * m - lr * g
    if nesterov:
        return p + momentum * m - lr * g
    return p + m


def ref_adam(p, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    m = s.setdefault("m", np.zeros_like(p))
    v = s.setdefault("v", np.zeros_like(p))
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    if amsgrad:
        vh = s.setdefault("vh", np.zeros_like(p))
        vh[...] = np.maximum(vh, v)
        v = vh
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return p - m * alpha / (np.sqrt(v) + epsilon)


def ref_rmsprop(p, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v = s.setdefault("v", np.zeros_like(p))
    v[...] = rho * v + (1 - rho) * g * g
    if centered:
        a = s.setdefault("a", np.zeros_like(p))
        a[...] = rho * a + (1 - rho) * g
        denominator = v - a * a + epsilon
    else:
        denominator = v + epsilon
    increment = lr * g / np.sqrt(denominator)
    if momentum > 0:
        mom = s.setdefault("mom", np.zeros_like(p))
        mom[...] = momentum * mom + increment
        return p - mom
    return p - increment


def ref_adagrad(p, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = s.setdefault("acc", np.full_like(p, initial_accumulator_value))
    acc += g * g
    return p - lr * g / np.sqrt(acc + epsilon)


def ref_adamax(p, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = s.setdefault("m", np.zeros_like(p))
    u = s.setdefault("u", np.zeros_like(p))
    m += (g - m) * (1 - beta_1)
    u[...] = np.maximum(beta_2 * u, np.abs(g))
    return p - lr * m / ((1 - beta_1 ** t) * (u + epsilon))


def ref_nadam(p, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # the u_product is shared by all variables: kept in the "shared" dict by _reference
    m = s.setdefault("m", np.zeros_like(p))
    v = s.setdefault("v", np.zeros_like(p))
    u_t = beta_1 * (1 - 0.5 * 0.96 ** t)
    u_t1 = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
    u_prod = s["shared"]["u_product"]
    u_prod_t1 = u_prod * u_t1
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    m_hat = u_t1 * m / (1 - u_prod_t1) + (1 - u_t) * g / (1 - u_prod)
    v_hat = v / (1 - beta_2 ** t)
    return p - m_hat * lr / (np.sqrt(v_hat) + epsilon)


def _reference(rule, params, grads, lr=0.01, weight_decay=None, clip=None, lr_fn=None, **hyper):
    params = [p.astype("float64") for p in params]
    states = [{} for _ in params]
    shared = {"u_product": 1.0}
    for t, gs in enumerate(grads, start=1):
        gs = [g.astype("float64") for g in gs]
        lr_t = lr_fn(t - 1) if lr_fn else lr
        if clip is not None:
            kind, c = clip
            if kind == "clipvalue":
                gs = [np.clip(g, -c, c) for g in gs]
            elif kind == "clipnorm":
                gs = [g * c / max(np.linalg.norm(g), c) for g in gs]
            else:
                norm = math.sqrt(sum(float(np.sum(g * g)) for g in gs))
                gs = [g * c / max(norm, c) for g in gs]
        if weight_decay:
            params = [p - p * weight_decay * lr_t for p in params]
        if rule is ref_nadam:
            shared["u_product"] *= hyper.get("beta_1", 0.9) * (1 - 0.5 * 0.96 ** t)
        for s in states:
            s["shared"] = shared
        params = [rule(p, g, s, t, lr_t, **hyper) for p, g, s in zip(params, gs, states)]
    return params


CASES = [
    ("sgd", SGD, ref_sgd, {}),
    ("sgd_momentum", SGD, ref_sgd, {"momentum": 0.9}),
    ("sgd_nesterov", SGD, ref_sgd, {"momentum": 0.8, "nesterov": True}),
    ("adam", Adam, ref_adam, {}),
    ("adam_hyper", Adam, ref_adam, {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}),
    ("adam_amsgrad", Adam, ref_adam, {"amsgrad": True}),
    ("rmsprop", RMSprop, ref_rmsprop, {}),
    ("rmsprop_momentum", RMSprop, ref_rmsprop, {"momentum": 0.5}),
    ("rmsprop_centered", RMSprop, ref_rmsprop, {"centered": True, "rho": 0.8}),
    ("rmsprop_both", RMSprop, ref_rmsprop, {"centered": True, "momentum": 0.3}),
    ("adagrad", Adagrad, ref_adagrad, {}),
    ("adagrad_init", Adagrad, ref_adagrad, {"initial_accumulator_value": 0.5}),
    ("adamax", Adamax, ref_adamax, {}),
    ("nadam", Nadam, ref_nadam, {}),
]


@pytest.mark.parametrize("name,cls,rule,hyper", CASES, ids=[c[0] for c in CASES])
def test_update_matches_formula(name, cls, rule, hyper):
    params, grads = _problem()
    got, _ = _run(cls(learning_rate=0.01, **hyper), params, grads)
    want = _reference(rule, params, grads, lr=0.01, **hyper)
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name,cls,rule,hyper", CASES, ids=[c[0] for c in CASES])
def test_flat_and_per_variable_paths_agree_exactly(name, cls, rule, hyper):
    params, grads = _problem(1)
    flat, opt_flat = _run(cls(learning_rate=0.01, **hyper), params, grads, flat=True)
    per, opt_per = _run(cls(learning_rate=0.01, **hyper), params, grads, flat=False)
    assert opt_flat._flat is not None and opt_per._flat is None
    for a, b in zip(flat, per):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(opt_flat.variables, opt_per.variables):
        assert a.name.rsplit("_", 1)[-1] == b.name.rsplit("_", 1)[-1]
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("clip", [("clipnorm", 0.5), ("clipvalue", 0.3),
                                  ("global_clipnorm", 0.7)])
@pytest.mark.parametrize("flat", [True, False])
def test_clipping(clip, flat):
    params, grads = _problem(2)
    opt = Adam(learning_rate=0.01, **{clip[0]: clip[1]})
    got, _ = _run(opt, params, grads, flat=flat)
    want = _reference(ref_adam, params, grads, lr=0.01, clip=clip)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


def test_clipping_paths_agree_exactly():
    for kind in ("clipnorm", "clipvalue", "global_clipnorm"):
        params, grads = _problem(3)
        a, _ = _run(SGD(0.1, momentum=0.9, **{kind: 0.4}), params, grads, flat=True)
        b, _ = _run(SGD(0.1, momentum=0.9, **{kind: 0.4}), params, grads, flat=False)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_clipping_does_not_modify_callers_gradients():
    params, grads = _problem(4)
    before = [[g.copy() for g in gs] for gs in grads]
    _run(SGD(0.1, clipvalue=0.01), params, grads)
    for gs, bs in zip(grads, before):
        for g, b in zip(gs, bs):
            np.testing.assert_array_equal(g, b)


@pytest.mark.parametrize("flat", [True, False])
def test_weight_decay_and_adamw(flat):
    params, grads = _problem(5)
    got, _ = _run(AdamW(learning_rate=0.01, weight_decay=0.1), params, grads, flat=flat)
    want = _reference(ref_adam, params, grads, lr=0.01, weight_decay=0.1)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)
    got, _ = _run(SGD(learning_rate=0.1, weight_decay=0.05), params, grads, flat=flat)
    want = _reference(ref_sgd, params, grads, lr=0.1, weight_decay=0.05)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


def test_exclude_from_weight_decay():
    params, grads = _problem(6)
    variables = [ember.Variable(p.copy(), name=n) for p, n in zip(params, ["kernel", "bias"])]
    opt = SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    for gs in grads:
        opt.apply(gs, variables)
    want_bias = _reference(ref_sgd, params[1:], [gs[1:] for gs in grads], lr=0.1)[0]
    want_kernel = _reference(ref_sgd, params[:1], [gs[:1] for gs in grads], lr=0.1,
                             weight_decay=0.5)[0]
    np.testing.assert_allclose(variables[1].numpy(), want_bias, rtol=1e-5)
    np.testing.assert_allclose(variables[0].numpy(), want_kernel, rtol=1e-5)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["x"])


def test_adamw_requires_weight_decay():
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)


SCHEDULES = [
    (schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5),
     lambda s: 0.1 * 0.5 ** (s / 2)),
    (schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
     lambda s: 0.1 * 0.5 ** (s // 2)),
    (schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
     lambda s: 0.1 if s <= 1 else 0.05 if s <= 3 else 0.01),
    (schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5),
     lambda s: 0.1 / (1 + 0.5 * s)),
    (schedules.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5, staircase=True),
     lambda s: 0.1 / (1 + 0.5 * (s // 2))),
    (schedules.CosineDecay(0.1, decay_steps=4, alpha=0.1),
     lambda s: 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * min(s, 4) / 4)) + 0.1)),
    (schedules.CosineDecay(0.0, decay_steps=4, warmup_target=0.2, warmup_steps=2),
     lambda s: 0.2 * s / 2 if s < 2 else
     0.2 * 0.5 * (1 + math.cos(math.pi * min(s - 2, 4) / 4))),
    (schedules.PolynomialDecay(0.1, decay_steps=3, end_learning_rate=0.01, power=2.0),
     lambda s: (0.09 * (1 - min(s, 3) / 3) ** 2 + 0.01)),
]


@pytest.mark.parametrize("schedule,formula", SCHEDULES,
                         ids=[type(s).__name__ for s, _ in SCHEDULES])
def test_schedules_values_and_use(schedule, formula):
    for step in range(8):
        assert float(schedule(step)) == pytest.approx(formula(step), rel=1e-6, abs=1e-8)
    assert schedule(ember.Variable(3, dtype="int64")).dtype == np.float32
    params, grads = _problem(7)
    got, opt = _run(SGD(learning_rate=schedule, momentum=0.5), params, grads)
    want = _reference(ref_sgd, params, grads, lr_fn=formula, momentum=0.5)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)
    assert float(opt.learning_rate) == pytest.approx(formula(STEPS), rel=1e-6, abs=1e-8)
    assert [v.name for v in opt.variables][0] == "iteration"
    assert "learning_rate" not in [v.name for v in opt.variables]
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    rebuilt = registry.deserialize(registry.serialize(schedule), kind="schedule")
    assert rebuilt.get_config() == schedule.get_config()
    assert float(rebuilt(5)) == float(schedule(5))


def test_cosine_decay_restarts():
    s = schedules.CosineDecayRestarts(0.1, first_decay_steps=2, t_mul=2.0, m_mul=0.5)
    assert float(s(0)) == pytest.approx(0.1)
    assert float(s(1)) == pytest.approx(0.05)
    assert float(s(2)) == pytest.approx(0.05)  # restart at half the rate
    same = schedules.CosineDecayRestarts(0.1, first_decay_steps=2, t_mul=1.0)
    assert float(same(3)) == pytest.approx(float(same(1)))


def test_callable_learning_rate():
    params, grads = _problem(8)
    got, _ = _run(SGD(learning_rate=lambda: 0.05), params, grads)
    want = _reference(ref_sgd, params, grads, lr=0.05)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5)


def test_learning_rate_property():
    opt = Adam(learning_rate=0.01)
    assert float(opt.learning_rate) == pytest.approx(0.01)
    assert opt.learning_rate.numpy().dtype == np.float32
    opt.learning_rate = 0.5
    assert float(opt.learning_rate) == 0.5
    assert opt.get_config()["learning_rate"] == 0.5
    opt.learning_rate = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    assert len(opt.variables) == 1  # the learning-rate variable is no longer tracked
    with pytest.raises(ValueError, match="learning_rate"):
        Adam(learning_rate="fast")


def test_iterations_and_variables_order():
    params, grads = _problem()
    variables = [ember.Variable(p, name=n) for p, n in zip(params, ["kernel", "bias"])]
    opt = Adam(amsgrad=True)
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate"]
    opt.apply_gradients(zip(grads[0], variables))
    names = [v.name for v in opt.variables]
    assert names == ["iteration", "learning_rate", "kernel_momentum", "kernel_velocity",
                     "bias_momentum", "bias_velocity", "kernel_velocity_hat",
                     "bias_velocity_hat"]
    assert opt.iterations.dtype == np.int64 and int(opt.iterations) == 1
    assert opt.variables[2].shape == (3, 2)
    rms = RMSprop(momentum=0.5, centered=True)
    rms.build(variables)
    assert [v.name for v in rms.variables][2:] == [
        "kernel_velocity", "bias_velocity", "kernel_momentum", "bias_momentum",
        "kernel_average_gradient", "bias_average_gradient"]
    nadam = Nadam()
    nadam.build(variables)
    assert nadam.variables[-1].name == "u_product"
    sgd = SGD()
    sgd.build(variables)
    assert len(sgd.variables) == 2  # no momentum, no slots


def test_slot_variables_are_views_into_flat_buffers():
    params, grads = _problem()
    variables = [ember.Variable(p) for p in params]
    opt = Adam()
    opt.apply(grads[0], variables)
    flat = opt._flat
    assert all(np.shares_memory(v.data, flat.params) for v in variables)
    assert all(np.shares_memory(s.data, flat.slots[0]) or np.shares_memory(s.data, flat.slots[1])
               for s in opt.variables[2:])
    m_kernel = opt.variables[2]
    np.testing.assert_array_equal(m_kernel.numpy().ravel(), flat.slots[0][:6])


def test_rebinding_a_variable_repacks():
    params, grads = _problem(9)
    variables = [ember.Variable(p.copy()) for p in params]
    opt = SGD(learning_rate=0.1)
    opt.apply(grads[0], variables)
    new = np.full((3, 2), 7.0, "float32")
    variables[0].data = new  # someone rebinds instead of assign()
    opt.apply(grads[1], variables)
    np.testing.assert_allclose(variables[0].numpy(), 7.0 - 0.1 * grads[1][0], rtol=1e-6)
    assert variables[0].data is opt._flat.views[0]
    variables[1].assign(np.zeros(2))  # assign writes in place: the view stays
    assert variables[1].data is opt._flat.views[1]


def test_none_gradients_are_skipped():
    params, grads = _problem(10)
    variables = [ember.Variable(p.copy()) for p in params]
    opt = Adam(learning_rate=0.01)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(grads[0][0], variables[0]), (None, variables[1])])
    np.testing.assert_array_equal(variables[1].numpy(), params[1])
    want = _reference(ref_adam, params[:1], [grads[0][:1]], lr=0.01)[0]
    np.testing.assert_allclose(variables[0].numpy(), want, rtol=1e-5)
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients([(None, variables[0]), (None, variables[1])])


def test_subset_and_reordered_variables_use_their_own_slots():
    params, grads = _problem(11)
    variables = [ember.Variable(p.copy()) for p in params]
    opt = Adam(learning_rate=0.01)
    opt.build(variables)
    opt.apply([grads[0][1], grads[0][0]], [variables[1], variables[0]])
    want = _reference(ref_adam, params, grads[:1], lr=0.01)
    for v, w in zip(variables, want):
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-5)
    other = ember.Variable(np.zeros(2, "float32"))
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([np.zeros(2, "float32")], [other])


def test_apply_without_variables_and_errors():
    params, grads = _problem()
    variables = [ember.Variable(p.copy()) for p in params]
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply(grads[0])
    opt.build(variables)
    opt.apply(grads[0])
    with pytest.raises(ValueError, match="gradients"):
        opt.apply(grads[0][:1])
    with pytest.raises(ValueError, match=r"has shape \(2, 3\)"):
        opt.apply([np.zeros((2, 3), "float32"), grads[0][1]])
    with pytest.raises(ValueError, match="Only one of"):
        SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(TypeError, match="float variables"):
        SGD().build([ember.Variable(np.zeros(2, "int64"))])
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=2.0)
    with pytest.raises(ValueError, match="ema_momentum"):
        Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="not recognized"):
        Adam(foo=1)


def test_mixed_dtypes_use_per_variable_path():
    rng = np.random.default_rng(12)
    params = [rng.standard_normal((3, 2)).astype("float32"),
              rng.standard_normal(2).astype("float64")]
    grads = [[rng.standard_normal((3, 2)).astype("float32"), rng.standard_normal(2)]
             for _ in range(STEPS)]
    got, opt = _run(Adam(learning_rate=0.01), params, grads)
    assert opt._flat is None
    assert got[0].dtype == np.float32 and got[1].dtype == np.float64
    want = _reference(ref_adam, params, grads, lr=0.01)
    np.testing.assert_allclose(got[0], want[0], rtol=2e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-7)  # lr is a float32 Variable


def test_constraints_applied_after_update():
    v = ember.Variable(np.array([1.0, -1.0], "float32"))
    v.constraint = ember.constraints.NonNeg()
    opt = SGD(learning_rate=1.0)
    opt.apply([np.array([0.5, 0.5], "float32")], [v])
    np.testing.assert_array_equal(v.numpy(), [0.5, 0.0])
    assert v.data is opt._flat.views[0]


def test_minimize_with_callable_and_tape():
    x = ember.Variable(10.0)
    opt = RMSprop(learning_rate=0.1)
    opt.minimize(lambda: (x * x) / 2.0, [x])
    assert float(x) == pytest.approx(9.683772, rel=1e-6)  # Keras's documented example
    with ember.GradientTape() as tape:
        loss = x * x
    opt.minimize(loss, [x], tape=tape)
    assert int(opt.iterations) == 2
    with pytest.raises(ValueError, match="tape"):
        opt.minimize(x * x, [x])


def test_save_and_load_own_variables():
    params, grads = _problem(13)
    _, opt = _run(Adam(learning_rate=0.01), params, grads)
    store = {}
    opt.save_own_variables(store)
    assert list(store) == [str(i) for i in range(len(opt.variables))]
    variables = [ember.Variable(p.copy()) for p in params]
    fresh = Adam(learning_rate=0.01)
    fresh.build(variables)
    fresh.load_own_variables(store)
    assert int(fresh.iterations) == STEPS
    for a, b in zip(opt.variables, fresh.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(fresh._flat.slots[1], opt._flat.slots[1])
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        Adam().load_own_variables(store)
    fresh.set_weights(opt.get_weights())
    with pytest.raises(ValueError, match="not compatible"):
        fresh.set_weights([np.zeros(3)])


ALL = [SGD(momentum=0.5, nesterov=True, clipnorm=1.0), Adam(amsgrad=True, global_clipnorm=2.0),
       AdamW(weight_decay=0.01, clipvalue=0.5), RMSprop(centered=True, momentum=0.1),
       Adagrad(initial_accumulator_value=0.2), Adamax(beta_1=0.8), Nadam(epsilon=1e-5),
       SGD(learning_rate=schedules.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10))]


@pytest.mark.parametrize("opt", ALL, ids=[type(o).__name__ for o in ALL])
def test_config_round_trip(opt):
    envelope = optimizers.serialize(opt)
    assert envelope["module"] == "keras.optimizers"
    assert envelope["class_name"] == type(opt).__name__
    rebuilt = optimizers.deserialize(envelope)
    assert type(rebuilt) is type(opt)
    assert rebuilt.get_config() == opt.get_config()
    again = type(opt).from_config(opt.get_config())
    assert again.get_config() == opt.get_config()


@pytest.mark.parametrize("name,cls", [("adam", Adam), ("Adam", Adam), ("sgd", SGD),
                                      ("SGD", SGD), ("rmsprop", RMSprop), ("RMSprop", RMSprop),
                                      ("adamw", AdamW), ("nadam", Nadam), ("adamax", Adamax),
                                      ("adagrad", Adagrad)])
def test_get_by_name(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert optimizers.get(opt) is opt


def test_unknown_identifier_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'.*adam.*sgd"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(3)


def test_defaults_match_keras():
    assert Adam().get_config()["learning_rate"] == pytest.approx(0.001)
    assert SGD().get_config()["learning_rate"] == pytest.approx(0.01)
    assert SGD().name == "SGD" and Adam().name == "adam" and Adagrad().name == "adagrad"
    assert AdamW().weight_decay == 0.004
    assert Adagrad().initial_accumulator_value == 0.1
    c = RMSprop().get_config()
    assert (c["rho"], c["momentum"], c["epsilon"], c["centered"]) == (0.9, 0.0, 1e-7, False)


def test_keras_style_custom_optimizer():
    class MomentumSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, momentum=0.9, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)
            self.momentum = momentum

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.momentums = [self.add_variable_from_reference(v, "m") for v in var_list]

        def update_step(self, gradient, variable, learning_rate):
            m = self.momentums[self._get_variable_index(variable)]
            lr = ember.ops.cast(learning_rate, variable.dtype)
            self.assign(m, m * self.momentum - gradient * lr)
            self.assign_add(variable, m)

    params, grads = _problem(14)
    got, opt = _run(MomentumSGD(clipvalue=0.5), params, grads)
    want = _reference(ref_sgd, params, grads, lr=0.1, momentum=0.9, clip=("clipvalue", 0.5))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=1e-6)
    assert len(opt.variables) == 4 and all(v.name.endswith("_m") for v in opt.variables[2:])


def test_training_reduces_a_loss():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3
    for opt in [SGD(0.1, momentum=0.9), Adam(0.05), RMSprop(0.05), Adagrad(0.5),
                Adamax(0.05), Nadam(0.05), AdamW(0.05)]:
        w = ember.Variable(np.zeros((3, 1), "float32"))
        b = ember.Variable(np.zeros(1, "float32"))
        losses = []
        for _ in range(60):
            with ember.GradientTape() as tape:
                loss = ember.ops.mean(ember.ops.square(ember.ops.matmul(x, w) + b - y))
            losses.append(float(loss))
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        assert losses[-1] < 0.1 * losses[0], type(opt).__name__
