"""``ProgbarLogger``: Keras's progress bar (verbose=1) or line per epoch (verbose=2)."""

import time

from ember.callbacks.callback import Callback
from ember.registry import register
from ember.utils.io_utils import print_msg
from ember.utils.progbar import Progbar, dynamic_display

_BATCH_END = ("on_train_batch_end", "on_test_batch_end", "on_predict_batch_end")


@register("callback")
class ProgbarLogger(Callback):
    """Prints progress and metrics to stdout, as Keras's ``fit``, ``evaluate`` and ``predict``.

    ``verbose`` comes from the params: 1 (or ``'auto'``) draws the bar with steps, ETA, time
    per step and the running metrics, redrawn at most every 0.05 s; 2 prints one line per epoch
    (``469/469 - 3s - 6ms/step - accuracy: 0.9512 - loss: 0.1683 - val_...``). Validation
    inside ``fit`` is silent; ``Epoch i/n`` heads each epoch when there are several.

    The running metrics are shown as the trainer reports them (they are already means over the
    epoch), and the logs are read only when the bar is redrawn, so that a lazy mapping computes
    its metrics a few times per second, not at every step. When stdout is not a terminal the
    bar is written once, finished, at the end of the epoch.
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _uses_hook(self, name):
        if name in _BATCH_END:
            if name == "on_test_batch_end" and self._called_in_fit:
                return False  # validation in fit is silent
            # the bar needs every step only to redraw it, or to count steps of unknown number
            return self.target is None or (self.verbose == 1 and dynamic_display())
        return super()._uses_hook(name)

    def on_train_begin(self, logs=None):
        self._called_in_fit = True  # validation within fit stays silent

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # never the predictions

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None
        self._get_progbar()  # starts the clock

    def _get_progbar(self):
        if self.progbar is None:
            # the trainer's metrics are running means already: show them as they are
            self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step",
                                   stateless_metrics=())
        return self.progbar

    def _update_progbar(self, batch, logs):
        self.seen = batch + 1  # one-indexed
        if self.verbose != 1:
            return
        bar = self.progbar or self._get_progbar()
        if not bar._dynamic_display or time.time() - bar._last_update < bar.interval:
            return  # nothing to draw: do not read (compute) the logs
        bar.update(self.seen, list(logs.items()) if logs is not None else None,
                   finalize=False)

    def _finalize_progbar(self, logs):
        bar = self._get_progbar()
        if self.target is None:
            self.target = self.seen
            bar.target = self.target
        bar.update(self.target, list(logs.items()) if logs is not None else None,
                   finalize=True)
