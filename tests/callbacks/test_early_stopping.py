import pytest

from ember.callbacks import EarlyStopping

from .callback_fakes import FakeModel, run_fit


def losses(*values, key="val_loss"):
    return [{key: v} for v in values]


def test_stops_after_patience_epochs_without_improvement():
    model = FakeModel()
    cb = EarlyStopping(monitor="val_loss", patience=2)
    _, ran = run_fit([cb], losses(1.0, 0.8, 0.9, 0.85, 0.7, 0.6), model=model)
    # best at epoch 1; epochs 2 and 3 do not improve: stop at the end of epoch 3
    assert ran == [0, 1, 2, 3]
    assert cb.stopped_epoch == 3 and cb.best == 0.8 and cb.best_epoch == 1
    assert model.stop_training


def test_patience_zero_stops_at_first_non_improvement():
    _, ran = run_fit([EarlyStopping(monitor="loss")], losses(3, 2, 2, 1, key="loss"))
    assert ran == [0, 1, 2]


def test_min_delta_counts_small_gains_as_none():
    cb = EarlyStopping(monitor="loss", min_delta=0.1, patience=1)
    _, ran = run_fit([cb], losses(1.0, 0.95, 0.92, 0.5, key="loss"))
    assert ran == [0, 1]


def test_max_mode_and_auto_for_accuracy():
    for mode in ("max", "auto"):
        cb = EarlyStopping(monitor="val_accuracy", mode=mode, patience=1)
        _, ran = run_fit([cb], losses(0.5, 0.6, 0.55, 0.58, 0.9, key="val_accuracy"))
        assert ran == [0, 1, 2], mode


def test_auto_mode_asks_the_model_metric_direction():
    class Metric:
        name = "score"
        _direction = "up"

    model = FakeModel()
    model.metrics = [Metric()]
    cb = EarlyStopping(monitor="score", patience=0)
    _, ran = run_fit([cb], losses(1.0, 2.0, 1.5, key="score"), model=model)
    assert ran == [0, 1, 2]


def test_auto_mode_unknown_metric_raises():
    cb = EarlyStopping(monitor="mystery")
    with pytest.raises(ValueError, match="mode='max'"):
        run_fit([cb], losses(1.0, key="mystery"))


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="unknown"):
        cb = EarlyStopping(mode="sideways")
    assert cb.mode == "auto"


def test_restore_best_weights_when_stopped():
    model = FakeModel()
    cb = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    run_fit([cb], losses(1.0, 0.5, 0.7, 0.8, key="loss"), model=model, steps=3)
    # best at epoch 1: after 2 epochs of 3 steps each the kernel was 6
    assert cb.stopped_epoch == 2
    assert model.kernel.tolist() == [6.0, 6.0, 6.0]


def test_restore_best_weights_even_without_early_stop():
    model = FakeModel()
    cb = EarlyStopping(monitor="loss", patience=10, restore_best_weights=True)
    run_fit([cb], losses(1.0, 0.2, 0.7, key="loss"), model=model, steps=2)
    assert cb.stopped_epoch == 0
    assert model.kernel.tolist() == [4.0, 4.0, 4.0]


def test_baseline_only_resets_wait_when_beaten():
    values = losses(1.0, 1.1, 1.2, 0.9, key="loss")
    _, ran = run_fit([EarlyStopping(monitor="loss", patience=2)], values)
    assert ran == [0, 1, 2]
    model = FakeModel()
    cb = EarlyStopping(monitor="loss", patience=2, baseline=0.5, restore_best_weights=True)
    _, ran = run_fit([cb], values, model=model, steps=1)
    # epoch 0 improves on the best but not on the baseline: the wait goes on
    assert ran == [0, 1]
    assert model.kernel.tolist() == [1.0, 1.0, 1.0]  # best epoch 0 restored


def test_start_from_epoch_skips_warm_up():
    cb = EarlyStopping(monitor="loss", patience=0, start_from_epoch=2)
    _, ran = run_fit([cb], losses(1.0, 2.0, 3.0, 4.0, 5.0, key="loss"))
    assert ran == [0, 1, 2, 3]


def test_missing_monitor_warns_and_continues():
    cb = EarlyStopping(monitor="val_loss")
    with pytest.warns(UserWarning, match="val_loss.*Available metrics are: loss"):
        _, ran = run_fit([cb], losses(1.0, 2.0, key="loss"))
    assert ran == [0, 1]


def test_reused_instance_starts_fresh(capsys):
    cb = EarlyStopping(monitor="loss", verbose=1)
    run_fit([cb], losses(1.0, 2.0, key="loss"))
    assert "Epoch 2: early stopping" in capsys.readouterr().out
    _, ran = run_fit([cb], losses(5.0, 4.0, key="loss"))
    assert ran == [0, 1]
