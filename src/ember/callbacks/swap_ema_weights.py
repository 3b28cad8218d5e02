"""``SwapEMAWeights``: evaluate (and optionally checkpoint) with the optimizer's EMA weights."""

from ember.callbacks.callback import Callback
from ember.registry import register


@register("callback")
class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's moving averages (``use_ema=True``)
    before evaluation and prediction, and swaps them back afterwards, as
    ``keras.callbacks.SwapEMAWeights``.

    Args:
        swap_on_epoch: also swap at the end of each epoch (and back at the start of the next),
            so that callbacks listed after this one (``ModelCheckpoint``) see the EMA weights.
            At the end of the last epoch the averages are restored, so that ``fit``'s final
            ``finalize_variable_values`` leaves the EMA weights in the model.

    The swap is in place; other callbacks must not change the weights or the averages while
    they are swapped.

    Example:
        >>> model.compile(optimizer=SGD(use_ema=True), loss="mse")  # doctest: +SKIP
        >>> model.fit(x, y, callbacks=[SwapEMAWeights(swap_on_epoch=True),
        ...                            ModelCheckpoint("ema.keras")])  # doctest: +SKIP
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        """The optimizers whose averages are swapped: the model's (a LossScaleOptimizer's
        inner one), or the inner optimizers of a MultiOptimizer that use EMA."""
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if hasattr(optimizer, "optimizers"):
            inner = [opt for opt in optimizer.optimizers if getattr(opt, "use_ema", False)]
            if not inner:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                    "having `use_ema=False`.")
        else:
            inner = [optimizer]
        for opt in inner:
            if not hasattr(opt, "_model_variables_moving_average"):
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer "
                    "(and the optimizer is built). Received: "
                    f"use_ema={getattr(opt, 'use_ema', None)}")
        return inner

    def _swap_variables(self):
        for opt in self._ema_optimizers():
            for var, average in zip(opt._trainable_variables,
                                    opt._model_variables_moving_average):
                weights = var.data.copy()
                var.assign(average.data)
                average.assign(weights)

    def _finalize_ema_values(self):
        # the model holds the averages and the averages hold the raw weights: make both
        # the averages, for fit's closing finalize_variable_values
        for opt in self._ema_optimizers():
            for var, average in zip(opt._trainable_variables,
                                    opt._model_variables_moving_average):
                average.assign(var.data)

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if epoch == self.params["epochs"] - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    # Keras 3.15's on_predict_end tests `not self._ema_weights_in_model`, so it never swaps
    # back and the model keeps the EMA weights after predict; ember restores them, as the
    # callback's documentation says.
    on_predict_begin = on_test_begin
    on_predict_end = on_test_end
