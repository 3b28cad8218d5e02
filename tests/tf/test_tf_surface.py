"""The TensorFlow surface: every public name of TensorFlow 2.21 (from
/work/shared/specs/tensorflow-2.21-names.json) exists under ``ember.tf`` and, for top-level
names, under ``import ember as tf`` - except the names in EXCLUDED (cannot apply, with reasons)
and those listed in tests/tf_surface_missing.txt (not done yet). The list may only shrink.
Regenerate it with ``python tests/tools/update_tf_surface.py``.

Every name ember claims must be a real object (not a placeholder) that a test exercises,
directly or through an alias, so that no name exists only to be counted.
"""

import importlib.util
import types
from pathlib import Path

import pytest

_TOOL = Path(__file__).resolve().parents[1] / "tools" / "tf_surface.py"
_spec = importlib.util.spec_from_file_location("tf_surface_tool", _TOOL)
ts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ts)

# Namespaces other parts of ember own (tf.data, tf.train, ...): their names are checked for
# being real objects here, and for being exercised by their own tests (reported, not failed).
OTHER_OWNERS = ("data", "train", "saved_model", "summary", "version", "function", "Module")


def _owned_by_others(name):
    return name.split(".")[0] in OTHER_OWNERS


@pytest.fixture(scope="module")
def surface():
    if not ts.NAMES_FILE.exists():
        pytest.skip(f"{ts.NAMES_FILE} is not available")
    return ts.run_survey_subprocess()


def test_tf_surface_missing_list_only_shrinks(surface):
    print("\nTensorFlow public names ember has (present/total):\n"
          + "\n".join(ts.summary_lines(surface)))
    listed = set(ts.read_missing_file())
    missing = set(ts.missing_names(surface))
    new = sorted(missing - listed)
    done = sorted(listed - missing)
    problems = []
    if new:
        problems.append(f"{len(new)} TensorFlow name(s) are missing but not listed in "
                        f"{ts.MISSING_FILE.name}:\n" + "\n".join(
                            f"  tf.{n}: {surface['names'][n]['reason']}" for n in new[:50]))
    if done:
        problems.append(f"{len(done)} listed name(s) are present now (the list only shrinks; "
                        "remove them):\n" + "\n".join(f"  tf.{n}" for n in done[:50]))
    assert not problems, "\n".join(problems) + f"\nRegenerate: {ts.UPDATE_COMMAND}"


def test_missing_file_is_sorted_and_its_counts_current(surface):
    names = ts.read_missing_file()
    assert names == sorted(set(names))
    have, total = ts.counts(surface)["TOTAL"]
    assert f"TOTAL: {have}/{total}" in ts.MISSING_FILE.read_text(), (
        f"stale counts in {ts.MISSING_FILE.name}; run {ts.UPDATE_COMMAND}")


def test_top_level_names_are_the_same_objects_through_import_ember(surface):
    assert surface["top_level_mismatch"] == {}


def test_every_present_name_of_tf_ops_is_exercised_by_a_test(surface):
    unexercised = ts.unexercised_names(surface, ts.test_sources())
    others = [n for n in unexercised if _owned_by_others(n)]
    if others:
        print("\nnames of other parts of ember that no test found here uses:\n  "
              + "\n  ".join(f"tf.{n}" for n in others))
    mine = [n for n in unexercised if not _owned_by_others(n)]
    assert mine == [], "present but used by no test: " + ", ".join(f"tf.{n}" for n in mine)


def test_exclusions_are_tensorflow_names_with_reasons():
    names = ts.load_tf_names()
    every = {f"{ns}.{n}" if ns else n for ns, ns_names in names.items() for n in ns_names}
    every |= set(names)
    for name, reason in ts.EXCLUDED.items():
        assert len(reason) > 10, name
        assert name in every, f"excluded {name} is not a TensorFlow 2.21 name"


def test_a_real_count_is_covered(surface):
    have, total = ts.counts(surface)["TOTAL"]
    assert have >= 500 and total > 900, (have, total)


# the checker itself, on a fake namespace ----------------------------------------------------
def _fake_root():
    root = types.ModuleType("ember.tf")
    math = types.ModuleType("ember.tf.math")
    root.math = math

    def add(x, y):
        return x + y

    def stub(x):
        """Not done."""
        raise NotImplementedError

    math.add, math.stub, math.nothing = add, stub, None
    root.constant = add
    root.linalg = add  # TF has a namespace here
    root.foreign = types  # a module that is not ember's
    return root


@pytest.mark.parametrize("name, kind, present, why", [
    ("math.add", "object", True, ""),
    ("constant", "object", True, ""),
    ("math", "module", True, ""),
    ("math.stub", "object", False, "placeholder"),
    ("math.nothing", "object", False, "placeholder"),
    ("math.sub", "object", False, "no attribute 'sub'"),
    ("linalg", "module", False, "not a module"),
    ("foreign", "module", False, "foreign module"),
])
def test_checker_counts_only_real_objects(name, kind, present, why):
    got, reason, _ = ts.resolve_in_ember(name, kind, _fake_root())
    assert got is present and why in reason


def test_exercised_detection():
    source = "y = tf.math.add(1, 2)\nfrom ember.tf.nn import (\n    relu,\n)\nsummary.scalar(1)"
    assert ts.is_exercised("math.add", source)
    assert not ts.is_exercised("math.ad", source)
    assert ts.is_exercised("nn.relu", source)
    assert ts.is_exercised("summary.scalar", source)
    assert not ts.is_exercised("add", source)  # a top-level name needs tf./ember.
    result = {"names": {"a": {"present": True}, "b": {"present": True}},
              "aliases": {"a": ["a", "b"], "b": ["a", "b"]}}
    assert ts.unexercised_names(result, "tf.b(1)") == []
    assert ts.unexercised_names(result, "") == ["a", "b"]
