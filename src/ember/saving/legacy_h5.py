"""Reading the legacy single-file HDF5 format (``model.save("x.h5")``, spec §6).

Root attributes ``model_config`` (JSON, legacy envelopes without ``module``) and
``training_config`` (compile arguments plus ``optimizer_config``); group ``model_weights`` with
one subgroup per layer that has weights, in the model's layer order, each listing its datasets
in the attribute ``weight_names``; group ``optimizer_weights`` likewise. Weights-only files
(tf.keras ``save_weights("x.h5")``) hold the per-layer groups at the root. As Keras does, the
layers with weights are matched in order; a count or shape mismatch is an error naming the
layer. Datasets are addressed through the same guarded reader as the ``.keras`` weights.
"""

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


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved in the legacy ``.h5`` format."""
    with saving_lib.open_h5(filepath, filepath) as h5:
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
