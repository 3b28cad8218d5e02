"""``ember.export``: models to other formats. Today: ONNX (``pip install 'ember[onnx]'``).

``to_onnx(model, "model.onnx")`` writes a built Sequential or Functional model as an ONNX file
(opset 17 by default) that ONNX Runtime runs with the same outputs as ``model.predict``.
Each layer class maps to ONNX nodes through a converter; add one for a custom layer with
:func:`register_converter`. A layer without a converter raises :class:`ExportError` naming the
layer and why.
"""

from ember.export._graph import ExportError, Value
from ember.export.converters import register_converter, supported_layers
from ember.export.onnx_export import (
    build_onnx_model,
    compare_with_onnxruntime,
    random_inputs,
    run_onnxruntime,
    to_onnx,
)

__all__ = ["to_onnx", "build_onnx_model", "compare_with_onnxruntime", "random_inputs",
           "run_onnxruntime", "register_converter", "supported_layers", "ExportError", "Value"]
