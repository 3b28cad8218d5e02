"""``tf.function``: run a Python function's body once per input signature, then replay it.

The first call with a new signature runs the body eagerly under a trace
(:mod:`ember.autodiff.trace`), which records its ops and effects (variable assignments,
optimizer updates, metric updates, ``tf.print``, GradientTape calls). Later calls with that
signature replay the record on the new inputs without running the Python, as TensorFlow runs
its graph: Python side effects (``print``, list appends) happen only while tracing.

The signature is what TensorFlow keys its traces by: the structure of the arguments (bound to
the function's parameters, defaults applied), each tensor's shape and dtype (NumPy arrays count
as tensors), the value of each other argument (Python numbers retrace per value), and Keras's
training flag. ``input_signature`` fixes the signature (``None`` dimensions accept any size);
``reduce_retracing=True`` generalizes the differing dimensions after a retrace, as TensorFlow.

Differences from TensorFlow, by design:

* ember's records are shape-specific: within a signature with unknown dimensions the body runs
  again for each new concrete shape (``experimental_get_tracing_count`` counts signatures, as
  TensorFlow does).
* No AutoGraph: Python control flow on tensor values is not turned into graph ops. A trace that
  reads a tensor into Python (``if x > 0``, ``float(x)``, ``x.numpy()``), draws random numbers
  outside an op, or hands a traced array to an op as a constant cannot be replayed: ember then
  warns once, naming the function, and runs that signature eagerly, which gives the right
  results (TensorFlow would convert or raise instead).
* The first trace may create Variables (a model or optimizer built on the first call); a later
  trace that creates one raises TensorFlow's ValueError. TensorFlow traces a second time after a
  first trace that created variables, so its count is one higher there and it raises already
  on the first call for a function that creates variables unconditionally.
* ``get_concrete_function`` registers the signature; the body runs on the concrete function's
  first call (running it earlier would apply its effects, such as an optimizer step).

``EMBER_FUNCTION_VERIFY=1`` makes every replay also run the body eagerly from the same state and
raise :class:`ReplayMismatchError` at the first difference in results or state.
"""

import functools
import inspect
import os
import warnings
import weakref

from ember.autodiff import trace as _trace
from ember.autodiff.tensor import Tensor, Variable, convert_to_tensor
from ember.backend import xp
from ember.tf.tensor_shape import TensorShape


class ReplayMismatchError(AssertionError):
    """A replayed trace computed something other than the eager run (verify mode)."""


class TensorSpec:
    """The shape and dtype a ``tf.function`` argument must have (``None``: any size).

    Args:
        shape: a list of ints and Nones, or None for any rank.
        dtype: the dtype (default ``"float32"``).
        name: an optional name.
    """

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = TensorShape(shape)  # unknown rank for None
        self.dtype = xp.dtype(str(getattr(dtype, "name", dtype)))
        self.name = name

    def is_compatible_with(self, value):
        shape, dtype = _shape_dtype(value)
        return dtype == self.dtype and _shape_fits(shape, self.shape)

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        return (f"TensorSpec(shape={_fmt_shape(self.shape)}, dtype=tf.{self.dtype.name}, "
                f"name={self.name!r})")


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None):
    """Compile ``func`` into a callable that traces once per input signature and replays
    (``@tf.function``, ``@tf.function(...)`` or ``tf.function(f, ...)``). See the module's
    docstring for what is traced and how ember differs from TensorFlow."""
    options = dict(input_signature=input_signature, jit_compile=jit_compile,
                   reduce_retracing=bool(reduce_retracing or experimental_relax_shapes))
    if func is None:
        return lambda f: PolymorphicFunction(f, **options)
    if not callable(func):
        raise TypeError(f"tf.function: expected a callable, got {type(func).__name__}")
    return PolymorphicFunction(func, **options)


class PolymorphicFunction:
    """What ``tf.function`` returns: calls trace (first time per signature) or replay."""

    def __init__(self, func, input_signature=None, jit_compile=None, reduce_retracing=False,
                 instance=None):
        self.python_function = func
        self._instance = instance
        self._signature = inspect.signature(func)
        if input_signature is not None:
            input_signature = _check_signature(input_signature, func)
        self.input_signature = input_signature
        self._jit_compile = jit_compile
        self.reduce_retracing = reduce_retracing
        self._cache = {}          # signature key -> _Entry
        self._relaxed = []        # generalized keys (reduce_retracing), newest first
        self._traced = 0          # signatures traced (experimental_get_tracing_count)
        self._warned = False
        self._bound = weakref.WeakKeyDictionary()
        self._bound_by_id = {}
        functools.update_wrapper(self, func, updated=())
        if not hasattr(self, "__name__"):
            self.__name__ = type(func).__name__

    # -- methods: one function per instance, as TensorFlow -------------------------------------
    def __get__(self, instance, owner=None):
        if instance is None or self._instance is not None:
            return self
        try:
            bound = self._bound.get(instance)
        except TypeError:  # unhashable, or no weak references
            bound = self._bound_by_id.get(id(instance))
        if bound is None:
            bound = PolymorphicFunction(
                self.python_function, input_signature=self.input_signature,
                jit_compile=self._jit_compile, reduce_retracing=self.reduce_retracing,
                instance=instance)
            try:
                self._bound[instance] = bound
            except TypeError:
                self._bound_by_id[id(instance)] = bound
        return bound

    def experimental_get_tracing_count(self):
        """How many signatures have been traced."""
        return self._traced

    # -- calling -------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if self._instance is not None:
            args = (self._instance,) + args
        if _trace.tracing[0] and getattr(_trace._state, "trace", None) is not None:
            # inside another traced function: this body becomes part of that trace
            return self.python_function(*args, **kwargs)
        key, leaves, args, kwargs = self._key(args, kwargs)
        return self._entry(self._lookup(key)).call(self, leaves, args, kwargs)

    def _entry(self, key):
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = _Entry()
            self._traced += 1
        return entry

    def get_concrete_function(self, *args, **kwargs):
        """The ConcreteFunction for these arguments (TensorSpecs or values); with no arguments,
        for ``input_signature``. Its body runs on its first call."""
        if self._instance is not None:
            args = (self._instance,) + args
        if not args and not kwargs and self.input_signature is not None:
            args = tuple(self.input_signature)
            if self._instance is not None:
                args = (self._instance,) + args
        key, _, _, _ = self._key(args, kwargs, specs_allowed=True)
        key = self._lookup(key)
        if key not in self._cache and _has_unknown(key):
            self._relaxed.insert(0, key)
        self._entry(key)
        return ConcreteFunction(self, key)

    def _lookup(self, key):
        """The key of the entry serving ``key``: itself, a generalized key it fits, or (with
        reduce_retracing) a new generalized key."""
        if key in self._cache:
            return key
        for relaxed in self._relaxed:
            if _fits(key, relaxed):
                return relaxed
        if self.reduce_retracing and self.input_signature is None:
            for old in self._cache:
                general = _generalize(old, key)
                if general is not None:
                    self._relaxed.insert(0, general)
                    return general
        return key

    def _key(self, args, kwargs, specs_allowed=False):
        """(signature key, tensor leaves, args, kwargs): arrays become Tensors."""
        if self.input_signature is not None:
            args, kwargs = self._apply_signature(args, kwargs, specs_allowed)
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.__name__}(): {e}") from None
        bound.apply_defaults()
        leaves, ids = [], {}
        parts = []
        for name, value in bound.arguments.items():
            converted, key = _convert(value, leaves, specs_allowed)
            bound.arguments[name] = converted
            parts.append((name, key))
        aliases = ()
        for i, leaf in enumerate(leaves):
            if id(leaf) in ids:
                aliases += ((i, ids[id(leaf)]),)
            ids.setdefault(id(leaf), i)
        if self.input_signature is not None:
            parts = ("signature", tuple(self.input_signature))
        from ember.layers.layer import _ctx

        key = (tuple(parts), aliases, getattr(_ctx, "training", None))
        return key, leaves, bound.args, bound.kwargs

    def _signature_names(self):
        return list(self._signature.parameters)

    def _apply_signature(self, args, kwargs, specs_allowed):
        specs = self.input_signature
        offset = 1 if self._instance is not None else 0
        if kwargs:
            names = self._signature_names()[offset:offset + len(specs)]
            args = tuple(args) + tuple(kwargs.pop(n) for n in names[len(args) - offset:]
                                       if n in kwargs)
        given = args[offset:]
        if len(given) != len(specs):
            raise TypeError(
                f"{self.__name__}() takes {len(specs)} tensor arguments (its input_signature) "
                f"but {len(given)} were given")
        out = list(args[:offset])
        for value, spec in zip(given, specs):
            if isinstance(value, TensorSpec) and specs_allowed:
                out.append(value)
                continue
            out.append(_conform(value, spec, self.__name__))
        return tuple(out), kwargs

    # -- reporting -----------------------------------------------------------------------------
    def _warn_eager(self, reason):
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"tf.function {self.__name__!r} cannot be replayed: {reason}. ember runs it "
                "eagerly for this signature (correct, but not compiled). Keep tensor values "
                "in tensors (ember ops) inside the function to compile it.", stacklevel=4)

    def __repr__(self):
        return f"<ember.tf.tf_function {self.__name__}>"


class _Entry:
    """One signature: its Traces by concrete input shapes (ember's records are
    shape-specific), or ``eager`` once a trace could not be replayed."""

    __slots__ = ("traces", "eager")

    def __init__(self):
        self.traces = {}
        self.eager = False

    def call(self, owner, leaves, args, kwargs):
        if self.eager:
            return _outputs(owner.python_function(*args, **kwargs))
        shapes = tuple((tuple(x.shape), x.dtype) for x in leaves)
        tr = self.traces.get(shapes)
        if tr is None:
            return self._trace(owner, shapes, leaves, args, kwargs)
        if os.environ.get("EMBER_FUNCTION_VERIFY", "0") not in ("", "0"):
            return _verify(owner, tr, leaves, args, kwargs)
        return _outputs(tr.replay(leaves))

    def _trace(self, owner, shapes, leaves, args, kwargs):
        first = not any(e.traces or e.eager for e in owner._cache.values())
        tr = _trace.Trace(owner.__name__, first=first)
        with tr:
            for leaf in leaves:
                tr.add_argument(leaf)
            result = owner.python_function(*args, **kwargs)
            tr.set_output(result)
        if tr.escape is not None:
            if owner._jit_compile is True:
                raise ValueError(
                    f"tf.function {owner.__name__!r} with jit_compile=True cannot be compiled: "
                    f"{tr.escape}")
            owner._warn_eager(tr.escape)
            self.eager = True
        else:
            self.traces[shapes] = tr
        return _outputs(result)


class ConcreteFunction:
    """One traced signature of a ``tf.function``; call it with matching arguments."""

    def __init__(self, function, key):
        self._function = function
        self._key = key

    @property
    def python_function(self):
        return self._function.python_function

    @property
    def structured_input_signature(self):
        return self._key[0]

    def __call__(self, *args, **kwargs):
        fn = self._function
        full = ((fn._instance,) + args) if fn._instance is not None else args
        key, leaves, full, kwargs = fn._key(full, kwargs)
        if not _fits(key, self._key):
            raise TypeError(
                f"ConcreteFunction {fn.__name__}: the arguments do not match its signature "
                f"{self._key[0]}")
        return fn._cache[self._key].call(fn, leaves, full, kwargs)

    def __repr__(self):
        return f"<ConcreteFunction {self._function.__name__}>"


# -- signatures ----------------------------------------------------------------------------------
def _shape_dtype(value):
    if isinstance(value, TensorSpec):
        return value.shape, value.dtype
    return tuple(value.shape), xp.dtype(value.dtype)


def _shape_fits(shape, spec_shape):
    if spec_shape is None or spec_shape.rank is None:
        return True
    return len(shape) == len(spec_shape) and all(
        s is None or d == s for d, s in zip(shape, spec_shape))


def _fmt_shape(shape):
    return "<unknown>" if shape is None or shape.rank is None else str(tuple(shape))


def _check_signature(signature, func):
    signature = list(signature) if isinstance(signature, (list, tuple)) else None
    if signature is None:
        raise TypeError("tf.function: input_signature must be a list or tuple of TensorSpecs")
    out = []
    for spec in signature:
        if not isinstance(spec, TensorSpec):
            if hasattr(spec, "shape") and hasattr(spec, "dtype"):
                spec = TensorSpec(spec.shape, spec.dtype, getattr(spec, "name", None))
            else:
                raise TypeError(
                    "tf.function: input_signature must contain TensorSpecs. Received: "
                    f"{spec!r}")
        out.append(spec)
    return out


def _conform(value, spec, name):
    """``value`` as a Tensor matching ``spec`` (NumPy and Python values are converted, as
    TensorFlow; a Tensor of another dtype or shape is a TypeError)."""
    if isinstance(value, Tensor):
        tensor = value
    else:
        try:
            tensor = convert_to_tensor(xp.asarray(value), dtype=spec.dtype)
        except (TypeError, ValueError):
            tensor = None
    got = TensorSpec(tensor.shape, tensor.dtype) if tensor is not None else value
    if tensor is None or tensor.dtype != spec.dtype or not _shape_fits(tensor.shape, spec.shape):
        raise TypeError(
            f"Binding inputs to tf.function failed due to `Can not cast {got!r} to {spec!r}`. "
            f"Received args for {name}: {value!r}")
    return tensor


def _convert(value, leaves, specs_allowed):
    """The argument as the body receives it, and its part of the key; appends tensor leaves."""
    if isinstance(value, Tensor):
        leaves.append(value)
        return value, ("V" if isinstance(value, Variable) else "T",
                       tuple(value.shape), value.dtype.str)
    if isinstance(value, xp.ndarray):
        tensor = Tensor(value)
        leaves.append(tensor)
        return tensor, ("T", tuple(value.shape), value.dtype.str)
    if isinstance(value, TensorSpec) and specs_allowed:
        return value, ("T", value.shape, value.dtype.str)
    if type(value) in (list, tuple) or (isinstance(value, tuple) and hasattr(value, "_fields")):
        items = [_convert(v, leaves, specs_allowed) for v in value]
        converted = [c for c, _ in items]
        if type(value) is list:
            converted_value = converted
        elif type(value) is tuple:
            converted_value = tuple(converted)
        else:
            converted_value = type(value)(*converted)
        return converted_value, (type(value).__name__, tuple(k for _, k in items))
    if type(value) is dict:
        items = {k: _convert(v, leaves, specs_allowed) for k, v in value.items()}
        return ({k: c for k, (c, _) in items.items()},
                ("dict", tuple(sorted((repr(k), key) for k, (_, key) in items.items()))))
    try:
        hash(value)
    except TypeError:
        return value, ("id", id(value))
    return value, ("py", value)


def _has_unknown(key):
    if type(key) is tuple:
        if len(key) == 3 and key[:1] in (("T",), ("V",)):
            return key[1] is None or None in key[1]
        return any(_has_unknown(k) for k in key)
    return False


def _fits(a, b):
    """Whether key ``a`` matches key ``b`` (which may have None dimensions)."""
    if a == b:
        return True
    if type(a) is tuple and type(b) is tuple and len(a) == len(b):
        if len(a) == 3 and a[:1] in (("T",), ("V",)) and b[0] == a[0] and a[2] == b[2]:
            return b[1] is None or (a[1] is not None and len(a[1]) == len(b[1]) and all(
                s is None or d == s for d, s in zip(a[1], b[1])))
        return all(_fits(x, y) for x, y in zip(a, b))
    return False


def _generalize(old, new):
    """``old`` with the dimensions that differ from ``new`` set to None, when they differ in
    tensor shapes only; else None."""
    if old == new:
        return None
    out = _gen(old, new)
    return out if out is not _NO else None


_NO = object()


def _gen(a, b):
    if a == b:
        return a
    if type(a) is tuple and type(b) is tuple and len(a) == len(b):
        if len(a) == 3 and a[:1] in (("T",), ("V",)) and b[0] == a[0] and a[2] == b[2]:
            if a[1] is None or b[1] is None or len(a[1]) != len(b[1]):
                return (a[0], None, a[2])
            return (a[0], tuple(x if x == y else None for x, y in zip(a[1], b[1])), a[2])
        items = [_gen(x, y) for x, y in zip(a, b)]
        return _NO if any(i is _NO for i in items) else tuple(items)
    return _NO


def _outputs(result):
    """Python numbers in a result become Tensors, as TensorFlow returns them."""
    if isinstance(result, (bool, int, float)) and not isinstance(result, Tensor):
        return convert_to_tensor(result)
    if type(result) in (list, tuple):
        return type(result)(_outputs(r) for r in result)
    if type(result) is dict:
        return {k: _outputs(v) for k, v in result.items()}
    return result


# -- verify mode ---------------------------------------------------------------------------------
def _state_of(tr):
    """The Variables and random generators a replay of ``tr`` may read or change."""
    variables, generators, seen = [], [], set()

    def add(obj, depth=0):
        if id(obj) in seen or depth > 2:
            return
        seen.add(id(obj))
        if isinstance(obj, Variable):
            variables.append(obj)
        elif hasattr(obj, "bit_generator"):
            generators.append(obj)
        elif hasattr(obj, "next_generator"):
            add(obj.state, depth + 1)
        elif not isinstance(obj, (Tensor, xp.ndarray)):
            found = getattr(type(obj), "variables", None)
            if isinstance(found, property):
                try:
                    for v in obj.variables:
                        add(v, depth + 1)
                except Exception:  # noqa: BLE001 - a property that needs a built object
                    pass

    for value in tr.template:
        add(value)
    for fn, _, _ in tr.nodes:  # random ops keep their generator (effects' are constants)
        for value in getattr(fn, "__dict__", {}).values():
            if hasattr(value, "bit_generator") or hasattr(value, "next_generator"):
                add(value)
    from ember import config

    add(config.rng())
    return variables, generators


def _snapshot(variables, generators):
    return ([v.data.copy() for v in variables],
            [g.bit_generator.state for g in generators])


def _restore(state, variables, generators):
    arrays, gstates = state
    for v, a in zip(variables, arrays):
        v.data[...] = a
    for g, s in zip(generators, gstates):
        g.bit_generator.state = s


def _verify(owner, tr, leaves, args, kwargs):
    variables, generators = _state_of(tr)
    before = _snapshot(variables, generators)
    replayed = _outputs(tr.replay(leaves))
    after_replay = _snapshot(variables, generators)
    _restore(before, variables, generators)
    eager = _outputs(owner.python_function(*args, **kwargs))
    after_eager = _snapshot(variables, generators)
    a, b = _trace._leaves(replayed), _trace._leaves(eager)
    if len(a) != len(b):
        raise ReplayMismatchError(
            f"tf.function {owner.__name__!r}: the replay returned {len(a)} values, the eager "
            f"run {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        _compare(owner, f"result {i}", x, y)
    for v, x, y in zip(variables, after_replay[0], after_eager[0]):
        _compare(owner, f"variable {v.path!r}", x, y)
    return replayed


def _compare(owner, what, x, y):
    x = x.data if isinstance(x, Tensor) else x
    y = y.data if isinstance(y, Tensor) else y
    if isinstance(x, (xp.ndarray, xp.generic)) or isinstance(y, (xp.ndarray, xp.generic)):
        x, y = xp.asarray(x), xp.asarray(y)
        same = x.shape == y.shape and x.dtype == y.dtype and bool(
            xp.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
        if not same:
            detail = (f"max |difference| {float(xp.max(xp.abs(x - y)))}"
                      if x.shape == y.shape and x.dtype.kind in "fc" else
                      f"{x.shape} {x.dtype} vs {y.shape} {y.dtype}")
            raise ReplayMismatchError(
                f"tf.function {owner.__name__!r}: {what} differs between the replay and the "
                f"eager run ({detail}): work escaped the trace")
    elif type(x) is not type(y) and not (x is None or y is None):
        raise ReplayMismatchError(
            f"tf.function {owner.__name__!r}: {what} is a {type(x).__name__} in the replay "
            f"and a {type(y).__name__} in the eager run")
