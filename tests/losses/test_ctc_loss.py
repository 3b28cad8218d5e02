"""keras.losses.CTC / ctc: labels padded with the blank 0, every frame used, reductions,
gradients, config and errors."""

import numpy as np
import pytest

import ember
from ember import losses, ops


def _data():
    rng = np.random.default_rng(0)
    labels = np.array([[1, 2, 0], [3, 0, 0], [2, 2, 1]], dtype="int32")
    return labels, rng.normal(size=(3, 7, 4)).astype("float32")


def test_ctc_is_ctc_loss_with_lengths_from_the_padding():
    labels, logits = _data()
    expected = ops.ctc_loss(labels, logits, [2, 1, 3], [7, 7, 7], mask_index=0).numpy()
    np.testing.assert_allclose(losses.ctc(labels, logits).numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(losses.CTC()(labels, logits).numpy(), expected.mean(),
                               rtol=1e-6)
    np.testing.assert_allclose(losses.CTC(reduction="sum")(labels, logits).numpy(),
                               expected.sum(), rtol=1e-6)
    np.testing.assert_allclose(losses.CTC(reduction=None)(labels, logits).numpy(), expected,
                               rtol=1e-6)


def test_ctc_gradient_and_dtype():
    labels, logits = _data()
    v = ember.Variable(logits)
    with ember.GradientTape() as tape:
        loss = losses.CTC()(labels, v)
    g = tape.gradient(loss, v)
    assert loss.dtype == np.float32 and g.dtype == np.float32 and g.shape == logits.shape
    assert np.all(np.isfinite(g.numpy()))


def test_ctc_names_config_and_round_trip():
    assert losses.get("ctc") is losses.ctc
    assert isinstance(losses.get("CTC"), losses.CTC)
    assert losses.serialize(losses.ctc) == "ctc"
    loss = losses.CTC(reduction="sum", name="my_ctc")
    config = loss.get_config()
    assert config == {"name": "my_ctc", "reduction": "sum"}
    again = losses.CTC.from_config(config)
    assert again.name == "my_ctc" and again.reduction == "sum"


def test_ctc_errors():
    labels, logits = _data()
    with pytest.raises(ValueError, match=r"ctc: targets y_true .*y_true.shape=\(3,\)"):
        losses.ctc(labels[:, 0], logits)
    with pytest.raises(ValueError, match=r"ctc: logits y_pred .*y_pred.shape=\(3, 7\)"):
        losses.ctc(labels, logits[..., 0])
