"""``ember serve``: arguments, and the command itself in a subprocess."""

import signal
import socket
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from ember.backend import np

from .conftest import have_saving, httpx, mlp

needs_saving = pytest.mark.skipif(not have_saving(), reason="ember.saving.load_model is absent")


def args(**kw):
    base = dict(model=None, model_name=None, model_base_path=None, version_label=[],
                max_batch_size=64, batch_window_ms=2.0, max_body_bytes=1 << 24,
                version_policy="latest", blas_threads=1)
    base.update(kw)
    return SimpleNamespace(**base)


def test_plan(tmp_path):
    from ember.commands.serve import plan
    from ember.serving import SingleFile, VersionDirectory

    f = tmp_path / "digits.keras"
    f.write_bytes(b"")
    name, source, options = plan(args(model=str(f)))
    assert name == "digits" and isinstance(source, SingleFile)
    name, source, options = plan(args(model_name="m", model_base_path=str(tmp_path),
                                      version_label=["stable=3"], version_policy="all"))
    assert name == "m" and isinstance(source, VersionDirectory)
    assert options["labels"] == {"stable": 3} and options["version_policy"] == "all"
    assert plan(args(model=str(tmp_path)))[0] == tmp_path.name
    for bad, message in [
        (args(), "give a .keras file"),
        (args(model=str(f), model_base_path=str(tmp_path)), "not both"),
        (args(model=str(tmp_path / "nope.keras")), "does not exist"),
        (args(model=__file__), "neither a .keras file nor a directory"),
        (args(model=str(f), model_name="a:b"), "invalid model name"),
        (args(model=str(f), version_label=["stable"]), "LABEL=VERSION"),
        (args(model=str(f), max_batch_size=0), "--max_batch_size"),
        (args(model=str(f), blas_threads=-1), "--blas_threads"),
    ]:
        with pytest.raises(SystemExit, match=message):
            plan(bad)


# the ``ember`` console script, run with this interpreter
EMBER = [sys.executable, "-c", "import sys; from ember.cli import main; sys.exit(main())"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unloadable_file_exits_1(tmp_path):
    f = tmp_path / "broken.keras"
    f.write_bytes(b"not a model")
    proc = subprocess.run(EMBER + ["serve", str(f), "--port",
                           str(free_port())], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "cannot load" in proc.stderr


@needs_saving
def test_serve_a_keras_file(tmp_path):
    model = mlp(7)
    path = tmp_path / "digits.keras"
    model.save(str(path))
    port = free_port()
    proc = subprocess.Popen(EMBER + ["serve", str(path), "--port",
                             str(port), "--log_level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status = httpx.get(url + "/v1/models/digits", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.1)
        assert status.json()["model_version_status"][0]["state"] == "AVAILABLE"
        x = np.random.default_rng(0).random((2, 28, 28)).astype("float32")
        r = httpx.post(url + "/v1/models/digits:predict", json={"instances": x.tolist()})
        np.testing.assert_allclose(r.json()["predictions"], model.predict(x, verbose=0),
                                   atol=1e-6)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
