"""``keras.remat``: rematerialization (gradient checkpointing).

``remat(f)`` returns a function that computes ``f`` without keeping its intermediate results for
the backward pass: each output is recorded on the tape as one node, and its gradient runs ``f``
again under a private tape. This trades one more forward computation for the memory of the
activations inside ``f``.

The recomputation sees the same draws from ember's global generator as the forward pass (it is
rewound), so unseeded dropout inside ``f`` is consistent; a recomputation that differs anyway
(a generator of ``f``'s own) raises instead of giving wrong gradients. The variables that ``f``
reads get their gradients too; they must not change between the forward pass and
``gradient()`` (as in any training step). Under ``tf.function`` tracing, ``f`` runs as it is.
"""

import functools

from ember import config, tree
from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tape import GradientTape, active_tapes
from ember.autodiff.tensor import Tensor
from ember.backend import xp


def remat(f):
    """``f`` with rematerialization: its activations are recomputed during the backward pass
    instead of being stored. ``f`` takes and returns tensors (or nested structures of them).

    Example::

        block = remat(lambda x: ops.relu(dense2(ops.relu(dense1(x)))))
        with GradientTape() as tape:
            loss = ops.sum(block(x))
        grads = tape.gradient(loss, dense1.trainable_variables)
    """
    if not callable(f):
        raise TypeError(f"remat: expected a callable. Received: {f!r} (of type {type(f)})")

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        tapes = active_tapes()
        if not tapes or (trace.tracing[0] and trace.current() is not None):
            return f(*args, **kwargs)  # nothing will ask for a gradient of the inside
        leaves = tree.flatten((args, kwargs))
        positions = [i for i, x in enumerate(leaves) if isinstance(x, Tensor)]
        rng_state = config.rng().bit_generator.state
        # The forward pass, recorded only by a private tape that lists the variables f reads;
        # the outer tapes are set aside so they keep none of f's intermediates.
        outer = list(tapes)
        tapes.clear()
        try:
            with GradientTape() as probe:
                outputs = f(*args, **kwargs)
        finally:
            tapes[:] = outer
        variables = list(probe.watched_variables())
        del probe
        flat_out = tree.flatten(outputs)
        recorded = []
        for index, out in enumerate(flat_out):
            if not isinstance(out, Tensor) or out.dtype.kind not in "fc":
                recorded.append(out)  # integers and Python values have no gradient
                continue
            node = _Remat(f, (args, kwargs), positions, variables, index, rng_state, out.data)
            recorded.append(node.apply(*[leaves[i] for i in positions], *variables))
        return tree.pack_sequence_as(outputs, recorded)

    return wrapped


class _Remat(Function):
    """One output of a rematerialized function; its inputs are the call's tensors, then the
    variables the function read."""

    def __init__(self, f, structure, positions, variables, index, rng_state, value):
        self.f, self.structure, self.positions = f, structure, positions
        self.variables, self.index, self.rng_state = variables, index, rng_state
        self.value = value

    def forward(self, *arrays):
        # computed by the probe run already; the arrays are kept for the recomputation
        self.arrays = arrays[:len(self.positions)]
        return self.value

    def backward(self, gy):
        leaves = tree.flatten(self.structure)
        inputs = [Tensor(a) for a in self.arrays]
        for i, x in zip(self.positions, inputs):
            leaves[i] = x
        args, kwargs = tree.pack_sequence_as(self.structure, leaves)
        rng = config.rng()
        after = rng.bit_generator.state
        rng.bit_generator.state = self.rng_state  # the forward pass's random draws again
        try:
            with GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(inputs)
                for v in self.variables:
                    tape.watch(v)
                out = tree.flatten(self.f(*args, **kwargs))[self.index]
        finally:
            rng.bit_generator.state = after
        if out.shape != self.value.shape or not xp.allclose(out.data, self.value, rtol=1e-5,
                                                            atol=1e-6, equal_nan=True):
            # gradients of a different computation would be silently wrong
            raise ValueError(
                "remat: recomputing the function during the backward pass gave a different "
                "result than the forward pass. The function must be deterministic, apart from "
                "draws from ember's global generator (ops.dropout without a seed, Dropout "
                "layers without a seed); a generator of its own (Dropout(seed=...), a "
                "SeedGenerator) draws new numbers when rerun.")
        grads = tape.gradient(out, inputs + self.variables, output_gradients=Tensor(gy))
        return tuple(None if g is None else getattr(g, "data", g) for g in grads)
