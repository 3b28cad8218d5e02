"""IMDB movie-review sentiment, as ``keras.datasets.imdb``."""

import json

from ember.backend import np
from ember.datasets import _common


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads IMDB: ``(x_train, y_train), (x_test, y_test)``, 25,000 reviews each.

    x: 1-D object arrays of lists of word indices (words ranked by frequency, shifted by
    ``index_from``, each review starting with ``start_char``); y: 0/1 labels. Exactly Keras's
    shuffling (``seed``), ``maxlen`` filter (keeps reviews shorter than it), ``num_words`` and
    ``skip_top`` (words outside become ``oov_char``, or are dropped when it is None).
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    arrays = _common.load_npz(_common.fetch("imdb.npz", path),
                              keys=("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(seed)
    splits = []
    for x_key, y_key in (("x_train", "y_train"), ("x_test", "y_test")):
        x, y = arrays[x_key], arrays[y_key]
        if len(x) != len(y):
            raise ValueError(f"{path}: {len(x)} reviews in {x_key} but {len(y)} labels.")
        # One generator for both splits, shuffled in this order, as Keras does.
        indices = np.arange(len(x))
        rng.shuffle(indices)
        x, y = x[indices], y[indices]
        if start_char is not None:
            x = [[start_char] + [w + index_from for w in seq] for seq in x]
        else:
            x = [[w + index_from for w in seq] for seq in x]
        if maxlen:
            kept = [i for i, seq in enumerate(x) if len(seq) < maxlen]
            x, y = [x[i] for i in kept], y[kept]
        splits.append((x, y))
    (x_train, y_train), (x_test, y_test) = splits
    if maxlen and (not x_train or not x_test):
        raise ValueError(
            f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
            "Increase maxlen."
        )
    xs = x_train + x_test
    if not num_words:
        num_words = max(max(seq) for seq in xs if seq)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in xs]
    else:
        xs = [[w for w in seq if skip_top <= w < num_words] for seq in xs]
    n = len(x_train)
    return (_objects(xs[:n]), y_train), (_objects(xs[n:]), y_test)


def _objects(seqs):
    # np.array(seqs, dtype=object) would build a 2-D array when all reviews have one length.
    out = np.empty(len(seqs), dtype=object)
    for i, seq in enumerate(seqs):
        out[i] = seq
    return out


def get_word_index(path="imdb_word_index.json"):
    """The dict mapping words to their rank (1 = most frequent) in the IMDB dataset."""
    with open(_common.fetch("imdb_word_index.json", path), encoding="utf-8") as f:
        return json.load(f)
