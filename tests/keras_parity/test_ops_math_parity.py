"""The NumPy-style math ops of ``ember.ops`` against ``keras.ops``: values and result dtypes on
the same float32, int32 and bool inputs (and Keras's error types where it refuses an input)."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember

RNG = np.random.default_rng(0)
F = RNG.uniform(-2, 2, (3, 4)).astype("float32")
F_UNIT = RNG.uniform(-0.95, 0.95, (3, 4)).astype("float32")
F_BIG = RNG.uniform(1.05, 3, (3, 4)).astype("float32")
F_NAN = F.copy()
F_NAN[0, 1] = F_NAN[2, 3] = F_NAN[1, 0] = np.nan
F_NAN[:, 2] = np.nan
G = RNG.uniform(-2, 2, (4,)).astype("float32")
I = RNG.integers(-5, 6, (3, 4)).astype("int32")
I_POS = RNG.integers(1, 9, (3, 4)).astype("int32")
J = RNG.integers(0, 4, (4,)).astype("int32")
B = RNG.uniform(size=(3, 4)) > 0.5
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5], dtype="float32")

FLOAT_UNARY = {
    "arccos": [F_UNIT], "arcsin": [F_UNIT], "arctanh": [F_UNIT], "arccosh": [F_BIG, I_POS],
    "arcsinh": [F, I, B], "cbrt": [F, I, B], "deg2rad": [F, I, B], "rad2deg": [F, I, B],
    "exp2": [F, I, B], "erfc": [F, I, B], "erfinv": [F_UNIT, B], "fabs": [F, I, B],
    "i0": [F, I, B], "sinc": [F, I, B], "angle": [F, I, B],
}
KEEP_DTYPE_UNARY = {
    "conj": [F, I, B], "conjugate": [F, I, B], "real": [F, I, B], "imag": [F, I, B],
    "trunc": [F, I, B], "nan_to_num": [SPECIAL, I, B], "signbit": [SPECIAL, I, B],
    "isneginf": [SPECIAL, I, B], "isposinf": [SPECIAL, I, B], "isreal": [F, I, B],
    "bitwise_invert": [I, B], "bitwise_not": [I, B],
}
BINARY = {
    "arctan2": [(F, G), (I, I_POS), (F, I)], "hypot": [(F, G), (I, I_POS)],
    "logaddexp": [(F, G), (I, J)], "logaddexp2": [(F, G), (I, J)],
    "fmax": [(F_NAN, F), (I, J), (B, B), (I, F)], "fmin": [(F_NAN, F), (I, J), (B, B)],
    "fmod": [(F, G), (I, I_POS), (B, B)], "gcd": [(I, I_POS)], "lcm": [(I, I_POS)],
    "heaviside": [(SPECIAL, np.float32(0.5)), (I, J), (B, B)], "ldexp": [(F, J), (I, J)],
    "nextafter": [(F, G), (I, J)], "isclose": [(F, F + 1e-6), (I, J), (B, B)],
    "allclose": [(F, F + 1e-6), (F, G)], "isin": [(I, J), (F, F[0])],
    "divide_no_nan": [(F, np.where(F > 0.5, 0, F)), (I, J), (B, B)],
    "bitwise_and": [(I, J), (B, B)], "bitwise_or": [(I, J), (B, B)],
    "bitwise_xor": [(I, J), (B, B)], "bitwise_left_shift": [(I_POS, J), (B, B)],
    "bitwise_right_shift": [(I_POS, J)], "left_shift": [(I_POS, J)],
    "right_shift": [(I_POS, J)], "vdot": [(F, F), (I, I), (B, B)],
    "kron": [(F, G), (I, I[:2, :2]), (G, F)],
    "correlate": [(G, G[:2]), (G[:2], G), (J, G)],
}
# a Python scalar operand is "weak": it takes the tensor's dtype (a float next to ints: floatx)
WEAK_SCALARS = [
    ("fmax", (I, 2)), ("fmin", (I, 1.5)), ("fmax", (B, 1)), ("fmod", (I, 3)),
    ("arctan2", (I, 2)), ("hypot", (F, 3.0)), ("divide_no_nan", (I, 2)),
    ("bitwise_and", (I, 6)), ("left_shift", (I_POS, 2)), ("isclose", (I, 1.0)),
    ("heaviside", (I, 0.5)), ("logaddexp", (F, 1)), ("nextafter", (F, 0.0)),
]
REDUCTIONS = {
    "nansum": [F_NAN, I, B], "nanprod": [F_NAN, I, B], "nanmean": [F_NAN, I],
    "nanvar": [F_NAN, I], "nanstd": [F_NAN, I], "nanmax": [F_NAN, I, B], "nanmin": [F_NAN, I, B],
    "nanargmax": [F_NAN, I], "nanargmin": [F_NAN, I], "nanmedian": [F_NAN, I],
    "ptp": [F, I], "median": [F, I, F_NAN],
}
AXES = [None, 0, 1, -1]


def _cases():
    for name, inputs in {**FLOAT_UNARY, **KEEP_DTYPE_UNARY}.items():
        for x in inputs:
            yield f"{name}-{x.dtype}", name, (x,), {}
    for name, pairs in BINARY.items():
        for a, b in pairs:
            yield f"{name}-{a.dtype}{a.shape}-{b.dtype}{b.shape}", name, (a, b), {}
    for name, (a, b) in WEAK_SCALARS:
        yield f"{name}-{a.dtype}-{type(b).__name__}", name, (a, b), {}
    for name, inputs in REDUCTIONS.items():
        for x in inputs:
            for axis in AXES:
                yield f"{name}-{x.dtype}-axis{axis}", name, (x,), {"axis": axis}
        yield f"{name}-keepdims", name, (inputs[0],), {"axis": 1, "keepdims": True}
    for name in ("cumsum", "cumprod", "nancumprod", "nancumsum"):
        for x in (F_NAN if name.startswith("nan") else F, I, B):
            for axis in (None, 0, 1):
                yield f"{name}-{x.dtype}-axis{axis}", name, (x,), {"axis": axis}
    yield "cumprod-dtype", "cumprod", (I,), {"axis": 1, "dtype": "float32"}
    yield "cumsum-dtype", "cumsum", (B,), {"axis": 0, "dtype": "float32"}
    yield "cumsum-int8", "cumsum", (I.astype("int8"),), {"axis": 0}
    for name, q in (("quantile", 0.3), ("percentile", 30.0), ("nanquantile", 0.7),
                    ("nanpercentile", 70.0)):
        x = F_NAN if name.startswith("nan") else F
        for method in ("linear", "lower", "higher", "midpoint", "nearest"):
            yield f"{name}-{method}", name, (x, q), {"axis": 1, "method": method}
        yield f"{name}-int", name, (I, q), {}
        yield f"{name}-qvector", name, (x, np.array([q, q / 3])), {"axis": 0, "keepdims": True}
        yield f"{name}-axes", name, (x.reshape(3, 2, 2), q), {"axis": (0, 2)}
    for y, kw in ((F, {}), (F, {"dx": 0.5, "axis": 0}), (I, {}),
                  (F, {"x": np.array([0.0, 0.5, 1.5, 3.0], "float32")})):
        yield f"trapezoid-{y.dtype}-{sorted(kw)}", "trapezoid", (y,), kw
    for x in (F, I, B, G):
        yield f"corrcoef-{x.dtype}{x.shape}", "corrcoef", (x,), {}
    for mode in ("valid", "same", "full"):
        for a, v in ((G, G[:3]), (G[:3], G), (G[:2], G[1:3])):
            yield f"correlate-{mode}-{a.shape}-{v.shape}", "correlate", (a, v), {"mode": mode}
    bins = np.array([-1.0, 0.0, 0.5, 1.5], "float32")
    for x in (F, I):
        yield f"digitize-{x.dtype}", "digitize", (x, bins), {}
    yield "digitize-decreasing", "digitize", (F, bins[::-1].copy()), {}
    for x, kw in ((G, {}), (J, {"bins": 3}), (F.ravel(), {"bins": 4, "range": (-1.0, 1.0)})):
        yield f"histogram-{x.dtype}-{sorted(kw)}", "histogram", (x,), kw
    for kw in ({}, {"minlength": 7}, {"weights": G}):
        yield f"bincount-{sorted(kw)}", "bincount", (J,), kw
    yield "bincount-2d", "bincount", (np.array([[0, 1, 3], [2, 3, 0]], "int32"),), {}
    for x, dtype in ((np.array([300.0, -5.0, 3e10, -3e10, np.nan], "float32"), "int32"),
                     (np.array([300.0, -5.0, 2.5], "float32"), "uint8"),
                     (np.array([300, -5, 7], "int32"), "uint8"), (I, "int8"),
                     (np.array([1e300, -1e300, 1.0]), "float32"), (F, "float16")):
        yield f"saturate_cast-{x.dtype}-{dtype}", "saturate_cast", (x, dtype), {}


CASES = list(_cases())


def _compare(ours, theirs, what):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), what
        for o, t in zip(ours, theirs):
            _compare(o, t, what)
        return
    o, t = to_numpy(ours), to_numpy(theirs)
    assert str(o.dtype) == str(t.dtype), f"{what}: dtype ember {o.dtype}, keras {t.dtype}"
    if o.dtype.kind in "biu":
        np.testing.assert_array_equal(o, t, err_msg=what)
    else:
        assert_close(o, t, rtol=2e-5, atol=2e-6, what=what)


@pytest.mark.parametrize("case_id,name,args,kwargs", CASES, ids=[c[0] for c in CASES])
def test_math_op_matches_keras(keras, case_id, name, args, kwargs):
    theirs = getattr(keras.ops, name)(*args, **kwargs)
    ours = getattr(ember.ops, name)(*args, **kwargs)
    _compare(ours, theirs, case_id)


# inputs Keras refuses: ember raises the same error type
REFUSED = [
    ("bitwise_and", (F, F), TypeError), ("bitwise_or", (F, I), TypeError),
    ("bitwise_invert", (F,), TypeError), ("left_shift", (F, J), TypeError),
    ("gcd", (F, F), ValueError), ("lcm", (B, B), ValueError),
    ("ldexp", (F, F), TypeError), ("kron", (B, B), TypeError), ("ptp", (B,), TypeError),
    ("histogram", (F,), ValueError),
]


@pytest.mark.parametrize("name,args,error", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_inputs_raise_like_keras(keras, name, args, error):
    with pytest.raises(error):
        getattr(keras.ops, name)(*args)
    with pytest.raises(error, match=name):
        getattr(ember.ops, name)(*args)


@pytest.mark.parametrize("name,args", [
    ("arcsin", (F_UNIT,)), ("arccosh", (F_BIG,)), ("arctanh", (F_UNIT,)), ("cbrt", (F_BIG,)),
    ("exp2", (F,)), ("erfc", (F,)), ("erfinv", (F_UNIT,)), ("i0", (F,)), ("sinc", (F,)),
    ("arctan2", (F, G)), ("hypot", (F, G)), ("logaddexp", (F, G)), ("logaddexp2", (F, G)),
    ("fmod", (F, G)), ("divide_no_nan", (F, np.where(F > 0.5, 0, F))),
    ("nanmean", (F_NAN,)), ("nanstd", (F_NAN,)), ("nanmax", (F_NAN,)), ("cumprod", (F,)),
    ("nanvar", (F_NAN,)), ("nansum", (F_NAN,)), ("nanprod", (F_NAN,)), ("nanmin", (F_NAN,)),
    ("nanmedian", (F_NAN,)), ("nanquantile", (F_NAN, 0.3)), ("median", (F,)),
    ("nancumsum", (F_NAN,)), ("nancumprod", (F_NAN,)), ("percentile", (F, 62.0)),
    ("fmax", (F_NAN, F)), ("nan_to_num", (SPECIAL,)), ("deg2rad", (F,)), ("fabs", (F,)),
    ("arccos", (F_UNIT,)), ("arcsinh", (F,)), ("ldexp", (F, J)),
    ("quantile", (F, 0.3)), ("nanpercentile", (F_NAN, 70.0)), ("ptp", (F,)),
    ("trapezoid", (F,)), ("corrcoef", (F,)), ("kron", (F, G)), ("vdot", (F, F)),
    ("correlate", (G, G[:3])),
], ids=lambda v: v if isinstance(v, str) else "")
def test_gradient_matches_keras(keras, name, args):
    """The gradients of ``sum(op(...))`` with respect to every float array input, against
    JAX's."""
    import jax

    wrt = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]

    def call(module, values):
        full = list(args)
        for i, v in zip(wrt, values):
            full[i] = v
        return getattr(module, name)(*full)

    theirs = jax.grad(lambda *v: keras.ops.sum(call(keras.ops, v)), argnums=tuple(
        range(len(wrt))))(*[args[i] for i in wrt])
    variables = [ember.Variable(args[i]) for i in wrt]
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(call(ember.ops, variables))
    ours = tape.gradient(loss, variables)
    for i, o, t in zip(wrt, ours, theirs):
        assert o.dtype == np.float32
        assert_close(o, np.asarray(t), rtol=2e-4, atol=2e-5, what=f"{name}, input {i}")
