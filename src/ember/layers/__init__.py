"""``ember.layers``: the Keras layers.

The layer catalog (convolution, pooling, normalization, recurrent, merging, ...) is imported
here from its family modules.
"""

import importlib as _importlib

from ember.layers.core.basic import (
    Activation,
    Dropout,
    Flatten,
    Lambda,
    Permute,
    RepeatVector,
    Reshape,
)
from ember.layers.core.dense import Dense
from ember.layers.core.einsum_dense import EinsumDense
from ember.layers.core.input_layer import Input, InputLayer
from ember.layers.core.reversible_embedding import ReversibleEmbedding
from ember.layers.core.wrapper import Identity, Wrapper
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer

# Family modules of the layer catalog; each defines its layers and lists them in __all__.
_FAMILIES = (
    "ember.layers.convolutional", "ember.layers.pooling", "ember.layers.normalization",
    "ember.layers.normalization_extra",
    "ember.layers.embedding", "ember.layers.rnn", "ember.layers.merging",
    "ember.layers.reshaping", "ember.layers.regularization", "ember.layers.preprocessing",
    "ember.layers.augmentation",
    "ember.layers.activations",
    "ember.layers.attention",
)
for _name in _FAMILIES:
    try:
        _module = _importlib.import_module(_name)
    except ModuleNotFoundError as _e:
        if _e.name != _name:
            raise
        continue
    for _attr in getattr(_module, "__all__", ()):
        globals()[_attr] = getattr(_module, _attr)


def serialize(layer):
    from ember import registry

    return registry.serialize(layer)


def deserialize(config, custom_objects=None):
    from ember import registry

    return registry.deserialize(config, custom_objects=custom_objects, kind="layer")
