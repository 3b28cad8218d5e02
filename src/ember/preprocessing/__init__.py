"""``keras.preprocessing``: ``sequence.pad_sequences``, the ``image`` file helpers, and the
``image_dataset_from_directory`` / ``text_dataset_from_directory`` /
``timeseries_dataset_from_array`` loaders (the same functions as in ``ember.utils``).
"""

from ember.preprocessing import image, sequence
from ember.utils.image_dataset_utils import image_dataset_from_directory
from ember.utils.text_dataset_utils import text_dataset_from_directory
from ember.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = ["image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
