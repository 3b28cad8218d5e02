"""The tutorial network trained with the Keras API on real MNIST."""

import numpy as np

import ember as tf
from ember.keras import layers, models


def test_tutorial_network_reaches_threshold_on_mnist_subset(mnist_arrays):
    (x, y), (xt, yt) = mnist_arrays
    x, y = x[:12000] / 255.0, y[:12000]
    xt, yt = xt / 255.0, yt
    tf.utils.set_random_seed(0)
    model = models.Sequential([layers.Flatten(input_shape=(28, 28)),
                               layers.Dense(128, activation="relu"),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["accuracy"][-1] > history.history["accuracy"][0]
    _, acc = model.evaluate(xt, yt, verbose=0)
    assert acc >= 0.94
    assert model.predict(xt[:5], verbose=0).dtype == np.float32


def test_seed_tutorial_example_runs(mnist_npz, monkeypatch, tmp_path):
    """examples/seed_tutorial.py through ember's own loader, on a subset."""
    import importlib.util
    from pathlib import Path

    home = tmp_path / "ember_home"
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "mnist.npz").symlink_to(mnist_npz)
    monkeypatch.setenv("EMBER_HOME", str(home))
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    path = Path(__file__).resolve().parents[2] / "examples" / "seed_tutorial.py"
    spec = importlib.util.spec_from_file_location("seed_tutorial", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    acc = module.main(epochs=1, limit=6000, verbose=0)
    assert acc >= 0.88
