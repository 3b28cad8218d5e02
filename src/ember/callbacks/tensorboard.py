"""``TensorBoard``: write training curves, weight histograms and the model for TensorBoard."""

import contextlib
import os
import time
import warnings
from collections.abc import Mapping

from ember.backend import xp
from ember.callbacks.callback import Callback
from ember.registry import register

# The tensor name Keras gives the first Embedding's weights in the projector config.
_EMBEDDING_TENSOR = "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"


def _summary():
    # loaded on first use: `import ember.callbacks` stays light
    from ember.tf import summary

    return summary


def _profile_range(profile_batch):
    """``(start, stop)`` batches from ``profile_batch`` (an int, a pair, or ``"a,b"``)."""
    message = ("TensorBoard: profile_batch must be a non-negative integer or 2-tuple of "
               "positive integers. A pair of positive integers signifies a range of batches "
               f"to profile. Found: {profile_batch}")
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        if len(value) == 1:
            value = value[0]
    if isinstance(value, int) and not isinstance(value, bool):
        start = stop = value
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        start, stop = value
    else:
        raise ValueError(message)
    if start < 0 or stop < start:
        raise ValueError(message)
    return start, stop


def _weight_image(array):
    """A weight as TensorBoard images ``[k, h, w, 1]`` the way Keras lays it out (a bias as
    one column, a Dense kernel wide side horizontal, a 1-D conv kernel one image per output
    channel), or None for shapes Keras does not draw."""
    img = xp.squeeze(array)
    if img.ndim == 1:
        img = img.reshape(1, img.shape[0], 1, 1)
    elif img.ndim == 2:
        if img.shape[0] > img.shape[1]:
            img = img.T
        img = img.reshape(1, img.shape[0], img.shape[1], 1)
    elif img.ndim == 3:
        from ember import config

        if config.image_data_format() == "channels_last":
            img = xp.transpose(img, (2, 0, 1))
        img = img.reshape(img.shape + (1,))
    if img.ndim == 4 and img.shape[-1] in (1, 3, 4):
        return img
    return None


@register("callback")
class TensorBoard(Callback):
    """Writes event files for TensorBoard (``tensorboard --logdir=<log_dir>``), as Keras 3.

    Per epoch, in ``<log_dir>/train`` and ``<log_dir>/validation``: the scalars
    ``epoch_<metric>`` (``epoch_loss``, ``epoch_accuracy``, ...; in ``train`` also
    ``epoch_learning_rate`` and, with ``write_steps_per_second``, ``epoch_steps_per_second``),
    at step ``epoch``. After each validation or ``evaluate``, in ``validation``:
    ``evaluation_<metric>_vs_iterations`` at step ``optimizer.iterations``.

    Args:
        log_dir: Directory of the logs (``train/`` and ``validation/`` go under it).
        histogram_freq: Every this many epochs (0: never), a histogram of each weight of
            each layer, tagged ``<weight.path>/histogram``, at step ``epoch``.
        write_graph: Write the model's JSON config (tag ``keras``, plugin
            ``graph_keras_model``: TensorBoard's conceptual graph) for a Sequential or
            Functional model. An op-level graph is not written: ember has no graph.
        write_images: With histograms, also each weight as an image (``<path>/image``).
        write_steps_per_second: Also log the training steps per second.
        update_freq: ``"epoch"``, ``"batch"`` or an integer N: with ``"batch"`` (1) or N, the
            batch logs are also written as ``batch_<metric>`` every N batches (step: the
            batch count since ``fit`` began), and ``tf.summary`` calls made during training
            (e.g. in ``call``) go to ``train`` every N batches. The epoch summaries are
            written whatever N (Keras 3 loses them when N does not divide the batch count).
        profile_batch: Accepted and checked as Keras does; ember has no profiler, so a
            non-zero value warns and is ignored.
        embeddings_freq: Every this many epochs (0: never), save the weights to
            ``train/keras_embedding.ckpt-<epoch>.weights.h5``, with a
            ``projector_config.pbtxt`` naming the Embedding layers, as Keras does.
        embeddings_metadata: A file name, or a dict from Embedding layer name to file
            name, written into the projector config as the metadata path.

    Raises:
        ValueError: for an ``update_freq``, ``histogram_freq``, ``embeddings_freq`` or
            ``profile_batch`` of the wrong kind, and (when the model is set) for
            ``embeddings_metadata`` naming layers that are not Embedding layers.

    Example:
        >>> tensorboard = TensorBoard(log_dir="./logs", histogram_freq=1)
        >>> # model.fit(x, y, epochs=2, callbacks=[tensorboard])
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir) if isinstance(log_dir, os.PathLike) else str(log_dir)
        for name, value in (("histogram_freq", histogram_freq),
                            ("embeddings_freq", embeddings_freq)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"TensorBoard: {name} must be a non-negative integer. "
                                 f"Received: {name}={value!r}")
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool)
                                       or not isinstance(update_freq, int) or update_freq < 1):
            raise ValueError("TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"integer. Received: update_freq={update_freq!r}")
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        if self._stop_batch:
            warnings.warn("TensorBoard: ember has no profiler; profile_batch="
                          f"{profile_batch!r} is ignored.", stacklevel=2)
        self._global_train_batch = 0
        self._global_test_batch = 0
        self._previous_epoch_iterations = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        self._writers = {}
        self._pushed = []  # the default-writer contexts entered for batch-level summaries
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")

    # -- writers ---------------------------------------------------------------------------------
    def _writer(self, which):
        writer = self._writers.get(which)
        if writer is None:
            path = self._train_dir if which == "train" else self._val_dir
            writer = self._writers[which] = _summary().create_file_writer(path)
        return writer

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _push_writer(self, which, counter):
        """Make ``which`` the default writer of ``tf.summary`` calls, recording when the
        batch counter attribute ``counter`` is a multiple of ``update_freq``."""
        if self.update_freq == "epoch":
            return
        summary = _summary()
        stack = contextlib.ExitStack()
        stack.enter_context(self._writer(which).as_default(step=getattr(self, counter)))
        stack.enter_context(summary.record_if(
            lambda: getattr(self, counter) % self.update_freq == 0))
        self._pushed.append(stack)

    @contextlib.contextmanager
    def _recording(self, which):
        """``which`` as the default writer, recording whatever the batch condition: epoch
        summaries are always written (Keras 3 drops them when the epoch's last batch is not
        a multiple of ``update_freq``: tensorflow/tensorboard#4975)."""
        summary = _summary()
        with self._writer(which).as_default(), summary.record_if(True):
            yield summary

    def _pop_writer(self):
        if self._pushed:
            self._pushed.pop().close()

    # -- hooks -----------------------------------------------------------------------------------
    def _uses_hook(self, name):
        if name in ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin"):
            return self.update_freq != "epoch"  # nothing is written per batch otherwise
        return super()._uses_hook(name)

    def set_model(self, model):
        self._close_writers()
        self.model = model
        if self.write_graph:
            self._write_model_config()
        if self.embeddings_freq:
            self._write_projector_config()

    def on_train_begin(self, logs=None):
        while self._pushed:  # left by a fit that raised
            self._pop_writer()
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._push_writer("train", "_global_train_batch")

    def on_train_end(self, logs=None):
        self._pop_writer()
        self._close_writers()

    def on_test_begin(self, logs=None):
        self._push_writer("val", "_global_test_batch")

    def on_test_end(self, logs=None):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        if iterations is not None and logs:
            step = int(_value(iterations))
            with self._recording("val") as summary:
                for name, value in logs.items():
                    summary.scalar(f"evaluation_{name}_vs_iterations", _value(value), step=step)
        self._pop_writer()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        _summary().set_step(self._global_train_batch)
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch, logs=None):
        summary = _summary()
        if not summary.should_record_summaries():
            return  # not a batch to record: the (lazy) logs are not even computed
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-9)
            summary.scalar("batch_steps_per_second", 1.0 / elapsed, step=step)
        if isinstance(logs, Mapping):
            for name, value in logs.items():
                summary.scalar(f"batch_{name}", _value(value), step=step)

    def on_test_batch_begin(self, batch, logs=None):
        self._global_test_batch += 1
        _summary().set_step(self._global_test_batch)

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            path = os.path.join(self._train_dir, f"keras_embedding.ckpt-{epoch}.weights.h5")
            os.makedirs(self._train_dir, exist_ok=True)
            self.model.save_weights(path)

    # -- what is written -------------------------------------------------------------------------
    def _iterations(self):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        return 0 if iterations is None else int(_value(iterations))

    def _learning_rates(self, logs):
        from ember.optimizers import Optimizer

        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer
        if hasattr(optimizer, "optimizers"):
            for opt in optimizer.optimizers:
                logs[f"learning_rate_{opt.name}"] = float(_value(opt.learning_rate))
        elif isinstance(optimizer, Optimizer):
            logs["learning_rate"] = float(_value(optimizer.learning_rate))
        return logs

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train = self._learning_rates(train)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            train["steps_per_second"] = (
                (self._iterations() - self._previous_epoch_iterations) / elapsed)
        for which, values in (("train", train), ("val", val)):
            if values:
                with self._recording(which) as summary:
                    for name, value in values.items():
                        summary.scalar(f"epoch_{name}", _value(value), step=epoch)

    def _log_weights(self, epoch):
        with self._recording("train") as summary:
            for layer in self.model.layers:
                for weight in layer.weights:
                    name = weight.path.replace(":", "_")
                    data = _value(weight)
                    summary.histogram(f"{name}/histogram", data, step=epoch)
                    if self.write_images:
                        image = _weight_image(data)
                        if image is not None:
                            summary.image(f"{name}/image", image, step=epoch)

    def _write_model_config(self):
        """The model's JSON as Keras's ``keras_model_summary`` writes it (train, step 0)."""
        from ember.models import Functional, Sequential
        from ember.tf import _event_file

        if not isinstance(self.model, (Sequential, Functional)):
            return
        try:
            config = self.model.to_json()
        except Exception as e:  # noqa: BLE001 - a model that cannot serialize still trains
            warnings.warn(f"TensorBoard: the model failed to serialize as JSON, its graph is "
                          f"not written: {e}", stacklevel=3)
            return
        value = _event_file.summary_value("keras", _event_file.tensor_proto(xp.asarray(config)),
                                          "graph_keras_model", plugin_content=b"1")
        writer = self._writer("train")
        writer._write(value, 0)
        writer.flush()

    def _write_projector_config(self):
        """``projector_config.pbtxt`` (protobuf text format) naming the Embedding layers."""
        from ember.layers import Embedding

        metadata = self.embeddings_metadata
        remaining = dict(metadata) if isinstance(metadata, Mapping) else None
        lines = []
        for layer in self.model.layers:
            if not isinstance(layer, Embedding):
                continue
            lines += ["embeddings {", f'  tensor_name: "{_EMBEDDING_TENSOR}"']
            path = metadata if isinstance(metadata, str) else None
            if remaining is not None and layer.name in remaining:
                path = remaining.pop(layer.name)
            if path is not None:
                escaped = str(path).replace("\\", "\\\\").replace('"', '\\"')
                lines.append(f'  metadata_path: "{escaped}"')
            lines.append("}")
        if remaining:
            raise ValueError("Unrecognized `Embedding` layer names passed to "
                             "`keras.callbacks.TensorBoard` `embeddings_metadata` argument: "
                             f"{sorted(remaining)}")
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w",
                  encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))


def _value(x):
    """The array or number behind a Variable, a Tensor or a number."""
    from ember.autodiff.tensor import data_of

    return data_of(x)
