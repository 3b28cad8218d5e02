"""check_gradients: compare the engine's gradients with central finite differences.

Public API: users check their own layers and ops with it, the way the test suite checks ember's.
"""

from ember.autodiff.tape import GradientTape
from ember.autodiff.tensor import Tensor
from ember.backend import xp

_active = [0]  # > 0 while a check runs: layers then keep float64 inputs (no autocast)


def checking():
    """True while ``check_gradients`` runs (layers skip their float32 autocast then)."""
    return _active[0] > 0


class GradientCheckError(AssertionError):
    """Raised by ``check_gradients`` when an analytic gradient disagrees with the numeric one."""


def check_gradients(fn, inputs, variables=(), eps=1e-6, tolerance=1e-5, seed=0,
                    raise_on_failure=True):
    """Check the gradients of ``fn`` with respect to ``inputs`` and ``variables``.

    ``fn(*tensors)`` must return a Tensor. Everything runs in float64: the inputs and the
    variables are cast for the duration of the check (and restored afterwards). The scalar that
    is differentiated is ``sum(fn(*x) * r)`` for a fixed random ``r``, so every output element
    takes part. For each input the worst error ``max|analytic - numeric| / max(max|numeric|,
    1e-3)`` is reported.

    Args:
        fn: a function of Tensors.
        inputs: a list of arrays (float inputs are differentiated; integer ones are passed as
            they are).
        variables: Variables ``fn`` reads (for example ``layer.trainable_weights``).
        eps: the finite-difference step.
        tolerance: the largest acceptable error.
        raise_on_failure: raise ``GradientCheckError`` naming the input when the check fails.

    Returns:
        A dict ``{name: worst error}`` with names ``input_0``, ... and the variables' paths.
    """
    if not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    arrays = []
    for a in inputs:
        a = xp.asarray(a.data if isinstance(a, Tensor) else a)
        # C order: the finite differences perturb the array through a flat view
        arrays.append(a.astype("float64", order="C") if a.dtype.kind == "f" else a)
    variables = list(variables)
    saved = [v.data for v in variables]
    rng = xp.random.default_rng(seed)
    _active[0] += 1
    try:
        for v in variables:
            v.data = v.data.astype("float64", order="C")
        tensors = [Tensor(a) for a in arrays]
        with GradientTape() as tape:
            for t, a in zip(tensors, arrays):
                if a.dtype.kind == "f":
                    tape.watch(t)
            for v in variables:
                tape.watch(v)
            out = fn(*tensors)
            if not isinstance(out, Tensor):
                raise TypeError(
                    f"check_gradients: fn must return a Tensor, got {type(out).__name__}")
            r = rng.standard_normal(out.shape)
            scalar = _sum_all(out * Tensor(r))

        def objective():
            return float(xp.sum(xp.asarray(fn(*[Tensor(a) for a in arrays]).data) * r))

        targets = [(f"input_{i}", t, a) for i, (t, a) in enumerate(zip(tensors, arrays))
                   if a.dtype.kind == "f"]
        targets += [(v.path, v, v.data) for v in variables]
        analytic = tape.gradient(scalar, [t for _, t, _ in targets])
        report = {}
        for (name, _, array), g in zip(targets, analytic):
            numeric = xp.zeros(array.shape)
            flat = array.reshape(-1)
            nflat = numeric.reshape(-1)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + eps
                up = objective()
                flat[i] = old - eps
                down = objective()
                flat[i] = old
                nflat[i] = (up - down) / (2 * eps)
            a = xp.zeros(array.shape) if g is None else g.data
            scale = max(float(xp.max(xp.abs(numeric))) if numeric.size else 0.0, 1e-3)
            err = float(xp.max(xp.abs(a - numeric))) / scale if numeric.size else 0.0
            report[name] = err
            if raise_on_failure and not err <= tolerance:
                raise GradientCheckError(
                    f"check_gradients: the gradient for {name} (shape {array.shape}) differs "
                    f"from finite differences: worst relative error {err:.3g} > {tolerance:g}.\n"
                    f"analytic:\n{a}\nnumeric:\n{numeric}"
                )
        return report
    finally:
        _active[0] -= 1
        for v, d in zip(variables, saved):
            v.data = d


def _sum_all(t):
    from ember.ops import sum as _sum

    return _sum(t)


__all__ = ["check_gradients", "GradientCheckError"]
