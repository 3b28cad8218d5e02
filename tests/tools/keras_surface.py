"""The Keras surface survey: which public names of the installed Keras ember exposes.

Used by ``tests/test_keras_surface.py`` and ``tests/tools/update_keras_surface.py``. The survey
runs in a fresh interpreter (``python tests/tools/update_keras_surface.py --json PATH``), and
each namespace in a fresh fork of it, so that what it finds in ember does not depend on which
ember submodules other tests or other look-ups happened to import: a user who writes
``import ember as keras`` gets exactly what a fresh ``import ember`` gives.
"""

import ast
import inspect
import json
import os
import sys
import textwrap
import traceback
import types
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
MISSING_FILE = TESTS / "keras_surface_missing.txt"
UPDATE_COMMAND = "python tests/tools/update_keras_surface.py"

# Keras names that cannot apply to ember, each with why. A module here excludes everything
# below it. Keep this short: a name ember simply lacks belongs in keras_surface_missing.txt.
EXCLUDED = {
    "keras.src": "Keras's implementation package, not its public API",
    "keras.distribution": "shards models over JAX device meshes (JAX backend only in Keras); "
                          "ember runs in one CPU process",
    "keras.optimizers.legacy": "Keras 2 (tf.keras) optimizers; Keras 3 itself only raises "
                               "ImportError from them",
    "keras.layers.JaxLayer": "wraps a JAX function",
    "keras.layers.FlaxLayer": "wraps a Flax module",
    "keras.layers.TorchModuleWrapper": "wraps a torch.nn.Module",
    "keras.layers.TFSMLayer": "loads a TensorFlow SavedModel",
    "keras.export.ExportArchive": "writes a TensorFlow SavedModel (via jax2tf on JAX); ember "
                                  "exports ONNX instead",
    "keras.config.is_nnx_enabled": "Flax NNX integration of the JAX backend",
    "keras.callbacks.OrbaxCheckpoint": "writes checkpoints with Orbax, a JAX library (Keras "
                                       "supports it on the JAX backend); ember's checkpoints "
                                       "are ModelCheckpoint and BackupAndRestore",
}

def kind_of(value):
    """"module", "class", "function" (any other callable) or "value"."""
    if isinstance(value, types.ModuleType):
        return "module"
    if inspect.isclass(value):
        return "class"
    if callable(value):
        return "function"
    return "value"


def is_excluded(name):
    return any(name == ex or name.startswith(ex + ".") for ex in EXCLUDED)


def keras_public_names(keras):
    """{qualified name: kind} for every public name of every public submodule of ``keras``
    (found by walking attributes, so the list follows the installed Keras)."""
    names = {}

    def walk(module, path):
        for attr in sorted(dir(module)):
            if attr.startswith("_"):
                continue
            qualified = f"{path}.{attr}"
            if is_excluded(qualified):
                continue
            value = getattr(module, attr)
            names[qualified] = kind_of(value)
            # only descend into the module that lives at this path (not aliases such as
            # keras.src.* re-exported elsewhere), which also keeps the walk free of cycles
            if isinstance(value, types.ModuleType) and value.__name__ == qualified:
                walk(value, qualified)

    walk(keras, "keras")
    return names


def _only_raises(function):
    """True when ``function``'s body is nothing but a docstring and ``raise`` statements: a
    name that exists only to be found (an empty body may be a legitimate no-op; not this)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(defs) != 1:
        return False
    body = list(defs[0].body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return bool(body) and all(isinstance(stmt, ast.Raise) for stmt in body)


def placeholder_reason(value):
    """Why ``value`` is a placeholder rather than an implementation, or None."""
    if value is None:
        return "resolves to None"
    if inspect.isfunction(value) and _only_raises(value):
        return "a function whose body only raises"
    if inspect.isclass(value) and not value.__subclasses__():
        # (an abstract base whose subclasses implement the method is not a placeholder)
        for method in ("__init__", "__new__", "__call__"):
            own = value.__dict__.get(method)
            if inspect.isfunction(own) and _only_raises(own):
                return f"a class whose {method} only raises"
    return None


def resolve_in_ember(name, keras_kind, ember):
    """(present, reason): whether ``ember`` exposes Keras's ``name`` (``keras.a.b`` ->
    ``ember.a.b``) as a real object of the right kind; ``reason`` says why not."""
    parts = name.split(".")[1:]
    value, path = ember, "ember"
    for part in parts:
        try:
            value = getattr(value, part)
        except AttributeError:
            return False, f"{path} has no attribute {part!r}"
        except Exception as exc:  # a lazily listed name whose import fails is a bug
            return False, f"{path}.{part} is listed but fails to load: {type(exc).__name__}: {exc}"
        path = f"{path}.{part}"
    reason = placeholder_reason(value)
    if reason:
        return False, f"{path} is a placeholder ({reason})"
    if keras_kind == "module":
        if not isinstance(value, types.ModuleType):
            return False, f"{path} is a {kind_of(value)}, Keras has a module"
        if not value.__name__.startswith("ember"):
            return False, f"{path} is the foreign module {value.__name__}, not ember's"
    elif keras_kind == "class" and not inspect.isclass(value):
        return False, f"{path} is a {kind_of(value)}, Keras has a class"
    elif keras_kind == "function" and not callable(value):
        return False, f"{path} is a {kind_of(value)}, Keras has a function"
    return True, ""


def ember_unresolvable_listed_names(ember, namespaces):
    """{qualified ember name: error} for names that an ember namespace lists in ``dir()`` but
    cannot produce: a lazy ``__getattr__`` promising something that does not import."""
    broken = {}
    for namespace in namespaces:
        module, ok = ember, True
        for part in namespace.split(".")[1:]:
            try:
                module = getattr(module, part)
            except Exception:
                ok = False
                break
        if not ok or not isinstance(module, types.ModuleType):
            continue
        for attr in dir(module):
            if attr.startswith("_"):
                continue
            try:
                getattr(module, attr)
            except Exception as exc:
                broken[f"ember{namespace[len('keras'):]}.{attr}"] = (
                    f"{type(exc).__name__}: {exc}")
    return broken


def _in_fork(function, *args):
    """``function(*args)`` in a forked child, so that whatever it imports vanishes with it;
    returns its (JSON-able) result."""
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's code
        os.close(read)
        try:
            payload = json.dumps({"ok": function(*args)})
        except BaseException:
            payload = json.dumps({"error": traceback.format_exc()})
        with os.fdopen(write, "w") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    result = json.loads(data) if data else {"error": "the child process died"}
    if "error" in result:
        raise RuntimeError(f"{function.__name__} failed:\n{result['error']}")
    return result["ok"]


def _enumerate_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    return {"version": keras.__version__, "names": keras_public_names(keras)}


def _resolve_group(members, namespaces):
    import ember

    resolved = {name: resolve_in_ember(name, kind, ember) for name, kind in members}
    return resolved, ember_unresolvable_listed_names(ember, namespaces)


def survey():
    """Compare the installed Keras (JAX backend) with ember. Returns a JSON-able dict.

    Each top-level namespace is looked up in its own freshly forked ``import ember``: looking
    up ``keras.layers`` may import ember submodules as a side effect, and those must not make
    ``ember.preprocessing`` (say) look present to a user who only wrote ``import ember``."""
    assert "ember" not in sys.modules and "keras" not in sys.modules, (
        "survey() must run in a process that has imported neither ember nor keras")
    keras_info = _in_fork(_enumerate_keras)
    names = keras_info["names"]
    groups = {}
    for name, kind in sorted(names.items()):
        top = name.split(".")[1]
        key = top if names.get(f"keras.{top}") == "module" else ""
        groups.setdefault(key, []).append((name, kind))
    result = {"keras_version": keras_info["version"], "names": {},
              "ember_broken_listings": {}}
    for key, members in sorted(groups.items()):
        namespaces = ["keras"] if not key else [n for n, k in members if k == "module"]
        resolved, broken = _in_fork(_resolve_group, members, namespaces)
        for name, kind in members:
            present, reason = resolved[name]
            result["names"][name] = {"kind": kind, "present": present, "reason": reason}
        result["ember_broken_listings"].update(broken)
    return result


def counts(result):
    """{namespace: (present, total)} plus "TOTAL", over the non-excluded Keras names."""
    per = {}
    for name, info in result["names"].items():
        namespace = name.rsplit(".", 1)[0]
        have, total = per.get(namespace, (0, 0))
        per[namespace] = (have + int(info["present"]), total + 1)
    have = sum(h for h, _ in per.values())
    total = sum(t for _, t in per.values())
    per = dict(sorted(per.items()))
    per["TOTAL"] = (have, total)
    return per


def missing_names(result):
    return sorted(n for n, info in result["names"].items() if not info["present"])


def summary_lines(result):
    lines = []
    for namespace, (have, total) in counts(result).items():
        lines.append(f"{namespace}: {have}/{total}")
    return lines


def render_missing_file(result):
    header = [
        "# Public names of Keras that ember does not expose yet (one qualified name per line).",
        f"# Generated from Keras {result['keras_version']} by: {UPDATE_COMMAND}",
        "# tests/test_keras_surface.py fails when a name is missing but not listed here, or",
        "# listed here but now present: this list only shrinks. Regenerate it with the command",
        "# above after adding names to ember. Exclusions (names that cannot apply) live in",
        "# EXCLUDED in tests/tools/keras_surface.py.",
        "#",
        "# Keras public names ember has, per namespace (present/total):",
    ]
    header += [f"#   {line}" for line in summary_lines(result)]
    return "\n".join(header + missing_names(result)) + "\n"


def read_missing_file(path=MISSING_FILE):
    """The names listed in the missing file, in file order (comments and blanks dropped)."""
    lines = Path(path).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def run_survey_subprocess(timeout=300, script="update_keras_surface.py", what="Keras",
                          env_defaults=(("KERAS_BACKEND", "jax"),)):
    """Run a survey script (this one's :func:`survey` by default) in a fresh interpreter and
    return its JSON result."""
    import subprocess
    import tempfile

    script = Path(__file__).with_name(script)
    src = TESTS.parent / "src"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    for key, value in env_defaults:
        env.setdefault(key, value)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "survey.json"
        proc = subprocess.run([sys.executable, str(script), "--json", str(out)], env=env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"the {what} surface survey failed:\n{proc.stderr[-4000:]}")
        return json.loads(out.read_text())
