"""Text classification with an Embedding: is a movie review positive or negative?

Words arrive as integer ids (the IMDB dataset gives each review as a list of word indices).
An ``Embedding`` layer turns every id into a learned vector of numbers; words used in similar
ways end up with similar vectors. ``GlobalAveragePooling1D`` averages the vectors of a review
into one (ignoring the padding, thanks to ``mask_zero=True``), and a small Dense network reads
the sentiment off that average. It is a "bag of words" model: fast, and about 0.88 accurate on
IMDB, though it cannot see word order (see sequence_lstm.py for a model that can).

Run it with::

    python examples/text_classification.py                 # IMDB (downloads it once)
    python examples/text_classification.py --toy           # made-up reviews, no download
"""

import argparse

import numpy as np

import ember as keras
from ember import layers

VOCAB = 10000   # keep the 10,000 most frequent words; rarer ones become "unknown"
MAXLEN = 200    # cut (or pad) every review to 200 words


def pad(sequences, maxlen):
    """Lists of word ids -> an (n, maxlen) int array, padded with 0 at the end (0 means "no
    word": the Embedding's mask_zero makes later layers skip it)."""
    out = np.zeros((len(sequences), maxlen), dtype="int64")
    for i, seq in enumerate(sequences):
        seq = list(seq)[:maxlen]
        out[i, :len(seq)] = seq
    return out


def toy_reviews(n, seed=0, vocab=200, maxlen=30):
    """Made-up reviews with a learnable rule: ids 10-19 are "good" words, 20-29 "bad" ones,
    the rest neutral filler; a review is positive when it has more good than bad words."""
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for _ in range(n):
        length = rng.integers(12, maxlen + 1)
        words = rng.integers(30, vocab, size=length)
        good, bad = rng.integers(0, 5, size=2)
        if good == bad:
            good += 1
        slots = rng.choice(length, size=good + bad, replace=False)
        words[slots[:good]] = rng.integers(10, 20, size=good)
        words[slots[good:]] = rng.integers(20, 30, size=bad)
        seqs.append(words)
        labels.append(int(good > bad))
    return pad(seqs, maxlen), np.array(labels)


def build_model(vocab=VOCAB, embed_dim=16):
    return keras.Sequential([
        # each word id -> a 16-number vector, learned; id 0 is padding and is masked out
        layers.Embedding(vocab, embed_dim, mask_zero=True),
        # the average of the (unmasked) word vectors: one vector per review
        layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),   # the probability that the review is positive
    ])


def main(limit=None, epochs=5, batch_size=32, data=None, vocab=VOCAB, seed=0, verbose=2):
    """Train the classifier and return its test accuracy.

    Args:
        limit: use only the first ``limit`` training reviews.
        data: ``((x_train, y_train), (x_test, y_test))`` with padded id arrays; by default
            IMDB through ``keras.datasets.imdb.load_data``.
        vocab: the number of word ids (the Embedding's ``input_dim``).
    """
    keras.utils.set_random_seed(seed)
    if data is None:
        (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=vocab)
        x_train, x_test = pad(x_train, MAXLEN), pad(x_test, MAXLEN)
    else:
        (x_train, y_train), (x_test, y_test) = data
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]

    model = build_model(vocab)
    # binary crossentropy: one yes/no answer per review
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
              verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--toy", action="store_true", help="made-up reviews instead of IMDB")
    args = parser.parse_args()
    if args.toy:
        toy = (toy_reviews(4000, seed=1), toy_reviews(1000, seed=2))
        main(limit=args.limit, epochs=args.epochs, data=toy, vocab=200)
    else:
        main(limit=args.limit, epochs=args.epochs)
