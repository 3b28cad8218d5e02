"""ZeroPadding1D/2D (``Pad``), Cropping1D/2D (``Slice``) and UpSampling1D/2D (``Resize``), each
in the layout its input already has."""

from ember.export._graph import Value
from ember.export.converters import register_converter
from ember.export.converters.activations import layout_axis

_INT64_MAX = 2**63 - 1


def _spatial_axes(layer, rank):
    if getattr(layer, "data_format", None) == "channels_first":
        return list(range(2, rank))
    return list(range(1, rank - 1))


@register_converter(("ZeroPadding1D", "ZeroPadding2D"))
def _zero_padding(g, layer, inputs, outputs):
    value = inputs[0]
    x, layout = g.same_layout(value)
    pairs = [layer.padding] if type(layer).__name__ == "ZeroPadding1D" else layer.padding
    begin, end = [0] * value.rank, [0] * value.rank
    for axis, (a, b) in zip(_spatial_axes(layer, value.rank), pairs):
        where = layout_axis(axis, value.rank, layout) % value.rank
        begin[where], end[where] = int(a), int(b)
    y = g.op("Pad", [x, g.ints("pads", begin + end)], mode="constant")
    return Value(y, outputs[0].shape, layout)


@register_converter(("Cropping1D", "Cropping2D"))
def _cropping(g, layer, inputs, outputs):
    value = inputs[0]
    x, layout = g.same_layout(value)
    starts, ends, axes = [], [], []
    for axis, (a, b) in zip(layer._axes(), layer._crops()):
        axes.append(layout_axis(axis, value.rank, layout) % value.rank)
        starts.append(int(a))
        ends.append(-int(b) if b else _INT64_MAX)
    y = g.op("Slice", [x, g.ints("starts", starts), g.ints("ends", ends),
                       g.ints("axes", axes)])
    return Value(y, outputs[0].shape, layout)


def _resize(g, x, rank, layout, scales_by_keras_axis, mode):
    scales = [1.0] * rank
    for axis, s in scales_by_keras_axis.items():
        scales[layout_axis(axis, rank, layout) % rank] = float(s)
    scales_name = g.const("scales", scales)
    if mode == "nearest":  # output i reads input floor(i / s): each row repeated s times
        return g.op("Resize", [x, "", scales_name], mode="nearest",
                    coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    return g.op("Resize", [x, "", scales_name], mode="linear",
                coordinate_transformation_mode="half_pixel")


@register_converter("UpSampling1D")
def _upsampling1d(g, layer, inputs, outputs):
    value = inputs[0]
    y = _resize(g, g.keras(value), 3, "keras", {1: layer.size}, "nearest")
    return Value(y, outputs[0].shape)


@register_converter("UpSampling2D")
def _upsampling2d(g, layer, inputs, outputs):
    value = inputs[0]
    if layer.data_format == "channels_first":
        x, layout = g.keras(value), "keras"
    else:  # Resize on NCHW: ONNX Runtime's linear mode wants the channels at axis 1
        x, layout = g.channels_first(value), "cf"
    axes = _spatial_axes(layer, 4)
    y = _resize(g, x, 4, layout, dict(zip(axes, layer.size)), layer.interpolation)
    return Value(y, outputs[0].shape, layout)
