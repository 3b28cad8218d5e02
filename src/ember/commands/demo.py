"""``ember demo``: the tutorial network on MNIST (or Fashion-MNIST), anywhere.

When the dataset can be neither found nor downloaded (an offline machine), it says so in one
line and trains on the 8x8 handwritten digits that scikit-learn ships, when it is installed.
"""

from ember.cli import command


def register(parser):
    """Train the tutorial network and print its test accuracy."""
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--verbose", type=int, default=2, choices=[0, 1, 2])


def load(dataset):
    """``((x_train, y_train), (x_test, y_test), description)``, falling back to scikit-learn's
    digits when the dataset cannot be had."""
    import importlib

    from ember.backend import np

    module = importlib.import_module(f"ember.datasets.{dataset}")
    try:
        (x, y), (xt, yt) = module.load_data()
        return (x / np.float32(255), y), (xt / np.float32(255), yt), f"{dataset} (28x28)"
    except (OSError, ValueError) as e:
        reason = str(e).splitlines()[0]
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit(
            f"ember demo: {dataset} is unavailable ({reason}), and the fallback needs "
            "scikit-learn: pip install 'ember[examples]'"
        ) from None
    print(f"{dataset} is unavailable ({reason}); training on scikit-learn's 8x8 digits instead.")
    digits = load_digits()
    images = (digits.images / np.float32(16)).astype("float32")
    labels = digits.target.astype("uint8")
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    cut = int(len(images) * 0.8)
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:]), "sklearn digits (8x8)"


@command("demo")(register)
def run(args):
    import ember
    from ember import layers

    (x, y), (xt, yt), description = load(args.dataset)
    model = ember.Sequential([
        layers.Flatten(input_shape=x.shape[1:]),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose)
    loss, acc = model.evaluate(xt, yt, verbose=0)
    print(f"{description}: test accuracy {acc:.4f} (loss {loss:.4f})")
    return 0
