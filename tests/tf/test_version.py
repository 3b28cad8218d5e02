"""tf.version: ember's version where TensorFlow reports its own."""

import ember
from ember.tf import version


def test_version_is_embers():
    assert version.VERSION == ember.__version__
    assert isinstance(version.GIT_VERSION, str) and isinstance(version.COMPILER_VERSION, str)
    assert isinstance(version.GRAPH_DEF_VERSION, int)
