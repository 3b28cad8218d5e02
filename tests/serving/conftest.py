"""Fixtures for the server tests: models built in code, and real servers on 127.0.0.1."""

import contextlib
import importlib.util

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")


def mlp(seed=0):
    """The tutorial MLP (28x28 images -> 10 softmax probabilities), weights from ``seed``."""
    import ember
    from ember.utils.random import set_random_seed

    set_random_seed(seed)
    return ember.Sequential([
        ember.layers.Flatten(input_shape=(28, 28)),
        ember.layers.Dense(128, activation="relu"),
        ember.layers.Dense(10, activation="softmax"),
    ])


def two_io(seed=0):
    """A Functional model with inputs 'a' (4,) and 'b' (3,), outputs 'score' (2,) and 'probs'
    (3,)."""
    import ember
    from ember.utils.random import set_random_seed

    set_random_seed(seed)
    a = ember.Input(shape=(4,), name="a")
    b = ember.Input(shape=(3,), name="b")
    h = ember.layers.Concatenate()([a, b])
    h = ember.layers.Dense(8, activation="tanh")(h)
    return ember.Model([a, b], [ember.layers.Dense(2, name="score")(h),
                                ember.layers.Dense(3, activation="softmax", name="probs")(h)])


def have_saving():
    """True once ``ember.saving.load_model`` and ``Model.save`` exist."""
    if importlib.util.find_spec("ember.saving") is None:
        return False
    try:
        from ember.saving import load_model  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def running(manager, **app_options):
    """A real server for ``manager`` on a free port of 127.0.0.1, and an httpx client to it;
    the server and the manager's threads are stopped whatever happens."""
    from ember.serving import ServerThread, create_app

    server = ServerThread(create_app(manager, **app_options))
    try:
        server.start()
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield server, client
    finally:
        server.stop()
        manager.stop()


@pytest.fixture(scope="module")
def models():
    return {"mnist": mlp(0), "two": two_io(0)}


@pytest.fixture(scope="module")
def server(models):
    """One server for the module: 'mnist' (the MLP, version 1) and 'two' (two inputs and
    outputs, versions 1 and 7 with label 'stable' -> 7)."""
    from ember.serving import ModelManager

    manager = ModelManager(poll_seconds=0)
    manager.add_model("mnist", models["mnist"], 1)
    two = manager.add("two", version_policy="all", labels={"stable": 7, "ghost": 99})
    two.add_model(models["two"], 1)
    two.add_model(models["two"], 7)
    with running(manager, max_body_bytes=1 << 20) as (srv, client):
        yield srv, client


_CHILD = """
import sys
from ember.backend import np, threads
from ember.serving import ModelManager, ServerThread, create_app
sys.path.insert(0, sys.argv[2])
from serving.conftest import mlp
model = mlp(0)
with np.load(sys.argv[1]) as f:
    model.set_weights([f[k] for k in sorted(f.files, key=lambda k: int(k[4:]))])
manager = ModelManager(poll_seconds=0)
manager.add_model("mnist", model)
with threads.limit(1), ServerThread(create_app(manager)) as server:  # as ember serve does
    print(server.port, flush=True)
    sys.stdin.read()  # serve until the parent closes stdin
manager.stop()
"""


@contextlib.contextmanager
def server_process(model, tmp_path):
    """The MLP ``model`` served by a separate Python process (its own GIL, as in production)
    on a free port of 127.0.0.1; yields the base URL. The process ends whatever happens."""
    import subprocess
    import sys
    from pathlib import Path

    from ember.backend import np

    weights = tmp_path / "weights.npz"
    np.savez(weights, **{f"arr_{i}": w for i, w in enumerate(model.get_weights())})
    tests_dir = str(Path(__file__).resolve().parents[1])
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(weights), tests_dir],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the server process did not start (exit code {proc.poll()})")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        try:
            proc.stdin.close()
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
