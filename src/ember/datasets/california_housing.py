"""California Housing prices, as ``keras.datasets.california_housing``."""

from ember.datasets import _common


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads California Housing: ``(x_train, y_train), (x_test, y_test)``.

    ``version``: ``"large"`` (20,640 samples) or ``"small"`` (the first 600). x: ``(N, 8)``
    (MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude, Longitude);
    y: ``(N,)`` median house values in dollars. Shuffled with ``seed`` and split as Keras.
    """
    if version not in ("small", "large"):
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: version={version}"
        )
    _common.check_test_split(test_split)
    arrays = _common.load_npz(_common.fetch("california_housing.npz", path), keys=("x", "y"))
    x, y = arrays["x"], arrays["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return _common.split(x, y, test_split, seed)
