"""What ``compile`` resolves: the loss per output, loss weights, and the metrics per output."""

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.layers.node import flatten
from ember.metrics.metric import Metric


def _output_names(model, count):
    names = getattr(model, "output_names", None)
    if names and len(names) == count:
        return list(names)
    return [f"output_{i}" for i in range(count)] if count > 1 else ["output"]


def _per_output(spec, names, what):
    """A list with one entry per output from a single value, a list, or a dict by name."""
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(
                f"compile: {what} names outputs {unknown} that the model does not have. "
                f"Its outputs are {names}."
            )
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)) and not (what == "metrics" and len(names) == 1):
        if len(spec) != len(names):
            raise ValueError(
                f"compile: {what} has {len(spec)} entries, but the model has {len(names)} "
                f"outputs ({names})."
            )
        return list(spec)
    return [spec] * len(names)


class LossContainer:
    """The compiled loss: one loss per output, weighted and summed."""

    def __init__(self, loss, loss_weights=None):
        self.spec = loss
        self.loss_weights = loss_weights
        self.losses = None
        self.names = None
        self.weights = None
        self.fused = False  # one plain sparse crossentropy: the fused op (see build)

    def build(self, model, y_pred):
        from ember import losses

        preds = flatten(y_pred)
        self.names = _output_names(model, len(preds))
        specs = _per_output(self.spec, self.names, "loss")
        self.losses = [_as_loss(losses, s) if s is not None else None for s in specs]
        if self.loss_weights is None:
            self.weights = [1.0] * len(preds)
        else:
            self.weights = [1.0 if w is None else float(w)
                            for w in _per_output(self.loss_weights, self.names, "loss_weights")]
        self.fused = len(self.losses) == 1 and self.weights[0] == 1.0 and \
            _is_plain_sparse_ce(losses, self.losses[0])

    def __call__(self, model, y_true, y_pred, sample_weight=None):
        """The total loss and the per-output losses (a list, for logging when several)."""
        if self.losses is None:
            self.build(model, y_pred)
        if self.fused and sample_weight is None and type(y_pred) is Tensor and \
                y_pred._keras_mask is None and y_pred.dtype == self.losses[0].dtype and \
                hasattr(y_true, "dtype") and y_true.dtype.kind in "iuf":
            # the usual classifier: softmax output, integer labels, mean over the batch
            value = ops.nn.sparse_softmax_crossentropy_mean(y_true, y_pred)
            if value is not None:
                return value, [value]
        preds = flatten(y_pred)
        if isinstance(y_true, dict):
            trues = [y_true.get(n) for n in self.names]
        else:
            trues = flatten(y_true) if isinstance(y_true, (list, tuple)) else [y_true]
        if len(trues) != len(preds):
            raise ValueError(
                f"The model has {len(preds)} outputs, but {len(trues)} targets were given."
            )
        sws = flatten(sample_weight) if isinstance(sample_weight, (list, tuple)) else [
            sample_weight] * len(preds)
        total = None
        parts = []
        for fn, w, t, p, sw in zip(self.losses, self.weights, trues, preds, sws):
            if fn is None or t is None:
                parts.append(None)
                continue
            value = fn(t, p, sample_weight=sw) if sw is not None else fn(t, p)
            parts.append(value)
            term = value if w == 1.0 else ops.multiply(value, w)
            total = term if total is None else ops.add(total, term)
        if total is None:
            raise ValueError("No loss to compute: every output's loss is None.")
        return total, parts


def _is_plain_sparse_ce(losses, loss):
    """Whether ``loss`` is sparse categorical crossentropy with Keras's defaults (probabilities,
    last axis, no ignored class, mean over the batch), which has a fused op."""
    if loss is None or loss.reduction != "sum_over_batch_size":
        return False
    if type(loss) is losses.LossFunctionWrapper:
        return loss.fn is losses.sparse_categorical_crossentropy and not loss._fn_kwargs
    if type(loss) is losses.SparseCategoricalCrossentropy:
        return not loss.from_logits and loss.ignore_class is None and loss.axis in (-1,)
    return False


def _as_loss(losses, spec):
    """A Loss object for ``spec``: functions are wrapped, as Keras does in compile."""
    fn = losses.get(spec)
    if isinstance(fn, type):
        fn = fn()
    if not isinstance(fn, losses.Loss):
        fn = losses.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))
    return fn


class CompileMetrics(Metric):
    """The compiled metrics of every output, as Keras's ``CompileMetrics``: one Metric named
    ``compile_metrics`` in ``model.metrics``, whose ``result()`` is a dict of its metrics'
    results and whose ``reset_state()`` resets them all. Its metrics are made at the first
    update, when the shapes are known ('accuracy' resolves by them, as Keras)."""

    def __init__(self, metrics, weighted_metrics=None, model=None):
        super().__init__(name="compile_metrics")
        self.spec = metrics
        self.weighted_spec = weighted_metrics
        self.per_output = None
        self._model = model

    def build(self, model, y_true, y_pred):
        preds = flatten(y_pred)
        names = _output_names(model, len(preds))
        trues = [y_true.get(n) for n in names] if isinstance(y_true, dict) else (
            flatten(y_true) if isinstance(y_true, (list, tuple)) else [y_true])
        self.per_output = []
        for spec, weighted in ((self.spec, False), (self.weighted_spec, True)):
            if not spec:
                continue
            if isinstance(spec, (list, tuple)) and len(preds) > 1 and spec and isinstance(
                    spec[0], (list, tuple)):
                specs = list(spec)
            elif isinstance(spec, dict):
                specs = [spec.get(n) for n in names]
            else:
                specs = [spec] * len(preds)
            for i, (s, t, p) in enumerate(zip(specs, trues, preds)):
                for ident in (s if isinstance(s, (list, tuple)) else [s] if s else []):
                    metric = _resolve(ident, t, p)
                    # as Keras: the metric keeps its name, the logs prefix the output's
                    logged = f"{names[i]}_{metric.name}" if len(preds) > 1 else metric.name
                    self.per_output.append((i, metric, weighted, logged))

    @property
    def metrics(self):
        """The metrics, once built (an empty list before the first update)."""
        return [m for _, m, _, _ in self.per_output or []]

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def update(self, model, y_true, y_pred, sample_weight=None):
        if self.per_output is None:
            self.build(model, y_true, y_pred)
        if not self.per_output:
            return
        preds = [ops.convert_to_numpy(p) for p in flatten(y_pred)]
        names = _output_names(model, len(preds))
        trues = [y_true.get(n) for n in names] if isinstance(y_true, dict) else (
            flatten(y_true) if isinstance(y_true, (list, tuple)) else [y_true])
        for i, metric, weighted, _ in self.per_output:
            if weighted and sample_weight is not None:
                metric.update_state(trues[i], preds[i], sample_weight=sample_weight)
            else:
                # sample_weight by keyword, as Keras: a Mean given here fails as in Keras
                metric.update_state(trues[i], preds[i], sample_weight=None)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Update every compiled metric (what a custom ``train_step`` calls, as in Keras)."""
        self.update(self._model, y_true, y_pred, sample_weight)

    def result(self):
        """A dict from each metric's logged name (``<output>_<name>`` for several outputs)
        to its result."""
        return {logged: m.result() for _, m, _, logged in self.per_output or []}

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def get_config(self):
        return {"name": self.name}


def _resolve(identifier, y_true, y_pred):
    """A Metric for a compile entry, named as Keras names it: a string keeps its spelling
    (``'mae'`` logs ``mae``), a function its ``__name__``, a Metric its own name."""
    from ember import losses, metrics

    if isinstance(identifier, losses.Loss):
        return metrics.MeanMetricWrapper(identifier, name=identifier.name)
    if callable(identifier) and not isinstance(identifier, (type, metrics.Metric)) and \
            getattr(identifier, "__name__", None) == "<lambda>":
        return metrics.MeanMetricWrapper(identifier, name="lambda")
    shape_true = y_true if y_true is not None else ()
    return metrics.get_metric(identifier, shape_true, y_pred)
