"""A small fake model and a fit loop shaped like the trainer's, to test callbacks alone."""

import os
from collections.abc import Mapping

from ember.backend import np
from ember.callbacks import CallbackList


class FakeOptimizer:
    def __init__(self, learning_rate=0.01):
        self._lr = learning_rate

    @property
    def learning_rate(self):
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = float(value)


class FakeModel:
    """What callbacks use of a model: stop_training, optimizer.learning_rate, weights, saving."""

    def __init__(self, learning_rate=0.01):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.kernel = np.zeros(3, dtype="float32")  # training adds 1 per step
        self.saved = []
        self.metrics_names = ["loss"]

    def get_weights(self):
        return [self.kernel]  # a live view, as a flat-buffer model may hand out

    def set_weights(self, weights):
        self.kernel[...] = weights[0]

    def _write(self, path, kind):
        with open(path, "w") as f:
            f.write(kind)
        self.saved.append(os.path.basename(path))

    def save(self, filepath):
        self._write(filepath, "model")

    def save_weights(self, filepath):
        self._write(filepath, "weights")


class LazyLogs(Mapping):
    """Logs that count how often they are read, like the trainer's lazy metrics mapping."""

    def __init__(self, values):
        self._values = dict(values)
        self.reads = 0

    def __getitem__(self, key):
        self.reads += 1
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)


def run_fit(callbacks, epoch_logs, model=None, steps=3, verbose=0, batch_logs=None,
            add_history=True):
    """Drive callbacks as ``fit`` does; ``epoch_logs[i]`` are the logs of epoch i.

    Returns the CallbackList (its History is ``cbs._history``) and the epochs run.
    """
    model = model if model is not None else FakeModel()
    cbs = CallbackList(callbacks, add_history=add_history, add_progbar=verbose != 0,
                       model=model, verbose=verbose, epochs=len(epoch_logs), steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    ran = []
    logs = None
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            model.kernel += 1
            cbs.on_train_batch_end(step, batch_logs if batch_logs is not None else logs)
            if model.stop_training:
                break
        cbs.on_epoch_end(epoch, logs)
        ran.append(epoch)
        if model.stop_training:
            break
    cbs.on_train_end(logs)
    return cbs, ran
