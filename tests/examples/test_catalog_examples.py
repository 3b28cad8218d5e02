"""The layer-catalog examples (examples/mnist_convnet.py, text_classification.py,
sequence_lstm.py) run end to end on small data and learn something."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(f"catalog_example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist_convnet_example(mnist_arrays, capsys):
    example = load("mnist_convnet")
    (x, y), (xt, yt) = mnist_arrays
    acc = example.main(limit=10000, epochs=1, data=((x, y), (xt[:2000], yt[:2000])), verbose=0)
    assert acc > 0.85
    assert "Test accuracy" in capsys.readouterr().out
    model = example.build_model()
    assert [type(l).__name__ for l in model.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"]
    assert model.count_params() == 34826  # as Keras's summary of the same model


def test_text_classification_example():
    example = load("text_classification")
    data = (example.toy_reviews(3000, seed=1), example.toy_reviews(500, seed=2))
    assert example.main(epochs=4, data=data, vocab=200, verbose=0) > 0.9
    padded = example.pad([[5, 6, 7], [1]], 2)
    assert padded.tolist() == [[5, 6], [1, 0]]


def test_sequence_lstm_example():
    example = load("sequence_lstm")
    x, y = example.make_sequences(50, seed=3)
    assert x.shape == (50, example.MAXLEN) and set(y.tolist()) <= {0, 1}
    for row, label in zip(x, y):  # the rule the model must learn
        where_a, where_b = list(row).index(example.A), list(row).index(example.B)
        assert label == int(where_a < where_b)
    assert example.main(limit=3000, epochs=4, verbose=0) > 0.9


@pytest.mark.parametrize("name", ["mnist_convnet", "text_classification", "sequence_lstm"])
def test_examples_have_a_main_with_limit_and_epochs(name):
    import inspect

    params = inspect.signature(load(name).main).parameters
    assert "limit" in params and "epochs" in params
