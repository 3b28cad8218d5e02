"""model_to_dot / plot_model: the graph of a functional model with a branch, nested models, and
a PNG drawn by Graphviz (Keras's own dot text: tests/keras_parity/test_plot_model_parity.py)."""

import shutil
import struct

import pytest

import ember

pydot = pytest.importorskip("pydot", reason="pydot is not installed (extra `plot`)")


def _branchy():
    inputs = ember.Input((4,), name="x")
    a = ember.layers.Dense(3, activation="relu", name="d1")(inputs)
    b = ember.layers.Dense(3, name="d2")(inputs)
    out = ember.layers.Add(name="add")([a, b])
    return ember.Model(inputs, out, name="branchy")


def _names(dot):
    """node id -> layer name (from the bold title), and the edges as name pairs."""
    by_id = {}
    for graph in [dot] + dot.get_subgraph_list():
        for node in graph.get_nodes():
            label = node.get("label")
            if label:
                by_id[node.get_name()] = label.split("<b>")[1].split("</b>")[0]
    edges = {(by_id[e.get_source()], by_id[e.get_destination()]) for e in dot.get_edges()}
    return by_id, edges


def test_dot_has_the_layers_and_edges_of_a_branch():
    model = _branchy()
    dot = ember.utils.model_to_dot(model)
    by_id, edges = _names(dot)
    assert sorted(by_id.values()) == ["add", "d1", "d2", "x"]
    assert edges == {("x", "d1"), ("x", "d2"), ("d1", "add"), ("d2", "add")}
    assert dot.get("rankdir") == "TB" and dot.get("dpi") == 200


def test_labels_show_what_is_asked():
    model = _branchy()
    dot = ember.utils.model_to_dot(model, show_shapes=True, show_dtype=True,
                                   show_layer_activations=True, show_trainable=True,
                                   rankdir="LR", dpi=96)
    labels = {n.get_name(): n.get("label") for n in dot.get_nodes() if n.get("label")}
    text = "".join(labels.values())
    assert "Input shape: <b>[(None, 3), (None, 3)]</b>" in text
    assert "Output shape: <b>(None, 3)</b>" in text and "Output dtype: <b>float32</b>" in text
    assert "Activation: <b>relu</b>" in text and "Activation: <b>linear</b>" in text
    assert text.count("Trainable") == 2  # the two Dense layers; Input and Add have no weights
    assert dot.get("rankdir") == "LR" and dot.get("dpi") == 96
    model.get_layer("d1").trainable = False
    frozen = ember.utils.model_to_dot(model, show_trainable=True).to_string()
    assert "Non-trainable" in frozen
    bare = ember.utils.model_to_dot(model, show_layer_names=False).to_string()
    assert "<b>Dense</b>" in bare and "<b>d1</b>" not in bare


def test_nested_models_expand_into_clusters():
    inner = ember.Sequential([ember.Input((3,)), ember.layers.Dense(2, name="inner_dense")],
                             name="inner")
    base = _branchy()
    model = ember.Model(base.input, inner(base.output), name="outer")
    _, flat_edges = _names(ember.utils.model_to_dot(model))
    assert ("add", "inner") in flat_edges
    dot = ember.utils.model_to_dot(model, expand_nested=True)
    assert [g.get_name() for g in dot.get_subgraph_list()] == ["cluster_inner"]
    _, edges = _names(dot)
    assert ("add", "inner_dense") in edges


def test_sequential_and_subclassed_models():
    seq = ember.Sequential([ember.Input((3,)), ember.layers.Dense(2, name="s1"),
                            ember.layers.Dense(1, name="s2")])
    _, edges = _names(ember.utils.model_to_dot(seq))
    assert edges == {("s1", "s2")}

    class Custom(ember.Model):
        def __init__(self):
            super().__init__(name="custom")
            self.dense = ember.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    custom = Custom()
    custom(ember.ops.ones((1, 2)))
    by_id, edges = _names(ember.utils.model_to_dot(custom))
    assert list(by_id.values()) == ["custom"] and not edges


def test_errors():
    unbuilt = ember.Sequential([ember.layers.Dense(2)])
    with pytest.raises(ValueError, match="not yet been built"):
        ember.utils.model_to_dot(unbuilt)
    with pytest.raises(ValueError, match="not yet been built"):
        ember.utils.plot_model(unbuilt)
    with pytest.raises(ValueError, match="layer_range"):
        ember.utils.model_to_dot(_branchy(), layer_range=["a", "b"])
    with pytest.raises(ValueError, match="unrecognized keyword"):
        ember.utils.model_to_dot(_branchy(), colour=True)


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="Graphviz's `dot` is not installed (apt-get install graphviz)")
def test_plot_model_writes_a_png(tmp_path):
    path = tmp_path / "model.png"
    ember.utils.plot_model(_branchy(), to_file=path, show_shapes=True, dpi=50)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width > 100 and height > 100
    ember.utils.plot_model(_branchy(), to_file=tmp_path / "model.svg")
    assert b"<svg" in (tmp_path / "model.svg").read_bytes()


def test_missing_graphviz_is_a_clear_import_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on the PATH
    with pytest.raises(ImportError, match="graphviz"):
        ember.utils.plot_model(_branchy(), to_file=tmp_path / "m.png")
