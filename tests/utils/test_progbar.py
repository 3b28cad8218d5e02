"""Progbar: Keras's progress bar text, throttling and averaging."""

import re
import types

import pytest

import ember.utils.progbar as progbar_module
from ember.backend import np
from ember.utils import Progbar

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Clock:
    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progbar_module, "time", types.SimpleNamespace(time=c.time))
    return c


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(progbar_module, "dynamic_display", lambda: True)


def frames(out):
    """The bar's successive states, without escapes."""
    return [ANSI.sub("", f).rstrip("\b") for f in out.split("\r")[1:]]


def test_verbose_2_line(capsys, clock):
    bar = Progbar(469, verbose=2)
    clock.now = 0.01
    bar.update(1, [("accuracy", 0.5), ("loss", 1.0)])
    clock.now = 3.0
    bar.update(469, [("accuracy", 0.9), ("loss", 0.3)])
    assert capsys.readouterr().out == "469/469 - 3s - 6ms/step - accuracy: 0.9000 - loss: 0.3000\n"


def test_verbose_1_terminal_frames(capsys, clock, terminal):
    bar = Progbar(10, verbose=1, width=10, stateful_metrics=["loss"])
    clock.now = 1.0
    bar.update(1, [("loss", 2.0)])
    clock.now = 1.01
    bar.update(2, [("loss", 1.5)])  # within the interval: not drawn
    clock.now = 2.0
    bar.update(5, [("loss", 1.0)])
    clock.now = 3.0
    bar.update(10, [("loss", 0.5)])
    out = capsys.readouterr().out
    got = frames(out)
    assert got == [
        " 1/10 ━━━━━━━━━━ 9s 1s/step - loss: 2.0000",
        " 5/10 ━━━━━━━━━━ 1s 250ms/step - loss: 1.0000",
        "10/10 ━━━━━━━━━━ 3s 222ms/step - loss: 0.5000\n",
    ]
    assert out.endswith("\n") and out.count("\n") == 1
    # each redraw first steps back over the previous one
    assert "\b" * len(got[0]) + "\r" in out


def test_verbose_1_colours_done_part(capsys, clock, terminal):
    bar = Progbar(4, verbose=1, width=4)
    clock.now = 1.0
    bar.update(2)
    out = capsys.readouterr().out
    assert "\x1b[1m2/4\x1b[0m \x1b[32m━━\x1b[0m\x1b[37m━━\x1b[0m" in out


def test_shorter_frame_is_padded(capsys, clock, terminal):
    bar = Progbar(None, verbose=1, stateful_metrics=["m"])
    clock.now = 1.0
    bar.update(1, [("m", "a long text value")])
    clock.now = 2.0
    bar.update(2, [("m", "x")])
    first, second = capsys.readouterr().out.split("\r")[1:]
    assert len(ANSI.sub("", second).lstrip("\b")) == len(ANSI.sub("", first).rstrip("\b"))


def test_eta_formats(capsys, clock, terminal):
    bar = Progbar(10000, verbose=1)
    clock.now = 1.0
    bar.update(1)
    assert " 2:46:39 1s/step" in ANSI.sub("", capsys.readouterr().out)
    bar = Progbar(100, verbose=1)
    clock.now = 3.0
    bar.update(1)
    assert " 3:18 2s/step" in ANSI.sub("", capsys.readouterr().out)


def test_without_terminal_only_the_finished_bar(capsys, clock):
    bar = Progbar(3, verbose=1)
    for i in range(1, 3):
        clock.now += 1
        bar.update(i, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    clock.now += 1
    bar.update(3, [("loss", 1.0)])
    out = capsys.readouterr().out
    assert ANSI.sub("", out) == "3/3 ━━━━━━━━━━━━━━━━━━━━ 3s 1s/step - loss: 1.0000\n"


def test_values_are_averaged_unless_stateful(capsys, clock, terminal):
    bar = Progbar(10, verbose=1, interval=0, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.update(3, [("loss", 4.0), ("acc", 0.3)])  # loss 4.0 weighs two steps
    last = frames(capsys.readouterr().out)[-1]
    assert "loss: 3.0000 - acc: 0.3000" in last
    bar = Progbar(10, verbose=1, interval=0, stateless_metrics=())
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 4.0)])
    assert frames(capsys.readouterr().out)[-1].endswith("loss: 4.0000")


def test_small_values_and_arrays(capsys, clock):
    bar = Progbar(1, verbose=2)
    bar.update(1, [("lr", 1e-4), ("v", np.array([1.0, 3.0])), ("n", np.float32(0.5))])
    out = capsys.readouterr().out
    assert out.endswith("- lr: 1.0000e-04 - v: 2.0000 - n: 0.5000\n")


def test_add_and_unknown_target(capsys, clock, terminal):
    bar = Progbar(None, verbose=1, interval=0)
    bar.add(2)
    bar.add(3)
    assert frames(capsys.readouterr().out)[-1].startswith("      5/Unknown 0s")
    assert bar._seen_so_far == 5


def test_silent_and_bad_arguments(capsys):
    bar = Progbar(2, verbose=0)
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="Only one of"):
        Progbar(1, stateful_metrics=[], stateless_metrics=[])


def test_zero_target(capsys):
    Progbar(0, verbose=1).update(0, finalize=True)
    Progbar(0, verbose=2).update(0, finalize=True)
    assert "Unknown" in capsys.readouterr().out
