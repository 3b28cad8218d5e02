"""Scaled dot-product attention (``keras.ops.dot_product_attention``), composed of
differentiable ops: the scores, the softmax and the weighted sum each carry their gradient."""

from ember.autodiff.tensor import convert_to_tensor
from ember.backend import xp
from ember.ops import elementwise as E
from ember.ops._helpers import raw


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """``softmax(query . key * scale + bias, masked) . value`` for inputs laid out
    (batch, time, heads, depth).

    ``key`` and ``value`` may have fewer heads than ``query`` when their count divides it
    (grouped-query attention: query head ``n`` reads key head ``n // group``). ``bias`` and
    ``mask`` broadcast to (batch, heads, query_time, key_time); ``mask`` is True where a query
    may attend. ``scale`` defaults to ``1 / sqrt(depth)``; ``is_causal`` masks the future.
    """
    from ember.ops.activations import softmax
    from ember.ops.linalg import einsum
    from ember.ops.shape import repeat

    if flash_attention:
        raise ValueError("dot_product_attention: flash_attention is not supported by ember "
                         "(it has no GPU kernels); pass flash_attention=None or False")
    if attn_logits_soft_cap is not None:
        raise ValueError("dot_product_attention: attn_logits_soft_cap is only supported by "
                         "flash attention kernels, which ember does not have")
    q, k, v = (convert_to_tensor(t) for t in (query, key, value))
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise ValueError("dot_product_attention: only 4-D inputs (batch, time, heads, depth) "
                         f"are supported. Received: query.shape={q.shape}, "
                         f"key.shape={k.shape}, value.shape={v.shape}")
    from ember.backend.keras_api import result_type

    # Keras's promotion (int32 with float32 is float32); integers compute in floatx (Keras
    # would cast the probabilities back to the integer dtype)
    dtype = xp.dtype(result_type(q.dtype.name, k.dtype.name, v.dtype.name))
    if dtype.kind != "f":
        from ember import config

        dtype = xp.dtype(config.floatx())
    q, k, v = (E.cast(t, dtype) for t in (q, k, v))
    b, t, n, h = q.shape
    heads = k.shape[2]
    if k.shape[0] != b or k.shape[3] != h or v.shape[:3] != k.shape[:3] or n % heads:
        raise ValueError(
            "dot_product_attention: expected key (batch, source_time, heads_kv, depth) and "
            "value (batch, source_time, heads_kv, depth_v) matching query (batch, time, heads, "
            "depth), with heads a multiple of heads_kv. Received: "
            f"query.shape={q.shape}, key.shape={k.shape}, value.shape={v.shape}")
    if heads != n:
        k, v = repeat(k, n // heads, axis=2), repeat(v, n // heads, axis=2)
    s = k.shape[1]
    scale = 1.0 / float(h) ** 0.5 if scale is None else float(raw(scale))
    logits = E.multiply(einsum("btnh,bsnh->bnts", q, k), scale)
    if bias is not None:
        logits = E.add(logits, E.cast(convert_to_tensor(bias), dtype))
    keep = None
    if mask is not None:
        keep = E.cast(convert_to_tensor(mask), "bool")
        try:
            xp.broadcast_shapes(keep.shape, logits.shape)
        except ValueError:
            raise ValueError(f"dot_product_attention: a mask of shape {keep.shape} does not "
                             f"broadcast to the scores' shape {logits.shape} (batch, heads, "
                             "query_time, key_time)") from None
    if is_causal:
        causal = xp.tril(xp.ones((t, s), dtype=bool))
        keep = causal if keep is None else E.logical_and(keep, causal)
    if keep is not None:
        # a large finite negative rather than -inf: a fully masked row stays finite (uniform)
        # and its scores get no gradient, as in Keras. Where is applied to the mask Tensor
        # itself so that a tf.function replay reads each call's mask.
        neg = xp.asarray(-0.7 * xp.finfo(dtype).max, dtype=dtype)
        logits = E.Where().apply(keep, logits, neg)
    probs = softmax(logits, axis=-1)
    return einsum("bnts,bsnh->btnh", probs, v)
