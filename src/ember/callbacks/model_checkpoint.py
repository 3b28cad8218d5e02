"""``ModelCheckpoint``: save the model or its weights during training."""

import os
import warnings

from ember.callbacks import monitor as _monitor
from ember.callbacks.callback import Callback
from ember.registry import register


@register("callback")
class ModelCheckpoint(Callback):
    """Saves the model (``model.save``) or its weights (``model.save_weights``), as Keras 3.

    Args:
        filepath: Path of the file; it may hold ``str.format`` fields filled with ``epoch``
            (counted from 1), ``batch`` (with an integer ``save_freq``) and the logs, e.g.
            ``"ckpt-{epoch:02d}-{val_loss:.2f}.keras"``. It must end in ``.keras`` (full
            model) or ``.weights.h5`` (``save_weights_only=True``).
        monitor: The metric compared when ``save_best_only``.
        verbose: 0 is silent, 1 prints a message for each save decision.
        save_best_only: Save only when the monitored metric improves on the best so far.
        save_weights_only: Save only the weights (``model.save_weights``).
        mode: ``"auto"``, ``"min"`` or ``"max"``: which way ``monitor`` improves.
        save_freq: ``"epoch"`` (at the end of each epoch) or a number of batches.
        initial_value_threshold: The best value to beat before the first save when
            ``save_best_only``.

    Raises:
        ValueError: for a ``save_freq`` that is neither ``"epoch"`` nor an integer, and for a
            filepath without the extension its kind of save requires.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = _monitor.check_mode("ModelCheckpoint", mode)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._direction = None
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or "
                "integer values")
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}")
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). Received: "
                f"filepath={self.filepath}")

    def _uses_hook(self, name):
        if (name == "on_train_batch_end" and self.save_freq == "epoch"
                and type(self).on_train_batch_end is ModelCheckpoint.on_train_batch_end):
            return False  # saving per epoch: no per-batch cost
        return super()._uses_hook(name)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch, batch, logs):
        fields = dict(logs) if logs is not None else {}
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in fields:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}. '
                f"Available keys: {', '.join(sorted(fields))}") from None

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor) if logs is not None else None
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if getattr(current, "ndim", 0):
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.", stacklevel=3)
            return True
        current = float(current)
        if self._direction is None:
            self._direction = _monitor.resolve_mode(
                "ModelCheckpoint", self.monitor, self.mode, self.model)
        if self.best is None:
            self.best = _monitor.worst(self._direction)
        if _monitor.is_improvement(self._direction, current, self.best, 0):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IOError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}")
        dirname = os.path.dirname(filepath)
        if dirname:
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")
