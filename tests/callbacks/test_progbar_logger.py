"""ProgbarLogger's output through fit/evaluate/predict-shaped hook sequences."""

import re
import types

import pytest

import ember.callbacks.progbar_logger as progbar_logger_module
import ember.utils.progbar as progbar_module
from ember.callbacks import CallbackList, ProgbarLogger

from .callback_fakes import LazyLogs, run_fit

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    fake = types.SimpleNamespace(time=c.time)
    monkeypatch.setattr(progbar_module, "time", fake)
    monkeypatch.setattr(progbar_logger_module, "time", fake)
    return c


def test_verbose_2_prints_one_line_per_epoch(capsys):
    logs = [{"accuracy": 0.9, "loss": 0.3, "val_accuracy": 0.85, "val_loss": 0.4},
            {"accuracy": 0.95, "loss": 0.2, "val_accuracy": 0.875, "val_loss": 0.35}]
    run_fit([], logs, steps=469, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    pattern = (r"469/469 - \d+s - \d+(us|ms|s)/step - accuracy: 0\.9000 - loss: 0\.3000 - "
               r"val_accuracy: 0\.8500 - val_loss: 0\.4000")
    assert re.fullmatch(pattern, lines[1]), lines[1]
    assert lines[3].endswith("accuracy: 0.9500 - loss: 0.2000 - val_accuracy: 0.8750 - "
                             "val_loss: 0.3500")
    assert len(lines) == 4


def test_verbose_2_timing(capsys, clock):
    cbs = CallbackList([], add_progbar=True, verbose=2, epochs=1, steps=469)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    clock.now += 3.0
    cbs.on_epoch_end(0, {"loss": 0.3})
    assert capsys.readouterr().out == "469/469 - 3s - 6ms/step - loss: 0.3000\n"


def test_verbose_1_without_terminal_writes_the_finished_bar_once(capsys, clock):
    logs = LazyLogs({"loss": 0.5})
    cbs = CallbackList([], add_progbar=True, verbose="auto", epochs=1, steps=3)
    assert not cbs.has_hook("on_train_batch_end")  # nothing to redraw without a terminal
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for step in range(3):
        clock.now += 0.1
        cbs.on_train_batch_end(step, logs)
    cbs.on_epoch_end(0, {"loss": 0.5})
    out = capsys.readouterr().out
    assert logs.reads == 0
    assert ANSI.sub("", out) == "3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 100ms/step - loss: 0.5000\n"


def test_verbose_1_on_a_terminal_redraws_at_most_every_interval(capsys, clock, monkeypatch):
    monkeypatch.setattr(progbar_module, "dynamic_display", lambda: True)
    monkeypatch.setattr(progbar_logger_module, "dynamic_display", lambda: True)
    logs = LazyLogs({"loss": 0.5})
    cbs = CallbackList([], add_progbar=True, verbose=1, epochs=1, steps=100)
    cbs.on_train_begin()
    assert cbs.has_hook("on_train_batch_end")
    cbs.on_epoch_begin(0)
    for step in range(100):
        clock.now += 0.01  # 10 ms per step: a redraw every 5 steps
        cbs.on_train_batch_end(step, logs)
    draws = capsys.readouterr().out.count("\r")
    assert 15 <= draws <= 21
    assert logs.reads == draws  # the logs are read only to draw
    cbs.on_epoch_end(0, {"loss": 0.25})
    last = ANSI.sub("", capsys.readouterr().out.split("\r")[-1])
    assert last.startswith("100/100 ━━━━━━━━━━━━━━━━━━━━ 1s 10ms/step - loss: 0.2500")
    assert last.endswith("\n")


def test_validation_in_fit_is_silent_but_evaluate_is_not(capsys):
    cbs = CallbackList([], add_progbar=True, verbose=2, epochs=1, steps=2)
    cbs.on_train_begin()
    assert not cbs.has_hook("on_test_batch_end")
    cbs.on_epoch_begin(0)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 9.0})
    cbs.on_test_end({"loss": 9.0})
    cbs.on_epoch_end(0, {"loss": 1.0, "val_loss": 9.0})
    cbs.on_train_end()
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "val_loss: 9.0000" in out

    evaluate = CallbackList([], add_progbar=True, verbose=2, epochs=1, steps=4)
    evaluate.on_test_begin()
    for step in range(4):
        evaluate.on_test_batch_end(step, {"loss": 2.0})
    evaluate.on_test_end({"loss": 2.0, "accuracy": 0.5})
    out = capsys.readouterr().out
    assert re.fullmatch(r"4/4 - \d+s - \S+/step - loss: 2\.0000 - accuracy: 0\.5000\n", out)


def test_predict_with_unknown_steps_counts_batches(capsys):
    cbs = CallbackList([], add_progbar=True, verbose=2, epochs=1, steps=None)
    assert cbs.has_hook("on_predict_batch_end")
    cbs.on_predict_begin()
    for step in range(7):
        cbs.on_predict_batch_end(step, {"outputs": object()})
    cbs.on_predict_end()
    assert re.fullmatch(r"7/7 - \d+s - \S+/step\n", capsys.readouterr().out)


def test_single_epoch_has_no_epoch_header(capsys):
    run_fit([ProgbarLogger()], [{"loss": 1.0}], verbose=2)
    out = capsys.readouterr().out
    assert "Epoch" not in out and out.startswith("3/3 - ")
