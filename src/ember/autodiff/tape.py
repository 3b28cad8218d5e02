"""GradientTape: records ops while active, then walks them backwards.

Recording is define-by-run: each op applied while a tape is active appends one node
``(function, inputs, output)`` to the tape, so the node list is already in topological order and
``gradient()`` is a single reverse loop (no recursion, no graph sort).

A tensor is *tracked* by a tape when it is a trainable Variable (watched automatically, as in
TensorFlow), when it was passed to ``tape.watch``, or when it was produced by an op the tape
recorded. Only ops with at least one tracked input are recorded, so a forward pass through
constants costs exactly its NumPy calls.

Higher derivatives: when ``gradient()`` runs while a tape records (an outer tape, or this
persistent tape inside its ``with`` block), the backward pass runs through ember ops (each op's
``backward_ops``), so the recording tape sees it and can differentiate the gradient again.
Otherwise (a training step) the backward pass is the plain NumPy loop.
"""

import enum
import itertools
import os
import sys
import threading
import warnings

from ember import tree
from ember.autodiff.tensor import Tensor
from ember.autodiff.trace import created, effect
from ember.backend import xp

_state = threading.local()
_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_serial = itertools.count(1)


def active_tapes():
    """The tapes recording in this thread, innermost last (a list; empty when none)."""
    tapes = getattr(_state, "tapes", None)
    if tapes is None:
        tapes = _state.tapes = []
    return tapes


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on, as
    ``tf.UnconnectedGradients``: ``None`` (``NONE``) or zeros (``ZERO``). The strings
    ``"none"`` and ``"zero"`` are accepted wherever the enum is."""

    NONE = "none"
    ZERO = "zero"


def _unconnected(value):
    if value is UnconnectedGradients.NONE or value is UnconnectedGradients.ZERO:
        return value
    try:
        return UnconnectedGradients(value)
    except ValueError:
        raise ValueError(f"Unknown value for unconnected_gradients: {value!r}") from None


class GradientTape:
    """Records operations for automatic differentiation, as ``tf.GradientTape``.

    Example:
        >>> x = ember.Variable(3.0)
        >>> with ember.GradientTape() as tape:
        ...     y = x * x
        >>> float(tape.gradient(y, x))
        6.0
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._id = next(_serial)
        self._nodes = []
        self._watched = {}  # id -> tensor (the reference keeps the id valid)
        self._recording = False
        self._used = False
        created(self, GradientTape, persistent, watch_accessed_variables)  # for tf.function

    # -- recording ---------------------------------------------------------------------------
    @effect
    def __enter__(self):
        if self._recording:
            raise ValueError("Tape is still recording, This can happen if you try to re-enter "
                             "an already-active tape.")
        if self._used:  # as TensorFlow: a used non-persistent tape starts afresh
            self._used = False
            self._watched = {}
        active_tapes().append(self)
        self._recording = True
        return self

    @effect
    def __exit__(self, *exc):
        self._recording = False
        tapes = active_tapes()
        if self in tapes:
            tapes.remove(self)
        return False

    @effect
    def watch(self, tensor):
        """Track ``tensor`` (or each tensor of a nested structure) as a source."""
        for t in tree.flatten(tensor):
            if not isinstance(t, Tensor):
                raise ValueError(f"Passed in object {t} of type {type(t).__name__!r}, not "
                                 "tf.Tensor or tf.Variable or ExtensionType.")
            if t.dtype.kind not in "fc":  # watched all the same, as TensorFlow
                _warn("The dtype of the watched tensor must be floating (e.g. tf.float32), "
                      f"got tf.{t.dtype.name}")
            self._watched[id(t)] = t

    @effect
    def stop_recording(self):
        """Context manager that pauses recording on this tape (it must be recording)."""
        return _Paused(self)

    @effect
    def reset(self):
        """Forget everything recorded so far and go on recording (inside the ``with`` block,
        as ``tf.GradientTape.reset``)."""
        if not self._recording:
            raise ValueError("Tape is not recording.")
        self._nodes = []
        self._watched = {}
        self._used = False

    def watched_variables(self):
        """The Variables this tape watches: those passed to ``watch`` and (with
        ``watch_accessed_variables``) the trainable ones read while recording. A tuple in
        creation order, as TensorFlow; still answered after a non-persistent ``gradient()``."""
        from ember.autodiff.tensor import Variable

        out = [t for t in self._watched.values() if isinstance(t, Variable)]
        return tuple(sorted(out, key=lambda v: v._uid))

    def _tracks(self, x):
        # Called for every Tensor input of every op while recording: keep it cheap.
        rec = x._rec
        if rec and self._id in rec:
            return True
        if id(x) in self._watched:
            return True
        if self.watch_accessed_variables and x._is_trainable_var:
            self._watched[id(x)] = x  # accessed: watched from now on (and listed)
            return True
        return False

    # -- differentiation ---------------------------------------------------------------------
    @effect
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of ``target`` with respect to ``sources``, as ``tf.GradientTape.gradient``.

        ``target`` and ``sources`` may be one tensor or nested lists/tuples/dicts; the result
        has the structure of ``sources``. A non-scalar target is summed; ``output_gradients``
        (one per target) weights it instead. A source the target does not depend on, or an
        integer one, gets ``None`` (zeros with ``unconnected_gradients="zero"``). Called while
        another tape records, the gradient is recorded too (higher derivatives).
        """
        unconnected = _unconnected(unconnected_gradients)
        targets = tree.flatten(target)
        seeds = None
        if output_gradients is not None:
            seeds = tree.flatten(output_gradients)
            if len(seeds) != len(targets):
                raise ValueError(
                    f"GradientTape.gradient: {len(seeds)} output_gradients for {len(targets)} "
                    "targets; give one per target (None for ones).")
        flat_sources = _check_sources(sources)
        self._start("gradient")
        grads = self._backprop(targets, seeds, flat_sources)
        self._finish()
        result = [_source_gradient(s, grads.get(id(s)), unconnected) for s in flat_sources]
        return tree.pack_sequence_as(sources, result)

    @effect
    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """The Jacobian of ``target`` with respect to each of ``sources`` (a nested structure
        as in ``gradient``), of shape ``target.shape + source.shape``, as
        ``tf.GradientTape.jacobian``: one backward pass per element of ``target``.

        A non-persistent tape computes one jacobian (TensorFlow's default); with
        ``experimental_use_pfor=False`` it must be persistent, as in TensorFlow.
        ``parallel_iterations`` is accepted and ignored.
        """
        unconnected = _unconnected(unconnected_gradients)
        if not experimental_use_pfor and not self.persistent:
            raise RuntimeError(
                "GradientTape must be created with persistent=True to compute the jacobian "
                "with eager execution enabled and with experimental_use_pfor set to False.")
        target = _check_target(target, "jacobian")
        flat_sources = _check_sources(sources)
        self._start("jacobian")
        rows = self._jacobian_rows(target, _one_hots(target.shape, target.dtype), flat_sources)
        self._finish()
        result = []
        for s, row in zip(flat_sources, rows):
            shape = tuple(target.shape) + tuple(s.shape) if s is not None else ()
            result.append(_stack_rows(row, shape, s, unconnected))
        return tree.pack_sequence_as(sources, result)

    @effect
    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians, as ``tf.GradientTape.batch_jacobian``: ``target`` (``[b, ...]``)
        row ``i`` depends only on ``source`` row ``i``; the result has shape ``[b] +
        target.shape[1:] + source.shape[1:]``. Zeros where the target does not depend on the
        source, whatever ``unconnected_gradients`` (as TensorFlow)."""
        _unconnected(unconnected_gradients)
        if not experimental_use_pfor and not self.persistent:
            raise RuntimeError(
                "GradientTape must be created with persistent=True to compute the "
                "batch_jacobian with eager execution enabled and  with experimental_use_pfor "
                "set to False.")
        target = _check_target(target, "batch_jacobian")
        (source,) = _check_sources([source])
        for t in (target, source):
            if t.ndim < 2:
                raise ValueError(f"Shape {tuple(t.shape)} must have rank at least 2")
        if target.shape[0] != source.shape[0]:
            raise ValueError(
                f"Need first dimension of target shape ({tuple(target.shape)}) and source "
                f"shape ({tuple(source.shape)}) to match.")
        batch, per_row = target.shape[0], target.size // max(target.shape[0], 1)
        self._start("batch_jacobian")
        seeds = []
        for j in range(per_row):  # element j of every row at once: rows are independent
            seed = xp.zeros((batch, per_row), dtype=target.dtype)
            seed[:, j] = 1
            seeds.append(seed.reshape(target.shape))
        (row,) = self._jacobian_rows(target, seeds, [source])
        self._finish()
        shape = (batch,) + tuple(target.shape[1:]) + tuple(source.shape[1:])
        if all(g is None for g in row):
            return Tensor(xp.zeros(shape, dtype=target.dtype))
        stacked = _stack_rows(row, (per_row,) + tuple(source.shape), source,
                              UnconnectedGradients.ZERO)
        # (per_row, batch, *source[1:]) -> (batch, per_row, *source[1:]) -> the result's shape
        from ember.ops import moveaxis, reshape

        return reshape(moveaxis(stacked, 0, 1), shape)

    def _start(self, method):
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians)")
        if self._recording:
            if self.persistent:
                _warn(
                    f"Calling GradientTape.{method} on a persistent tape inside its context is "
                    "significantly less efficient than calling it outside the context (it causes "
                    "the gradient ops to be recorded on the tape, leading to increased CPU and "
                    f"memory usage). Only call GradientTape.{method} inside the context if you "
                    "actually want to trace the gradient in order to compute higher order "
                    "derivatives.")
            else:
                # As TensorFlow: allowed, but whatever runs afterwards is not recorded.
                self.__exit__()

    def _finish(self):
        if not self.persistent:  # free the recording (watched_variables() still answers)
            self._used = True
            self._nodes = []

    def _jacobian_rows(self, target, seeds, sources):
        """For each source, the list of its gradients (or None) for each seed of ``target``."""
        rows = [[] for _ in sources]
        for seed in seeds:
            grads = self._backprop([target], [seed], sources)
            for row, s in zip(rows, sources):
                row.append(grads.get(id(s)))
        return rows

    def _backprop(self, targets, seeds, sources):
        """``{id(tensor): gradient}``, holding at least the sources' gradients: NumPy arrays,
        or Tensors when a tape records (then the backward pass runs through ember ops)."""
        recorders = active_tapes()
        grads = {}
        for i, t in enumerate(targets):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: target must be a Tensor. Received: {type(t).__name__}"
                )
            if t.dtype.kind not in "fc":  # an integer target has no gradient (as TensorFlow)
                continue
            seed = None if seeds is None else seeds[i]
            if seed is None:
                seed = xp.ones(t.shape, dtype=t.dtype)
            elif recorders and isinstance(seed, Tensor):  # a tape may track it: keep the Tensor
                if seed.dtype != t.dtype:
                    from ember.ops import cast

                    seed = cast(seed, t.dtype)
            else:
                seed = xp.asarray(_data(seed), dtype=t.dtype)
            if recorders and not isinstance(seed, Tensor):
                seed = Tensor(seed)
            key = id(t)
            grads[key] = grads[key] + seed if key in grads else seed
        keep = {id(s) for s in sources}
        if recorders:
            return self._backprop_ops(grads, keep, recorders)
        for fn, inputs, out in reversed(self._nodes):
            key = id(out)
            gy = grads.get(key) if key in keep else grads.pop(key, None)
            if gy is None:
                continue
            gxs = fn.backward(gy)
            for x, gx, need in zip(inputs, gxs, fn.needs):
                if gx is None or not need:
                    continue
                if gx.shape != x.data.shape:
                    _wrong_shape(fn, gx, x)
                if gx.dtype != x.data.dtype:
                    gx = gx.astype(x.data.dtype, copy=False)
                k = id(x)
                prev = grads.get(k)
                grads[k] = gx if prev is None else prev + gx
        return grads

    def _backprop_ops(self, grads, keep, recorders):
        """The backward loop on Tensors, recorded by the active tapes. An op runs its
        ``backward_ops`` when a recording tape tracks its output gradient or one of its inputs;
        otherwise its NumPy ``backward`` gives the same values as constants."""
        from ember.ops import add, cast

        for fn, inputs, out in reversed(self._nodes[:]):  # a copy: this tape may be recording
            key = id(out)
            gy = grads.get(key) if key in keep else grads.pop(key, None)
            if gy is None:
                continue
            if _recorded(recorders, gy, inputs):
                gxs = fn.backward_ops(gy, *inputs)
            else:
                gxs = [None if g is None else Tensor(g) for g in fn.backward(gy.data)]
            for x, gx, need in zip(inputs, gxs, fn.needs):
                if gx is None or not need:
                    continue
                if gx.shape != x.data.shape:
                    _wrong_shape(fn, gx, x)
                if gx.dtype != x.data.dtype:
                    gx = cast(gx, x.data.dtype)
                k = id(x)
                prev = grads.get(k)
                grads[k] = gx if prev is None else add(prev, gx)
        return grads


class _Paused:
    def __init__(self, tape):
        self.tape = tape
        self.index = None

    @effect
    def __enter__(self):
        tape = self.tape
        if not tape._recording:
            if tape._used or not (tape._nodes or tape._watched):  # as TensorFlow's two errors
                raise RuntimeError("Trying to stop recording a tape which is not recording.")
            raise ValueError("Tape is not recording.")
        tapes = active_tapes()
        self.index = tapes.index(tape)
        tapes.remove(tape)
        tape._recording = False
        return self

    @effect
    def __exit__(self, *exc):
        active_tapes().insert(self.index, self.tape)
        self.tape._recording = True
        return False


def _warn(message):
    """A warning shown at the caller's line (the first frame outside ember.autodiff)."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, stacklevel=level)


def _recorded(tapes, gy, inputs):
    for tape in tapes:
        if tape._tracks(gy):
            return True
        for x in inputs:
            if isinstance(x, Tensor) and tape._tracks(x):
                return True
    return False


def _wrong_shape(fn, gx, x):
    raise ValueError(
        f"Gradient of op {type(fn).__name__} has shape {tuple(gx.shape)} for an input of shape "
        f"{x.data.shape}; they must match.")


def _check_target(target, method):
    if not isinstance(target, Tensor):
        raise TypeError(f"GradientTape.{method}: target must be a Tensor. Received: "
                        f"{type(target).__name__}")
    return target


def _check_sources(sources):
    flat = tree.flatten(sources)
    for s in flat:
        if s is not None and not isinstance(s, Tensor):
            raise TypeError(
                "GradientTape.gradient: sources must be Variables or Tensors. "
                f"Received: {type(s).__name__}"
            )
    return flat


def _source_gradient(source, g, unconnected):
    """A source's gradient as a Tensor: None (or zeros) when unconnected or integer."""
    if source is None:
        return None
    if g is None or source.dtype.kind not in "fc":
        if unconnected is UnconnectedGradients.ZERO:
            return Tensor(xp.zeros(source.shape, dtype=source.dtype))
        return None
    return g if isinstance(g, Tensor) else Tensor(g)


def _one_hots(shape, dtype):
    size = 1
    for d in shape:
        size *= d
    for i in range(size):
        e = xp.zeros(size, dtype=dtype)
        e[i] = 1
        yield e.reshape(shape)


def _stack_rows(row, shape, source, unconnected):
    """Stack one source's per-seed gradients into a Tensor of ``shape``: zeros for seeds that
    do not reach it; None (or zeros) when none does."""
    if source is None:
        return None
    if source.dtype.kind not in "fc" or all(g is None for g in row):
        if unconnected is UnconnectedGradients.ZERO:
            return Tensor(xp.zeros(shape, dtype=source.dtype))
        return None
    zero = xp.zeros(source.shape, dtype=source.dtype)
    if any(isinstance(g, Tensor) for g in row):  # recorded: stack with ops, so it stays so
        from ember.ops import reshape, stack

        return reshape(stack([zero if g is None else g for g in row]), shape)
    return Tensor(xp.stack([zero if g is None else g for g in row]).reshape(shape))


def _data(x):
    return x.data if hasattr(x, "_rec") else x


