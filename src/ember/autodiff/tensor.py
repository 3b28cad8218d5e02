"""Tensor and Variable.

A Tensor wraps one array (``.data``). Results of ops are Tensors; while a GradientTape records,
``_rec`` holds the ids of the tapes that recorded the op producing it. A Variable is a Tensor
that holds state: ``assign`` writes into the existing array, so a Variable's array may be a view
into a larger buffer (the optimizer packs all trainable variables into one flat buffer).
"""

import itertools

from ember import config
from ember.autodiff import trace as _trace
from ember.backend import xp
from ember.tf.tensor_shape import TensorShape

_new_tuple = tuple.__new__  # a TensorShape from a tuple of ints, without re-checking them

# tf.function's hooks: reading a traced value into Python makes its trace unreplayable
_tracing = _trace.tracing


class Tensor:
    """An immutable n-dimensional array that takes part in automatic differentiation."""

    __slots__ = ("data", "_rec", "_keras_logits", "_keras_mask", "__weakref__")
    __array_priority__ = 1000
    _is_trainable_var = False

    def __init__(self, data):
        self.data = data
        self._rec = ()
        self._keras_logits = None
        self._keras_mask = None

    # -- array protocol ----------------------------------------------------------------------
    @property
    def shape(self):
        """The shape as a ``TensorShape``: a tuple of ints (``x.shape[0]``, ``x.shape ==
        (2, 3)``) with TensorFlow's methods (``as_list()``, ``rank``, ``num_elements()``)."""
        return _new_tuple(TensorShape, self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    def numpy(self):
        """The value as a NumPy array."""
        if _tracing[0]:
            _trace.read(self, ".numpy()")
        return self.data

    def __ember_array__(self):
        return self.data

    def __array__(self, dtype=None, copy=None):
        if _tracing[0]:
            _trace.read(self, "numpy.asarray()")
        # xp.asarray: a 0-d result may hold a NumPy scalar; NumPy wants an ndarray back
        data = xp.asarray(self.data)
        if dtype is not None and data.dtype != dtype:
            return data.astype(dtype)
        return data.copy() if copy else data

    @property
    def device(self):
        """Where the value lives: always the host CPU (TensorFlow's full device name)."""
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    def __len__(self):
        if not self.data.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __float__(self):
        if _tracing[0]:
            _trace.read(self, "float()")
        return float(self.data)

    def __int__(self):
        if _tracing[0]:
            _trace.read(self, "int()")
        return int(self.data)

    def __index__(self):
        if _tracing[0]:
            _trace.read(self, "an index")
        return int(self.data)

    def __bool__(self):
        if _tracing[0]:
            _trace.read(self, "bool()")
        return bool(self.data)

    def __repr__(self):
        return f"<Tensor shape={self.shape} dtype={self.dtype.name} value={self.data.tolist()}>"

    def __hash__(self):
        return id(self)

    def __format__(self, format_spec):
        """``f"{loss:.4f}"`` formats a 0-d tensor's value as the Python number it holds, as
        eager JAX/TF tensors do; an n-d tensor takes no format spec (TypeError, as NumPy)."""
        if not format_spec:
            return str(self)
        if self.data.ndim == 0:
            return format(self.data.item(), format_spec)
        raise TypeError(
            f"unsupported format string passed to {type(self).__name__}.__format__: "
            f"{format_spec!r} for a tensor of shape {self.shape}; only 0-d tensors take a "
            "format spec (format float(t) or t.numpy() instead)"
        )

    @property
    def T(self):
        from ember.ops import transpose

        return transpose(self)

    def astype(self, dtype):
        from ember.ops import cast

        return cast(self, dtype)

    # -- operators (defined in ember.ops; imported lazily to avoid a cycle) --------------------
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __truediv__(self, other):
        return _ops().divide(self, other)

    def __rtruediv__(self, other):
        return _ops().divide(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __pow__(self, other):
        return _ops().power(self, other)

    def __rpow__(self, other):
        return _ops().power(other, self)

    def __neg__(self):
        return _ops().negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops().abs(self)

    def __floordiv__(self, other):
        return _ops().floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _ops().floor_divide(other, self)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __rmod__(self, other):
        return _ops().mod(other, self)

    # &, |, ^, ~ as TensorFlow's: logical on bools, bitwise on integers
    def __and__(self, other):
        return _bitwise("and", self, other)

    def __rand__(self, other):
        return _bitwise("and", other, self)

    def __or__(self, other):
        return _bitwise("or", self, other)

    def __ror__(self, other):
        return _bitwise("or", other, self)

    def __xor__(self, other):
        return _bitwise("xor", self, other)

    def __rxor__(self, other):
        return _bitwise("xor", other, self)

    def __invert__(self):
        if self.dtype == xp.bool_:
            return _ops().logical_not(self)
        return _bitwise("invert", self)

    def __getitem__(self, key):
        return _ops().getitem(self, key)

    def __eq__(self, other):
        return _ops().equal(self, other)

    def __ne__(self, other):
        return _ops().not_equal(self, other)

    def __lt__(self, other):
        return _ops().less(self, other)

    def __le__(self, other):
        return _ops().less_equal(self, other)

    def __gt__(self, other):
        return _ops().greater(self, other)

    def __ge__(self, other):
        return _ops().greater_equal(self, other)


_OPS = None


def _ops():
    global _OPS
    if _OPS is None:
        import ember.ops as ops

        _OPS = ops
    return _OPS


def _bitwise(kind, *operands):
    arrays = [x.data if isinstance(x, Tensor) else xp.asarray(x) for x in operands]
    if all(a.dtype == xp.bool_ for a in arrays):
        return getattr(_ops(), f"logical_{kind}")(*operands)
    for a in arrays:
        if a.dtype.kind not in "iub":
            raise TypeError(
                f"operator {kind!r} needs boolean or integer tensors, got dtype {a.dtype.name} "
                f"(shapes {[b.shape for b in arrays]})")
    return getattr(_ops(), f"bitwise_{kind}")(*operands)


_var_ids = itertools.count()

# Bumped whenever a variable's `trainable` flag or a layer's set of weights/sub-layers changes,
# so that layers and trainers can cache their variable lists between steps.
structure_version = [0]


def bump_structure():
    structure_version[0] += 1


class Variable(Tensor):
    """Mutable state, as ``keras.Variable`` / ``tf.Variable``.

    Args:
        initializer: an array-like value, or an initializer (callable taking ``shape, dtype``).
        shape: the shape, needed when ``initializer`` is a callable.
        dtype: defaults to ``floatx()`` (float32) for float values.
        trainable: whether optimizers update it and tapes watch it automatically.
        name: a short name (``"kernel"``); ``path`` adds the owning layer's name.
    """

    __slots__ = ("name", "path", "trainable", "_is_trainable_var", "regularizer", "constraint",
                 "_uid", "autocast")

    def __init__(self, initializer=None, shape=None, dtype=None, trainable=True, name=None,
                 value=None, initial_value=None):
        if initializer is None:  # keras.Variable(value=...) and tf.Variable(initial_value=...)
            initializer = value if value is not None else initial_value
        if initializer is None:
            raise ValueError("Variable needs an initial value or an initializer.")
        if callable(initializer) and not hasattr(initializer, "shape"):
            if shape is None:
                raise ValueError(
                    f"Variable {name!r}: a callable initializer needs a `shape`."
                )
            array = initializer(tuple(shape), dtype=dtype or config.floatx())
            array = _as_array(array)
        else:
            array = _as_array(initializer)
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        elif array.dtype.kind == "f" and array.dtype != config.floatx():
            array = array.astype(config.floatx())
        if shape is not None and tuple(array.shape) != tuple(shape):
            raise ValueError(
                f"Variable {name!r}: initial value has shape {array.shape}, expected {tuple(shape)}"
            )
        super().__init__(xp.array(array, copy=True))
        self._uid = next(_var_ids)
        if _tracing[0]:
            _trace.variable_created(self)
        self.name = name or f"variable_{self._uid}"
        self.path = self.name
        self.trainable = bool(trainable)
        self.regularizer = None
        self.constraint = None
        self.autocast = True  # read in a mixed-precision layer's compute dtype (add_weight)

    def __setattr__(self, key, value):
        object.__setattr__(self, key, value)
        if key == "trainable":
            object.__setattr__(self, "_is_trainable_var", bool(value))
            structure_version[0] += 1

    @property
    def value(self):
        return Tensor(self.data)

    def numpy(self):
        """A copy of the current value: a later ``assign`` does not change it (as TF's)."""
        return super().numpy().copy()

    def read_value(self):
        """The current value as a new Tensor (a copy), recorded so that gradients reach the
        variable, as ``tf.Variable.read_value``."""
        from ember.autodiff.function import ReadVariable

        return ReadVariable().apply(self)

    @_trace.effect
    def assign(self, value):
        """Write ``value`` into the variable (in place, keeping its shape and dtype)."""
        array = _as_array(value)
        if array.shape != self.data.shape and array.size != self.data.size:
            raise ValueError(
                f"Variable {self.path!r} has shape {self.data.shape}; cannot assign a value of "
                f"shape {array.shape}"
            )
        self.data[...] = array.reshape(self.data.shape)
        return self

    @_trace.effect
    def assign_add(self, value):
        self.data += _as_array(value)
        return self

    @_trace.effect
    def assign_sub(self, value):
        self.data -= _as_array(value)
        return self

    def __format__(self, format_spec):
        # keras.Variable takes no format spec, whatever its shape (a plain object's TypeError)
        if not format_spec:
            return str(self)
        raise TypeError(
            f"unsupported format string passed to Variable.__format__: {format_spec!r} for "
            f"variable {self.path!r}; format float(v) or v.numpy() instead"
        )

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype.name}, "
            f"value={self.data!r}>"
        )

    def __hash__(self):
        return id(self)


class _AnyVariable(type):
    """Every ember variable is an instance of the public ``Variable`` (layer weights included),
    as every TensorFlow variable is a ``tf.Variable``."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Variable)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, Variable)


class NamedVariable(Variable, metaclass=_AnyVariable):
    """``ember.Variable``, as users create it (``tf.Variable`` / ``keras.Variable``).

    It names itself as TensorFlow does: ``tf.Variable(1.0, name="x").name == "x:0"`` (the name
    of its output tensor) and ``"Variable:0"`` without a name; ``path`` keeps the plain name.
    The variables ember creates itself (layer weights, optimizer slots, metric state) are plain
    :class:`Variable` objects with Keras's names (``"kernel"``), as ``tf.keras`` weights are.
    """

    __slots__ = ()

    def __init__(self, initializer=None, shape=None, dtype=None, trainable=True, name=None,
                 value=None, initial_value=None):
        super().__init__(initializer, shape=shape, dtype=dtype, trainable=trainable,
                         name=name or "Variable", value=value, initial_value=initial_value)
        if name is None:
            self.path = f"variable_{self._uid}"  # unique, as an unnamed variable's path was
        if ":" not in self.name:
            self.name = f"{self.name}:0"


def _as_array(value):
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, float):
        return xp.asarray(value, dtype=config.floatx())
    return python_ints_to_int32(xp.asarray(value), value)


_INT32 = xp.iinfo("int32")


def python_ints_to_int32(array, value):
    """``array`` (``xp.asarray(value)``) as int32 when ``value`` is Python data (an int or a
    nested list of ints) that fits, as TensorFlow and Keras make it; NumPy data keeps its dtype."""
    if (array.dtype == xp.int64 and not isinstance(value, (xp.ndarray, xp.generic))
            and (not array.size or _INT32.min <= array.min() and array.max() <= _INT32.max)):
        return array.astype(xp.int32)
    return array


def convert_to_tensor(x, dtype=None, dtype_hint=None, name=None, sparse=None, ragged=None):
    """A Tensor for ``x``. Python floats become floatx and Python ints int32 (as TensorFlow);
    arrays keep their dtype unless ``dtype`` is given. ``dtype_hint`` is used only when ``x``
    is Python data that has no dtype of its own; ``name`` is accepted and ignored.

    A Variable gives a Tensor of its current value (as TensorFlow's and Keras's do): a later
    ``assign`` does not change it, and a tape differentiates through the read."""
    if isinstance(x, Variable):
        x = x.read_value()
    if isinstance(x, Tensor):
        if dtype is not None and x.dtype != dtype:
            return x.astype(dtype)
        return x
    if dtype is None and dtype_hint is not None and not hasattr(x, "dtype"):
        dtype = dtype_hint
    if dtype is None:
        array = xp.asarray(x)
        if array.dtype == "float64" and not isinstance(x, xp.ndarray):
            array = array.astype(config.floatx())
        array = python_ints_to_int32(array, x)
    else:
        array = xp.asarray(x, dtype=dtype)
    return Tensor(array)


def data_of(x):
    """The raw array behind a Tensor, or ``x`` itself."""
    return x.data if isinstance(x, Tensor) else x
