"""dot_product_attention: values against a NumPy reference, masks, grouped heads, gradients,
errors."""

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand


def _reference(q, k, v, bias=None, mask=None, scale=None, is_causal=False):
    b, t, n, h = q.shape
    group = n // k.shape[2]
    k, v = np.repeat(k, group, axis=2), np.repeat(v, group, axis=2)
    scale = 1 / np.sqrt(h) if scale is None else scale
    out = np.zeros((b, t, n, v.shape[-1]))
    for bi in range(b):
        for ni in range(n):
            scores = q[bi, :, ni] @ k[bi, :, ni].T * scale
            if bias is not None:
                scores = scores + np.broadcast_to(bias, (b, n, t, k.shape[1]))[bi, ni]
            keep = np.ones(scores.shape, bool)
            if mask is not None:
                keep &= np.broadcast_to(mask, (b, n, t, k.shape[1]))[bi, ni]
            if is_causal:
                keep &= np.tril(np.ones(scores.shape, bool))
            scores = np.where(keep, scores, -np.inf)
            p = np.exp(scores - scores.max(-1, keepdims=True))
            out[bi, :, ni] = (p / p.sum(-1, keepdims=True)) @ v[bi, :, ni]
    return out


CASES = {
    "plain": {},
    "scale": {"scale": 0.7},
    "causal": {"is_causal": True},
    "bias": {"bias": rand((1, 2, 3, 4), 9)},
    "mask": {"mask": np.array([[True, False, True, True]] * 3)},
    "mask_causal_bias": {"mask": rand((2, 1, 3, 4), 8) > -0.5, "is_causal": True,
                         "bias": rand((3, 4), 7)},
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("heads_kv", [2, 1])
def test_values_and_gradients(case, heads_kv):
    kwargs = CASES[case]
    q, k, v = rand((2, 3, 2, 5), 1), rand((2, 4, heads_kv, 5), 2), rand((2, 4, heads_kv, 5), 3)
    if "mask" in kwargs:
        kwargs = dict(kwargs, mask=np.array(kwargs["mask"]))
        kwargs["mask"][..., 0] = True  # every query sees a key
    close(ops.dot_product_attention(q, k, v, **kwargs).data, _reference(q, k, v, **kwargs))
    rest = {key: val for key, val in kwargs.items() if key != "bias"}
    if "bias" in kwargs:
        assert_grads(lambda *t: ops.dot_product_attention(*t[:3], bias=t[3], **rest),
                     q, k, v, kwargs["bias"])
    else:
        assert_grads(lambda *t: ops.dot_product_attention(*t, **rest), q, k, v)


def test_float32_and_fully_masked_rows():
    q, k, v = rand((1, 2, 1, 3), 1), rand((1, 3, 1, 3), 2), rand((1, 3, 1, 3), 3)
    y, grads = float32_run(ops.dot_product_attention, q, k, v)
    assert all(g is not None for g in grads)
    # a query that may see no key attends uniformly (finite, as Keras), not NaN
    mask = np.array([[False] * 3, [True, False, False]])
    out = ops.dot_product_attention(q, k, v, mask=mask).numpy()
    close(out[0, 0, 0], v[0, :, 0].mean(0), rtol=1e-6)
    close(out[0, 1, 0], v[0, 0, 0], rtol=1e-6)


def test_ops_nn_exports_it():
    assert ops.nn.dot_product_attention is ops.dot_product_attention


def test_errors():
    q, k = np.ones((1, 2, 4, 3)), np.ones((1, 3, 3, 3))
    with pytest.raises(ValueError, match=r"only 4-D inputs.*query.shape=\(2, 4, 3\)"):
        ops.dot_product_attention(q[0], k, k)
    with pytest.raises(ValueError, match=r"heads a multiple of heads_kv.*key.shape=\(1, 3, 3, 3\)"):
        ops.dot_product_attention(q, k, k)
    with pytest.raises(ValueError, match=r"a mask of shape \(5,\) does not broadcast"):
        ops.dot_product_attention(q, q, q, mask=np.ones(5, bool))
    with pytest.raises(ValueError, match="flash_attention is not supported"):
        ops.dot_product_attention(q, q, q, flash_attention=True)
    with pytest.raises(ValueError, match="attn_logits_soft_cap"):
        ops.dot_product_attention(q, q, q, attn_logits_soft_cap=20.0)


def test_integer_inputs_become_floatx():
    q = np.ones((1, 2, 1, 3), dtype="int32")
    assert ops.dot_product_attention(q, q, q).dtype == np.float32
    assert ops.dot_product_attention(ember.Variable(q.astype("float32")), q, q).dtype == \
        np.float32


def test_replayed_tf_function_reads_each_calls_mask():
    import warnings

    q, k, v = (rand(s, i).astype("float32") for i, s in
               enumerate([(1, 3, 1, 2), (1, 4, 1, 2), (1, 4, 1, 2)]))
    f = ember.function(lambda m: ops.dot_product_attention(q, k, v, mask=m, is_causal=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an escape to eager execution would warn
        for m in (np.ones((3, 4), bool), np.array([[True, False, True, True]] * 3)):
            close(f(m).data, _reference(q, k, v, mask=m, is_causal=True), rtol=1e-5)
    assert f.experimental_get_tracing_count() == 1
