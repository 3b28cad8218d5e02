"""The serving signature of a model: its named inputs and outputs, and the metadata document.

ember publishes one signature, ``serving_default`` (method ``tensorflow/serving/predict``): input
keys are the model's Input layer names, output keys the names of the layers that produce the
outputs, shapes are the Keras shapes with ``-1`` for ``None`` (the batch axis first).
"""

from dataclasses import dataclass

from ember.backend import np

DEFAULT_SIGNATURE = "serving_default"
PREDICT_METHOD = "tensorflow/serving/predict"

_DT_NAMES = {
    "float16": "DT_HALF", "bfloat16": "DT_BFLOAT16", "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE", "int8": "DT_INT8", "int16": "DT_INT16", "int32": "DT_INT32",
    "int64": "DT_INT64", "uint8": "DT_UINT8", "uint16": "DT_UINT16", "uint32": "DT_UINT32",
    "uint64": "DT_UINT64", "bool": "DT_BOOL", "string": "DT_STRING", "str": "DT_STRING",
    "complex64": "DT_COMPLEX64", "complex128": "DT_COMPLEX128",
}


@dataclass(frozen=True)
class TensorSpec:
    """One named input or output: ``shape`` has ``None`` for unknown dimensions (the batch
    axis first); ``dtype`` is the Keras dtype name (``"float32"``, ``"int32"``, ...)."""

    name: str
    shape: tuple
    dtype: str

    @property
    def example_shape(self):
        return self.shape[1:]

    @property
    def np_dtype(self):
        return np.dtype(object) if self.dtype in ("string", "str") else np.dtype(self.dtype)

    @property
    def kind(self):
        """``float``, ``int``, ``uint``, ``bool`` or ``string``: which JSON values fit."""
        if self.dtype in ("string", "str"):
            return "string"
        return {"f": "float", "i": "int", "u": "uint", "b": "bool"}.get(
            np.dtype(self.dtype).kind, "unsupported")

    def to_json(self):
        return {
            "dtype": _DT_NAMES.get(self.dtype, "DT_INVALID"),
            "tensor_shape": {
                "dim": [{"size": str(-1 if d is None else d), "name": ""} for d in self.shape],
                "unknown_rank": False,
            },
            "name": f"{self.name}:0",
        }


@dataclass(frozen=True)
class Signature:
    """The inputs and outputs of a served model, in the order the model takes and returns them."""

    inputs: tuple
    outputs: tuple

    @property
    def input_names(self):
        return [s.name for s in self.inputs]

    @property
    def output_names(self):
        return [s.name for s in self.outputs]

    def to_json(self):
        return {
            "inputs": {s.name: s.to_json() for s in self.inputs},
            "outputs": {s.name: s.to_json() for s in self.outputs},
            "method_name": PREDICT_METHOD,
            "defaults": {},
        }


def signature_of(model):
    """The :class:`Signature` of a built ember model.

    Raises:
        ValueError: the model has no known inputs (a Sequential model never built, or a
            subclassed model), or two inputs or two outputs share a name.
    """
    inputs, outputs = getattr(model, "inputs", None), getattr(model, "outputs", None)
    if not inputs or not outputs:
        raise ValueError(
            f"Model '{getattr(model, 'name', model)}' has no known inputs and outputs, so it "
            "cannot be served. Give it an input shape (keras.Input, or input_shape= on the first "
            "layer) or build it before saving."
        )
    in_names = _names(model, "input_names", inputs)
    out_names = _names(model, "output_names", outputs)
    for kind, names in (("input", in_names), ("output", out_names)):
        if len(set(names)) != len(names):
            raise ValueError(
                f"Model '{model.name}' has repeated {kind} names {names}; the serving signature "
                f"needs a unique name per {kind}."
            )
    return Signature(
        tuple(TensorSpec(n, tuple(t.shape), str(t.dtype)) for n, t in zip(in_names, inputs)),
        tuple(TensorSpec(n, tuple(t.shape), str(t.dtype)) for n, t in zip(out_names, outputs)),
    )


def _names(model, attribute, tensors):
    names = getattr(model, attribute, None)
    if names and len(names) == len(tensors):
        return [str(n) for n in names]
    out = []
    for i, t in enumerate(tensors):
        history = getattr(t, "_keras_history", None)
        layer_name = getattr(history[0], "name", None) if history else None
        out.append(str(layer_name or getattr(t, "name", None) or f"{attribute[:-6]}_{i}"))
    return out
