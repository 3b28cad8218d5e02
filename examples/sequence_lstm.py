"""Sequence classification with an LSTM: a task where word order matters.

Each sequence is a list of random tokens of varying length that contains two special tokens,
A and B, somewhere. The label is 1 when A comes before B. An average of the token vectors (the
bag of words of text_classification.py) cannot solve this: both orders have the same tokens.
An ``LSTM`` reads the sequence one step at a time, carrying a memory (its state) from step to
step, so it can remember "I have already seen A" when B arrives.

The sequences are padded with 0 to the same length; ``Embedding(mask_zero=True)`` marks the
padding, and the LSTM then skips those steps (its state passes through them unchanged).

Run it with::

    python examples/sequence_lstm.py
    python examples/sequence_lstm.py --limit 2000 --epochs 3   # a quick try
"""

import argparse

import numpy as np

import ember as keras
from ember import layers

VOCAB = 20          # token ids 3..19 are filler; 0 is padding
A, B = 1, 2         # the two tokens whose order is the label
MAXLEN = 20


def make_sequences(n, seed=0, maxlen=MAXLEN):
    """``n`` padded sequences (n, maxlen) and labels: 1 when A appears before B."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, maxlen), dtype="int64")
    y = np.zeros(n, dtype="int64")
    for i in range(n):
        length = rng.integers(5, maxlen + 1)
        seq = rng.integers(3, VOCAB, size=length)
        first, second = sorted(rng.choice(length, size=2, replace=False))
        a_first = rng.random() < 0.5
        seq[first], seq[second] = (A, B) if a_first else (B, A)
        x[i, :length] = seq
        y[i] = int(a_first)
    return x, y


def build_model(units=32):
    return keras.Sequential([
        layers.Embedding(VOCAB, 16, mask_zero=True),   # token id -> vector; 0 = padding
        layers.LSTM(units),                           # reads the steps in order: the last state
        layers.Dense(1, activation="sigmoid"),        # P(A came before B)
    ])


def main(limit=None, epochs=8, batch_size=64, data=None, seed=0, verbose=2):
    """Train the LSTM classifier and return its test accuracy.

    Args:
        limit: use only the first ``limit`` training sequences (of 8,000).
        data: ``((x_train, y_train), (x_test, y_test))``; by default generated here.
    """
    keras.utils.set_random_seed(seed)
    if data is None:
        data = (make_sequences(8000, seed=seed + 1), make_sequences(2000, seed=seed + 2))
    (x_train, y_train), (x_test, y_test) = data
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()
    main(limit=args.limit, epochs=args.epochs)
