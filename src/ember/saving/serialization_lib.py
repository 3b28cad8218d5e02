"""Object envelopes: ``serialize_keras_object`` / ``deserialize_keras_object``.

A serialized object is Keras's envelope ``{"module", "class_name", "config",
"registered_name"}`` (plus ``build_config`` / ``compile_config`` on layers and models). Reading
one never imports a module or runs code named by the file: a class name resolves only to a
class in ember's registry, to a class the user registered with
:func:`register_keras_serializable`, or to one passed in ``custom_objects``. The one exception
is a Python lambda stored as bytecode (``__lambda__``), which is refused unless the caller
passes ``safe_mode=False`` and so declares that it trusts the file's author. Writing a lambda
(a ``Lambda`` layer's function) stores its bytecode as Keras does, so that Keras reads the file.

The reader is tolerant as the spec asks: configuration keys that the ember class does not take
(keys added by newer Keras releases, such as ``quantization_config`` or an initializer's
``input_axes``) are dropped, with a warning when their value would have mattered.
"""

import base64
import binascii
import contextlib
import inspect
import marshal
import threading
import types
import warnings

from ember import registry
from ember.backend import np

_state = threading.local()

# Keras keys that ember drops without a warning whatever their value: they only matter for
# features ember does not have (masking details, synchronized batch norm, quantization, ...).
_HARMLESS_KEYS = {
    "quantization_config", "optional", "zero_output_for_mask", "input_axes",
    "output_axes", "synchronized", "renorm_momentum", "renorm_clipping", "lora_rank",
    "lora_alpha", "autocast", "decay",
}
# Envelopes with a special meaning (no class behind them).
_SPECIAL = {"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__slice__",
            "__ellipsis__", "__lambda__", "__typespec__", "function"}


class UnsafeObjectError(ValueError):
    """The file holds Python code (a lambda) and safe mode is on."""


# -- scopes --------------------------------------------------------------------------------------
_unsafe_everywhere = False  # set by keras.config.enable_unsafe_deserialization()


def allow_unsafe_deserialization():
    """Turn safe mode off process-wide: it then wins over every ``safe_mode`` argument, as
    Keras's ``enable_unsafe_deserialization`` does."""
    global _unsafe_everywhere
    _unsafe_everywhere = True


def in_safe_mode():
    """Whether the current load refuses code stored in files (the default)."""
    if _unsafe_everywhere:
        return False
    return getattr(_state, "safe_mode", True)


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    previous = getattr(_state, "safe_mode", True)
    _state.safe_mode = True if safe_mode is None else bool(safe_mode)
    try:
        yield
    finally:
        _state.safe_mode = previous


def get_custom_objects():
    """The global table of user-registered objects (``register_keras_serializable`` fills it);
    as in Keras, adding ``table["Name"] = cls`` makes ``Name`` loadable."""
    return registry.custom_objects()


class CustomObjectScope:
    """Within the ``with`` block, the objects of the given dicts resolve by name when loading.

    Example::

        with CustomObjectScope({"MyLayer": MyLayer}):
            model = ember.saving.load_model("m.keras")
    """

    def __init__(self, *custom_objects):
        # Keras 3 takes one dict; several (merged, later ones win) are accepted as Keras 2 did
        self.custom_objects = {}
        for scope in custom_objects:
            if scope is not None and not isinstance(scope, dict):
                raise TypeError("CustomObjectScope: expected dicts of {name: object}. "
                                f"Received: {scope!r} (of type {type(scope).__name__})")
            self.custom_objects.update(scope or {})
        self._restore = None

    def __enter__(self):
        table = get_custom_objects()
        added = {key: table.get(key, _MISSING) for key in self.custom_objects}
        table.update(self.custom_objects)
        stack = getattr(_state, "custom", [])
        _state.custom = stack + [dict(self.custom_objects)]
        self._restore = (stack, added)
        return self

    def __exit__(self, *exc):
        stack, added = self._restore
        _state.custom = stack
        table = get_custom_objects()
        for key, old in added.items():
            if old is _MISSING:
                table.pop(key, None)
            else:
                table[key] = old


custom_object_scope = CustomObjectScope  # one object under both names, as in Keras
_MISSING = object()


def _scoped_custom_objects(custom_objects):
    merged = {}
    for scope in getattr(_state, "custom", []):
        merged.update(scope)
    merged.update(custom_objects or {})
    return merged


# -- serialization -------------------------------------------------------------------------------
def serialize_keras_object(obj):
    """Keras's envelope for ``obj`` (strings, numbers and None come back as they are)."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("latin-1")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {
            "start": serialize_keras_object(obj.start), "stop": serialize_keras_object(obj.stop),
            "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if _is_python_lambda(obj):
        warnings.warn(
            "Serializing a Python lambda: it is stored as bytecode, which only loads in the same "
            "Python version and only with safe_mode=False. Prefer a named function registered "
            "with ember.saving.register_keras_serializable.", stacklevel=2)
        code = dump_lambda(obj)
        return {"class_name": "__lambda__",
                "config": {"value": [code["code"], code["defaults"], code["closure"]]}}
    return registry.serialize(obj)


def _is_python_lambda(obj):
    return isinstance(obj, types.LambdaType) and obj.__name__ == "<lambda>"


def dump_lambda(fn):
    """What Keras stores for a Python function's code: its marshalled bytecode in base64 (MIME
    lines, as Keras writes them), its default values and the values its closure captured."""
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
    return {"code": code, "defaults": fn.__defaults__, "closure": closure}


def serialize_lambda_function(fn):
    """A ``Lambda`` layer's function (or output_shape / mask function) as Keras writes it: a
    Python lambda as its bytecode (``__lambda__``), a named function by its (registered)
    name, to be found among registered functions or in ``custom_objects`` on load."""
    if _is_python_lambda(fn):
        return {"class_name": "__lambda__", "config": dump_lambda(fn)}
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
        # Keras writes any function under the module "builtins" with its registered name
        return {"module": "builtins", "class_name": "function",
                "config": registry.get_registered_name(fn), "registered_name": "function"}
    return serialize_keras_object(fn)


# -- deserialization -----------------------------------------------------------------------------
def deserialize_keras_object(config, custom_objects=None, safe_mode=True, kind=None):
    """Rebuild an object from its envelope (lists and plain dicts are rebuilt item by item).

    Args:
        config: an envelope, a list or dict of them, or a plain value.
        custom_objects: ``{name: class or function}`` for classes that are not registered.
        safe_mode: refuse Python lambdas stored in the file (the default). ``False`` runs their
            bytecode: only for files whose author you trust.
        kind: the registry kind expected (``"layer"``, ``"optimizer"``, ...), a hint for names
            that exist in several kinds.

    Raises:
        ValueError: an unknown class (named in the message), a lambda in safe mode, or a config
            its class rejects.
    """
    with safe_mode_scope(safe_mode if safe_mode is not None else in_safe_mode()):
        return _deserialize(config, _scoped_custom_objects(custom_objects), kind)


def _deserialize(config, custom_objects, kind):
    if config is None or isinstance(config, (bool, int, float, np.ndarray, np.generic)):
        return config  # plain values, or arrays already rebuilt from their envelope
    if isinstance(config, str):
        if kind is None:
            return config
        return registry.get(kind, config, custom_objects)
    if isinstance(config, list):
        return [_deserialize(c, custom_objects, kind) for c in config]
    if not isinstance(config, dict):
        raise ValueError(f"Cannot deserialize {type(config).__name__} value {config!r}.")
    if "class_name" not in config or "config" not in config:
        return {k: _deserialize(v, custom_objects, None) for k, v in config.items()}
    class_name = config["class_name"]
    inner = config["config"]
    if not isinstance(class_name, str):
        raise ValueError(f"Invalid class_name {class_name!r} in the config.")
    if class_name in _SPECIAL:
        return _deserialize_special(class_name, inner, config, custom_objects, kind)
    cls = resolve_class(config, custom_objects, kind)
    if cls is None:
        raise registry.UnknownObjectError(_unknown_message(config, kind))
    return instantiate(cls, config, custom_objects)


def _unknown_message(config, kind):
    class_name = config.get("class_name")
    module = config.get("module")
    registered = config.get("registered_name")
    where = f" (module {module!r}" + (f", registered as {registered!r}" if registered else "") + ")"
    return (
        f"Unknown {kind or 'object'} class {class_name!r}{where if module else ''} in the "
        "file. ember only builds classes it knows and never imports code named by a file: "
        f"register the class with ember.saving.register_keras_serializable, or pass it as "
        f"custom_objects={{{class_name!r}: {class_name}}}."
    )


def _module_kinds(module):
    """Registry kinds suggested by an envelope's ``module`` (``keras.layers`` -> layer)."""
    if not module:
        return []
    out = [k for k, m in registry.KERAS_MODULES.items() if m == module]
    if module.startswith("keras.src."):
        part = module.split(".")[2]
        out += [k for k, m in registry.KERAS_MODULES.items() if m.split(".")[-1] == part]
        if part == "models":
            out.append("model")
    return out


def resolve_class(config, custom_objects=None, kind=None):
    """The class an envelope names, or None. Looks only in ``custom_objects``, the user
    registrations and ember's registry; never imports anything."""
    class_name = config.get("class_name")
    registered = config.get("registered_name")
    custom_objects = custom_objects or {}
    for key in (registered, class_name):
        if key and key in custom_objects:
            return custom_objects[key]
    table = get_custom_objects()
    if registered and registered in table:
        return table[registered]
    if not isinstance(class_name, str):
        return None
    kinds = []
    if kind:
        kinds.append(kind)
    kinds += _module_kinds(config.get("module"))
    kinds += [k for k in registry.KERAS_MODULES if k not in kinds]
    for k in kinds:
        obj = registry.get_registered_object(class_name, None, k)
        if obj is not None and isinstance(obj, type):
            return obj
    if class_name in table:
        return table[class_name]
    return None


def instantiate(cls, config, custom_objects=None, build=True):
    """``cls.from_config`` on a tolerant copy of the envelope's config, then
    ``build_from_config`` and ``compile_from_config`` as Keras does."""
    inner = config.get("config")
    name = inner.get("name") if isinstance(inner, dict) else None
    what = f"{config.get('class_name')}" + (f" '{name}'" if name else "")
    if isinstance(inner, dict):
        if _is_lambda_layer(cls):
            # before the tolerant reader, which would drop Keras 2's `function_type` and friends
            inner = lambda_layer_config(inner, name, custom_objects)
        inner = tolerant_config(cls, inner, what, custom_objects)
    if not hasattr(cls, "from_config"):
        try:
            return cls(**inner) if isinstance(inner, dict) else cls
        except (TypeError, ValueError) as e:
            raise ValueError(f"Could not build {what} from its config: {e}") from e
    try:
        if _wants_custom(cls.from_config):
            obj = cls.from_config(inner, custom_objects=custom_objects)
        else:
            obj = cls.from_config(inner)
    except (TypeError, ValueError, KeyError) as e:
        if isinstance(e, (registry.UnknownObjectError, UnsafeObjectError)):
            raise
        raise ValueError(f"Could not build {what} from its config: {e}") from e
    if not build:
        return obj
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        try:
            obj.build_from_config(build_config)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Could not build {what} from its build_config "
                             f"{build_config}: {e}") from e
    compile_config = config.get("compile_config")
    if compile_config and hasattr(obj, "compile_from_config"):
        obj.compile_from_config(compile_config)
    return obj


def _wants_custom(fn):
    try:
        return "custom_objects" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


# -- the tolerant reader -------------------------------------------------------------------------
def accepted_arguments(cls):
    """The keyword arguments ``cls(...)`` takes, following ``**kwargs`` up the class chain;
    None when unbounded (a class whose chain ends in ``**kwargs`` taken by ``object``)."""
    from ember.layers import layer as layer_module

    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        if klass is object:
            return names
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return None
        names |= {n for n, p in params.items()
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "self"}
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            return names
        if klass is layer_module.Layer:
            return names | set(layer_module._ALLOWED_KWARGS)
    return names


def _is_ember_class(cls):
    return isinstance(cls, type) and (cls.__module__ or "").startswith("ember.")


def tolerant_config(cls, config, what="object", custom_objects=None):
    """A copy of ``config`` without the keys ``cls`` does not take (ember classes only), with
    nested envelopes cleaned the same way; a warning names dropped keys that had a value."""
    if not _is_ember_class(cls) or _is_model_class(cls):
        return dict(config)  # models read their own configs (their layers come back here)
    config = {k: _tolerant_value(v, custom_objects) for k, v in config.items()}
    accepted = accepted_arguments(cls)
    if accepted is None:
        return config
    for key in [k for k in config if k not in accepted]:
        value = config.pop(key)
        if key in _HARMLESS_KEYS or value in (None, False, [], {}, ""):
            continue
        warnings.warn(
            f"{what}: ignoring the config entry {key}={value!r}, which ember's "
            f"{cls.__name__} does not support.", stacklevel=3)
    if isinstance(config.get("dtype"), dict):
        policy = config["dtype"]
        if policy.get("class_name") in ("DTypePolicy", "Policy", "FloatDTypePolicy"):
            config["dtype"] = (policy.get("config") or {}).get("name")
    return config


def _is_model_class(cls):
    from ember.models.model import Model

    return issubclass(cls, Model)


def _tolerant_value(value, custom_objects):
    if isinstance(value, list):
        return [_tolerant_value(v, custom_objects) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") == "function" and "config" in value:
        return resolve_function(value, custom_objects)  # layers take the function itself
    if "class_name" in value and "config" in value and isinstance(value["config"], dict) \
            and value["class_name"] not in _SPECIAL:
        cls = resolve_class(value, custom_objects)
        if cls is not None:
            name = value["config"].get("name")
            what = value["class_name"] + (f" '{name}'" if name else "")
            out = dict(value)
            out["config"] = tolerant_config(cls, value["config"], what, custom_objects)
            return out
        return value
    return {k: _tolerant_value(v, custom_objects) for k, v in value.items()}


# -- special envelopes ---------------------------------------------------------------------------
def _deserialize_special(class_name, inner, config, custom_objects, kind):
    if class_name == "__keras_tensor__":
        from ember.layers.node import KerasTensor

        t = KerasTensor(inner["shape"], inner.get("dtype", "float32"))
        t._pre_serialization_keras_history = inner.get("keras_history")
        return t
    if class_name in ("__tensor__", "__numpy__"):
        dtype = np.dtype(inner.get("dtype") or "float32")
        if dtype.kind not in "biufcU":
            raise ValueError(f"Refusing a {class_name} value of dtype {dtype}: only numbers, "
                             "booleans and strings are read from files.")
        return np.asarray(inner["value"], dtype=dtype)
    if class_name == "__bytes__":
        return str(inner["value"]).encode("latin-1")
    if class_name == "__slice__":
        return slice(_deserialize(inner.get("start"), custom_objects, None),
                     _deserialize(inner.get("stop"), custom_objects, None),
                     _deserialize(inner.get("step"), custom_objects, None))
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__lambda__":
        return load_lambda(inner, "a Python lambda in the config")
    if class_name == "function":
        return resolve_function(config, custom_objects, kind)
    raise ValueError(f"Cannot deserialize the special object {class_name!r}.")


def resolve_function(config, custom_objects=None, kind=None):
    """A registered (or custom_objects) function named by a ``"function"`` envelope or a
    name; never imports the module the file names."""
    if isinstance(config, str):
        names = [config]
    else:
        inner = config.get("config")
        names = [config.get("registered_name"), inner if isinstance(inner, str) else None]
    custom_objects = custom_objects or {}
    for name in names:
        if not name:
            continue
        if name in custom_objects:
            return custom_objects[name]
        obj = registry.get_registered_object(name, None, kind)
        if obj is None and kind is None:
            obj = registry.get_registered_object(name)
        if obj is not None:
            return obj
    shown = names[-1] or names[0] or config  # Keras writes registered_name "function"
    raise registry.UnknownObjectError(
        f"Unknown function {shown!r} in the file. ember never imports code named by a file: "
        "register the function with ember.saving.register_keras_serializable, or pass it as "
        f"custom_objects={{{shown!r}: function}}."
    )


def load_lambda(inner, what):
    """A function rebuilt from the bytecode Keras stores for a lambda; only with
    ``safe_mode=False``, since it runs code taken from the file."""
    if in_safe_mode():
        raise UnsafeObjectError(
            f"Refusing to load {what}: it is Python bytecode stored in the file, and loading "
            "it would run code written by whoever made the file. If you trust the file's "
            "author completely, load it with safe_mode=False."
        )
    if isinstance(inner, dict) and "value" in inner:  # serialize_keras_object's form
        inner = inner["value"]
    if isinstance(inner, (list, tuple)):
        code, defaults, closure = (list(inner) + [None, None])[:3]
    else:
        code, defaults, closure = inner.get("code"), inner.get("defaults"), inner.get("closure")
    warnings.warn(
        f"safe_mode=False: loading {what} runs Python bytecode from the file. This trusts the "
        "file's author with arbitrary code execution on this machine.", stacklevel=4)
    try:
        raw = base64.b64decode(code.encode("ascii"))
        function_code = marshal.loads(raw)
    except (binascii.Error, ValueError, EOFError, TypeError, AttributeError) as e:
        raise ValueError(
            f"Could not load {what}: its bytecode does not load in this Python version "
            f"({e}). Bytecode only loads in the Python version that wrote it."
        ) from e
    if not isinstance(function_code, types.CodeType):
        raise ValueError(f"Could not load {what}: the stored value is not Python code.")
    cells = None
    if closure is not None:
        cells = tuple(types.CellType(v) for v in closure)
    from ember import ops

    globs = {"__builtins__": __builtins__, "ops": ops, "np": np}
    return types.FunctionType(function_code, globs, name=function_code.co_name,
                              argdefs=tuple(defaults) if defaults else None, closure=cells)


def _is_lambda_layer(cls):
    from ember.layers.core.basic import Lambda

    return isinstance(cls, type) and issubclass(cls, Lambda)


def lambda_layer_config(config, name, custom_objects=None):
    """A Lambda layer's config with its function (and output_shape, mask) resolved: bytecode
    only outside safe mode, named functions only from registrations or ``custom_objects``.
    Reads Keras 3 configs and Keras 2's (bytecode as a ``[code, defaults, closure]`` list, a
    function as its name); values already resolved pass through, so it may run twice."""
    config = dict(config)
    types_ = {"function": config.pop("function_type", None),  # Keras 2
              "output_shape": config.pop("output_shape_type", None)}
    config.pop("module", None)
    config.pop("output_shape_module", None)
    for key in ("function", "output_shape", "mask"):
        value = config.get(key)
        what = (f"the function of Lambda layer '{name}'" if key == "function"
                else f"the {key} of Lambda layer '{name}'")
        if isinstance(value, dict) and value.get("class_name") == "__lambda__":
            config[key] = load_lambda(value.get("config", {}), what)
        elif isinstance(value, dict) and value.get("class_name") == "function":
            config[key] = resolve_function(value, custom_objects)
        elif _is_keras2_bytecode(value, key, types_.get(key)):
            config[key] = load_lambda(value, what)
        elif isinstance(value, str) and (key == "function" or types_.get(key) == "function"):
            config[key] = resolve_function(value, custom_objects)
    if config.get("arguments"):
        config["arguments"] = _deserialize(config["arguments"], custom_objects, None)
    return config


def _is_keras2_bytecode(value, key, declared_type):
    """Keras 2 wrote a lambda as ``[code, defaults, closure]`` (``*_type: "lambda"``); a raw
    output_shape is a list of ints, never starting with a (base64) string."""
    if not isinstance(value, (list, tuple)) or not value:
        return False
    if declared_type == "lambda" or key == "function":
        return True
    return isinstance(value[0], str) and len(value) <= 3
