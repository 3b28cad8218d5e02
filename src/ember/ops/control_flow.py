"""Control flow (``keras.ops.cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``,
``associative_scan``, ``map``, ``vectorized_map``) and ``custom_gradient``.

ember runs eagerly, so control flow is Python control flow: a branch or a loop body runs as
Python, and every ember op it applies is recorded by the active GradientTape like any other op.
Gradients therefore flow through branches, loops and stacked outputs with no machinery of their
own; the one op added here is :func:`_split_rows`, which slices a tensor into its rows with a
linear-cost gradient (one ``getitem`` per row would cost ``O(rows**2)`` in the backward pass).

Nested structures are JAX's pytrees: lists, tuples (namedtuples too), dicts (in sorted key
order) and None (a structure with no leaves).

Under ``tf.function`` (a trace whose recorded ops are replayed): a predicate or a loop condition
that is a traced tensor is read into Python (``bool()``), which marks the trace unreplayable, so
tf.function runs that signature eagerly - always the right branch, never one frozen at trace
time. Python predicates and loop counts are fixed at trace time, as in TensorFlow without
AutoGraph. ``custom_gradient`` also runs eagerly under a trace (its function is Python).
"""

import functools
import inspect

from ember import tree
from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tape import GradientTape, active_tapes
from ember.autodiff.tensor import Tensor, convert_to_tensor
from ember.backend import xp
from ember.ops._helpers import raw


# -- nested structures ------------------------------------------------------------------------
def _leaves(structure):
    """The leaves of ``structure`` in ``keras.tree`` order; None is an empty node (as JAX's
    pytrees, which Keras's control flow follows), not a leaf."""
    return [leaf for leaf in tree.flatten(structure) if leaf is not None]


def _pack(structure, leaves):
    """``leaves`` (an iterator, in :func:`_leaves`' order) arranged as ``structure``."""
    return tree.map_structure(lambda leaf: None if leaf is None else next(leaves), structure)


def _map(fn, structure):
    return _pack(structure, iter([fn(leaf) for leaf in _leaves(structure)]))


def _skeleton(structure):
    """``structure`` with its leaves replaced by 0: equal for structures of one shape."""
    return _map(lambda leaf: 0, structure)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else convert_to_tensor(x)


def _carry(op, before, after, what="carry"):
    """A loop's new state, checked against the old one: the same structure and shapes, and the
    same dtypes (as JAX requires). A float (or int) that came back as another float (int)
    width - ``s + i`` with a float32 ``s`` and the int32 counter ``i`` gives float64 in NumPy -
    is cast back; a change of kind is an error."""
    from ember.ops.elementwise import cast

    after = _map(_as_tensor, after)
    if _skeleton(before) != _skeleton(after):
        raise TypeError(f"{op}: the body must return a {what} with the structure of its input; "
                        f"got {_skeleton(after)!r} for {_skeleton(before)!r}")
    fixed = []
    for a, b in zip(_leaves(before), _leaves(after)):
        if tuple(a.shape) != tuple(b.shape):
            raise TypeError(f"{op}: the {what} must keep its shape across iterations; shape "
                            f"{tuple(a.shape)} became {tuple(b.shape)}")
        if a.dtype != b.dtype:
            if a.dtype.kind != b.dtype.kind:
                raise TypeError(f"{op}: the {what} must keep its dtype across iterations; "
                                f"{a.dtype.name} became {b.dtype.name}")
            b = cast(b, a.dtype)
        fixed.append(b)
    return _pack(after, iter(fixed))


def _scalar(value, op, what):
    array = xp.asarray(raw(value))
    if array.ndim != 0:
        raise TypeError(f"{op}: {what} must be a scalar, got shape {array.shape}")
    return value


# -- branches ---------------------------------------------------------------------------------
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()`` (``pred``: a boolean scalar).

    Only the chosen branch runs (eagerly); its ops are recorded by an active tape."""
    return true_fn() if bool(_scalar(pred, "cond", "pred")) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, with ``index`` clamped to ``[0, len(branches) - 1]``."""
    branches = list(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of callables")
    i = xp.asarray(raw(_scalar(index, "switch", "index")))
    if i.dtype.kind not in "iub":
        raise TypeError(f"switch: index must be an integer, got dtype {i.dtype}")
    # int(index), not int(i): reading a traced index tells tf.function (see the docstring)
    return branches[min(max(int(index), 0), len(branches) - 1)](*operands)


# -- loops ------------------------------------------------------------------------------------
def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most
    ``maximum_iterations`` times). A list or tuple of loop variables is passed positionally
    and comes back as a tuple; any other structure is passed as one argument. The variables
    must keep their structure and shapes."""
    is_seq = isinstance(loop_vars, (list, tuple))
    state = tuple(_map(_as_tensor, tuple(loop_vars) if is_seq else (loop_vars,)))
    if maximum_iterations is not None:
        maximum_iterations = int(maximum_iterations)
    n = 0
    while maximum_iterations is None or n < maximum_iterations:
        if not bool(_scalar(cond(*state), "while_loop", "the value of cond")):
            break
        out = body(*state)
        out = tuple(out) if is_seq and isinstance(out, (list, tuple)) else (out,)
        state, n = _carry("while_loop", state, out, "loop_vars"), n + 1
    return state if is_seq else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)`` (``i`` an int32 scalar
    Tensor); returns the final ``val``."""
    val = _map(_as_tensor, init_val)
    for i in range(int(lower), int(upper)):
        out = body_fun(Tensor(xp.asarray(i, dtype="int32")), val)
        val = _carry("fori_loop", val, out, "loop value")
    return val


class _Rows(Function):
    """The hub of :func:`_split_rows`. Its output is a placeholder scalar on which every row
    depends; a row's backward leaves its gradient in ``deposits`` and gives the hub a zero, so
    the tape reaches the hub after all the rows and gets ``x``'s gradient in one array."""

    def __init__(self):
        self.deposits = {}

    def forward(self, x):
        self.shape = x.shape
        return xp.zeros((), dtype=x.dtype)

    def _collect(self):
        deposits, self.deposits = self.deposits, {}
        return deposits

    def backward(self, gy):
        g = xp.zeros(self.shape, dtype=gy.dtype)
        for i, gi in self._collect().items():
            g[i] = raw(gi)
        return (g,)

    def backward_ops(self, gy, x):
        from ember.ops.shape import stack

        deposits = self._collect()
        zero = xp.zeros(self.shape[1:], dtype=gy.dtype)
        return (stack([deposits.get(i, zero) for i in range(self.shape[0])]),)


class _Row(Function):
    """Row ``i`` of ``x``; its gradient goes to the hub (see :class:`_Rows`)."""

    def __init__(self, hub, i):
        self.hub, self.i = hub, i

    def forward(self, x, token):
        return x[self.i]

    def _deposit(self, gy):
        deposits = self.hub.deposits
        deposits[self.i] = gy if self.i not in deposits else deposits[self.i] + gy

    def backward(self, gy):
        self._deposit(gy)
        return None, xp.zeros((), dtype=gy.dtype)

    def backward_ops(self, gy, x, token):
        self._deposit(gy)
        return None, Tensor(xp.zeros((), dtype=gy.dtype))


def _split_rows(x):
    """The rows of ``x`` (along axis 0) as a list of Tensors, differentiable in ``x``."""
    hub = _Rows()
    token = hub.apply(x)
    return [_Row(hub, i).apply(x, token) for i in range(x.shape[0])]


def _leading_size(op, leaves):
    sizes = []
    for leaf in leaves:
        if leaf.ndim == 0:
            raise ValueError(f"{op}: the values to scan over must have a leading axis; got a "
                             "scalar")
        sizes.append(leaf.shape[0])
    if len(set(sizes)) > 1:
        raise ValueError(f"{op}: got values with different leading axis sizes: "
                         f"{', '.join(str(s) for s in sizes)}.")
    return sizes[0] if sizes else None


def _stack_outputs(op, outputs, template):
    """Stack a list of per-step outputs (each of ``template``'s structure) along a new axis 0."""
    from ember.ops.shape import stack

    for y in outputs:
        if _skeleton(y) != _skeleton(template):
            raise TypeError(f"{op}: every step must return outputs of one structure; got "
                            f"{_skeleton(y)!r} and {_skeleton(template)!r}")
    columns = list(zip(*[[_as_tensor(leaf) for leaf in _leaves(y)] for y in outputs]))
    return _pack(template, iter([stack(list(c)) for c in columns]))


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Scan ``f`` over the leading axis of ``xs`` while carrying a state, as
    ``keras.ops.scan``: ``carry, y = f(carry, x)`` for each slice ``x`` of ``xs`` (None when
    ``xs`` is None: then ``length`` steps); returns the final carry and the ``y``'s stacked
    along a new axis 0. ``reverse`` runs from the last slice to the first (and stacks the
    outputs in the slices' order). ``unroll`` (a positive int or a bool) is accepted for
    compatibility: ember's loop is eager Python either way."""
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError("`unroll` must be an positive integer or boolean. "
                         f"Received: unroll={unroll}")
    x_leaves = [_as_tensor(leaf) for leaf in _leaves(xs)]
    n = _leading_size("scan", x_leaves)
    if n is None:
        if length is None:
            raise ValueError("scan got no values to scan over and `length` not provided.")
        n = int(length)
    elif length is not None and int(length) != n:
        raise ValueError(f"scan got `length` argument of {length} which disagrees with leading "
                         f"axis sizes [{n}].")
    rows = [_split_rows(leaf) for leaf in x_leaves]
    carry = _map(_as_tensor, init)
    if n == 0:  # no step runs: one probe call gives the outputs' structure and shapes
        probe = _pack(xs, iter([Tensor(xp.zeros(leaf.shape[1:], leaf.dtype))
                                for leaf in x_leaves])) if xs is not None else None
        _, y = f(carry, probe)
        return carry, _map(lambda leaf: Tensor(xp.zeros((0,) + tuple(xp.shape(raw(leaf))),
                                                        dtype=_as_tensor(leaf).dtype)), y)
    ys = [None] * n
    for i in (reversed(range(n)) if reverse else range(n)):
        x = _pack(xs, iter([r[i] for r in rows])) if xs is not None else None
        new_carry, ys[i] = f(carry, x)
        carry = _carry("scan", carry, new_carry)
    return carry, _stack_outputs("scan", ys, ys[0])


def map(f, xs):
    """``f`` applied to each slice of ``xs`` along its leading axis, the results stacked (as
    ``keras.ops.map``; ``xs`` and the results may be nested structures)."""
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys


def vectorized_map(function, elements):
    """``function`` mapped over axis 0 of ``elements`` (a tensor or a structure of them, which
    ``function`` receives sliced), the results stacked; ember runs it as :func:`map`."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of ``elems`` along ``axis`` with an associative ``f``: element ``k`` of
    the result is ``f(...f(f(e0, e1), e2)..., ek)`` (as ``keras.ops.associative_scan``).

    ``f`` is applied to whole slices (vectorized over ``axis``), ``log2(n)`` times: each round
    combines every element with the partial result ``2**r`` places before it. With
    ``reverse`` the scan runs from the end (element ``k`` combines ``e[n-1]`` down to
    ``e[k]``)."""
    from ember.ops.shape import concatenate, flip, moveaxis

    leaves = [_as_tensor(leaf) for leaf in _leaves(elems)]
    if not leaves:
        raise ValueError("associative_scan: elems must hold at least one tensor")
    for leaf in leaves:
        if not -leaf.ndim <= axis < leaf.ndim:
            raise ValueError(f"associative_scan: axis {axis} is out of range for an input of "
                             f"rank {leaf.ndim}")
    leaves = [moveaxis(leaf, axis, 0) for leaf in leaves]
    if reverse:
        leaves = [flip(leaf, 0) for leaf in leaves]
    n = _leading_size("associative_scan", leaves)
    offset = 1
    while offset < n:
        earlier = _pack(elems, iter([leaf[:n - offset] for leaf in leaves]))
        later = _pack(elems, iter([leaf[offset:] for leaf in leaves]))
        combined = [_as_tensor(c) for c in _leaves(f(earlier, later))]
        if len(combined) != len(leaves):
            raise TypeError("associative_scan: f must return the structure of its inputs")
        leaves = [concatenate([leaf[:offset], c], axis=0) for leaf, c in zip(leaves, combined)]
        offset *= 2
    if reverse:
        leaves = [flip(leaf, 0) for leaf in leaves]
    return _pack(elems, iter([moveaxis(leaf, 0, axis) for leaf in leaves]))


# -- custom gradients -------------------------------------------------------------------------
class _CustomGradient(Function):
    """The hub of a custom-gradient call: its inputs are the call's Tensor arguments (and the
    Variables its function read); its output is a placeholder on which every result depends.
    Each result (a :class:`_Result`) leaves its gradient here, and the hub's backward calls the
    user's ``grad_fn`` once with all of them."""

    def __init__(self, grad_fn, outputs, call_grad_fn):
        self.grad_fn, self.outputs, self.call_grad_fn = grad_fn, outputs, call_grad_fn
        self.deposits = {}

    def forward(self, *arrays):
        return xp.zeros((), dtype="float32")

    def _upstream(self):
        deposits, self.deposits = self.deposits, {}
        return [_as_tensor(deposits[i]) if i in deposits
                else Tensor(xp.zeros(out.shape, dtype=out.dtype))
                for i, out in enumerate(self.outputs)]

    def backward_ops(self, gy, *inputs):
        grads = self.call_grad_fn(self.grad_fn, self._upstream())
        return tuple(None if g is None or not need else _as_tensor(g)
                     for g, need in zip(grads, self.needs))

    def backward(self, gy):
        return tuple(None if g is None else xp.asarray(raw(g))
                     for g in self.backward_ops(gy))


class _Result(Function):
    """Result ``i`` of a custom-gradient call (its value computed by the user's function)."""

    def __init__(self, hub, i):
        self.hub, self.i = hub, i

    def forward(self, token):
        return self.hub.outputs[self.i].data

    def backward(self, gy):
        deposits = self.hub.deposits
        deposits[self.i] = gy if self.i not in deposits else deposits[self.i] + gy
        return (xp.zeros((), dtype="float32"),)

    def backward_ops(self, gy, token):
        self.backward(gy)
        return (Tensor(xp.zeros((), dtype="float32")),)


def _flat_grads(grads, n_args, n_leaves, arg_leaf_counts):
    """``grad_fn``'s result as one gradient (or None) per argument leaf."""
    if not isinstance(grads, (list, tuple)):
        grads = [grads]
    if len(grads) == n_args and n_args != n_leaves:  # one structure per argument
        flat = []
        for g, count in zip(grads, arg_leaf_counts):
            flat.extend([None] * count if g is None else _leaves(g))
        grads = flat
    if len(grads) != n_leaves:
        raise ValueError(f"custom_gradient: grad_fn returned {len(grads)} gradients for "
                         f"{n_leaves} (flattened) arguments; return one per argument")
    return list(grads)


def _custom_gradient(f, structured_upstream):
    """The decorator behind ``keras.ops.custom_gradient`` (``structured_upstream``: grad_fn
    gets one upstream gradient with the result's structure, as JAX) and
    ``tf.custom_gradient`` (grad_fn gets one positional upstream gradient per result)."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if trace.tracing[0]:
            tr = trace.current()
            if tr is not None:
                tr.mark_escape("custom_gradient runs its Python function at each call")
        if not active_tapes():
            result, _ = f(*args, **kwargs)
            return result
        # A tape that watches accessed Variables finds those f reads (besides its arguments).
        with GradientTape(persistent=True) as watcher:
            result, grad_fn = f(*args, **kwargs)
        arg_leaves = [_leaves(a) for a in args]
        flat_args = [leaf for leaves in arg_leaves for leaf in leaves]
        inputs = [a for a in flat_args if isinstance(a, Tensor)]
        given = {id(a) for a in inputs}
        variables = [v for v in watcher.watched_variables() if id(v) not in given]
        takes_variables = "variables" in _parameters(grad_fn)
        if variables and not takes_variables:
            raise TypeError(
                "custom_gradient: the function reads the trainable Variables "
                f"{[v.name for v in variables]}, so its grad_fn must accept a keyword argument "
                "'variables' and return (gradients of the arguments, gradients of the "
                "variables)")
        out_leaves = [_as_tensor(leaf) for leaf in _leaves(result)]
        floats = [t for t in out_leaves if t.dtype.kind in "fc"]

        def call_grad_fn(fn, upstream):
            if structured_upstream:
                it = iter(upstream)
                ups = [next(it) if t.dtype.kind in "fc" else Tensor(xp.zeros_like(t.data))
                       for t in out_leaves]
                ups = (_pack(result, iter(ups)),)
            else:
                ups = tuple(upstream)
            if variables:
                arg_grads, var_grads = fn(*ups, variables=variables)
            else:
                arg_grads, var_grads = fn(*ups), []
            flat = _flat_grads(arg_grads, len(args), len(flat_args),
                               [len(leaves) for leaves in arg_leaves])
            var_grads = list(var_grads) if isinstance(var_grads, (list, tuple)) else [var_grads]
            if len(var_grads) != len(variables):
                raise ValueError(f"custom_gradient: grad_fn returned {len(var_grads)} variable "
                                 f"gradients for {len(variables)} variables")
            return [g for g, a in zip(flat, flat_args) if isinstance(a, Tensor)] + var_grads

        hub = _CustomGradient(grad_fn, floats, call_grad_fn)
        token = hub.apply(*inputs, *variables)
        made = iter([_Result(hub, i).apply(token) for i in range(len(floats))])
        return _pack(result, iter([next(made) if t.dtype.kind in "fc" else t
                                   for t in out_leaves]))

    return wrapper


def _parameters(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def custom_gradient(f):
    """Decorator: ``f(*args)`` returns ``(result, grad_fn)``; the decorated function returns
    ``result``, and a GradientTape differentiates it with ``grad_fn(upstream)``, which gets
    the gradient of the result (with the result's structure) and returns one gradient per
    argument (as ``keras.ops.custom_gradient``).

    ``f`` runs as usual (its ops are recorded, so a ``grad_fn`` written with ember ops can be
    differentiated again for higher derivatives). If ``f`` reads trainable Variables that are
    not arguments, ``grad_fn`` must take a ``variables`` keyword and return ``(argument
    gradients, variable gradients)``, as in TensorFlow."""
    return _custom_gradient(f, structured_upstream=True)


def tf_custom_gradient(f=None):
    """``tf.custom_gradient``: as :func:`custom_gradient`, but ``grad_fn`` gets one positional
    upstream gradient per (flattened) result, as TensorFlow passes them."""
    if f is None:
        return tf_custom_gradient
    return _custom_gradient(f, structured_upstream=False)


tf_custom_gradient.__name__ = tf_custom_gradient.__qualname__ = "custom_gradient"
