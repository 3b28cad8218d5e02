"""``tf.data``: input pipelines (``tf.data.Dataset``) on ember's tensors."""

from types import SimpleNamespace as _Namespace

from ember.tf.data.dataset import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    Options,
)
from ember.tf.data.structure import DatasetSpec

experimental = _Namespace(AUTOTUNE=AUTOTUNE, INFINITE_CARDINALITY=INFINITE_CARDINALITY,
                          UNKNOWN_CARDINALITY=UNKNOWN_CARDINALITY)
experimental.cardinality = lambda dataset: dataset.cardinality()

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "DatasetSpec",
           "Options", "experimental"]
