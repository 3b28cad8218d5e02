"""``tf.train``: object-based checkpoints (``Checkpoint``, ``CheckpointManager``).

A checkpoint saves the Variables reachable from the objects given to ``Checkpoint(**objects)``,
each under the path by which it is first reached, breadth first with names sorted at each step:
``<name>/<attribute>/.../.ATTRIBUTES/VARIABLE_VALUE`` (TensorFlow's key layout). Modules are
searched by attribute (lists by index, dicts by key); Keras layers and models by ember's weights
walk (``layers/dense/vars/0``, as in ``.weights.h5``); optimizers as ``vars/<i>`` in
``optimizer.variables`` order (iterations, learning rate, slots). Restoring matches keys, so
restore into objects built by the same code.

Restoring into an optimizer that has not created its slots yet (or a Keras layer not built yet)
restores what exists now (``iterations``) and the rest when the object builds, as TensorFlow's
deferred restoration does: ``checkpoint.restore(path)`` then training continues exactly.

Files (ember's format, named as TensorFlow's so that directory listings and
``latest_checkpoint`` look the same): ``<prefix>.index`` (JSON: keys, dtypes, shapes),
``<prefix>.data-00000-of-00001`` (a NumPy ``.npz``, read with ``allow_pickle=False``: loading
never runs code) and the ``checkpoint`` state file (TensorFlow's text format). Each file is
written to a temporary file and renamed into place, the data before the index, and both carry
the same random id, so an interrupted save never leaves a checkpoint that loads wrong values.
TensorFlow cannot read these files, nor ember TensorFlow's.
"""

import collections
import json
import os
import re
import time
import uuid
import zipfile

from ember.autodiff.tensor import Variable, data_of
from ember.backend import xp
from ember.tf.errors import DataLossError, NotFoundError

FORMAT = "ember.checkpoint"
FORMAT_VERSION = 1
DATA_SUFFIX = ".data-00000-of-00001"
INDEX_SUFFIX = ".index"
STATE_FILENAME = "checkpoint"
MAX_INDEX_BYTES = 256 << 20
_VALUE = ".ATTRIBUTES/VARIABLE_VALUE"


# -- the object graph ---------------------------------------------------------------------------
def _escape(name):
    # TensorFlow's escaping of a name inside a key: "." -> "..", "/" -> ".S"
    return str(name).replace(".", "..").replace("/", ".S")


def _join(path):
    return "/".join(_escape(p) for p in path)


def variable_key(path):
    return f"{_join(path)}/{_VALUE}" if path else _VALUE


def _is_optimizer(obj):
    from ember.optimizers.base_optimizer import Optimizer

    return isinstance(obj, Optimizer)


def _is_layer(obj):
    from ember.layers.layer import Layer

    return isinstance(obj, Layer)


def _has_tensors(obj):
    return callable(getattr(obj, "_serialize_to_tensors", None)) and callable(
        getattr(obj, "_restore_from_tensors", None))


def is_trackable(obj):
    """Whether a checkpoint can hold ``obj``: a Variable, Module, Checkpoint, Keras layer or
    model, optimizer, an object with ``_serialize_to_tensors``/``_restore_from_tensors``, or a
    list/tuple/dict of those."""
    from ember.tf.module import Module

    if isinstance(obj, (Variable, Module, Checkpoint)) or _is_layer(obj) or _is_optimizer(obj):
        return True
    if _has_tensors(obj):
        return True
    if isinstance(obj, dict):
        return all(is_trackable(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return all(is_trackable(v) for v in obj)
    return False


class _Defer:
    """Marks an object (an optimizer without slots, an unbuilt layer) whose variables under
    ``path`` appear when it builds."""

    def __init__(self, obj, kind):
        self.obj, self.kind = obj, kind


def _own_vars(obj, kind):
    from ember.saving import h5_store

    return h5_store.own_variables(obj, kind)


def _children(obj):
    """``(relative path, child)`` of one node: Variables, leaf objects with tensors, nodes to
    visit later, and ``_Defer`` marks."""
    from ember.tf.module import Module, attributes, leaves

    if isinstance(obj, Checkpoint):
        root, others = obj._graph_children()
        if isinstance(root, Variable):
            yield (), root
        elif root is not None:
            yield from _children(root)  # the root's own state sits at the top of the paths
        for name, value in sorted(others.items()):
            yield from leaves(value, (name,))
        return
    if _is_optimizer(obj):
        for i, var in enumerate(_own_vars(obj, "optimizer")):
            yield ("vars", i), var
        if not obj.built:
            yield (), _Defer(obj, "optimizer")
        return
    if _is_layer(obj):
        from ember.saving import h5_store

        for wpath, sub, kind in h5_store.walk(obj):
            rel = tuple(wpath.split("/")) if wpath else ()
            if kind == "optimizer":
                yield rel, sub  # a node of its own: a shallower path to it wins
            elif kind == "layer":
                for i, var in enumerate(_own_vars(sub, "layer")):
                    yield rel + ("vars", i), var
                if not sub.built:
                    yield rel, _Defer(sub, "layer")
        return
    if isinstance(obj, Module):
        for name, value in attributes(obj):
            yield from leaves(value, (name,))


def object_graph(root):
    """``(entries, deferred)``: ``entries`` maps each key to its Variable (or ``(object,
    name)`` for objects that serialize tensors), in breadth-first order; ``deferred`` lists
    ``(path, _Defer)`` for objects whose variables are not created yet."""
    entries = {}
    deferred = []
    seen_objects, seen_leaves = set(), set()
    queue = collections.deque([((), root)])
    while queue:
        path, obj = queue.popleft()
        if id(obj) in seen_objects:
            continue
        seen_objects.add(id(obj))
        for rel, child in _children(obj):
            full = path + rel
            if isinstance(child, Variable):
                if id(child) not in seen_leaves:
                    seen_leaves.add(id(child))
                    entries[variable_key(full)] = child
            elif isinstance(child, _Defer):
                deferred.append((full, child))
            elif _has_tensors(child) and not isinstance(child, Checkpoint):
                if id(child) not in seen_leaves:
                    seen_leaves.add(id(child))
                    for name in sorted(child._serialize_to_tensors()):
                        entries[f"{_join(full)}/.ATTRIBUTES/{_escape(name)}"] = (child, name)
            elif is_trackable(child):
                queue.append((full, child))
    return entries, deferred


def _value_of(leaf):
    if isinstance(leaf, Variable):
        return xp.asarray(leaf.data)
    obj, name = leaf
    return xp.asarray(data_of(obj._serialize_to_tensors()[name]))


# -- files --------------------------------------------------------------------------------------
def _atomic_write(path, write):
    from ember.saving.saving_lib import atomic_write

    atomic_write(path, write)


def write_checkpoint(prefix, entries):
    """Write the ``{key: leaf}`` values as ``prefix.index`` + ``prefix.data-...``."""
    prefix = os.fspath(prefix)
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    token = uuid.uuid4().hex
    arrays, index = {"__id__": xp.array(token.encode("ascii"))}, {}
    for i, (key, leaf) in enumerate(entries.items()):
        value = _value_of(leaf)
        if value.dtype.kind not in "biufcS":
            raise TypeError(f"Checkpoint: cannot save {key!r}: dtype {value.dtype} is not a "
                            "number, bool or bytes array (ember never pickles).")
        arrays[str(i)] = value
        index[key] = {"entry": str(i), "dtype": value.dtype.str, "shape": list(value.shape)}
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "id": token,
            "data_file": os.path.basename(prefix) + DATA_SUFFIX, "variables": index}
    _atomic_write(prefix + DATA_SUFFIX, lambda f: xp.savez(f, **arrays))
    _atomic_write(prefix + INDEX_SUFFIX, lambda f: f.write(json.dumps(meta).encode("utf-8")))
    return prefix


class CheckpointReader:
    """Read access to one checkpoint (``tf.train.load_checkpoint``): ``get_tensor(key)``,
    ``has_tensor``, ``get_variable_to_shape_map``, ``get_variable_to_dtype_map``."""

    def __init__(self, path):
        path = os.fspath(path)
        if os.path.isdir(path):
            latest = latest_checkpoint(path)
            if latest is None:
                raise NotFoundError(f"Unsuccessful TensorSliceReader constructor: Failed to "
                                    f"find any matching files for {path}")
            path = latest
        self.path = path
        index_path = path + INDEX_SUFFIX
        if not os.path.isfile(index_path):
            raise NotFoundError(
                f"Unsuccessful TensorSliceReader constructor: Failed to find any matching "
                f"files for {path}\nPlease double-check that the path is correct. You may be "
                "missing the checkpoint suffix (e.g. the '-1' in 'path/to/ckpt-1').")
        if os.path.getsize(index_path) > MAX_INDEX_BYTES:
            raise DataLossError(f"{index_path} is larger than {MAX_INDEX_BYTES} bytes; not an "
                                "ember checkpoint index.")
        with open(index_path, "rb") as f:
            raw = f.read()
        try:
            meta = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise DataLossError(f"{index_path} is not an ember checkpoint index (not JSON: "
                                f"{e}). TensorFlow's checkpoints cannot be read by ember.") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise DataLossError(f"{index_path} is not an ember checkpoint index.")
        if meta.get("version") != FORMAT_VERSION:
            raise DataLossError(f"{index_path}: unsupported checkpoint format version "
                                f"{meta.get('version')!r} (this ember reads {FORMAT_VERSION}).")
        variables = meta.get("variables")
        if not isinstance(variables, dict):
            raise DataLossError(f"{index_path}: malformed index (no 'variables' table).")
        self._meta = meta
        self._variables = variables
        self._data_path = path + DATA_SUFFIX

    def _open(self):
        try:
            data = xp.load(self._data_path, allow_pickle=False)
        except FileNotFoundError:
            raise NotFoundError(f"{self._data_path} is missing: the checkpoint "
                                f"{self.path} is incomplete.") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
            raise DataLossError(f"{self._data_path} is not a readable checkpoint data file "
                                f"(truncated or corrupt?): {e}") from e
        if not hasattr(data, "files"):
            raise DataLossError(f"{self._data_path} is not a checkpoint data file.")
        try:
            token = bytes(self._read(data, "__id__", None)).decode("ascii")
        except (DataLossError, UnicodeDecodeError):
            token = None
        if token != self._meta.get("id"):
            data.close()
            raise DataLossError(
                f"{self.path}: the index and the data file come from different saves (an "
                "interrupted write?); refusing to load mismatched values.")
        return data

    def _read(self, data, entry, spec):
        member = f"{entry}.npy"
        if member not in data.zip.NameToInfo:
            raise DataLossError(f"{self._data_path} has no entry {entry!r}; the checkpoint "
                                "is incomplete or corrupt.")
        if spec is not None:
            # refuse a member far larger than the declared array before reading it
            info = data.zip.getinfo(member)
            itemsize = xp.dtype(spec["dtype"]).itemsize
            declared = int(xp.prod(spec["shape"], dtype=xp.int64)) * itemsize
            if info.file_size > declared + 4096:
                raise DataLossError(f"{self._data_path}: entry {entry} holds {info.file_size} "
                                    f"bytes for a declared {declared}; refusing it.")
        try:
            value = data[entry]
        except ValueError as e:  # NumPy's refusal of object (pickled) arrays
            raise ValueError(f"{self._data_path}: entry {entry} holds Python objects, which "
                             f"would need pickle to load; ember never unpickles ({e}).") from e
        except (OSError, zipfile.BadZipFile, EOFError) as e:
            raise DataLossError(f"{self._data_path}: cannot read entry {entry}: {e}") from e
        if spec is not None and (value.dtype.str != spec["dtype"]
                                 or list(value.shape) != list(spec["shape"])):
            raise DataLossError(f"{self._data_path}: entry {entry} has dtype {value.dtype.str} "
                                f"and shape {value.shape}; the index declares {spec['dtype']} "
                                f"{tuple(spec['shape'])}.")
        return value

    def read_many(self, keys):
        """``{key: array}`` for ``keys`` (each present in the checkpoint)."""
        if not keys:
            return {}
        data = self._open()
        try:
            return {k: self._read(data, self._variables[k]["entry"], self._variables[k])
                    for k in keys}
        finally:
            data.close()

    def has_tensor(self, key):
        return key in self._variables

    def get_tensor(self, key):
        if key not in self._variables:
            raise NotFoundError(f"Key {key} not found in checkpoint")
        return self.read_many([key])[key]

    def keys(self):
        return list(self._variables)

    def get_variable_to_shape_map(self):
        return {k: list(v["shape"]) for k, v in self._variables.items()}

    def get_variable_to_dtype_map(self):
        return {k: xp.dtype(v["dtype"]) for k, v in self._variables.items()}


def load_checkpoint(ckpt_dir_or_file):
    """A :class:`CheckpointReader` for a checkpoint prefix (or a directory's latest)."""
    return CheckpointReader(ckpt_dir_or_file)


def list_variables(ckpt_dir_or_file):
    """``[(key, shape)]`` of a checkpoint, sorted by key."""
    reader = CheckpointReader(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name):
    """The value saved under ``name`` (a key of :func:`list_variables`) as an array."""
    if name.endswith(":0"):
        name = name[:-2]
    return CheckpointReader(ckpt_dir_or_file).get_tensor(name)


# -- the state file ("checkpoint") -------------------------------------------------------------
class CheckpointState:
    """The content of a directory's ``checkpoint`` file."""

    def __init__(self, model_checkpoint_path, all_model_checkpoint_paths=(),
                 all_model_checkpoint_timestamps=(), last_preserved_timestamp=None):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps)
        self.last_preserved_timestamp = last_preserved_timestamp

    def __repr__(self):
        return (f"CheckpointState(model_checkpoint_path={self.model_checkpoint_path!r}, "
                f"all_model_checkpoint_paths={self.all_model_checkpoint_paths!r})")


_STATE_LINE = re.compile(r'^\s*(\w+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([-+0-9.eE]+))\s*$')


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The directory's :class:`CheckpointState` (paths made absolute when they are relative),
    or None without a state file."""
    path = os.path.join(os.fspath(checkpoint_dir), latest_filename or STATE_FILENAME)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(1 << 20)
    except (FileNotFoundError, NotADirectoryError):
        return None
    fields = collections.defaultdict(list)
    for line in text.splitlines():
        match = _STATE_LINE.match(line)
        if match:
            name, quoted, number = match.groups()
            if quoted is not None:
                fields[name].append(bytes(quoted, "utf-8").decode("unicode_escape"))
            else:
                fields[name].append(float(number))
    if not fields.get("model_checkpoint_path"):
        return None

    def absolute(p):
        return p if os.path.isabs(p) else os.path.join(os.fspath(checkpoint_dir), p)

    return CheckpointState(
        absolute(fields["model_checkpoint_path"][-1]),
        [absolute(p) for p in fields.get("all_model_checkpoint_paths", [])],
        fields.get("all_model_checkpoint_timestamps", []),
        (fields.get("last_preserved_timestamp") or [None])[-1])


def _quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None):
    """Write ``save_dir/checkpoint`` (atomically). Paths inside ``save_dir`` are stored
    relative to it, as TensorFlow stores them."""
    save_dir = os.fspath(save_dir)

    def rel(p):
        p = os.fspath(p)
        if os.path.dirname(os.path.abspath(p)) == os.path.abspath(save_dir):
            return os.path.basename(p)
        return p

    paths = all_model_checkpoint_paths
    if paths is None:
        paths = [model_checkpoint_path]
    lines = [f"model_checkpoint_path: {_quote(rel(model_checkpoint_path))}"]
    lines += [f"all_model_checkpoint_paths: {_quote(rel(p))}" for p in paths]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in
              (all_model_checkpoint_timestamps or [])]
    if last_preserved_timestamp is not None:
        lines.append(f"last_preserved_timestamp: {last_preserved_timestamp!r}")
    text = "\n".join(lines) + "\n"
    _atomic_write(os.path.join(save_dir, STATE_FILENAME), lambda f: f.write(text.encode()))


def checkpoint_exists(prefix):
    return os.path.isfile(os.fspath(prefix) + INDEX_SUFFIX)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the newest checkpoint recorded in ``checkpoint_dir``'s state file, or
    None (no state file, or its newest checkpoint's files are gone)."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


# -- restoring ----------------------------------------------------------------------------------
def _assign(key, leaf, value):
    if isinstance(leaf, Variable):
        if tuple(value.shape) != tuple(leaf.shape):
            raise ValueError(
                f"Received incompatible tensor with shape {tuple(value.shape)} when attempting "
                f"to restore variable with shape {tuple(leaf.shape)} and name {leaf.name} "
                f"(checkpoint key {key!r}).")
        if value.dtype != leaf.dtype and not xp.can_cast(value.dtype, leaf.dtype, "same_kind"):
            raise ValueError(f"Cannot restore {key!r}: the checkpoint holds {value.dtype}, the "
                             f"variable {leaf.name!r} is {leaf.dtype}.")
        leaf.assign(value.astype(leaf.dtype, copy=False))


def _after_build(obj, callback):
    """Run ``callback()`` once, right after ``obj.build(...)`` next returns (an instance
    attribute shadows the method until then; Keras layers and optimizers call ``self.build``)."""
    callbacks = obj.__dict__.get("_ember_after_build")
    if callbacks is None:
        callbacks = []
        original = obj.build

        def build(*args, **kwargs):
            result = original(*args, **kwargs)
            obj.__dict__.pop("build", None)
            for cb in obj.__dict__.pop("_ember_after_build", []):
                cb()
            return result

        object.__setattr__(obj, "build", build)
        object.__setattr__(obj, "_ember_after_build", callbacks)
    callbacks.append(callback)


class CheckpointLoadStatus:
    """What ``Checkpoint.restore`` matched; its assertions check it (each returns the status).

    Keys still waiting for an object to build are restored when it builds, and count as
    consumed from then on."""

    def __init__(self, checkpoint, path, keys, restored):
        self._checkpoint = checkpoint
        self.save_path = path
        self._keys = keys  # every key in the checkpoint
        self._restored = restored  # keys restored so far (deferred ones are added later)

    def _unmatched_objects(self):
        entries, _ = object_graph(self._checkpoint)
        return [(k, leaf) for k, leaf in entries.items() if k not in self._keys]

    def assert_consumed(self):
        """Every value in the checkpoint was restored and every object got a value."""
        self.assert_existing_objects_matched()
        unresolved = sorted(set(self._keys) - self._restored)
        if unresolved:
            shown = ", ".join(unresolved[:5])
            raise AssertionError(
                f"Unresolved object in checkpoint {self.save_path}: {len(unresolved)} value(s) "
                f"were not restored into any object, e.g. {shown}. Build the objects that own "
                "them (an optimizer creates its slots on its first step), or call "
                "expect_partial() if this is expected.")
        return self

    def assert_existing_objects_matched(self):
        """Every Variable that exists now got a value from the checkpoint."""
        unmatched = self._unmatched_objects()
        if unmatched:
            names = [getattr(leaf, "path", None) or k for k, leaf in unmatched[:5]]
            raise AssertionError(
                f"Found {len(unmatched)} Python objects that were not bound to checkpointed "
                f"values, likely due to changes in the Python program. Showing "
                f"{len(names)} of {len(unmatched)} unmatched objects: {names} (keys "
                f"{[k for k, _ in unmatched[:5]]}).")
        return self

    def assert_nontrivial_match(self):
        """Something besides the save counter was restored."""
        if not (self._restored - {variable_key(("save_counter",))}):
            raise AssertionError(f"Nothing except the root object matched a checkpointed "
                                 f"value in {self.save_path}.")
        return self

    def expect_partial(self):
        """Accept a partial restore (ember warns about none; kept for TensorFlow's code)."""
        return self

    def run_restore_ops(self, session=None):
        """Nothing to run in eager mode."""

    def initialize_or_restore(self, session=None):
        """Nothing to run in eager mode."""


class InitializationOnlyStatus(CheckpointLoadStatus):
    """The status of ``restore(None)``: nothing restored (training starts from scratch)."""

    def __init__(self):
        pass

    def assert_consumed(self):
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being "
                             "restored.")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed


def restore_into(root, save_path):
    """Restore ``root``'s graph from the checkpoint at ``save_path``; the load status."""
    reader = CheckpointReader(save_path)
    entries, deferred = object_graph(root)
    keys = set(reader.keys())
    present = [k for k in entries if k in keys]
    pending = {}
    for path, mark in deferred:
        prefix = _join(path + ("vars",)) + "/" if path else "vars/"
        waiting = [k for k in keys if k.startswith(prefix) and k not in entries
                   and k[len(prefix):].split("/")[0].isdigit()]
        if waiting:
            pending[id(mark.obj)] = (path, mark, waiting)
    values = reader.read_many(present + [k for _, _, w in pending.values() for k in w])
    restored = set()
    for key in present:
        leaf = entries[key]
        if isinstance(leaf, tuple):
            continue
        _assign(key, leaf, values[key])
        restored.add(key)
    by_object = collections.defaultdict(dict)
    for key in present:
        leaf = entries[key]
        if isinstance(leaf, tuple):
            by_object[id(leaf[0])][leaf[1]] = (leaf[0], key)
    for group in by_object.values():
        obj = next(iter(group.values()))[0]
        obj._restore_from_tensors({name: values[key] for name, (_, key) in group.items()})
        restored.update(key for _, key in group.values())
    for path, mark, waiting in pending.values():
        _after_build(mark.obj, _deferred_restore(path, mark, {k: values[k] for k in waiting},
                                                 restored))
    return CheckpointLoadStatus(root, reader.path, keys, restored)


def _deferred_restore(path, mark, values, restored):
    def restore():
        for i, var in enumerate(_own_vars(mark.obj, mark.kind)):
            key = variable_key(path + ("vars", i))
            if key in values and key not in restored:
                _assign(key, var, values[key])
                restored.add(key)

    return restore


# -- Checkpoint ---------------------------------------------------------------------------------
class Checkpoint:
    """``tf.train.Checkpoint(**objects)``: save and restore the state of ``objects``
    (Variables, Modules, Keras models and layers, optimizers, nested Checkpoints, lists and
    dicts of them). See the module docstring for the file format.

    ``save(prefix)`` writes ``prefix-<n>`` with ``n = save_counter`` (counting saves, restored
    by ``restore``) and records it in the directory's ``checkpoint`` file; ``write(prefix)``
    writes exactly ``prefix`` and records nothing. ``restore(path)``/``read(path)`` return a
    load status whose ``assert_consumed()`` / ``assert_existing_objects_matched()`` /
    ``expect_partial()`` behave as TensorFlow's.
    """

    def __init__(self, root=None, **kwargs):
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_save_counter", None)
        if root is not None:
            self._check(root, "root")
            if isinstance(root, Checkpoint):
                self._children.update(root._children)
            else:
                # the root's own state sits at the top of the key paths
                self._children["__root__"] = root
        for name, value in kwargs.items():
            setattr(self, name, value)

    @staticmethod
    def _check(value, name):
        if not is_trackable(value):
            raise ValueError(
                f"`Checkpoint` was expecting {name} to be a trackable object (an object "
                f"derived from `Trackable`), got {value!r}. If you believe this object should "
                "be trackable (i.e. it is part of the TensorFlow Python API and manages state), "
                "please open an issue.")

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        if name == "save_counter":
            raise AttributeError("save_counter is managed by the Checkpoint.")
        self._check(value, name)
        self._children[name] = value

    def __getattr__(self, name):
        children = self.__dict__.get("_children", {})
        if name in children:
            return children[name]
        raise AttributeError(f"'Checkpoint' object has no attribute {name!r}")

    @property
    def save_counter(self):
        """The number of ``save()`` calls (an int64 Variable, saved and restored)."""
        if self._save_counter is None:
            counter = Variable(0, dtype="int64", trainable=False, name="save_counter")
            object.__setattr__(self, "_save_counter", counter)
            self._children["save_counter"] = counter
        return self._save_counter

    def _graph_children(self):
        children = dict(self._children)
        root = children.pop("__root__", None)
        return root, children

    def write(self, file_prefix, options=None):
        """Write the checkpoint at exactly ``file_prefix``; returns it. The directory's
        ``checkpoint`` state file is not touched."""
        self.save_counter  # noqa: B018 - created so that it is saved, as TensorFlow does
        entries, _ = object_graph(self)
        return write_checkpoint(os.fspath(file_prefix), entries)

    def save(self, file_prefix, options=None):
        """Write ``<file_prefix>-<save_counter>`` (after incrementing the counter), record it
        as the latest in the directory's ``checkpoint`` file, and return its path."""
        counter = self.save_counter
        counter.assign(int(counter.data) + 1)
        path = self.write(f"{os.fspath(file_prefix)}-{int(counter.data)}")
        update_checkpoint_state(os.path.dirname(os.path.abspath(path)), path)
        return path

    def read(self, save_path, options=None):
        """Restore from a checkpoint written by ``write`` (or ``save``); the load status."""
        self.save_counter  # noqa: B018 - created so that the saved count is restored
        return restore_into(self, save_path)

    def restore(self, save_path, options=None):
        """Restore from ``save_path`` (``None``: nothing, training starts from scratch).
        Values for objects not built yet (optimizer slots) are restored when they build.

        Raises:
            NotFoundError: no checkpoint at ``save_path``.
            ValueError: a saved value does not fit its variable, or the file holds objects
                that need pickle.
        """
        if save_path is None:
            return InitializationOnlyStatus()
        return self.read(save_path)


# -- CheckpointManager --------------------------------------------------------------------------
class CheckpointManager:
    """``tf.train.CheckpointManager(checkpoint, directory, max_to_keep)``: numbered saves in a
    directory, keeping the newest ``max_to_keep`` (None: all) and deleting older ones; what
    an earlier manager left in the directory is picked up.

    Args:
        checkpoint: the ``Checkpoint`` to save and restore.
        directory: where checkpoints go (created on the first save).
        max_to_keep: how many to keep (a positive int, or None to keep all).
        keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
        checkpoint_name: the file prefix (``ckpt``: ``ckpt-1``, ``ckpt-2`` ...).
        step_counter, checkpoint_interval: with both, ``save()`` saves only when the step
            has advanced by ``checkpoint_interval`` since the last save.
        init_fn: called by ``restore_or_initialize`` when there is nothing to restore.
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(f"CheckpointManager expects a tf.train.Checkpoint. Received: "
                            f"{type(checkpoint).__name__}")
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        if checkpoint_interval is not None and step_counter is None:
            raise ValueError("`step_counter` should be passed if `checkpoint_interval` is not "
                             "None.")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        self._init_fn = init_fn
        self._last_step = None
        self._kept = collections.OrderedDict()  # path -> timestamp, oldest first
        self._last_preserved = time.time()
        state = get_checkpoint_state(self._directory)
        if state is not None:
            stamps = state.all_model_checkpoint_timestamps
            for i, path in enumerate(state.all_model_checkpoint_paths):
                if checkpoint_exists(path):
                    self._kept[path] = stamps[i] if i < len(stamps) else time.time()
            if state.last_preserved_timestamp is not None:
                self._last_preserved = state.last_preserved_timestamp
        self._latest = next(reversed(self._kept), None)

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint(self):
        return self._checkpoint

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    @property
    def latest_checkpoint(self):
        """The newest checkpoint this manager knows of (a prefix), or None."""
        return self._latest

    @property
    def checkpoints(self):
        """The kept checkpoints, oldest first."""
        return list(self._kept)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Save ``<directory>/<checkpoint_name>-<n>``: ``n`` is ``checkpoint_number`` (an int
        or a Variable) or else the checkpoint's incremented ``save_counter``. Deletes the
        checkpoints beyond ``max_to_keep``; returns the path, or None when the interval
        check skipped the save."""
        if self._checkpoint_interval is not None and check_interval:
            step = int(data_of(self._step_counter))
            if self._last_step is not None and step < self._last_step + \
                    self._checkpoint_interval:
                return None
            self._last_step = step
        counter = self._checkpoint.save_counter
        counter.assign(int(counter.data) + 1)
        if checkpoint_number is None:
            checkpoint_number = int(counter.data)
        else:
            checkpoint_number = int(data_of(checkpoint_number))
        path = self._checkpoint.write(f"{self._prefix}-{checkpoint_number}")
        now = time.time()
        self._kept.pop(path, None)
        self._kept[path] = now
        self._latest = path
        self._sweep()
        update_checkpoint_state(self._directory, path, list(self._kept),
                                list(self._kept.values()), self._last_preserved)
        return path

    def _sweep(self):
        if self._max_to_keep is None:
            return
        while len(self._kept) > self._max_to_keep:
            path, stamp = self._kept.popitem(last=False)
            if self._keep_hours and stamp - self._last_preserved >= self._keep_hours * 3600:
                self._last_preserved = stamp
                continue  # preserved: no longer managed, never deleted
            for suffix in (INDEX_SUFFIX, DATA_SUFFIX):
                try:
                    os.remove(path + suffix)
                except FileNotFoundError:
                    pass

    def restore_or_initialize(self):
        """Restore the latest checkpoint and return its path; without one, call ``init_fn``
        (if given) and return None."""
        if self._latest is not None:
            self._checkpoint.restore(self._latest)
            return self._latest
        if self._init_fn is not None:
            self._init_fn()
        return None

