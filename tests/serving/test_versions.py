"""Version directories: polling, hot swap, a broken version, policies and labels."""

import os
import threading
import time

import pytest

from ember.backend import np
from ember.serving import ModelManager, ServedModel, SingleFile, VersionDirectory

from .conftest import have_saving, mlp, running

needs_saving = pytest.mark.skipif(not have_saving(), reason="ember.saving.load_model is absent")


class TextLoader:
    """A loader for tests of the polling logic: the file holds a seed, or 'broken'."""

    def __init__(self):
        self.calls = []
        self.models = {}

    def __call__(self, path):
        self.calls.append(path)
        text = open(path).read()
        if text == "broken":
            raise ValueError("not a model")
        seed = int(text)
        if seed not in self.models:
            self.models[seed] = mlp(seed)
        return self.models[seed]


def put(base, version, text, name="model.keras"):
    d = base / str(version)
    d.mkdir(exist_ok=True)
    (d / name).write_text(text)
    return d


def states(served):
    return {s.version: (s.state, s.error_code) for s in served.status()}


def test_latest_policy_swaps_and_survives_a_broken_version(tmp_path):
    loader = TextLoader()
    served = ServedModel("m", VersionDirectory(tmp_path), loader)
    put(tmp_path, 1, "1")
    (tmp_path / "tmp-upload").mkdir()  # not a number: ignored
    (tmp_path / "5").mkdir()  # no .keras file yet: ignored until one appears
    assert served.poll() == ["loaded 1"]
    assert served.lookup().version == 1 and served.versions == [1]
    put(tmp_path, 2, "2")
    assert served.poll() == ["loaded 2", "unloaded 1"]
    assert served.lookup().model is loader.models[2]
    assert states(served) == {2: ("AVAILABLE", "OK"), 1: ("END", "OK")}
    put(tmp_path, 3, "broken")
    assert served.poll() == ["failed 3"]
    assert served.lookup().version == 2
    assert states(served)[3] == ("END", "INVALID_ARGUMENT")
    assert "not a model" in served.status(3)[0].error_message
    calls = len(loader.calls)
    assert served.poll() == [] and len(loader.calls) == calls  # not retried: file unchanged
    time.sleep(0.01)
    put(tmp_path, 3, "3")  # fixed in place: retried
    assert served.poll() == ["loaded 3", "unloaded 2"]
    assert served.lookup().version == 3
    put(tmp_path, 5, "1", name="weights.keras")
    assert served.poll() == ["loaded 5", "unloaded 3"]
    (tmp_path / "5" / "weights.keras").unlink()
    (tmp_path / "5").rmdir()  # the served version removed: the next one is loaded again
    assert served.poll() == ["loaded 3", "unloaded 5"]
    assert served.lookup().version == 3
    assert 5 not in states(served)


def test_all_policy_and_labels(tmp_path):
    loader = TextLoader()
    served = ServedModel("m", VersionDirectory(tmp_path), loader, version_policy="all",
                         labels={"stable": 1, "canary": 2})
    put(tmp_path, 1, "1")
    put(tmp_path, 2, "2")
    put(tmp_path, 10, "broken")
    served.poll()
    assert served.versions == [2, 1]
    assert served.lookup().version == 2
    assert served.lookup(label="stable").version == 1
    assert served.lookup(label="canary").model is loader.models[2]
    assert served.lookup(version=1).version == 1
    assert states(served) == {10: ("END", "INVALID_ARGUMENT"), 2: ("AVAILABLE", "OK"),
                              1: ("AVAILABLE", "OK")}


def test_single_file_and_bad_arguments(tmp_path):
    (tmp_path / "m.keras").write_text("4")
    served = ServedModel("m", SingleFile(tmp_path / "m.keras"), TextLoader())
    assert served.poll() == ["loaded 1"]
    with pytest.raises(ValueError, match="Invalid model name"):
        ServedModel("a/b")
    with pytest.raises(ValueError, match="version_policy"):
        ServedModel("a", version_policy="newest")
    manager = ModelManager(poll_seconds=0)
    manager.add("x")
    with pytest.raises(ValueError, match="already served"):
        manager.add("x")
    manager.stop()


def save_version(base, version, model):
    """Write ``base/<version>/model.keras`` the way deployments should: into a temporary
    directory (not a number, so ignored), then renamed into place."""
    tmp = base / f".tmp-{version}"
    tmp.mkdir()
    if isinstance(model, bytes):
        (tmp / "model.keras").write_bytes(model)
    else:
        model.save(str(tmp / "model.keras"))
    os.rename(tmp, base / str(version))


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the server")


@needs_saving
def test_hot_swap_over_http(tmp_path):
    """Version 1 served; version 2 written while serving is picked up without a restart, with
    no failed request during the swap; a broken version 3 leaves version 2 serving."""
    base = tmp_path / "mnist"
    base.mkdir()
    m1, m2 = mlp(1), mlp(2)
    save_version(base, 1, m1)
    x = np.random.default_rng(3).random((2, 28, 28)).astype("float32")
    want1, want2 = m1.predict(x, verbose=0), m2.predict(x, verbose=0)
    manager = ModelManager(poll_seconds=0.1)
    manager.add("mnist", VersionDirectory(base))
    manager.poll()
    with running(manager) as (_, c):
        body = {"instances": x.tolist()}
        got = np.array(c.post("/v1/models/mnist:predict", json=body).json()["predictions"])
        np.testing.assert_allclose(got, want1, atol=1e-6)

        failures, stop = [], threading.Event()

        def hammer():  # requests keep coming during the swap
            import httpx

            with httpx.Client(base_url=c.base_url, timeout=30) as h:
                while not stop.is_set():
                    r = h.post("/v1/models/mnist:predict", json=body)
                    if r.status_code != 200:
                        failures.append(r.text)

        thread = threading.Thread(target=hammer)
        thread.start()
        try:
            save_version(base, 2, m2)
            wait_for(lambda: c.get("/v1/models/mnist/metadata").json()["model_spec"][
                "version"] == "2")
            time.sleep(0.2)
        finally:
            stop.set()
            thread.join()
        assert failures == []
        got = np.array(c.post("/v1/models/mnist:predict", json=body).json()["predictions"])
        np.testing.assert_allclose(got, want2, atol=1e-6)
        assert c.get("/v1/models/mnist/versions/1").json()["model_version_status"][0][
            "state"] == "END"
        assert c.post("/v1/models/mnist/versions/1:predict", json=body).status_code == 404

        save_version(base, 3, b"this is not a .keras archive")
        wait_for(lambda: c.get("/v1/models/mnist/versions/3").status_code == 200)
        row = c.get("/v1/models/mnist/versions/3").json()["model_version_status"][0]
        assert row["state"] == "END" and row["status"]["error_code"] != "OK"
        assert row["status"]["error_message"]
        got = np.array(c.post("/v1/models/mnist:predict", json=body).json()["predictions"])
        np.testing.assert_allclose(got, want2, atol=1e-6)
        assert c.get("/v1/models/mnist/metadata").json()["model_spec"]["version"] == "2"
        assert [s["version"] for s in c.get("/v1/models/mnist").json()[
            "model_version_status"]] == ["3", "2", "1"]
