"""Utilities, as ``keras.utils``: seeding, gradient checking, files, labels.

Names are resolved lazily so that ``import ember`` stays fast.
"""

import importlib

_LAZY = {
    "set_random_seed": "ember.utils.random",
    "check_gradients": "ember.autodiff.gradcheck",
    "get_file": "ember.utils.file_utils",
    "to_categorical": "ember.utils.numerical",
    "normalize": "ember.utils.numerical",
    "pad_sequences": "ember.utils.sequence_utils",
    "Progbar": "ember.utils.progbar",
    "PyDataset": "ember.utils.py_dataset",
    "Sequence": "ember.utils.py_dataset",
    "clear_session": "ember.utils.naming",
    "serialize_keras_object": "ember.saving.serialization_lib",
    "deserialize_keras_object": "ember.saving.serialization_lib",
    "custom_object_scope": "ember.saving.serialization_lib",
    "CustomObjectScope": "ember.saving.serialization_lib",
    "get_custom_objects": "ember.saving.serialization_lib",
    "register_keras_serializable": "ember.saving",
    "get_registered_name": "ember.saving",
    "get_registered_object": "ember.saving",
    "get_source_inputs": "ember.utils.serialization",
    "Config": "ember.utils.serialization",
    "legacy": "ember.utils.legacy",
    "bounding_boxes": "ember.utils.bounding_boxes",
    "FeatureSpace": "ember.utils.feature_space",
    "enable_interactive_logging": "ember.config",
    "disable_interactive_logging": "ember.config",
    "is_interactive_logging_enabled": "ember.config",
    "standardize_dtype": "ember.backend.keras_api",
    "pack_x_y_sample_weight": "ember.trainers.data_adapter",
    "unpack_x_y_sample_weight": "ember.trainers.data_adapter",
    "is_keras_tensor": "ember.layers.node",
    "load_img": "ember.utils.image_utils",
    "img_to_array": "ember.utils.image_utils",
    "array_to_img": "ember.utils.image_utils",
    "save_img": "ember.utils.image_utils",
    "split_dataset": "ember.utils.dataset_utils",
    "image_dataset_from_directory": "ember.utils.image_dataset_utils",
    "text_dataset_from_directory": "ember.utils.text_dataset_utils",
    "audio_dataset_from_directory": "ember.utils.audio_dataset_utils",
    "timeseries_dataset_from_array": "ember.utils.timeseries_dataset_utils",
    "plot_model": "ember.utils.model_visualization",
    "model_to_dot": "ember.utils.model_visualization",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ember.utils' has no attribute {name!r}")
    value = importlib.import_module(module)
    if module != f"ember.utils.{name}":  # else the submodule itself (utils.legacy)
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
