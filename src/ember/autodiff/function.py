"""Function: the base of every differentiable op.

An op is a subclass with ``forward(*arrays) -> array`` and ``backward(gy) -> tuple of arrays``
(one per input, ``None`` where no gradient is needed), and a lowercase wrapper that users call::

    class Tanh(Function):
        def forward(self, x):
            y = xp.tanh(x)
            self.saved = y          # only what backward needs
            return y

        def backward(self, gy):
            y = self.saved
            return (gy * (1 - y * y),)

    def tanh(x):
        return Tanh().apply(x)

``self.recording`` tells ``forward`` whether a tape will call ``backward``: when it is False the
op need not keep anything. ``self.needs[i]`` tells ``backward`` whether input ``i`` needs a
gradient, so it can skip work (for example the gradient of a first layer's input).

An op may also define ``backward_ops(gy, *inputs)``: the same gradient computed with ember ops on
Tensors, which a recording tape can differentiate again (higher derivatives; see
``GradientTape``). It must use the input Tensors, not the arrays saved by ``forward``, for
everything the result depends on differentiably.
"""

from ember.autodiff import trace
from ember.autodiff.tape import active_tapes
from ember.autodiff.tensor import Tensor, Variable

_tracing = trace.tracing
_autocast_dtype = None  # set by Layer.__call__ under a mixed policy (see ``autocast_scope``)


class Function:
    needs = ()
    recording = False

    def apply(self, *inputs):
        """Run the op on Tensors/arrays/scalars and return a Tensor, recording it if a tape
        tracks one of the inputs."""
        if _autocast_dtype is not None:  # one cheap test: None outside mixed-precision layers
            inputs = _autocast_variables(inputs)
        if _tracing[0] and trace.current() is not None:
            return trace.recorded_op(self, inputs)  # records it, then comes back here
        tapes = active_tapes()
        if not tapes:
            self.recording = False
            return Tensor(self.forward(*[x.data if isinstance(x, Tensor) else x for x in inputs]))
        if len(tapes) == 1:  # the usual case (a training step), kept short
            tape = tapes[0]
            needs = [isinstance(x, Tensor) and tape._tracks(x) for x in inputs]
            self.recording = recording = True in needs
            out = Tensor(self.forward(*[x.data if isinstance(x, Tensor) else x
                                        for x in inputs]))
            if recording:
                self.needs = needs
                out._rec = (tape._id,)
                tape._nodes.append((self, inputs, out))
            return out
        recorders = []
        needs = []
        for x in inputs:
            need = False
            if isinstance(x, Tensor):
                for tape in tapes:
                    if tape._tracks(x):
                        need = True
                        if tape not in recorders:
                            recorders.append(tape)
            needs.append(need)
        self.recording = bool(recorders)
        out = Tensor(self.forward(*[x.data if isinstance(x, Tensor) else x for x in inputs]))
        if recorders:
            self.needs = needs
            out._rec = tuple(t._id for t in recorders)
            node = (self, inputs, out)
            for tape in recorders:
                tape._nodes.append(node)
        return out

    def forward(self, *arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no gradient")

    def backward_ops(self, gy, *inputs):
        """``backward`` written with ember ops: ``gy`` and the op's inputs (Tensors, or the
        constants it was applied to) in, Tensors out. A tape uses it instead of ``backward``
        when another tape records the backward pass (a gradient of a gradient).

        This default serves ops that have none: the values of ``backward``, recorded so that
        differentiating them again raises an error naming the op (never a wrong zero)."""
        name = type(self).__name__
        return tuple(None if g is None else _FirstOrderOnly(name, g).apply(gy, *inputs)
                     for g in self.backward(gy.data))


class _FirstOrderOnly(Function):
    """The gradient of an op without ``backward_ops``, as a recorded value with no gradient."""

    def __init__(self, op, value):
        self.op, self.value = op, value

    def forward(self, *arrays):
        return self.value

    def backward(self, gy):
        raise NotImplementedError(
            f"GradientTape: second derivatives of op {self.op} are not supported (it has no "
            "backward_ops); compute this gradient outside the recording tape or use other ops")


class ReadVariable(Function):
    """A copy of a variable's value (``Variable.read_value``): the gradient passes through."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return (gy,)

    def backward_ops(self, gy, x):
        return (gy,)


# -- autocasting (mixed precision) -----------------------------------------------------------------
def autocast_dtype():
    """The dtype float variables are read in by ops now (None: as they are stored)."""
    return _autocast_dtype


def set_autocast_dtype(dtype):
    """Set the dtype that ops read float variables in (None: no autocast); returns the previous
    one. ``Layer.__call__`` sets it around ``call`` when the layer's compute dtype differs from
    its variable dtype, as Keras's ``AutocastScope``."""
    global _autocast_dtype
    previous = _autocast_dtype
    _autocast_dtype = dtype
    return previous


def is_float_dtype(dtype):
    """Whether a NumPy dtype is a float one, bfloat16 (an ``ml_dtypes`` type, kind "V")
    included."""
    return dtype.kind == "f" or dtype.name == "bfloat16"


def _autocast_variables(inputs):
    """``inputs`` with every float Variable of another dtype than the autocast dtype (and not
    created with ``autocast=False``) replaced by a recorded cast of it: the op computes in the
    compute dtype and the gradient reaches the variable in its own dtype."""
    global _autocast_dtype
    dtype = _autocast_dtype
    if not any(isinstance(x, Variable) for x in inputs):
        return inputs
    out = []
    for x in inputs:
        if isinstance(x, Variable) and x.autocast and x.data.dtype != dtype and \
                is_float_dtype(x.data.dtype):
            _autocast_dtype = None  # the cast itself reads the variable as it is
            try:
                x = AutocastVariable(dtype).apply(x)
            finally:
                _autocast_dtype = dtype
        out.append(x)
    return tuple(out)


class AutocastVariable(Function):
    """A float variable read in another float dtype; the gradient goes back in the variable's
    dtype."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.src = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        return (gy.astype(self.src),)

    def backward_ops(self, gy, x):
        from ember.ops import cast

        return (cast(gy, self.src),)
