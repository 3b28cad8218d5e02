"""``tf.strings``: the string ops text tutorials use, on NumPy object arrays of ``bytes`` (as
TensorFlow's string tensors hold). Inputs may be ``str`` or ``bytes`` (or lists/arrays/tensors of
them); results hold UTF-8 ``bytes``. Not differentiable.

Where TensorFlow returns a RaggedTensor (``split`` of a batch), ember returns a list with one
1-D tensor per input string.
"""

import builtins
import re

from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import raw
from ember.tf.errors import InvalidArgumentError


def _bytes(value):
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def as_bytes_array(value):
    """``value`` as an object array of ``bytes`` (the representation of a string tensor)."""
    data = raw(value)
    array = xp.asarray(data, dtype=object) if not isinstance(data, xp.ndarray) else data
    if array.dtype != object:
        array = array.astype(object)
    out = xp.empty(array.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(array.reshape(-1)):
        if not isinstance(v, (str, bytes, bytearray, xp.bytes_, xp.str_)):
            raise TypeError(f"tf.strings: expected string values, got {type(v).__name__} "
                            f"({v!r})")
        flat[i] = _bytes(v)
    return out


def _map(fn, value, dtype=object):
    array = as_bytes_array(value)
    out = xp.empty(array.shape, dtype=dtype)
    flat = out.reshape(-1)
    for i, v in enumerate(array.reshape(-1)):
        flat[i] = fn(v)
    return Tensor(out)


def lower(input, encoding="", name=None):  # noqa: A002
    """Lower-case (ASCII, or Unicode with ``encoding="utf-8"``)."""
    if encoding:
        return _map(lambda s: s.decode("utf-8").lower().encode("utf-8"), input)
    return _map(lambda s: s.lower(), input)


def upper(input, encoding="", name=None):  # noqa: A002
    if encoding:
        return _map(lambda s: s.decode("utf-8").upper().encode("utf-8"), input)
    return _map(lambda s: s.upper(), input)


def strip(input, name=None):  # noqa: A002
    """Leading and trailing whitespace removed."""
    return _map(lambda s: s.strip(), input)


def length(input, unit="BYTE", name=None):  # noqa: A002
    """The length of each string in bytes (``unit="UTF8_CHAR"``: in characters), int32."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"length: unit must be 'BYTE' or 'UTF8_CHAR'; got {unit!r}")
    if unit == "BYTE":
        return _map(len, input, dtype="int32")
    return _map(lambda s: len(s.decode("utf-8")), input, dtype="int32")


def _pattern(pattern):
    return re.compile(_bytes(raw(pattern)))


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replace matches of the RE2-style ``pattern`` (Python ``re`` syntax) with ``rewrite``
    (``\\1`` refers to a group), all of them or only the first."""
    regex = _pattern(pattern)
    repl = _bytes(raw(rewrite))
    count = 0 if replace_global else 1
    return _map(lambda s: regex.sub(repl, s, count=count), input)


def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each whole string matches ``pattern``."""
    regex = _pattern(pattern)
    return _map(lambda s: regex.fullmatch(s) is not None, input, dtype=bool)


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Split on ``sep`` (on runs of whitespace when None). A scalar gives a 1-D tensor; a
    1-D batch a list of 1-D tensors (TensorFlow gives a RaggedTensor)."""
    array = as_bytes_array(input)
    separator = None if sep is None else _bytes(raw(sep))
    if separator == b"":
        raise ValueError("split: sep must not be empty")
    limit = -1 if maxsplit is None else int(maxsplit)

    def parts(s):
        pieces = s.split(separator, limit)
        out = xp.empty(len(pieces), dtype=object)
        out[:] = pieces
        return Tensor(out)

    if array.ndim == 0:
        return parts(array.reshape(()).item())
    if array.ndim != 1:
        raise ValueError(f"split: input must be a scalar or a vector; got shape {array.shape}")
    return [parts(s) for s in array]


def join(inputs, separator="", name=None):
    """Elementwise concatenation of the strings of ``inputs`` (broadcast), with
    ``separator`` between them."""
    arrays = xp.broadcast_arrays(*[as_bytes_array(v) for v in inputs])
    sep = _bytes(raw(separator))
    out = xp.empty(arrays[0].shape, dtype=object)
    flat = out.reshape(-1)
    columns = [a.reshape(-1) for a in arrays]
    for i in range(flat.size):
        flat[i] = sep.join(c[i] for c in columns)
    return Tensor(out)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Join the strings along ``axis`` (all of them when None)."""
    array = as_bytes_array(inputs)
    sep = _bytes(raw(separator))
    if axis is None:
        out = xp.empty((), dtype=object)
        out[()] = sep.join(array.reshape(-1))
        if keepdims:
            out = out.reshape((1,) * array.ndim)
        return Tensor(out)
    axis = int(axis) % array.ndim
    moved = xp.moveaxis(array, axis, -1)
    out = xp.empty(moved.shape[:-1], dtype=object)
    flat = out.reshape(-1)
    for i, row in enumerate(moved.reshape(-1, moved.shape[-1])):
        flat[i] = sep.join(row)
    if keepdims:
        out = xp.expand_dims(out, axis)
    return Tensor(out)


def to_number(string_tensor, out_type="float32", name=None):
    """Parse each string as a number of ``out_type`` (InvalidArgumentError when one is not)."""
    dtype = xp.dtype(out_type)

    def parse(s):
        text = s.decode("utf-8").strip()
        try:
            return int(text) if dtype.kind in "iu" else float(text)
        except ValueError:
            raise InvalidArgumentError(
                f"to_number: StringToNumberOp could not correctly convert string: "
                f"{s.decode('utf-8', 'replace')}") from None

    return _map(parse, string_tensor, dtype=dtype)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1,  # noqa: A002
              fill="", name=None):
    """Format each number as a string: floats with 6 decimals by default (``precision``
    others), integers plainly, bools as ``true``/``false``."""
    data = xp.asarray(raw(input))
    if data.dtype.kind not in "biuf":
        raise TypeError(f"as_string: input must be numeric or bool; got {data.dtype}")
    if data.dtype.kind == "b":
        spec = None
    elif data.dtype.kind == "f":
        kind = "g" if shortest else ("e" if scientific else "f")
        spec = f"{'.' + str(precision) if precision >= 0 else ('.6' if kind != 'g' else '')}" \
               f"{kind}"
    else:
        spec = "d"
    pad = f"{fill or ''}>{width}" if width > 0 else ""
    out = xp.empty(data.shape, dtype=object)
    flat = out.reshape(-1)
    for i, v in enumerate(data.reshape(-1)):
        text = ("true" if v else "false") if spec is None else builtins.format(v.item(), spec)
        flat[i] = (builtins.format(text, pad) if pad else text).encode("utf-8")
    return Tensor(out)


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002
    """The ``len`` bytes (or UTF-8 characters) from ``pos``."""
    start, size = int(raw(pos)), int(raw(len))
    if unit == "UTF8_CHAR":
        return _map(lambda s: s.decode("utf-8")[start:start + size].encode("utf-8"), input)
    return _map(lambda s: s[start:start + size], input)


def bytes_split(input, name=None):  # noqa: A002
    """The bytes of a string as a 1-D tensor of 1-byte strings."""
    array = as_bytes_array(input)
    if array.ndim != 0:
        raise ValueError("bytes_split: ember supports a scalar input")
    s = array.item()
    out = xp.empty(len(s), dtype=object)
    out[:] = [s[i:i + 1] for i in range(len(s))]
    return Tensor(out)


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                  name=None):
    """The UTF-8 characters of a string as a 1-D tensor."""
    array = as_bytes_array(input)
    if array.ndim != 0:
        raise ValueError("unicode_split: ember supports a scalar input")
    chars = array.item().decode(input_encoding, errors)
    out = xp.empty(len(chars), dtype=object)
    out[:] = [c.encode("utf-8") for c in chars]
    return Tensor(out)


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):
    """The ``ngram_width``-grams of a 1-D tensor of tokens, joined by ``separator``."""
    tokens = as_bytes_array(data)
    if tokens.ndim != 1:
        raise ValueError("ngrams: ember supports a 1-D input")
    n = int(ngram_width)
    sep = _bytes(separator)
    grams = [sep.join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    out = xp.empty(len(grams), dtype=object)
    out[:] = grams
    return Tensor(out)


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001
    """``template`` with each ``placeholder`` replaced by the next input, printed as
    ``tf.print`` does."""
    from ember.tf.array_ops import _format_value

    if not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise ValueError(f"format: {len(pieces) - 1} placeholders but {len(inputs)} inputs")
    text = pieces[0]
    for value, rest in zip(inputs, pieces[1:]):
        text += _format_value(value, summarize) + rest
    out = xp.empty((), dtype=object)
    out[()] = text.encode("utf-8")
    return Tensor(out)
