"""Served models: version directories, polling, loading, hot swap, status.

A model has a name and a source of versions: a base directory whose numbered sub-directories
each hold one ``.keras`` file (TensorFlow Serving's layout, with ember's artifact inside), a
single ``.keras`` file (version 1), or a model object given in code. :meth:`ServedModel.poll`
looks at the source, loads what the version policy wants, checks it (signature, one warm-up
prediction) and only then swaps it in; a version that fails to load is logged and shown in the
status with its error, the version being served stays, and the failed one is retried only once
its file changes.

Version policies (``--version_policy``): ``latest`` (default) serves the highest version that
loads; ``all`` serves every version found. Labels map names to versions.
"""

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ember.backend import np
from ember.serving.batcher import Batcher
from ember.serving.errors import ServingError, invalid, not_found
from ember.serving.signature import signature_of

logger = logging.getLogger("ember.serving")

_INT64_MAX = 2**63 - 1


def default_loader(path):
    """``ember.models.load_model(path)`` (imported when first needed)."""
    from ember.models import load_model

    return load_model(path)


@dataclass(frozen=True)
class VersionStatus:
    """One row of the status response."""

    version: int
    state: str  # START, LOADING, AVAILABLE, UNLOADING, END
    error_code: str = "OK"
    error_message: str = ""

    def to_json(self):
        return {"version": str(self.version), "state": self.state,
                "status": {"error_code": self.error_code, "error_message": self.error_message}}


class LoadedVersion:
    """A loaded model version: the model, its signature and its batcher."""

    def __init__(self, name, version, model, path=None, fingerprint=None, batcher_options=None,
                 executor=None):
        self.name = name
        self.version = version
        self.model = model
        self.path = path
        self.fingerprint = fingerprint
        self.signature = signature_of(model)
        options = dict(batcher_options or {})
        self.batcher = Batcher(self.run, executor, **options)

    def run(self, arrays):
        """The model on one batch (called in a worker thread): one array per output."""
        x = arrays[0] if len(arrays) == 1 else list(arrays)
        out = _flatten(self.model.predict_on_batch(x))
        if len(out) != len(self.signature.outputs):
            raise ValueError(
                f"Model '{self.name}' version {self.version} returned {len(out)} outputs; its "
                f"signature has {len(self.signature.outputs)}.")
        return [np.asarray(o) for o in out]

    def warm_up(self):
        """One prediction on zeros (when every input dimension is known): a model that cannot
        predict never replaces one that can."""
        specs = self.signature.inputs
        if any(d is None for s in specs for d in s.example_shape):
            return
        arrays = [np.zeros((1,) + tuple(s.example_shape), dtype=s.np_dtype) for s in specs]
        for o, spec in zip(self.run(arrays), self.signature.outputs):
            if o.ndim == 0 or o.shape[0] != 1:
                raise ValueError(
                    f"Output '{spec.name}' has shape {o.shape} for a batch of 1; outputs must "
                    "keep the batch axis first.")


def _flatten(out):
    if isinstance(out, dict):
        return [v for k in out for v in _flatten(out[k])]
    if isinstance(out, (list, tuple)):
        return [v for o in out for v in _flatten(o)]
    return [out]


# -- sources ----------------------------------------------------------------------------------
class VersionDirectory:
    """Versions are the sub-directories of ``base_path`` whose names are base-10 integers, each
    holding one ``.keras`` file (``model.keras`` preferred when there are several)."""

    def __init__(self, base_path):
        self.base_path = Path(base_path)

    def describe(self):
        return str(self.base_path)

    def scan(self):
        """``{version: path of the .keras file, or None while there is none yet}``."""
        found = {}
        try:
            entries = list(os.scandir(self.base_path))
        except OSError as e:
            logger.warning("cannot list model base path %s: %s", self.base_path, e)
            return found
        for entry in entries:
            if not entry.name.isdigit() or not entry.is_dir():
                continue
            version = int(entry.name)
            if version > _INT64_MAX:
                continue
            if version in found:
                logger.warning("ignoring %s: version %d already found under %s", entry.path,
                               version, self.base_path)
                continue
            found[version] = _artifact_in(Path(entry.path))
        return found


def _artifact_in(directory):
    try:
        files = sorted(p for p in directory.iterdir() if p.suffix == ".keras" and p.is_file())
    except OSError:
        return None
    if not files:
        return None
    for p in files:
        if p.name == "model.keras":
            return p
    if len(files) > 1:
        logger.warning("version directory %s holds several .keras files; serving %s",
                       directory, files[0].name)
    return files[0]


class SingleFile:
    """One ``.keras`` file served as ``version``."""

    def __init__(self, path, version=1):
        self.path = Path(path)
        self.version = version

    def describe(self):
        return str(self.path)

    def scan(self):
        return {self.version: self.path if self.path.is_file() else None}


def _fingerprint(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size)


# -- a served model ---------------------------------------------------------------------------
class ServedModel:
    """The versions of one model name: what is loaded, what failed, and lookups.

    Args:
        name: the model name in URLs.
        source: a :class:`VersionDirectory` or :class:`SingleFile` (or ``None`` for models
            given in code with :meth:`add_model`).
        loader: ``loader(path) -> model``; ``ember.models.load_model`` by default.
        version_policy: ``"latest"`` or ``"all"``.
        labels: ``{label: version}``.
        batch_window_ms, max_batch_size: the batcher's settings.
        executor: the worker threads that run the model.
    """

    def __init__(self, name, source=None, loader=None, version_policy="latest", labels=None,
                 batch_window_ms=2.0, max_batch_size=64, executor=None):
        if not name or "/" in name or ":" in name:
            raise ValueError(f"Invalid model name {name!r}: it must be non-empty and contain "
                             "neither '/' nor ':'")
        if version_policy not in ("latest", "all"):
            raise ValueError(f"version_policy must be 'latest' or 'all', received "
                             f"{version_policy!r}")
        self.name = name
        self.source = source
        self.loader = loader or default_loader
        self.version_policy = version_policy
        self.labels = {str(k): int(v) for k, v in (labels or {}).items()}
        self.batcher_options = {"window_s": batch_window_ms / 1000.0,
                                "max_batch_size": max_batch_size}
        self.executor = executor
        self._lock = threading.Lock()
        self._available = {}  # version -> LoadedVersion; replaced, never mutated in place
        self._status = {}  # version -> VersionStatus; replaced, never mutated in place
        self._failed = {}  # version -> fingerprint of the file that failed

    # -- lookups (event loop) ----------------------------------------------------------------
    @property
    def versions(self):
        """The available versions, highest first."""
        return sorted(self._available, reverse=True)

    def lookup(self, version=None, label=None, spec=None):
        """The :class:`LoadedVersion` a request asks for (the highest when neither given).

        Raises:
            ServingError: 400 for an unknown label, 404 when the version is not available.
        """
        available = self._available
        if label is not None:
            if label not in self.labels:
                raise invalid(f"Unrecognized servable version label: {label}")
            version = self.labels[label]
        if version is None:
            if not available:
                raise not_found(f"Servable not found for request: {spec or self.name}")
            return available[max(available)]
        found = available.get(version)
        if found is None:
            raise not_found(f"Servable not found for request: {spec or self.name}")
        return found

    def status(self, version=None, label=None):
        """The status rows for one version or, with neither given, for all tracked ones."""
        statuses = self._status
        if label is not None:
            if label not in self.labels:
                raise invalid(f"Unrecognized servable version label: {label}")
            version = self.labels[label]
        if version is None:
            if not statuses:
                raise not_found(f"Could not find any versions of model {self.name}")
            return [statuses[v] for v in sorted(statuses, reverse=True)]
        if version not in statuses:
            raise not_found(f"Could not find version {version} of model {self.name}")
        return [statuses[version]]

    # -- loading (poller thread) -------------------------------------------------------------
    def add_model(self, model, version=1):
        """Serve a model object as ``version`` (for models built in code)."""
        loaded = LoadedVersion(self.name, version, model, batcher_options=self.batcher_options,
                               executor=self.executor)
        loaded.warm_up()
        with self._lock:
            self._publish(loaded)
        return loaded

    def poll(self):
        """Look at the source once; load, swap and unload per the version policy.

        Returns:
            list of str: what changed, for logs (``"loaded 2"``, ``"failed 3"``, ``"unloaded 1"``).
        """
        if self.source is None:
            return []
        found = self.source.scan()
        changes = []
        with self._lock:
            wanted = []
            for version in sorted(found, reverse=True):
                path = found[version]
                if version in self._available:
                    wanted.append(version)
                elif path is not None and self._failed.get(version) != _fingerprint(path):
                    if self._load(version, path, changes):
                        wanted.append(version)
                if wanted and self.version_policy == "latest":
                    break
            for version in [v for v in self._available if v not in wanted]:
                self._unload(version, changes)
            if any(c.startswith("failed") for c in changes):
                logger.warning("model '%s': serving version(s) %s", self.name,
                               self.versions or "none")
            gone = [v for v in self._status if v not in found and v not in self._available]
            if gone:
                self._status = {v: s for v, s in self._status.items() if v not in gone}
                for v in gone:
                    self._failed.pop(v, None)
        return changes

    def _load(self, version, path, changes):
        fingerprint = _fingerprint(path)
        self._set_status(VersionStatus(version, "LOADING"))
        try:
            model = self.loader(str(path))
            loaded = LoadedVersion(self.name, version, model, path, fingerprint,
                                   self.batcher_options, self.executor)
            loaded.warm_up()
        except Exception as e:  # a broken version must not stop the server
            message = f"{type(e).__name__}: {e}"
            self._failed[version] = fingerprint
            code = "NOT_FOUND" if isinstance(e, FileNotFoundError) else (
                "INVALID_ARGUMENT" if isinstance(e, (ValueError, TypeError)) else "UNKNOWN")
            self._set_status(VersionStatus(version, "END", code, message))
            logger.error("model '%s' version %d failed to load from %s: %s", self.name,
                         version, path, message)
            logger.debug("load failure of %s", path, exc_info=True)
            changes.append(f"failed {version}")
            return False
        self._failed.pop(version, None)
        self._publish(loaded)
        logger.info("model '%s' version %d loaded from %s", self.name, version, path)
        changes.append(f"loaded {version}")
        return True

    def _publish(self, loaded):
        available = dict(self._available)
        available[loaded.version] = loaded
        self._available = available
        self._set_status(VersionStatus(loaded.version, "AVAILABLE"))

    def _unload(self, version, changes):
        self._available = {v: m for v, m in self._available.items() if v != version}
        self._set_status(VersionStatus(version, "END"))
        logger.info("model '%s' version %d unloaded", self.name, version)
        changes.append(f"unloaded {version}")

    def _set_status(self, status):
        statuses = dict(self._status)
        statuses[status.version] = status
        self._status = statuses


class ModelManager:
    """All served models, the worker threads that run them and the thread that polls their
    sources.

    Args:
        poll_seconds: how often sources are looked at (0 or less: never, only by :meth:`poll`).
        workers: the threads that run models (each version runs one batch at a time).
    """

    def __init__(self, poll_seconds=1.0, workers=4):
        self.poll_seconds = poll_seconds
        self.executor = ThreadPoolExecutor(max_workers=workers,
                                           thread_name_prefix="ember-serving")
        self.models = {}
        self._stop = threading.Event()
        self._thread = None

    def add(self, name, source=None, loader=None, **options):
        """Register a model name (see :class:`ServedModel`) and return it; call :meth:`poll`
        (or :meth:`start`) to load its versions."""
        if name in self.models:
            raise ValueError(f"A model named {name!r} is already served.")
        served = ServedModel(name, source, loader, executor=self.executor, **options)
        self.models[name] = served
        return served

    def add_model(self, name, model, version=1, **options):
        """Serve a model object built in code as ``name``/``version``."""
        served = self.models.get(name) or self.add(name, **options)
        served.add_model(model, version)
        return served

    def get(self, name):
        return self.models.get(name)

    def poll(self):
        """Poll every model's source once."""
        for served in list(self.models.values()):
            try:
                served.poll()
            except Exception:  # the poller must survive anything a source does
                logger.exception("polling model '%s' failed", served.name)

    def start(self):
        """Start the polling thread (once)."""
        if self._thread is not None or self.poll_seconds is None or self.poll_seconds <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="ember-serving-poller",
                                        daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.wait(self.poll_seconds):
            self.poll()

    def stop(self):
        """Stop polling and the worker threads."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.executor.shutdown(wait=False, cancel_futures=True)


__all__ = ["ModelManager", "ServedModel", "LoadedVersion", "VersionStatus", "VersionDirectory",
           "SingleFile", "default_loader", "ServingError"]
