"""TensorFlow's functional control flow (``tf.cond``, ``tf.case``, ``tf.switch_case``,
``tf.while_loop``, ``tf.scan``, ``tf.foldl``, ``tf.foldr``, ``tf.map_fn``,
``tf.vectorized_map``, ``tf.identity_n``) with TensorFlow's argument names and conventions, as
thin wrappers over the engines of :mod:`ember.ops.control_flow` (eager Python control flow
whose ops the tape records, so gradients flow through branches and loops).

Arguments that tune TensorFlow's graph execution (``parallel_iterations``, ``back_prop``,
``swap_memory``, ``infer_shape``, ``name``, ``fallback_to_while_loop``, ``warn``) are accepted
and have no effect on an eager engine.
"""

import builtins

from ember import tree
from ember.autodiff.tensor import Tensor, convert_to_tensor
from ember.backend import xp
from ember.ops import control_flow as _cf
from ember.ops._helpers import raw
from ember.tf.errors import InvalidArgumentError, OutOfRangeError


def _callable(fn, what, op):
    if not callable(fn):
        raise TypeError(f"{op}: '{what}' must be callable. Received: {fn!r}")


def _scalar_pred(pred, op):
    shape = xp.shape(raw(pred))
    if shape != ():
        raise ValueError(f"{op}: the predicate must be a scalar, got shape {shape}")
    return pred


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` (a boolean scalar Tensor or a Python bool) else
    ``false_fn()``; only the chosen branch runs."""
    for what, fn in (("true_fn", true_fn), ("false_fn", false_fn)):
        if fn is None:
            raise TypeError(f"cond(): '{what}' argument required")
        _callable(fn, what, "cond")
    return _cf.cond(_scalar_pred(pred, "cond"), true_fn, false_fn)


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the callable paired with the first true predicate of ``pred_fn_pairs``
    (a list of ``(boolean scalar Tensor, callable)``), else of ``default``. With no default
    and no true predicate it raises InvalidArgumentError, as TensorFlow. ``exclusive`` is
    accepted (TensorFlow's eager ``case`` does not check it either)."""
    pairs = list(pred_fn_pairs.items() if isinstance(pred_fn_pairs, dict) else pred_fn_pairs)
    if not pairs:
        raise ValueError("case: pred_fn_pairs must hold at least one (pred, fn) pair")
    for pair in pairs:
        if not isinstance(pair, (builtins.tuple, list)) or len(pair) != 2:
            raise TypeError(f"case: each entry of pred_fn_pairs must be a (pred, fn) pair, got "
                            f"{pair!r}")
        pred, fn = pair
        if not isinstance(pred, Tensor):
            raise TypeError(f"case: pred must be a Tensor, got: {pred!r}")
        _callable(fn, "fn", "case")
    if default is not None:
        _callable(default, "default", "case")
    chosen = next((i for i, (pred, _) in enumerate(pairs)
                   if bool(_scalar_pred(pred, "case"))), len(pairs))
    if chosen == len(pairs) and default is None:
        raise InvalidArgumentError(
            "case: none of the conditions evaluated as True and no default was "
            f"given: {', '.join(str(bool(raw(p))) for p, _ in pairs)}")
    return _cf.switch(chosen, [fn for _, fn in pairs] + [default])


def _branches(branch_fns):
    """``branch_fns`` (a dict or a list of ``(int, callable)`` pairs with keys 0..n-1, or a
    list of callables) as a list of callables in key order."""
    if isinstance(branch_fns, dict):
        items = list(branch_fns.items())
    else:
        branch_fns = list(branch_fns)
        if branch_fns and all(callable(fn) for fn in branch_fns):
            items = list(enumerate(branch_fns))
        else:
            for entry in branch_fns:
                if not isinstance(entry, (builtins.tuple, list)) or len(entry) != 2:
                    raise TypeError("switch_case: each entry in 'branch_fns' must be a "
                                    f"2-tuple. Received {entry!r}.")
            items = [builtins.tuple(entry) for entry in branch_fns]
    if not items:
        raise ValueError("switch_case: must provide at least one item in 'branch_fns'")
    keys = sorted(key for key, _ in items)
    if keys != list(range(len(items))):
        raise ValueError("switch_case: branch indices (keys) must form contiguous range of "
                         f"[0 to {len(items)}) but found {{{','.join(str(k) for k in keys)}}}")
    for _, fn in items:
        _callable(fn, "branch_fns", "switch_case")
    return [fn for _, fn in sorted(items, key=lambda item: item[0])]


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """``branch_fns[branch_index]()`` (``branch_index`` an int32/int64 scalar Tensor); an index
    out of range runs ``default``, or the last branch when there is none."""
    if not isinstance(branch_index, Tensor):
        raise TypeError(f"switch_case: 'branch_index' must be a Tensor, got "
                        f"{type(branch_index)}")
    if branch_index.dtype.kind not in "iu":
        raise TypeError("switch_case: 'branch_index' must be an integer Tensor, got "
                        f"{branch_index.dtype}")
    if builtins.tuple(branch_index.shape) != ():
        raise InvalidArgumentError("switch_case: 'branch_index' must be a scalar, "
                                   f"got shape {builtins.tuple(branch_index.shape)}")
    fns = _branches(branch_fns)
    if default is not None:
        _callable(default, "default", "switch_case")
        fns.append(default)
    index = int(branch_index)
    if not 0 <= index < len(fns):
        index = len(fns) - 1  # the default, or the last branch
    return _cf.switch(index, fns)


class _HeldArrays:
    """The TensorArrays among a loop's variables, kept out of the engine (which carries only
    tensors): the engine sees a scalar placeholder in their place, and the loop's functions
    see the arrays (an eager TensorArray changes in place, so nothing else needs carrying)."""

    def __init__(self, structure):
        from ember.tf.tensor_array import TensorArray

        self.is_array = lambda leaf: isinstance(leaf, TensorArray)
        leaves = tree.flatten(structure)
        self.arrays = {i: leaf for i, leaf in enumerate(leaves) if self.is_array(leaf)}

    def hide(self, structure, keep=False):
        """``structure`` with placeholders for its arrays (``keep``: remember the arrays)."""
        leaves = tree.flatten(structure)
        for i, leaf in enumerate(leaves):
            if self.is_array(leaf):
                if keep:
                    self.arrays[i] = leaf
                leaves[i] = Tensor(xp.zeros((), dtype="int32"))
        return tree.pack_sequence_as(structure, leaves)

    def show(self, structure):
        leaves = tree.flatten(structure)
        for i, array in self.arrays.items():
            leaves[i] = array
        return tree.pack_sequence_as(structure, leaves)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``, at most
    ``maximum_iterations`` times; returns the final loop variables in ``loop_vars``' structure
    (a list or tuple of them is passed positionally). The variables (tensors, structures of
    them, TensorArrays) must keep their structure, dtypes and shapes (``shape_invariants`` is
    accepted but does not relax the shapes)."""
    _callable(cond, "cond", "while_loop")
    _callable(body, "body", "while_loop")
    if loop_vars is None or (isinstance(loop_vars, (list, builtins.tuple)) and not loop_vars):
        raise ValueError("while_loop: 'loop_vars' must be provided.")
    is_seq = isinstance(loop_vars, (list, builtins.tuple))
    state = builtins.tuple(loop_vars) if is_seq else loop_vars
    held = _HeldArrays(state)

    def run_cond(*args):
        return cond(*held.show(args)) if is_seq else cond(held.show(args[0]))

    def run_body(*args):
        out = body(*held.show(args)) if is_seq else body(held.show(args[0]))
        if is_seq:
            if not isinstance(out, (list, builtins.tuple)) or len(out) != len(loop_vars):
                raise TypeError("while_loop: body must return the structure of loop_vars "
                                f"({len(loop_vars)} values); got {out!r}")
            out = builtins.tuple(out)
        return held.hide(out, keep=True)

    out = _cf.while_loop(run_cond, run_body, held.hide(state), maximum_iterations)
    out = held.show(out)
    if is_seq:
        return list(out) if isinstance(loop_vars, list) else out
    return out


def _leaves(elems, op):
    leaves = [leaf if isinstance(leaf, Tensor) else convert_to_tensor(leaf)
              for leaf in tree.flatten(elems)]
    for leaf in leaves:
        if leaf.ndim == 0:
            raise ValueError(f"{op}: elements in elems must be 1+ dimensional Tensors, not "
                             "scalars")
    return leaves


def _first_and_rest(elems, reverse, op):
    """The element ``scan``/``fold`` starts from when there is no initializer (the first, or
    the last when ``reverse``) and the other elements."""
    leaves = _leaves(elems, op)
    if not leaves or leaves[0].shape[0] == 0:
        raise OutOfRangeError(f"{op}: tried to read the first element of elems "
                              "but it is empty (and no initializer was given)")
    at, rest = (-1, slice(None, -1)) if reverse else (0, slice(1, None))
    first = tree.pack_sequence_as(elems, [leaf[at] for leaf in leaves])
    others = tree.pack_sequence_as(elems, [leaf[rest] for leaf in leaves])
    return first, others


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
         infer_shape=True, reverse=False, name=None):
    """The accumulations ``a = fn(a, x)`` over the slices ``x`` of ``elems`` (along axis 0),
    stacked. ``a`` starts at ``initializer``, or at the first slice (which the result then
    includes); ``reverse`` scans from the last slice."""
    from ember.ops.shape import concatenate, expand_dims

    _callable(fn, "fn", "scan")
    start = initializer
    if initializer is None:
        start, elems = _first_and_rest(elems, reverse, "scan")
    else:
        _leaves(elems, "scan")

    def step(acc, x):
        acc = fn(acc, x)
        return acc, acc

    _, accs = _cf.scan(step, start, elems, reverse=reverse)
    if initializer is None:  # the starting element is the first (last) output
        def join(first, stacked):
            parts = [expand_dims(first, 0), stacked]
            return concatenate(parts[::-1] if reverse else parts, axis=0)

        accs = tree.map_structure(join, start, accs)
    return accs


def _fold(fn, elems, initializer, reverse, op):
    _callable(fn, "fn", op)
    if initializer is None:
        initializer, elems = _first_and_rest(elems, reverse, op)
    else:
        _leaves(elems, op)
    final, _ = _cf.scan(lambda acc, x: (fn(acc, x), None), initializer, elems, reverse=reverse)
    return final


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """``fn(...fn(fn(initializer, x0), x1)..., xn)`` over the slices of ``elems`` (the first
    slice is the initializer when none is given)."""
    return _fold(fn, elems, initializer, False, "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """:func:`foldl` from the last slice to the first."""
    return _fold(fn, elems, initializer, True, "foldr")


def _signature_dtype(spec):
    from ember.tf.dtypes import as_dtype

    return as_dtype(getattr(spec, "dtype", spec))


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False,
           infer_shape=True, name=None, fn_output_signature=None):
    """``fn`` applied to each slice of ``elems`` along axis 0, the results stacked.

    ``fn``'s results must have the structure and dtypes of ``fn_output_signature`` (dtypes or
    TensorSpecs; ``dtype`` is its old name), by default those of ``elems``."""
    _callable(fn, "fn", "map_fn")
    leaves = _leaves(elems, "map_fn")
    signature = fn_output_signature if fn_output_signature is not None else dtype
    if signature is None:
        signature = tree.pack_sequence_as(elems, [leaf.dtype for leaf in leaves])

    def checked(x):
        out = fn(x)
        try:
            tree.assert_same_structure(signature, out)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"map_fn: the results of fn do not have the structure of "
                             f"fn_output_signature {signature!r}: {exc}") from None
        for spec, leaf in zip(tree.flatten(signature), tree.flatten(out)):
            want, got = _signature_dtype(spec), xp.asarray(raw(leaf)).dtype
            if want != got:
                raise InvalidArgumentError(
                    f"map_fn: fn returned a {got} result where "
                    f"fn_output_signature says {want.name}; pass fn_output_signature")
        return out

    return _cf.map(checked, elems)


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``fn`` mapped over axis 0 of ``elems`` (a tensor or a structure of them), the results
    stacked (ember runs it as :func:`map_fn`, so any ``fn`` works)."""
    _callable(fn, "fn", "vectorized_map")
    return _cf.vectorized_map(fn, elems)


def identity_n(input, name=None):  # noqa: A002 - TensorFlow's argument name
    """A list of ``tf.identity`` of each tensor of ``input``."""
    from ember.tf.array_ops import identity

    return [identity(x) for x in input]


def tuple(tensors, control_inputs=None, name=None):  # noqa: A001 - TensorFlow's name
    """A list of ``tf.identity`` of each tensor: eagerly every op has already run, so there
    is nothing to group (``control_inputs``, callables or tensors, are accepted)."""
    if control_inputs is not None:
        for dep in control_inputs:
            if not (callable(dep) or isinstance(dep, Tensor)):
                raise TypeError(f"tuple: control_inputs must be tensors or operations, got "
                                f"{dep!r}")
    return identity_n(tensors)


def group(*inputs, **kwargs):
    """An op that waits for ``inputs``: eagerly they have all run, so it is None (as
    TensorFlow's eager ``group``)."""
    unknown = set(kwargs) - {"name"}
    if unknown:
        raise TypeError(f"group: unknown keyword arguments: {sorted(unknown)}")
    return None


def no_op(name=None):
    """An op that does nothing: None eagerly (as TensorFlow)."""
    return None


def grad_pass_through(f):
    """``f`` whose gradient is the identity: the upstream gradient of each output goes to the
    matching input unchanged (for ``f``'s that are not differentiable, such as rounding or
    quantization)."""
    _callable(f, "f", "grad_pass_through")

    @_cf.tf_custom_gradient
    def passed(*args, **kwargs):
        def grad(*upstream, variables=None):
            if variables:
                return list(upstream), [None] * len(variables)
            return list(upstream)

        return f(*args, **kwargs), grad

    return passed


__all__ = ["case", "cond", "foldl", "foldr", "grad_pass_through", "group", "identity_n", "map_fn",
           "no_op", "scan", "switch_case", "tuple", "vectorized_map", "while_loop"]
