"""JSON in and out: the request body to validated arrays, the model's outputs to the response.

Follows ``json_tensor.cc`` of TensorFlow Serving: the row format (``instances``) and the columnar
format (``inputs``), their validation messages, and the response keys (``predictions`` /
``outputs``). Values are only ever parsed as JSON and converted to arrays of the signature's
dtype; nothing from a request is evaluated.

Decisions where the reference leaves room: ``NaN``/``Infinity``/``-Infinity`` are accepted for
float inputs (the spec accepts them) and refused for integer and bool inputs (they are not
integers); ``true``/``false`` are refused for numeric inputs and numbers for bool inputs; integer
inputs take only JSON integers in range; every example must have the model's per-example shape
(known dimensions must match, ``None`` dimensions take any size), so a request that cannot run
fails with 400 before it is batched with others.
"""

import base64
import binascii
import itertools
import json
from dataclasses import dataclass

from ember.backend import np
from ember.serving.errors import invalid, preview
from ember.serving.signature import DEFAULT_SIGNATURE

_JSON_TYPE = {str: "String", dict: "Object", list: "Array", bool: "Bool", type(None): "Null",
              int: "Number", float: "Number"}
_ALLOWED = {"float": (int, float), "int": (int,), "uint": (int,), "bool": (bool,)}


@dataclass
class DecodedRequest:
    """A validated predict request: one array per signature input (batch axis first)."""

    columnar: bool
    arrays: list
    batch_size: int


# -- request ----------------------------------------------------------------------------------
def parse_json(body):
    """The JSON object in ``body`` (bytes); ``NaN``/``Infinity`` tokens are accepted.

    Raises:
        ServingError: 400 for an empty body, invalid JSON, or a top level that is not an object.
    """
    if not body.strip():
        raise invalid("JSON Parse error: The document is empty")
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as e:
        raise invalid(f"JSON Parse error: {e.msg} at offset: {e.pos}") from None
    except UnicodeDecodeError as e:
        raise invalid(f"JSON Parse error: Invalid encoding in string. at offset: {e.start}") \
            from None
    except (RecursionError, ValueError) as e:
        raise invalid(f"JSON Parse error: {str(e) or type(e).__name__}") from None
    if not isinstance(doc, dict):
        raise invalid(f"JSON Value: {preview(body.decode('utf-8', 'replace'))} Is not object")
    return doc


def check_signature_name(doc):
    """The requested signature name (``serving_default`` when absent or empty)."""
    name = doc.get("signature_name", DEFAULT_SIGNATURE)
    if not isinstance(name, str):
        raise invalid(
            f"JSON Value: {_dump(doc.get('signature_name'))} not formatted correctly. "
            "'signature_name' key must be a string value.")
    return name or DEFAULT_SIGNATURE


def decode_predict(doc, signature):
    """Validate a parsed predict request against ``signature``.

    Returns:
        DecodedRequest: one array per input, in the signature's order, of the input's dtype.

    Raises:
        ServingError: 400 with the reference server's message for every malformed request.
    """
    name = check_signature_name(doc)
    if name != DEFAULT_SIGNATURE:
        raise invalid(f'Serving signature name: "{name}" not found in signature def')
    has_instances, has_inputs = "instances" in doc, "inputs" in doc
    if has_instances and has_inputs:
        raise invalid(f"JSON Value: {_dump(doc)} Not formatted correctly expecting only one of "
                      "'inputs' or 'instances' keys to exist")
    if has_instances:
        arrays = _decode_rows(doc["instances"], signature.inputs)
        return DecodedRequest(False, arrays, arrays[0].shape[0])
    if has_inputs:
        arrays = _decode_columns(doc["inputs"], signature.inputs)
        return DecodedRequest(True, arrays, arrays[0].shape[0])
    raise invalid("Missing 'inputs' or 'instances' key")


def _is_named(value):
    return isinstance(value, dict) and set(value) != {"b64"}


def _decode_rows(instances, specs):
    if not isinstance(instances, list):
        raise invalid(f"JSON Value: {_dump(instances)} Expecting 'instances' to be an list/array")
    if not instances:
        raise invalid(f"JSON Value: {_dump(instances)} No values in 'instances' array")
    names = [s.name for s in specs]
    named = _is_named(instances[0])
    if len(specs) > 1 and not named:
        raise invalid("instances is a plain list, but expecting list of objects as multiple "
                      "input tensors required as per tensorinfo_map")
    if not named:
        if any(_is_named(v) for v in instances):
            raise invalid("instances mixes objects and plain values; every element must be of "
                          "the same kind")
        return [_to_array(instances, specs[0], rows=True)]
    for i, row in enumerate(instances):
        if not _is_named(row) or set(row) != set(names):
            raise invalid(
                f"Failed to process element: {i} of 'instances' list. JSON object: "
                f"{_dump(row)} keys must be equal to: {','.join(sorted(names))}")
    return [_to_array([row[s.name] for row in instances], s, rows=True) for s in specs]


def _decode_columns(inputs, specs):
    if _is_named(inputs):
        missing = [s.name for s in specs if s.name not in inputs]
        if missing:
            raise invalid(f"Missing named input: {missing[0]} in 'inputs' object.")
        arrays = [_to_array(inputs[s.name], s, rows=False) for s in specs]
    elif len(specs) > 1:
        raise invalid("inputs is a plain value/list, but expecting an object as multiple input "
                      "tensors required as per tensorinfo_map")
    else:
        arrays = [_to_array(inputs, specs[0], rows=False)]
    sizes = {a.shape[0] for a in arrays}
    if len(sizes) > 1:
        detail = ", ".join(f"'{s.name}' has {a.shape[0]}" for s, a in zip(specs, arrays))
        raise invalid(f"The inputs of this model must share dimension 0 (the batch): {detail}")
    return arrays


def _to_array(value, spec, rows):
    """``value`` (nested lists from JSON) as an array of ``spec``'s dtype and shape."""
    kind = spec.kind
    what = f"Input '{spec.name}'"
    if kind == "string":
        arr = _string_array(value, what)
    else:
        if kind not in _ALLOWED:
            raise invalid(f"{what} has dtype {spec.dtype}, which JSON requests cannot carry")
        try:
            arr = np.array(value)
        except (ValueError, TypeError, OverflowError, RecursionError):
            raise invalid(_ragged_message(value, rows)) from None
        if arr.dtype.kind not in "fiub" or arr.dtype.kind == "b" and kind != "bool":
            _raise_type_error(value, spec)
        allowed = _ALLOWED[kind]
        if any(t not in allowed for t in _leaf_types(value, arr.ndim)):
            _raise_type_error(value, spec)
        arr = _cast(arr, spec)
    _check_shape(arr.shape, spec, rows)
    return arr


def _cast(arr, spec):
    target = spec.np_dtype
    if spec.kind in ("int", "uint") and arr.size:
        info = np.iinfo(target)
        lo, hi = arr.min(), arr.max()
        if lo < info.min or hi > info.max:
            bad = lo if lo < info.min else hi
            raise invalid(f"JSON Value: {bad} is out of range for input '{spec.name}' of type "
                          f"{spec.dtype}")
    if arr.dtype == target:
        return arr
    with np.errstate(over="ignore"):
        return arr.astype(target)


def _leaf_types(value, ndim):
    if ndim == 0:
        return {type(value)}
    flat = value
    for _ in range(ndim - 1):
        flat = itertools.chain.from_iterable(flat)
    return set(map(type, flat))


def _raise_type_error(value, spec):
    allowed = _ALLOWED.get(spec.kind, ())
    limits = np.iinfo(spec.np_dtype) if spec.kind in ("int", "uint") else None
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        elif type(v) not in allowed:
            kind = _JSON_TYPE.get(type(v), type(v).__name__)
            raise invalid(f"JSON Value: {_dump(v)} Type: {kind} is not of expected type: "
                          f"{spec.dtype}")
        elif type(v) is int and (limits is not None and not limits.min <= v <= limits.max
                                 or limits is None and abs(v) > 2**1023):
            raise invalid(f"JSON Value: {preview(v)} is out of range for input '{spec.name}' "
                          f"of type {spec.dtype}")
    raise invalid(f"Input '{spec.name}': values are not of expected type: {spec.dtype}")


def _check_shape(shape, spec, rows):
    want = spec.shape
    if len(shape) == len(want) and all(w is None or w == g for w, g in zip(want, shape)):
        return
    if rows:
        raise invalid(
            f"Input '{spec.name}' expects instances of shape {_fmt(want[1:])}, received "
            f"instances of shape {_fmt(shape[1:])}")
    raise invalid(
        f"Input '{spec.name}' expects a tensor of shape {_fmt(want)} (batch first), received "
        f"shape {_fmt(shape)}")


def _fmt(shape):
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


class _Ragged(Exception):
    pass


def _shape_of(value, level=0):
    if not isinstance(value, list):
        return ()
    if not value:
        return (0,)
    first = _shape_of(value[0], level + 1)
    for i, v in enumerate(value[1:], 1):
        other = _shape_of(v, level + 1)
        if other != first:
            if len(other) != len(first):
                raise _Ragged(f"Encountered a value of rank {len(other)} found at incorrect "
                              f"level {level + 1} (element {i}); expected rank {len(first)}")
            raise _Ragged(f"Encountered list at unexpected size: {other} at level {level + 1} "
                          f"(element {i}); expected {first}")
    return (len(value),) + first


def _ragged_message(value, rows):
    if rows and isinstance(value, list):
        try:
            first = _shape_of(value[0])
            for i, row in enumerate(value[1:], 1):
                got = _shape_of(row)
                if got != first:
                    return f"Expecting shape {_fmt(first)} but got: {_fmt(got)} (instance {i})"
        except _Ragged as e:
            return f"Failed to process element of 'instances': {e}"
        except RecursionError:
            return "The request nests lists too deeply"
    try:
        _shape_of(value)
    except _Ragged as e:
        return str(e)
    except RecursionError:
        return "The request nests lists too deeply"
    return "The values do not form a tensor (nested lists of one size and depth)"


def _string_array(value, what):
    try:
        shape = _shape_of(value)
    except _Ragged as e:
        raise invalid(str(e)) from None
    except RecursionError:
        raise invalid("The request nests lists too deeply") from None
    flat = value
    for _ in range(len(shape) - 1 if shape else 0):
        flat = list(itertools.chain.from_iterable(flat))
    if not shape:
        flat = [value]
    out = []
    for v in flat:
        if isinstance(v, str):
            out.append(v.encode("utf-8"))
        elif isinstance(v, dict) and set(v) == {"b64"} and isinstance(v["b64"], str):
            try:
                out.append(base64.b64decode(v["b64"], validate=True))
            except (binascii.Error, ValueError):
                raise invalid(f"Unable to base64 decode {preview(v['b64'])}") from None
        else:
            raise invalid(f"JSON Value: {_dump(v)} Type: {_JSON_TYPE.get(type(v), 'Unknown')} "
                          f"is not of expected type: string ({what})")
    arr = np.empty(len(out), dtype=object)
    arr[:] = out
    return arr.reshape(shape)


def _dump(value):
    try:
        return preview(json.dumps(value, separators=(",", ":")))
    except (TypeError, ValueError, RecursionError):
        return preview(repr(value))


# -- response ---------------------------------------------------------------------------------
def encode_predict(outputs, signature, columnar):
    """The response body for ``outputs`` (one array per signature output, batch first)."""
    specs = signature.outputs
    values = [_json_value(a, s.name) for a, s in zip(outputs, specs)]
    if columnar:
        body = {"outputs": values[0] if len(values) == 1 else
                {s.name: v for s, v in zip(specs, values)}}
    elif len(values) == 1:
        body = {"predictions": values[0]}
    else:
        n = outputs[0].shape[0] if outputs[0].ndim else 1
        for s, a in zip(specs, outputs):
            got = a.shape[0] if a.ndim else 1
            if got != n:
                raise invalid(f"Tensor name: {s.name} has inconsistent batch size: {got} "
                              f"expecting: {n}")
        body = {"predictions": [{s.name: v[i] for s, v in zip(specs, values)}
                                for i in range(n)]}
    return dumps(body)


def dumps(obj):
    """Compact JSON bytes; non-finite floats as ``NaN``/``Infinity``/``-Infinity`` tokens."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=True).encode("utf-8")


def _json_value(arr, name):
    arr = np.asarray(arr)
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 8:
        # the shortest decimal that reads back as the same float32 ("0.1", not
        # "0.10000000149011612"): the values a float32 model computed, in fewer bytes
        return arr.astype(str).astype(np.float64).tolist()
    if arr.dtype.kind in "OSU":
        encode = _b64 if name.endswith("_bytes") else _text
        flat = [encode(v) for v in arr.reshape(-1).tolist()]
        return np.array(flat, dtype=object).reshape(arr.shape).tolist() if arr.ndim else flat[0]
    return arr.tolist()


def _b64(v):
    data = v if isinstance(v, bytes) else str(v).encode("utf-8")
    return {"b64": base64.b64encode(data).decode("ascii")}


def _text(v):
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
