"""Embedding (``Gather`` on axis 0, with its ``mask_zero`` mask) and Masking."""

from ember.export._graph import Value, array_of
from ember.export.converters import register_converter


def _ids(g, value):
    """``value`` as integer indices: token ids as they are, floats cast to int64."""
    from onnx import TensorProto

    if value.is_int:
        return g.raw(value), value.dtype
    return g.op("Cast", [g.keras(value)], to=TensorProto.INT64, hint="to_ids"), "int64"


@register_converter("Embedding", handles_mask=True)
def _embedding(g, layer, inputs, outputs):
    from ember.backend import np

    ids, dtype = _ids(g, inputs[0])
    table = g.const("embeddings", array_of(layer.embeddings))
    y = g.op("Gather", [table, ids], axis=0)
    mask = None
    if layer.mask_zero:
        zero = g.const("zero", np.zeros((), dtype=dtype), dtype=dtype)
        mask = g.op("Not", [g.op("Equal", [ids, zero])], hint="mask")
    return Value(y, outputs[0].shape, mask=mask)


@register_converter("Masking", handles_mask=True)
def _masking(g, layer, inputs, outputs):
    from onnx import TensorProto

    value = inputs[0]
    x = g.keras(value)
    differs = g.op("Not", [g.op("Equal", [x, g.scalar("mask_value", float(layer.mask_value))])])
    keep = g.reduce("ReduceMax", g.op("Cast", [differs], to=TensorProto.FLOAT), [-1], True)
    y = g.op("Mul", [x, keep])
    mask = g.op("Cast", [g.squeeze(keep, [-1])], to=TensorProto.BOOL, hint="mask")
    return Value(y, outputs[0].shape, mask=mask)
