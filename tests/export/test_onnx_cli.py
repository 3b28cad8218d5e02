"""``ember export model.keras model.onnx``: load, export, and the same outputs as ember."""

import pytest
from onnx_parity import onnx, session

import ember
from ember import layers
from ember.backend import np
from ember.cli import main

saving = pytest.importorskip("ember.saving")
if not hasattr(saving, "load_model"):
    pytest.skip("ember.saving.load_model is not available yet", allow_module_level=True)


def saved_convnet(tmp_path):
    model = ember.Sequential([
        ember.Input((12, 12, 1)), layers.Conv2D(4, 3, activation="relu"),
        layers.MaxPooling2D(), layers.Flatten(), layers.Dense(5, activation="softmax")])
    path = tmp_path / "cnn.keras"
    model.save(str(path))
    return model, path


def test_export_command(tmp_path, capsys):
    model, path = saved_convnet(tmp_path)
    out = tmp_path / "cnn.onnx"
    assert main(["export", str(path), str(out), "--opset", "18", "--validate"]) == 0
    text = capsys.readouterr().out
    assert "opset 18" in text and str(out) in text
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 18
    x = np.random.default_rng(0).random((7, 12, 12, 1), dtype=np.float32)
    (y,) = session(proto).run(None, {proto.graph.input[0].name: x})
    np.testing.assert_allclose(y, model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_export_command_errors(tmp_path):
    with pytest.raises(SystemExit, match="no such file"):
        main(["export", str(tmp_path / "missing.keras"), str(tmp_path / "m.onnx")])
    model = ember.Sequential([ember.Input((4,)), layers.Dense(3), layers.Dense(2)])
    path = tmp_path / "m.keras"
    model.save(str(path))
    with pytest.raises(SystemExit, match="opset"):
        main(["export", str(path), str(tmp_path / "m.onnx"), "--opset", "12"])
    assert not (tmp_path / "m.onnx").exists()
