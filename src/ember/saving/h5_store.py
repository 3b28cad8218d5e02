"""The weights walk and the HDF5 store of ``model.weights.h5`` / ``.weights.h5`` (spec §4).

The walk visits objects depth first from the model (path ``""``), each once by identity. An
object's own variables go to ``<path>/vars/0``, ``1``, ... (trainable ones first, then
non-trainable, each in creation order); the optimizer's to ``optimizer/vars`` (iterations,
learning_rate, then its slots). Children: for Sequential and Functional first ``layers`` (named
by the snake-case class name, ``dense``, ``dense_1``, ...), then every other attribute holding a
layer or an optimizer, in name order with private names last, at ``<path>/<attribute>`` (so an
LSTM's cell is ``.../lstm/cell``).

Reading addresses everything by path, and trusts nothing in the file: soft and external links,
external and virtual datasets are refused; a dataset's declared shape and dtype are checked
against the variable before any data is read; every h5py error comes back as a ValueError that
says which file and which path.
"""

import warnings

from ember import registry
from ember.backend import np

try:
    import h5py
except ImportError:  # pragma: no cover - exercised only without the extra
    h5py = None

MAX_DECLARED_BYTES = 4 << 30  # Keras's threshold for the declared-size vs stored-size check
MAX_DECLARED_RATIO = 1000


def require_h5py():
    if h5py is None:
        raise ImportError(
            "Saving and loading weights needs h5py: pip install 'ember[h5]' (or pip install h5py)."
        )
    return h5py


# -- the walk ------------------------------------------------------------------------------------
def _name_key(name):
    return "~" + name if name.startswith("_") else name


def _saveable_kind(obj):
    """``"layer"``, ``"optimizer"`` or None (metrics and losses hold no saved state)."""
    from ember.layers.layer import Layer
    from ember.optimizers.base_optimizer import Optimizer

    if isinstance(obj, Optimizer):
        return "optimizer"
    if isinstance(obj, Layer) and not _is_metric(obj):
        return "layer"
    return None


def _is_metric(obj):
    for module, name in (("ember.metrics", "Metric"), ("ember.losses", "Loss")):
        try:
            import importlib

            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            cls = None
        if cls is not None and isinstance(obj, cls):
            return True
    return False


class _Skips:
    """Attribute names the walk ignores: those of a bare Layer (and, for models, of a bare
    Model, except ``optimizer``), plus the models' internal bookkeeping."""

    def __init__(self):
        from ember.layers.layer import Layer
        from ember.models.model import Model

        self.layer = set(dir(Layer(name="_ember_saving_reference")))
        model = set(dir(Model(name="_ember_saving_reference")))
        self.model = (self.layer | model | {"_input_layer", "_output_spec", "_nodes", "_stack",
                                             "_layers_list", "_inputs_struct", "_outputs_struct",
                                             "inputs", "outputs", "operations"}) - {"optimizer"}

    def for_object(self, obj):
        from ember.models.model import Model

        return self.model if isinstance(obj, Model) else self.layer


def _class_path_name(obj):
    """The group name Keras gives an object in a weights file: its Keras class name in snake
    case (``_keras_class_name`` where Keras's class is public under another name)."""
    cls = type(obj)
    name = getattr(cls, "_keras_class_name", None) or registry.canonical_name(cls) or cls.__name__
    return registry.to_snake_case(name)


def _children(obj, skips):
    from ember.models.functional import Functional
    from ember.models.sequential import Sequential

    if isinstance(obj, (Sequential, Functional)):
        yield "layers", list(obj.layers)
    skip = skips.for_object(obj)
    for attr in sorted(dir(obj), key=_name_key):
        if attr.startswith("__") or attr in skip:
            continue
        try:
            value = getattr(obj, attr)
        except Exception:  # noqa: BLE001 - a property that fails is not state (as Keras)
            continue
        yield attr, value
    # safety net: sub-layers with weights that are tracked but not reachable by an attribute
    hidden = [layer for layer in getattr(obj, "_layers", ()) if layer._all_weights()]
    if hidden:
        yield "_layers", hidden


def walk(model):
    """``(path, object, kind)`` for every object whose state is saved, in Keras's order."""
    skips = _Skips()
    visited = set()
    out = []

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        kind = _saveable_kind(obj)
        out.append((path, obj, kind))
        if kind != "layer":
            return
        for attr, child in _children(obj, skips):
            child_path = f"{path}/{attr}" if path else attr
            if _saveable_kind(child):
                visit(child, child_path)
            elif isinstance(child, (list, tuple, dict, set)) and child:
                items = list(child.values()) if isinstance(child, dict) else list(child)
                used = {}
                for item in items:
                    if not _saveable_kind(item):
                        continue
                    name = _class_path_name(item)
                    if name in used:
                        used[name] += 1
                        name = f"{name}_{used[name]}"
                    else:
                        used[name] = 0
                    visit(item, f"{child_path}/{name}")

    visit(model, "")
    return out


def own_variables(obj, kind):
    """The variables an object saves at its own ``vars`` group, in Keras's order."""
    if kind == "optimizer":
        return list(obj.variables)
    nt_ids = obj._non_trainable_ids
    trainable, non_trainable = [], []
    for w in obj._own_weights:
        if id(w) in nt_ids or (obj._trainable and not w.trainable):
            non_trainable.append(w)
        else:
            trainable.append(w)
    return trainable + non_trainable


def _display(obj, path):
    where = f"{path}/vars" if path else "vars"
    return f"{type(obj).__name__} '{getattr(obj, 'name', '?')}' (at {where})"


# -- writing -------------------------------------------------------------------------------------
class _WriteStore(dict):
    """What a layer's own ``save_own_variables(store)`` writes into."""


def write_weights(model, h5file):
    """Write the state of ``model`` (and its optimizer) into the open, empty ``h5file``."""
    saved = set()
    for path, obj, kind in walk(model):
        name = f"{path}/vars" if path else "vars"
        group = h5file.create_group(name)
        group.attrs["name"] = str(getattr(obj, "name", "") or "")
        values, covered = saved_values(obj, kind)
        saved.update(id(v) for v in covered)
        for i, value in enumerate(values):
            group.create_dataset(str(i), data=np.asarray(value))
    missing = [w.path for w in model.weights if id(w) not in saved]
    if missing:
        raise ValueError(
            f"Model '{model.name}': the saving walk could not reach variables {missing}; they "
            "belong to layers not tracked by their owners. Assign sub-layers as attributes."
        )


def saved_values(obj, kind):
    """``(values, variables)``: the arrays ``obj`` saves at its ``vars`` group, in order, and
    the variables they cover (a layer's own ``save_own_variables`` hook decides, if it has one)."""
    if kind == "layer" and _has_hook(obj, "save_own_variables"):
        store = _WriteStore()
        obj.save_own_variables(store)
        return [store[k] for k in sorted(store, key=lambda k: int(k))], list(obj._own_weights)
    variables = own_variables(obj, kind)
    return [v.numpy() if hasattr(v, "numpy") else v for v in variables], variables


def _has_hook(obj, name):
    from ember.layers.layer import Layer

    impl = getattr(type(obj), name, None)
    return impl is not None and impl is not getattr(Layer, name, None)


# -- reading -------------------------------------------------------------------------------------
class H5Reader:
    """Guarded, path-addressed access to an open HDF5 file (``source`` names it in errors)."""

    def __init__(self, h5file, source):
        self.file = h5file
        self.source = source

    def _fail(self, what, error=None):
        detail = f": {error}" if error is not None else ""
        return ValueError(f"{self.source}: {what}{detail}")

    def _child(self, group, name, where):
        """``group[name]`` after checking the link; None if absent."""
        h5 = require_h5py()
        try:
            link = group.get(name, getlink=True)
            if link is None:
                return None
            if isinstance(link, (h5.SoftLink, h5.ExternalLink)):
                kind = "an external" if isinstance(link, h5.ExternalLink) else "a soft"
                raise self._fail(f"refusing {kind} link at '{where}': weight files may not "
                                 "point to other objects or files")
            return group[name]
        except ValueError:
            raise
        except (OSError, KeyError, RuntimeError, TypeError) as e:
            raise self._fail(f"cannot read '{where}' (truncated or corrupt HDF5 file?)",
                             e) from e

    def keys(self, group):
        """The names of the members of ``group`` (an open h5py Group)."""
        try:
            return list(group.keys())
        except (OSError, RuntimeError) as e:
            raise self._fail(f"cannot list '{group.name}' (truncated or corrupt HDF5 file?)",
                             e) from e

    def node(self, path):
        """The group or dataset at ``path`` ("a/b/c"), or None if absent; links refused."""
        h5 = require_h5py()
        current = self.file
        walked = []
        for part in [p for p in path.split("/") if p]:
            walked.append(part)
            if not isinstance(current, h5.Group):
                return None
            current = self._child(current, part, "/".join(walked))
            if current is None:
                return None
        return current

    def group(self, path):
        h5 = require_h5py()
        node = self.node(path)
        if node is not None and not isinstance(node, h5.Group):
            raise self._fail(f"'{path}' is a dataset where a group was expected")
        return node

    def vars_entry(self, path):
        """``{"0": dataset, ...}`` of the ``vars`` group at ``path`` (empty if absent)."""
        h5 = require_h5py()
        group = self.group(f"{path}/vars" if path else "vars")
        if group is None and "layers" in path and self.node("_layer_checkpoint_dependencies"):
            legacy = path.replace("layers", "_layer_checkpoint_dependencies")  # tf.keras 2.13
            group = self.group(f"{legacy}/vars")
        if group is None:
            return {}
        names = self.keys(group)
        entry = {}
        for name in names:
            node = self._child(group, name, f"{group.name}/{name}")
            if not isinstance(node, h5.Dataset):
                raise self._fail(f"'{group.name}/{name}' is not a dataset")
            entry[name] = node
        return entry

    def check_dataset(self, ds, shape=None, where=None):
        """Refuse external/virtual storage, absurd declared sizes and non-numeric dtypes;
        with ``shape``, refuse a declared shape that differs (before reading anything)."""
        where = where or ds.name
        try:
            if ds.is_virtual:
                raise self._fail(f"refusing virtual dataset '{where}'")
            if ds.external:
                raise self._fail(f"refusing dataset '{where}' stored in external files")
            declared_shape = tuple(int(d) for d in ds.shape) if ds.shape is not None else ()
            dtype = ds.dtype
            stored = ds.id.get_storage_size()
        except ValueError:
            raise
        except (OSError, RuntimeError, TypeError) as e:
            raise self._fail(f"cannot read the header of '{where}'", e) from e
        if dtype.kind not in "biuf" and not (_is_bfloat16(ds) and dtype.itemsize == 2):
            raise self._fail(f"dataset '{where}' has dtype {dtype}, not a number type")
        if shape is not None and declared_shape != tuple(shape):
            return declared_shape
        declared = int(np.prod(declared_shape, dtype=np.float64)) * dtype.itemsize
        if declared > MAX_DECLARED_BYTES and declared > MAX_DECLARED_RATIO * max(stored, 1):
            raise self._fail(
                f"refusing dataset '{where}': it declares {declared} bytes but stores only "
                f"{stored} (a decompression bomb?)")
        return declared_shape

    def read(self, ds, shape, dtype=None, where=None):
        """The dataset's values as an array of ``shape`` cast to ``dtype`` (by default the
        stored dtype, bfloat16 read as float32)."""
        where = where or ds.name
        declared = self.check_dataset(ds, shape, where)
        if declared != tuple(shape):
            raise self._fail(f"dataset '{where}' has shape {declared}, expected {tuple(shape)}")
        try:
            if _is_bfloat16(ds):
                raw = np.empty(ds.shape, dtype=ds.dtype)
                if raw.size:
                    ds.read_direct(raw)
                value = _bfloat16_to_float32(raw)
            else:
                value = np.empty(ds.shape, dtype=ds.dtype)
                if value.size:
                    ds.read_direct(value)
        except (OSError, RuntimeError, TypeError) as e:
            raise self._fail(f"cannot read dataset '{where}' (truncated or corrupt file?)",
                             e) from e
        return value if dtype is None else value.astype(dtype, copy=False)


def _is_bfloat16(ds):
    value = ds.attrs.get("dtype") if "dtype" in ds.attrs else None
    return value in ("bfloat16", b"bfloat16")


def _bfloat16_to_float32(raw):
    bits = raw.view(np.uint16).astype(np.uint32) << 16
    return bits.view(np.float32)


class _ReadStore:
    """What a layer's own ``load_own_variables(store)`` reads from (arrays by "0", "1", ...)."""

    def __init__(self, arrays):
        self._arrays = arrays

    def keys(self):
        return list(self._arrays)

    def __len__(self):
        return len(self._arrays)

    def __getitem__(self, key):
        return self._arrays[str(key)]

    def items(self):
        return self._arrays.items()


def load_weights(model, reader, skip_mismatch=False, load_optimizer=True):
    """Read the state of ``model`` from ``reader`` (an :class:`H5Reader`).

    Everything is checked and read first and assigned after, so a failed load leaves the
    model as it was. A layer whose variable count or shapes differ is an error naming it
    (a warning and skipped with ``skip_mismatch``); an optimizer whose variable count differs
    is skipped with a warning, as Keras does.
    """
    assignments, hooks, problems = [], [], []
    optimizer_plan = None
    for path, obj, kind in walk(model):
        if kind == "optimizer":
            if load_optimizer:
                optimizer_plan = (path, obj)
            continue
        entry = reader.vars_entry(path)
        variables = own_variables(obj, kind)
        hook = _has_hook(obj, "load_own_variables")
        if not hook and len(entry) != len(variables):
            problems.append(_count_message(obj, path, variables, entry))
            continue
        try:
            arrays = _read_entry(reader, entry, variables, path, hook)
        except _Mismatch as e:
            problems.append(f"{_display(obj, path)}: {e}")
            continue
        if hook:
            hooks.append((obj, arrays))
        else:
            assignments.extend(zip(variables, [arrays[str(i)] for i in range(len(variables))]))
    if problems:
        message = (f"{reader.source}: {len(problems)} object(s) could not be loaded:\n  - "
                   + "\n  - ".join(problems))
        if not skip_mismatch:
            raise ValueError(message + "\n(Pass skip_mismatch=True to load the rest.)")
        warnings.warn(message + "\nThey were skipped (skip_mismatch=True).", stacklevel=3)
    optimizer_values = None
    if optimizer_plan is not None:
        optimizer_values = _plan_optimizer(model, reader, *optimizer_plan)
    for var, value in assignments:
        var.assign(value)
    for obj, arrays in hooks:
        obj.load_own_variables(_ReadStore(arrays))
    if optimizer_values:
        for var, value in optimizer_values:
            var.assign(value)


class _Mismatch(Exception):
    pass


def _count_message(obj, path, variables, entry):
    names = [getattr(v, "name", "?") for v in variables]
    if not variables and not getattr(obj, "built", True):
        return (f"{_display(obj, path)} was never built, so it has no variables, but the file "
                f"holds {len(entry)} for it. Build the model (call it on data) before loading.")
    return (f"{_display(obj, path)} expects {len(variables)} variables {names}, but the file "
            f"holds {len(entry)}.")


def _read_entry(reader, entry, variables, path, hook):
    keys = sorted(entry, key=lambda k: (len(k), k))
    if [k for k in keys] != [str(i) for i in range(len(keys))]:
        raise _Mismatch(f"unexpected dataset names {keys} (expected 0..{len(keys) - 1})")
    arrays = {}
    for i, key in enumerate(keys):
        ds = entry[key]
        where = f"{path}/vars/{key}" if path else f"vars/{key}"
        if hook:  # the layer checks its own shapes
            arrays[key] = reader.read(ds, reader.check_dataset(ds, None, where), ds.dtype, where)
            continue
        var = variables[i]
        declared = reader.check_dataset(ds, var.shape, where)
        if declared != tuple(var.shape):
            raise _Mismatch(f"variable {i} ({getattr(var, 'name', '?')}) has shape "
                            f"{tuple(var.shape)}, but the file holds shape {declared}")
        arrays[key] = reader.read(ds, var.shape, var.dtype, where)
    return arrays


def _plan_optimizer(model, reader, path, optimizer):
    entry = reader.vars_entry(path)
    if not entry:
        return None
    variables = list(optimizer.variables)
    if len(entry) != len(variables) and not optimizer.built and model.built and \
            len(entry) > len(variables):
        optimizer.build(model.trainable_variables)
        variables = list(optimizer.variables)
    where = f"{reader.source}: optimizer '{optimizer.name}'"
    if len(entry) != len(variables):
        if len(entry) == 2 and len(variables) > 2:
            values = _try_read(reader, entry, variables[:2], path)
            if values is not None and int(values[0][1]) == 0:
                return values  # saved before any step: only iterations and learning rate
        warnings.warn(
            f"{where}: skipping the optimizer state, because the optimizer has "
            f"{len(variables)} variables whereas the file has {len(entry)}; training resumes "
            "with a fresh optimizer.", stacklevel=4)
        return None
    values = _try_read(reader, entry, variables, path)
    if values is None:
        warnings.warn(f"{where}: skipping the optimizer state, whose variable shapes differ "
                      "from the model's; training resumes with a fresh optimizer.", stacklevel=4)
    return values


def _try_read(reader, entry, variables, path):
    subset = {str(i): entry[str(i)] for i in range(len(variables)) if str(i) in entry}
    try:
        arrays = _read_entry(reader, subset, variables, path, False)
    except _Mismatch:
        return None
    return [(v, arrays[str(i)]) for i, v in enumerate(variables)]
