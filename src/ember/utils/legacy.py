"""``keras.utils.legacy``: Keras 2's ``{"class_name", "config"}`` object format."""

from ember.utils.serialization import legacy_deserialize as deserialize_keras_object
from ember.utils.serialization import legacy_serialize as serialize_keras_object

__all__ = ["serialize_keras_object", "deserialize_keras_object"]
