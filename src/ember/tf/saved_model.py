"""``tf.saved_model.save`` / ``load``: ember's model directory.

This is ember's own directory format, NOT TensorFlow's protobuf SavedModel: TensorFlow cannot
load it and ember cannot load TensorFlow's. To move models between frameworks use ``.keras``
files, ONNX (``ember.export.to_onnx``) or LiteRT. The directory holds::

    saved_model.json                  what the object is and how to rebuild it (written last)
    variables/variables.index         the object's variables: an ember checkpoint
    variables/variables.data-00000-of-00001
    model.keras                       Keras models only (when h5py is installed)

``model.keras`` is what ``ember serve`` loads, so ``tf.saved_model.save(model,
"models/mnist/1")`` produces a version directory that ``ember serve --model_base_path
models/mnist`` serves.

ember stores no graphs, so functions are rebuilt from Python code, never read from the file:
a Keras model is rebuilt from its config (as from a ``.keras`` file); a ``tf.Module`` is rebuilt
as its own class only when that class is registered with
``ember.saving.register_keras_serializable`` (its methods, ``tf.function``s included, are then
the class's code). Otherwise ``load`` returns a restored object that holds the variables and
sub-objects (``loaded.v``, ``loaded.variables``) and raises a clear error when its saved
functions are called. Loading never runs code from the file.
"""

import json
import os
import uuid

from ember.autodiff.tensor import Variable
from ember.tf import train
from ember.tf.errors import NotFoundError
from ember.tf.module import Module, attributes

FORMAT = "ember.saved_model"
FORMAT_VERSION = 1
METADATA_FILENAME = "saved_model.json"
KERAS_FILENAME = "model.keras"
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"
MAX_METADATA_BYTES = 64 << 20


def _is_layer(obj):
    from ember.layers.layer import Layer

    return isinstance(obj, Layer)


def _registered_name(cls):
    from ember import registry

    name = registry.get_registered_name(cls)
    return name if registry.custom_objects().get(name) is cls else None


def _function_names(obj):
    """Names of the ``tf.function`` attributes of ``obj``'s class (what TF would save)."""
    try:
        from ember.tf.tf_function import PolymorphicFunction
    except ImportError:  # pragma: no cover - tf.function not available
        return []
    return sorted(name for cls in type(obj).__mro__ for name, value in vars(cls).items()
                  if isinstance(value, PolymorphicFunction))


# -- saving -------------------------------------------------------------------------------------
def _describe(value, path, keys):
    """The JSON description of an attribute value (``keys`` maps variable ids to their
    checkpoint keys); None for values that are not saved."""
    if isinstance(value, Variable):
        key = keys.get(id(value))
        if key is None:
            return None
        return {"type": "variable", "key": key, "name": value.name,
                "trainable": bool(value.trainable)}
    if _is_layer(value):
        from ember.saving import saving_lib

        return {"type": "keras", "config": saving_lib.model_config(value),
                "path": list(map(str, path))}
    if isinstance(value, Module):
        return _describe_module(value, path, keys)
    if isinstance(value, (list, tuple)):
        items = [_describe(v, path + (i,), keys) for i, v in enumerate(value)]
        return {"type": type(value).__name__ if type(value) in (list, tuple) else "list",
                "items": items}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"type": "dict", "items": [[k, _describe(v, path + (k,), keys)]
                                              for k, v in sorted(value.items())]}
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"type": "value", "value": value}
    return None


def _describe_module(module, path, keys):
    attrs = {}
    for name, value in attributes(module):
        described = _describe(value, path + (name,), keys)
        if described is not None:
            attrs[name] = described
    return {"type": "module", "class": _registered_name(type(module)),
            "python_class": f"{type(module).__module__}.{type(module).__qualname__}",
            "name": module.name, "functions": _function_names(module), "attributes": attrs}


def save(obj, export_dir, signatures=None, options=None):
    """Save ``obj`` (a ``tf.Module`` or a Keras model/layer) in ``export_dir`` (see the module
    docstring for what is saved and how it loads back). Each file is written atomically and
    ``saved_model.json`` last, so an interrupted save never loads as a mix.

    ``signatures`` (a function or a dict of them) are recorded by name: ``load`` exposes them
    in ``.signatures`` when it can rebuild the object.
    """
    if not (isinstance(obj, Module) or _is_layer(obj)):
        raise ValueError(
            "Expected an object of type `Trackable`, such as `tf.Module` or a subclass of the "
            f"`Trackable` class, for export. Got {obj!r} with type {type(obj)}.")
    export_dir = os.fspath(export_dir)
    os.makedirs(os.path.join(export_dir, VARIABLES_DIRECTORY), exist_ok=True)
    entries, _ = train.object_graph(obj)
    keys = {id(leaf): key for key, leaf in entries.items() if isinstance(leaf, Variable)}
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "id": uuid.uuid4().hex,
            "signatures": _signature_names(signatures, obj)}
    if _is_layer(obj):
        from ember.saving import h5_store, saving_lib

        meta["object"] = {"type": "keras", "config": saving_lib.model_config(obj), "path": []}
        meta["keras_file"] = None
        if h5_store.h5py is not None:
            saving_lib.save_model(obj, os.path.join(export_dir, KERAS_FILENAME))
            meta["keras_file"] = KERAS_FILENAME
    else:
        meta["object"] = _describe_module(obj, (), keys)
    prefix = os.path.join(export_dir, VARIABLES_DIRECTORY, VARIABLES_FILENAME)
    train.write_checkpoint(prefix, entries)
    with open(prefix + train.INDEX_SUFFIX, "rb") as f:
        meta["variables_id"] = json.loads(f.read().decode("utf-8"))["id"]
    text = json.dumps(meta, indent=1)
    train._atomic_write(os.path.join(export_dir, METADATA_FILENAME),
                        lambda f: f.write(text.encode("utf-8")))


def _signature_names(signatures, obj):
    if signatures is None:
        return [[DEFAULT_SERVING_SIGNATURE_DEF_KEY, "__call__"]] if _is_layer(obj) else []
    if isinstance(signatures, dict):
        names = []
        for key, fn in signatures.items():
            if not isinstance(key, str):
                raise ValueError(f"signatures keys must be strings. Received: {key!r}")
            names.append([key, _method_name(fn, obj)])
        return names
    return [[DEFAULT_SERVING_SIGNATURE_DEF_KEY, _method_name(signatures, obj)]]


def _method_name(fn, obj):
    name = getattr(fn, "__name__", None)
    if name is None or getattr(type(obj), name, None) is None:
        raise ValueError(f"tf.saved_model.save: a signature must be a method of the saved "
                         f"object (ember rebuilds functions from the class); received {fn!r}.")
    return name


# -- loading ------------------------------------------------------------------------------------
def contains_saved_model(export_dir):
    """Whether ``export_dir`` holds an ember saved model."""
    return os.path.isfile(os.path.join(os.fspath(export_dir), METADATA_FILENAME))


class _Restored(Module):
    """A saved ``tf.Module`` whose class could not be rebuilt: its variables and sub-objects,
    and functions that explain why they cannot run."""

    def __init__(self, name, python_class, functions):
        super().__init__(name=name)
        self._python_class = python_class
        self._functions = list(functions)
        for fn in functions:
            object.__setattr__(self, fn, _unavailable(python_class, fn))

    def __call__(self, *args, **kwargs):
        return _unavailable(self._python_class, "__call__")(*args, **kwargs)


def _unavailable(python_class, name):
    def call(*args, **kwargs):
        raise TypeError(
            f"The saved {python_class} was restored without its class, so its function "
            f"{name!r} cannot run: ember's saved_model stores no graphs and never runs code "
            "from the file. Register the class (ember.saving.register_keras_serializable) "
            "before loading to get it back with its methods.")

    return call


_TF_MODULE_IGNORED = frozenset(("_name", "_name_scope", "_python_class", "_functions"))
_Restored._TF_MODULE_IGNORED_PROPERTIES = _TF_MODULE_IGNORED


def _rebuild(desc, values, where):
    kind = desc.get("type") if isinstance(desc, dict) else None
    if kind == "variable":
        key = desc["key"]
        if key not in values:
            raise ValueError(f"{where}: variable {key!r} is missing from the variables file.")
        return values[key]
    if kind == "value":
        return desc["value"]
    if kind in ("list", "tuple"):
        items = [_rebuild(d, values, where) for d in desc["items"] if d is not None]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: _rebuild(d, values, where) for k, d in desc["items"] if d is not None}
    if kind == "keras":
        from ember.saving import saving_lib

        return saving_lib.deserialize_model(desc["config"], compile=False, source=where)
    if kind == "module":
        return _rebuild_module(desc, values, where)
    raise ValueError(f"{where}: malformed saved_model.json (unknown entry {kind!r}).")


def _rebuild_module(desc, values, where):
    from ember import registry

    cls = registry.custom_objects().get(desc.get("class")) if desc.get("class") else None
    if cls is not None and isinstance(cls, type) and issubclass(cls, Module):
        obj = cls.__new__(cls)  # the registered class's code; its __init__ is not re-run
        Module.__init__(obj, name=desc["name"])
    else:
        obj = _Restored(desc["name"], desc.get("python_class", "object"),
                        desc.get("functions", []))
    for name, attr in desc.get("attributes", {}).items():
        object.__setattr__(obj, name, _rebuild(attr, values, where))
    return obj


class _Signature:
    """A serving signature: called with the inputs, returns ``{"output_0": ...}``."""

    def __init__(self, fn, name):
        self._fn = fn
        self.name = name

    def __call__(self, *args, **kwargs):
        if kwargs and not args:
            args = tuple(kwargs.values())
            kwargs = {}
        out = self._fn(*args, **kwargs)
        if isinstance(out, dict):
            return out
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        return {f"output_{i}": o for i, o in enumerate(outs)}


def load(export_dir, tags=None, options=None):
    """Load what :func:`save` wrote: a Keras model (rebuilt from its config), an instance of a
    registered Module class, or a restored object holding the variables. ``.signatures``
    maps signature names to callables returning ``{"output_0": ...}``.

    Raises:
        OSError: no saved model in ``export_dir``.
        ValueError: a malformed or inconsistent directory.
    """
    export_dir = os.fspath(export_dir)
    meta_path = os.path.join(export_dir, METADATA_FILENAME)
    if not os.path.isfile(meta_path):
        raise NotFoundError(f"SavedModel file does not exist at: {export_dir}/"
                            f"{{{METADATA_FILENAME}}} (ember reads only the directories its own "
                            "tf.saved_model.save writes)")
    if os.path.getsize(meta_path) > MAX_METADATA_BYTES:
        raise ValueError(f"{meta_path} is too large to be ember's saved model metadata.")
    with open(meta_path, "rb") as f:
        try:
            meta = json.loads(f.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ValueError(f"{meta_path} is not valid JSON: {e}") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{meta_path} is not an ember saved model.")
    if meta.get("version") != FORMAT_VERSION:
        raise ValueError(f"{meta_path}: unsupported format version {meta.get('version')!r}.")
    prefix = os.path.join(export_dir, VARIABLES_DIRECTORY, VARIABLES_FILENAME)
    reader = train.CheckpointReader(prefix)
    if reader._meta.get("id") != meta.get("variables_id"):
        raise ValueError(f"{export_dir}: the variables do not belong to this saved_model.json "
                         "(an interrupted save?); save the object again.")
    desc = meta.get("object")
    if isinstance(desc, dict) and desc.get("type") == "keras":
        obj = _rebuild(desc, {}, export_dir)
        status = train.restore_into(obj, prefix)
        status.assert_existing_objects_matched()
    else:
        arrays = reader.read_many(reader.keys())
        values = {key: Variable(array, dtype=array.dtype, trainable=trainable, name=name)
                  for key, array, trainable, name in _variable_specs(desc, arrays)}
        obj = _rebuild(desc, values, export_dir)
        # Keras layers inside the module: restore their weights by key
        train.restore_into(obj, prefix)
    signatures = {}
    for entry in meta.get("signatures") or []:
        if not (isinstance(entry, list) and len(entry) == 2):
            raise ValueError(f"{meta_path}: malformed signature entry {entry!r}.")
        name, method = entry
        fn = obj if method == "__call__" else getattr(obj, str(method), None)
        if fn is not None:
            signatures[name] = _Signature(fn, name)
    object.__setattr__(obj, "signatures", signatures)
    return obj


def _variable_specs(desc, arrays):
    """``(key, array, trainable, name)`` of every variable the description names."""
    out = []

    def visit(d):
        if not isinstance(d, dict):
            return
        if d.get("type") == "variable" and d.get("key") in arrays:
            out.append((d["key"], arrays[d["key"]], d.get("trainable", True),
                        d.get("name")))
        for v in d.get("attributes", {}).values():
            visit(v)
        for item in d.get("items", []):
            visit(item[1] if isinstance(item, list) and len(item) == 2
                  and d.get("type") == "dict" else item)

    visit(desc)
    return out

