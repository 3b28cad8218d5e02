"""``History``: the per-epoch record that ``fit`` returns."""

from ember.callbacks.callback import Callback
from ember.registry import register


@register("callback")
class History(Callback):
    """Records each epoch's logs; ``fit`` adds one and returns it.

    Attributes:
        history: Dict from metric name to the list of its value per epoch, e.g.
            ``{'loss': [0.3, 0.2], 'val_loss': [0.35, 0.3]}``.
        epoch: The epoch indices recorded by the last ``fit``.
        params: The training parameters (``verbose``, ``epochs``, ``steps``).
        model: The model trained.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            if getattr(value, "ndim", None) == 0:
                value = float(value)
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
