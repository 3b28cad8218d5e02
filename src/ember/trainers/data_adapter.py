"""Turning what users pass to fit/evaluate/predict into batches.

Arrays (one, a list, or a dict, for several inputs or outputs) are sliced into batches,
shuffled each epoch when asked; Python iterables, generators and ``tf.data.Dataset``s yield
ready-made batches ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.
"""

import itertools
import math
import sys

from ember.autodiff.tensor import Tensor
from ember.backend import np
from ember.layers.node import flatten, map_structure


def _to_array(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x.data
    if hasattr(x, "__array__") or isinstance(x, (list, tuple, int, float)):
        return np.asarray(x)
    raise TypeError(
        "Unrecognized data type: expected NumPy arrays, lists of arrays, dicts of arrays, or a "
        f"Python generator of batches. Received: {type(x).__name__}"
    )


def is_array_like(x):
    leaves = flatten(x)
    return bool(leaves) and all(
        leaf is None or isinstance(leaf, (Tensor, np.ndarray, int, float, list))
        for leaf in leaves)


def standardize_arrays(x):
    """Leaves of ``x`` as arrays; a list of plain numbers stays one array, as Keras."""
    if isinstance(x, list) and x and all(isinstance(v, (int, float)) for v in flatten(x)):
        return np.asarray(x)
    if isinstance(x, (list, tuple)):
        return type(x)(standardize_arrays(v) for v in x)
    if isinstance(x, dict):
        return {k: standardize_arrays(v) for k, v in x.items()}
    return _to_array(x)


def check_cardinality(x, y, sample_weight):
    sizes = {}
    for name, data in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if data is None:
            continue
        sizes[name] = [int(a.shape[0]) if a is not None and a.ndim else 1
                       for a in flatten(data) if a is not None]
    counts = {n for v in sizes.values() for n in v}
    if len(counts) > 1:
        detail = "\n".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items())
        raise ValueError(
            "Data cardinality is ambiguous. Make sure all arrays contain the same number of "
            f"samples.\n{detail}"
        )
    return counts.pop() if counts else 0


class ArrayBatches:
    """Batches of in-memory arrays."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False,
                 steps=None):
        self.x = standardize_arrays(x)
        self.y = standardize_arrays(y) if y is not None else None
        self.sample_weight = standardize_arrays(sample_weight) if sample_weight is not None \
            else None
        self.num_samples = check_cardinality(self.x, self.y, self.sample_weight)
        if batch_size is None:
            batch_size = 32
        if int(batch_size) <= 0:
            raise ValueError(f"batch_size must be a positive integer. Received: {batch_size}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.steps = steps if steps is not None else math.ceil(
            self.num_samples / self.batch_size)

    def __len__(self):
        return self.steps

    def epoch(self):
        n, bs = self.num_samples, self.batch_size
        order = None
        if self.shuffle and self.shuffle != "batch":
            from ember import config

            order = config.rng().permutation(n)
        step = 0
        while step < self.steps:
            start = (step * bs) % max(n, 1)
            end = min(start + bs, n)
            key = order[start:end] if order is not None else slice(start, end)

            def take(a, key=key):
                return None if a is None else a[key]

            xb = map_structure(take, self.x)
            yb = map_structure(take, self.y) if self.y is not None else None
            sw = map_structure(take, self.sample_weight) if self.sample_weight is not None \
                else None
            # packed as Keras hands it to train_step: x, (x, y) or (x, y, sample_weight)
            yield pack_x_y_sample_weight(xb, yb, sw)
            step += 1

    def split(self, fraction):
        """Keep the first ``1 - fraction`` of the samples; return the rest as validation data
        (the last samples, before any shuffling, as Keras)."""
        if not 0 < fraction < 1:
            raise ValueError(
                f"validation_split must be in (0, 1). Received: validation_split={fraction}"
            )
        cut = int(self.num_samples * (1 - fraction))
        if cut == 0 or cut == self.num_samples:
            raise ValueError(
                f"validation_split={fraction} leaves no training or no validation samples out "
                f"of {self.num_samples}"
            )

        def head(a):
            return None if a is None else a[:cut]

        def tail(a):
            return None if a is None else a[cut:]

        val = (map_structure(tail, self.x), map_structure(tail, self.y) if self.y is not None
               else None, map_structure(tail, self.sample_weight)
               if self.sample_weight is not None else None)
        self.x = map_structure(head, self.x)
        if self.y is not None:
            self.y = map_structure(head, self.y)
        if self.sample_weight is not None:
            self.sample_weight = map_structure(head, self.sample_weight)
        self.num_samples = cut
        self.steps = math.ceil(cut / self.batch_size)
        return val


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Pack ``x``, ``y`` and ``sample_weight`` as one batch, as ``keras.utils``: ``x`` alone
    when there is no target (``(x,)`` when ``x`` is a list or tuple, so that it stays one
    element), else ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        if not isinstance(x, (tuple, list)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """A batch ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` -> the triple
    ``(x, y, sample_weight)`` with None for what is missing, as ``keras.utils``.

    Raises:
        ValueError: for a list or tuple of more than three elements.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} elements: {_describe(data)}"
    )


def _describe(data):
    return "(" + ", ".join(
        f"{type(d).__name__}{tuple(d.shape) if hasattr(d, 'shape') else ''}" for d in data) + ")"


# Keras reads this many batches of a generator ahead, to learn their structure; they are kept
# and lead every later pass over the generator (so an exhausted generator still gives them).
_PEEKED_BATCHES = 2


def _check_generator_batch(batch):
    if not isinstance(batch, tuple):
        raise ValueError(
            "When passing a Python generator to a model, the generator must return a tuple, "
            "either (input,) or (inputs, targets) or (inputs, targets, sample_weights). "
            f"Received a {type(batch).__name__}"
            f"{' of shape ' + str(tuple(batch.shape)) if hasattr(batch, 'shape') else ''}."
        )
    return batch


class IterableBatches:
    """Batches from a Python iterable, generator, or a PyDataset-like object, handed on as the
    source yields them (``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``).

    As Keras: the first batches of a one-shot iterator (a generator) are read ahead and lead
    every later pass; without ``steps`` each epoch is one pass, that ends when the source is
    exhausted; with ``steps`` the epochs draw from one pass, until it runs out. ``ran_out``
    tells the trainer when an epoch ended because the source ran out of batches.
    """

    def __init__(self, data, steps=None):
        self.data = data
        self.steps = steps
        self._iterator = None
        self.num_samples = None
        self.ran_out = False
        self._indexed = hasattr(data, "__getitem__") and hasattr(data, "__len__") and \
            not isinstance(data, (list, tuple))
        self.one_shot = not self._indexed and iter(data) is data
        self._peeked = []
        if self.one_shot:
            # read ahead, as Keras; an error the generator raises passes through unchanged
            for _ in range(_PEEKED_BATCHES):
                try:
                    self._peeked.append(_check_generator_batch(next(data)))
                except StopIteration:
                    break
            if not self._peeked:
                raise ValueError(
                    "When passing a Python generator to a model, the generator must yield at "
                    "least one batch. Received an empty generator."
                )
        try:
            self._len = len(data) if steps is None else steps
        except TypeError:
            self._len = None

    def __len__(self):
        return self._len

    def _fresh(self):
        if self.one_shot:
            return itertools.chain(self._peeked, map(_check_generator_batch, self.data))
        return iter(self.data)

    def epoch(self):
        self.ran_out = False
        if self._indexed:
            # a PyDataset / Sequence: index batches; shuffling is the dataset's job
            n = len(self.data) if self.steps is None else self.steps
            for i in range(n):
                yield self.data[i % len(self.data)]
            if hasattr(self.data, "on_epoch_end"):
                self.data.on_epoch_end()
            return
        if self.steps is None:
            yield from self._fresh()
            self.ran_out = self.one_shot  # a re-iterable source simply ends its pass
            return
        # with steps, keep drawing from one pass across epochs (an infinite generator)
        if self._iterator is None:
            self._iterator = self._fresh()
        for _ in range(self.steps):
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None  # the next epoch starts a new pass
                self.ran_out = True
                return
            yield batch


def is_dataset(x):
    """Whether ``x`` is a ``tf.data.Dataset`` (without importing ember.tf.data: a dataset
    exists only once its module is loaded)."""
    module = sys.modules.get("ember.tf.data.dataset")
    return module is not None and isinstance(x, module.Dataset)


class DatasetBatches:
    """Batches of a ``tf.data.Dataset``, as Keras: without ``steps`` each epoch is a new pass
    over the dataset (an infinite one is refused: it would never end an epoch); with
    ``steps`` the epochs draw from one pass until it runs out, then the next epoch starts a new
    pass. A dataset of unknown length warns that it ran out at the end of each pass, as Keras.
    """

    one_shot = False

    def __init__(self, dataset, steps=None):
        from ember.tf.data import INFINITE_CARDINALITY

        card = dataset._card()
        if steps is None and card == INFINITE_CARDINALITY:
            raise ValueError(
                "When providing an infinite dataset, you must specify the number of steps to "
                "run (if you did not intend to create an infinite dataset, make sure to not "
                "call `repeat()` on the dataset): pass `steps_per_epoch` to fit (or `steps` to "
                "evaluate/predict, `validation_steps` for validation data).")
        self.data = dataset
        self.steps = steps
        self.num_samples = None
        self.ran_out = False
        self._unknown = card < 0
        self._iterator = None
        self._len = steps if steps is not None else (card if card >= 0 else None)

    def __len__(self):
        return self._len

    def epoch(self):
        # the pipeline's own elements (arrays), not Tensors: the steps take either
        self.ran_out = False
        if self.steps is None:
            it = self.data._iter()
            try:
                yield from it
            finally:
                getattr(it, "close", lambda: None)()
            self.ran_out = self._unknown
            return
        if self._iterator is None:
            self._iterator = self.data._iter()
        for _ in range(self.steps):
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None  # the next epoch starts a new pass
                self.ran_out = True
                return
            yield batch


def make_batches(x, y=None, sample_weight=None, batch_size=None, shuffle=False, steps=None):
    """The batch source for fit/evaluate/predict."""
    if x is None:
        raise ValueError("No data given: x is None.")
    if is_dataset(x):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "When providing `x` as a tf.data.Dataset, `y` should not be passed. Instead, "
                "the targets should be included as part of the tf.data.Dataset."
                if y is not None else
                "When providing `x` as a tf.data.Dataset, `sample_weights` should not be "
                "passed. Instead, the sample weights should be included as part of the "
                "tf.data.Dataset.")
        return DatasetBatches(x, steps=steps)
    if is_array_like(x) and not isinstance(x, (list, tuple)) or (
            isinstance(x, (list, tuple, dict)) and is_array_like(x)):
        return ArrayBatches(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                            steps=steps)
    if y is not None:
        raise ValueError(
            "When x is a generator or an iterable of batches, y must be None: the batches "
            "carry the targets."
        )
    return IterableBatches(x, steps=steps)
