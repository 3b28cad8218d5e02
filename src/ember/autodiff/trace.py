"""Tracing: record what one run of a Python function does to tensors and state, then replay the
record on new inputs without running the Python again (the machinery of ``tf.function``).

While a :class:`Trace` is active (``with trace:``) the function runs eagerly, as usual, and

* every op (``Function.apply``) appends an *op node* ``(function, input refs, output slot)``;
* every *effect* - a call that changes state or talks to the world: ``Variable.assign*``,
  ``Optimizer.apply``, metric updates, ``tf.print``, the GradientTape's methods - appends a
  *call node*. The call runs now with recording paused inside it, and runs again, on the
  replayed values, at each replay;
* objects made during the run that replay must make afresh (a GradientTape) are call nodes too.

A ref is a slot of the replay's list ``env``: an argument, a constant (a captured Variable stays
the Variable, so a replay reads its value at that moment: the optimizer's flat buffers and
``assign`` keep working), or the output of an earlier node. Replay re-applies the recorded
``Function`` objects in order, so tapes active during a replay record as in eager mode, and
random ops draw afresh.

What cannot be replayed: values taken out of the traced computation into Python or raw arrays
(``.numpy()``, ``float()``, ``bool()`` on a traced tensor, a traced array - or a view of one -
passed to an op as a constant or kept in an op's attributes) and random numbers drawn outside an
op. Each marks the trace with ``escape`` (a reason); ``tf.function`` then runs that signature
eagerly. Work on raw arrays that copies a traced value first is not detected: it would be frozen
into a constant. Library code must therefore do such work inside an op's ``forward`` or behind
an effect; ``EMBER_FUNCTION_VERIFY=1`` checks each replay against an eager run.

Registering an effect (for library code, e.g. ``tf.print``)::

    from ember.autodiff.trace import effect

    @effect
    def print_values(*values):          # or a method: ``self`` becomes a constant or a ref
        ...

Under a trace each call of ``print_values`` is recorded; Tensors among its arguments (at any
depth of lists, tuples and dicts) are replaced at replay by their replayed values, the rest are
passed as they were. Iterators among the arguments (``zip(grads, vars)``) are turned into lists.
Tensors, arrays and objects the call returns become slots that later nodes can use.
:func:`created` records an object made during a trace (``GradientTape.__init__`` calls it).
"""

import functools
import threading
import types

_state = threading.local()
#: how many traces are active in any thread: the hooks' fast path checks it first
tracing = [0]

_PRIMITIVE = (type(None), bool, int, float, complex, str, bytes, type)


def current():
    """The active, unpaused trace of this thread, or None."""
    tr = getattr(_state, "trace", None)
    if tr is None or tr._paused:
        return None
    return tr


class Ref:
    """A leaf of a call node's argument template: slot ``slot`` of ``env`` (its ``.data`` when
    ``raw``)."""

    __slots__ = ("slot", "raw")

    def __init__(self, slot, raw=False):
        self.slot, self.raw = slot, raw

    def __repr__(self):
        return f"Ref({self.slot}{', raw' if self.raw else ''})"


class Trace:
    """The record of one run: ``nodes`` in order, the ``env`` template with constants, and
    ``escape`` (why it cannot be replayed, or None).

    Args:
        name: what is traced (for messages).
        first: whether this is the first trace of its function (only it may create Variables).
    """

    def __init__(self, name="function", first=True):
        self.name = name
        self.first = first
        self.nodes = []
        self.template = []        # env: constants; None for argument and output slots
        self.arg_slots = []       # the slot of each argument leaf, in order
        self.escape = None
        self.output = None        # the template of the function's result
        self.created_variables = []
        self._slot = {}           # id(traced object) -> slot
        self._array = {}          # id(array of a traced Tensor) -> slot
        self._const = {}          # id(constant) -> slot
        self._keep = []           # keeps the ids above valid while tracing
        self._paused = 0
        self._outer = None

    # -- activation --------------------------------------------------------------------------
    def __enter__(self):
        self._outer = getattr(_state, "trace", None)
        _state.trace = self
        tracing[0] += 1
        return self

    def __exit__(self, *exc):
        _state.trace = self._outer
        tracing[0] -= 1
        self._finish()
        return False

    def paused(self):
        """Context manager: nothing is recorded inside (effects and op internals run there)."""
        return _Paused(self)

    def mark_escape(self, reason):
        if self.escape is None:
            self.escape = reason

    # -- slots -------------------------------------------------------------------------------
    def _new_slot(self, obj=None, value=None):
        slot = len(self.template)
        self.template.append(value)
        if obj is not None:
            self._slot[id(obj)] = slot
            self._keep.append(obj)
            data = getattr(obj, "data", None) if _is_tensor(obj) else obj
            if _is_array(data) and id(data) not in self._array:
                self._array[id(data)] = slot
                self._keep.append(data)
        return slot

    def add_argument(self, value):
        """Slot for the next argument leaf (a Tensor, or a Variable passed by the caller)."""
        slot = self._slot.get(id(value))
        if slot is None:
            slot = self._new_slot(value)
        self.arg_slots.append(slot)
        return slot

    def _constant(self, value):
        key = id(value)
        slot = self._const.get(key)
        if slot is None:
            slot = self._const[key] = len(self.template)
            self.template.append(value)
            self._keep.append(value)
        return slot

    def is_traced(self, obj):
        """Whether ``obj`` is a value of this trace (an argument or a node output)."""
        return id(obj) in self._slot

    def _tainted(self, array):
        """Whether ``array`` is the array of a traced value or a view into one."""
        for _ in range(8):
            if id(array) in self._array:
                return True
            array = getattr(array, "base", None)
            if array is None:
                return False
        return False

    def _ref(self, x, where):
        """The slot ``x`` reads at replay: negative (``~slot``) for the raw array of a slot."""
        slot = self._slot.get(id(x))
        if slot is not None:
            return slot
        if _is_array(x):
            slot = self._array.get(id(x))
            if slot is not None:
                return ~slot
            if self._tainted(x):
                self.mark_escape(f"a view of a traced value was passed to {where} as a constant")
        elif _is_tensor(x) and not _is_variable(x) and self._tainted(x.data):
            slot = self._array.get(id(x.data))
            if slot is not None:
                return ~slot
            self.mark_escape(f"a view of a traced value was passed to {where} as a constant")
        return self._constant(x)

    # -- recording ---------------------------------------------------------------------------
    def apply(self, fn, inputs):
        """Run ``fn.apply(*inputs)`` eagerly and record it."""
        where = f"op {type(fn).__name__}"
        for value in getattr(fn, "__dict__", {}).values():
            for a in (value if isinstance(value, (tuple, list)) else (value,)):
                if (_is_array(a) and self._tainted(a)) or (
                        _is_tensor(a) and self._tainted(a.data)):
                    self.mark_escape(f"{where} keeps a traced value in its attributes")
        refs = tuple(self._ref(x, where) for x in inputs)
        self._paused += 1
        try:
            out = fn.apply(*inputs)
        finally:
            self._paused -= 1
        self.nodes.append((fn, refs, self._new_slot(out)))
        return out

    def call(self, fn, args, kwargs):
        """Run the effect ``fn(*args, **kwargs)`` eagerly (unrecorded inside) and record it."""
        args, kwargs = _materialize(args), _materialize(kwargs)
        where = getattr(fn, "__qualname__", repr(fn))
        targs = self._template(args, where)
        tkwargs = self._template(kwargs, where)
        self._paused += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            self._paused -= 1
        self.nodes.append((_call, (fn, targs, tkwargs), self._bind(result)))
        return result

    def created(self, obj, factory, args, kwargs):
        """Record that ``obj`` was made by ``factory(*args, **kwargs)``: replay makes a new one."""
        where = getattr(factory, "__qualname__", repr(factory))
        targs = self._template(_materialize(args), where)
        tkwargs = self._template(_materialize(kwargs), where)
        self.nodes.append((_call, (factory, targs, tkwargs), self._new_slot(obj)))

    def read(self, tensor, how):
        """A traced tensor's value was taken into Python (``how``: ``"float()"``, ...)."""
        if id(tensor) in self._slot or _is_variable(tensor):
            self.mark_escape(f"{how} was called on a traced tensor")

    def _template(self, value, where):
        if isinstance(value, (list, tuple)):
            items = [self._template(v, where) for v in value]
            if type(value) is list:
                return items
            if type(value) is tuple:
                return tuple(items)
            return _Rebuild(type(value), items)  # a namedtuple
        if isinstance(value, dict):
            return {k: self._template(v, where) for k, v in value.items()}
        if isinstance(value, _PRIMITIVE):
            return value
        ref = self._ref(value, where)
        return Ref(ref) if ref >= 0 else Ref(~ref, raw=True)

    def _bind(self, result):
        """Slots for the objects in an effect's result (by position in its flattening)."""
        spec = []
        for leaf in _leaves(result):
            if isinstance(leaf, _PRIMITIVE) or _is_variable(leaf) or id(leaf) in self._const:
                spec.append(None)
            elif id(leaf) in self._slot:
                spec.append(None)  # already a slot (an effect returned its argument)
            else:
                spec.append(self._new_slot(leaf))
        return spec

    def set_output(self, result):
        self.output = self._template(result, "the result")

    def _finish(self):
        # Layers tag a softmax's output with its logits (``_keras_logits``) and outputs with
        # masks; a replayed Tensor gets the same tags, pointing at the replayed values.
        tags = {}
        for obj in self._keep:
            if not _is_tensor(obj) or _is_variable(obj):
                continue
            out = self._slot.get(id(obj))
            for attr in ("_keras_logits", "_keras_mask"):
                src = getattr(obj, attr, None)
                if src is not None and id(src) in self._slot:
                    tags.setdefault(out, []).append((attr, self._slot[id(src)]))
        if tags:
            self.nodes = [(fn, refs, (out, tags[out])) if out in tags and fn is not _call
                          else (fn, refs, out) for fn, refs, out in self.nodes]
        self._slot = self._array = self._const = None
        self._keep = []

    # -- replay ------------------------------------------------------------------------------
    def replay(self, arguments):
        """Run the record on ``arguments`` (the argument leaves, in order); returns the result
        built from the output template."""
        env = self.template[:]
        for slot, value in zip(self.arg_slots, arguments):
            env[slot] = value
        for fn, refs, out in self.nodes:
            if fn is _call:
                _call(refs, out, env)
                continue
            value = fn.apply(*[env[r] if r >= 0 else env[~r].data for r in refs])
            if type(out) is tuple:
                out, tags = out
                for attr, src in tags:
                    setattr(value, attr, env[src])
            env[out] = value
        return _resolve(self.output, env)


def _call(node, spec, env):
    fn, targs, tkwargs = node
    result = fn(*_resolve(targs, env), **_resolve(tkwargs, env))
    if type(spec) is int:  # an object made by a factory
        env[spec] = result
        return
    leaves = _leaves(result)
    if len(leaves) != len(spec):
        raise RuntimeError(
            f"{getattr(fn, '__qualname__', fn)} returned {len(leaves)} values when replayed; "
            f"it returned {len(spec)} while traced")
    for slot, leaf in zip(spec, leaves):
        if slot is not None:
            env[slot] = leaf


def _resolve(template, env):
    t = type(template)
    if t is Ref:
        value = env[template.slot]
        return value.data if template.raw else value
    if t is list:
        return [_resolve(v, env) for v in template]
    if t is tuple:
        return tuple(_resolve(v, env) for v in template)
    if t is dict:
        return {k: _resolve(v, env) for k, v in template.items()}
    if t is _Rebuild:
        return template.cls(*[_resolve(v, env) for v in template.items])
    return template


class _Rebuild:
    __slots__ = ("cls", "items")

    def __init__(self, cls, items):
        self.cls, self.items = cls, items


class _Paused:
    def __init__(self, trace):
        self.trace = trace

    def __enter__(self):
        self.trace._paused += 1

    def __exit__(self, *exc):
        self.trace._paused -= 1
        return False


def _leaves(value):
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out.extend(_leaves(v))
        return out
    if isinstance(value, dict):
        out = []
        for v in value.values():
            out.extend(_leaves(v))
        return out
    return [value]


_ONE_SHOT = (zip, map, filter, enumerate, reversed, types.GeneratorType,
             type(iter([])), type(iter(())), type(iter({})))


def _materialize(value):
    """One-shot iterators (``zip(grads, vars)``) become lists: the call consumes them, replay
    needs them again. Other iterators (a file given to ``tf.print``) are passed as they are."""
    if isinstance(value, _ONE_SHOT):
        return [_materialize(v) for v in value]
    if type(value) in (list, tuple):
        return type(value)(_materialize(v) for v in value)
    if type(value) is dict:
        return {k: _materialize(v) for k, v in value.items()}
    return value


def _is_tensor(x):
    return hasattr(type(x), "_is_trainable_var")  # Tensor and Variable, without importing them


def _is_variable(x):
    return hasattr(type(x), "assign") and _is_tensor(x)


def _is_array(x):
    return hasattr(type(x), "__array_interface__") and hasattr(x, "base")


# -- the hooks library code calls ----------------------------------------------------------------
def effect(fn):
    """Decorator: under a trace, calls of ``fn`` are recorded and re-run at each replay (see the
    module docstring). Costs one list lookup per call when nothing is traced."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if tracing[0]:
            tr = current()
            if tr is not None:
                return tr.call(fn, args, kwargs)
        return fn(*args, **kwargs)

    wrapper._ember_effect = True
    return wrapper


def created(obj, factory, *args, **kwargs):
    """Tell an active trace that ``obj`` was made by ``factory(*args, **kwargs)``."""
    tr = current()
    if tr is not None:
        tr.created(obj, factory, args, kwargs)


def read(tensor, how):
    """Tell an active trace that ``tensor``'s value was taken into Python."""
    tr = current()
    if tr is not None:
        tr.read(tensor, how)


def random_drawn(where="a random op"):
    """Tell an active trace that random numbers were drawn outside an op's forward."""
    tr = current()
    if tr is not None:
        tr.mark_escape(f"random numbers were drawn outside an op ({where})")


def variable_created(variable):
    """Tell the active trace (paused or not) that a Variable was made while it runs."""
    tr = getattr(_state, "trace", None)
    if tr is not None:
        tr.created_variables.append(variable)
        if not tr.first:
            raise ValueError(
                "tf.function only supports singleton tf.Variables created on the first call. "
                "Make sure the tf.Variable is only created once or created outside tf.function. "
                "See https://www.tensorflow.org/guide/function#creating_tfvariables for more "
                "information.")


def recorded_op(fn, inputs):
    """``fn.apply(*inputs)`` under the active trace (``Function.apply`` calls it)."""
    return _state.trace.apply(fn, inputs)


def nograd(fn, *args, **kwargs):
    """``Tensor(fn(*arrays, **kwargs))`` for a non-differentiable op, recorded as an op node so
    that a replay recomputes it (ops that build their result from raw arrays call this while
    ``tracing[0]``; eagerly they keep their direct path)."""
    from ember.autodiff.function import Function

    class NoGradient(Function):
        def forward(self, *arrays):
            return fn(*arrays, **kwargs)

        def backward(self, gy):
            return (None,) * len(args)

    return NoGradient().apply(*args)
