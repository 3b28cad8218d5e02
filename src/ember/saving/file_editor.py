"""``KerasFileEditor``: inspect and edit the weights of a ``.keras`` or ``.weights.h5`` file
without building its model (``keras.saving.KerasFileEditor``).

The file's weights become :attr:`KerasFileEditor.weights_dict`, a nested dict that mirrors the
weights walk (``{"layers": {"dense": {"0": kernel, "1": bias}}, "optimizer": {...}}``): an
object's own variables under ``"0"``, ``"1"``, ... and its sub-objects under their attribute
names. Edits change that dict; :meth:`~KerasFileEditor.save` writes it back as a
``.weights.h5`` file, atomically. Reading parses JSON and HDF5 datasets only (never a config
object), with the guards of :class:`~ember.saving.h5_store.H5Reader`.
"""

import os

from ember.backend import xp
from ember.saving import h5_store, saving_lib

_RULE = "─" * 21
_MAX_DEPTH = 64  # deeper than any real model; a deeper file is malformed


class KerasFileEditor:
    """Inspect, edit and resave the weights of a ``.keras`` or ``.weights.h5`` file.

    Useful to adapt a saved file to a model whose architecture changed::

        editor = KerasFileEditor("model.weights.h5")
        editor.summary()                               # the weights, as a tree
        editor.compare(new_model)                      # what differs from new_model
        editor.delete_object("layers/dense_2")
        editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
        editor.save("edited.weights.h5")               # then new_model.load_weights(...)

    Attributes: ``filepath``; ``config`` and ``metadata`` (the parsed JSON of a ``.keras``
    file, else None); ``weights_dict`` (the editable weights tree); ``object_metadata``
    (``{"/layers/dense": {"name": "dense"}}``: the saved object names, by path).
    """

    def __init__(self, filepath):
        self.filepath = os.fspath(filepath)
        self.config = None
        self.metadata = None
        self.object_metadata = {}
        if self.filepath.endswith(".keras"):
            with saving_lib.Archive(self.filepath) as archive:
                self.config = archive.config()
                if archive.has(saving_lib.METADATA_FILENAME):
                    raw = archive.read(saving_lib.METADATA_FILENAME,
                                       limit=saving_lib.MAX_CONFIG_BYTES)
                    self.metadata = saving_lib.parse_json(
                        raw, f"{self.filepath}: {saving_lib.METADATA_FILENAME}")
                with archive.weights_reader() as reader:
                    self.weights_dict = self._read_tree(reader)
        elif self.filepath.endswith(".weights.h5"):
            with saving_lib.open_h5(self.filepath, self.filepath) as h5:
                self.weights_dict = self._read_tree(h5_store.H5Reader(h5, self.filepath))
        else:
            raise ValueError("Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={self.filepath}")
        print(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print(f"Saved with Keras {self.metadata.get('keras_version', '?')} - date: "
                  f"{self.metadata.get('date_saved', '?')}")

    # -- reading ---------------------------------------------------------------------------------
    def _read_tree(self, reader):
        h5py = h5_store.require_h5py()
        seen = set()

        def read_group(group, path, depth):
            # hard links can make a group its own descendant, or share one twice: refuse both
            if depth > _MAX_DEPTH:
                raise ValueError(f"{reader.source}: groups nested more than {_MAX_DEPTH} deep at "
                                 f"'{path}'; not a weights file.")
            if hash(group.id) in seen:
                raise ValueError(f"{reader.source}: the group at '{path or '/'}' is linked twice "
                                 "(a hard-link cycle or alias); not a weights file.")
            seen.add(hash(group.id))
            tree = {}
            names = reader.keys(group)
            name = None
            if "vars" in names:
                vars_path = f"{path}/vars" if path else "vars"
                entry = reader.vars_entry(path)
                for key in entry:
                    where = f"{vars_path}/{key}"
                    shape = reader.check_dataset(entry[key], None, where)
                    tree[key] = reader.read(entry[key], shape, where=where)
                name = _name_attr(reader, reader.group(vars_path), vars_path)
            for key in names:
                if key == "vars":
                    continue
                child_path = f"{path}/{key}" if path else key
                child = reader.node(child_path)
                if not isinstance(child, h5py.Group):
                    raise ValueError(f"{reader.source}: '{child_path}' is a dataset outside a "
                                     "'vars' group; not a Keras weights file.")
                subtree = read_group(child, child_path, depth + 1)
                if subtree:  # objects without weights are left out, as Keras does
                    tree[key] = subtree
            if tree and path and "vars" in names and name is not None:
                self.object_metadata[f"/{path}"] = {"name": name}
            return tree

        return read_group(reader.file, "", 0)

    # -- inspecting ------------------------------------------------------------------------------
    def summary(self):
        """Print the weights of the file as a tree (shape and dtype of each weight)."""
        print("Weights structure")
        self._print_tree(self.weights_dict, prefix="  ", path="", first=[True])

    def _print_tree(self, tree, prefix, path, first):
        for index, (key, value) in enumerate(tree.items()):
            last = index == len(tree) - 1
            if first[0]:
                connector, first[0] = "> ", False
            else:
                connector = "└─ " if last else "├─ "
            child_path = f"{path}/{key}"
            if isinstance(value, dict):
                name = self.object_metadata.get(child_path, {}).get("name")
                print(f"{prefix}{connector}{key}" + (f" ('{name}')" if name else ""))
                self._print_tree(value, prefix + ("    " if last else "│   "), child_path,
                                 first)
            else:
                print(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")

    def compare(self, reference_model):
        """Compare the file with ``reference_model``: print every object or weight present in
        only one of them and every shape mismatch.

        Returns ``{"status": "success" or "error", "error_count": int, "match_count": int}``
        (the number of mismatches, and of weights present in both with the same shape).
        """
        from ember.layers.layer import Layer

        if not isinstance(reference_model, Layer):
            raise TypeError("compare() expects an ember model (or layer) as "
                            "`reference_model`. Received: reference_model of type "
                            f"{type(reference_model).__module__}."
                            f"{type(reference_model).__qualname__}")
        print("Running comparison")
        reference = _weights_spec(reference_model)
        errors = _compare_trees(reference, self.weights_dict, "reference model", "saved file")
        errors += _compare_trees(self.weights_dict, reference, "saved file", "reference model",
                                 second=True)
        matches = _count_matches(self.weights_dict, reference)
        print(_RULE)
        if errors:
            print(f"Found {errors} error{'s' if errors != 1 else ''}: saved file is not "
                  "compatible with the reference model")
        else:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'s' if matches != 1 else ''}")
        return {"status": "error" if errors else "success", "error_count": errors,
                "match_count": matches}

    # -- editing ---------------------------------------------------------------------------------
    def _locate(self, name, what="object_name"):
        """``(parent dict, key)`` of the object or weight that ``name`` designates: a path
        (``"layers/dense"``) or a name occurring exactly once in the tree."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"Argument `{what}` should be a non-empty string (a name or a "
                             f"path). Received: {what}={name!r}")
        if "/" in name:
            parent = self.weights_dict
            parts = name.split("/")
            for part in parts[:-1]:
                if not isinstance(parent.get(part), dict):
                    raise ValueError(f"Path '{name}' not found in model.")
                parent = parent[part]
            if parts[-1] not in parent:
                raise ValueError(f"Path '{name}' not found in model.")
            return parent, parts[-1]
        found = []

        def search(tree):
            if name in tree:
                found.append(tree)
            for value in tree.values():
                if isinstance(value, dict):
                    search(value)

        search(self.weights_dict)
        if len(found) > 1:
            raise ValueError(f"Name '{name}' occurs more than once in the model; try passing a "
                             "complete path")
        if not found:
            raise ValueError(f"Source name '{name}' does not appear in the model. Use "
                             "`editor.summary()` to list all objects.")
        return found[0], name

    def _path_of(self, parent, key):
        """The ``/``-rooted path of ``parent[key]`` (for ``object_metadata``)."""
        def search(tree, path):
            if tree is parent:
                return f"{path}/{key}"
            for k, value in tree.items():
                if isinstance(value, dict):
                    hit = search(value, f"{path}/{k}")
                    if hit:
                        return hit
            return None

        return search(self.weights_dict, "")

    def _move_metadata(self, old, new=None):
        """Re-key (or drop, when ``new`` is None) the metadata at and below path ``old``."""
        for path in [p for p in self.object_metadata if p == old or p.startswith(old + "/")]:
            entry = self.object_metadata.pop(path)
            if new is not None:
                self.object_metadata[new + path[len(old):]] = entry

    def _object(self, object_name):
        parent, key = self._locate(object_name)
        if not isinstance(parent[key], dict):
            raise ValueError(f"'{object_name}' is a weight, not an object; pass the object "
                             "holding it.")
        return parent[key]

    def rename_object(self, object_name, new_name):
        """Rename an object (e.g. a layer) or a weight.

        Args:
            object_name: its name (``"dense_2"``, if unique in the file) or path
                (``"layers/dense_2"``).
            new_name: the new name: a leaf name, not a path.
        """
        if isinstance(new_name, str) and "/" in new_name:
            raise ValueError("Argument `new_name` should be a leaf name, not a full path "
                             f"name. Received: new_name={new_name!r}")
        _check_key(new_name, "new_name")
        parent, key = self._locate(object_name)
        if new_name != key and new_name in parent:
            raise ValueError(f"Cannot rename '{object_name}' to '{new_name}': '{new_name}' "
                             "already exists there; delete it first.")
        old_path = self._path_of(parent, key)
        # rebuild the dict so the renamed entry keeps its position (and the file its order)
        items = [(new_name if k == key else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)
        self._move_metadata(old_path, old_path.rsplit("/", 1)[0] + "/" + new_name)

    def delete_object(self, object_name):
        """Remove an object (e.g. a layer) and all its weights.

        Args:
            object_name: its name (``"dense_2"``, if unique in the file) or path
                (``"layers/dense_2"``).
        """
        parent, key = self._locate(object_name)
        self._move_metadata(self._path_of(parent, key))
        del parent[key]

    def add_object(self, object_path, weights):
        """Add a new object (e.g. a layer), replacing any at that path.

        Args:
            object_path: its full path (``"layers/dense_2"``); every parent must exist.
            weights: dict from weight name to array, e.g. ``{"0": kernel, "1": bias}``
                (a dict value adds a sub-object).
        """
        weights = _checked_weights(weights)
        if not isinstance(object_path, str) or not object_path:
            raise ValueError("Argument `object_path` should be a non-empty string path. "
                             f"Received: object_path={object_path!r}")
        *parents, leaf = object_path.split("/")
        _check_key(leaf, "object_path")
        tree = self.weights_dict
        for part in parents:
            if not isinstance(tree.get(part), dict):
                raise ValueError(f"Path '{'/'.join(parents)}' not found in model.")
            tree = tree[part]
        self._move_metadata("/" + object_path)
        tree[leaf] = weights

    def delete_weight(self, object_name, weight_name):
        """Remove one weight (e.g. ``"1"``) from an object (name or path, as in
        :meth:`delete_object`)."""
        tree = self._object(object_name)
        if weight_name not in tree or isinstance(tree[weight_name], dict):
            found = [k for k, v in tree.items() if not isinstance(v, dict)]
            raise ValueError(f"Weight {weight_name} not found in object {object_name}. "
                             f"Weights found: {found}")
        del tree[weight_name]

    def add_weights(self, object_name, weights):
        """Add weights to an existing object (name or path), replacing those of the same name.

        Args:
            object_name: the object (``"dense_2"`` or ``"layers/dense_2"``).
            weights: dict from weight name to array, e.g. ``{"2": value}``.
        """
        weights = _checked_weights(weights)
        self._object(object_name).update(weights)

    # -- writing ---------------------------------------------------------------------------------
    def save(self, filepath):
        """Write the edited weights to ``filepath``, a ``.weights.h5`` file (atomically: an
        interrupted save leaves any previous file intact)."""
        filepath = os.fspath(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError("Invalid `filepath` argument: expected a `.weights.h5` extension. "
                             f"Received: filepath={filepath}")

        def write(h5):
            def write_tree(tree, path):
                own = {k: v for k, v in tree.items() if not isinstance(v, dict)}
                if own:
                    group = h5.create_group(f"{path}/vars" if path else "vars")
                    name = self.object_metadata.get(f"/{path}", {}).get("name")
                    if name is not None:
                        group.attrs["name"] = name
                    for key, value in own.items():
                        group.create_dataset(key, data=value)
                for key, value in tree.items():
                    if isinstance(value, dict) and _has_weights(value):
                        write_tree(value, f"{path}/{key}" if path else key)

            write_tree(self.weights_dict, "")

        saving_lib.atomic_write_h5(filepath, write)

    def resave_weights(self, filepath):
        """Same as :meth:`save`."""
        self.save(filepath)


# -- helpers -------------------------------------------------------------------------------------
def _name_attr(reader, group, where):
    """The ``name`` attribute of a ``vars`` group, as a string (None if absent or not text)."""
    try:
        value = group.attrs.get("name")
    except (OSError, RuntimeError, TypeError) as e:
        raise ValueError(f"{reader.source}: cannot read the attributes of '{where}': {e}") from e
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _check_key(key, what):
    if not isinstance(key, str) or not key or "/" in key or key in (".", "..", "vars"):
        raise ValueError(f"Invalid name {key!r} in `{what}`: names are non-empty strings "
                         "without '/', and not 'vars' (the name of the weights group).")


def _checked_weights(weights):
    """A copy of ``weights`` with NumPy array leaves; a clear error for anything else."""
    if not isinstance(weights, dict):
        raise ValueError("Argument `weights` should be a dict where keys are weight names "
                         "(usually '0', '1', etc.) and values are NumPy arrays. Received: "
                         f"type(weights)={type(weights)}")
    checked = {}
    for key, value in weights.items():
        _check_key(key, "weights")
        if isinstance(value, dict):
            checked[key] = _checked_weights(value)
            continue
        array = xp.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"Weight '{key}' should be a numeric array; received dtype "
                            f"{array.dtype} (from {type(value).__name__}).")
        checked[key] = array
    return checked


def _has_weights(tree):
    return any(not isinstance(v, dict) or _has_weights(v) for v in tree.values())


def _weights_spec(model):
    """``{"layers": {"dense": {"0": shape, ...}}, ...}``: the tree of shapes ``model`` saves."""
    spec = {}
    for path, obj, kind in h5_store.walk(model):
        values, _ = h5_store.saved_values(obj, kind)
        if not values:
            continue
        node = spec
        for part in [p for p in path.split("/") if p]:
            node = node.setdefault(part, {})
        for i, value in enumerate(values):
            node[str(i)] = tuple(xp.shape(value))
    return spec


def _shape(value):
    return value if isinstance(value, tuple) else tuple(value.shape)


def _compare_trees(ours, theirs, our_name, their_name, second=False, path=""):
    """Print what ``ours`` has that ``theirs`` lacks, and shape mismatches; return the count.
    The ``second`` pass (the other way round) reports only what the first could not see."""
    errors = 0
    for key, value in ours.items():
        where = f"{path}/{key}"
        kind_differs = key in theirs and isinstance(value, dict) != isinstance(theirs[key], dict)
        if key not in theirs or (kind_differs and not second):
            errors += 1
            if isinstance(value, dict):
                print(f"...Object {where} present in {our_name}, missing from {their_name}")
                print(f"    In {our_name}, {where} contains the following keys: "
                      f"{list(value)}")
            else:
                print(f"...Weight {where} present in {our_name}, missing from {their_name}")
        elif kind_differs:
            continue  # reported by the first pass
        elif isinstance(value, dict):
            errors += _compare_trees(value, theirs[key], our_name, their_name, second, where)
        elif not second and _shape(value) != _shape(theirs[key]):
            errors += 1
            print(f"...Weight shape mismatch for {where}\n"
                  f"    In {our_name}: shape={_shape(value)}\n"
                  f"    In {their_name}: shape={_shape(theirs[key])}")
    return errors


def _count_matches(ours, theirs):
    count = 0
    for key, value in ours.items():
        other = theirs.get(key)
        if isinstance(value, dict) and isinstance(other, dict):
            count += _count_matches(value, other)
        elif other is not None and not isinstance(value, dict) and \
                not isinstance(other, dict) and _shape(value) == _shape(other):
            count += 1
    return count
