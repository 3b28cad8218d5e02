"""``ember.wrappers``, as ``keras.wrappers``: scikit-learn estimators around ember models."""

from ember.wrappers.sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
