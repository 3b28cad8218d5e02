"""``CallbackList``: calls a list of callbacks at once, skipping hooks that none overrides."""

from collections.abc import Mapping

from ember.callbacks.callback import BATCH_HOOKS, HOOKS, Callback
from ember.callbacks.history import History
from ember.callbacks.progbar_logger import ProgbarLogger
from ember.registry import register


class EpochLogs(dict):
    """The logs ``CallbackList`` hands to epoch-level hooks: a plain dict of Python floats,
    copied once from the trainer's logs (which may be lazy). Being the list's own copy, a
    callback may add entries to it (``learning_rate``, as Keras's schedulers do) so that the
    callbacks after it (``History``, ``CSVLogger``) see them; the trainer's logs never change.
    """


def _pythonify(value):
    if value is None or isinstance(value, (float, int, str)):
        return value
    if getattr(value, "ndim", None) == 0:
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def epoch_logs(logs):
    """An :class:`EpochLogs` copy of ``logs`` (nested mappings flattened, scalars as floats)."""
    out = EpochLogs()
    if logs is not None:
        for key, value in logs.items():
            if isinstance(value, Mapping):
                out.update(epoch_logs(value))
            else:
                out[key] = _pythonify(value)
    return out


def _noop(*args, **kwargs):
    return None


def _batch_dispatcher(fns):
    """The fastest caller of the batch hooks ``fns`` (bound methods), or a no-op."""
    if not fns:
        return _noop
    if len(fns) == 1:
        (fn,) = fns

        def dispatch_one(batch, logs=None):
            fn(batch, logs={} if logs is None else logs)

        return dispatch_one

    def dispatch(batch, logs=None):
        if logs is None:
            logs = {}
        for f in fns:
            f(batch, logs=logs)

    return dispatch


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        out = []
        for c in callbacks:
            out.extend(_flatten(c))
        return out
    return [callbacks]


@register("callback")
class CallbackList(Callback):
    """Calls a list of callbacks together, as Keras's ``fit`` does.

    Args:
        callbacks: A list of ``Callback`` instances (nested lists are flattened).
        add_history: Add a ``History`` callback when the list has none.
        add_progbar: Add a ``ProgbarLogger`` when the list has none (``fit`` passes
            ``verbose != 0``).
        model: The model the callbacks are used with; ``model.history`` becomes the History.
        **params: Training parameters given to every callback's ``set_params``: ``verbose``,
            ``epochs``, ``steps``.

    Hooks that no callback overrides cost nothing: for every hook the list keeps the callbacks
    that define it, and a batch hook that none defines is a no-op. The trainer can skip even
    building batch logs by asking :meth:`has_hook` (after ``on_train_begin``).

    Logs: batch hooks receive the trainer's mapping as it is (it may compute metrics lazily,
    when read); epoch-level hooks receive an :class:`EpochLogs` dict copied from it once.

    Example:
        >>> cbs = CallbackList([], add_history=True, verbose=0, epochs=1, steps=10)
        >>> cbs.has_hook("on_train_batch_end")
        False
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        self._active = {}
        self._history = None
        self._progbar = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        self.set_params(params)

    # -- configuration ---------------------------------------------------------------------------
    def set_model(self, model):
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for cb in self.callbacks:
            cb.set_model(model)
        self._refresh()

    def set_params(self, params):
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)
        self._refresh()

    def append(self, callback):
        """Adds ``callback`` (given this list's model and params)."""
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self._refresh()

    def has_hook(self, name):
        """Whether some callback in the list defines hook ``name`` (e.g.
        ``"on_train_batch_end"``); when not, calling it does nothing."""
        return bool(self._active.get(name))

    def _refresh(self):
        """Recompute, per hook, the callbacks that define it and install the batch
        dispatchers. Runs when the list, the model or the params change, and after
        ``on_train_begin``/``on_train_end`` (a ProgbarLogger is silent in validation)."""
        active = {}
        for name in HOOKS:
            fns = []
            for cb in self.callbacks:
                uses = getattr(cb, "_uses_hook", None)
                if uses(name) if uses is not None else hasattr(cb, name):
                    fns.append(getattr(cb, name))
            active[name] = tuple(fns)
        self._active = active
        for name in BATCH_HOOKS:
            self.__dict__[name] = _batch_dispatcher(active[name])

    def _call(self, name, *args, logs=None):
        logs = epoch_logs(logs)
        for fn in self._active[name]:
            fn(*args, logs)
        return logs

    # -- hooks (batch hooks are replaced per instance by _refresh) -------------------------------
    def on_batch_begin(self, batch, logs=None):
        self.__dict__["on_batch_begin"](batch, logs)

    def on_batch_end(self, batch, logs=None):
        self.__dict__["on_batch_end"](batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self.__dict__["on_train_batch_begin"](batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.__dict__["on_train_batch_end"](batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self.__dict__["on_test_batch_begin"](batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self.__dict__["on_test_batch_end"](batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self.__dict__["on_predict_batch_begin"](batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self.__dict__["on_predict_batch_end"](batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)
        self._refresh()

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)
        self._refresh()

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)
