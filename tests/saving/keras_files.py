"""The Keras-written files of ../shared/fixtures/keras, for the saving tests."""

import os
from pathlib import Path

import pytest

KERAS_FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "keras"
FIXTURE_NAMES = ("seed_mlp", "convnet", "batchnorm", "functional_two_inputs", "embedding_lstm",
                 "gru_sequences", "conv1d_rnn_mix", "depthwise_separable")


def fixture_path(filename):
    """``../shared/fixtures/keras/<filename>``; skips when absent (fails under
    EMBER_REQUIRE_DATA=1, as CI requires the data)."""
    path = KERAS_FIXTURES / filename
    if not path.exists():
        reason = (f"Keras fixture {path} is absent (the saving tests read files written by Keras "
                  "from ../shared/fixtures/keras beside the repository)")
        if os.environ.get("EMBER_REQUIRE_DATA") == "1":
            pytest.fail(reason + ", and EMBER_REQUIRE_DATA=1 requires it")
        pytest.skip(reason)
    return path
