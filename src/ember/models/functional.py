"""Functional: a model defined by a graph of layer calls from ``keras.Input`` tensors."""

from ember import registry
from ember.layers.core.input_layer import InputLayer
from ember.layers.node import KerasTensor, flatten, map_structure
from ember.models.model import Model


def _topological_nodes(outputs):
    """Every node that ``outputs`` depend on, parents before children (iterative DFS)."""
    order, done = [], set()
    stack = [(t._keras_history[0]._inbound_nodes[t._keras_history[1]], False)
             for t in reversed(flatten(outputs))]
    visiting = set()
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            visiting.discard(id(node))
            done.add(id(node))
            order.append(node)
            continue
        if id(node) in visiting:
            continue
        visiting.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parent_nodes):
            if id(parent) not in done:
                stack.append((parent, False))
    return order


def _layers_by_depth(nodes, outputs):
    """Layers ordered as Keras orders them: by decreasing depth (distance from the outputs),
    ties in traversal order, inputs first."""
    depth = {}
    for node in reversed(nodes):  # children before parents
        d = depth.setdefault(id(node), 0)
        for parent in node.parent_nodes:
            depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    top = max(depth.values(), default=0) + 1
    layer_depth, first_seen, layers = {}, {}, []
    for i, node in enumerate(nodes):
        layer = node.layer
        d = top if isinstance(layer, InputLayer) else depth[id(node)]
        if id(layer) not in first_seen:
            first_seen[id(layer)] = i
            layers.append(layer)
        layer_depth[id(layer)] = max(layer_depth.get(id(layer), -1), d)
    return sorted(layers, key=lambda l: (-layer_depth[id(l)], first_seen[id(l)]))


@registry.register("model", name="Functional")
class Functional(Model):
    """``keras.Model(inputs, outputs)``: replays the recorded layer calls in order."""

    _keras_module = "keras.src.models.functional"
    _keras_registered_name = "Functional"

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        for t in flatten(inputs):
            if not isinstance(t, KerasTensor) or t._keras_history is None:
                raise ValueError(
                    "Model(inputs, outputs): every input must be a tensor from keras.Input(). "
                    f"Received: {t!r}"
                )
        for t in flatten(outputs):
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    "Model(inputs, outputs): every output must be a symbolic tensor computed "
                    f"from the inputs. Received: {t!r}"
                )
        if isinstance(inputs, dict):
            inputs = dict(inputs)
        elif isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not isinstance(
                inputs, dict):
            inputs = list(inputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = flatten(inputs)
        self.outputs = flatten(outputs)
        self._nodes = _topological_nodes(outputs)
        input_ids = {id(t) for t in self.inputs}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) and id(node.outputs) not in input_ids:
                raise ValueError(
                    f"Model(inputs, outputs): the outputs depend on input '{node.layer.name}', "
                    "which is not among the model's inputs."
                )
        self._layers_list = _layers_by_depth(self._nodes, self.outputs)
        layers = self._layers_list
        for layer in layers:
            if not any(layer is l for l in self._layers):
                self._layers.append(layer)
        self.built = True
        self._build_shapes = None

    @property
    def layers(self):
        return list(self._layers_list)

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self):
        return [t._keras_history[0].name for t in self.outputs]

    def _standardize_inputs(self, inputs):
        """Match the data to the model's Input tensors: by position, or by name for a dict."""
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                missing = [k for k in self._inputs_struct if k not in inputs]
                if missing:
                    raise ValueError(
                        f"Model '{self.name}' expects inputs {list(self._inputs_struct)}; "
                        f"missing {missing}"
                    )
                flat = [inputs[k] for k in self._inputs_struct]
            else:
                names = self.input_names
                missing = [n for n in names if n not in inputs]
                if missing:
                    raise ValueError(
                        f"Model '{self.name}' expects inputs named {names}; received keys "
                        f"{sorted(inputs)}"
                    )
                flat = [inputs[n] for n in names]
        else:
            flat = flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self.inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self.inputs)} input(s), but it received "
                f"{len(flat)} input tensors."
            )
        for i, (x, spec) in enumerate(zip(flat, self.inputs)):
            shape = tuple(getattr(x, "shape", ()))
            want = spec.shape
            if len(shape) != len(want) or any(
                    w is not None and g is not None and w != g for w, g in zip(want, shape)):
                raise ValueError(
                    f"Input {i} of model '{self.name}' is incompatible: expected shape "
                    f"{_fmt(want)}, but received input with shape {_fmt(shape)}"
                )
        return flat

    def call(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        values = {}
        for spec, x in zip(self.inputs, flat):
            layer = spec._keras_history[0]
            values[id(spec)] = layer._convert_inputs(x)
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_args)
            kwargs = map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_kwargs)
            kwargs = dict(kwargs)
            if "training" in kwargs and kwargs["training"] is None or "training" not in kwargs:
                kwargs["training"] = training
            out = node.layer(*args, **kwargs)
            for spec, value in zip(flatten(node.outputs), flatten(out)):
                values[id(spec)] = value
        return map_structure(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_spec(self, inputs, *args, **kwargs):
        # Calling a Functional model on symbolic inputs: replay the graph symbolically.
        flat = flatten(inputs)
        values = {id(spec): x for spec, x in zip(self.inputs, flat)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            a = map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_args)
            kw = map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_kwargs)
            out = node.layer.compute_output_spec(*a, **kw)
            for spec, value in zip(flatten(node.outputs), flatten(out)):
                values[id(spec)] = value
        return map_structure(
            lambda t: KerasTensor(values[id(t)].shape, values[id(t)].dtype),
            self._outputs_struct)

    def get_config(self):
        """Keras's Functional config: layers with their call records, and the input and
        output tensors as ``[layer_name, node_index, tensor_index]``."""
        from ember.saving import model_config

        return model_config.functional_get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ember.saving import model_config

        return model_config.functional_from_config(cls, config, custom_objects)

    def get_build_config(self):
        return {"input_shape": None}

    def _summary_rows(self):
        rows = []
        for layer in self.layers:
            node = layer._inbound_nodes[0] if layer._inbound_nodes else None
            shape = _shape_of_outputs(node.outputs) if node is not None else "?"
            parents = []
            for n in (l for l in self._nodes if l.layer is layer):
                for t in n.input_tensors:
                    owner, index, ti = t._keras_history
                    parents.append(f"{owner.name}[{index}][{ti}]")
            rows.append((layer.name, layer.__class__.__name__, shape,
                         layer.count_params() if layer.built else 0, parents))
        return rows


def _shape_of_outputs(outputs):
    shapes = [t.shape for t in flatten(outputs)]
    return shapes[0] if len(shapes) == 1 else shapes


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")

