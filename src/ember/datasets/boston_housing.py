"""Boston Housing prices, as ``keras.datasets.boston_housing``.

Keras warns that this dataset has an ethical problem (its "B" variable); prefer
``california_housing`` except to illustrate that problem.
"""

from ember.datasets import _common


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads Boston Housing: ``(x_train, y_train), (x_test, y_test)``.

    x: float64 ``(N, 13)``; y: float64 ``(N,)`` median values in k$. The 506 samples are
    shuffled with ``seed`` and the last ``test_split`` of them are the test set, as in Keras.
    """
    arrays = _common.load_npz(_common.fetch("boston_housing.npz", path), keys=("x", "y"))
    return _common.split(arrays["x"], arrays["y"], test_split, seed)
