"""matmul, dot, tensordot, einsum, outer, inner, norm."""

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 3), (2, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    a, b = rand(shapes[0], 1), rand(shapes[1], 2)
    close(ops.matmul(a, b).data, np.matmul(a, b))
    assert_grads(ops.matmul, a, b)


def test_matmul_operator_and_float32():
    y, grads = float32_run(lambda a, b: a @ b, rand((2, 3), 1), rand((3, 4), 2))
    assert all(g is not None for g in grads)


def test_matmul_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul: .*\(2, 3\) and \(4, 5\)"):
        ops.matmul(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul: inputs must have rank >= 1"):
        ops.matmul(np.ones(()), np.ones((4, 5)))


@pytest.mark.parametrize("shapes", [((), (2, 3)), ((3,), (3,)), ((2, 3), (3, 4)),
                                    ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 2)),
                                    ((3,), (2, 3, 4))], ids=str)
def test_dot(shapes):
    a, b = rand(shapes[0], 1), rand(shapes[1], 2)
    close(ops.dot(a, b).data, np.dot(a, b))
    assert_grads(ops.dot, a, b)


def test_dot_error():
    with pytest.raises(ValueError, match=r"dot: .*\(2, 3, 4\) and \(5, 3, 2\)"):
        ops.dot(np.ones((2, 3, 4)), np.ones((5, 3, 2)))


@pytest.mark.parametrize("sa,sb,axes", [
    ((2, 3, 4), (3, 4, 5), 2),
    ((2, 3), (3, 2), 1),
    ((2, 3), (4,), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
    ((2, 3, 4), (4, 3, 5), ([-1, 1], [0, -2])),
    ((4, 3), (2, 4), ([0], [1])),
], ids=str)
def test_tensordot(sa, sb, axes):
    a, b = rand(sa, 1), rand(sb, 2)
    close(ops.tensordot(a, b, axes=axes).data, np.tensordot(a, b, axes=axes))
    assert_grads(lambda x, y: ops.tensordot(x, y, axes=axes), a, b)


def test_tensordot_errors():
    with pytest.raises(ValueError, match=r"tensordot: axis 1 of x1 \(size 3\) does not match "
                                         r"axis 0 of x2 \(size 4\).*\(2, 3\) and \(4, 5\)"):
        ops.tensordot(np.ones((2, 3)), np.ones((4, 5)), axes=([1], [0]))
    with pytest.raises(ValueError, match="tensordot: axes=3 is invalid"):
        ops.tensordot(np.ones((2, 3)), np.ones((3, 5)), axes=3)


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i->", [(3,), (3,)]),
    ("bi,bi->b", [(2, 3), (2, 3)]),
    ("ij,kl->ik", [(2, 3), (4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 2, 4)]),
    ("bhqk,bhkd->bhqd", [(1, 2, 3, 2), (1, 2, 2, 4)]),
    ("abc,cd,bd->ad", [(2, 3, 4), (4, 2), (3, 2)]),
    ("...ij,jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...i,...i->...", [(2, 3), (2, 3)]),
    ("i...->...", [(2, 3, 2)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM, ids=[s for s, _ in EINSUM])
def test_einsum(spec, shapes):
    arrays = [rand(s, i + 1) for i, s in enumerate(shapes)]
    close(ops.einsum(spec, *arrays).data, np.einsum(spec, *arrays))
    assert_grads(lambda *xs: ops.einsum(spec, *xs), *arrays)


def test_einsum_float32_and_constant_operand():
    y, grads = float32_run(lambda a, b: ops.einsum("ij,jk->ik", a, b), rand((2, 3), 1),
                           rand((3, 4), 2))
    assert all(g is not None for g in grads)
    v = ember.Variable(rand((2, 3), 1).astype("float32"))
    assert ops.einsum("ij,j->i", v, np.ones(3)).dtype == np.float32


@pytest.mark.parametrize("spec,shapes,match", [
    ("ii->i", [(3, 3)], "repeats an index"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "index 'j' has size 3 in one operand and 4"),
    ("ij,jk->ik", [(2, 3)], "name 2 operands but 1 were given"),
    ("ijk->i", [(2, 3)], r"operand 0 has shape \(2, 3\)"),
    ("...i,...i->...", [(2, 3), (1, 3)], "broadcasting of einsum indices is not supported"),
    ("ij->iz", [(2, 3)], "invalid output"),
])
def test_einsum_unsupported_specs_fail_clearly(spec, shapes, match):
    with pytest.raises(ValueError, match=match):
        ops.einsum(spec, *[np.ones(s) for s in shapes])


def test_outer_and_inner():
    a, b = rand((2, 2), 1), rand((3,), 2)
    close(ops.outer(a, b).data, np.outer(a, b))
    assert_grads(ops.outer, a, b)
    c, d = rand((2, 3), 3), rand((4, 3), 4)
    close(ops.inner(c, d).data, np.inner(c, d))
    assert_grads(ops.inner, c, d)
    with pytest.raises(ValueError, match=r"inner: .*\(2, 3\) and \(2, 4\)"):
        ops.inner(np.ones((2, 3)), np.ones((2, 4)))


@pytest.mark.parametrize("ord_,axis,keepdims", [
    (None, None, False), (None, None, True), (None, 1, False), (2, -1, True), (1, 0, False),
    (np.inf, 1, False), (-np.inf, 1, False), (3, 1, False), (0.5, 0, True),
    ("fro", (0, 1), False), (1, (0, 1), False), (-1, (0, 1), True), (np.inf, (0, 1), False),
    (-np.inf, (1, 0), False),
], ids=str)
def test_norm(ord_, axis, keepdims):
    x = rand((3, 4), seed=8, away=0.1)
    close(ops.norm(x, ord=ord_, axis=axis, keepdims=keepdims).data,
          np.linalg.norm(x, ord=ord_, axis=axis, keepdims=keepdims))
    assert_grads(lambda t: ops.norm(t, ord=ord_, axis=axis, keepdims=keepdims), x)


def test_norm_unsupported_matrix_ord():
    with pytest.raises(ValueError, match="norm: ord='nuc' is not supported"):
        ops.norm(np.ones((2, 2)), ord="nuc", axis=(0, 1))
