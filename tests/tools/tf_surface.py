"""The TensorFlow surface survey: which public names of TensorFlow 2.21 ``ember.tf`` exposes.

The names come from /work/shared/specs/tensorflow-2.21-names.json (recorded from a real install
with ``dir()``; TensorFlow is not needed here). Used by ``tests/tf/test_tf_surface.py`` and
``tests/tools/update_tf_surface.py``. The survey runs in a fresh interpreter (``python
tests/tools/update_tf_surface.py --json PATH``), so that what it finds does not depend on what
other tests imported: a user who writes ``import ember as tf`` gets what a fresh import gives.
"""

import importlib.util
import json
import os
import re
import sys
import types
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
MISSING_FILE = TESTS / "tf_surface_missing.txt"
UPDATE_COMMAND = "python tests/tools/update_tf_surface.py"
NAMES_FILE = Path(os.environ.get(
    "EMBER_TF_NAMES", "/work/shared/specs/tensorflow-2.21-names.json"))

_KERAS_TOOL = Path(__file__).with_name("keras_surface.py")
_spec = importlib.util.spec_from_file_location("keras_surface_for_tf", _KERAS_TOOL)
_keras_surface = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_keras_surface)
placeholder_reason = _keras_surface.placeholder_reason

# TensorFlow names that cannot apply to ember (an eager NumPy engine on one CPU), each with why.
# A namespace here excludes everything below it. A name ember simply lacks belongs in
# tf_surface_missing.txt, not here.
EXCLUDED = {
    "keras": "tf.keras is ember itself; its names are held against Keras by "
             "tests/test_keras_surface.py",
    "compat": "the TF1 API (tf.compat.v1) and version shims: sessions, placeholders, graphs",
    "distribute": "distribution strategies over several devices and hosts; ember runs in one "
                  "CPU process",
    "tpu": "Google TPU devices and their embedding APIs",
    "xla": "XLA compilation of graphs",
    "mlir": "MLIR graph passes",
    "dtensor": "tensors sharded over device meshes (distribution)",
    "lite": "the TFLite converter and interpreter (flatbuffer models)",
    "sysconfig": "TensorFlow's build flags and C++ include/library paths",
    "test": "TensorFlow's own unit-test framework and GPU/CUDA build probes",
    "raw_ops": "TensorFlow's generated C++ op bindings",
    "autograph": "converts Python control flow into graph ops; ember's tf.function runs "
                 "Python as written",
    "types": "typing protocols of TF's internals",
    "experimental": "experimental internals: extension types, DTensor, dlpack, dispatch "
                    "registration, float8/int4 dtypes",
    "feature_column": "deprecated estimator-era feature columns",
    "queue": "graph-mode input queues (TF1)",
    "lookup": "hash tables backed by graph resources",
    "sparse": "SparseTensor is not built in ember (dense NumPy arrays only)",
    "SparseTensor": "SparseTensor is not built in ember (dense NumPy arrays only)",
    "SparseTensorSpec": "SparseTensor is not built in ember",
    "ragged": "RaggedTensor is not built in ember",
    "RaggedTensor": "RaggedTensor is not built in ember",
    "RaggedTensorSpec": "RaggedTensor is not built in ember",
    "ragged_fill_empty_rows": "RaggedTensor is not built in ember",
    "ragged_fill_empty_rows_grad": "RaggedTensor is not built in ember",
    "Graph": "graph mode only",
    "Operation": "graph mode only (a node of a tf.Graph)",
    "import_graph_def": "graph mode only (GraphDef protos)",
    "graph_util": "graph mode only (GraphDef rewriting)",
    "control_dependencies": "orders ops in a graph; eager ops run in program order",
    "init_scope": "lifts ops out of a function-building graph",
    "gradients": "graph mode only (TF raises under eager execution: use GradientTape)",
    "hessians": "graph mode only (TF raises under eager execution)",
    "RegisterGradient": "registers gradients for graph op types",
    "no_gradient": "registers graph op types as non-differentiable",
    "make_tensor_proto": "TensorProto protocol buffers",
    "make_ndarray": "TensorProto protocol buffers",
    "load_library": "loads TensorFlow C++ plugin libraries",
    "load_op_library": "loads TensorFlow C++ op libraries",
    "CriticalSection": "serializes graph resource access across sessions",
    "variable_creator_scope": "intercepts graph variable creation (distribution internals)",
    "VariableAggregation": "how distribution strategies combine replicas' variable updates",
    "VariableSynchronization": "when distribution strategies synchronize variables",
    "resource": "the dtype of graph resource handles",
    "variant": "the dtype of TF's opaque graph values",
    "qint8": "quantized dtypes of TF's quantization kernels; NumPy has none",
    "qint16": "quantized dtypes of TF's quantization kernels; NumPy has none",
    "qint32": "quantized dtypes of TF's quantization kernels; NumPy has none",
    "quint8": "quantized dtypes of TF's quantization kernels; NumPy has none",
    "quint16": "quantized dtypes of TF's quantization kernels; NumPy has none",
    "dtypes.qint8": "quantized dtypes; NumPy has none",
    "dtypes.qint16": "quantized dtypes; NumPy has none",
    "dtypes.qint32": "quantized dtypes; NumPy has none",
    "dtypes.quint8": "quantized dtypes; NumPy has none",
    "dtypes.quint16": "quantized dtypes; NumPy has none",
    "dtypes.QUANTIZED_DTYPES": "quantized dtypes; NumPy has none",
    "dtypes.resource": "the dtype of graph resource handles",
    "dtypes.variant": "the dtype of TF's opaque graph values",
    "dtypes.experimental": "float8/int4 experimental dtypes",
    "config.experimental_connect_to_cluster": "connects to remote TF servers (distribution)",
    "config.experimental_connect_to_host": "connects to remote TF servers (distribution)",
    "config.optimizer": "Grappler graph-optimizer settings",
    "train.ClusterDef": "distribution cluster protos",
    "train.ClusterSpec": "distribution cluster specs",
    "train.JobDef": "distribution cluster protos",
    "train.ServerDef": "distribution server protos",
    "train.Coordinator": "TF1 thread coordination for graph queue runners",
    "nondifferentiable_batch_function": "batches calls across sessions in TF Serving graphs",
    "check_pinned": "TF's internal dispatch check for pinned host memory",
    "guarantee_const": "a graph-optimizer hint",
    "security": "TF's security-advisory tooling",
    "tools": "TF's internal tools package (pip build helpers)",
    "profiler": "TF's profiler (device traces, TensorBoard plugins)",
}

# The files where names are exercised; a present name must be used in one of them (or be the
# same object as a name that is), so that no name exists only to be counted. The TF tutorials
# under examples/ count: tests/examples/test_tf_tutorials.py runs them and checks their output.
TEST_GLOBS = ("tf/**/*.py", "examples/test_tf_*.py", "autodiff/*.py",
              "../examples/tf_tutorials/**/*.py")


def load_tf_names(path=NAMES_FILE):
    """``{namespace: [names]}`` (``""`` is ``tf`` itself), less the file's notes."""
    data = json.loads(Path(path).read_text())
    return {ns: names for ns, names in data.items() if not ns.startswith("_")}


def is_excluded(qualified):
    """``qualified`` is a name below ``tf`` (``"math.top_k"``)."""
    return any(qualified == ex or qualified.startswith(ex + ".") for ex in EXCLUDED)


def tf_public_names(names_by_namespace):
    """``{qualified: kind}``: kind "module" for names that are namespaces in the file."""
    namespaces = set(names_by_namespace)
    out = {}
    for ns, names in names_by_namespace.items():
        if ns and is_excluded(ns):
            continue
        for name in names:
            qualified = f"{ns}.{name}" if ns else name
            if is_excluded(qualified):
                continue
            out[qualified] = "module" if qualified in namespaces else "object"
    return out


def resolve_in_ember(qualified, kind, root):
    """(present, reason, value) for ``tf.<qualified>`` looked up in ``root`` (``ember.tf``)."""
    value, path = root, "ember.tf"
    for part in qualified.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            return False, f"{path} has no attribute {part!r}", None
        except Exception as exc:  # a listed name whose import fails is a bug
            return False, f"{path}.{part} fails to load: {type(exc).__name__}: {exc}", None
        path = f"{path}.{part}"
    reason = placeholder_reason(value)
    if reason:
        return False, f"{path} is a placeholder ({reason})", None
    if kind == "module" and not isinstance(value, types.ModuleType):
        return False, f"{path} is not a module, TensorFlow has a namespace", None
    if isinstance(value, types.ModuleType) and not value.__name__.startswith("ember"):
        return False, f"{path} is the foreign module {value.__name__}", None
    return True, "", value


def survey(names_file=NAMES_FILE):
    """Compare TensorFlow's names with ``ember.tf`` and with ``import ember`` top level.
    Returns a JSON-able dict."""
    assert "ember" not in sys.modules, "survey() must run in a fresh interpreter"
    import ember
    import ember.tf as root

    names = tf_public_names(load_tf_names(names_file))
    result = {"names": {}, "top_level_mismatch": {}}
    objects = {}
    for qualified, kind in sorted(names.items()):
        present, reason, value = resolve_in_ember(qualified, kind, root)
        result["names"][qualified] = {"kind": kind, "present": present, "reason": reason}
        if present:
            objects[qualified] = value
            if "." not in qualified:  # `import ember as tf` must give the same object
                try:
                    top = getattr(ember, qualified)
                except Exception as exc:
                    top = exc
                if top is not value:
                    result["top_level_mismatch"][qualified] = repr(top)[:200]
    result["aliases"] = _alias_groups(objects)
    return result


def _alias_groups(objects):
    """``{name: [names of the same object]}`` for objects reached under several names."""
    by_id = {}
    for name, value in objects.items():
        if type(value) in (bool, int, float, str, type(None)):
            continue  # constants (error codes ...) may coincide without being aliases
        by_id.setdefault(id(value), []).append(name)
    return {n: sorted(g) for g in by_id.values() if len(g) > 1 for n in g}


def test_sources(tests_dir=TESTS):
    paths = set()
    for pattern in TEST_GLOBS:
        paths.update((tests_dir / pattern).parent.resolve().glob(Path(pattern).name)
                     if "**" not in pattern else
                     (tests_dir / pattern.split("**")[0]).resolve().glob("**/*.py"))
    return "\n".join(path.read_text() for path in sorted(paths))


def is_exercised(qualified, source):
    """Whether a test refers to ``tf.<qualified>`` (also ``ember.tf.`` or an import from the
    module that defines it)."""
    *ns, last = qualified.split(".")
    dotted = re.escape(qualified)
    if re.search(rf"(?<![\w.])(?:tf|ember|etf|ember\.tf)\.{dotted}\b", source):
        return True
    if ns:
        # through the imported namespace (``summary.scalar`` after ``from ember.tf import
        # summary``) or an import of the name from the module that defines it
        if re.search(rf"(?<![\w]){re.escape(ns[-1])}\.{re.escape(last)}\b", source):
            return True
        module = re.escape(".".join(ns))
        pattern = rf"from ember\.tf\.{module} import (?:\([^)]*|[^\n]*)\b{re.escape(last)}\b"
        return re.search(pattern, source) is not None
    return False


def unexercised_names(result, source):
    """Present names that no test uses, directly or through an alias."""
    present = [n for n, info in result["names"].items() if info["present"]]
    used = {n for n in present if is_exercised(n, source)}
    out = []
    for name in present:
        if name in used:
            continue
        if any(alias in used for alias in result["aliases"].get(name, [])):
            continue
        out.append(name)
    return sorted(out)


def counts(result):
    per = {}
    for name, info in result["names"].items():
        ns = "tf." + name.rsplit(".", 1)[0] if "." in name else "tf"
        have, total = per.get(ns, (0, 0))
        per[ns] = (have + int(info["present"]), total + 1)
    have = sum(h for h, _ in per.values())
    total = sum(t for _, t in per.values())
    per = dict(sorted(per.items()))
    per["TOTAL"] = (have, total)
    return per


def missing_names(result):
    return sorted(n for n, info in result["names"].items() if not info["present"])


def summary_lines(result):
    return [f"{ns}: {have}/{total}" for ns, (have, total) in counts(result).items()]


def render_missing_file(result):
    header = [
        "# Public names of TensorFlow 2.21 that ember.tf does not expose yet (one per line,",
        "# relative to tf). Generated from /work/shared/specs/tensorflow-2.21-names.json by:",
        f"# {UPDATE_COMMAND}",
        "# tests/tf/test_tf_surface.py fails when a name is missing but not listed here, or",
        "# listed here but now present: this list only shrinks. Exclusions (names that cannot",
        "# apply) live in EXCLUDED in tests/tools/tf_surface.py.",
        "#",
        "# TensorFlow public names ember has, per namespace (present/total):",
    ]
    header += [f"#   {line}" for line in summary_lines(result)]
    return "\n".join(header + missing_names(result)) + "\n"


def read_missing_file(path=MISSING_FILE):
    return _keras_surface.read_missing_file(path)


def run_survey_subprocess(timeout=300):
    return _keras_surface.run_survey_subprocess(timeout, "update_tf_surface.py", "TensorFlow",
                                                env_defaults=())
