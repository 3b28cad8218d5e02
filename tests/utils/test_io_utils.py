"""ember.utils.io_utils.print_msg: stdout, or the "ember" logger when interactive logging is
off (keras.config.disable_interactive_logging)."""

import logging

import pytest

from ember import config
from ember.utils.io_utils import print_msg


@pytest.fixture
def logging_off():
    config.disable_interactive_logging()
    yield
    config.enable_interactive_logging()


def test_stdout_with_and_without_line_break(capsys, caplog):
    with caplog.at_level(logging.INFO, logger="ember"):
        print_msg("one")
        print_msg("two", line_break=False)
        print_msg(3)
    assert capsys.readouterr().out == "one\ntwo3\n"
    assert not [r for r in caplog.records if r.name == "ember"]


def test_logging_when_interactive_logging_is_off(capsys, caplog, logging_off):
    with caplog.at_level(logging.INFO, logger="ember"):
        print_msg("one")
        print_msg("two\n", line_break=False)
    assert capsys.readouterr().out == ""
    records = [r for r in caplog.records if r.name == "ember"]
    assert [(r.levelno, r.getMessage()) for r in records] == [(logging.INFO, "one"),
                                                              (logging.INFO, "two")]


def test_progbar_draws_no_redraws_into_logs(caplog, logging_off):
    from ember.utils.progbar import Progbar, dynamic_display

    assert dynamic_display() is False
    bar = Progbar(3, verbose=1, interval=0.0)
    with caplog.at_level(logging.INFO, logger="ember"):
        for i in range(3):
            bar.update(i + 1, [("loss", 1.0)])
    messages = [r.getMessage() for r in caplog.records if r.name == "ember"]
    assert len(messages) == 1 and "3/3" in messages[0] and "loss: 1.0000" in messages[0]
