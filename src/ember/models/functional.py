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


def _traversal_indices(outputs):
    """Layer -> the order in which a depth-first walk from the outputs first reaches it (parents
    in call-argument order), which is how Keras breaks ties between layers of equal depth."""
    indices, seen = {}, set()
    stack = [t for t in reversed(flatten(outputs))]
    while stack:
        t = stack.pop()
        layer, node_index, _ = t._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in seen:
            continue
        seen.add(id(node))
        indices.setdefault(id(layer), len(indices))
        stack.extend(reversed(node.input_tensors))
    return indices


def _layers_by_depth(nodes, inputs, outputs):
    """Layers ordered as Keras orders them: by decreasing depth (the longest distance to an
    output; a shared layer takes its deepest call), ties in traversal order. An input that no
    output uses comes last (depth 0). Also returns the number of nodes at each depth."""
    in_graph = {id(n) for n in nodes}
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(nodes):  # children before parents
        d = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = d
        layers[id(node.layer)] = node.layer
        node_depth[id(node)] = d
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(d + 1, node_depth.get(id(parent), 0))
    order = _traversal_indices(outputs)
    for t in inputs:
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            layers[id(layer)] = layer
            order[id(layer)] = -1
            node_depth[id(layer._inbound_nodes[0])] = 0
    nodes_per_depth = {}
    for d in node_depth.values():
        nodes_per_depth[d] = nodes_per_depth.get(d, 0) + 1
    ordered = sorted(layers.values(), key=lambda l: (-layer_depth[id(l)], order[id(l)]))
    return ordered, nodes_per_depth


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
        self._layers_list, self._nodes_per_depth = _layers_by_depth(
            self._nodes, self.inputs, self.outputs)
        layers = self._layers_list
        for layer in layers:
            if not any(layer is l for l in self._layers):
                self._layers.append(layer)
        self.built = True
        self._build_shapes = None

    @property
    def layers(self):
        return list(self._layers_list)

    # Keras gives a Functional model a node of its own at creation (inputs -> outputs), so its
    # `input`/`output` are those tensors even after the model is reused on other inputs
    @property
    def input(self):
        """The model's input tensor (a list when there are several)."""
        return self.inputs[0] if len(self.inputs) == 1 else list(self.inputs)

    @property
    def output(self):
        """The model's output tensor (a list when there are several)."""
        return self.outputs[0] if len(self.outputs) == 1 else list(self.outputs)

    @property
    def input_shape(self):
        """The input shape, batch axis included (a list of shapes for several inputs)."""
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        """The output shape, batch axis included (a list of shapes for several outputs)."""
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

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
                # in keras.tree's order (sorted keys), as self.inputs were flattened
                flat = flatten({k: inputs[k] for k in self._inputs_struct})
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
        # Calling a Functional model on symbolic inputs: replay the graph symbolically, masks
        # included, without recording the inner calls.
        flat = flatten(inputs)
        values = {id(spec): x for spec, x in zip(self.inputs, flat)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            a = map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_args)
            kw = map_structure(
                lambda t: values[id(t)] if isinstance(t, KerasTensor) else t, node.call_kwargs)
            out = node.layer._symbolic_outputs(a[0], tuple(a[1:]), dict(kw))
            for spec, value in zip(flatten(node.outputs), flatten(out)):
                values[id(spec)] = value

        def fresh(t):  # new tensors: an output may be one of the inputs themselves
            value = values[id(t)]
            out = KerasTensor(value.shape, value.dtype)
            out._keras_mask = getattr(value, "_keras_mask", None)
            return out

        return map_structure(fresh, self._outputs_struct)

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

    def _summary_connections(self):
        """Keras adds the "Connected to" column unless the graph is a plain chain: one node
        per depth, each with one input tensor, and no layer called twice."""
        if any(n > 1 for n in self._nodes_per_depth.values()):
            return True
        if any(len(node.input_tensors) > 1 for node in self._nodes):
            return True
        calls = {}
        for node in self._nodes:
            calls[id(node.layer)] = calls.get(id(node.layer), 0) + 1
        return any(n > 1 for n in calls.values())

    def _summary_rows(self):
        own = {id(node) for node in self._nodes}
        rows = []
        for layer in self.layers:
            parents = []
            for node in layer._inbound_nodes:
                if id(node) not in own:
                    continue
                for t in node.input_tensors:
                    owner, index, ti = t._keras_history
                    parents.append(f"{owner.name}[{index}][{ti}]")
            rows.append((layer.name, layer.__class__.__name__, _summary_shape(layer),
                         layer.count_params() if layer.built else None, parents))
        return rows


def _summary_shape(layer):
    """The output shape Keras's summary shows: that of the layer's latest call."""
    if not layer._inbound_nodes:
        return None
    return _shape_of_outputs(layer._inbound_nodes[-1].outputs)


def _shape_of_outputs(outputs):
    shapes = [t.shape for t in flatten(outputs)]
    return shapes[0] if len(shapes) == 1 else shapes


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")

