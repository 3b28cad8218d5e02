"""The guide-style examples (examples/keras_guides/) run to completion on ember, their own
assertions included, each within a CI-sized time limit; and the same programs, with only their
imports changed, run on Keras 3 itself, so that what they assert is what Keras does."""

import ast
import functools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "examples" / "keras_guides"
# each guide takes about a second on ember; the limits leave room for a loaded CI box, and
# Keras on JAX spends most of its time compiling
EMBER_TIME_LIMIT_S = 20
KERAS_TIME_LIMIT_S = 120

# the imports a guide may use for the framework, and what they become on Keras
IMPORT_SWAPS = {
    "import ember as keras": "import keras",
    "import ember as tf": "import tensorflow as tf",
    "from ember import layers, ops": "from keras import layers, ops",
    "from ember import layers": "from keras import layers",
}
OTHER_IMPORTS = {"numpy", "os", "tempfile"}

# name -> the Keras backend it is written for (custom train steps are backend-specific in
# Keras: this one uses a GradientTape, as the guide for the TensorFlow backend does)
GUIDE_BACKENDS = {
    "functional_api": "jax",
    "add_loss": "jax",
    "custom_train_step": "tensorflow",
    "masking_and_padding": "jax",
    "serialization": "jax",
}

# guides that fail on ember today: name -> (the guide's line that fails, why). Strict, so a
# fix shows up; and a guide that fails anywhere else fails its test.
EMBER_XFAIL = {}


def _failing_line(name):
    """The 1-based number of the line that EMBER_XFAIL expects ``name``.py to fail at."""
    lines = (GUIDES / f"{name}.py").read_text().splitlines()
    return lines.index(EMBER_XFAIL[name][0]) + 1


def _run(argv, env, cwd, limit):
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=limit)
    return proc, time.perf_counter() - start


def _guide_params():
    params = []
    for name in GUIDE_BACKENDS:
        marks = []
        if name in EMBER_XFAIL:
            why = f"fails at {name}.py:{_failing_line(name)}: {EMBER_XFAIL[name][1]}"
            marks.append(pytest.mark.xfail(strict=True, raises=AssertionError, reason=why))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


def test_every_guide_is_tested():
    assert sorted(p.stem for p in GUIDES.glob("*.py")) == sorted(GUIDE_BACKENDS)


@pytest.mark.parametrize("name", sorted(GUIDE_BACKENDS))
def test_guides_import_only_ember_numpy_and_the_standard_library(name):
    source = (GUIDES / f"{name}.py").read_text()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            line = ast.get_source_segment(source, node)
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module])
            assert line in IMPORT_SWAPS or set(modules) <= OTHER_IMPORTS, (
                f"{name}.py: {line!r} is not one of the imports that Keras users swap")
    assert "import ember as keras" in source


@pytest.mark.parametrize("name", _guide_params())
def test_guide_runs_on_ember(name, tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    proc, seconds = _run([sys.executable, str(GUIDES / f"{name}.py")], env, tmp_path,
                         EMBER_TIME_LIMIT_S)
    if proc.returncode != 0 and name in EMBER_XFAIL:
        where = f'{name}.py", line {_failing_line(name)}, in <module>'
        if where not in proc.stderr:  # pytest.fail is not an AssertionError: no xfail
            pytest.fail(f"{name}.py fails on ember, but not at line {_failing_line(name)} as "
                        f"EMBER_XFAIL expects:\n{proc.stderr[-3000:]}")
    assert proc.returncode == 0, f"{name}.py failed on ember:\n{proc.stderr[-3000:]}"
    assert "guide: OK" in proc.stdout
    assert seconds < EMBER_TIME_LIMIT_S


def _keras_version_of(name, tmp_path):
    """The guide with its ember imports swapped for Keras's, written under tmp_path."""
    lines = (GUIDES / f"{name}.py").read_text().splitlines()
    swapped = [IMPORT_SWAPS.get(line, line) for line in lines]
    code = "\n".join(swapped) + "\n"
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module]
            assert not any(n.split(".")[0] == "ember" for n in names), ast.unparse(node)
    path = tmp_path / f"{name}_on_keras.py"
    path.write_text(code)
    return path


@functools.lru_cache(maxsize=None)
def _keras_backend_available(backend):
    # in a subprocess: importing TensorFlow here would slow down every later test
    probe = subprocess.run([sys.executable, "-c", f"import keras, {backend}"],
                           capture_output=True, text=True,
                           env={**os.environ, "KERAS_BACKEND": backend}, timeout=120)
    return probe.returncode == 0


@pytest.mark.parametrize("name", sorted(GUIDE_BACKENDS))
def test_guide_runs_on_keras(name, tmp_path):
    backend = GUIDE_BACKENDS[name]
    if not _keras_backend_available(backend):
        reason = f"Keras on {backend} is not installed, so {name}.py cannot be checked on it"
        if backend == "jax" and os.environ.get("EMBER_REQUIRE_KERAS") == "1":
            pytest.fail(reason + " and EMBER_REQUIRE_KERAS=1 requires it")
        pytest.skip(reason)
    env = {**os.environ, "KERAS_BACKEND": backend}
    path = _keras_version_of(name, tmp_path)
    proc, _ = _run([sys.executable, str(path)], env, tmp_path, KERAS_TIME_LIMIT_S)
    assert proc.returncode == 0, f"{name}.py failed on Keras ({backend}):\n{proc.stderr[-3000:]}"
    assert "guide: OK" in proc.stdout
