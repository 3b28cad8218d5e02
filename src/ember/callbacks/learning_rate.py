"""Callbacks that set the optimizer's learning rate: ``ReduceLROnPlateau`` and
``LearningRateScheduler``."""

import inspect
import numbers
import warnings

from ember.backend import np
from ember.callbacks.callback import Callback
from ember.callbacks.callback_list import EpochLogs
from ember.registry import register


def _get_lr(optimizer):
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    return float(optimizer.learning_rate)


def _log_lr(logs, lr):
    """Adds ``learning_rate`` to the epoch logs of a CallbackList (its own copy, seen by the
    History and CSVLogger after it, as in Keras); other logs are never changed."""
    if isinstance(logs, EpochLogs):
        logs["learning_rate"] = lr


@register("callback")
class ReduceLROnPlateau(Callback):
    """Reduces the learning rate when a metric has stopped improving, as Keras.

    Args:
        monitor: Quantity to be monitored.
        factor: Factor by which the learning rate is reduced: ``new_lr = lr * factor`` (< 1).
        patience: Number of epochs with no improvement after which the rate is reduced.
        verbose: 0 is quiet, 1 prints a message at each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``; ``"auto"`` maximizes metrics whose name has
            ``acc`` and minimizes the rest, as Keras.
        min_delta: Threshold for measuring the new optimum.
        cooldown: Number of epochs to wait after a reduction before counting again.
        min_lr: Lower bound on the learning rate.

    Raises:
        ValueError: when ``factor >= 1``.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode
        self._reset()

    def _reset(self):
        if self.mode not in ("auto", "min", "max"):
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to "
                          "auto mode.", stacklevel=3)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self._minimize = True
            self.best = np.inf
        else:
            self._minimize = False
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def monitor_op(self, current, best):
        if self._minimize:
            return current < best - self.min_delta
        return current > best + self.min_delta

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        _log_lr(logs, _get_lr(self.model.optimizer))
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2)
            return
        current = float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(self.model.optimizer)
                if old_lr > float(np.float32(self.min_lr)):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


def _takes_two_args(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


@register("callback")
class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of every epoch to ``schedule(epoch, lr)``.

    Args:
        schedule: A function of the epoch index (from 0) and the current learning rate (a
            float) returning the new rate; a function of the epoch alone is accepted too.
        verbose: 0 is quiet, 1 prints the rate set at each epoch.

    Example:
        >>> callback = LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = _get_lr(optimizer)
        if _takes_two_args(self.schedule):
            new_lr = self.schedule(epoch, lr)
        else:
            new_lr = self.schedule(epoch)
        if (isinstance(new_lr, bool) or not isinstance(new_lr, (numbers.Real, np.floating))
                and getattr(new_lr, "ndim", None) != 0):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {new_lr}")
        new_lr = float(new_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        _log_lr(logs, _get_lr(self.model.optimizer))
