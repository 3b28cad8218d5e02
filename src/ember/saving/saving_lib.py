"""The ``.keras`` archive (spec §1-§3) and ``.weights.h5`` files (spec §5).

A ``.keras`` file is a ZIP holding ``metadata.json``, ``config.json`` and ``model.weights.h5``,
stored uncompressed, in that order. Writes are atomic: everything goes to a temporary file in
the target's directory, which replaces the target only once complete, so an interrupted save
leaves the previous file intact. Reading opens only the expected members by name (others,
including path-traversal names, are never touched), refuses members whose declared size is a
decompression bomb, and turns truncated or foreign files into a ValueError that says so.
"""

import contextlib
import datetime
import io
import json
import os
import shutil
import tempfile
import warnings
import zipfile

from ember.saving import h5_store, serialization_lib

KERAS_VERSION = "3.15.1"  # the Keras release whose format ember writes (see the spec)
CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
NPZ_WEIGHTS_FILENAME = "model.weights.npz"
MAX_MEMBER_BYTES = 4 << 30
MAX_MEMBER_RATIO = 100
MAX_CONFIG_BYTES = 256 << 20
IN_MEMORY_BYTES = 1 << 30  # weights members up to this size are read into memory first


# -- atomic writes -------------------------------------------------------------------------------
def atomic_write(filepath, write, overwrite=True, binary=True):
    """Call ``write(fileobj)`` on a temporary file next to ``filepath``, then move it into
    place. On any exception the temporary file is removed and ``filepath`` is untouched."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} exists and overwrite=False.")
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {filepath}: directory {directory} does not "
                                "exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(filepath)}.", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def atomic_write_h5(filepath, write, overwrite=True):
    """``write(h5file)`` into a temporary HDF5 file next to ``filepath``, then rename it."""
    h5py = h5_store.require_h5py()

    def writer(f):
        with h5py.File(f, "w") as h5:
            write(h5)

    atomic_write(filepath, writer, overwrite=overwrite)


# -- saving --------------------------------------------------------------------------------------
def model_config(model):
    """The model's ``config.json`` content (the envelope with build and compile configs)."""
    from ember.models.functional import Functional

    config = serialization_lib.serialize_keras_object(model)
    if isinstance(model, Functional) and "build_config" not in config:
        config["build_config"] = {"input_shape": None}
    if "compile_config" not in config:
        config["compile_config"] = {}
    return config


def metadata():
    import ember

    return {"keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "ember_version": ember.__version__}


def weights_bytes(model):
    """``model.weights.h5`` as bytes (built in memory, as Keras does)."""
    h5py = h5_store.require_h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        h5_store.write_weights(model, h5)
    return buffer.getvalue()


def write_archive(fileobj, config_json, metadata_json, weights):
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA_FILENAME, metadata_json)
        zf.writestr(CONFIG_FILENAME, config_json)
        zf.writestr(WEIGHTS_FILENAME, weights)


def save_model(model, filepath, overwrite=True, zipped=True):
    """Save ``model`` as a ``.keras`` archive (a directory of the three files if not zipped)."""
    if not model.built:
        warnings.warn(f"Saving model '{model.name}', which has not been built yet: the file "
                      "holds no weights. Build it (call it on data) first.", stacklevel=3)
    config_json = json.dumps(model_config(model))
    metadata_json = json.dumps(metadata())
    weights = weights_bytes(model)
    if hasattr(filepath, "write"):
        write_archive(filepath, config_json, metadata_json, weights)
        return
    filepath = os.fspath(filepath)
    if not filepath.endswith(".keras"):
        raise ValueError(f"Invalid filepath: a model archive ends in '.keras'. Received: "
                         f"filepath={filepath}")
    if zipped:
        atomic_write(filepath, lambda f: write_archive(f, config_json, metadata_json, weights),
                     overwrite=overwrite)
    else:
        _write_directory(filepath, {METADATA_FILENAME: metadata_json.encode(),
                                    CONFIG_FILENAME: config_json.encode(),
                                    WEIGHTS_FILENAME: weights}, overwrite)


def _write_directory(dirpath, members, overwrite):
    if os.path.exists(dirpath) and not overwrite:
        raise FileExistsError(f"{dirpath} exists and overwrite=False.")
    if os.path.exists(dirpath) and not os.path.isdir(dirpath):
        raise ValueError(f"Cannot save an unzipped model to {dirpath}: it is a file.")
    parent = os.path.dirname(os.path.abspath(dirpath))
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(dirpath)}.", dir=parent)
    backup = None
    try:
        for name, data in members.items():
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        if os.path.exists(dirpath):
            backup = tempfile.mkdtemp(prefix=f".{os.path.basename(dirpath)}.old.", dir=parent)
            os.rmdir(backup)
            os.rename(dirpath, backup)
        os.rename(tmp, dirpath)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if backup is not None and not os.path.exists(dirpath):
            os.rename(backup, dirpath)
            backup = None
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def save_weights(model, filepath, overwrite=True):
    """Save the weights (and optimizer state) as a ``.weights.h5`` file (spec §5)."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError("Invalid filepath: save_weights writes a file whose name ends in "
                         f"'.weights.h5'. Received: filepath={filepath}")
    if not model.built:
        raise ValueError(f"Model '{model.name}' has not been built yet, so it has no weights to "
                         "save. Call it on data or call build(input_shape) first.")
    data = weights_bytes(model)
    atomic_write(filepath, lambda f: f.write(data), overwrite=overwrite)


# -- reading the archive -------------------------------------------------------------------------
class Archive:
    """Read access to the members of a ``.keras`` archive (a ZIP, or a directory)."""

    def __init__(self, source):
        self.source = source if isinstance(source, str) else getattr(source, "name", "<file>")
        self.zip = None
        self.directory = None
        if isinstance(source, str) and os.path.isdir(source):
            if not os.path.isfile(os.path.join(source, CONFIG_FILENAME)):
                raise ValueError(f"{source} is a directory without a {CONFIG_FILENAME}: not an "
                                 "unzipped .keras model.")
            self.directory = source
            return
        try:
            self.zip = zipfile.ZipFile(source, "r")
        except FileNotFoundError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
            raise ValueError(
                f"{self.source} is not a valid .keras archive: it is not a readable zip file "
                f"(truncated, or another kind of file?): {e}") from e
        self._infos = {}
        for info in self.zip.infolist():
            if info.filename in (CONFIG_FILENAME, WEIGHTS_FILENAME, NPZ_WEIGHTS_FILENAME,
                                 METADATA_FILENAME):
                if info.filename in self._infos:
                    raise ValueError(f"{self.source}: the archive holds '{info.filename}' "
                                     "twice; refusing an ambiguous file.")
                self._infos[info.filename] = info

    def close(self):
        if self.zip is not None:
            self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def has(self, name):
        if self.directory is not None:
            return os.path.isfile(os.path.join(self.directory, name))
        return name in self._infos

    def _info(self, name):
        info = self._infos.get(name)
        if info is None:
            raise ValueError(f"{self.source} is not a valid .keras archive: it has no "
                             f"'{name}' member.")
        if info.file_size > MAX_MEMBER_BYTES and \
                info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
            raise ValueError(
                f"{self.source}: refusing member '{name}', which declares {info.file_size} "
                f"bytes for {info.compress_size} stored (a zip bomb?).")
        return info

    def read(self, name, limit=None):
        if self.directory is not None:
            path = os.path.join(self.directory, name)
            if limit is not None and os.path.getsize(path) > limit:
                raise ValueError(f"{path} is larger than {limit} bytes; refusing to read it.")
            with open(path, "rb") as f:
                return f.read()
        info = self._info(name)
        if limit is not None and info.file_size > limit:
            raise ValueError(f"{self.source}: member '{name}' declares {info.file_size} bytes, "
                             f"more than the {limit} allowed.")
        try:
            with self.zip.open(info) as f:
                return f.read()  # zipfile stops at the declared size and checks the CRC
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise ValueError(f"{self.source}: cannot read member '{name}' (truncated or "
                             f"corrupt archive?): {e}") from e

    def config(self):
        raw = self.read(CONFIG_FILENAME, limit=MAX_CONFIG_BYTES)
        return parse_json(raw, f"{self.source}: {CONFIG_FILENAME}")

    @contextlib.contextmanager
    def weights_reader(self):
        """An :class:`~ember.saving.h5_store.H5Reader` on ``model.weights.h5``."""
        h5_store.require_h5py()
        if not self.has(WEIGHTS_FILENAME):
            if self.has(NPZ_WEIGHTS_FILENAME):
                raise ValueError(
                    f"{self.source} stores its weights as {NPZ_WEIGHTS_FILENAME}, which needs "
                    "pickle to read; ember never unpickles files. Re-save it with the default "
                    "weights_format='h5'.")
            raise ValueError(f"{self.source}: expected a {WEIGHTS_FILENAME} member.")
        source = f"{self.source}/{WEIGHTS_FILENAME}"
        if self.directory is not None:
            fileobj = os.path.join(self.directory, WEIGHTS_FILENAME)
        else:
            info = self._info(WEIGHTS_FILENAME)
            if info.compress_type == zipfile.ZIP_STORED and info.file_size > IN_MEMORY_BYTES:
                fileobj = self.zip.open(info)  # large: read in place (seeks are slower)
            else:
                fileobj = io.BytesIO(self.read(WEIGHTS_FILENAME))
        try:
            with open_h5(fileobj, source) as h5:
                yield h5_store.H5Reader(h5, source)
        finally:
            if hasattr(fileobj, "close"):
                fileobj.close()


@contextlib.contextmanager
def open_h5(fileobj, source):
    """Open an HDF5 file for reading; a foreign or truncated file gives a clear ValueError."""
    h5py = h5_store.require_h5py()
    try:
        h5 = h5py.File(fileobj, "r")
    except FileNotFoundError:
        raise
    except (OSError, ValueError, RuntimeError, zipfile.BadZipFile) as e:
        raise ValueError(f"{source} is not a readable HDF5 file (truncated, or another kind of "
                         f"file?): {e}") from e
    try:
        yield h5
    finally:
        with contextlib.suppress(Exception):
            h5.close()


def parse_json(raw, what):
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ValueError(f"{what} is not valid JSON: {e}") from e
    if not isinstance(value, dict):
        raise ValueError(f"{what} does not hold a JSON object.")
    return value


# -- loading -------------------------------------------------------------------------------------
def deserialize_model(config, custom_objects=None, compile=True, safe_mode=True, source="model"):
    """Build (and compile) the model an envelope describes, without weights."""
    from ember.layers.layer import Layer

    config = dict(config)
    compile_config = config.pop("compile_config", None)
    with serialization_lib.custom_object_scope(custom_objects), \
            serialization_lib.safe_mode_scope(safe_mode):
        try:
            model = serialization_lib.deserialize_keras_object(config, kind="model",
                                                               safe_mode=safe_mode)
        except RecursionError as e:
            raise ValueError(f"{source}: the config is nested too deeply to load.") from e
        except (AttributeError, TypeError, KeyError, IndexError) as e:
            raise ValueError(f"{source}: malformed model config ({type(e).__name__}: {e}).") \
                from e
        if not isinstance(model, Layer):
            raise ValueError(f"{source}: the config describes a {type(model).__name__}, not a "
                             "model.")
        _materialize(model, config.get("build_config"))
        if compile and compile_config:
            compile_model(model, compile_config, source)
    return model


def compile_model(model, compile_config, source):
    if not hasattr(model, "compile_from_config"):
        return
    try:
        model.compile_from_config(compile_config)
    except Exception as e:  # noqa: BLE001 - the weights are still worth loading
        warnings.warn(
            f"{source}: the model was saved compiled, but its compile arguments could not be "
            f"restored ({type(e).__name__}: {e}); it is returned uncompiled, without optimizer "
            "state. Pass custom_objects for custom losses/metrics, or compile=False.",
            stacklevel=4)


def _materialize(model, build_config):
    """A subclassed model creates its weights on its first call: run it once on zeros of the
    recorded input shape (Keras's ``build`` does the same)."""
    from ember.backend import np
    from ember.models.functional import Functional
    from ember.models.sequential import Sequential

    if isinstance(model, (Sequential, Functional)) or not build_config:
        return
    shape = build_config.get("input_shape")
    if not isinstance(shape, list) or not shape or not all(
            d is None or isinstance(d, int) for d in shape):
        return
    if model.weights and all(getattr(l, "built", True) for l in model._flat_layers()):
        return
    x = np.zeros(tuple(1 if d is None else d for d in shape), dtype="float32")
    model(x, training=False)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a ``.keras`` archive (or unzipped directory, or open binary file)."""
    source = filepath if hasattr(filepath, "read") else os.fspath(filepath)
    with Archive(source) as archive:
        config = archive.config()
        model = deserialize_model(config, custom_objects, compile, safe_mode, archive.source)
        with archive.weights_reader() as reader:
            h5_store.load_weights(model, reader, load_optimizer=compile)
    return model


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights from a ``.weights.h5`` file, a ``.keras`` archive, or a legacy ``.h5``."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        with Archive(filepath) as archive, archive.weights_reader() as reader:
            h5_store.load_weights(model, reader, skip_mismatch=skip_mismatch)
        return
    if filepath.endswith(".weights.h5"):
        with open_h5(filepath, filepath) as h5:
            reader = h5_store.H5Reader(h5, filepath)
            if reader.node("layers") is None and reader.node("vars") is None and (
                    "layer_names" in h5.attrs or reader.node("model_weights") is not None):
                from ember.saving import legacy_h5

                legacy_h5.load_weights_from_file(model, reader, skip_mismatch)
                return
            h5_store.load_weights(model, reader, skip_mismatch=skip_mismatch)
        return
    if filepath.endswith((".h5", ".hdf5")):
        from ember.saving import legacy_h5

        with open_h5(filepath, filepath) as h5:
            legacy_h5.load_weights_from_file(model, h5_store.H5Reader(h5, filepath),
                                             skip_mismatch)
        return
    if filepath.endswith(".weights.json"):
        raise ValueError(f"{filepath}: sharded weights (.weights.json) are not supported by "
                         "ember; save the weights unsharded.")
    raise ValueError(f"Cannot load weights from {filepath}: expected a file ending in "
                     "'.weights.h5', '.keras' or '.h5'.")
