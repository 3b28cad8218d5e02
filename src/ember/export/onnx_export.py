"""``to_onnx``: a built Sequential or Functional model as an ONNX model (opset 17 by default).

The exporter walks the model's layer calls in order, asks each layer's converter (see
:mod:`ember.export.converters`) for its ONNX nodes, and assembles them with ``onnx.helper``.
Graph inputs and outputs keep Keras' names and layout (NHWC stays NHWC) with a symbolic batch
dimension; every weight is an initializer. The ``onnx`` package is imported only here, when
exporting (``pip install 'ember[onnx]'``).
"""

import os
import tempfile

from ember.backend import np, to_numpy
from ember.export._graph import ExportError, GraphBuilder, Value
from ember.export.converters import find_converter, handles_mask

# opset -> the IR version of the ONNX release that introduced it (onnx docs/Versioning.md)
_IR_VERSION = {17: 8, 18: 8, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 12, 25: 13, 26: 13,
               27: 13}
_MAX_BYTES = 2**31 - 2**20  # protobuf's 2 GB limit, with room for the graph itself
_ID_LAYERS = ("Embedding",)  # layers whose input is token ids


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "Exporting to ONNX needs the `onnx` package: pip install 'ember[onnx]'") from None
    return onnx


# -- the model as a list of layer calls ----------------------------------------------------------
class _Step:
    __slots__ = ("layer", "inputs", "outputs", "kwargs")

    def __init__(self, layer, inputs, outputs, kwargs):
        self.layer, self.inputs, self.outputs, self.kwargs = layer, inputs, outputs, kwargs


def _plan(model):
    """``(input specs, output specs, steps, output names)`` of a built Sequential or Functional
    model; the output names are those of the layers that produce the outputs."""
    from ember.layers.core.input_layer import InputLayer
    from ember.layers.node import KerasTensor, flatten
    from ember.models.functional import Functional
    from ember.models.sequential import Sequential

    if isinstance(model, Sequential):
        if not model.inputs:
            raise ValueError(
                f"Sequential model '{model.name}' has no input shape yet, so it cannot be "
                "exported. Start it with keras.Input(shape), give the first layer an "
                "input_shape, or call build((None, ...)) first.")
        if not model.layers:
            raise ValueError(f"Sequential model '{model.name}' has no layers to export.")
        spec = model.inputs[0]
        steps = []
        for layer in model.layers:
            out = layer.compute_output_spec(spec)
            steps.append(_Step(layer, [spec], flatten(out), {}))
            spec = out
        outs = flatten(spec)
        names = [model.layers[-1].name] * len(outs)
        return [model.inputs[0]], outs, steps, names
    if isinstance(model, Functional):
        steps = []
        for node in model._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = [a for a in flatten(node.call_args) if a is not None]
            bad = [a for a in args if not isinstance(a, KerasTensor)]
            tensors_in_kwargs = [k for k, v in node.call_kwargs.items()
                                 if any(isinstance(t, KerasTensor) for t in flatten(v))]
            if bad or tensors_in_kwargs:
                what = (f"non-tensor arguments {bad!r}" if bad
                        else f"tensor keyword arguments {tensors_in_kwargs}")
                raise ExportError(
                    f"Cannot export {type(node.layer).__name__} layer '{node.layer.name}' to "
                    f"ONNX: it is called with {what}, which the exporter does not support")
            kwargs = {k: v for k, v in node.call_kwargs.items() if v is not None}
            steps.append(_Step(node.layer, args, flatten(node.outputs), kwargs))
        names = [t._keras_history[0].name for t in model.outputs]
        return list(model.inputs), list(model.outputs), steps, names
    raise ExportError(
        f"Cannot export model '{getattr(model, 'name', model)}' of type {type(model).__name__} "
        "to ONNX: only Sequential and Functional models have a graph of layers to export "
        "(a subclassed model's `call` is Python code). Rebuild it with keras.Sequential or "
        "keras.Model(inputs, outputs).")


def _is_model(layer):
    from ember.models.functional import Functional
    from ember.models.sequential import Sequential

    return isinstance(layer, (Sequential, Functional))


# -- conversion ----------------------------------------------------------------------------------
def _convert(g, model, input_values, prefix=""):
    """Emit the nodes of ``model`` for ``input_values``; returns its output Values."""
    from ember.layers.layer import Layer, _call_signature

    inputs, outputs, steps, _ = _plan(model)
    values = {id(spec): v for spec, v in zip(inputs, input_values)}
    for step in steps:
        layer = step.layer
        ins = [values[id(t)] for t in step.inputs]
        if step.kwargs.get("training"):
            raise g.unsupported("it is called with training=True (training-time behaviour "
                                "is not exported)", layer)
        if _is_model(layer):
            outs = _convert(g, layer, ins, prefix=f"{prefix}{layer.name}/")
        else:
            fn = find_converter(layer)
            if fn is None:
                raise g.unsupported(_why_not(layer), layer)
            masked = [v for v in ins if v.mask is not None]
            if masked and _call_signature(layer)[1] and not handles_mask(fn):
                raise g.unsupported(
                    "its input carries a mask (from Embedding(mask_zero=True) or Masking) "
                    "that changes what it computes; the ONNX export passes masks through "
                    "elementwise layers and applies them only in GlobalAveragePooling1D "
                    "(recurrent ops cannot skip masked steps as Keras does)", layer)
            g.prefix, g.layer = prefix + layer.name, layer
            outs = fn(g, layer, ins, step.outputs)
            outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
            if not handles_mask(fn):
                keep = (len(ins) == 1 and layer.supports_masking
                        and type(layer).compute_mask is Layer.compute_mask)
                outs = [_with_mask(v, ins[0].mask if keep else None) for v in outs]
        if len(outs) != len(step.outputs):
            raise g.unsupported(f"its converter returned {len(outs)} outputs for "
                                f"{len(step.outputs)}", layer)
        for spec, v in zip(step.outputs, outs):
            values[id(spec)] = v
    g.prefix, g.layer = "", None
    return [values[id(t)] for t in outputs]


def _with_mask(value, mask):
    if value.mask == mask:
        return value
    copy = Value.__new__(Value)
    copy.shape, copy.dtype, copy.names, copy.mask = value.shape, value.dtype, value.names, mask
    return copy


def _why_not(layer):
    cls = type(layer).__name__
    if cls == "Lambda":
        return "a Lambda layer wraps Python code, which has no ONNX form"
    if cls in ("TextVectorization", "StringLookup", "IntegerLookup", "Hashing",
               "RandomFlip", "RandomRotation", "RandomZoom", "RandomCrop", "RandomTranslation",
               "RandomContrast", "RandomBrightness"):
        return f"{cls} has no ONNX mapping in the exporter (preprocessing belongs outside " \
               "the exported graph)"
    from ember.export.converters import supported_layers

    return (f"there is no ONNX converter for {cls} (supported: "
            f"{', '.join(supported_layers())}); register one with "
            "ember.export.register_converter")


# -- graph boundary ------------------------------------------------------------------------------
def _feeds_only_ids(model, spec):
    """Whether the model input ``spec`` is consumed only by Embedding layers (token ids)."""
    _, _, steps, _ = _plan(model)
    users = [s.layer for s in steps if any(t is spec for t in s.inputs)]
    return bool(users) and all(type(u).__name__ in _ID_LAYERS for u in users)


def _input_dtype(model, spec):
    dtype = str(spec.dtype)
    if dtype.startswith(("int", "uint")):
        return dtype
    if _feeds_only_ids(model, spec):
        return "int64"
    return "float32"


def _value_info(name, shape, dtype, symbolic_prefix=None):
    from onnx import helper

    dims = []
    for i, d in enumerate(shape):
        if i == 0:
            dims.append("batch")
        elif d is None:
            dims.append(f"{symbolic_prefix}_dim{i}" if symbolic_prefix else None)
        else:
            dims.append(int(d))
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return helper.make_tensor_value_info(name, elem, dims)


def _names(given, default, what, taken=()):
    if given is not None:
        names = [str(n) for n in given]
        if len(names) != len(default):
            raise ValueError(f"to_onnx: {len(default)} {what} names expected, received "
                             f"{len(names)}: {names}")
        if len(set(names)) != len(names) or set(names) & set(taken):
            raise ValueError(f"to_onnx: {what} names must be unique (and differ from the "
                             f"input names), received {names}")
        return names
    out, used = [], set(taken)
    for n in default:  # e.g. a multi-output layer gives several outputs the same name
        name, k = n, 0
        while name in used:
            k += 1
            name = f"{n}_{k}"
        used.add(name)
        out.append(name)
    return out


def _rename_outputs(g, renames):
    """Give graph outputs their final names by renaming the tensors that produce them."""
    if not renames:
        return
    for node in g.nodes:
        for i, n in enumerate(node.input):
            if n in renames:
                node.input[i] = renames[n]
        for i, n in enumerate(node.output):
            if n in renames:
                node.output[i] = renames[n]


def build_onnx_model(model, opset=17, input_names=None, output_names=None):
    """The ONNX ``ModelProto`` of a built Sequential or Functional ``model`` (not checked)."""
    _import_onnx()
    from onnx import helper

    import ember

    opset = int(opset)
    if opset not in _IR_VERSION:
        raise ValueError(f"to_onnx: opset must be one of {sorted(_IR_VERSION)} (17 or newer). "
                         f"Received: opset={opset}")
    specs_in, _, _, default_out = _plan(model)
    in_names = _names(input_names, [t._keras_history[0].name for t in specs_in], "input")
    out_names = _names(output_names, default_out, "output", taken=in_names)
    g = GraphBuilder(opset)
    for n in in_names + out_names:
        g.reserve(n)
    in_values = []
    for name, spec in zip(in_names, specs_in):
        dtype = _input_dtype(model, spec)
        g.inputs.append(_value_info(name, spec.shape, dtype, symbolic_prefix=name))
        in_values.append(Value(name, spec.shape, "keras", dtype=dtype))
    out_values = _convert(g, model, in_values)

    graph_inputs = set(in_names)
    sources = [g.raw(v) if v.is_int else g.keras(v) for v in out_values]
    produced = {o for node in g.nodes for o in node.output}
    renames, used = {}, set()
    for name, value, src in zip(out_names, out_values, sources):
        if src in produced and src not in used and src not in graph_inputs:
            renames[src] = name
        else:  # a graph input, or a tensor already given another output name
            g.nodes.append(helper.make_node("Identity", [src], [name], name=f"{name}/Identity"))
        used.add(src)
        g.outputs.append(_value_info(name, value.shape, value.dtype))
    _rename_outputs(g, renames)

    size = sum(t.ByteSize() for t in g.initializers)
    if size > _MAX_BYTES:
        raise ValueError(
            f"to_onnx: model '{model.name}' has {size / 2**30:.2f} GiB of weights; ONNX files "
            "over 2 GB need external data, which this exporter does not write yet.")
    graph = helper.make_graph(g.nodes, model.name, g.inputs, g.outputs,
                              initializer=g.initializers)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="ember", producer_version=ember.__version__,
                              ir_version=_IR_VERSION[opset])
    proto.doc_string = f"ember model '{model.name}' exported to ONNX opset {opset}"
    return proto


def to_onnx(model, path=None, opset=17, input_names=None, output_names=None, validate=False):
    """Export a built Sequential or Functional model to ONNX.

    Args:
        model: the ember model (its weights are read as they are now).
        path: where to write the ``.onnx`` file (written to a temporary file, then renamed);
            None to only return the model.
        opset: the ``ai.onnx`` opset to target, 17 (default) or newer.
        input_names, output_names: graph input/output names; by default the names of the
            model's Input layers and output layers.
        validate: also run the exported model with ONNX Runtime on random inputs at two batch
            sizes and compare with ``model(x, training=False)`` (``rtol = atol = 1e-5``).

    Returns:
        The ``onnx.ModelProto``; it passes ``onnx.checker.check_model(full_check=True)``.

    Raises:
        ExportError (a NotImplementedError): a layer, or an option of one, that ONNX export
            does not support; the message names the layer and why.
        ValueError: an unbuilt model, bad names or opset; with ``validate``, outputs that
            differ from ember's.

    Example:
        >>> ember.export.to_onnx(model, "model.onnx")
        >>> sess = onnxruntime.InferenceSession("model.onnx")
        >>> sess.run(None, {"input_layer": x})[0]        # == model.predict(x)
    """
    onnx = _import_onnx()
    proto = build_onnx_model(model, opset=opset, input_names=input_names,
                             output_names=output_names)
    onnx.checker.check_model(proto, full_check=True)
    if validate:
        compare_with_onnxruntime(model, proto)
    if path is not None:
        _atomic_write(os.fspath(path), proto.SerializeToString())
    return proto


def _atomic_write(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# -- validation ----------------------------------------------------------------------------------
def random_inputs(model, onnx_model, batch_size, seed=0):
    """Random inputs for ``onnx_model`` (a ModelProto): uniform floats in [-1, 1), and
    in-range token ids for integer inputs; a dict graph input name -> array."""
    from onnx import helper

    rng = np.random.default_rng(seed)
    specs_in, _, steps, _ = _plan(model)
    feeds = {}
    for spec, vi in zip(specs_in, onnx_model.graph.input):
        tt = vi.type.tensor_type
        shape = [batch_size] + [d.dim_value if d.HasField("dim_value") else 5
                                for d in tt.shape.dim[1:]]
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if np.dtype(dtype).kind in "iu":
            high = min([int(s.layer.input_dim) for s in steps
                        if any(t is spec for t in s.inputs) and hasattr(s.layer, "input_dim")],
                       default=10)
            feeds[vi.name] = rng.integers(0, high, size=shape).astype(dtype)
        else:
            feeds[vi.name] = rng.uniform(-1, 1, size=shape).astype(dtype)
    return feeds


def run_onnxruntime(onnx_model, feeds):
    """The outputs of ``onnx_model`` (a ModelProto, bytes or a path) on ``feeds`` (CPU)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError("Validating an ONNX export needs onnxruntime: "
                          "pip install 'ember[onnx]'") from None
    if hasattr(onnx_model, "SerializeToString"):
        onnx_model = onnx_model.SerializeToString()
    sess = ort.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def compare_with_onnxruntime(model, onnx_model, batch_sizes=(1, 3), rtol=1e-5, atol=1e-5):
    """Run ``onnx_model`` with ONNX Runtime and ``model`` with ember on the same random inputs
    at each batch size; raise ValueError when an output differs beyond ``atol + rtol * |y|``.
    Returns the largest absolute difference seen."""
    worst = 0.0
    for batch in batch_sizes:
        feeds = random_inputs(model, onnx_model, batch, seed=batch)
        got = run_onnxruntime(onnx_model, feeds)
        xs = list(feeds.values())
        want = model(xs[0] if len(xs) == 1 else xs, training=False)
        want = want if isinstance(want, (list, tuple)) else [want]
        for name, a, b in zip([o.name for o in onnx_model.graph.output], got, want):
            b = np.asarray(to_numpy(b), dtype=np.float64)
            a = np.asarray(a, dtype=np.float64)
            if a.shape != b.shape:
                raise ValueError(f"ONNX output '{name}' has shape {a.shape}, ember's "
                                 f"{b.shape} (batch size {batch})")
            diff = float(np.max(np.abs(a - b))) if a.size else 0.0
            worst = max(worst, diff)
            if not np.all(np.abs(a - b) <= atol + rtol * np.abs(b)):
                raise ValueError(
                    f"ONNX output '{name}' differs from ember's by up to {diff:.3g} (batch "
                    f"size {batch}; tolerance rtol={rtol}, atol={atol})")
    return worst
