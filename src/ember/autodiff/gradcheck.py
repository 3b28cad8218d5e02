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


def check_second_gradients(fn, inputs, variables=(), eps=1e-6, tolerance=1e-5, seed=0,
                           raise_on_failure=True):
    """Check the second derivatives of ``fn`` (its ops' ``backward_ops``).

    The first derivative ``g(x) = d/dx sum(fn(x) * r)`` (a fixed random ``r``, float64, the
    float inputs' gradients concatenated) is computed twice: through the ops' ``backward_ops``
    (under a recording tape) and through their NumPy ``backward``; the two must agree. Then
    ``check_gradients`` compares the derivative of ``g`` with respect to ``inputs`` and
    ``variables`` (mixed second derivatives) with finite differences of ``g``.

    Returns:
        ``check_gradients``'s report, plus ``"first_order"``: the worst relative difference
        between ``backward_ops`` and ``backward``.
    """
    from ember.ops import concatenate, reshape

    state = {}

    def first_derivative(*tensors):
        floats = [t for t in tensors if t.dtype.kind == "f"]
        with GradientTape() as tape:
            tape.watch(floats)
            out = fn(*tensors)
            if "r" not in state:
                state["r"] = xp.random.default_rng(seed + 1).standard_normal(out.shape)
            scalar = _sum_all(out * Tensor(state["r"]))
        grads = tape.gradient(scalar, floats, unconnected_gradients="zero")
        return concatenate([reshape(g, (-1,)) for g in grads])

    if not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    arrays = [xp.asarray(a.data if isinstance(a, Tensor) else a) for a in inputs]
    arrays = [a.astype("float64") if a.dtype.kind == "f" else a for a in arrays]
    variables = list(variables)
    saved = [v.data for v in variables]
    _active[0] += 1  # as in check_gradients: layers keep float64 inputs
    try:
        for v in variables:
            v.data = v.data.astype("float64")
        plain = first_derivative(*[Tensor(a) for a in arrays]).data
        with GradientTape() as outer:
            tensors = [Tensor(a) for a in arrays]
            outer.watch([t for t in tensors if t.dtype.kind == "f"] + variables)
            recorded = first_derivative(*tensors).data
    finally:
        _active[0] -= 1
        for v, d in zip(variables, saved):
            v.data = d
    scale = max(float(xp.max(xp.abs(plain))) if plain.size else 0.0, 1e-3)
    first = float(xp.max(xp.abs(recorded - plain))) / scale if plain.size else 0.0
    if raise_on_failure and not first <= tolerance:
        raise GradientCheckError(
            "check_second_gradients: the first derivative computed with backward_ops differs "
            f"from backward's: worst relative error {first:.3g} > {tolerance:g}.\n"
            f"backward_ops:\n{recorded}\nbackward:\n{plain}")
    report = check_gradients(first_derivative, arrays, variables, eps=eps, tolerance=tolerance,
                             seed=seed, raise_on_failure=raise_on_failure)
    report["first_order"] = first
    return report


def _sum_all(t):
    from ember.ops import sum as _sum

    return _sum(t)


__all__ = ["check_gradients", "check_second_gradients", "GradientCheckError"]
