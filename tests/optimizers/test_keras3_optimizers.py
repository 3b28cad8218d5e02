"""Adadelta, Adafactor, Ftrl, Lamb, Lion, Muon and ScheduleFreeAdamW: properties of each rule,
constructor errors, flat vs per-variable paths, serialization, and training a small model.
Step-by-step agreement with Keras is in tests/keras_parity/test_optimizers_parity.py."""

import warnings

import numpy as np
import pytest

import ember
from ember import optimizers
from ember.optimizers import (
    Adadelta,
    Adafactor,
    Ftrl,
    Lamb,
    Lion,
    Muon,
    ScheduleFreeAdamW,
)

SHAPES = [(3, 2), (2,)]
STEPS = 5
NEW = [Adadelta, Adafactor, Ftrl, Lamb, Lion, Muon, ScheduleFreeAdamW]
#: the rules that run on the flat buffers (Adafactor and Muon keep per-variable slots)
FLAT = [Adadelta, Ftrl, Lamb, Lion, ScheduleFreeAdamW]


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    grads = [[rng.standard_normal(s).astype("float32") for s in SHAPES] for _ in range(STEPS)]
    return params, grads


def _run(opt, params, grads, flat=True):
    variables = [ember.Variable(p.copy(), name=f"w{i}") for i, p in enumerate(params)]
    if not flat:
        opt._use_flat = False
    for gs in grads:
        opt.apply_gradients(zip([ember.Tensor(g) for g in gs], variables))
    return [v.numpy() for v in variables], opt


# -- common ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", FLAT, ids=lambda c: c.__name__)
def test_flat_and_per_variable_paths_agree_exactly(cls):
    params, grads = _problem(1)
    flat, opt_flat = _run(cls(learning_rate=0.01, weight_decay=0.1), params, grads, flat=True)
    per, opt_per = _run(cls(learning_rate=0.01, weight_decay=0.1), params, grads, flat=False)
    assert opt_flat._flat is not None and opt_per._flat is None
    for a, b in zip(flat, per):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(opt_flat.variables, opt_per.variables):
        assert a.name == b.name
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_float32_and_every_step_moves(cls):
    params, grads = _problem(2)
    out, opt = _run(cls(learning_rate=0.01), params, grads)
    assert int(opt.iterations) == STEPS
    for p, o in zip(params, out):
        assert o.dtype == np.float32
        assert not np.allclose(p, o)


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_serialization_round_trip(cls):
    opt = cls(learning_rate=0.02, clipnorm=0.5)
    envelope = optimizers.serialize(opt)
    assert envelope["module"] == "keras.optimizers"
    assert envelope["class_name"] == cls.__name__
    rebuilt = optimizers.deserialize(envelope)
    assert type(rebuilt) is cls and rebuilt.get_config() == opt.get_config()
    assert cls.from_config(opt.get_config()).get_config() == opt.get_config()
    schedule = optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    with_schedule = optimizers.deserialize(optimizers.serialize(cls(learning_rate=schedule)))
    assert with_schedule.get_config() == cls(learning_rate=schedule).get_config()


@pytest.mark.parametrize("name,cls", [
    ("adadelta", Adadelta), ("Adadelta", Adadelta), ("adafactor", Adafactor), ("ftrl", Ftrl),
    ("Lamb", Lamb), ("lion", Lion), ("Lion", Lion), ("muon", Muon),
    ("schedulefreeadamw", ScheduleFreeAdamW), ("ScheduleFreeAdamW", ScheduleFreeAdamW)])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_state_save_and_load(cls):
    params, grads = _problem(3)
    _, opt = _run(cls(learning_rate=0.01), params, grads[:2])
    store = {}
    opt.save_own_variables(store)
    _, fresh = _run(cls(learning_rate=0.01), params, grads[:1])
    fresh.load_own_variables(store)
    for a, b in zip(opt.variables, fresh.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("cls", NEW, ids=lambda c: c.__name__)
def test_unknown_argument(cls):
    with pytest.raises(ValueError, match="not recognized"):
        cls(learning_rate=0.01, bogus=1)


def _fit(optimizer, epochs=10):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 1)) + 0.3).astype("float32")
    ember.utils.set_random_seed(0)
    model = ember.Sequential([ember.Input((4,)), ember.layers.Dense(8, activation="relu"),
                              ember.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return model.fit(x, y, epochs=epochs, batch_size=32, verbose=0).history["loss"]


@pytest.mark.parametrize("optimizer", [
    Adadelta(1.0), Adafactor(0.1), Ftrl(0.5), Lamb(0.05), Lion(0.01), Muon(0.02),
    ScheduleFreeAdamW(0.05), "lion"], ids=repr)
def test_training_a_model_reduces_the_loss(optimizer):
    losses = _fit(optimizer)
    assert losses[-1] < 0.9 * losses[0]


# -- Adadelta -------------------------------------------------------------------------------------
def test_adadelta_first_step_formula():
    # both accumulators start at zero: delta = -sqrt(eps) * g / sqrt((1 - rho) g^2 + eps)
    g = np.array([0.5, -2.0, 1e-3], "float32")
    v = ember.Variable(np.zeros(3, "float32"))
    Adadelta(learning_rate=1.0, rho=0.9, epsilon=1e-6).apply([g], [v])
    g64 = g.astype("float64")
    expected = -np.sqrt(1e-6) * g64 / np.sqrt(0.1 * g64 ** 2 + 1e-6)
    np.testing.assert_allclose(v.numpy(), expected, rtol=1e-5)


# -- Ftrl -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["initial_accumulator_value", "l1_regularization_strength",
                                 "l2_regularization_strength",
                                 "l2_shrinkage_regularization_strength"])
def test_ftrl_rejects_negative_values(key):
    with pytest.raises(ValueError, match=f"`{key}` needs to be positive or zero.*-0.5"):
        Ftrl(**{key: -0.5})


def test_ftrl_rejects_positive_learning_rate_power():
    with pytest.raises(ValueError, match="learning_rate_power.*Received: learning_rate_power=0.5"):
        Ftrl(learning_rate_power=0.5)


def test_ftrl_l1_makes_weights_sparse():
    # while |linear| <= l1 the closed-form solution is exactly zero
    params, grads = _problem(4)
    out, opt = _run(Ftrl(learning_rate=0.1, l1_regularization_strength=100.0), params, grads)
    for o in out:
        np.testing.assert_array_equal(o, 0.0)
    linear = [v for v in opt.variables if v.name.endswith("_linear")]
    assert len(linear) == 2 and all(np.abs(v.numpy()).max() <= 100.0 for v in linear)


# -- Lion -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("beta_1", [0.0, -0.1, 1.5])
def test_lion_rejects_beta_1_outside_0_1(beta_1):
    with pytest.raises(ValueError, match=f"beta_1.*Received: beta_1={beta_1}"):
        Lion(beta_1=beta_1)


def test_lion_moves_every_weight_by_the_learning_rate():
    params, grads = _problem(5)
    variables = [ember.Variable(p.copy()) for p in params]
    opt = Lion(learning_rate=0.01)
    for gs in grads:
        before = [v.numpy().copy() for v in variables]
        opt.apply(gs, variables)
        for b, v in zip(before, variables):
            np.testing.assert_allclose(np.abs(v.numpy() - b), 0.01, rtol=1e-4)


# -- Lamb -----------------------------------------------------------------------------------------
def test_lamb_trust_ratio_is_per_variable():
    """Scaling one variable's weights by 10 scales its step by 10 (the ratio ||w|| / ||u||)
    and leaves the other variable's step unchanged."""
    params, grads = _problem(6)
    base, _ = _run(Lamb(learning_rate=0.01), params, grads[:1])
    scaled_params = [params[0] * 10, params[1]]
    scaled, _ = _run(Lamb(learning_rate=0.01), scaled_params, grads[:1])
    np.testing.assert_allclose(scaled[0] - scaled_params[0], 10 * (base[0] - params[0]),
                               rtol=1e-4)
    np.testing.assert_array_equal(scaled[1], base[1])


def test_lamb_zero_weights_use_ratio_one():
    g = np.array([1.0, -2.0], "float32")
    v = ember.Variable(np.zeros(2, "float32"))
    Lamb(learning_rate=0.1, epsilon=0.0).apply([g], [v])
    # first step: m_hat = g, sqrt(v_hat) = |g|, update = sign(g)
    np.testing.assert_allclose(v.numpy(), -0.1 * np.sign(g), rtol=1e-6)


# -- ScheduleFreeAdamW ----------------------------------------------------------------------------
def test_schedule_free_momentum_starts_at_the_weights():
    params, _ = _problem(7)
    variables = [ember.Variable(p.copy()) for p in params]
    opt = ScheduleFreeAdamW()
    opt.build(variables)
    momentum = [v for v in opt.variables if v.name.endswith("_momentum")]
    for m, p in zip(momentum, params):
        np.testing.assert_array_equal(m.numpy(), p)


def test_schedule_free_warmup_scales_the_first_steps():
    """During warmup the iterate z moves by lr * t / warmup_steps: with zero second moment
    decay (beta_2 = 0) the first step moves z by lr / warmup * sign(g)."""
    g = np.array([2.0, -0.5], "float32")
    v = ember.Variable(np.zeros(2, "float32"))
    opt = ScheduleFreeAdamW(learning_rate=0.1, beta_2=0.0, epsilon=0.0, warmup_steps=4)
    opt.apply([g], [v])
    z = [w for w in opt.variables if w.name.endswith("_momentum")][0]
    np.testing.assert_allclose(z.numpy(), -0.1 / 4 * np.sign(g), rtol=1e-6)


# -- Adafactor ------------------------------------------------------------------------------------
def test_adafactor_factored_slot_shapes():
    variables = [ember.Variable(np.ones((2, 3, 4), "float32"), name="k"),
                 ember.Variable(np.ones((4,), "float32"), name="b")]
    opt = Adafactor()
    opt.build(variables)
    assert [(v.name, tuple(v.shape), str(v.dtype)) for v in opt.variables[2:]] == [
        ("k", (2, 3), "float32"), ("k", (2, 4), "float32"), ("k_velocity", (2, 3, 4), "float32"),
        ("b", (), "int32"), ("b", (), "int32"), ("b_velocity", (4,), "float32")]


def test_adafactor_velocity_is_the_outer_product_of_the_factors():
    rng = np.random.default_rng(8)
    g = rng.standard_normal((3, 5)).astype("float32")
    v = ember.Variable(rng.standard_normal((3, 5)).astype("float32"))
    opt = Adafactor(epsilon_1=0.0)
    opt.apply([g], [v])
    # step 1: beta = 1 - 1 ** decay = 0, so r and c are the row and column means of g^2
    g2 = g.astype("float64") ** 2
    r, c = g2.mean(axis=1), g2.mean(axis=0)
    velocity = opt.variables[4].numpy()
    np.testing.assert_allclose(opt.variables[2].numpy(), r, rtol=1e-6)
    np.testing.assert_allclose(opt.variables[3].numpy(), c, rtol=1e-6)
    np.testing.assert_allclose(velocity, np.outer(r / r.mean(), c), rtol=1e-5)


# -- Muon -----------------------------------------------------------------------------------------
def test_muon_orthogonalization_flattens_the_spectrum():
    """Singular values 10, 3, 1, 0.3 all come out near 1 (the quintic's band is about
    0.7-1.2), with the singular vectors kept."""
    rng = np.random.default_rng(9)
    u, _ = np.linalg.qr(rng.standard_normal((6, 4)))
    v, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    tall = (u * [10.0, 3.0, 1.0, 0.3]) @ v.T
    for x in [tall, tall.T]:  # tall matrices are transposed, then back
        x = x.astype("float32")
        out = Muon().zeropower_via_newtonschulz5(x, 5)
        assert out.shape == x.shape and out.dtype == np.float32
        singular = np.linalg.svd(out.astype("float64"), compute_uv=False)
        assert singular.max() < 1.3 and singular.min() > 0.6, singular
        # the same singular vectors: out is close to U V^T
        np.testing.assert_allclose(out, (u @ v.T if x.shape == (6, 4) else v @ u.T), atol=0.35)


def test_muon_rejects_vectors_in_newton_schulz():
    with pytest.raises(ValueError, match=r"at least 2 dimensions. Received: shape=\(3,\)"):
        Muon().zeropower_via_newtonschulz5(np.ones(3, "float32"), 5)


def test_muon_chooses_adamw_for_non_matrices_embeddings_and_excluded_layers():
    def var(shape, path):
        v = ember.Variable(np.ones(shape, "float32"))
        v.path = path
        return v

    opt = Muon(exclude_layers=["head/.*"])
    assert not opt._should_use_adamw(var((3, 4), "dense/kernel"))
    assert opt._should_use_adamw(var((4,), "dense/bias"))
    assert opt._should_use_adamw(var((2, 3, 4), "conv/kernel"))
    assert opt._should_use_adamw(var((10, 4), "Embedding/embeddings"))
    assert opt._should_use_adamw(var((3, 4), "head/kernel"))
    assert not Muon(exclude_embeddings=False)._should_use_adamw(
        var((10, 4), "embedding/embeddings"))


def test_muon_weight_decay_per_kind():
    """The kernel decays by weight_decay, the bias by adam_weight_decay (zero gradients, so
    only the decay and Adam's zero step act)."""
    k = ember.Variable(np.ones((2, 3), "float32"), name="kernel")
    b = ember.Variable(np.ones((3,), "float32"), name="bias")
    opt = Muon(learning_rate=0.1, weight_decay=0.5, adam_weight_decay=0.2)
    opt.apply([np.zeros((2, 3), "float32"), np.zeros(3, "float32")], [k, b])
    np.testing.assert_allclose(k.numpy(), 1 - 0.5 * 0.1, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), 1 - 0.2 * 0.1, rtol=1e-6)
