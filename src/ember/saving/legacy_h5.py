"""The legacy single-file HDF5 format (``model.save("x.h5")``, spec §6): reading, and writing.

Root attributes ``model_config`` (JSON, legacy envelopes without ``module``) and
``training_config`` (compile arguments plus ``optimizer_config``); group ``model_weights`` with
one subgroup per layer that has weights, in the model's layer order, each listing its datasets
in the attribute ``weight_names``; group ``optimizer_weights`` likewise. Weights-only files
(tf.keras ``save_weights("x.h5")``) hold the per-layer groups at the root. As Keras does, the
layers with weights are matched in order; a count or shape mismatch is an error naming the
layer. Datasets are addressed through the same guarded reader as the ``.keras`` weights.
"""

import contextlib
import json
import warnings

from ember.saving import h5_store, saving_lib, serialization_lib


def _attr_list(node, name):
    """A list-of-strings attribute, joined from ``name0``, ``name1``, ... when Keras split it."""
    attrs = node.attrs
    if name in attrs:
        values = [attrs[name]]
    else:
        values, i = [], 0
        while f"{name}{i}" in attrs:
            values.append(attrs[f"{name}{i}"])
            i += 1
    out = []
    for value in values:
        if isinstance(value, (str, bytes)):
            value = [value]
        for v in list(value):
            out.append(v.decode("utf-8") if isinstance(v, bytes) else str(v))
    return out


def _attr_text(h5, name):
    value = h5.attrs.get(name)
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return str(value)


@contextlib.contextmanager
def _h5_errors(source):
    """h5py's low-level errors (a corrupt attribute, a truncated block) as a ValueError that
    names the file."""
    try:
        yield
    except (OSError, RuntimeError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as e:
        raise ValueError(f"{source}: cannot read the file (truncated or corrupt HDF5 file?): "
                         f"{type(e).__name__}: {e}") from e


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved in the legacy ``.h5`` format."""
    with saving_lib.open_h5(filepath, filepath) as h5, _h5_errors(filepath):
        reader = h5_store.H5Reader(h5, filepath)
        text = _attr_text(h5, "model_config")
        if text is None:
            raise ValueError(
                f"{filepath} holds no model config (no 'model_config' attribute): it is a "
                "weights-only file. Build the model in code, then call model.load_weights().")
        config = saving_lib.parse_json(text, f"{filepath}: model_config")
        model = saving_lib.deserialize_model(config, custom_objects, compile=False,
                                             safe_mode=safe_mode, source=filepath)
        load_weights_from_file(model, reader, skip_mismatch=False)
        if compile:
            _compile(model, h5, reader, filepath, custom_objects)
    return model


def load_weights_from_file(model, reader, skip_mismatch=False):
    with _h5_errors(reader.source):
        _load_weights_from_file(model, reader, skip_mismatch)


def _load_weights_from_file(model, reader, skip_mismatch):
    h5 = reader.file
    root = "model_weights" if reader.group("model_weights") is not None else ""
    group = reader.group(root) if root else h5
    if "layer_names" not in group.attrs and "layer_names0" not in group.attrs:
        raise ValueError(f"{reader.source} is not a Keras weights file: it has no "
                         "'layer_names' attribute.")
    names = []
    for name in _attr_list(group, "layer_names"):
        g = reader.group(f"{root}/{name}" if root else name)
        if g is not None and _attr_list(g, "weight_names"):
            names.append(name)
    layers = [layer for layer in model.layers if layer.weights]
    if len(names) != len(layers):
        raise ValueError(
            f"{reader.source}: layer count mismatch: the model has {len(layers)} layers with "
            f"weights ({[l.name for l in layers]}), the file {len(names)} ({names}).")
    assignments, problems = [], []
    for layer, name in zip(layers, names):
        prefix = f"{root}/{name}" if root else name
        weight_names = _attr_list(reader.group(prefix), "weight_names")
        variables = layer.weights
        who = f"layer '{layer.name}' ({type(layer).__name__}, file group '{name}')"
        if len(weight_names) != len(variables):
            problems.append(f"{who} expects {len(variables)} weights, the file holds "
                            f"{len(weight_names)}")
            continue
        try:
            assignments.extend(_read_named(reader, prefix, weight_names, variables, who))
        except _Mismatch as e:
            problems.append(str(e))
    if problems:
        message = f"{reader.source}: could not load:\n  - " + "\n  - ".join(problems)
        if not skip_mismatch:
            raise ValueError(message)
        warnings.warn(message + "\nThese layers were skipped (skip_mismatch=True).",
                      stacklevel=3)
    for var, value in assignments:
        var.assign(value)


class _Mismatch(Exception):
    pass


def _read_named(reader, prefix, weight_names, variables, who):
    out = []
    h5py = h5_store.require_h5py()
    for weight_name, var in zip(weight_names, variables):
        path = f"{prefix}/{weight_name}"
        ds = reader.node(path)
        if not isinstance(ds, h5py.Dataset):
            raise ValueError(f"{reader.source}: {who}: missing dataset '{path}'")
        declared = reader.check_dataset(ds, var.shape, path)
        if declared != tuple(var.shape):
            raise _Mismatch(f"{who}: weight '{weight_name}' has shape {declared} in the file, "
                            f"the model expects {tuple(var.shape)}")
        out.append((var, reader.read(ds, var.shape, var.dtype, path)))
    return out


def compile_args(training_config, custom_objects=None):
    """``compile`` keyword arguments from a legacy ``training_config``."""
    custom_objects = serialization_lib._scoped_custom_objects(custom_objects)
    optimizer_config = dict(training_config["optimizer_config"])
    inner = dict(optimizer_config.get("config") or {})
    if "lr" in inner and "learning_rate" not in inner:
        inner["learning_rate"] = inner.pop("lr")
    optimizer_config["config"] = inner
    optimizer = serialization_lib._deserialize(optimizer_config, custom_objects, "optimizer")

    def nested(value, kind):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, list):
            return [nested(v, kind) for v in value]
        if isinstance(value, dict) and "class_name" in value:
            return serialization_lib._deserialize(value, custom_objects, kind)
        if isinstance(value, dict):
            return {k: nested(v, kind) for k, v in value.items()}
        return value

    return {"optimizer": optimizer, "loss": nested(training_config.get("loss"), "loss"),
            "metrics": nested(training_config.get("metrics"), "metric"),
            "weighted_metrics": nested(training_config.get("weighted_metrics"), "metric"),
            "loss_weights": training_config.get("loss_weights")}


def _compile(model, h5, reader, source, custom_objects):
    text = _attr_text(h5, "training_config")
    if text is None:
        warnings.warn(f"{source}: no training configuration in the file, so the model was "
                      "not compiled.", stacklevel=3)
        return
    try:
        args = compile_args(saving_lib.parse_json(text, f"{source}: training_config"),
                            custom_objects)
        model.compile(**args)
    except Exception as e:  # noqa: BLE001 - the weights are loaded; compiling is a bonus
        warnings.warn(f"{source}: could not restore the compile arguments ({type(e).__name__}: "
                      f"{e}); the model is returned uncompiled.", stacklevel=3)
        return
    group = reader.group("optimizer_weights")
    if group is None or model.optimizer is None:
        return
    names = _attr_list(group, "weight_names")
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    variables = list(optimizer.variables)
    if len(names) != len(variables):
        warnings.warn(
            f"{source}: skipping the optimizer state: the optimizer has {len(variables)} "
            f"variables, the file {len(names)} (a file from another Keras version?). Training "
            "resumes with a fresh optimizer.", stacklevel=3)
        return
    try:
        values = _read_named(reader, "optimizer_weights", names, variables, "the optimizer")
    except (_Mismatch, ValueError) as e:
        warnings.warn(f"{source}: skipping the optimizer state ({e}).", stacklevel=3)
        return
    for var, value in values:
        var.assign(value)


# -- writing (optional in the spec; Keras 3 still reads and writes it) ---------------------------
HDF5_OBJECT_HEADER_LIMIT = 64512
# Keras 3's legacy loader cannot resolve these short names (it finds the metric function and
# refuses it), so the training config spells them out.
_LONG_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
               "mape": "mean_absolute_percentage_error",
               "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence",
               "logcosh": "log_cosh"}


def _long_names(value):
    if isinstance(value, str):
        return _LONG_NAMES.get(value.lower(), value)
    if isinstance(value, list):
        return [_long_names(v) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _long_names(v) for k, v in value.items()}
    return value


def _legacy_layer_entry(entry):
    """A layer envelope in the legacy form: ``class_name`` and ``config`` only (plus ``name``
    and ``inbound_nodes`` inside a Functional config); nested models likewise."""
    out = {"class_name": entry["class_name"], "config": _legacy_model_config(entry["config"])}
    for key in ("name", "inbound_nodes"):
        if key in entry:
            out[key] = entry[key]
    return out


def _legacy_model_config(config):
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        config = dict(config)
        config["layers"] = [_legacy_layer_entry(e) for e in config["layers"]]
    return config


def _save_attr_list(h5py, group, name, values):
    """Keras's ``save_attributes_to_hdf5_group``: split into ``name0``, ``name1``, ... when
    the list would not fit in an HDF5 object header."""
    np = h5_store.np
    if not values:
        group.attrs[name] = np.asarray([])
        return
    encoded = [v.encode("utf-8") for v in values]
    too_long = [v for v in encoded if len(v) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save attribute {name!r}: names longer than "
                         f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {too_long[:1]}")
    dtype = h5py.string_dtype("ascii" if all(v.isascii() for v in values) else "utf-8")
    chunks = [encoded]
    while any(sum(len(v) + 16 for v in chunk) > HDF5_OBJECT_HEADER_LIMIT for chunk in chunks):
        n = len(chunks) + 1
        size = -(-len(encoded) // n)
        chunks = [encoded[i:i + size] for i in range(0, len(encoded), size)]
    if len(chunks) == 1:
        group.attrs.create(name, encoded, dtype=dtype)
    else:
        for i, chunk in enumerate(chunks):
            group.attrs.create(f"{name}{i}", chunk, dtype=dtype)


def _unique(names):
    seen, out = {}, []
    for name in names:
        candidate = name
        while candidate in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
        seen[candidate] = 0
        out.append(candidate)
    return out


def _write_weights_group(h5py, group, variables, names):
    _save_attr_list(h5py, group, "weight_names", names)
    for name, var in zip(names, variables):
        value = h5_store.np.asarray(var.numpy())
        group.create_dataset(name, data=value)


def write_legacy(model, h5, include_optimizer=True):
    """Write ``model`` into the open, empty HDF5 file ``h5`` in the legacy layout (spec §6)."""
    from ember.saving import saving_lib

    h5py = h5_store.require_h5py()
    envelope = saving_lib.model_config(model)
    model_config = {"class_name": envelope["class_name"],
                    "config": _legacy_model_config(envelope["config"])}
    h5.attrs["keras_version"] = saving_lib.KERAS_VERSION
    h5.attrs["backend"] = "tensorflow"
    h5.attrs.create("model_config", json.dumps(model_config).encode("utf-8"),
                    dtype=h5py.string_dtype("ascii"))
    compile_config = envelope.get("compile_config") or {}
    if compile_config and include_optimizer:
        training = {k: _long_names(v) if k in ("loss", "metrics", "weighted_metrics") else v
                    for k, v in compile_config.items() if k != "optimizer"}
        optimizer = compile_config["optimizer"]
        if isinstance(optimizer, dict):
            optimizer = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
        training["optimizer_config"] = optimizer
        h5.attrs.create("training_config", json.dumps(training).encode("utf-8"),
                        dtype=h5py.string_dtype("ascii"))
    weights = h5.create_group("model_weights")
    layers = list(model.layers)
    _save_attr_list(h5py, weights, "layer_names", [layer.name for layer in layers])
    weights.attrs["backend"] = "tensorflow"
    weights.attrs["keras_version"] = saving_lib.KERAS_VERSION
    for layer in layers:
        variables = layer.weights
        names = _unique([f"{model.name}/{v.path}" for v in variables])
        _write_weights_group(h5py, weights.create_group(layer.name), variables, names)
    own = h5_store.own_variables(model, "layer")
    _write_weights_group(h5py, weights.create_group("top_level_model_weights"), own,
                         _unique([f"{model.name}/{v.path}" for v in own]))
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and compile_config:
        variables = list(optimizer.variables)
        names = _unique([v.path if "/" in v.path else f"{optimizer.name}/{v.path}"
                         for v in variables])
        _write_weights_group(h5py, h5.create_group("optimizer_weights"), variables, names)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save ``model`` as a legacy ``.h5`` file (atomically, as every ember save)."""
    from ember.saving import saving_lib

    warnings.warn(
        "You are saving the model in the legacy HDF5 format (.h5). Keras 3 and ember read it, "
        "but the native format is preferred: model.save('model.keras').", stacklevel=4)
    saving_lib.atomic_write_h5(filepath, lambda h5: write_legacy(model, h5, include_optimizer),
                               overwrite=overwrite)
