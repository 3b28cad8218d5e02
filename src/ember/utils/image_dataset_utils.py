"""``keras.utils.image_dataset_from_directory``: a Dataset of images read from class folders."""

from ember.backend import np
from ember.utils import dataset_utils
from ember.utils.image_utils import convert_mode, data_format_arg, open_image

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# Keras's list; ember's ops.image.resize has the first five
KERAS_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                        "gaussian", "mitchellcubic")
_COLOR_MODES = {"rgb": 3, "rgba": 4, "grayscale": 1}
_FN = "image_dataset_from_directory"


def load_image(path, image_size, color_mode, interpolation, data_format,
               crop_to_aspect_ratio=False, pad_to_aspect_ratio=False):
    """One image file as a float32 array of ``image_size``, resized by ``ops.image.resize``
    (the first frame of an animation)."""
    from ember.ops import convert_to_numpy, image

    img = convert_mode(open_image(path, _FN), color_mode, _FN)
    x = np.asarray(img, dtype="float32")
    if x.ndim == 2:
        x = x[..., None]
    out = image.resize(x, image_size, interpolation=interpolation,
                       crop_to_aspect_ratio=crop_to_aspect_ratio,
                       pad_to_aspect_ratio=pad_to_aspect_ratio, data_format="channels_last")
    out = convert_to_numpy(out)
    return out.transpose(2, 0, 1) if data_format == "channels_first" else out


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256),
                                 shuffle=True, seed=None, validation_split=None, subset=None,
                                 interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, format="tf", verbose=True):
    """A Dataset of ``(images, labels)`` batches from image files (bmp, gif, jpeg, png) in
    ``directory``, one subdirectory per class with ``labels='inferred'``.

    Images are float32 ``(batch, height, width, channels)`` (channels first with
    ``data_format='channels_first'``) resized to ``image_size``; labels int32 class indices
    ('int'), float32 one-hot ('categorical') or float32 ``(batch, 1)`` ('binary'). The dataset
    has ``class_names`` and ``file_paths``. ``subset='both'`` returns ``[train, validation]``.
    Files are decoded with Pillow (the optional extra ``image``)."""
    if color_mode not in _COLOR_MODES:
        raise ValueError(f"{_FN}: `color_mode` must be one of 'rgb', 'rgba', 'grayscale'. "
                         f"Received: color_mode={color_mode!r}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"{_FN}: invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size!r}")
    interpolation = str(interpolation).lower()
    if interpolation not in KERAS_INTERPOLATIONS:
        raise ValueError(f"{_FN}: argument `interpolation` should be one of "
                         f"{KERAS_INTERPOLATIONS}. Received: interpolation={interpolation!r}")
    if interpolation not in KERAS_INTERPOLATIONS[:3] + KERAS_INTERPOLATIONS[4:6]:
        raise ValueError(f"{_FN}: interpolation={interpolation!r} is not supported by ember's "
                         "ops.image.resize; use 'bilinear', 'nearest', 'bicubic', 'lanczos3' or "
                         "'lanczos5'")
    if format != "tf":
        raise ValueError(f"{_FN}: `format` should be 'tf' (ember returns its tf.data-style "
                         f"Dataset; 'grain' is not supported). Received: format={format!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{_FN}: only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` "
                         "can be set to True.")
    data_format = data_format_arg(data_format, _FN)
    image_size = (int(image_size[0]), int(image_size[1]))

    def load(path):
        return load_image(path, image_size, color_mode, interpolation, data_format,
                          crop_to_aspect_ratio, pad_to_aspect_ratio)

    return dataset_utils.dataset_from_directory(
        _FN, "image", directory, labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose, ALLOWLIST_FORMATS, load,
        file_paths_attr=True)
