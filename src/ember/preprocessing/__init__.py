"""``keras.preprocessing``: ``sequence.pad_sequences``.

Keras 3 keeps this namespace for its data-loading helpers; ember has the sequence one. The image
helpers and the ``*_dataset_from_directory`` loaders are not part of ember.
"""

from ember.preprocessing import sequence

__all__ = ["sequence"]
