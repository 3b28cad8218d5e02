"""ember.wrappers against keras.wrappers: constructor parameters, fitted attributes, target
encoding, prediction shapes and dtypes, scikit-learn tags and errors."""

import contextlib
import inspect

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402

import ember  # noqa: E402
import ember.wrappers  # noqa: E402

NAMES = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
QUIET = {"epochs": 1, "verbose": 0}


def builder(lib, seen=None, loss="categorical_crossentropy", compiled=True):
    """A model callable written against ``lib`` (ember or keras); records the y it gets."""
    def build(X, y):
        if seen is not None:
            seen.append(y)
        inputs = lib.Input((X.shape[1],))
        outputs = lib.layers.Dense(y.shape[1] if y.ndim > 1 else 1)(inputs)
        model = lib.Model(inputs, outputs)
        if compiled:
            model.compile(loss=loss, optimizer="adam")
        return model
    return build


def data(n=24, n_features=3):
    rng = np.random.RandomState(0)
    return rng.randn(n, n_features), np.arange(n) % 3


def both(keras, name, **kwargs):
    """The same wrapper, built from ember and from Keras."""
    return (getattr(ember.wrappers, name)(**{**kwargs, "model": kwargs["model"](ember)}),
            getattr(keras.wrappers, name)(**{**kwargs, "model": kwargs["model"](keras)}))


def public_fitted(est):
    return sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("_"))


@pytest.mark.parametrize("name", NAMES)
def test_same_constructor_and_params(keras, name):
    ours, theirs = getattr(ember.wrappers, name), getattr(keras.wrappers, name)
    sig = {p.name: p.default for p in inspect.signature(ours).parameters.values()}
    assert sig == {p.name: p.default for p in inspect.signature(theirs).parameters.values()}
    kwargs = {"warm_start": True, "model_kwargs": {"a": 1}, "fit_kwargs": {"epochs": 2}}
    e, k = ours(model=len, **kwargs), theirs(model=len, **kwargs)
    assert e.get_params() == k.get_params()


@pytest.mark.parametrize("name", NAMES)
def test_same_scikit_learn_tags(keras, name):
    e, k = both(keras, name, model=lambda lib: builder(lib))
    te, tk = get_tags(e), get_tags(k)
    assert te.estimator_type == tk.estimator_type
    assert te.non_deterministic == tk.non_deterministic
    for part in ("classifier_tags", "regressor_tags"):
        assert (getattr(te, part) is None) == (getattr(tk, part) is None)
        if getattr(te, part) is not None:
            assert getattr(te, part).poor_score == getattr(tk, part).poor_score
    if tk.transformer_tags is not None:
        assert te.transformer_tags.preserves_dtype == tk.transformer_tags.preserves_dtype


@pytest.mark.parametrize("labels", [np.array([4, 8, 9]), np.array(["a", "b", "c"]),
                                    np.array([False, True, True])])
def test_classifier_encoding_and_outputs(keras, labels):
    X, codes = data()
    y = labels[codes]
    seen_e, seen_k = [], []
    e = ember.wrappers.SKLearnClassifier(builder(ember, seen_e), fit_kwargs=QUIET).fit(X, y)
    k = keras.wrappers.SKLearnClassifier(builder(keras, seen_k), fit_kwargs=QUIET).fit(X, y)
    assert public_fitted(e) == public_fitted(k)
    np.testing.assert_array_equal(e.classes_, k.classes_)
    assert e.classes_.dtype == k.classes_.dtype and e.n_features_in_ == k.n_features_in_
    # the same one-hot targets (Keras's are float64, ember's its float32 default)
    np.testing.assert_array_equal(seen_e[0], seen_k[0])
    assert seen_e[0].dtype == np.float32
    for method in ("predict", "decision_function"):
        pe, pk = getattr(e, method)(X), np.asarray(getattr(k, method)(X))
        assert (pe.shape, pe.dtype) == (pk.shape, pk.dtype), method


@pytest.mark.parametrize("name, method, y", [
    ("SKLearnRegressor", "predict", np.linspace(-1, 1, 24)),
    ("SKLearnRegressor", "predict", np.linspace(-1, 1, 24)[:, None]),
    ("SKLearnTransformer", "transform", np.linspace(-1, 1, 24)),
])
def test_regressor_and_transformer_outputs(keras, name, method, y):
    X, _ = data()
    seen_e, seen_k = [], []
    e = getattr(ember.wrappers, name)(builder(ember, seen_e, loss="mse"), fit_kwargs=QUIET)
    k = getattr(keras.wrappers, name)(builder(keras, seen_k, loss="mse"), fit_kwargs=QUIET)
    for est in (e, k):
        # both ravel a column y, with scikit-learn's DataConversionWarning
        with pytest.warns(UserWarning, match="column-vector") if y.ndim == 2 \
                else contextlib.nullcontext():
            est.fit(X, y)
    assert public_fitted(e) == public_fitted(k)
    assert seen_e[0].shape == seen_k[0].shape
    np.testing.assert_array_equal(seen_e[0], seen_k[0])
    pe, pk = getattr(e, method)(X), np.asarray(getattr(k, method)(X))
    assert (pe.shape, pe.dtype) == (pk.shape, pk.dtype)


def test_a_model_instance_is_cloned_compiled(keras):
    X, y = data()
    e_model, k_model = builder(ember)(X, np.zeros((1, 3))), builder(keras)(X, np.zeros((1, 3)))
    e = ember.wrappers.SKLearnClassifier(e_model, fit_kwargs=QUIET).fit(X, y)
    k = keras.wrappers.SKLearnClassifier(k_model, fit_kwargs=QUIET).fit(X, y)
    assert e.model_ is not e_model and k.model_ is not k_model
    assert e.model_.compiled and k.model_.compiled


def _errors(lib_wrappers, lib, case):
    X, y = data()
    clf = lib_wrappers.SKLearnClassifier
    cases = {
        "uncompiled": lambda: clf(builder(lib, compiled=False)).fit(X, y),
        "continuous": lambda: clf(builder(lib)).fit(X, np.linspace(0, 1, len(X))),
        "one class": lambda: clf(builder(lib)).fit(X, np.zeros(len(X))),
        "unknown label": lambda: clf(builder(lib)).fit(X, np.array([{}] * len(X), dtype=object)),
        "2-D y": lambda: lib_wrappers.SKLearnRegressor(builder(lib, loss="mse")).fit(
            X, np.c_[y, y]),
        "not fitted": lambda: clf(builder(lib)).predict(X),
        "features": lambda: clf(builder(lib), fit_kwargs=QUIET).fit(X, y).predict(X[:, :2]),
    }
    with pytest.raises(Exception) as info:
        cases[case]()
    return info.value


@pytest.mark.parametrize("case, error", [
    ("uncompiled", RuntimeError), ("continuous", ValueError), ("one class", ValueError),
    ("unknown label", ValueError), ("2-D y", ValueError), ("not fitted", NotFittedError),
    ("features", ValueError),
])
def test_same_errors(keras, case, error):
    e = _errors(ember.wrappers, ember, case)
    k = _errors(keras.wrappers, keras, case)
    assert type(e) is type(k) and isinstance(e, error), (e, k)
    if case == "unknown label":
        assert "Unknown label type" in str(e) and "Unknown label type" in str(k)
