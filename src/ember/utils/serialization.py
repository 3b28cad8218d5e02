"""``keras.utils`` helpers around configs and graphs: :class:`Config`, :func:`get_source_inputs`,
and Keras 2's object format (``keras.utils.legacy``).

Keras 2 serialized an object as ``{"class_name", "config"}`` only (no ``module`` or
``registered_name``), with nested objects in the same form. :func:`legacy_serialize` writes that
form and :func:`legacy_deserialize` reads it; as everywhere in ember, reading looks names up
only in the tables given to it (``module_objects``, ``custom_objects``, the custom object scope
and the user registrations) and never imports code named by the config.
"""

import json

from ember import registry


class Config:
    """A dict whose keys are also attributes (``config.lr`` is ``config["lr"]``) that can be
    frozen against changes.

    Example::

        config = Config(learning_rate=0.1, layers=4)
        config.layers = 8
        config.freeze()  # now any change raises a ValueError
    """

    __frozen = False

    def __init__(self, **kwargs):
        self._config = kwargs
        self.__frozen = False

    @property
    def frozen(self):
        """Whether the config is frozen (changes raise a ValueError)."""
        return self.__frozen

    def freeze(self):
        self.__frozen = True

    def unfreeze(self):
        self.__frozen = False

    def _raise_if_frozen(self):
        if self.__frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        return self._config.copy()

    def to_json(self):
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def __setattr__(self, name, value):
        if name == "_config" or name.startswith("_Config__"):
            object.__setattr__(self, name, value)
            return
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        if name == "_config" or name.startswith("_Config__"):
            raise AttributeError(name)  # not set yet (during unpickling, before __init__)
        try:
            return self._config[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: '{name}'.") from None

    def __delattr__(self, name):
        self._raise_if_frozen()
        try:
            del self._config[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: '{name}'.") from None

    def __setitem__(self, key, value):
        self._raise_if_frozen()
        self._config[key] = value

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(self._config)

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


def get_source_inputs(tensor):
    """The ``Input`` tensors that the symbolic ``tensor`` was computed from (in the order met
    walking the graph back); a value that is not symbolic comes back as it is."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return tensor
    layer, node_index, _ = history
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return [tensor]
    node = nodes[node_index]
    if not node.input_tensors:  # an InputLayer's node: the tensor is a source
        return list(node.output_tensors)
    sources = []
    for x in node.input_tensors:
        for source in get_source_inputs(x):
            if all(source is not s for s in sources):
                sources.append(source)
    return sources


# -- Keras 2's format ----------------------------------------------------------------------------
def legacy_serialize(instance):
    """``{"class_name", "config"}`` for an object with ``get_config`` (nested objects likewise,
    marked ``__passive_serialization__``), a function's registered name, or None."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                serialized = legacy_serialize(item)
            except ValueError:
                config[key] = item  # a plain value (number, list, dict)
                continue
            if isinstance(serialized, dict) and not isinstance(item, dict):
                serialized["__passive_serialization__"] = True
            config[key] = serialized
        return {"class_name": registry.get_registered_name(type(instance)), "config": config}
    if hasattr(instance, "__name__"):
        return registry.get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance!r} because it doesn't implement `get_config()`.")


def _lookup(name, module_objects, custom_objects):
    from ember.saving import get_registered_object

    if custom_objects and name in custom_objects:  # Keras 2 looked here first
        return custom_objects[name]
    return get_registered_object(name, module_objects=module_objects)


def legacy_deserialize(identifier, module_objects=None, custom_objects=None,
                       printable_module_name="object"):
    """The object that ``identifier`` (Keras 2's ``{"class_name", "config"}`` or a name) stands
    for, looked up in ``custom_objects``, the custom object scope, the user registrations and
    ``module_objects`` (in that order). Nested configs marked ``__passive_serialization__`` are
    rebuilt the same way."""
    from ember.saving.serialization_lib import CustomObjectScope

    if identifier is None:
        return None
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            raise ValueError(
                f"Unknown {printable_module_name}: '{identifier}'. Please ensure you are using "
                "a `keras.utils.custom_object_scope` and that this object is included in the "
                "scope."
            )
        return obj
    if not isinstance(identifier, dict):
        raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r}")
    if "class_name" not in identifier or "config" not in identifier:
        raise ValueError(f"Improper config format for {identifier}. Expecting python dict "
                         "contains `class_name` and `config` as keys")
    class_name = identifier["class_name"]
    cls = _lookup(class_name, module_objects, custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown {printable_module_name}: '{class_name}'. Please ensure you are using a "
            "`keras.utils.custom_object_scope` and that this object is included in the scope."
        )
    config = identifier["config"]
    if isinstance(config, dict):
        config = {key: legacy_deserialize(item, module_objects, custom_objects,
                                          printable_module_name)
                  if isinstance(item, dict) and item.get("__passive_serialization__") else item
                  for key, item in config.items()}
    with CustomObjectScope(custom_objects or {}):
        if hasattr(cls, "from_config"):
            return cls.from_config(config)
        return cls(**config)
