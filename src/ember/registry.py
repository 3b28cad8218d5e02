"""One table for every string identifier and serializable class.

``'adam'``, ``'relu'``, ``'glorot_uniform'``, ``'mse'``, ``'accuracy'`` and classes registered by
users all resolve through :func:`get`. Objects serialize to Keras's envelope
``{"module", "class_name", "config", "registered_name"}`` and back, so that ``.keras`` files move
between ember and Keras. Deserializing never runs code from the file: a class name resolves only
to a class in this table.
"""

import re

# kind -> Keras public module of that kind (the envelope's "module")
KERAS_MODULES = {
    "layer": "keras.layers",
    "activation": "keras.activations",
    "initializer": "keras.initializers",
    "regularizer": "keras.regularizers",
    "constraint": "keras.constraints",
    "optimizer": "keras.optimizers",
    "schedule": "keras.optimizers.schedules",
    "loss": "keras.losses",
    "metric": "keras.metrics",
    "callback": "keras.callbacks",
    "model": "keras",
}

# kind -> the ember module whose import registers that kind's built-in names
_KIND_MODULES = {
    "layer": "ember.layers",
    "activation": "ember.activations",
    "initializer": "ember.initializers",
    "regularizer": "ember.regularizers",
    "constraint": "ember.constraints",
    "optimizer": "ember.optimizers",
    "schedule": "ember.optimizers.schedules",
    "loss": "ember.losses",
    "metric": "ember.metrics",
    "callback": "ember.callbacks",
    "model": "ember.models",
}
_loaded = set()


def _ensure(kind):
    """Import the module that registers ``kind``'s built-ins (once), so lookups work before the
    user has imported it."""
    kinds = [kind] if kind else list(_KIND_MODULES)
    for k in kinds:
        if k in _loaded or k not in _KIND_MODULES:
            continue
        _loaded.add(k)
        import importlib

        try:
            importlib.import_module(_KIND_MODULES[k])
        except ModuleNotFoundError as e:
            if e.name != _KIND_MODULES[k]:
                raise
            _loaded.discard(k)


_TABLE = {}  # (kind, key) -> object; key is a class name, alias or registered name
_CUSTOM = {}  # registered name ("package>Name") -> object
_NAMES = {}  # id(object) -> (kind, canonical name, registered name or None)


def register(kind, name=None, aliases=()):
    """Decorator: make a class or function resolvable by name in ``kind``."""

    def deco(obj):
        canonical = name or obj.__name__
        _TABLE[(kind, canonical)] = obj
        for alias in aliases:
            _TABLE[(kind, alias)] = obj
        _NAMES[id(obj)] = (kind, canonical, None)
        return obj

    return deco


def register_keras_serializable(package="Custom", name=None):
    """Register a user class or function so that files naming it can be loaded (as Keras)."""

    def deco(obj):
        short = name or obj.__name__
        key = f"{package}>{short}"
        _CUSTOM[key] = obj
        _NAMES[id(obj)] = (None, short, key)
        return obj

    return deco


def get_registered_name(obj):
    entry = _NAMES.get(id(obj)) or _NAMES.get(id(type(obj)))
    if entry and entry[2]:
        return entry[2]
    return getattr(obj, "__name__", type(obj).__name__)


def canonical_name(cls):
    """The name ``cls`` was registered under in ember's table (its Keras class name), or None
    when it is not a registered built-in."""
    entry = _NAMES.get(id(cls))
    return entry[1] if entry is not None and entry[0] is not None else None


def custom_objects():
    """The global table of user-registered objects, by registered name (mutable, as Keras's:
    ``custom_objects()["Name"] = cls`` makes ``Name`` loadable)."""
    return _CUSTOM


def get_registered_object(name, custom_objects=None, kind=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    _ensure(kind)
    if name in _CUSTOM:
        return _CUSTOM[name]
    if kind is not None:
        return _TABLE.get((kind, name))
    for (_k, key), obj in _TABLE.items():
        if key == name:
            return obj
    return None


def names(kind):
    """The identifiers known for ``kind``, sorted."""
    _ensure(kind)
    return sorted(key for (k, key) in _TABLE if k == kind)


def lookup(kind, identifier, custom_objects=None):
    """The object registered as ``identifier`` in ``kind``; a ValueError lists the valid names."""
    _ensure(kind)
    obj = None
    if custom_objects and identifier in custom_objects:
        obj = custom_objects[identifier]
    if obj is None:
        obj = _TABLE.get((kind, identifier)) or _CUSTOM.get(identifier)
    if obj is None and isinstance(identifier, str):
        # Keras accepts both "GlorotUniform" and "glorot_uniform"
        obj = _TABLE.get((kind, to_snake_case(identifier))) or _TABLE.get(
            (kind, to_camel_case(identifier)))
    if obj is None:
        valid = ", ".join(names(kind))
        raise ValueError(
            f"Unknown {kind}: {identifier!r}. Valid identifiers are: {valid}. If it is a custom "
            f"{kind}, register it with ember.saving.register_keras_serializable or pass it in "
            "custom_objects."
        )
    return obj


def get(kind, identifier, custom_objects=None, instantiate=True):
    """Resolve ``identifier`` (None, a string, a config dict, a class, or an object) in ``kind``.

    Strings and config dicts resolve through the table; classes are instantiated with no
    arguments when ``instantiate``; objects and functions are returned as they are.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects=custom_objects, kind=kind)
    if isinstance(identifier, str):
        obj = lookup(kind, identifier, custom_objects)
        if isinstance(obj, type) and instantiate:
            return obj()
        return obj
    if isinstance(identifier, type) and instantiate:
        return identifier()
    return identifier


# -- serialization -----------------------------------------------------------------------------
def serialize(obj):
    """Keras's envelope for ``obj`` (a registered function becomes its name string)."""
    if obj is None:
        return None
    if isinstance(obj, (str, int, float, bool)):
        return obj
    entry = _NAMES.get(id(obj))
    if entry is not None and not isinstance(obj, type) and callable(obj) and not hasattr(
            obj, "get_config"):
        kind, canonical, registered = entry
        if registered is None:
            return canonical  # built-in functions (activations, losses) are bare strings
        return {"module": getattr(obj, "__module__", None), "class_name": "function",
                "config": canonical, "registered_name": registered}
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r}: it is not a registered function and has no get_config. "
            "Register it with ember.saving.register_keras_serializable."
        )
    cls = type(obj)
    entry = _NAMES.get(id(cls))
    config = _plain(obj.get_config())
    if entry is not None and entry[2] is None:
        kind, canonical, _ = entry
        module = getattr(cls, "_keras_module", None) or KERAS_MODULES.get(kind, "keras")
        out = {"module": module, "class_name": canonical, "config": config,
               "registered_name": getattr(cls, "_keras_registered_name", None)}
    else:
        registered = entry[2] if entry else f"Custom>{cls.__name__}"
        out = {"module": cls.__module__, "class_name": cls.__name__, "config": config,
               "registered_name": registered}
    if hasattr(obj, "get_build_config"):
        build = obj.get_build_config()
        if build is not None:
            out["build_config"] = _plain(build)
    if hasattr(obj, "get_compile_config"):
        out["compile_config"] = _plain(obj.get_compile_config() or {})
    return out


def _plain(value):
    """Tuples become lists and nested objects become envelopes, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return serialize(value)


class UnknownObjectError(TypeError, ValueError):
    """A config names a class that is not registered (files never import or run code).

    Keras raises TypeError ("Could not locate class") from ``from_config`` and ``load_model``,
    and ValueError from ``deserialize_keras_object``: this error is both, so either handler
    catches it."""


def deserialize(config, custom_objects=None, kind=None, safe_mode=True):
    """Rebuild an object from its envelope (or a bare string identifier)."""
    if config is None:
        return None
    if isinstance(config, str):
        return get(kind, config, custom_objects) if kind else config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize {config!r}: expected a dict with a 'class_name'.")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "__lambda__":
        raise ValueError(
            "Refusing to deserialize a Python lambda from a config: it would run code from the "
            "file. Pass safe_mode=False only if you trust its source."
        )
    if class_name == "function":
        name = config.get("registered_name") or inner
        obj = get_registered_object(name, custom_objects, kind) or get_registered_object(
            inner, custom_objects, kind)
        if obj is None:
            raise UnknownObjectError(
                f"Unknown function {name!r} in the config. Register it with "
                "ember.saving.register_keras_serializable or pass it in custom_objects."
            )
        return obj
    _ensure(kind)
    registered = config.get("registered_name")
    cls = None
    if custom_objects:
        cls = custom_objects.get(class_name) or (registered and custom_objects.get(registered))
    if cls is None and registered and registered in _CUSTOM:
        cls = _CUSTOM[registered]
    if cls is None:
        kinds = [kind] if kind else []
        module = config.get("module") or ""
        kinds += [k for k, m in KERAS_MODULES.items() if m == module or module.startswith(
            "keras.src." + m.split(".")[-1])]
        kinds += list(KERAS_MODULES)
        for k in kinds:
            cls = _TABLE.get((k, class_name))
            if cls is not None:
                break
    if cls is None:
        raise UnknownObjectError(
            f"Unknown {kind or 'object'} class {class_name!r} (module {config.get('module')!r}). "
            "ember only builds classes it knows; register custom classes with "
            "ember.saving.register_keras_serializable or pass them in custom_objects."
        )
    if not hasattr(cls, "from_config"):
        if isinstance(inner, dict) and inner:
            return cls(**inner)
        return cls
    obj = cls.from_config(inner) if not _wants_custom(cls) else cls.from_config(
        inner, custom_objects=custom_objects)
    build = config.get("build_config")
    if build and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(build)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(obj, "compile_from_config"):
        obj.compile_from_config(compile_config)
    return obj


def _wants_custom(cls):
    import inspect

    try:
        return "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        return False


def to_snake_case(name):
    """``Conv2D`` -> ``conv2d``, ``MaxPooling2D`` -> ``max_pooling2d`` (Keras's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


def to_camel_case(name):
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))
