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
"""

from ember.autodiff.tape import active_tapes
from ember.autodiff.tensor import Tensor


class Function:
    needs = ()
    recording = False

    def apply(self, *inputs):
        """Run the op on Tensors/arrays/scalars and return a Tensor, recording it if a tape
        tracks one of the inputs."""
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
