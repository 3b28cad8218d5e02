"""The TensorFlow-tutorial programs (examples/tf_tutorials/) run to completion on ember, their
own assertions included, within a CI-sized time limit, and print what the tutorial's reader
looks at (an accuracy, a shape, a gradient, a restored value), which is checked here again.

Each program uses only ``import ember as tf`` (and ``from ember import keras`` /
``from ember.keras import ...``) for the framework, so that swapping those lines gives the
program TensorFlow users run. TensorFlow itself is not a test dependency: the programs'
docstrings record what TensorFlow 2.21 printed, and ``test_program_runs_on_tensorflow`` runs
them on TensorFlow where a Python with TensorFlow is at hand (``EMBER_TF_PYTHON=/path/to/python``,
or the running Python if it has TensorFlow); it is skipped otherwise."""

import ast
import functools
import os
import re
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
TUTORIALS = ROOT / "examples" / "tf_tutorials"
# the slowest program takes about 10 s on ember on one core; the limit leaves room for a loaded
# CI box. TensorFlow spends seconds importing itself and tracing.
EMBER_TIME_LIMIT_S = 60
TF_TIME_LIMIT_S = 180

# the import lines a program may use for the framework, and what they become on TensorFlow
IMPORT_SWAPS = {
    "import ember as tf": "import tensorflow as tf",
    "from ember import keras": "from tensorflow import keras",
    "from ember.keras import layers": "from tensorflow.keras import layers",
    "from ember.keras import layers, losses": "from tensorflow.keras import layers, losses",
    "from ember.keras import layers, models": "from tensorflow.keras import layers, models",
}
OTHER_IMPORTS = {"gzip", "numpy", "os", "tempfile", "time"}

# programs that fail on ember today: name -> (the program's line that fails, why). Strict, so
# a fix shows up; and a program that fails anywhere else fails its test.
EMBER_XFAIL = {}


def _number(stdout, pattern):
    """The number that ``pattern``'s group matches in ``stdout`` (the last match; ``pattern``
    matches from the start of a line)."""
    found = re.findall("^" + pattern, stdout, re.M)
    assert found, f"{pattern!r} is not in the program's output:\n{stdout}"
    return float(found[-1])


def _lines(stdout, *expected):
    for line in expected:
        assert line in stdout.splitlines(), f"{line!r} is not in the output:\n{stdout}"


# name -> what the tutorial's reader checks in its output
def check_tensors_basics(out):
    _lines(out,
           "rank 0: () int32; rank 1: (3,) float32; rank 2: (3, 2) float16",
           "a + b = [[2, 3], [4, 5]]; a * b = [[1, 2], [3, 4]]; a @ b = [[3, 3], [7, 7]]",
           "max 10.0, argmax [1 0], softmax row 0 = [0.2689 0.7311]",
           "rank-4 zeros: shape [3, 2, 4, 5], 120 elements",
           "cast float64 -> float16 -> uint8: [2 3 4]",
           "broadcast (3, 1) * (4,) -> (3, 4)")
    assert "ValueError for a ragged list" in out


def check_variables_basics(out):
    _lines(out,
           "Shape: (2, 2), DType: float32, As NumPy: [[1.0, 2.0], [3.0, 4.0]]",
           "assign([1, 2]) keeps float32: [1. 2.]",
           "assign of a (3,) value to a (2,) variable: ValueError",
           "a = [5. 6.], b = [2. 3.] (b copied a's value, not a's storage)",
           "assign_add -> [7. 9.], assign_sub -> [0. 0.]",
           "names: Mark:0 Mark:0, a == b: [[False, False], [False, False]]",
           "step counter: int32, trainable False")
    assert re.search(r"^matmul on CPU:0: \[\[22.0, 28.0\], \[49.0, 64.0\]\] on \S*CPU:0$", out,
                     re.M), out


def check_autodiff_basics(out):
    _lines(out,
           "d(x**2)/dx at 3: 6.0",
           "grads of [x0, x1, x2, x3]: [6.0, None, None, None]; watched: ['x0:0']",
           "persistent tape: dz/dx [4.0, 108.0], dy/dx [2.0, 6.0]",
           "second gradient call on a non-persistent tape: RuntimeError",
           "integer source: None; assign_add breaks the chain: None; unconnected ZERO: [0.0, 0.0]",
           "stop_recording: dz/dx 4.0, dz/dy None",
           "d/dx x**3 at 1: 3.0, d2/dx2: 6.0",
           "jacobian of Dense(10) output wrt kernel: (7, 10, 5, 10)",
           "jacobian (7, 6, 7, 5), batch_jacobian (7, 6, 5)")
    assert _number(out, r"sigmoid'\(x\) on 201 points: max error (\S+) ") < 1e-6


def check_quickstart_expert(out):
    assert len(re.findall(r"^Epoch \d+, Loss", out, re.M)) == 3
    first = _number(out, r"Epoch 1, Loss: ([\d.]+)")
    last = _number(out, r"Epoch 3, Loss: ([\d.]+)")
    assert last < first
    assert _number(out, r"Epoch 3, .*Test Accuracy: ([\d.]+)") > 85.0  # percent


def check_fashion_mnist_classification(out):
    assert _number(out, r"Test accuracy: ([\d.]+)") > 0.8
    _lines(out, "single image (1, 10): predicted Pullover (label Pullover)")


def check_save_and_load(out):
    trained = _number(out, r"trained model, accuracy: +([\d.]+)%")
    assert _number(out, r"Untrained model, accuracy: +([\d.]+)%") < 30.0
    assert _number(out, r"Restored model, accuracy: +([\d.]+)%") == trained
    _lines(out,
           "numbered checkpoints: ['cp-0000.weights.h5', 'cp-0005.weights.h5', "
           "'cp-0010.weights.h5']",
           "latest checkpoint: ckpt-2")
    from_ckpt = _number(out, r"Restored from ckpt-2, accuracy: +([\d.]+)%")
    assert _number(out, r"Restored from .keras, accuracy: +([\d.]+)%") == from_ckpt
    assert _number(out, r"Restored from .keras, .*optimizer at step (\d+)") == 10 * 32


def check_custom_layers(out):
    _lines(out,
           "simple module(5.0) = 30.0; trainable: ['train_me:0']; "
           "all: ['train_me:0', 'do_not_train_me:0']",
           "Model results: shape (1, 2); submodules: 2, variables: 4",
           "checkpoint restored: dense_1.w equal again",
           "MyDenseLayer variables: ['kernel']",
           "ResNet block: 6 layers, 18 variables, 12 trainable, 41 parameters, "
           "output (1, 2, 3, 3)",
           "Sequential of the same layers: 41 parameters")


def check_autoencoder(out):
    val_losses = [float(v) for v in re.search(r"val_loss by epoch: (.*)", out)[1].split()]
    assert len(val_losses) == 5 and val_losses == sorted(val_losses, reverse=True)
    mse = _number(out, r"reconstruction MSE ([\d.]+)")
    assert mse < 0.35 * _number(out, r"reconstruction .*predicting the mean image: ([\d.]+)")
    _lines(out, "encoded (1000, 64), decoded (1000, 28, 28)")


def check_dcgan(out):
    _lines(out, "generated image (1, 28, 28, 1), decision (1, 1)",
           "restored from ckpt-1: generator output and optimizer steps (8, 8) as saved",
           "generated for the seed: (16, 28, 28, 1), in [-1, 1]")
    assert _number(out, r"step 8: .*disc_loss ([\d.]+)") < _number(
        out, r"step 1: .*disc_loss ([\d.]+)")


def check_custom_training_loop(out):
    assert _number(out, r"Training loss .* at step 100: ([\d.]+)") < _number(
        out, r"Training loss .* at step 0: ([\d.]+)")
    assert _number(out, r"epoch 2: .*val acc ([\d.]+)") > 0.85
    assert "tf.function step: same weights as the eager step" in out
    assert "add_loss: 1 model loss" in out


def check_data_pipeline(out):
    _lines(out, "elements: [8, 3, 0, 8, 2, 1]; reduce: 22",
           "element_spec: TensorSpec(shape=(), dtype=tf.int32, name=None)",
           "zipped batches: [[0, 1, 2, 3], [0, -1, -2, -3]] ... spec (None,)",
           "pipeline batch: (128, 28, 28) float32, (128,) uint8")
    assert _number(out, r"epoch accuracy: .*val: [\d.]+ [\d.]+ ([\d.]+)") > 0.85


CHECKS = {name[len("check_"):]: check for name, check in globals().items()
          if name.startswith("check_")}


@pytest.fixture(scope="module")
def datasets(mnist_npz):
    """The shared datasets folder (MNIST and Fashion-MNIST); skips where it is absent."""
    return mnist_npz.parents[1]


def test_every_program_is_checked():
    assert sorted(p.stem for p in TUTORIALS.glob("*.py")) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_programs_import_only_ember_numpy_and_the_standard_library(name):
    source = assert_only_swappable_imports(TUTORIALS / f"{name}.py", IMPORT_SWAPS,
                                           OTHER_IMPORTS, "TensorFlow")
    assert "import ember as tf" in source.splitlines()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_programs_record_what_tensorflow_printed(name):
    doc = ast.get_docstring(ast.parse((TUTORIALS / f"{name}.py").read_text()))
    assert "TensorFlow 2.21 printed" in doc


@pytest.mark.parametrize("name", program_params(TUTORIALS, CHECKS, EMBER_XFAIL))
def test_program_runs_on_ember(name, datasets, tmp_path):
    env = dict(os.environ, TUTORIAL_DATASETS=str(datasets))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                      env.get("PYTHONPATH")]))
    proc, seconds = run([sys.executable, str(TUTORIALS / f"{name}.py")], env, tmp_path,
                         EMBER_TIME_LIMIT_S)
    if proc.returncode != 0 and name in EMBER_XFAIL:
        line = failing_line(TUTORIALS, name, EMBER_XFAIL)
        where = f'{name}.py", line {line}, in '
        if where not in proc.stderr:  # pytest.fail is not an AssertionError: no xfail
            pytest.fail(f"{name}.py fails on ember, but not at line {line} as "
                        f"EMBER_XFAIL expects:\n{proc.stderr[-3000:]}")
    assert proc.returncode == 0, f"{name}.py failed on ember:\n{proc.stderr[-3000:]}"
    assert "tutorial: OK" in proc.stdout.splitlines()[-1]
    CHECKS[name](proc.stdout)
    assert seconds < EMBER_TIME_LIMIT_S


def _tensorflow_version_of(name, tmp_path):
    """The program with its ember imports swapped for TensorFlow's, written under tmp_path."""
    lines = (TUTORIALS / f"{name}.py").read_text().splitlines()
    code = "\n".join(IMPORT_SWAPS.get(line, line) for line in lines) + "\n"
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module]
            assert not any(n.split(".")[0] == "ember" for n in names), ast.unparse(node)
    path = tmp_path / f"{name}_on_tensorflow.py"
    path.write_text(code)
    return path


@functools.lru_cache(maxsize=None)
def _tensorflow_python():
    """A Python that imports TensorFlow (EMBER_TF_PYTHON, else this one), or None."""
    python = os.environ.get("EMBER_TF_PYTHON", sys.executable)
    # in a subprocess: importing TensorFlow here would slow down every later test
    probe = subprocess.run([python, "-c", "import tensorflow"], capture_output=True,
                           timeout=120)
    return python if probe.returncode == 0 else None


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_program_runs_on_tensorflow(name, datasets, tmp_path):
    python = _tensorflow_python()
    if python is None:
        pytest.skip(f"no Python with TensorFlow (set EMBER_TF_PYTHON), so {name}.py cannot be "
                    "checked on it")
    # tf.keras is Keras 3 on the TensorFlow backend whatever KERAS_BACKEND the tests run with
    env = dict(os.environ, TUTORIAL_DATASETS=str(datasets), TF_CPP_MIN_LOG_LEVEL="2",
               KERAS_BACKEND="tensorflow")
    env.pop("PYTHONPATH", None)
    proc, _ = run([python, str(_tensorflow_version_of(name, tmp_path))], env, tmp_path,
                   TF_TIME_LIMIT_S)
    assert proc.returncode == 0, f"{name}.py failed on TensorFlow:\n{proc.stderr[-3000:]}"
    assert "tutorial: OK" in proc.stdout.splitlines()[-1]
    CHECKS[name](proc.stdout)
