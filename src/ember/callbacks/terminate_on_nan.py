"""``TerminateOnNaN``: stop training when the loss becomes NaN or infinite."""

import math

from ember.callbacks.callback import Callback
from ember.registry import register


@register("callback")
class TerminateOnNaN(Callback):
    """Stops training (``model.stop_training = True``) at the first NaN or infinite loss.

    Args:
        raise_error: Raise a RuntimeError at once instead (other callbacks' ``on_train_end``
            then does not run).
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = logs.get("loss") if logs is not None else None
        if loss is None:
            return
        value = float(loss)
        if math.isnan(value) or math.isinf(value):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {value}. "
                    "Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
