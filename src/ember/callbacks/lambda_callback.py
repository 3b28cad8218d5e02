"""``LambdaCallback``: a callback made of plain functions."""

from ember.callbacks.callback import HOOKS, Callback
from ember.registry import register


@register("callback")
class LambdaCallback(Callback):
    """A callback whose hooks are the functions given, as Keras.

    ``on_epoch_begin``/``on_epoch_end`` are called as ``fn(epoch, logs)``,
    ``on_train_begin``/``on_train_end`` as ``fn(logs)``, batch hooks as ``fn(batch, logs=logs)``.
    Any other hook of ``Callback`` may be passed by name (``on_test_end=fn``).

    Example:
        >>> losses = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = sorted(k for k in kwargs if k not in HOOKS)
        if unknown:
            raise ValueError(
                f"LambdaCallback got unknown hooks {unknown}. Valid hooks are: "
                f"{', '.join(HOOKS)}.")
        given = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, fn in given.items():
            if fn is not None:
                setattr(self, name, fn)
