import pytest

from ember.callbacks import ModelCheckpoint

from .callback_fakes import FakeModel, run_fit


def test_file_names_from_epoch_and_logs(tmp_path):
    model = FakeModel()
    path = tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.2f}.keras"
    cb = ModelCheckpoint(path)
    run_fit([cb], [{"val_loss": 0.5}, {"val_loss": 0.25}], model=model)
    assert model.saved == ["m-01-0.50.keras", "m-02-0.25.keras"]
    assert (tmp_path / "ckpt" / "m-02-0.25.keras").read_text() == "model"


def test_save_best_only(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}.keras"), monitor="val_loss",
                         save_best_only=True)
    run_fit([cb], [{"val_loss": v} for v in (0.5, 0.6, 0.4, 0.45)], model=model)
    assert model.saved == ["e1.keras", "e3.keras"]
    assert cb.best == 0.4


def test_save_best_only_max_mode_and_threshold(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}.keras"), monitor="val_accuracy",
                         save_best_only=True, initial_value_threshold=0.55)
    run_fit([cb], [{"val_accuracy": v} for v in (0.5, 0.6, 0.58, 0.7)], model=model)
    assert model.saved == ["e2.keras", "e4.keras"]


def test_weights_only(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)
    run_fit([cb], [{"loss": 1.0}], model=model)
    assert (tmp_path / "w.weights.h5").read_text() == "weights"


def test_extension_errors(tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`.*filepath="):
        ModelCheckpoint(str(tmp_path / "model.ckpt"))
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="batch")


def test_save_freq_in_batches(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=2)
    run_fit([cb], [{"loss": 1.0}, {"loss": 0.5}], model=model, steps=3)
    # six batches over two epochs: saves after the 2nd, 4th and 6th
    assert model.saved == ["e1-b2.keras", "e2-b1.keras", "e2-b3.keras"]


def test_missing_format_key(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        run_fit([cb], [{"loss": 1.0}])


def test_verbose_messages(tmp_path, capsys):
    cb = ModelCheckpoint(str(tmp_path / "m.keras"), monitor="loss", save_best_only=True,
                         verbose=1)
    run_fit([cb], [{"loss": 1.0}, {"loss": 2.0}])
    out = capsys.readouterr().out
    assert "Epoch 1: loss improved from inf to 1.00000, saving model to" in out
    assert "Epoch 2: loss did not improve from 1.00000" in out
