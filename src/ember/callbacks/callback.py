"""The ``Callback`` base class: hooks into ``fit``, ``evaluate`` and ``predict``."""

from ember.registry import register

# Every hook a Callback has; CallbackList calls only those a callback overrides.
BATCH_HOOKS = (
    "on_batch_begin", "on_batch_end",
    "on_train_batch_begin", "on_train_batch_end",
    "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)
HOOKS = BATCH_HOOKS + (
    "on_epoch_begin", "on_epoch_end",
    "on_train_begin", "on_train_end",
    "on_test_begin", "on_test_end",
    "on_predict_begin", "on_predict_end",
)
# A hook that, in the base class, forwards to its backwards-compatible alias.
ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


@register("callback")
class Callback:
    """Base class of callbacks: override the hooks of the stages you need.

    Attributes:
        model: The model being trained, evaluated or used for prediction (set by ``set_model``).
        params: Dict of training parameters (``verbose``, ``epochs``, ``steps``).

    The ``logs`` that hooks receive may be any mapping: during ``fit`` the batch logs are
    computed lazily, when a key is read. Read them, copy them with ``dict(logs)`` to keep them,
    but do not change them. Hooks of a callback that does not override them cost nothing: an
    epoch of 1,875 steps pays for the batch hooks only when some callback defines them.

    Example:
        >>> class CountEpochs(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         self.seen = epoch + 1
    """

    model = None
    params = None

    def __init__(self):
        self.model = None
        self.params = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def _uses_hook(self, name):
        """Whether ``CallbackList`` has to call hook ``name``: by default, when this callback
        (its class or the instance itself) overrides it. Subclasses narrow it further."""
        if _overrides(self, name):
            return True
        alias = ALIASES.get(name)
        return alias is not None and _overrides(self, alias)

    def on_batch_begin(self, batch, logs=None):
        """A backwards-compatible alias of ``on_train_batch_begin``."""

    def on_batch_end(self, batch, logs=None):
        """A backwards-compatible alias of ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch of ``fit`` (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch of ``fit`` with the epoch's metrics (validation
        metrics prefixed ``val_``), e.g. ``{'loss': 0.2, 'accuracy': 0.9}``."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch of ``fit`` (``batch`` counts from 0 each epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch with the metrics so far this epoch."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of ``evaluate`` (also validation in ``fit``)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of ``evaluate`` with the metrics so far."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of ``predict`` (``logs['outputs']`` holds the batch's
        predictions when the trainer passes them)."""

    def on_train_begin(self, logs=None):
        """Called at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called at the end of ``fit`` with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` or of validation."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` or of validation with its metrics."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""


_BASE = {name: Callback.__dict__[name] for name in HOOKS}


def _overrides(callback, name):
    """Whether ``callback.<name>`` is something other than ``Callback``'s empty hook: a method
    of a subclass, or a function set on the instance (``LambdaCallback``)."""
    method = getattr(callback, name, None)
    if method is None:
        return False
    return getattr(method, "__func__", method) is not _BASE[name]
