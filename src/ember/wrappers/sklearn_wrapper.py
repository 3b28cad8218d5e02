"""scikit-learn estimators around ember models, as ``keras.wrappers``.

scikit-learn is optional: this module imports it when ``ember.wrappers`` is first used (never at
``import ember``), and the estimators say how to install it when it is missing.
"""

from ember import config
from ember.backend import xp

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the classes stay defined; constructing one raises a clear ImportError
    sklearn = None

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


def _assert_sklearn_installed(name):
    # validate_data and __sklearn_tags__ (used below) arrived in scikit-learn 1.6
    if sklearn is None or not hasattr(sklearn.utils.validation, "validate_data"):
        raise ImportError(f"{name} requires scikit-learn>=1.6. Run `pip install -U "
                          "scikit-learn` to install it.")


def _validate_data(estimator, *args, **kwargs):
    from sklearn.utils.validation import validate_data

    return validate_data(estimator, *args, **kwargs)


def _check_is_fitted(estimator):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)


def _check_label_type(estimator, y):
    """``y``'s target type (scikit-learn's ``type_of_target``); an error when it is unknown."""
    from sklearn.utils.multiclass import type_of_target

    target_type = type_of_target(y)
    if target_type == "unknown":
        # scikit-learn's checks (and users' except clauses) look for "Unknown label type"
        raise ValueError(f"{type(estimator).__name__}: Unknown label type for y: {y!r}")
    return target_type


class SKLBase(BaseEstimator):
    """Base class of the scikit-learn wrappers.

    Args:
        model: a compiled ``Model``, or a callable ``model(X=X, y=y, **model_kwargs)`` that
            returns one. A ``Model`` is cloned (``keras.models.clone_model``) before each fit
            unless ``warm_start=True``; a callable is called at each fit.
        warm_start: reuse the fitted model (its weights and optimizer state) on the next fit
            instead of starting from a new one.
        model_kwargs: keyword arguments for ``model`` when it is a callable.
        fit_kwargs: keyword arguments for ``Model.fit``; those given to ``fit`` itself win.

    Attributes:
        model_: the fitted ``Model``.
        history_: the ``History`` that ``Model.fit`` returned.
        n_features_in_: the number of features seen by ``fit``.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        _assert_sklearn_installed(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # weights are initialized and batches shuffled at random
        tags.non_deterministic = True
        return tags

    def _get_model(self, X, y):
        from ember.models import Model

        name = type(self).__name__
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            if self.warm_start:
                return self.model
            from ember.models import clone_model

            model = clone_model(self.model)
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
            if not isinstance(model, Model):
                raise TypeError(f"{name}: the `model` callable must return a Model; it "
                                f"returned {type(model).__name__}.")
        else:
            raise TypeError(f"{name}: `model` must be a Model or a callable that returns one; "
                            f"got {type(self.model).__name__}.")
        if not (model.compiled and model.loss is not None and model.optimizer is not None):
            raise RuntimeError(f"{name}: given model needs to be compiled, and have a loss and "
                               "an optimizer: call model.compile(optimizer=..., loss=...).")
        return model

    def fit(self, X, y, **kwargs):
        """Fit the model on ``X`` (n_samples, n_features) and ``y`` (n_samples,);
        ``kwargs`` go to ``Model.fit`` (e.g. ``epochs``, ``sample_weight``)."""
        # a warm start keeps the fitted model, so the data must keep its shape and labels
        reset = not (self.warm_start and hasattr(self, "model_"))
        X, y = _validate_data(self, X, y, reset=reset)
        y = self._encode_target(y, reset=reset)
        model = self._get_model(X, y)
        self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def _raw_predict(self, X):
        _check_is_fitted(self)
        X = _validate_data(self, X, reset=False)
        return self.model_.predict(X)

    def predict(self, X):
        """Predict the targets of ``X``."""
        return self._decode_target(self._raw_predict(X))

    def _encode_target(self, y, reset):
        """The targets as the model trains on them: fit validated y as 1-D, the model gets a
        column (n_samples, 1)."""
        _check_label_type(self, y)
        return y.reshape(-1, 1)

    def _decode_target(self, raw):
        # y was 1-D, so a single output column goes back to 1-D
        return raw[:, 0] if raw.ndim == 2 and raw.shape[1] == 1 else raw


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around an ember model (``keras.wrappers.SKLearnClassifier``).

    The model trains on one-hot targets, one column per class (two for binary targets), so a
    ``model`` callable can size its output layer from ``y.shape[1]``; ``predict`` returns the
    class of the largest output, ``decision_function`` the raw outputs.

    Args:
        model, warm_start, model_kwargs, fit_kwargs: see ``SKLBase``.

    Attributes:
        model_, history_, n_features_in_: see ``SKLBase``.
        classes_: the sorted class labels seen by ``fit``.

    Example:

    >>> def make_model(X, y, hidden=16):
    ...     inputs = keras.Input((X.shape[1],))
    ...     h = keras.layers.Dense(hidden, activation="relu")(inputs)
    ...     outputs = keras.layers.Dense(y.shape[1], activation="softmax")(h)
    ...     model = keras.Model(inputs, outputs)
    ...     model.compile(loss="categorical_crossentropy", optimizer="adam")
    ...     return model
    >>> clf = SKLearnClassifier(make_model, fit_kwargs={"epochs": 20, "verbose": 0})
    >>> clf.fit(X, y).predict(X)  # doctest: +SKIP
    """

    def decision_function(self, X):
        """The raw model outputs for ``X``, (n_samples, n_classes)."""
        return self._raw_predict(X)

    def _encode_target(self, y, reset):
        name = type(self).__name__
        target_type = _check_label_type(self, y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError(f"{name}: only binary and multiclass target types are supported; "
                             f"got target type {target_type!r}.")
        if reset:
            self.classes_ = xp.unique(y)
            if len(self.classes_) == 1:
                raise ValueError(f"{name}: can't train when only one class is present "
                                 f"({self.classes_.tolist()}).")
        index = xp.searchsorted(self.classes_, y).clip(0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError(f"{name}: y has labels not seen by the first fit: "
                             f"{xp.unique(y[unknown]).tolist()}; known classes: "
                             f"{self.classes_.tolist()}.")
        return xp.eye(len(self.classes_), dtype=config.floatx())[index]

    def _decode_target(self, raw):
        if raw.ndim != 2 or raw.shape[1] != len(self.classes_):
            raise ValueError(f"{type(self).__name__}.predict: the model must return one column "
                             f"per class ({len(self.classes_)}); it returned shape {raw.shape}.")
        return self.classes_[raw.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # a few epochs of a small network need not beat scikit-learn's score thresholds
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor around an ember model (``keras.wrappers.SKLearnRegressor``).

    The model trains on ``y`` as a column (n_samples, 1); ``predict`` returns (n_samples,).

    Args:
        model, warm_start, model_kwargs, fit_kwargs: see ``SKLBase``.

    Attributes:
        model_, history_, n_features_in_: see ``SKLBase``.

    Example:

    >>> def make_model(X, y):
    ...     model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(1)])
    ...     model.compile(loss="mse", optimizer="adam")
    ...     return model
    >>> SKLearnRegressor(make_model).fit(X, y).predict(X)  # doctest: +SKIP
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A scikit-learn transformer around an ember model (``keras.wrappers.SKLearnTransformer``):
    ``fit`` trains the model on ``(X, y)``, ``transform`` returns its outputs (e.g. an
    embedding) as features for the next pipeline step.

    Args:
        model, warm_start, model_kwargs, fit_kwargs: see ``SKLBase``.

    Attributes:
        model_, history_, n_features_in_: see ``SKLBase``.
    """

    def transform(self, X):
        """The model's outputs for ``X``, (n_samples, n_outputs)."""
        return self._raw_predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # the outputs have the model's dtype, whatever the input's
        tags.transformer_tags.preserves_dtype = []
        return tags
