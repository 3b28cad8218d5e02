from ember.callbacks import History

from .callback_fakes import FakeModel, run_fit


def test_history_records_each_epoch():
    model = FakeModel()
    logs = [{"loss": 0.5, "accuracy": 0.8}, {"loss": 0.4, "accuracy": 0.85},
            {"loss": 0.3, "accuracy": 0.9}]
    cbs, _ = run_fit([], logs, model=model, steps=5)
    history = model.history
    assert isinstance(history, History)
    assert history.history == {"loss": [0.5, 0.4, 0.3], "accuracy": [0.8, 0.85, 0.9]}
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 5}
    assert history.model is model


def test_history_keeps_values_across_fits_but_resets_epochs():
    model = FakeModel()
    history = History()
    run_fit([history], [{"loss": 1.0}], model=model)
    run_fit([history], [{"loss": 0.5}], model=model)
    assert history.history == {"loss": [1.0, 0.5]}
    assert history.epoch == [0]
