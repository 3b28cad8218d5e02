"""The scikit-learn wrappers in use: label encoding, model handling, warm starts, errors, and
scikit-learn's model selection tools on its bundled datasets."""

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_regression  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.frozen import FrozenEstimator  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import ember  # noqa: E402
from ember.wrappers import (  # noqa: E402
    SKLearnClassifier,
    SKLearnRegressor,
    SKLearnTransformer,
    sklearn_wrapper,
)

QUIET = {"verbose": 0}


def mlp(X, y, loss="categorical_crossentropy", activation="softmax", hidden=16,
        learning_rate=0.01):
    """An MLP sized from the data, as the callables the wrappers take are."""
    inputs = ember.Input((X.shape[1],))
    h = ember.layers.Dense(hidden, activation="relu")(inputs)
    outputs = ember.layers.Dense(y.shape[1], activation=activation)(h)
    model = ember.Model(inputs, outputs)
    model.compile(loss=loss, optimizer=ember.optimizers.Adam(learning_rate))
    return model


def recording(seen):
    """An ``mlp`` that records the (X, y) each fit builds it from."""
    def build(X, y, **kwargs):
        seen.append((X, y))
        return mlp(X, y, **kwargs)
    return build


def data(n=30, n_features=4, n_classes=3, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(n, n_features), np.arange(n) % n_classes


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


# -- the package -----------------------------------------------------------------------------------
def test_reached_from_ember_without_importing_sklearn_at_import_ember():
    assert ember.wrappers.SKLearnClassifier is SKLearnClassifier
    code = "import sys, ember; print('sklearn' in sys.modules, 'ember.wrappers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_missing_sklearn_says_how_to_install(monkeypatch):
    monkeypatch.setattr(sklearn_wrapper, "sklearn", None)
    for cls in (SKLearnClassifier, SKLearnRegressor, SKLearnTransformer):
        with pytest.raises(ImportError, match=f"{cls.__name__} requires scikit-learn>=1.6"):
            cls(mlp)


# -- classifier: label encoding --------------------------------------------------------------------
@pytest.mark.parametrize("labels", [np.array([3, 7, 11]), np.array(["cat", "dog", "eel"]),
                                    np.array([-1.0, 0.0, 2.0])])
def test_classifier_trains_on_one_hot_and_predicts_the_labels(labels):
    X, codes = data(n_classes=3)
    y = labels[codes]
    seen = []
    clf = SKLearnClassifier(recording(seen), fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    _, y_seen = seen[0]
    assert y_seen.dtype == np.float32
    np.testing.assert_array_equal(y_seen, np.eye(3, dtype="float32")[codes])
    raw = clf.decision_function(X)
    assert raw.shape == (len(X), 3) and raw.dtype == np.float32
    pred = clf.predict(X)
    assert pred.dtype == y.dtype
    np.testing.assert_array_equal(pred, clf.classes_[raw.argmax(axis=1)])


def test_binary_targets_get_two_columns():
    X, y = data(n_classes=2)
    seen = []
    clf = SKLearnClassifier(recording(seen), fit_kwargs=QUIET).fit(X, y == 1)
    assert seen[0][1].shape == (len(X), 2)
    np.testing.assert_array_equal(clf.classes_, [False, True])
    assert clf.predict(X).dtype == bool
    assert clf.decision_function(X).shape == (len(X), 2)


def test_classifier_score_is_accuracy():
    X, y = data()
    clf = SKLearnClassifier(mlp, fit_kwargs={"epochs": 3, **QUIET}).fit(X, y)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))


# -- regressor and transformer ---------------------------------------------------------------------
def test_regressor_trains_on_a_column_and_predicts_1d():
    X, y = make_regression(n_samples=64, n_features=3, noise=0.1, random_state=0)
    y = y / y.std()
    seen = []
    reg = SKLearnRegressor(recording(seen), model_kwargs={"loss": "mse", "activation": None},
                           fit_kwargs={"epochs": 150, **QUIET})
    reg.fit(X, y)
    assert seen[0][1].shape == (64, 1)
    pred = reg.predict(X)
    assert pred.shape == (64,) and pred.dtype == np.float32
    assert reg.score(X, y) > 0.9  # the data is linear: an MLP fits it closely
    with pytest.warns(UserWarning, match="column-vector y"):  # scikit-learn's DataConversionWarning
        reg.fit(X, y[:, None], epochs=1)
    assert reg.predict(X).shape == (64,)


def test_transformer_outputs_the_model_outputs():
    X, y = data()
    tr = SKLearnTransformer(mlp, model_kwargs={"loss": "mse", "activation": None},
                            fit_kwargs=QUIET)
    out = tr.fit_transform(X, y)
    assert out.shape == (len(X), 1) and out.dtype == np.float32
    np.testing.assert_allclose(out, tr.model_.predict(X, verbose=0), rtol=1e-6)


def test_frozen_transformer_feeds_a_pipeline(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    # the embedding: one learned feature, regressed on the class index
    embed = SKLearnTransformer(mlp, model_kwargs={"loss": "mse", "activation": None},
                               fit_kwargs={"epochs": 40, "batch_size": 16, **QUIET})
    embed.fit(X, y)
    frozen = FrozenEstimator(embed)
    pipe = make_pipeline(frozen, LogisticRegression()).fit(X, y)
    assert frozen.estimator.model_ is embed.model_  # fitting the pipeline did not refit it
    assert pipe.score(X, y) > 0.85


# -- model handling --------------------------------------------------------------------------------
def test_fitted_attributes_and_history():
    X, y = data()
    clf = SKLearnClassifier(mlp, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    assert sorted(k for k in vars(clf) if k.endswith("_") and not k.startswith("_")) == [
        "classes_", "history_", "model_", "n_features_in_"]
    assert clf.n_features_in_ == 4
    assert isinstance(clf.history_, ember.callbacks.History)
    assert len(clf.history_.history["loss"]) == 2


def test_fit_arguments_override_fit_kwargs_without_changing_them():
    X, y = data()
    fit_kwargs = {"epochs": 1, **QUIET}
    clf = SKLearnClassifier(mlp, fit_kwargs=fit_kwargs).fit(X, y, epochs=3)
    assert len(clf.history_.history["loss"]) == 3
    assert clf.fit_kwargs == {"epochs": 1, **QUIET} and clf.fit_kwargs is fit_kwargs


def test_sample_weight_reaches_model_fit():
    X, y = data()
    weights = np.zeros(len(X))
    clf = SKLearnClassifier(mlp, fit_kwargs={"epochs": 1, **QUIET})
    clf.fit(X, y, sample_weight=weights)
    assert clf.history_.history["loss"] == [0.0]  # every sample weighted out


def test_model_instance_is_cloned_with_its_compile_settings():
    X, y = data()
    model = mlp(X, np.zeros((1, 3)), learning_rate=0.05)
    before = [w.copy() for w in model.get_weights()]
    clf = SKLearnClassifier(model, fit_kwargs=QUIET).fit(X, y)
    assert clf.model_ is not model and clf.model_.compiled
    assert clf.model_.optimizer is not model.optimizer
    assert clf.model_.optimizer.learning_rate.numpy() == pytest.approx(0.05)
    for a, b in zip(model.get_weights(), before):  # the given model is left untouched
        np.testing.assert_array_equal(a, b)


def test_callable_is_called_at_each_fit_without_warm_start():
    X, y = data()
    clf = SKLearnClassifier(mlp, fit_kwargs=QUIET).fit(X, y)
    first = clf.model_
    assert clf.fit(X, y).model_ is not first


def test_warm_start_keeps_training_the_same_model():
    X, y = data()
    clf = SKLearnClassifier(mlp, warm_start=True, fit_kwargs={"epochs": 2, **QUIET}).fit(X, y)
    model = clf.model_
    clf.fit(X, y)
    assert clf.model_ is model
    assert int(model.optimizer.iterations.numpy()) == 2 * 2  # one batch per epoch, 2 fits


def test_warm_start_with_a_model_instance_trains_it_in_place():
    X, y = data()
    model = mlp(X, np.zeros((1, 3)))
    clf = SKLearnClassifier(model, warm_start=True, fit_kwargs=QUIET).fit(X, y)
    assert clf.model_ is model


def test_warm_start_requires_the_same_features_and_labels():
    X, y = data()
    clf = SKLearnClassifier(mlp, warm_start=True, fit_kwargs=QUIET).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but SKLearnClassifier is expecting 4"):
        clf.fit(X[:, :3], y)
    with pytest.raises(ValueError, match=r"labels not seen by the first fit: \[5\]"):
        clf.fit(X, np.where(y == 2, 5, y))


def test_clone_keeps_every_parameter():
    est = SKLearnRegressor(mlp, warm_start=True, model_kwargs={"hidden": 4},
                           fit_kwargs={"epochs": 3})
    assert clone(est).get_params() == est.get_params()
    # a Model parameter is deep-copied, so clones never share weights
    model = mlp(data()[0], np.zeros((1, 3)))
    copied = clone(SKLearnClassifier(model)).model
    assert copied is not model and isinstance(copied, ember.Model)
    for a, b in zip(copied.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- model selection on iris -----------------------------------------------------------------------
def test_cross_val_score_of_a_pipeline_on_iris(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(),
                         SKLearnClassifier(mlp, fit_kwargs={"epochs": 40, "batch_size": 16,
                                                            **QUIET}))
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,)
    assert scores.mean() > 0.85


def test_grid_search_over_model_and_fit_kwargs_on_iris(iris):
    X, y = iris
    X = StandardScaler().fit_transform(X)
    search = GridSearchCV(
        SKLearnClassifier(mlp, fit_kwargs=QUIET),
        {"model_kwargs": [{"hidden": 2, "learning_rate": 0.001}, {"hidden": 16}],
         "fit_kwargs": [{"epochs": 40, "batch_size": 16, **QUIET}]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0))
    search.fit(X, y)
    # a tiny, slowly-learning network loses to a larger one trained at a useful rate
    assert search.best_params_["model_kwargs"] == {"hidden": 16}
    assert search.best_score_ > 0.85
    assert search.best_estimator_.score(X, y) > 0.85


# -- errors ----------------------------------------------------------------------------------------
def test_model_must_be_compiled():
    def uncompiled(X, y):
        inputs = ember.Input((X.shape[1],))
        return ember.Model(inputs, ember.layers.Dense(3)(inputs))

    with pytest.raises(RuntimeError, match="needs to be compiled, and have a loss"):
        SKLearnClassifier(uncompiled).fit(*data())

    def no_loss(X, y):
        model = uncompiled(X, y)
        model.compile(optimizer="adam")
        return model

    with pytest.raises(RuntimeError, match="needs to be compiled, and have a loss"):
        SKLearnClassifier(no_loss).fit(*data())


def test_model_must_be_a_model_or_a_callable_returning_one():
    with pytest.raises(TypeError, match="`model` must be a Model or a callable.*got str"):
        SKLearnRegressor("mlp").fit(*data())
    with pytest.raises(TypeError, match="the `model` callable must return a Model; it returned "
                                        "dict"):
        SKLearnRegressor(lambda X, y: {}).fit(*data())


def test_classifier_rejects_targets_it_cannot_encode():
    X, _ = data()
    clf = SKLearnClassifier(mlp)
    with pytest.raises(ValueError, match="only binary and multiclass.*'continuous'"):
        clf.fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match=r"only one class is present \(\[4\]\)"):
        clf.fit(X, np.full(len(X), 4))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, np.array([{}] * len(X), dtype=object))


def test_regressor_and_transformer_reject_unknown_and_2d_targets():
    X, y = data()
    for cls in (SKLearnRegressor, SKLearnTransformer):
        with pytest.raises(ValueError, match=f"{cls.__name__}: Unknown label type"):
            cls(mlp).fit(X, np.array([{}] * len(X), dtype=object))
        with pytest.raises(ValueError, match=r"y should be a 1d array, got an array of shape "
                                             r"\(30, 2\)"):
            cls(mlp).fit(X, np.c_[y, y])


def test_predicting_before_fit_or_with_other_features_fails():
    X, y = data()
    for method in ("predict", "decision_function"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(SKLearnClassifier(mlp), method)(X)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        SKLearnTransformer(mlp).transform(X)
    clf = SKLearnClassifier(mlp, fit_kwargs=QUIET).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but SKLearnClassifier is expecting 4"):
        clf.predict(X[:, :2])


def test_classifier_model_must_output_one_column_per_class():
    def one_output(X, y):
        # one output unit, trained to match the row sums of the one-hot targets (all ones)
        def loss(y_true, y_pred):
            target = ember.ops.sum(y_true, axis=-1, keepdims=True)
            return ember.ops.mean(ember.ops.square(target - y_pred), axis=-1)

        return mlp(X, y[:, :1], activation=None, loss=loss)

    X, y = data()
    clf = SKLearnClassifier(one_output, fit_kwargs=QUIET)
    with pytest.raises(ValueError, match=r"one column per class \(3\); it returned shape "
                                         r"\(30, 1\)"):
        clf.fit(X, y).predict(X)
