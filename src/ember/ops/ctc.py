"""Connectionist temporal classification: ``ctc_loss`` (with its gradient) and
``ctc_decode`` (greedy and prefix beam search), as ``keras.ops``."""

import math

from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor, convert_to_tensor
from ember.backend import xp
from ember.ops._helpers import raw

_NEG_INF = float("-inf")


def _lse(*terms):
    """Elementwise log(sum(exp(terms))), -inf where every term is -inf."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    safe = xp.where(xp.isfinite(m), m, 0)
    total = sum(xp.exp(t - safe) for t in terms)
    with xp.errstate(divide="ignore"):
        return xp.log(total) + safe


def _shift(a, k):
    """``a`` moved ``k`` places right along the last axis, -inf coming in."""
    out = xp.full_like(a, _NEG_INF)
    out[..., k:] = a[..., :-k]
    return out


def _log_softmax(z):
    from ember.ops.activations import LogSoftmax

    return LogSoftmax(-1).forward(z)


class CTCLoss(Function):
    """Per-sample ``-log p(target | output)`` summed over every alignment, ``output`` being
    logits (B, T, C). Forward-backward in log space over the blank-extended labels; the
    gradient of the logits is ``softmax - occupancy`` (Graves et al., 2006).

    Applied to ``(logits, target, target_length, output_length)``: the integer inputs are read
    and checked in ``forward``, so that a replayed ``tf.function`` trace reads each call's."""

    def __init__(self, blank):
        self.blank = blank

    def forward(self, logits, target, target_length, output_length):
        b, t_max, classes = logits.shape
        labels = xp.asarray(target)
        label_len = _lengths(target_length, b, labels.shape[1], "target_length")
        self.frames = frames = _lengths(output_length, b, t_max, "output_length")
        if (frames < 1).any():
            raise ValueError(f"ctc_loss: every output_length must be >= 1; received "
                             f"{frames.tolist()}")
        used = xp.arange(labels.shape[1])[None, :] < label_len[:, None]
        bad = ((labels < 0) | (labels >= classes)) & used
        if bad.any():
            raise ValueError(f"ctc_loss: target values must lie in [0, {classes}) for "
                             f"{classes} classes; received {labels[bad][0]}")
        labels = xp.where(used, labels, self.blank).astype("int64")
        logp = _log_softmax(logits)
        s_max = 2 * labels.shape[1] + 1
        ext = xp.full((b, s_max), self.blank, dtype="int64")
        ext[:, 1::2] = labels
        valid = xp.arange(s_max)[None, :] < 2 * label_len[:, None] + 1
        # a label may be skipped to from two states back unless it repeats the one before
        skip = xp.zeros((b, s_max), dtype=bool)
        skip[:, 2:] = (ext[:, 2:] != self.blank) & (ext[:, 2:] != ext[:, :-2])
        emit = xp.take_along_axis(logp, xp.broadcast_to(ext[:, None, :], (b, t_max, s_max)),
                                  axis=2)
        emit = xp.where(valid[:, None, :], emit, _NEG_INF)
        alpha = xp.full((b, t_max, s_max), _NEG_INF, dtype=logp.dtype)
        alpha[:, 0, :2] = emit[:, 0, :2]
        for t in range(1, t_max):
            a = alpha[:, t - 1]
            alpha[:, t] = _lse(a, _shift(a, 1), xp.where(skip, _shift(a, 2), _NEG_INF)) + \
                emit[:, t]
        rows = xp.arange(b)
        last = alpha[rows, frames - 1]  # (B, S): each sample's last frame
        end = 2 * label_len
        log_p = _lse(last[rows, end], xp.where(end > 0, last[rows, end - 1], _NEG_INF))
        if self.recording:
            self.saved = (logp, ext, valid, skip, emit, alpha, log_p, end)
        return (-log_p).astype(logits.dtype, copy=False)

    def backward(self, gy):
        logp, ext, valid, skip, emit, alpha, log_p, end = self.saved
        b, t_max, s_max = alpha.shape
        rows = xp.arange(b)
        beta = xp.full_like(alpha, _NEG_INF)  # log p(the rest of the frames | state at t)
        skip_next = xp.zeros_like(skip)
        skip_next[:, :-2] = skip[:, 2:]
        for t in range(t_max - 1, -1, -1):
            if t < t_max - 1:
                nb = emit[:, t + 1] + beta[:, t + 1]
                back1 = xp.full_like(nb, _NEG_INF)
                back1[:, :-1] = nb[:, 1:]
                back2 = xp.full_like(nb, _NEG_INF)
                back2[:, :-2] = nb[:, 2:]
                beta[:, t] = _lse(nb, back1, xp.where(skip_next, back2, _NEG_INF))
            final = self.frames - 1 == t
            beta[final, t] = _NEG_INF
            beta[rows[final], t, end[final]] = 0.0
            ok = final & (end > 0)
            beta[rows[ok], t, end[ok] - 1] = 0.0
        beta[xp.arange(t_max)[None, :] >= self.frames[:, None]] = _NEG_INF
        feasible = xp.isfinite(log_p)
        with xp.errstate(over="ignore", invalid="ignore"):
            occ = xp.exp(alpha + beta - xp.where(feasible, log_p, 0)[:, None, None])
        occ = xp.where(feasible[:, None, None] & valid[:, None, :], occ, 0)
        # the occupancy of each extended-label state, summed into its class
        states = (ext[:, :, None] == xp.arange(logp.shape[-1])).astype(occ.dtype)
        g_logp = -(occ @ states)
        g = g_logp - xp.exp(logp) * g_logp.sum(axis=-1, keepdims=True)
        return ((g * gy[:, None, None]).astype(gy.dtype, copy=False), None, None, None)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC loss per sample (B,) for integer ``target`` (B, L) and logits ``output`` (B, T, C),
    with each sample's label count ``target_length`` and frame count ``output_length``;
    ``mask_index`` is the blank class. A target that no alignment can produce (too few frames)
    has an infinite loss and a zero gradient."""
    output = convert_to_tensor(output)
    if output.ndim != 3:
        raise ValueError(f"ctc_loss: output must be 3-D (batch, frames, classes); received "
                         f"shape {output.shape}")
    if output.dtype.kind != "f" or output.dtype.itemsize < 4:
        from ember.ops.elementwise import cast

        # half precision computes in float32, as Keras (alpha underflows in float16)
        output = cast(output, "float32")
    b, _, classes = output.shape
    shape = xp.shape(raw(target))
    if len(shape) != 2 or shape[0] != b:
        raise ValueError(f"ctc_loss: target must be 2-D (batch, max_label_length) with batch "
                         f"size {b}; received shape {shape} for output shape {output.shape}")
    if not 0 <= mask_index < classes:
        raise ValueError(f"ctc_loss: mask_index must lie in [0, {classes}); received "
                         f"{mask_index}")
    return CTCLoss(int(mask_index)).apply(output, target, target_length, output_length)


def _lengths(lengths, batch, most, name, op="ctc_loss"):
    n = xp.asarray(lengths).astype("int64").reshape(-1)
    if n.shape != (batch,) or (n < 0).any() or (n > most).any():
        raise ValueError(f"{op}: {name} must hold one length in [0, {most}] per sample "
                         f"({batch}); received {xp.asarray(lengths).tolist()}")
    return n


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Decode (B, T, C) class scores into label sequences, as Keras.

    Returns ``(decoded, scores)``: ``decoded`` int32 (top_paths, B, T), each path padded with
    -1; ``scores`` (B, top_paths). ``"greedy"`` takes the best class of each frame, merges
    repeats (``merge_repeated``) and drops blanks; its score is minus the sum of the chosen
    inputs. ``"beam_search"`` runs a CTC prefix beam search on ``log_softmax(inputs)``
    keeping ``beam_width`` prefixes; its scores are the paths' log-probabilities. No
    gradient."""
    x = convert_to_tensor(inputs)
    if x.ndim != 3:
        raise ValueError(f"ctc_decode: inputs must be 3-D (batch, frames, classes); "
                         f"received shape {x.shape}")
    b, t_max, classes = x.shape
    if not 0 <= mask_index < classes:
        raise ValueError(f"ctc_decode: mask_index must lie in [0, {classes}); received "
                         f"{mask_index}")
    if strategy == "greedy":
        def decode(a, n):
            return _greedy(a, n, merge_repeated, mask_index)
    elif strategy == "beam_search":
        if beam_width < 1 or top_paths < 1 or top_paths > beam_width:
            raise ValueError(f"ctc_decode: need 1 <= top_paths <= beam_width; received "
                             f"beam_width={beam_width}, top_paths={top_paths}")

        def decode(a, n):
            return _beam_search(a, n, beam_width, top_paths, mask_index)
    else:
        raise ValueError(f"ctc_decode: invalid strategy {strategy!r}. Supported values are "
                         "'greedy' and 'beam_search'")

    def run(a, lengths):
        n = _lengths(lengths, b, t_max, "sequence_lengths", "ctc_decode")
        return decode(a if a.dtype.kind == "f" else a.astype("float32"), n)

    if trace.tracing[0]:  # recorded, so that a tf.function replay decodes each call's inputs
        lengths = convert_to_tensor(sequence_lengths)
        return (trace.nograd(lambda a, n: run(a, n)[0], x, lengths),
                trace.nograd(lambda a, n: run(a, n)[1], x, lengths))
    decoded, scores = run(x.data, raw(sequence_lengths))
    return Tensor(decoded), Tensor(scores)


def _compact(paths, t_max):
    """A list of label lists as an int32 array (len, T) padded with -1."""
    out = xp.full((len(paths), t_max), -1, dtype="int32")
    for i, p in enumerate(paths):
        out[i, :len(p)] = p
    return out


def _greedy(data, lengths, merge_repeated, blank):
    b, t_max, _ = data.shape
    best = data.argmax(axis=-1)
    inside = xp.arange(t_max)[None, :] < lengths[:, None]
    best = xp.where(inside, best, blank)
    keep = best != blank
    if merge_repeated:
        keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    paths = [best[i][keep[i]] for i in range(b)]
    scores = -xp.where(inside, data.max(axis=-1), 0).sum(axis=1, keepdims=True)
    return _compact(paths, t_max)[None], scores.astype(data.dtype, copy=False)


def _beam_search(data, lengths, width, top_paths, blank):
    b, t_max, classes = data.shape
    logp = _log_softmax(data)
    decoded = xp.full((top_paths, b, t_max), -1, dtype="int32")
    scores = xp.full((b, top_paths), _NEG_INF, dtype=data.dtype)
    for i in range(b):
        best = _prefix_beam(logp[i, :max(lengths[i], 1)], width, blank)[:top_paths]
        decoded[:len(best), i] = _compact([p for p, _ in best], t_max)
        scores[i, :len(best)] = [s for _, s in best]
    return decoded, scores


def _lse2(a, b):
    """log(exp(a) + exp(b)) of two Python floats (the beam search's inner loop)."""
    if a < b:
        a, b = b, a
    return a if b == _NEG_INF else a + math.log1p(math.exp(b - a))


def _add(beam, prefix, label=_NEG_INF, gap=_NEG_INF):
    old_label, old_gap = beam.get(prefix, (_NEG_INF, _NEG_INF))
    beam[prefix] = (_lse2(old_label, label), _lse2(old_gap, gap))


def _prefix_beam(logp, width, blank):
    """Prefix beam search: each prefix keeps the log-probabilities of its alignments ending
    in a label and ending in a blank; returns ``[(prefix, log p)]``, best first."""
    frames = logp.astype("float64").tolist()
    beam = {}
    for c, value in enumerate(frames[0]):
        if c == blank:
            _add(beam, (), gap=value)
        else:
            _add(beam, (c,), label=value)
    beam = _prune(beam, width)
    for frame in frames[1:]:
        nxt = {}
        for prefix, (label, gap) in beam.items():
            total = _lse2(label, gap)
            _add(nxt, prefix, gap=total + frame[blank])
            tail = prefix[-1] if prefix else None
            for c, value in enumerate(frame):
                if c == blank:
                    continue
                if c == tail:  # a repeat extends the prefix only after a blank
                    _add(nxt, prefix, label=label + value)
                    _add(nxt, prefix + (c,), label=gap + value)
                else:
                    _add(nxt, prefix + (c,), label=total + value)
        beam = _prune(nxt, width)
    return sorted(((p, _lse2(*s)) for p, s in beam.items()), key=lambda ps: -ps[1])


def _prune(beam, width):
    ranked = sorted(beam.items(), key=lambda kv: -_lse2(*kv[1]))
    return dict(ranked[:width])
