"""``BackupAndRestore``: resume a ``fit`` that was interrupted (killed, preempted, crashed)."""

import contextlib
import json
import os
import shutil

from ember.callbacks.callback import Callback
from ember.registry import register

_METADATA = "training_metadata.json"


def _write_json(path, content):
    from ember.saving.saving_lib import atomic_write

    atomic_write(path, lambda f: f.write(json.dumps(content)), binary=False)


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@register("callback")
class BackupAndRestore(Callback):
    """Backs up the training state, and restores it when ``fit`` starts again, as Keras 3.

    The state is the model's weights with the optimizer's variables (``iterations``
    included), the epoch, the batch within it, and ember's random generator (so that
    shuffling and dropout continue as they would have). A ``fit`` that finds a backup in
    ``backup_dir`` resumes from it: it loads the weights, starts at the saved epoch and skips
    the batches of that epoch already trained; with the same data and seed it then ends with
    the weights of an uninterrupted run. At the end of ``fit`` the backup is deleted (unless
    ``delete_checkpoint=False``); a ``fit`` that raised or was killed keeps it.

    Backups are written atomically: each weights file is new (``backup-<n>.weights.h5``),
    the metadata naming it (``training_metadata.json``) is replaced in one step, and only then
    are older files removed, so an interruption at any moment leaves a complete backup. (Keras
    overwrites one ``latest.weights.h5`` in place, and on restart repeats an interrupted
    epoch from its start; the metrics of a resumed epoch here cover its remaining batches.)

    Args:
        backup_dir: Directory of the backup; no other run or callback may use it.
        save_freq: ``"epoch"`` (back up at the end of each epoch) or an integer N (every N
            batches; a backup due at an epoch's last batch is made at the end of that epoch).
        double_checkpoint: Keep the previous backup too, and fall back to it when the latest
            one cannot be read.
        delete_checkpoint: Delete ``backup_dir`` when ``fit`` ends normally.

    Raises:
        ValueError: for an empty ``backup_dir``, a ``save_freq`` that is neither ``"epoch"`` nor
            a positive integer, and (when restoring) a model that is not built.

    Example:
        >>> backup = BackupAndRestore(backup_dir="/tmp/backup")
        >>> # model.fit(x, y, epochs=10, callbacks=[backup]); run it again after a crash
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError("Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq!r}. Expected either 'epoch' or a positive "
                             "integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._prev_metadata_path = self._metadata_path + ".bkp"
        self._current_epoch = 0
        self._batches_done = 0  # batches of the current epoch trained so far
        self._batches_since_save = 0
        self._epoch_rng_state = None  # ember's generator as the epoch began
        self._pending_rng_state = None  # restored at the first batch of a resumed epoch
        self._latest = None  # the metadata of the latest backup
        self._save_at_epoch_end = False

    def _uses_hook(self, name):
        if name == "on_train_batch_end":
            return self.save_freq != "epoch"
        if name == "on_train_batch_begin":
            return self._pending_rng_state is not None
        return super()._uses_hook(name)

    # -- restoring -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._batches_since_save = 0
        self._pending_rng_state = None
        self._latest = None
        self._save_at_epoch_end = False
        metadata = self._load()
        if metadata is None:
            return
        from ember import config

        epoch, batch = int(metadata["epoch"]), int(metadata["batch"])
        self.model._initial_epoch, self.model._initial_step = epoch, batch
        self._current_epoch, self._batches_done = epoch, batch
        if batch:
            # mid-epoch: the epoch's shuffle is drawn again from the generator as it was when
            # the epoch began; the state at the backup takes over at the first batch trained
            config.rng().bit_generator.state = metadata["epoch_rng"]
            self._pending_rng_state = metadata["rng"]
        else:
            config.rng().bit_generator.state = metadata["rng"]

    def _load(self):
        """Restore the weights of the latest readable backup; its metadata, or None."""
        candidates = [self._metadata_path]
        if self.double_checkpoint:
            candidates.append(self._prev_metadata_path)
        candidates = [path for path in candidates if os.path.exists(path)]
        if not candidates:
            return None
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call "
                f"`fit()` when a backup exists in {self.backup_dir}. Model {self.model.name} is "
                "unbuilt. You can build it beforehand by calling it on a batch of data.")
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not getattr(optimizer, "built", False):
            optimizer.build(self.model.trainable_variables)  # so that its state loads too
        errors = []
        for path in candidates:
            try:
                metadata = _read_json(path)
                self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
            except (OSError, ValueError, KeyError, TypeError) as e:
                errors.append(f"{path}: {type(e).__name__}: {e}")
                continue
            self._latest = metadata
            return metadata
        raise OSError("BackupAndRestore could not restore the training state from "
                      f"{self.backup_dir}: " + "; ".join(errors))

    def on_train_batch_begin(self, batch, logs=None):
        if self._pending_rng_state is not None:
            from ember import config

            config.rng().bit_generator.state = self._pending_rng_state
            self._pending_rng_state = None

    # -- backing up ------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        from ember import config

        self._current_epoch = epoch
        if self._pending_rng_state is None:  # a resumed epoch keeps its restored start state
            self._batches_done = 0
        self._epoch_rng_state = config.rng().bit_generator.state

    def on_train_batch_end(self, batch, logs=None):
        self._batches_done = batch + 1
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            if self._batches_done == (self.params or {}).get("steps"):
                # the epoch's last batch: back up once its end (validation, epoch logs) is
                # done, so that a resumed epoch always has batches left to train
                self._save_at_epoch_end = True
            else:
                self._save(self._current_epoch, self._batches_done)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" or self._save_at_epoch_end:
            self._save_at_epoch_end = False
            self._save(epoch + 1, 0)

    def _save(self, epoch, batch):
        from ember import config

        os.makedirs(self.backup_dir, exist_ok=True)
        previous = self._latest
        index = previous["index"] + 1 if previous else 0
        weights = f"backup-{index}.weights.h5"
        self.model.save_weights(os.path.join(self.backup_dir, weights))
        if self.double_checkpoint and previous:
            _write_json(self._prev_metadata_path, previous)
        self._latest = {"epoch": epoch, "batch": batch, "index": index, "weights": weights,
                        "rng": config.rng().bit_generator.state,
                        "epoch_rng": self._epoch_rng_state}
        _write_json(self._metadata_path, self._latest)
        # only now is the new backup complete: remove the files no metadata names
        keep = {weights}
        if self.double_checkpoint and previous:
            keep.add(previous["weights"])
        for name in os.listdir(self.backup_dir):
            if name.startswith("backup-") and name.endswith(".weights.h5") and name not in keep:
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(self.backup_dir, name))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
