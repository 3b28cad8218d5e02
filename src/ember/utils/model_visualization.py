"""Model diagrams, as ``keras.utils.model_to_dot`` and ``keras.utils.plot_model``: a pydot graph
with one node per layer (Keras's HTML-table labels) and one edge per connection, drawn by
Graphviz's ``dot``. pydot and Graphviz are optional (the extra ``plot``), imported when used.
"""

import os

from ember import tree


def _pydot(fn):
    try:
        import pydot
    except ImportError as e:
        raise ImportError(f"You must install pydot (`pip install pydot`) for {fn} to work "
                          "(or pip install 'ember[plot]').") from e
    return pydot


def _kinds():
    from ember.models.functional import Functional
    from ember.models.sequential import Sequential

    return Functional, Sequential


def _activation_name(activation):
    for attr in ("name", "__name__"):
        name = getattr(activation, attr, None)
        if isinstance(name, str):
            return name
    return str(activation)


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        text = ", ".join(f"{k}: {v}" for k, v in shape.items())
    else:
        text = f"{shape}"
    return text.replace("}", "").replace("{", "")


def _structure_of(layer, what, attr):
    """``layer.input``/``layer.output`` mapped to each tensor's shape or dtype; None when the
    layer has no single such tensor (never called, or shared)."""
    try:
        return tree.map_structure(lambda t: getattr(t, attr), getattr(layer, what))
    except (ValueError, AttributeError):
        return None


def _layer_label(layer, show_layer_names, show_layer_activations, show_dtype, show_shapes,
                 show_trainable):
    """The node's label: Keras's HTML table (name/class, activation, shapes, dtype, trainable)."""
    class_name = type(layer).__name__
    colspan = max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    rows = [f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">'
            f"{title}</font></td></tr>"]
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        rows.append(f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
                    f"Activation: <b>{_activation_name(layer.activation)}</b></font></td></tr>")
    cols = []

    def cell(text):
        return f'<td bgcolor="white"><font point-size="14">{text}</font></td>'

    if show_shapes:
        in_shape = _structure_of(layer, "input", "shape")
        out_shape = _structure_of(layer, "output", "shape")
        if in_shape is None or out_shape is None:
            in_shape = out_shape = None  # as Keras: both unknown when either is
        if class_name != "InputLayer":
            cols.append(cell(f"Input shape: <b>{_format_shape(in_shape)}</b>"))
        cols.append(cell(f"Output shape: <b>{_format_shape(out_shape)}</b>"))
    if show_dtype:
        dtype = _structure_of(layer, "output", "dtype")
        cols.append(cell(f"Output dtype: <b>{dtype or '?'}</b>"))
    if show_trainable and hasattr(layer, "trainable") and layer.weights:
        color, text = ("forestgreen", "Trainable") if layer.trainable else ("firebrick",
                                                                             "Non-trainable")
        cols.append(f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{text}</b>'
                    "</font></td>")
    if cols:
        rows.append(f"<tr>{''.join(cols)}</tr>")
    return ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
            + "".join(rows) + "</table>>")


def _add_node(pydot, dot, layer, label_options):
    node = pydot.Node(str(id(layer)), label=_layer_label(layer, **label_options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    dot.add_node(node)


def _add_edge(pydot, dot, src, dst):
    src_id, dst_id = str(id(src)), str(id(dst))
    if not dot.get_edge(src_id, dst_id):
        edge = pydot.Edge(src_id, dst_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _innermost_source(layer, tensor_index):
    """The layer inside nested models that produces output ``tensor_index`` of ``layer``."""
    Functional, Sequential = _kinds()
    while isinstance(layer, (Functional, Sequential)):
        layer, _, tensor_index = layer.outputs[tensor_index]._keras_history
    return layer


def _innermost_destination(layer, input_index):
    """The layer inside nested models that receives input ``input_index`` of ``layer``."""
    Functional, Sequential = _kinds()
    while isinstance(layer, (Functional, Sequential)):
        if isinstance(layer, Functional):
            layer = layer.inputs[input_index]._keras_history[0]
        else:
            layer = layer.layers[0]
    return layer


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):
    """The model as a ``pydot.Dot`` graph (a ``pydot.Cluster`` when ``subgraph``): a node per
    layer, labelled as Keras labels them, and an edge per connection. ``expand_nested`` draws
    nested models as dashed clusters of their layers."""
    if not model.built:
        raise ValueError("model_to_dot: this model has not yet been built. Build the model first "
                         "by calling `build()` or by calling the model on a batch of data.")
    pydot = _pydot("model_to_dot")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("model_to_dot: argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"model_to_dot: unrecognized keyword arguments: {kwargs}")
    Functional, Sequential = _kinds()
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    label_options = dict(show_layer_names=show_layer_names,
                         show_layer_activations=show_layer_activations, show_dtype=show_dtype,
                         show_shapes=show_shapes, show_trainable=show_trainable)
    if not isinstance(model, (Functional, Sequential)):
        # a subclassed model: its graph is unknown, one node for the whole model
        _add_node(pydot, dot, model, label_options)
        return dot
    layers = model.layers
    for layer in layers:
        if expand_nested and isinstance(layer, (Functional, Sequential)):
            dot.add_subgraph(model_to_dot(
                layer, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                subgraph=True, show_layer_activations=show_layer_activations,
                show_trainable=show_trainable))
        else:
            _add_node(pydot, dot, layer, label_options)
    if isinstance(model, Sequential):
        for src, dst in zip(layers[:-1], layers[1:]):
            if expand_nested:
                src, dst = _innermost_source(src, 0), _innermost_destination(dst, 0)
            _add_edge(pydot, dot, src, dst)
        return dot
    for node in model._nodes:
        for input_index, tensor in enumerate(node.input_tensors):
            source, _, tensor_index = tensor._keras_history
            if expand_nested:
                _add_edge(pydot, dot, _innermost_source(source, tensor_index),
                          _innermost_destination(node.layer, input_index))
            else:
                _add_edge(pydot, dot, source, node.layer)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw the model's graph (``model_to_dot``) into ``to_file`` with Graphviz, in the format
    of its extension (png when it has none). Needs pydot and Graphviz's ``dot`` program.
    Returns an ``IPython.display.Image`` of a png/jpeg/gif when IPython is installed, else
    None."""
    if not model.built:
        raise ValueError("plot_model: this model has not yet been built. Build the model first "
                         "by calling `build()` or by calling the model on a batch of data.")
    pydot = _pydot("plot_model")
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException) as e:
        raise ImportError("You must install graphviz (see instructions at "
                          "https://graphviz.gitlab.io/download/) for plot_model to work: its "
                          "`dot` program was not found.") from e
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines, **kwargs)
    to_file = str(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    # IPython's Image embeds only these (Keras also tries svg and others, which then raise)
    if extension.lower() in ("png", "jpg", "jpeg", "gif"):
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
