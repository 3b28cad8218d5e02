"""Dataset fixtures: an isolated ember/Keras/system cache, and the shared data (or a skip)."""

import dataclasses
import hashlib
import os
from pathlib import Path

import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


@pytest.fixture
def shared_data():
    """``shared_data('mnist/mnist.npz')`` -> path; skip if absent (EMBER_REQUIRE_DATA=1: fail)."""

    def need(relative):
        path = SHARED_DATASETS / relative
        if not path.exists():
            reason = f"{path} is absent (dataset tests read ../shared/datasets beside the repo)"
            if os.environ.get("EMBER_REQUIRE_DATA") == "1":
                pytest.fail(f"{reason}, and EMBER_REQUIRE_DATA=1 requires it")
            pytest.skip(reason)
        return path

    return need


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Isolated places: ``ember``, ``keras`` (HOME/.keras/datasets) and ``system`` folders, offline.

    ``caches.link(place, relative, source)`` symlinks a file into one of them.
    """

    class Caches:
        ember = tmp_path / "ember" / "datasets"
        keras = tmp_path / "home" / ".keras" / "datasets"
        system = tmp_path / "system"

        def link(self, place, relative, source):
            target = getattr(self, place) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
            return target

        def write(self, place, relative, data):
            target = getattr(self, place) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            return target

    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "ember"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("EMBER_SYSTEM_DATASETS", str(tmp_path / "system"))
    # No test may reach the network: a missing file must fail fast and say so.
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    return Caches()


@pytest.fixture
def trust(monkeypatch):
    """``trust(key, data)``: make the sources table expect exactly ``data`` for ``key``.

    Loaders of datasets that cannot be downloaded here are tested on small generated files in
    the real format; this points the table's hash at them for the length of one test.
    """
    from ember.datasets._sources import SOURCES

    def trust(key, data):
        digest = hashlib.sha256(data).hexdigest()
        monkeypatch.setitem(
            SOURCES, key, dataclasses.replace(SOURCES[key], file_hash=digest, content_hash=None)
        )
        return digest

    return trust
