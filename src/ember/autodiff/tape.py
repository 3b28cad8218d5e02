"""GradientTape: records ops while active, then walks them backwards.

Recording is define-by-run: each op applied while a tape is active appends one node
``(function, inputs, output)`` to the tape, so the node list is already in topological order and
``gradient()`` is a single reverse loop (no recursion, no graph sort).

A tensor is *tracked* by a tape when it is a trainable Variable (watched automatically, as in
TensorFlow), when it was passed to ``tape.watch``, or when it was produced by an op the tape
recorded. Only ops with at least one tracked input are recorded, so a forward pass through
constants costs exactly its NumPy calls.
"""

import itertools
import threading

from ember.backend import xp

_state = threading.local()
_serial = itertools.count(1)


def active_tapes():
    """The tapes recording in this thread, innermost last (a list; empty when none)."""
    tapes = getattr(_state, "tapes", None)
    if tapes is None:
        tapes = _state.tapes = []
    return tapes


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

    # -- recording ---------------------------------------------------------------------------
    def __enter__(self):
        active_tapes().append(self)
        self._recording = True
        return self

    def __exit__(self, *exc):
        self._recording = False
        tapes = active_tapes()
        if self in tapes:
            tapes.remove(self)
        return False

    def watch(self, tensor):
        """Track ``tensor`` (or each tensor of a nested structure) as a source."""
        from ember.autodiff.tensor import Tensor

        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(
                    "GradientTape.watch expects Tensors or Variables. "
                    f"Received: {type(t).__name__}"
                )
            self._watched[id(t)] = t

    def stop_recording(self):
        """Context manager that pauses recording on this tape."""
        return _Paused(self)

    def reset(self):
        self._nodes = []
        self._watched = {}

    def watched_variables(self):
        from ember.autodiff.tensor import Variable

        seen, out = set(), []
        for t in self._watched.values():
            if isinstance(t, Variable) and id(t) not in seen:
                seen.add(id(t))
                out.append(t)
        for _, inputs, _ in self._nodes:
            for x in inputs:
                if isinstance(x, Variable) and x.trainable and id(x) not in seen:
                    seen.add(id(x))
                    out.append(x)
        return out

    def _tracks(self, x):
        # Called for every Tensor input of every op while recording: keep it cheap.
        rec = x._rec
        if rec and self._id in rec:
            return True
        if id(x) in self._watched:
            return True
        return self.watch_accessed_variables and x._is_trainable_var

    # -- differentiation ---------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none"):
        """Gradients of ``target`` (summed if not scalar) with respect to ``sources``.

        ``sources`` may be one tensor, a list, or a nested list/tuple/dict; the result has the
        same structure, with ``None`` for a source the target does not depend on.
        """
        from ember.autodiff.tensor import Tensor

        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients. Use GradientTape(persistent=True) to call gradient() again."
            )
        if self._recording and not self.persistent:
            # As TensorFlow: allowed, but whatever runs afterwards is not recorded.
            self.__exit__()
        targets = [t for t in _flatten(target)]
        seeds = _flatten(output_gradients) if output_gradients is not None else None
        grads = {}
        for i, t in enumerate(targets):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: target must be a Tensor. Received: {type(t).__name__}"
                )
            seed = (
                xp.asarray(_data(seeds[i]), dtype=t.dtype)
                if seeds is not None
                else xp.ones(t.shape, dtype=t.dtype)
            )
            key = id(t)
            grads[key] = grads[key] + seed if key in grads else seed
        flat_sources = _flatten(sources)
        keep = {id(s) for s in flat_sources}
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
                    raise ValueError(
                        f"Gradient of op {type(fn).__name__} has shape {gx.shape} for an input "
                        f"of shape {x.data.shape}; they must match."
                    )
                if gx.dtype != x.data.dtype:
                    gx = gx.astype(x.data.dtype, copy=False)
                k = id(x)
                prev = grads.get(k)
                grads[k] = gx if prev is None else prev + gx
        if not self.persistent:
            self._used = True
            self._nodes = []
            self._watched = {}
        result = []
        for s in flat_sources:
            if s is None:
                result.append(None)
                continue
            if not isinstance(s, Tensor):
                raise TypeError(
                    "GradientTape.gradient: sources must be Variables or Tensors. "
                    f"Received: {type(s).__name__}"
                )
            g = grads.get(id(s))
            if g is None and unconnected_gradients == "zero":
                g = xp.zeros(s.shape, dtype=s.dtype)
            result.append(None if g is None else Tensor(g))
        return _unflatten(sources, iter(result))


class _Paused:
    def __init__(self, tape):
        self.tape = tape
        self.index = None

    def __enter__(self):
        tapes = active_tapes()
        if self.tape in tapes:
            self.index = tapes.index(self.tape)
            tapes.remove(self.tape)
        return self

    def __exit__(self, *exc):
        if self.index is not None:
            active_tapes().insert(self.index, self.tape)
        return False


def _data(x):
    return x.data if hasattr(x, "_rec") else x


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        out = []
        for item in structure:
            out.extend(_flatten(item))
        return out
    if isinstance(structure, dict):
        out = []
        for key in sorted(structure):
            out.extend(_flatten(structure[key]))
        return out
    return [structure]


def _unflatten(structure, it):
    if isinstance(structure, list):
        return [_unflatten(s, it) for s in structure]
    if isinstance(structure, tuple):
        return tuple(_unflatten(s, it) for s in structure)
    if isinstance(structure, dict):
        return {k: _unflatten(structure[k], it) for k in sorted(structure)}
    return next(it)
