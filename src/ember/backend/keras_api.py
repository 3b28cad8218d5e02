"""``keras.backend``'s names: dtype rules (``standardize_dtype``, ``result_type``) and the global
settings of :mod:`ember.config`.

``result_type`` follows Keras's type-promotion lattice (JAX's): ``int32`` with ``float32`` is
``float32`` (not NumPy's ``float64``), ``uint8`` with ``int8`` is ``int16``, and the Python types
``int`` and ``float`` are weak: they take the other operand's kind and width. One difference:
Keras's JAX and NumPy backends turn every 64-bit result into its 32-bit form; ember computes in
64 bits when asked to, so ``result_type("float64")`` is ``"float64"`` here.
"""

import functools

from ember import config
from ember.backend import np
from ember.utils.naming import clear_session, get_uid  # noqa: F401  (keras.backend names)

_INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
_FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
_FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
ALLOWED_DTYPES = ("bool", *_INT_TYPES, *_FLOAT_TYPES, "string", *_FLOAT8_TYPES,
                  "complex64", "complex128")
# Python types and Keras's "int" spelling (int is int32, as on Keras's JAX backend)
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string",
                  "int": "int32", complex: "complex64"}

# Each dtype -> the dtypes just above it; "int" and "float" are the weak Python scalars.
_LATTICE = {
    "bool": ["int"],
    "uint8": ["int16", "uint16"],
    "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"],
    "uint64": ["float"],
    "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"],
    "int16": ["int32"],
    "int32": ["int64"],
    "int64": ["float"],
    "float": ["bfloat16", "float16"],
    "bfloat16": ["float32"],
    "float16": ["float32"],
    "float32": ["float64", "complex64"],
    "float64": ["complex128"],
    "complex64": ["complex128"],
    "complex128": [],
}


def _upper_bounds():
    """Each lattice node -> every node at or above it."""
    bounds = {}

    def above(node):
        if node not in bounds:
            bounds[node] = {node}.union(*(above(n) for n in _LATTICE[node]))
        return bounds[node]

    for node in _LATTICE:
        above(node)
    return bounds


_UPPER = _upper_bounds()


def standardize_dtype(dtype):
    """The Keras name of ``dtype`` (a name, a NumPy dtype or type, a Python type, or None for
    floatx); a ValueError for anything else (``"float"``, ``"double"``...)."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, (type, str)):
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        dtype = dtype.name
    elif isinstance(dtype, type) and issubclass(dtype, np.generic):
        dtype = np.dtype(dtype).name
    if not isinstance(dtype, str) or dtype not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return dtype


def is_float_dtype(dtype):
    """Whether ``dtype`` is a float (``bfloat16``, ``float16`` ... ``float8_*``)."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("float") or dtype.startswith("bfloat")


def is_int_dtype(dtype):
    """Whether ``dtype`` is a signed or unsigned integer."""
    dtype = standardize_dtype(dtype)
    return dtype.startswith("int") or dtype.startswith("uint")


@functools.lru_cache(512)
def _least_upper_bound(*nodes):
    unknown = [n for n in nodes if n not in _UPPER]
    if unknown:
        raise ValueError(f"dtype={unknown[0]!r} is not a valid dtype for Keras type promotion.")
    common = set.intersection(*(_UPPER[n] for n in nodes))
    lub = (common & set(nodes)) or {c for c in common if common <= _UPPER[c]}
    if len(lub) != 1:
        raise ValueError(
            f"Input dtypes {tuple(nodes)} have no available implicit dtype promotion path. Try "
            "explicitly casting inputs to the desired output type."
        )
    return lub.pop()


def _as_weak(dtype):
    """The lattice node of a weak (Python scalar) value of ``dtype``."""
    if dtype == "bool":
        return dtype
    return "float" if is_float_dtype(dtype) else "int"


def _resolve_weak(dtype):
    """A weak result in floatx's width: ``int`` -> int32 when floatx is float32, and so on."""
    bits = config.floatx()[-2:]
    kind = "f" if dtype == "bfloat16" else dtype[:1]  # "float", "int", or a dtype name
    return {"b": "bool", "i": f"int{bits}", "u": f"uint{bits}"}.get(kind, f"float{bits}")


def result_type(*dtypes):
    """The dtype of an op combining values of ``dtypes`` under Keras's promotion rules (None is
    floatx; the Python types ``int`` and ``float`` are weak); floatx when given none.

    Example: ``result_type("int32", "float32")`` is ``"float32"``,
    ``result_type("bfloat16", int)`` is ``"bfloat16"``.
    """
    if not dtypes:
        return config.floatx()
    for dtype in dtypes:
        if isinstance(dtype, str) and dtype in _FLOAT8_TYPES:
            raise ValueError("There is no implicit conversions from float8 dtypes to others. "
                             f"You must cast it internally. Received: {dtypes}")
    args = [config.floatx() if d is None else d for d in dtypes]
    names = [standardize_dtype(d) for d in args]
    weak = [d is int or d is float for d in args]
    if len(names) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*sorted(set(names))), True
    else:
        nodes = {_as_weak(d) if w else d for d, w in zip(names, weak)}
        out = _least_upper_bound(*sorted(nodes))
        out_weak = out in ("int", "float")
    if out_weak and out != "bool":
        out = _resolve_weak(out)
    return out


def backend():
    """The backend's name: ``'ember'``."""
    return config.backend()


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor of a functional model (a ``KerasTensor``)."""
    from ember.layers.node import is_keras_tensor as is_symbolic

    return is_symbolic(x)


epsilon = config.epsilon
set_epsilon = config.set_epsilon
floatx = config.floatx
set_floatx = config.set_floatx
image_data_format = config.image_data_format
set_image_data_format = config.set_image_data_format

