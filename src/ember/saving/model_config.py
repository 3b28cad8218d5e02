"""Sequential and Functional configs in Keras 3's format (spec §3.3, §3.4).

Sequential: ``{"name", "trainable", "dtype", "layers": [InputLayer, ...], "build_input_shape"}``.
Functional: ``{"name", "trainable", "layers": [envelope + "name" + "inbound_nodes"],
"input_layers", "output_layers"}``, where every call argument that is a symbolic tensor is a
``__keras_tensor__`` whose ``keras_history`` is ``[layer_name, node_index, tensor_index]``.
Node indices count only the calls that belong to the model; a nested Functional model counts
one extra node in ``input_layers``/``output_layers``, the creation node Keras gives it.
"""

from ember import dtype_policies
from ember.backend import np
from ember.layers.node import KerasTensor, flatten, map_structure
from ember.saving import serialization_lib


def serialize_layer(layer):
    """A layer's envelope as it appears inside a model config.

    ``batch_input_shape`` (ember keeps it on a layer given ``input_shape=``) is left out: Keras 3
    layers do not take it, and the model's InputLayer carries the shape.
    """
    entry = serialization_lib.serialize_keras_object(layer)
    if isinstance(entry.get("config"), dict):
        entry["config"].pop("batch_input_shape", None)
    return entry


def _deserialize_layer(config, custom_objects):
    layer = serialization_lib.deserialize_keras_object(
        config, custom_objects=custom_objects, safe_mode=None, kind="layer")
    from ember.layers.layer import Layer

    if not isinstance(layer, Layer):
        raise ValueError(
            f"The model config lists {config.get('class_name')!r}, which is not a layer.")
    return layer


# -- Sequential ----------------------------------------------------------------------------------
def sequential_get_config(model):
    layers = []
    if model._input_layer is not None:
        layers.append(serialize_layer(model._input_layer))
    layers.extend(serialize_layer(layer) for layer in model._stack)
    config = {"name": model.name, "trainable": model.trainable,
              "dtype": dtype_policies.serialize(model.dtype_policy), "layers": layers}
    if model._input_layer is not None:
        config["build_input_shape"] = list(model._input_layer.batch_shape)
    return config


def sequential_from_config(cls, config, custom_objects=None):
    if isinstance(config, list):  # Keras 2: the config is the list of layers
        config = {"layers": config}
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for layer_config in config.get("layers", []):
        model.add(_deserialize_layer(layer_config, custom_objects), rebuild=False)
    shape = config.get("build_input_shape")
    if model._input_layer is None and isinstance(shape, (list, tuple)) and shape:
        model.build(tuple(shape))
    else:
        model._maybe_build_from_input()
    return model


# -- Functional ----------------------------------------------------------------------------------
def _is_functional(layer):
    from ember.models.functional import Functional

    return isinstance(layer, Functional)


def functional_get_config(model):
    own = {id(node) for node in model._nodes}
    reindex = {}  # (id(layer), original node index) -> index among the model's nodes
    for layer in model.layers:
        kept = 1 if _is_functional(layer) else 0
        for i, node in enumerate(layer._inbound_nodes):
            if id(node) in own:
                reindex[(id(layer), i)] = kept
                kept += 1

    def history(t, for_io):
        layer, index, tensor_index = t._keras_history
        key = (id(layer), index)
        if key not in reindex:
            raise ValueError(
                f"Model '{model.name}': tensor {t.name!r} comes from a call of layer "
                f"'{layer.name}' that is not part of this model's graph.")
        if for_io:
            return [layer.name, reindex[key], tensor_index]
        # inside call records, Keras counts the layer's earlier calls that are not in the model
        skipped = sum(1 for n in layer._inbound_nodes[:index] if id(n) not in own)
        return [layer.name, index - skipped, tensor_index]

    def encode(value):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__", "config": {
                "shape": list(value.shape), "dtype": value.dtype,
                "keras_history": history(value, False)}}
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = np.asarray(value.numpy())
        return serialization_lib.serialize_keras_object(value)

    layers = []
    for layer in model.layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": encode(list(node.call_args)), "kwargs": encode(dict(node.call_kwargs))}
            for node in layer._inbound_nodes if id(node) in own and node.input_tensors]
        layers.append(entry)
    io = lambda struct: map_structure(lambda t: history(t, True), struct)  # noqa: E731
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": io(model._inputs_struct), "output_layers": io(model._outputs_struct)}


class _NotReady(Exception):
    """A call record refers to a layer call that has not been replayed yet."""


def _tensor_at(created, layer_name, node_index, tensor_index, for_io=False):
    layer = created.get(layer_name)
    if layer is None:
        raise ValueError(f"The model config refers to an unknown layer {layer_name!r}.")
    if for_io and _is_functional(layer):
        node_index -= 1  # Keras counts a nested Functional's creation node
    if node_index >= len(layer._inbound_nodes):
        raise _NotReady
    outputs = flatten(layer._inbound_nodes[node_index].outputs)
    if not 0 <= tensor_index < len(outputs):
        raise ValueError(f"The model config refers to output {tensor_index} of layer "
                         f"{layer_name!r}, which has {len(outputs)} output(s).")
    return outputs[tensor_index]


def _node_call(node_data, created, custom_objects):
    """The (args, kwargs) of one recorded call, or _NotReady."""
    if isinstance(node_data, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
        tensors, kwargs = [], {}
        for entry in node_data:
            name, index, tensor_index = entry[0], entry[1], entry[2]
            if len(entry) > 3 and entry[3]:
                kwargs = entry[3]
            layer = created.get(name)
            if layer is not None and _is_functional(layer) and index > 0:
                index -= 1  # tf.keras counted the nested model's creation node
            tensors.append(_tensor_at(created, name, index, tensor_index))
        return [tensors[0] if len(tensors) == 1 else tensors], kwargs
    if not isinstance(node_data, dict):
        raise ValueError(f"Invalid call record in the model config: {node_data!r}")
    args = serialization_lib._deserialize(node_data.get("args", []), custom_objects, None)
    kwargs = serialization_lib._deserialize(node_data.get("kwargs", {}), custom_objects, None)

    def revive(x):
        if isinstance(x, KerasTensor):
            history = getattr(x, "_pre_serialization_keras_history", None)
            if history is not None:
                return _tensor_at(created, *history)
        return x

    return map_structure(revive, args), map_structure(revive, kwargs)


def _is_triple(value):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and isinstance(value[1], int))


def _io_tensors(struct, created):
    if _is_triple(struct):
        try:
            return _tensor_at(created, *struct, for_io=True)
        except _NotReady:
            raise ValueError(f"The model config names an input/output {struct} that no layer "
                             "call produces.") from None
    if isinstance(struct, dict):
        return {k: _io_tensors(v, created) for k, v in struct.items()}
    if isinstance(struct, (list, tuple)):
        return [_io_tensors(v, created) for v in struct]
    raise ValueError(f"Invalid input_layers/output_layers entry in the model config: {struct!r}")


def functional_from_config(cls, config, custom_objects=None, make_layer=None):
    """Rebuild the graph: create every layer, then replay the recorded calls in order, each as
    soon as its inputs exist (a shared layer may be listed before its inputs)."""
    custom_objects = serialization_lib._scoped_custom_objects(custom_objects)
    make_layer = make_layer or (lambda data: _deserialize_layer(data, custom_objects))
    created, pending, order = {}, {}, []
    for layer_data in config.get("layers", []):
        data = dict(layer_data)
        name = data.pop("name", None) or (data.get("config") or {}).get("name")
        nodes = data.pop("inbound_nodes", [])
        layer = make_layer(data)
        created[name] = layer
        order.append(name)
        pending[name] = list(nodes)
    while any(pending.values()):
        progress = False
        for name in order:
            nodes = pending[name]
            while nodes:
                try:
                    args, kwargs = _node_call(nodes[0], created, custom_objects)
                except _NotReady:
                    break
                if not args:
                    raise ValueError(f"Layer {name!r} has a call record without inputs.")
                created[name](*args, **kwargs)
                nodes.pop(0)
                progress = True
        if not progress:
            stuck = [n for n in order if pending[n]]
            raise ValueError(
                f"Cannot rebuild the model graph: the calls of layers {stuck} refer to layer "
                "calls that never happen in the config.")
    inputs = _io_tensors(config["input_layers"], created)
    outputs = _io_tensors(config["output_layers"], created)
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
               trainable=config.get("trainable", True))


# -- clone_model ---------------------------------------------------------------------------------
def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the same structure and fresh (newly initialized) weights, as
    ``keras.models.clone_model``. ``clone_function(layer)`` may return the layer to use for
    each layer (default: a copy from its config). A compiled model's clone is compiled the
    same way (same loss and metrics, a fresh optimizer), as in Keras."""
    new = _clone_structure(model, input_tensors, clone_function, call_function, recursive,
                           **kwargs)
    if getattr(model, "compiled", False):
        new.compile_from_config(model.get_compile_config())
    return new


def _clone_structure(model, input_tensors, clone_function, call_function, recursive, **kwargs):
    from ember.layers.core.input_layer import InputLayer
    from ember.models.functional import Functional
    from ember.models.sequential import Sequential

    if input_tensors is not None or call_function is not None or kwargs:
        raise ValueError("clone_model: input_tensors, call_function and other arguments are "
                         "not supported by ember; clone with the default inputs.")

    def default_clone(layer):
        if recursive and isinstance(layer, (Sequential, Functional)):
            return clone_model(layer, clone_function=clone_function, recursive=True)
        return layer.__class__.from_config(layer.get_config())

    clone = clone_function or default_clone
    if isinstance(model, Sequential):
        new = Sequential(name=model.name, trainable=model.trainable)
        if model._input_layer is not None:
            old = model._input_layer
            new.add(InputLayer(batch_shape=old.batch_shape, dtype=old.dtype, name=old.name),
                    rebuild=False)
        for layer in model.layers:
            new.add(clone(layer), rebuild=False)
        new._maybe_build_from_input()
        return new
    if isinstance(model, Functional):
        config = model.get_config()
        by_name = {layer.name: layer for layer in model.layers}

        def make_layer(data):
            original = by_name[data["config"]["name"]] if isinstance(data.get("config"), dict) \
                and data["config"].get("name") in by_name else None
            if original is None or isinstance(original, InputLayer):
                return _deserialize_layer(data, None)
            return clone(original)

        return functional_from_config(type(model), config, make_layer=make_layer)
    return model.__class__.from_config(model.get_config())
