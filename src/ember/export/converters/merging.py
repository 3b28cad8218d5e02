"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (elementwise, in the
inputs' common layout), Concatenate and Dot. Masks combine as Keras': AND for the elementwise
merges."""

from ember.export._graph import Value
from ember.export.converters import register_converter
from ember.export.converters.activations import layout_axis


def common_layout(g, values):
    """``(names, layout)`` of ``values`` in one layout: the one they were all produced in when
    they share rank and layout (no transposes), else Keras order."""
    ranks = {v.rank for v in values}
    layouts = {v.layout for v in values if not v.is_int}
    if len(ranks) == 1 and len(layouts) == 1 and not any(v.is_int for v in values):
        layout = layouts.pop()
        return [g.same_layout(v)[0] for v in values], layout
    return [g.keras(v) for v in values], "keras"


def _and_masks(g, values):
    masks = [v.mask for v in values if v.mask is not None]
    out = masks[0] if masks else None
    for m in masks[1:]:
        out = g.op("And", [out, m], hint="mask")
    return out


def _elementwise(op_type, average=False):
    def convert(g, layer, inputs, outputs):
        names, layout = common_layout(g, inputs)
        if op_type in ("Max", "Min"):  # variadic
            y = g.op(op_type, names)
        else:
            y = names[0]
            for n in names[1:]:
                y = g.op(op_type, [y, n])
        if average:
            y = g.op("Mul", [y, g.scalar("inv_count", 1.0 / len(names))])
        return Value(y, outputs[0].shape, layout, mask=_and_masks(g, inputs))

    return convert


for _name, _op, _avg in (("Add", "Add", False), ("Subtract", "Sub", False),
                         ("Multiply", "Mul", False), ("Average", "Add", True),
                         ("Maximum", "Max", False), ("Minimum", "Min", False)):
    register_converter(_name, handles_mask=True)(_elementwise(_op, _avg))


@register_converter("Concatenate", handles_mask=True)
def _concatenate(g, layer, inputs, outputs):
    rank = inputs[0].rank
    names, layout = common_layout(g, inputs)
    axis = layout_axis(layer.axis, rank, layout)
    y = g.op("Concat", names, axis=axis)
    mask = None
    if any(v.mask is not None for v in inputs):
        if layer.axis % rank != rank - 1:
            raise g.unsupported(f"masked inputs concatenated on axis {layer.axis} (only the "
                                "last axis is supported with masks)")
        if all(v.mask is not None for v in inputs):  # Keras: any() over the joined masks
            mask = inputs[0].mask
            for v in inputs[1:]:
                mask = g.op("Or", [mask, v.mask], hint="mask")
    return Value(y, outputs[0].shape, layout, mask=mask)


def _l2_normalize(g, x, axis):
    square_sum = g.reduce("ReduceSum", g.op("Mul", [x, x]), [axis], True)
    return g.op("Div", [x, g.op("Sqrt", [g.op("Max", [square_sum, g.scalar("tiny", 1e-24)])])])


@register_converter("Dot")
def _dot(g, layer, inputs, outputs):
    v1, v2 = inputs
    a1, a2 = layer._axes_for([v1.shape, v2.shape])
    x1, x2 = g.keras(v1), g.keras(v2)
    if layer.normalize:
        x1, x2 = _l2_normalize(g, x1, a1), _l2_normalize(g, x2, a2)
    letters = "bcdefghijklmnopqrstuvwxyz"
    n1, n2 = v1.rank, v2.rank
    s1 = ["a"] + list(letters[:n1 - 1])
    s2 = ["a"] + list(letters[n1 - 1:n1 + n2 - 2])
    s2[a2] = s1[a1]
    out = [c for i, c in enumerate(s1) if i != a1] + [
        c for i, c in enumerate(s2) if i not in (0, a2)]
    y = g.op("Einsum", [x1, x2], equation=f"{''.join(s1)},{''.join(s2)}->{''.join(out)}")
    if len(out) == 1:
        y = g.unsqueeze(y, [1])
    return Value(y, outputs[0].shape)
