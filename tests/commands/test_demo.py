"""`ember demo` trains and prints a test accuracy, even offline with no cached data."""

import pytest

from ember import cli


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith("ember ")


def test_demo_falls_back_to_sklearn_digits_offline(tmp_path, monkeypatch, capsys):
    pytest.importorskip("sklearn", reason="the offline fallback uses scikit-learn's digits")
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "ember"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("EMBER_SYSTEM_DATASETS", str(tmp_path / "system"))
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    assert cli.main(["demo", "--epochs", "3", "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    assert "mnist is unavailable" in out and "scikit-learn's 8x8 digits" in out
    accuracy = float(out.strip().splitlines()[-1].split("test accuracy ")[1].split()[0])
    assert accuracy > 0.85


def test_demo_on_mnist(mnist_npz, tmp_path, monkeypatch, capsys):
    home = tmp_path / "ember"
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "mnist.npz").symlink_to(mnist_npz)
    monkeypatch.setenv("EMBER_HOME", str(home))
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    assert cli.main(["demo", "--epochs", "1", "--verbose", "0"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("mnist (28x28): test accuracy")
    assert float(last.split("test accuracy ")[1].split()[0]) > 0.9
