"""``tf.dtypes``: TensorFlow's dtype objects (``tf.float32`` ...) on NumPy dtypes.

A :class:`DType` is a ``str`` subclass whose text is the NumPy name of its dtype (``"float32"``),
so it is accepted everywhere ember accepts a dtype name (``ops.cast``, ``dtype=`` of layers,
``Input``, ``Variable``, NumPy itself) and serializes as that name in layer configs. It compares
equal to the name, to the NumPy dtype and to the NumPy scalar type, as TensorFlow's does; its
``repr`` is ``tf.float32``, as TensorFlow's. Its ``str`` is the name (``float32``; TensorFlow
writes ``<dtype: 'float32'>``), because code that standardizes dtypes (ember's and Keras's)
calls ``str(dtype)``.

Tensors keep NumPy dtypes (``Tensor.dtype`` is a ``numpy.dtype``): the engine uses them as such
throughout (``.kind``, as dict keys), and they compare equal to these objects.
"""

from ember.backend import xp


class DType(str):
    """A TensorFlow dtype: ``name``, ``as_numpy_dtype``, ``is_floating``, ``min``/``max`` ..."""

    # the NumPy text is the str value; the TF name may differ (``string`` is NumPy's object)
    def __new__(cls, name, numpy_name):
        self = super().__new__(cls, numpy_name)
        self._name = name
        self._np = xp.dtype(numpy_name)
        return self

    @property
    def name(self):
        return self._name

    @property
    def as_numpy_dtype(self):
        """The NumPy scalar type (``numpy.float32``; ``object`` for ``string``), as
        TensorFlow's."""
        return object if self._name == "string" else self._np.type

    @property
    def base_dtype(self):
        return self

    @property
    def real_dtype(self):
        if self._np.kind == "c":
            return as_dtype(xp.finfo(self._np).dtype)
        return self

    @property
    def is_floating(self):
        return self._np.kind == "f" or self._name == "bfloat16"

    @property
    def is_integer(self):
        return self._np.kind in "iu"

    @property
    def is_unsigned(self):
        return self._np.kind in "ub"

    @property
    def is_bool(self):
        return self._np.kind == "b"

    @property
    def is_complex(self):
        return self._np.kind == "c"

    @property
    def is_numeric(self):
        return self._np.kind in "iufc" or self._name == "bfloat16"

    @property
    def is_quantized(self):
        return False

    @property
    def size(self):
        """Bytes per element (0 for ``string``, as TensorFlow)."""
        return 0 if self._name == "string" else self._np.itemsize

    @property
    def min(self):
        """The smallest value of the dtype (the most negative finite one for floats)."""
        return self._limits("min")

    @property
    def max(self):
        """The largest (finite) value of the dtype."""
        return self._limits("max")

    @property
    def limits(self):
        return (self.min, self.max)

    def _limits(self, which):
        kind = self._np.kind
        if kind == "b":
            return {"min": False, "max": True}[which]
        if kind in "iu":
            return getattr(xp.iinfo(self._np), which)
        if kind == "f" or self._name == "bfloat16":
            info = xp.finfo(self._np) if kind == "f" else _ml_dtypes().finfo(self._np)
            return self._np.type(getattr(info, which))
        raise TypeError(f"Cannot find minimum/maximum value of {self._name}.")

    def is_compatible_with(self, other):
        return self == other

    def __eq__(self, other):
        if isinstance(other, DType):
            return self._name == other._name
        if other is None:  # NumPy would read None as float64
            return False
        try:
            return self._np == _numpy_dtype(other)
        except (TypeError, ValueError):
            return False

    def __ne__(self, other):
        return not self == other

    __hash__ = str.__hash__

    def __repr__(self):
        return f"tf.{self._name}"

    def __str__(self):
        return self._name

    def __reduce__(self):
        return (as_dtype, (self._name,))


def _ml_dtypes():
    import ml_dtypes  # only for bfloat16, when installed

    return ml_dtypes


_NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
          "uint16", "uint32", "uint64", "bool", "complex64", "complex128"]
_BY_NAME = {name: DType(name, name) for name in _NAMES}
_BY_NAME["string"] = DType("string", "object")
try:
    _BY_NAME["bfloat16"] = DType("bfloat16", str(xp.dtype(_ml_dtypes().bfloat16)))
except ImportError:  # pragma: no cover - ml_dtypes is optional
    pass
_ALIASES = {"half": "float16", "float": "float32", "double": "float64"}
_BY_NUMPY = {dt._np: dt for name, dt in _BY_NAME.items() if name != "string"}


def _numpy_dtype(value):
    if isinstance(value, DType):
        return value._np
    if value is str or value is bytes or value == "string":
        return xp.dtype(object)
    return xp.dtype(value)


def as_dtype(type_value):
    """The :class:`DType` for a DType, a name (``"float32"``), a NumPy dtype or type, or a
    Python type (``float`` -> float32, ``int`` -> int32, as TensorFlow)."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str) and type_value in _BY_NAME:
        return _BY_NAME[type_value]
    if isinstance(type_value, str) and type_value in _ALIASES:
        return _BY_NAME[_ALIASES[type_value]]
    if type_value is float:
        return _BY_NAME["float32"]
    if type_value is int:
        return _BY_NAME["int32"]
    if type_value is bool:
        return _BY_NAME["bool"]
    if type_value in (str, bytes):
        return _BY_NAME["string"]
    try:
        np_dtype = xp.dtype(type_value)
    except TypeError:
        np_dtype = None
    if np_dtype is not None:
        if np_dtype.kind in "OSU":
            return _BY_NAME["string"]
        if np_dtype in _BY_NUMPY:
            return _BY_NUMPY[np_dtype]
    raise TypeError(
        f"Cannot convert the argument `type_value`: {type_value!r} to a TensorFlow DType.")


def cast(x, dtype, name=None):
    """``x`` converted to ``dtype`` (``tf.cast``)."""
    from ember.tf import array_ops

    return array_ops.cast(x, dtype)


def saturate_cast(value, dtype, name=None):
    """``value`` cast to ``dtype``, clipped to its range first (``tf.saturate_cast``)."""
    from ember.tf import array_ops

    return array_ops.saturate_cast(value, dtype)


float16 = half = _BY_NAME["float16"]
float32 = _BY_NAME["float32"]
float64 = double = _BY_NAME["float64"]
int8, int16, int32, int64 = (_BY_NAME[n] for n in ("int8", "int16", "int32", "int64"))
uint8, uint16, uint32, uint64 = (_BY_NAME[n] for n in ("uint8", "uint16", "uint32", "uint64"))
bool = _BY_NAME["bool"]  # noqa: A001 - TensorFlow's name
complex64, complex128 = _BY_NAME["complex64"], _BY_NAME["complex128"]
string = _BY_NAME["string"]
if "bfloat16" in _BY_NAME:
    bfloat16 = _BY_NAME["bfloat16"]

__all__ = ["DType", "as_dtype", "cast", "saturate_cast", *sorted(_BY_NAME), "half", "double"]
