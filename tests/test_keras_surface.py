"""The Keras surface: every public name of the installed Keras exists in ember under the same
path (``keras.layers.Dense`` -> ``ember.layers.Dense``), is of the same kind, and is not a
placeholder, except for names in EXCLUDED (cannot apply, with reasons) and names listed in
tests/keras_surface_missing.txt (not done yet). The list may only shrink: a name missing but
unlisted fails, and so does a listed name that ember now has. Regenerate the list with
``python tests/tools/update_keras_surface.py``.
"""

import importlib.util
import os
import types
from pathlib import Path

import pytest
from keras_parity.parity_harness import import_keras

_TOOL = Path(__file__).resolve().parent / "tools" / "keras_surface.py"
_spec = importlib.util.spec_from_file_location("keras_surface_tool", _TOOL)
ks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ks)

# Names that an ember namespace lists (in its lazy tables, so in ``dir()``) but cannot load.
# Each is a bug in ember; the test fails when one is fixed (remove it here) or a new one appears.
KNOWN_BROKEN_LISTINGS = {}



@pytest.fixture(scope="module")
def keras():
    return import_keras()


@pytest.fixture(scope="module")
def surface(keras):
    """The survey, from a fresh interpreter (see tests/tools/keras_surface.py)."""
    return ks.run_survey_subprocess()


def test_keras_surface_missing_list_only_shrinks(surface):
    summary = "\n".join(ks.summary_lines(surface))
    print("\nKeras public names ember has (present/total):\n" + summary)
    listed = set(ks.read_missing_file())
    missing = set(ks.missing_names(surface))
    regenerate = (f"If this is intended, regenerate the list: {ks.UPDATE_COMMAND} "
                  f"(and review its diff).")
    new = sorted(missing - listed)
    done = sorted(listed - missing)
    problems = []
    if new:
        problems.append(
            f"{len(new)} Keras name(s) are missing from ember but not listed in "
            f"{ks.MISSING_FILE.name} (ember lost them, or Keras grew):\n"
            + "\n".join(f"  {n}: {surface['names'][n]['reason']}" for n in new[:50]))
    if done:
        gone = [n for n in done if n not in surface["names"]]
        problems.append(
            f"{len(done)} name(s) listed in {ks.MISSING_FILE.name} are now present in ember"
            + (f" or no longer public in Keras ({', '.join(gone[:10])})" if gone else "")
            + "; the list only shrinks, so remove them:\n"
            + "\n".join(f"  {n}" for n in done[:50]))
    assert not problems, "\n".join(problems) + "\n" + regenerate


def test_missing_file_is_sorted_unique_and_current_counts(surface):
    names = ks.read_missing_file()
    assert names == sorted(set(names)), f"{ks.MISSING_FILE.name} must be sorted, no duplicates"
    header = ks.MISSING_FILE.read_text()
    have, total = ks.counts(surface)["TOTAL"]
    assert f"TOTAL: {have}/{total}" in header, (
        f"the counts in {ks.MISSING_FILE.name}'s header are stale; run {ks.UPDATE_COMMAND}")


def test_exclusions_name_real_keras_names_and_give_reasons(keras):
    # the survey drops excluded names, so look each one up in Keras directly
    for name, reason in ks.EXCLUDED.items():
        assert len(reason) > 10, f"exclusion {name} needs a reason"
        value = keras
        for part in name.split(".")[1:]:
            assert hasattr(value, part), f"excluded {name} is not a Keras name (any more)"
            value = getattr(value, part)


def test_ember_namespaces_list_only_names_they_can_load(surface):
    broken = surface["ember_broken_listings"]
    assert set(broken) == set(KNOWN_BROKEN_LISTINGS), (
        "ember namespaces whose dir() lists names that fail to load:\n"
        + "\n".join(f"  {n}: {e}" for n, e in sorted(broken.items()))
        + "\nexpected exactly these known bugs: " + ", ".join(sorted(KNOWN_BROKEN_LISTINGS)))


def test_keras_walk_finds_the_namespaces_ember_users_reach(surface):
    names = surface["names"]
    for module in ("keras.layers", "keras.ops", "keras.ops.nn", "keras.ops.numpy",
                   "keras.utils", "keras.optimizers.schedules", "keras.datasets.mnist"):
        assert names[module]["kind"] == "module"
    assert names["keras.layers.Dense"]["kind"] == "class"
    assert names["keras.ops.numpy.matmul"]["kind"] == "function"
    assert not any(n.startswith("keras.src.") or n == "keras.src" for n in names)
    assert "keras.layers.JaxLayer" not in names  # excluded


# The checker itself, on a fake ember: what counts as present.

def _fake_ember():
    ember = types.ModuleType("ember")
    layers = types.ModuleType("ember.layers")
    ember.layers = layers

    class Dense:
        def __init__(self, units):
            self.units = units

    class Stub:
        def __init__(self, *args):
            """Not done."""
            raise NotImplementedError("Stub")

    def relu(x):
        return x

    def todo(x):
        raise NotImplementedError

    layers.Dense, layers.Stub, layers.relu, layers.todo = Dense, Stub, relu, todo
    layers.Nothing = None
    layers.numpy = os  # a foreign module under a Keras module's name

    def lazy(name):
        if name == "applications":
            raise ModuleNotFoundError("No module named 'ember.applications'")
        raise AttributeError(name)

    ember.__getattr__ = lazy
    ember.__dir__ = lambda: ["layers", "applications"]
    return ember


@pytest.mark.parametrize("name, kind, present, why", [
    ("keras.layers.Dense", "class", True, ""),
    ("keras.layers.relu", "function", True, ""),
    ("keras.layers.Dense", "function", True, ""),  # a class is a callable
    ("keras.layers.relu", "class", False, "Keras has a class"),
    ("keras.layers", "module", True, ""),
    ("keras.layers.Dense", "module", False, "Keras has a module"),
    ("keras.layers.numpy", "module", False, "foreign module"),
    ("keras.layers.Stub", "class", False, "placeholder"),
    ("keras.layers.todo", "function", False, "placeholder"),
    ("keras.layers.Nothing", "value", False, "placeholder"),
    ("keras.layers.Conv2D", "class", False, "no attribute 'Conv2D'"),
    ("keras.layers.rnn.LSTM", "class", False, "no attribute 'rnn'"),
    ("keras.applications.VGG16", "function", False, "fails to load"),
])
def test_checker_counts_only_real_objects_of_the_right_kind(name, kind, present, why):
    got, reason = ks.resolve_in_ember(name, kind, _fake_ember())
    assert got is present, reason
    assert why in reason


def test_checker_finds_listed_names_that_fail_to_load():
    broken = ks.ember_unresolvable_listed_names(_fake_ember(), ["keras", "keras.layers"])
    assert list(broken) == ["ember.applications"]
    assert "ModuleNotFoundError" in broken["ember.applications"]
