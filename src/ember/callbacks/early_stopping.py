"""``EarlyStopping``: stop training when a monitored metric stops improving."""

from ember.backend import to_numpy
from ember.callbacks import monitor as _monitor
from ember.callbacks.callback import Callback
from ember.registry import register


@register("callback")
class EarlyStopping(Callback):
    """Stops training when a monitored metric has stopped improving, as Keras 3.

    At the end of each epoch the monitored value is compared with the best so far; after
    ``patience`` epochs without an improvement of more than ``min_delta`` it sets
    ``model.stop_training = True``.

    Args:
        monitor: Quantity to be monitored. Defaults to ``"val_loss"``.
        min_delta: Minimum change that counts as an improvement (its absolute value is used).
        patience: Number of epochs with no improvement after which training is stopped.
        verbose: 0 is silent; 1 prints a message when the callback acts.
        mode: ``"auto"``, ``"min"`` or ``"max"``; ``"auto"`` infers the direction from the
            metric (``loss`` decreases, ``accuracy`` increases...).
        baseline: If not None, the wait for improvement is only reset by values that also beat
            the baseline, so training stops after ``patience`` epochs that do not reach it.
        restore_best_weights: At the end of training (stopped early or not, as Keras 3), restore
            the weights of the epoch with the best monitored value.
        start_from_epoch: Number of warm-up epochs before monitoring starts.

    Example:
        >>> callback = EarlyStopping(monitor="loss", patience=3)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = _monitor.check_mode("EarlyStopping", mode)
        self._direction = None  # "min" or "max", resolved at the first epoch end
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        # instances may be reused across fits
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self._direction is None:
            self._direction = _monitor.resolve_mode(
                "EarlyStopping", self.monitor, self.mode, self.model)
        if self.best is None:
            self.best = _monitor.worst(self._direction)
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # until something improves, the first monitored epoch is the best
            self.best_weights = self._snapshot()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._snapshot()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def _snapshot(self):
        # copies: a model may hand out views of weights that training keeps updating
        return [to_numpy(w).copy() for w in self.model.get_weights()]

    def get_monitor_value(self, logs):
        return _monitor.monitor_value(logs, self.monitor, "Early stopping")

    def _is_improvement(self, value, reference):
        return _monitor.is_improvement(self._direction, value, reference, self.min_delta)
