"""ember's global settings, as ``keras.config``: floatx, epsilon, image data format, the dtype
policy, logging and debugging switches, and the seeded random generator.

These are the only mutable globals of the package (besides the registry and name counters).
"""

import os

from ember.backend import np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_rng = np.random.default_rng()
_BACKEND = "ember"
_INTERACTIVE_LOGGING = True
_TRACEBACK_FILTERING = True
_FLASH_ATTENTION = None  # None: let the op decide (as Keras), True / False: forced
_DTYPE_POLICY = None  # None: DTypePolicy(floatx()), built on first use
# Debugging caps on fit/evaluate/predict, also set by Keras's environment variables
_MAX_EPOCHS = int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None
_MAX_STEPS_PER_EPOCH = (int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"])
                        if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ else None)


def floatx():
    """The default float dtype name, ``'float32'`` unless set otherwise."""
    return _FLOATX


def set_floatx(value):
    """Set the default float dtype (``'bfloat16'``, ``'float16'``, ``'float32'``, ``'float64'``)."""
    global _FLOATX
    if value not in ("float16", "float32", "float64", "bfloat16"):
        raise ValueError(
            f"Unknown `floatx` value: {value!r}. Expected one of bfloat16, float16, float32, "
            "float64."
        )
    _FLOATX = str(value)


def epsilon():
    """The fuzz factor used in numeric expressions (1e-7, as Keras)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """The default image layout: ``'channels_last'`` (as Keras) or ``'channels_first'``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Set the default image layout (``'channels_last'`` or ``'channels_first'``)."""
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of 'channels_first', 'channels_last'. "
            f"Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = data_format


# -- backend -------------------------------------------------------------------------------------
def backend():
    """The name of the backend: ``'ember'``, ember's own autodiff engine on NumPy (Keras
    returns ``'jax'``, ``'tensorflow'``, ... here)."""
    return _BACKEND


def set_backend(backend):
    """Select the backend. ember has one backend, its own, so only ``'ember'`` is accepted;
    Keras's backends (``'jax'``, ``'torch'`` ...) are not part of ember."""
    if backend != _BACKEND:
        raise ValueError(
            f"Unable to import backend : {backend}. ember runs on its own backend only: the "
            "one valid value is 'ember'."
        )


# -- dtype policy --------------------------------------------------------------------------------
def dtype_policy():
    """The global :class:`ember.dtype_policies.DTypePolicy` (``DTypePolicy(floatx())`` unless set
    with :func:`set_dtype_policy`)."""
    from ember.dtype_policies import DTypePolicy

    if _DTYPE_POLICY is None:
        return DTypePolicy(floatx())
    return _DTYPE_POLICY


def set_dtype_policy(policy):
    """Set the global dtype policy: a policy name (``'mixed_float16'``, ``'float32'`` ...) or a
    ``DTypePolicy``."""
    global _DTYPE_POLICY
    from ember.dtype_policies import DTypePolicy

    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(
            "Invalid `policy` argument. Expected the string name of a policy (such as "
            f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy!r} "
            f"(of type {type(policy)})"
        )
    _DTYPE_POLICY = policy


# -- logging and debugging switches --------------------------------------------------------------
def enable_interactive_logging():
    """Progress bars and messages go to stdout (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging():
    """Progress bars and messages go to Python's ``logging`` (logger ``'ember'``, level INFO)
    instead of stdout, for jobs whose output is a log file; bars then write finished lines
    only."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled():
    """Whether messages go to stdout (True) or to ``logging`` (False)."""
    return _INTERACTIVE_LOGGING


def enable_traceback_filtering():
    """Set the traceback-filtering flag (the default). ember's errors are raised from shallow,
    readable stacks, so it filters no frames: the flag is kept for code that reads it."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering():
    """Clear the traceback-filtering flag (see :func:`enable_traceback_filtering`)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled():
    """The traceback-filtering flag (True unless disabled)."""
    return _TRACEBACK_FILTERING


def enable_flash_attention():
    """Ask for flash attention. ember runs on CPUs and has no flash-attention kernel, so
    ``ops.dot_product_attention`` still refuses ``flash_attention=True`` (as Keras's NumPy
    backend); the flag is stored for code that reads it."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = True


def disable_flash_attention():
    """Turn flash attention off (see :func:`enable_flash_attention`)."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """True or False once set, None (let the op decide) by default, as Keras."""
    return _FLASH_ATTENTION


def enable_unsafe_deserialization():
    """Turn safe mode off for every load in this process, as if each passed ``safe_mode=False``:
    Python lambdas stored in files are then loaded, which runs code from the file. Only for
    files whose author you trust."""
    from ember.saving import serialization_lib

    serialization_lib.allow_unsafe_deserialization()


def max_epochs():
    """The cap on the epochs of ``fit`` (None: no cap); see :func:`set_max_epochs`."""
    return _MAX_EPOCHS


def set_max_epochs(max_epochs):
    """Cap the number of epochs of every ``fit`` (for debugging; None removes the cap). Also set
    by the ``KERAS_MAX_EPOCHS`` environment variable."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def max_steps_per_epoch():
    """The cap on the steps of one epoch of ``fit`` / ``evaluate`` / ``predict`` (None: no cap)."""
    return _MAX_STEPS_PER_EPOCH


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the steps of each epoch of ``fit``, ``evaluate`` and ``predict`` (for debugging; None
    removes the cap). Also set by the ``KERAS_MAX_STEPS_PER_EPOCH`` environment variable."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


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
