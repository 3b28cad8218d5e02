"""CSVLogger, TerminateOnNaN and LambdaCallback."""

import math

import pytest

from ember.callbacks import CSVLogger, LambdaCallback, TerminateOnNaN

from .callback_fakes import FakeModel, LazyLogs, run_fit


def test_csv_logger_content(tmp_path):
    path = tmp_path / "log.csv"
    run_fit([CSVLogger(path)], [{"loss": 0.5, "accuracy": 0.75, "val_loss": 0.25},
                                {"loss": 0.25, "accuracy": 0.875, "val_loss": 0.125}])
    with open(path, newline="") as f:
        text = f.read()
    assert text == ("epoch,accuracy,loss,val_loss\r\n"
                    "0,0.75,0.5,0.25\r\n"
                    "1,0.875,0.25,0.125\r\n")


def test_csv_logger_append_and_separator(tmp_path):
    path = tmp_path / "log.tsv"
    run_fit([CSVLogger(path, separator="\t")], [{"loss": 1.0}])
    run_fit([CSVLogger(path, separator="\t", append=True)], [{"loss": 0.5}])
    lines = path.read_text().splitlines()
    assert lines == ["epoch\tloss", "0\t1.0", "0\t0.5"]


def test_csv_logger_keeps_val_columns_of_the_model(tmp_path):
    model = FakeModel()
    model.metrics_names = ["loss", "val_loss"]
    path = tmp_path / "log.csv"
    run_fit([CSVLogger(path)], [{"loss": 1.0}], model=model)
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,1.0,NA"]


def test_terminate_on_nan_stops_training(capsys):
    model = FakeModel()
    batch_logs = {"loss": math.nan}
    _, ran = run_fit([TerminateOnNaN()], [{"loss": 1.0}] * 3, model=model, steps=4,
                     batch_logs=batch_logs)
    assert ran == [0] and model.stop_training
    assert model.kernel.tolist() == [1.0, 1.0, 1.0]  # stopped after the first batch
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_ignores_finite_and_can_raise():
    model = FakeModel()
    logs = LazyLogs({"loss": 0.5, "accuracy": 0.1})
    _, ran = run_fit([TerminateOnNaN()], [{"loss": 1.0}] * 2, model=model, batch_logs=logs)
    assert ran == [0, 1] and not model.stop_training
    assert logs.reads == 6  # only the loss, once per batch
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        run_fit([TerminateOnNaN(raise_error=True)], [{"loss": 1.0}],
                batch_logs={"loss": math.inf})


def test_lambda_callback_hooks():
    events = []
    cb = LambdaCallback(
        on_train_begin=lambda logs: events.append("begin"),
        on_epoch_end=lambda epoch, logs: events.append(("epoch", epoch, logs["loss"])),
        on_train_batch_end=lambda batch, logs: events.append(("batch", batch)),
        on_train_end=lambda logs: events.append("end"),
    )
    run_fit([cb], [{"loss": 0.5}], steps=2)
    assert events == ["begin", ("batch", 0), ("batch", 1), ("epoch", 0, 0.5), "end"]


def test_lambda_callback_other_hooks_and_unknown_names():
    ended = []
    cb = LambdaCallback(on_test_end=lambda logs: ended.append(logs))
    cb.on_test_end({"loss": 1})
    assert ended == [{"loss": 1}]
    with pytest.raises(ValueError, match="on_epoch_finish"):
        LambdaCallback(on_epoch_finish=print)
