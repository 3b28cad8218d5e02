"""ember's global settings: floatx, epsilon, image data format and the seeded random generator.

These are the only mutable globals of the package (besides the registry and name counters).
"""

from ember.backend import np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_rng = np.random.default_rng()


def floatx():
    """The default float dtype name, ``'float32'`` unless set otherwise."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    if value not in ("float16", "float32", "float64", "bfloat16"):
        raise ValueError(
            f"Unknown floatx type: {value!r}. Expected one of float16, float32, float64."
        )
    _FLOATX = str(value)


def epsilon():
    """The fuzz factor used in numeric expressions (1e-7, as Keras)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    return _IMAGE_DATA_FORMAT


def set_image_data_format(value):
    global _IMAGE_DATA_FORMAT
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "image_data_format must be 'channels_last' or 'channels_first'. "
            f"Received: {value!r}"
        )
    _IMAGE_DATA_FORMAT = value


def rng():
    """ember's random generator (seeded by ``ember.utils.set_random_seed``)."""
    return _rng


def seed(value):
    """Reseed ember's generator and NumPy's global one."""
    global _rng
    _rng = np.random.default_rng(value)
    np.random.seed(value % (2**32) if value is not None else None)


def __getattr__(name):
    # tf.config's device functions (ember.tf.config), loaded on first use
    from ember.tf import device_config as tf_config

    if name in tf_config.TF_NAMES:
        return getattr(tf_config, name)
    raise AttributeError(f"module 'ember.config' has no attribute {name!r}")
