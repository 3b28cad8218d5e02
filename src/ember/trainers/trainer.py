"""Trainer: compile, fit, evaluate, predict, and the *_on_batch methods.

One training loop, written once. Users customise it through ``train_step``, callbacks,
custom layers, losses and metrics. The per-step path is kept short on purpose: the MNIST
tutorial runs 1,875 steps per epoch, and every Python call in a step shows in its time.
"""

import itertools
import time
import warnings
from collections.abc import Mapping

from ember import config, ops
from ember.autodiff.tape import GradientTape
from ember.autodiff.tensor import Tensor
from ember.backend import np
from ember.layers.node import flatten, map_structure
from ember.trainers import data_adapter
from ember.trainers.compile_utils import CompileMetrics, LossContainer


class LazyLogs(Mapping):
    """Logs whose values are computed (from the metrics) only when a callback reads them."""

    def __init__(self, trainer, prefix=""):
        self._trainer = trainer
        self._prefix = prefix
        self._values = None

    def _get(self):
        if self._values is None:
            self._values = self._trainer._metric_results(self._prefix)
        return self._values

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())

    def __repr__(self):
        return repr(self._get())


class _BlasThreads:
    """BLAS threads during fit: with ``"auto"``, the first steps run on one thread; if a step
    then takes longer than ``SMALL_STEP_SECONDS`` the GEMMs are big enough to share, and the
    rest of training uses every core. The choice is kept on the model for evaluate."""

    def __init__(self, model):
        from ember.backend import threads

        self.model = model
        self.threads = threads
        setting = threads.blas_threads_setting()
        self.decided = setting != "auto" or getattr(model, "_blas_threads", None) is not None
        self.count = setting if setting != "auto" else getattr(model, "_blas_threads", 1) or 1
        self.samples = []
        self.ctx = threads.limit(self.count)
        self.ctx.__enter__()

    def observe(self, seconds):
        if self.decided:
            return
        self.samples.append(seconds)
        if len(self.samples) < 4:
            return
        self.decided = True
        step = sorted(self.samples[1:])[1]  # the first step builds things: skip it
        many = self.threads.cpu_count()
        if step > self.threads.SMALL_STEP_SECONDS and many > 1:
            self.ctx.__exit__(None, None, None)
            self.count = many
            self.ctx = self.threads.limit(many)
            self.ctx.__enter__()
        self.model._blas_threads = self.count

    def close(self):
        self.ctx.__exit__(None, None, None)


class Trainer:
    """The training half of ``Model``."""

    def __init__(self):
        self.optimizer = None
        self.loss = None  # what compile was given, as Keras's ``model.loss``
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._loss_container = None
        self._metrics_container = None
        self._loss_tracker = None
        self._compile_config = None

    # -- compile -----------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure training: the optimizer, the loss (per output) and the metrics."""
        from ember import metrics as metrics_module
        from ember import optimizers

        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16" and \
                not isinstance(self.optimizer, optimizers.LossScaleOptimizer):
            # as Keras: float16 gradients underflow without dynamic loss scaling
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer,
                                                           name="loss_scale_optimizer")
        self.loss = loss
        self._loss_container = LossContainer(loss, loss_weights) if loss is not None else None
        # Keras lists a CompileMetrics only when compile was given metrics
        self._metrics_container = CompileMetrics(metrics, weighted_metrics, model=self) \
            if (metrics or weighted_metrics) else None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = None
        self.compiled = True
        self._compile_config = {
            "optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
            "metrics": metrics, "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly, "steps_per_execution": steps_per_execution,
            "jit_compile": False,
        }

    def get_compile_config(self):
        if not self.compiled:
            return {}
        from ember import registry

        cfg = dict(self._compile_config)
        cfg["optimizer"] = registry.serialize(self.optimizer)
        cfg["loss"] = _serialize_spec(cfg["loss"])
        cfg["metrics"] = _serialize_spec(cfg["metrics"])
        cfg["weighted_metrics"] = _serialize_spec(cfg["weighted_metrics"])
        return cfg

    def compile_from_config(self, config):
        from ember import registry

        cfg = dict(config)
        cfg["optimizer"] = registry.deserialize(cfg.get("optimizer"), kind="optimizer") \
            if isinstance(cfg.get("optimizer"), dict) else cfg.get("optimizer", "rmsprop")
        for key in ("loss", "metrics", "weighted_metrics"):
            cfg[key] = _deserialize_spec(cfg.get(key), "loss" if key == "loss" else "metric")
        allowed = {"optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                   "run_eagerly", "steps_per_execution", "jit_compile"}
        self.compile(**{k: v for k, v in cfg.items() if k in allowed})
        if self.built:
            self.optimizer.build(self.trainable_variables)

    @property
    def metrics(self):
        """The metrics ``fit`` tracks, as Keras lists them: the loss tracker
        (``Mean(name="loss")``), the ``CompileMetrics`` named ``compile_metrics`` when compile
        was given metrics, and, for several outputs, each output's loss tracker once built.
        A subclass may override it to list its own trackers; ``fit`` resets those each epoch."""
        out = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._metrics_container is not None:
                out.append(self._metrics_container)
            out.extend(self._output_loss_trackers or ())
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Reset the state of every metric in ``self.metrics``."""
        for m in self.metrics:
            m.reset_state()

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() on model '{self.name}' before {what}()."
            )

    # -- steps -------------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the model's own losses (regularization, add_loss); with
        neither, a zero loss, as Keras."""
        total = parts = None
        if self._loss_container is not None:
            total, parts = self._loss_container(self, y, y_pred, sample_weight)
        self._last_output_losses = parts
        extra = self.losses
        if extra:
            dtype = total.dtype if total is not None else "float32"
            added = ops.sum(ops.stack([ops.cast(e, dtype) for e in extra]))
            total = added if total is None else ops.add(total, added)
        if total is None:
            total = ops.zeros((), dtype="float32")
        return total

    def train_step(self, data):
        """One step: forward, loss, gradients, optimizer update, metrics. Override to customise
        training; return the logs (a dict, or None to use the compiled metrics).

        ``data`` is what Keras passes: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``
        (unpack it with ``keras.utils.unpack_x_y_sample_weight``).
        """
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
            # as Keras: the optimizer scales the loss (its loss_scale_factor, or a
            # LossScaleOptimizer's dynamic scale) and unscales the gradients in apply
            scaled_loss = self.optimizer.scale_loss(loss)
        variables = self.trainable_variables
        grads = tape.gradient(scaled_loss, variables)
        if any(g is not None for g in grads):  # a model with no loss at all trains nothing
            self.optimizer.apply(grads, variables)
        self._update_metrics(loss, y, y_pred, sample_weight)
        return None

    def test_step(self, data):
        """One evaluation step on ``data`` (as ``train_step``); returns logs or None."""
        x, y, sample_weight = data_adapter.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._update_metrics(loss, y, y_pred, sample_weight)
        return None

    def predict_step(self, data):
        """The outputs for ``data``: ``x``, ``(x,)`` or a tuple whose first element is x."""
        x, _, _ = data_adapter.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _update_metrics(self, loss, y, y_pred, sample_weight):
        batch = _batch_size_of(y_pred)
        self._loss_tracker.update_state(loss.data, sample_weight=batch)
        parts = getattr(self, "_last_output_losses", None)
        if parts and len(parts) > 1:
            from ember import metrics as metrics_module

            if self._output_loss_trackers is None:
                names = self._loss_container.names
                self._output_loss_trackers = [metrics_module.Mean(name=f"{n}_loss")
                                              for n in names]
            for tracker, part in zip(self._output_loss_trackers, parts):
                if part is not None:
                    tracker.update_state(part.data, sample_weight=batch)
        if y is not None and self._metrics_container is not None:
            self._metrics_container.update(self, y, y_pred, sample_weight)

    def _metric_results(self, prefix=""):
        logs = {}
        for m in self.metrics:
            result = m.result()
            if isinstance(result, Mapping):  # a CompileMetrics: one entry per metric
                for key, value in result.items():
                    logs[prefix + key] = _to_float(value)
            else:
                logs[prefix + m.name] = _to_float(result)
        return logs

    # -- fit ---------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History``."""
        from ember.callbacks import CallbackList

        self._assert_compiled("fit")
        data = data_adapter.make_batches(x, y, sample_weight, batch_size=batch_size,
                                         shuffle=shuffle, steps=steps_per_epoch)
        if shuffle and getattr(data, "one_shot", False):
            warnings.warn(
                "`shuffle=True` was passed, but will be ignored since the data `x` was provided "
                "as a generator. The generator is expected to yield already-shuffled data.",
                stacklevel=2)
        elif shuffle and isinstance(data, data_adapter.DatasetBatches):
            warnings.warn(
                "`shuffle=True` was passed, but will be ignored since the data `x` was provided "
                "as a tf.data.Dataset. The Dataset is expected to already be shuffled (via "
                "`.shuffle(buffer_size)`).", stacklevel=2)
        if validation_split and validation_data is None:
            if not isinstance(data, data_adapter.ArrayBatches):
                raise ValueError(
                    "validation_split is only supported for array inputs; pass "
                    "validation_data for generators."
                )
            validation_data = data.split(validation_split)
        data = _cap_steps(data, lambda s: data_adapter.make_batches(
            x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, steps=s))
        if class_weight is not None:
            data = _ClassWeighted(data, class_weight)
        val = None
        if validation_data is not None:
            vx, vy, vsw = data_adapter.unpack_x_y_sample_weight(validation_data)

            def make_val(s):
                return data_adapter.make_batches(vx, vy, vsw, steps=s,
                                                 batch_size=validation_batch_size or batch_size)

            val = _cap_steps(make_val(validation_steps), make_val)
        max_epochs = config.max_epochs()
        if max_epochs and max_epochs < epochs:  # a debugging cap (keras.config.set_max_epochs)
            warnings.warn(f"Limiting epochs to {max_epochs}", stacklevel=2)
            epochs = max_epochs
        verbose = 1 if verbose == "auto" else verbose
        steps = _num_steps(data)
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                           verbose=verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        threads = _BlasThreads(self)
        try:
            logs = self._fit_epochs(data, val, cbs, threads, initial_epoch, epochs,
                                    validation_freq)
        finally:
            threads.close()
            # as Keras, even when training stopped on an error: with use_ema, the weights
            # become their moving averages
            if epochs > 0 and getattr(self.optimizer, "built", False):
                self.optimizer.finalize_variable_values(self.trainable_variables)
        cbs.on_train_end(logs)
        return self.history

    def _fit_epochs(self, data, val, cbs, threads, initial_epoch, epochs, validation_freq):
        clock = time.perf_counter
        cbs.on_train_begin()
        # A callback resuming an interrupted fit (BackupAndRestore) sets, in on_train_begin,
        # the epoch to start at (as Keras's `_initial_epoch`) and the batches of that epoch
        # already trained, which are skipped; both are used once.
        skip = 0
        if getattr(self, "_initial_epoch", None) is not None:
            initial_epoch, skip = self._initial_epoch, getattr(self, "_initial_step", 0) or 0
            self._initial_epoch = self._initial_step = None
        logs = None
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            step = skip - 1
            out = None
            batches = itertools.islice(data.epoch(), skip, None) if skip else data.epoch()
            for step, batch in enumerate(batches, skip):
                cbs.on_train_batch_begin(step)
                t0 = clock()
                out = self._run_train_step(batch)
                if not threads.decided:
                    threads.observe(clock() - t0)
                cbs.on_train_batch_end(step, out if out is not None else LazyLogs(self))
                if self.stop_training:
                    break
            else:
                if getattr(data, "ran_out", False):
                    _ran_out(cbs.on_train_batch_begin, step + 1)
            if step >= 0:
                # the logs of a custom train_step are the epoch's logs, as in Keras
                logs = dict(out) if out is not None else self._metric_results()
            elif logs is None:
                raise ValueError(
                    "The training data produced no batch in this epoch (an empty dataset, or "
                    "an exhausted iterable)."
                )
            else:
                # Keras keeps the last epoch's logs when an epoch ran out of data at once
                logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(val, cbs)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            logs = dict(sorted(logs.items()))  # Keras's epoch logs are sorted by name
            cbs.on_epoch_end(epoch, logs)
            skip = 0
            if self.stop_training:
                break
        return logs or {}

    def _run_train_step(self, batch):
        if not self.built or self.optimizer is not None and not getattr(
                self.optimizer, "built", False):
            self._build_for(data_adapter.unpack_x_y_sample_weight(batch)[0])
        return _step_logs(self.train_step(batch), "train_step")

    def _build_for(self, x):
        if not self.built:
            self(x, training=False)
        if self.optimizer is not None and not getattr(self.optimizer, "built", False):
            self.optimizer.build(self.trainable_variables)

    # -- evaluate ----------------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss and metrics on the given data (a scalar, a list, or a dict)."""
        self._assert_compiled("evaluate")
        data = _cap_steps(data_adapter.make_batches(x, y, sample_weight, batch_size=batch_size,
                                                    steps=steps),
                          lambda s: data_adapter.make_batches(x, y, sample_weight,
                                                              batch_size=batch_size, steps=s))
        verbose = 1 if verbose == "auto" else verbose
        logs = self._evaluate_batches(data, callbacks=callbacks, verbose=verbose)
        return self._logs_return(logs, return_dict)

    def _logs_return(self, logs, return_dict):
        """What evaluate and the *_on_batch methods return, as Keras: the logs sorted by name,
        or a list ordered as ``self.metrics`` (then the other entries by name); a scalar
        when there is one value."""
        if return_dict:
            return dict(sorted(logs.items()))
        names = []
        for m in self.metrics:
            if isinstance(m, CompileMetrics):
                names.extend(sub.name for sub in m.metrics)
            else:
                names.append(m.name)
        values = [logs[n] for n in names if n in logs]
        known = set(names)
        values += [logs[k] for k in sorted(logs) if k not in known]
        return values[0] if len(values) == 1 else values

    def _evaluate_batches(self, data, callbacks=None, verbose=0):
        from ember.backend import threads
        from ember.callbacks import CallbackList

        steps = _num_steps(data)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=steps, mode="test") if (callbacks or verbose) else None
        count = threads.blas_threads_setting()
        if count == "auto":
            count = getattr(self, "_blas_threads", None)
        with threads.limit(count):
            return self._evaluate_loop(data, cbs)

    def _evaluate_loop(self, data, cbs):
        """One pass of ``test_step`` over ``data``, calling the test hooks of ``cbs`` (a
        CallbackList or None); within ``fit`` it is the fit's list, as Keras."""
        self.reset_metrics()
        if cbs:
            cbs.on_test_begin()
        step = -1
        out = None
        for step, batch in enumerate(data.epoch()):
            if cbs:
                cbs.on_test_batch_begin(step)
            if not self.built:
                self(data_adapter.unpack_x_y_sample_weight(batch)[0], training=False)
            out = _step_logs(self.test_step(batch), "test_step")
            if cbs:
                cbs.on_test_batch_end(step, out if out is not None else LazyLogs(self))
        if getattr(data, "ran_out", False):
            _ran_out(cbs.on_test_batch_begin if cbs else None, step + 1)
        logs = dict(out) if out is not None else self._metric_results()
        if cbs:
            cbs.on_test_end(logs)
        return logs

    # -- predict -----------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays, computed in batches (32 by default)."""
        verbose = 1 if verbose == "auto" else verbose
        if not callbacks and verbose in (0, 1) and data_adapter.is_array_like(x) and not \
                isinstance(x, dict) and steps is None:
            flat = flatten(x)
            n = flat[0].shape[0] if hasattr(flat[0], "shape") and flat[0].ndim else None
            if n is not None and n <= (batch_size or 32):
                # one batch: no batching machinery, no progress bar
                return _to_numpy(self.predict_step(data_adapter.pack_x_y_sample_weight(x)))
        data = _cap_steps(data_adapter.make_batches(x, batch_size=batch_size, steps=steps),
                          lambda s: data_adapter.make_batches(x, batch_size=batch_size, steps=s))
        from ember.callbacks import CallbackList

        n_steps = _num_steps(data)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=n_steps, mode="predict") if (
            callbacks or verbose) else None
        if cbs:
            cbs.on_predict_begin()
        outputs = []
        step = -1
        for step, batch in enumerate(data.epoch()):
            if cbs:
                cbs.on_predict_batch_begin(step)
            out = _to_numpy(self.predict_step(batch))
            outputs.append(out)
            if cbs:
                cbs.on_predict_batch_end(step, {"outputs": out})
        if getattr(data, "ran_out", False):
            _ran_out(cbs.on_predict_batch_begin if cbs else None, step + 1)
        if cbs:
            cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict: the input produced no batch.")
        return _concat(outputs)

    # -- single batches ----------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the loss and metrics (of this batch)."""
        self._assert_compiled("train_on_batch")
        self.reset_metrics()
        x = data_adapter.standardize_arrays(x)
        y = data_adapter.standardize_arrays(y) if y is not None else None
        if class_weight is not None:
            sample_weight = _class_weights_for(y, class_weight)
        out = self._run_train_step(data_adapter.pack_x_y_sample_weight(x, y, sample_weight))
        logs = out if out is not None else self._metric_results()
        return self._logs_return(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One evaluation step on one batch; returns the loss and metrics (of this batch)."""
        self._assert_compiled("test_on_batch")
        self.reset_metrics()
        out = _step_logs(self.test_step(data_adapter.pack_x_y_sample_weight(
            x, y, sample_weight)), "test_step")
        return self._logs_return(out if out is not None else self._metric_results(),
                                 return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch, as NumPy arrays: the shortest path (no batching, no tape)."""
        return _to_numpy(self(x, training=False))


class _ClassWeighted:
    """Wraps a batch source, turning ``class_weight`` into per-sample weights."""

    def __init__(self, data, class_weight):
        self.data = data
        self.class_weight = class_weight

    def __len__(self):
        return len(self.data)

    @property
    def ran_out(self):
        return getattr(self.data, "ran_out", False)

    def epoch(self):
        for batch in self.data.epoch():
            x, y, sw = data_adapter.unpack_x_y_sample_weight(batch)
            cw = _class_weights_for(y, self.class_weight)
            yield data_adapter.pack_x_y_sample_weight(x, y, cw if sw is None else sw * cw)


def _class_weights_for(y, class_weight):
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("class_weight is only supported for models with a single output.")
    labels = np.asarray(y.data if isinstance(y, Tensor) else y)
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(len(labels), -1)[:, 0].astype("int64")
    table = np.ones(max(int(labels.max()) + 1, max(class_weight) + 1), dtype="float32")
    for k, v in class_weight.items():
        table[int(k)] = v
    return table[labels]


def _step_logs(out, what):
    """The logs a step returned, as a flat dict of floats (None stays None: the trainer then
    reads the metrics)."""
    if out is None:
        return None
    if not isinstance(out, Mapping):
        raise TypeError(f"{what} must return a dict of logs or None; received "
                        f"{type(out).__name__}")
    logs = {}
    for key, value in out.items():
        if isinstance(value, Mapping):  # e.g. {"compile_metrics": {...}}, flattened as Keras
            logs.update(_step_logs(value, what))
        else:
            logs[key] = _to_float(value)
    return logs


def _ran_out(batch_begin, step):
    """An iterable source ended the pass: as Keras, the hook for the batch it could not give
    has been called, and a warning says so."""
    if batch_begin is not None:
        batch_begin(step)
    warnings.warn(
        "Your input ran out of data; interrupting training. Make sure that your dataset or "
        "generator can generate at least `steps_per_epoch * epochs` batches.", stacklevel=3)


def _cap_steps(data, make):
    """``data`` limited to ``keras.config.max_steps_per_epoch()`` steps per epoch (a debugging
    cap, with Keras's warning); ``make(steps)`` rebuilds it with a step count. Data with fewer
    steps than the cap keeps its own length."""
    cap = config.max_steps_per_epoch()
    n = _num_steps(data)
    if not cap or (n is not None and n <= cap):
        return data
    warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
    if isinstance(data, data_adapter.ArrayBatches):
        data.steps = cap  # keeps a validation_split already made
        return data
    return make(cap)


def _num_steps(data):
    """Steps per pass over ``data``, or None when unknown (a generator without steps)."""
    try:
        return len(data)
    except TypeError:  # __len__ returned None
        return None


def _batch_size_of(y_pred):
    first = y_pred if isinstance(y_pred, Tensor) else flatten(y_pred)[0]
    return first.shape[0] if first.ndim else 1


def _to_float(value):
    if isinstance(value, Tensor):
        value = value.data
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _to_numpy(out):
    return map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out)


def _concat(outputs):
    first = outputs[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(outputs, axis=0) if len(outputs) > 1 else first
    if isinstance(first, (list, tuple)):
        return type(first)(_concat([o[i] for o in outputs]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _concat([o[k] for o in outputs]) for k in first}
    return outputs


def _serialize_spec(spec):
    from ember import registry

    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(s) for s in spec]
    if isinstance(spec, dict):
        return {k: _serialize_spec(v) for k, v in spec.items()}
    return registry.serialize(spec)


def _deserialize_spec(spec, kind):
    from ember import registry

    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, list):
        return [_deserialize_spec(s, kind) for s in spec]
    if isinstance(spec, dict) and "class_name" in spec:
        return registry.deserialize(spec, kind=kind)
    if isinstance(spec, dict):
        return {k: _deserialize_spec(v, kind) for k, v in spec.items()}
    return spec


