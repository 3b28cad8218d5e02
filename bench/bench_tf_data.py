"""What a ``tf.data`` input pipeline costs ``fit``: the README's W1 MNIST MLP trained from
in-memory arrays, and from a Dataset that shuffles and batches the uint8 images, then decodes
(-> float32 / 255) and augments them, without and with ``prefetch(AUTOTUNE)``. Two
augmentations: a random one-pixel shift of each image in ember ops, and a random horizontal
flip of each image in NumPy.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_tf_data.py [--epochs 3]

The pipeline is written the way TensorFlow's guide recommends for speed: shuffle the (uint8)
rows, batch, then map the decode/augment function over whole batches. Prints seconds per epoch
(medians, first epoch skipped; the three runs take turns epoch by epoch so that a busy
neighbour hurts them alike), the ratios pipeline / arrays (target with prefetch: <= 1.10), the
BLAS library that ran, and how busy the other CPUs were.
"""

import argparse
import time

import numpy as np
from _common import cpu_busy_during, load_mnist, median


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return "; ".join(f"{p.get('internal_api')} {p.get('version')} kernel "
                     f"{p.get('architecture')} ({p.get('num_threads')} threads)"
                     for p in pools) or "no BLAS pool found"


def build_model():
    import ember
    from ember import layers

    model = ember.Sequential([layers.Input((28, 28)), layers.Flatten(),
                              layers.Dense(128, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def decode_and_shift(images, labels):
    """uint8 batch -> float32 in [0, 1], each image shifted by one pixel left or right at
    random (zeros come in at the edge)."""
    import ember
    from ember import ops

    x = ops.cast(images, "float32") / 255.0
    pad = ops.pad(x, [[0, 0], [0, 0], [1, 1]])
    left, right = pad[:, :, 2:], pad[:, :, :-2]
    coin = ember.random.uniform((ops.shape(x)[0], 1, 1)) < 0.5
    return ops.where(coin, left, right), labels


_rng = np.random.default_rng(0)


def decode_and_flip(images, labels):
    """uint8 batch -> float32 in [0, 1], each image mirrored left-right at random (NumPy)."""
    x = images.numpy().astype(np.float32)
    x *= np.float32(1 / 255)
    flip = _rng.random(len(x)) < 0.5
    x[flip] = x[flip, :, ::-1]
    return x, labels


def make_dataset(x, y, prefetch, augment=decode_and_shift):
    from ember.tf import data

    ds = (data.Dataset.from_tensor_slices((x, y))
          .shuffle(10_000, seed=0)
          .batch(32)
          .map(augment))
    return ds.prefetch(data.AUTOTUNE) if prefetch else ds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    import warnings

    import ember

    warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
    (x, y), (xt, yt) = load_mnist()
    x_float, xt_float = (x / 255.0).astype("float32"), (xt / 255.0).astype("float32")
    ember.utils.set_random_seed(0)
    # name -> (model, what fit trains on)
    runs = {
        "arrays": (build_model(), None),
        "dataset": (build_model(), make_dataset(x, y, False)),
        "dataset+prefetch": (build_model(), make_dataset(x, y, True)),
        "numpy-aug dataset": (build_model(), make_dataset(x, y, False, decode_and_flip)),
        "numpy-aug +prefetch": (build_model(), make_dataset(x, y, True, decode_and_flip)),
    }

    def fit(model, ds):
        if ds is None:
            return model.fit(x_float, y, batch_size=32, epochs=1, verbose=0)
        return model.fit(ds, epochs=1, verbose=0)

    times = {k: [] for k in runs}
    busy = {k: [] for k in runs}
    t0 = time.time()
    for _ in range(args.epochs):
        for name, (model, ds) in runs.items():
            _, seconds, b = cpu_busy_during(lambda m=model, d=ds: fit(m, d))
            times[name].append(seconds)
            busy[name].append(b)
    skip = 1 if args.epochs > 1 else 0
    print(f"W1 MNIST MLP, batch 32, {args.epochs} epochs each ({time.time() - t0:.0f} s in all)")
    print(f"BLAS: {blas_info()}")
    print(f"{'':22}{'s/epoch':>9}{'best':>8}{'test acc':>10}{'other CPU busy':>16}")
    base = median(times["arrays"][skip:])
    for name, (model, _) in runs.items():
        _, acc = model.evaluate(xt_float, yt, verbose=0)
        print(f"{name:22}{median(times[name][skip:]):9.3f}{min(times[name][skip:]):8.3f}"
              f"{acc:10.4f}{median(busy[name]):16.0%}")
    for name in list(runs)[1:]:
        ratio = median(times[name][skip:]) / base
        target = " (target <= 1.10)" if "prefetch" in name else ""
        print(f"ratio {name} / arrays: {ratio:.2f}{target}")
    return times


if __name__ == "__main__":
    main()
