"""``tf.version``'s values (``ember.version`` serves them): ember's version where
TensorFlow reports its own.

``VERSION`` is ember's release (``ember.__version__``), not a TensorFlow version: code that
compares it with TensorFlow releases should not be run on ember.
"""

import ember

VERSION = ember.__version__
GIT_VERSION = "unknown"
COMPILER_VERSION = "none (ember is pure Python on NumPy)"
GRAPH_DEF_VERSION = 0
GRAPH_DEF_VERSION_MIN_CONSUMER = 0
GRAPH_DEF_VERSION_MIN_PRODUCER = 0
