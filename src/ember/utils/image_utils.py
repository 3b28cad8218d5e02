"""Image files and arrays, as ``keras.utils`` / ``keras.preprocessing.image``: ``load_img``,
``img_to_array``, ``array_to_img``, ``save_img`` and ``smart_resize``.

Files are read and written with Pillow (the optional extra ``image``), imported when a function
needs it so that ``import ember`` does not.
"""

import io
import os
import pathlib
import warnings

from ember import config
from ember.backend import np

# load_img's resampling filters, by Keras's names (Pillow's enum member names)
_PIL_FILTERS = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC",
                "hamming": "HAMMING", "box": "BOX", "lanczos": "LANCZOS"}
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def pil_image(fn):
    """Pillow's ``Image`` module, or an ImportError naming ``fn`` when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(f"{fn} requires Pillow: pip install 'ember[image]' "
                          "(or pip install pillow)") from e
    return Image


def data_format_arg(data_format, fn):
    fmt = data_format or config.image_data_format()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{fn}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return fmt


def open_image(path, fn):
    """A Pillow image read from a path (str, bytes, ``os.PathLike``) or a file-like object."""
    Image = pil_image(fn)
    if isinstance(path, io.IOBase):
        return Image.open(path)
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{fn}: path should be path-like or io.BytesIO, not {type(path)}")
    # read the bytes now so that no file handle stays open behind the lazy image
    with open(path, "rb") as f:
        return Image.open(io.BytesIO(f.read()))


def convert_mode(img, color_mode, fn):
    """``img`` in ``color_mode``: 'grayscale' keeps 8/16/32-bit grey images as they are."""
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if color_mode == "rgb":
        return img if img.mode == "RGB" else img.convert("RGB")
    if color_mode == "rgba":
        return img if img.mode == "RGBA" else img.convert("RGBA")
    raise ValueError(f"{fn}: color_mode must be one of 'grayscale', 'rgb', 'rgba'. "
                     f"Received: color_mode={color_mode!r}")


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file as a Pillow image in ``color_mode`` ('grayscale', 'rgb', 'rgba'),
    resized to ``target_size = (height, width)`` with Pillow's ``interpolation`` filter
    (cropping the centre to the target's aspect ratio first if ``keep_aspect_ratio``)."""
    img = convert_mode(open_image(path, "load_img"), color_mode, "load_img")
    if target_size is None:
        return img
    if len(target_size) != 2:
        raise ValueError(f"load_img: target_size must be (height, width). "
                         f"Received: target_size={target_size!r}")
    target_w, target_h = int(target_size[1]), int(target_size[0])
    if img.size == (target_w, target_h):
        return img
    if interpolation not in _PIL_FILTERS:
        raise ValueError(f"load_img: invalid interpolation method {interpolation!r}. "
                         f"Supported methods are {', '.join(_PIL_FILTERS)}")
    resample = getattr(pil_image("load_img").Resampling, _PIL_FILTERS[interpolation])
    box = None
    if keep_aspect_ratio:
        width, height = img.size
        crop_h = min(height, width * target_h // target_w)
        crop_w = min(width, height * target_w // target_h)
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize((target_w, target_h), resample, box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image (or anything array-like) as a rank-3 array of ``dtype`` (floatx by
    default), channels last or first per ``data_format``; a 2-D image gets a channel axis."""
    fmt = data_format_arg(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        x = x[None] if fmt == "channels_first" else x[..., None]
    elif x.ndim == 3:
        if fmt == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}: expected a 2-D or "
                         "3-D image")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A rank-3 array as a Pillow image: 1 channel 'L' ('I' when values exceed 255), 3 'RGB',
    4 'RGBA'. ``scale`` maps the array's range [min, max] onto [0, 255] first."""
    fmt = data_format_arg(data_format, "array_to_img")
    Image = pil_image("array_to_img")
    x = np.array(getattr(x, "data", x), dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError("array_to_img: expected image array to have rank 3 (single image). "
                         f"Got array with shape: {x.shape}")
    if fmt == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported channel number: {channels} (expected 1, 3 or 4)")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a rank-3 array as an image file (``file_format`` from the path's suffix by
    default); ``kwargs`` go to Pillow's ``Image.save``. RGBA saved as JPEG becomes RGB."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: the JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resize images to ``size = (height, width)`` without distorting them: the largest centred
    crop of the target's aspect ratio, resized (``ops.image.resize(crop_to_aspect_ratio=True)``).
    A NumPy input gives a NumPy result."""
    from ember.ops import convert_to_numpy, image

    if len(size) != 2:
        raise ValueError(f"smart_resize: expected `size` to be a tuple of 2 integers, but got: "
                         f"{size}.")
    rank = np.ndim(getattr(x, "data", x))
    if rank not in (3, 4):
        raise ValueError("smart_resize: expected an image array with shape (height, width, "
                         "channels), or (batch_size, height, width, channels), but got input "
                         f"of shape {np.shape(getattr(x, 'data', x))}.")
    out = image.resize(x, size, interpolation=interpolation, crop_to_aspect_ratio=True,
                       data_format=data_format)
    return convert_to_numpy(out) if isinstance(x, np.ndarray) else out
