"""The guide-style examples (examples/keras_guides/) run to completion on ember, their own
assertions included, each within a CI-sized time limit; and the same programs, with only their
imports changed, run on Keras 3 itself, so that what they assert is what Keras does."""

import ast
import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from program_runner import (
    assert_only_swappable_imports,
    failing_line,
    program_params,
    run,
)

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


def test_every_guide_is_tested():
    assert sorted(p.stem for p in GUIDES.glob("*.py")) == sorted(GUIDE_BACKENDS)


@pytest.mark.parametrize("name", sorted(GUIDE_BACKENDS))
def test_guides_import_only_ember_numpy_and_the_standard_library(name):
    source = assert_only_swappable_imports(GUIDES / f"{name}.py", IMPORT_SWAPS,
                                           OTHER_IMPORTS, "Keras")
    assert "import ember as keras" in source


@pytest.mark.parametrize("name", program_params(GUIDES, GUIDE_BACKENDS, EMBER_XFAIL))
def test_guide_runs_on_ember(name, tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    proc, seconds = run([sys.executable, str(GUIDES / f"{name}.py")], env, tmp_path,
                         EMBER_TIME_LIMIT_S)
    if proc.returncode != 0 and name in EMBER_XFAIL:
        line = failing_line(GUIDES, name, EMBER_XFAIL)
        where = f'{name}.py", line {line}, in <module>'
        if where not in proc.stderr:  # pytest.fail is not an AssertionError: no xfail
            pytest.fail(f"{name}.py fails on ember, but not at line {line} as "
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
    proc, _ = run([sys.executable, str(path)], env, tmp_path, KERAS_TIME_LIMIT_S)
    assert proc.returncode == 0, f"{name}.py failed on Keras ({backend}):\n{proc.stderr[-3000:]}"
    assert "guide: OK" in proc.stdout
