import pytest

from ember.callbacks import LearningRateScheduler, ReduceLROnPlateau

from .callback_fakes import FakeModel, run_fit


def test_reduce_on_plateau_after_patience():
    model = FakeModel(learning_rate=0.1)
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)
    rates = []
    from ember.callbacks import LambdaCallback

    spy = LambdaCallback(on_epoch_end=lambda e, logs: rates.append(model.optimizer.learning_rate))
    run_fit([cb, spy], [{"val_loss": v} for v in (1.0, 0.9, 0.95, 0.92, 0.91, 0.93)],
            model=model)
    # best 0.9 at epoch 1; epochs 2 and 3 do not improve -> halve; 4 and 5 -> halve again
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025])


def test_min_lr_and_cooldown():
    model = FakeModel(learning_rate=0.1)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, cooldown=1, min_lr=0.005)
    cbs, _ = run_fit([cb], [{"loss": 1.0}] * 6, model=model)
    # logged before the epoch's decision: reduce after epoch 1, the cooldown ends in epoch 2,
    # which reduces to min_lr; never lower
    assert cbs._history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.01, 0.005, 0.005, 0.005])
    assert model.optimizer.learning_rate == pytest.approx(0.005)


def test_accuracy_is_maximized_in_auto_mode():
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=1)
    run_fit([cb], [{"val_acc": v} for v in (0.5, 0.6, 0.7)], model=model)
    assert model.optimizer.learning_rate == 1.0


def test_factor_must_be_below_one():
    with pytest.raises(ValueError, match="factor=1.5"):
        ReduceLROnPlateau(factor=1.5)


def test_scheduler_sets_rate_each_epoch():
    model = FakeModel(learning_rate=1.0)
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch < 2 else lr * 0.5

    cbs, _ = run_fit([LearningRateScheduler(schedule)], [{"loss": 1.0}] * 4, model=model)
    assert seen == [(0, 1.0), (1, 1.0), (2, 1.0), (3, 0.5)]
    assert model.optimizer.learning_rate == 0.25
    assert cbs._history.history["learning_rate"] == [1.0, 1.0, 0.5, 0.25]


def test_scheduler_of_epoch_only_and_bad_output(capsys):
    model = FakeModel()
    run_fit([LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)],
            [{"loss": 1.0}] * 2, model=model)
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05." in \
        capsys.readouterr().out
    with pytest.raises(ValueError, match="should be a float"):
        run_fit([LearningRateScheduler(lambda epoch, lr: "fast")], [{"loss": 1.0}])


def test_min_delta_ignores_small_gains():
    model = FakeModel(learning_rate=1.0)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_delta=0.01)
    run_fit([cb], [{"loss": v} for v in (1.0, 0.995, 0.99)], model=model)
    assert model.optimizer.learning_rate == 0.5
