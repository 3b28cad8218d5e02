"""``keras.preprocessing.image``: image files and arrays (the same functions as in
``ember.utils``, plus ``smart_resize``)."""

from ember.utils.image_utils import array_to_img, img_to_array, load_img, save_img, smart_resize

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
