"""The project's structural rules, checked: one import path for the array library, a fast
`import ember`, and the public namespaces a Keras user expects."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ember"


def _imports(path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_only_the_backend_imports_numpy():
    offenders = []
    for path in SRC.rglob("*.py"):
        if "backend" in path.relative_to(SRC).parts:
            continue
        for name in _imports(path):
            if name == "numpy" or name.startswith("numpy.") or name in ("cupy", "scipy"):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_import_ember_loads_no_keras_layer_or_optional_dependency():
    code = ("import sys, ember; heavy = [m for m in ('ember.layers', 'ember.models', "
            "'ember.datasets', 'h5py', 'onnx', 'starlette', 'threadpoolctl') if m in sys.modules];"
            " print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", [
    "layers", "models", "Sequential", "Model", "Input", "optimizers", "losses", "metrics",
    "callbacks", "datasets", "utils", "ops", "initializers", "regularizers", "activations",
    "GradientTape", "Variable", "keras",
])
def test_keras_namespaces_exist(name):
    import ember

    assert getattr(ember, name) is not None


def test_ember_keras_is_ember():
    import ember
    import ember.keras

    assert ember.keras is ember
    from ember.keras import layers, models

    assert layers is ember.layers and models is ember.models
