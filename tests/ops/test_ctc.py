"""CTC: the loss against a brute-force sum over every alignment, its gradient, the greedy and
beam-search decoders against exhaustive references, and the errors."""

import itertools

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand


def _log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def _collapse(path, blank):
    out = [c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1])]
    return tuple(out)


def _sequence_probs(logits, blank):
    """{label sequence: probability}, summing every alignment (frame by frame class choice)."""
    p = np.exp(_log_softmax(logits))
    probs = {}
    for path in itertools.product(range(p.shape[1]), repeat=p.shape[0]):
        key = _collapse(path, blank)
        probs[key] = probs.get(key, 0.0) + np.prod(p[np.arange(p.shape[0]), path])
    return probs


def _ctc_reference(labels, logits, label_len, frames, blank):
    return np.array([-np.log(_sequence_probs(logits[b, :frames[b]], blank).get(
        tuple(labels[b, :label_len[b]]), 0.0)) for b in range(len(labels))])


CASES = [
    # labels, label lengths, frame counts, blank
    (np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0]]), [2, 2, 1], [5, 4, 3], 0),
    (np.array([[0, 1], [1, 1]]), [2, 2], [5, 5], 2),
    (np.array([[1, 2], [3, 3]]), [0, 1], [4, 2], 0),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_ctc_loss_matches_brute_force_and_gradient(case):
    labels, label_len, frames, blank = CASES[case]
    logits = rand((len(labels), 5, 4), case, -2, 2)
    got = ops.ctc_loss(labels, logits, label_len, frames, mask_index=blank)
    close(got.data, _ctc_reference(labels, logits, label_len, frames, blank), rtol=1e-9)
    assert_grads(lambda z: ops.ctc_loss(labels, z, label_len, frames, mask_index=blank),
                 logits)


def test_ctc_loss_float32_and_frames_past_the_length_get_no_gradient():
    labels, label_len, frames, blank = CASES[0]
    y, (g,) = float32_run(lambda z: ops.ctc_loss(labels, z, label_len, frames), rand((3, 5, 4)))
    assert y.shape == (3,)
    assert np.all(g.numpy()[1, 4:] == 0) and np.all(g.numpy()[2, 3:] == 0)
    close(g.numpy().sum(-1), 0.0, atol=1e-6)  # softmax - occupancy sums to 0 per frame


def test_ctc_loss_infeasible_target_is_infinite_with_zero_gradient():
    # "1 1" needs a blank between the two labels: three frames, two given
    labels = np.array([[1, 1], [1, 2]])
    v = ember.Variable(rand((2, 2, 3), 1).astype("float32"))
    with ember.GradientTape() as tape:
        loss = ops.ctc_loss(labels, v, [2, 2], [2, 2])
        total = ops.sum(ops.where(ops.isfinite(loss), loss, 0.0))
    assert np.isinf(loss.numpy()[0]) and np.isfinite(loss.numpy()[1])
    g = tape.gradient(total, v).numpy()
    assert np.all(g[0] == 0) and np.all(np.isfinite(g))


def test_ctc_loss_large_logits_stay_finite():
    logits = np.zeros((1, 6, 3), dtype="float32")
    logits[0, :, 0] = 200.0  # blank everywhere is certain: the labels are very unlikely
    v = ember.Variable(logits)
    with np.errstate(over="raise", invalid="raise"):
        with ember.GradientTape() as tape:
            loss = ops.sum(ops.ctc_loss(np.array([[1, 2]]), v, [2], [6]))
        g = tape.gradient(loss, v)
    assert np.isfinite(loss.numpy()) and loss.numpy() > 300 and np.all(np.isfinite(g.numpy()))


def test_ctc_loss_errors():
    logits, labels = np.zeros((2, 4, 3)), np.array([[1, 2], [1, 0]])
    with pytest.raises(ValueError, match=r"ctc_loss: output must be 3-D.*\(4, 3\)"):
        ops.ctc_loss(labels, logits[0], [2, 1], [4, 4])
    with pytest.raises(ValueError, match=r"ctc_loss: target must be 2-D.*\(2,\)"):
        ops.ctc_loss(labels[0], logits, [2, 1], [4, 4])
    with pytest.raises(ValueError, match=r"ctc_loss: target_length must hold one length in "
                                         r"\[0, 2\] per sample \(2\); received \[3, 1\]"):
        ops.ctc_loss(labels, logits, [3, 1], [4, 4])
    with pytest.raises(ValueError, match=r"ctc_loss: output_length must hold one length in "
                                         r"\[0, 4\]"):
        ops.ctc_loss(labels, logits, [2, 1], [4, 5, 1])
    with pytest.raises(ValueError, match="every output_length must be >= 1"):
        ops.ctc_loss(labels, logits, [2, 1], [4, 0])
    with pytest.raises(ValueError, match=r"target values must lie in \[0, 3\)"):
        ops.ctc_loss(np.array([[1, 3], [1, 0]]), logits, [2, 1], [4, 4])
    ops.ctc_loss(np.array([[1, 7], [1, 0]]), logits, [1, 1], [4, 4])  # past the length: unread
    with pytest.raises(ValueError, match=r"mask_index must lie in \[0, 3\)"):
        ops.ctc_loss(labels, logits, [2, 1], [4, 4], mask_index=3)


# -- decoding -------------------------------------------------------------------------------------
def _greedy_reference(x, lengths, merge, blank):
    paths, scores = [], []
    for b in range(len(x)):
        best = x[b, :lengths[b]].argmax(-1)
        scores.append(-x[b, :lengths[b]].max(-1).sum())
        out = [c for i, c in enumerate(best)
               if c != blank and not (merge and i > 0 and c == best[i - 1])]
        paths.append(out + [-1] * (x.shape[1] - len(out)))
    return np.array(paths)[None], np.array(scores)[:, None]


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("blank", [0, 2])
def test_greedy_decode(merge, blank):
    x = rand((3, 6, 4), 1)
    x[0, 1:3] = x[0, 0]  # a repeated class
    lengths = np.array([6, 4, 0])
    decoded, scores = ops.ctc_decode(x, lengths, merge_repeated=merge, mask_index=blank)
    ref_paths, ref_scores = _greedy_reference(x, lengths, merge, blank)
    assert decoded.dtype == np.int32 and decoded.shape == (1, 3, 6)
    np.testing.assert_array_equal(decoded.numpy(), ref_paths)
    close(scores.data, ref_scores)


@pytest.mark.parametrize("blank", [0, 3])
@pytest.mark.parametrize("top_paths", [1, 3])
def test_beam_search_with_a_wide_beam_is_exact(blank, top_paths):
    x = rand((2, 4, 4), 2, -2, 2).astype("float32")
    lengths = np.array([4, 3])
    decoded, scores = ops.ctc_decode(x, lengths, strategy="beam_search", beam_width=200,
                                     top_paths=top_paths, mask_index=blank)
    assert decoded.shape == (top_paths, 2, 4) and scores.shape == (2, top_paths)
    assert scores.dtype == np.float32
    for b in range(2):
        probs = _sequence_probs(x[b, :lengths[b]].astype("float64"), blank)
        best = sorted(probs.items(), key=lambda kv: -kv[1])[:top_paths]
        for i, (seq, p) in enumerate(best):
            got = decoded.numpy()[i, b]
            assert tuple(got[got >= 0]) == seq and np.all(got[len(seq):] == -1)
            close(scores.numpy()[b, i], np.log(p), rtol=1e-5)


def test_beam_search_narrow_beam_keeps_the_best_prefixes():
    x = rand((1, 5, 3), 4, -2, 2)
    wide = ops.ctc_decode(x, [5], strategy="beam_search", beam_width=50)
    narrow = ops.ctc_decode(x, [5], strategy="beam_search", beam_width=2, top_paths=2)
    assert narrow[0].shape == (2, 1, 5)
    assert np.all(narrow[1].numpy()[0, 0] <= wide[1].numpy()[0, 0] + 1e-6)
    assert narrow[1].numpy()[0, 0] >= narrow[1].numpy()[0, 1]


def test_decode_errors_and_no_gradient():
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"ctc_decode: inputs must be 3-D.*\(3, 4\)"):
        ops.ctc_decode(x[0], [3])
    with pytest.raises(ValueError, match=r"sequence_lengths must hold one length in \[0, 3\]"):
        ops.ctc_decode(x, [3, 4])
    with pytest.raises(ValueError, match="invalid strategy 'best'"):
        ops.ctc_decode(x, [3, 3], strategy="best")
    with pytest.raises(ValueError, match="need 1 <= top_paths <= beam_width"):
        ops.ctc_decode(x, [3, 3], strategy="beam_search", beam_width=2, top_paths=3)
    with pytest.raises(ValueError, match=r"mask_index must lie in \[0, 4\)"):
        ops.ctc_decode(x, [3, 3], mask_index=-1)
    v = ember.Variable(x.astype("float32"))
    with ember.GradientTape() as tape:
        _, scores = ops.ctc_decode(v, [3, 3])
    assert tape.gradient(ops.sum(scores), v) is None  # decoding is not differentiable


def test_ops_nn_exports_them():
    assert ops.nn.ctc_loss is ops.ctc_loss and ops.nn.ctc_decode is ops.ctc_decode


def test_replayed_tf_function_reads_each_calls_labels_and_lengths():
    import warnings

    from ember import losses

    labels, label_len, frames, _ = CASES[0]
    logits = rand((3, 5, 4), 1).astype("float32")
    f = ember.function(lambda y, z, n, m: ops.ctc_loss(y, z, n, m))
    g = ember.function(lambda z, n: ops.ctc_decode(z, n, strategy="beam_search", beam_width=4))
    h = ember.function(lambda y, z: losses.ctc(y, z))
    other = np.array([[2, 1, 3], [1, 1, 2], [3, 0, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an escape to eager execution would warn
        for y, n, m in ((labels, label_len, frames), (other, [3, 3, 1], [5, 5, 4])):
            y, n, m = (np.asarray(a, dtype="int32") for a in (y, n, m))
            close(f(y, logits, n, m).data, ops.ctc_loss(y, logits, n, m).data)
            close(h(y, logits).data, losses.ctc(y, logits).data)
            for got, want in zip(g(logits, m), ops.ctc_decode(
                    logits, m, strategy="beam_search", beam_width=4)):
                close(got.data, want.data)
    assert f.experimental_get_tracing_count() == 1


def test_ctc_loss_half_precision_computes_in_float32():
    labels, label_len, frames, _ = CASES[0]
    logits = rand((3, 5, 4), 1).astype("float16")
    loss = ops.ctc_loss(labels, logits, label_len, frames)
    assert loss.dtype == np.float32
    close(loss.data, ops.ctc_loss(labels, logits.astype("float32"), label_len, frames).data)
