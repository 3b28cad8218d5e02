"""CallbackList: default callbacks, params and model, and skipping hooks nobody overrides."""

import pytest

from ember.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    LambdaCallback,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from ember.callbacks.callback_list import EpochLogs

from .callback_fakes import FakeModel, LazyLogs, run_fit


class EpochOnly(Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


class BatchCounter(Callback):
    def __init__(self):
        super().__init__()
        self.ends = 0

    def on_train_batch_end(self, batch, logs=None):
        self.ends += 1


class OldStyle(Callback):
    """Overrides the Keras 2 alias on_batch_end only."""

    def __init__(self):
        super().__init__()
        self.ends = 0

    def on_batch_end(self, batch, logs=None):
        self.ends += 1


def test_adds_history_and_progbar_once():
    cbs = CallbackList([], add_history=True, add_progbar=True, verbose=1, epochs=1, steps=2)
    kinds = [type(c) for c in cbs.callbacks]
    assert kinds == [History, ProgbarLogger]
    own = History()
    cbs = CallbackList([own], add_history=True, add_progbar=False)
    assert cbs.callbacks == [own]


def test_model_params_and_history_attribute():
    model = FakeModel()
    cb = EpochOnly()
    cbs = CallbackList([[cb]], add_history=True, model=model, verbose=0, epochs=3, steps=7)
    assert cb.model is model and cbs.model is model
    assert cb.params == {"verbose": 0, "epochs": 3, "steps": 7}
    assert model.history is cbs.callbacks[-1]


def test_batch_hooks_skipped_when_nobody_overrides_them():
    model = FakeModel()
    callbacks = [EpochOnly(), EarlyStopping(monitor="loss"),
                 ModelCheckpoint("/nonexistent/m.keras"), ReduceLROnPlateau(monitor="loss")]
    cbs = CallbackList(callbacks, add_history=True, add_progbar=True, model=model,
                       verbose=2, epochs=1, steps=1875)
    for name in ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_end",
                 "on_predict_batch_end"):
        assert not cbs.has_hook(name), name
    assert cbs.has_hook("on_epoch_end")
    # the trainer's lazy batch logs are never read
    logs = LazyLogs({"loss": 1.0})
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for step in range(1875):
        cbs.on_train_batch_begin(step)
        cbs.on_train_batch_end(step, logs)
    assert logs.reads == 0


def test_batch_hook_called_only_on_callbacks_that_define_it():
    counter, old, epoch_only = BatchCounter(), OldStyle(), EpochOnly()
    cbs = CallbackList([epoch_only, counter, old], verbose=0, epochs=1, steps=4)
    assert cbs.has_hook("on_train_batch_end")
    assert not cbs.has_hook("on_train_batch_begin")
    for step in range(4):
        cbs.on_train_batch_end(step, {"loss": 1.0})
    assert counter.ends == 4 and old.ends == 4


def test_lambda_and_terminate_on_nan_activate_batch_hooks():
    seen = []
    cb = LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(batch))
    cbs = CallbackList([cb])
    assert cbs.has_hook("on_train_batch_begin") and not cbs.has_hook("on_train_batch_end")
    cbs.on_train_batch_begin(5)
    assert seen == [5]
    assert CallbackList([TerminateOnNaN()]).has_hook("on_train_batch_end")


def test_checkpoint_per_batches_uses_batch_hook(tmp_path):
    per_epoch = CallbackList([ModelCheckpoint(str(tmp_path / "a.keras"))])
    per_batch = CallbackList([ModelCheckpoint(str(tmp_path / "a.keras"), save_freq=10)])
    assert not per_epoch.has_hook("on_train_batch_end")
    assert per_batch.has_hook("on_train_batch_end")


def test_append_refreshes_hooks():
    cbs = CallbackList([], model=FakeModel(), verbose=0, epochs=1, steps=1)
    assert not cbs.has_hook("on_train_batch_end")
    counter = BatchCounter()
    cbs.append(counter)
    assert cbs.has_hook("on_train_batch_end") and counter.params["steps"] == 1
    cbs.on_train_batch_end(0)
    assert counter.ends == 1


def test_batch_logs_none_becomes_empty_dict():
    got = []
    cbs = CallbackList([LambdaCallback(on_train_batch_end=lambda b, logs: got.append(logs))])
    cbs.on_train_batch_end(0)
    assert got == [{}]


def test_epoch_logs_copied_once_and_trainer_logs_untouched():
    model = FakeModel()
    received = []
    spy = LambdaCallback(on_epoch_end=lambda epoch, logs: received.append(logs))
    trainer_logs = LazyLogs({"loss": 0.5, "val_loss": 0.7})
    cbs, _ = run_fit([ReduceLROnPlateau(monitor="loss"), spy], [trainer_logs], model=model)
    assert dict(trainer_logs) == {"loss": 0.5, "val_loss": 0.7}
    assert isinstance(received[0], EpochLogs)
    # the scheduler's learning_rate reaches the callbacks after it, as in Keras
    assert received[0]["learning_rate"] == pytest.approx(0.01)
    assert cbs._history.history["learning_rate"] == [pytest.approx(0.01)]


def test_epoch_logs_become_python_floats():
    from ember.backend import np

    received = []
    spy = LambdaCallback(on_epoch_end=lambda epoch, logs: received.append(dict(logs)))
    run_fit([spy], [{"loss": np.float32(0.25), "acc": np.array(0.5), "out": {"a_loss": 1}}])
    assert received == [{"loss": 0.25, "acc": 0.5, "a_loss": 1}]
    assert type(received[0]["loss"]) is float


def test_all_hooks_reach_callbacks():
    calls = []

    class Recorder(Callback):
        pass

    rec = Recorder()
    from ember.callbacks.callback import HOOKS

    for name in HOOKS:
        if "batch" in name:
            setattr(rec, name, lambda batch, logs=None, name=name: calls.append(name))
        elif "epoch" in name:
            setattr(rec, name, lambda epoch, logs=None, name=name: calls.append(name))
        else:
            setattr(rec, name, lambda logs=None, name=name: calls.append(name))
    cbs = CallbackList([rec])
    for name in HOOKS:
        if "batch" in name or "epoch" in name:
            getattr(cbs, name)(0, {})
        else:
            getattr(cbs, name)({})
    assert calls == list(HOOKS)
