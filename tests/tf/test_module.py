"""tf.Module and tf.name_scope, against what TensorFlow 2.21 does.

The expected orders were observed with TensorFlow: a module's own leaves (attributes sorted by
name, dict entries by key, sequences in order) come first, then each sub-module's, depth first.
"""

import pytest

import ember
from ember.backend import np
from ember.tf.module import Module, name_scope


class Dense(Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = ember.Variable(np.ones((in_features, out_features), "float32"), name="w")
        self.b = ember.Variable(np.zeros(out_features, "float32"), name="b")

    def __call__(self, x):
        return ember.ops.relu(ember.ops.matmul(x, self.w) + self.b)


class Sequential(Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_1 = Dense(3, 3, name="d1")
        self.dense_2 = Dense(3, 2, name="d2")
        self.aaa = ember.Variable(1.0, trainable=False, name="aaa")
        self.lst = [ember.Variable(2.0, name="l0"),
                    {"b": ember.Variable(3.0, name="db"), "a": ember.Variable(4.0, name="da")},
                    (Dense(1, 1, name="tup"),)]


def test_variable_and_submodule_order_is_tensorflows():
    m = Sequential(name="the_model")
    # TensorFlow's order and names (a variable's name ends in ":0", as TensorFlow's)
    assert [v.name for v in m.variables] == ["aaa:0", "l0:0", "da:0", "db:0", "b:0", "w:0",
                                             "b:0", "w:0", "b:0", "w:0"]
    assert [v.name for v in m.trainable_variables] == ["l0:0", "da:0", "db:0", "b:0", "w:0",
                                                       "b:0", "w:0", "b:0", "w:0"]
    assert [v.name for v in m.non_trainable_variables] == ["aaa:0"]
    assert [s.name for s in m.submodules] == ["d1", "d2", "tup"]
    assert isinstance(m.variables, tuple) and isinstance(m.submodules, tuple)
    assert m.variables[4] is m.dense_1.b


def test_depth_first_submodules_and_dedup():
    a = Module(name="a")
    a.b, a.c = Module(name="b"), Module(name="c")
    a.b.d = Module(name="d")
    a.b.v, a.v = ember.Variable(1.0, name="bv"), ember.Variable(2.0, name="av")
    a.b.d.v, a.c.v = ember.Variable(3.0, name="dv"), ember.Variable(4.0, name="cv")
    a.same = a.v  # the same variable twice, and a cycle: each object once
    a.cycle = a
    # TensorFlow: submodules b, c, then d; variables av, bv, dv, cv
    assert [s.name for s in a.submodules] == ["b", "c", "d"]
    assert [v.name for v in a.variables] == ["av:0", "bv:0", "dv:0", "cv:0"]


def test_state_added_later_and_mutated_lists_are_found():
    m = Module()
    m.items = []
    assert m.variables == ()
    v = ember.Variable(1.0)
    m.items.append(v)
    assert m.variables == (v,)
    v.trainable = False
    assert m.trainable_variables == () and m.non_trainable_variables == (v,)


def test_keras_layers_inside_a_module_are_tracked():
    class Wrapper(Module):
        def __init__(self):
            super().__init__()
            self.dense = ember.layers.Dense(3)
            self.dense.build((None, 2))
            self.scale = ember.Variable(1.0, name="scale")

    w = Wrapper()
    assert w.variables[0] is w.scale  # own leaves first
    assert [id(v) for v in w.variables[1:]] == [id(w.dense.kernel), id(w.dense.bias)]
    assert w.dense in w.submodules


def test_names_and_name_scopes():
    assert Sequential().name == "sequential"
    assert Module().name == "module"
    with pytest.raises(ValueError, match="'bad name' is not a valid module name"):
        Module(name="bad name")
    with pytest.raises(ValueError, match="not a valid module name"):
        Module(name="")
    with pytest.raises(TypeError, match="expected string"):
        Module(name=3)
    assert Module(name="x").name_scope.name == "x/"
    with name_scope("outer"):
        inner = Dense(1, 1)
        with name_scope("x") as scope:
            assert scope == "outer/x/"
        with name_scope("abs/") as scope:
            assert scope == "abs/"
        with name_scope("") as scope:
            assert scope == ""
    # the scope is fixed when the module is created
    assert inner.name == "dense" and inner.name_scope.name == "outer/dense/"
    with inner.name_scope as scope:
        assert scope == "outer/dense/"
    with pytest.raises(ValueError, match="name for name_scope must be a string"):
        name_scope(None)


def test_with_name_scope_runs_inside_the_scope():
    seen = []

    class M(Module):
        @Module.with_name_scope
        def __call__(self, x):
            from ember.tf.module import _current_scope

            seen.append(_current_scope())
            return x

    m = M()
    assert m(5) == 5
    assert seen == ["m/"]


def test_flatten_with_predicate_and_path():
    m = Sequential()
    m.label = "text"
    assert list(m._flatten(predicate=lambda v: isinstance(v, str))) == ["text"]
    paths = [p for p, _ in m._flatten(with_path=True, predicate=lambda v: v is m.aaa)]
    assert paths == [("aaa",)]
    with_paths = dict(m._flatten(with_path=True))
    assert with_paths[("lst", 1, "a")] is m.lst[1]["a"]


def test_unsortable_dict_keys_raise_like_tensorflow():
    m = Module()
    m.nest = {"z": ember.Variable(1.0), 1: ember.Variable(2.0)}
    with pytest.raises(ValueError, match="Error processing property 'nest'"):
        m.variables  # noqa: B018


def test_training_a_module_with_a_tape():
    m = Dense(2, 1)
    x = ember.convert_to_tensor(np.array([[1.0, 2.0]], "float32"))
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(m(x))
    grads = tape.gradient(loss, m.trainable_variables)
    # variables are (b, w); d sum(relu(x @ w + b)) = 1 for b, x^T for w (positive pre-activation)
    assert [tuple(g.shape) for g in grads] == [(1,), (2, 1)]
    np.testing.assert_allclose(grads[1].numpy(), x.numpy().T)


def test_reached_through_import_ember_as_tf():
    import ember as tf
    from ember.tf import saved_model, summary, train, version

    assert tf.Module is Module
    assert tf.train is train and tf.train.Checkpoint is train.Checkpoint
    assert tf.saved_model is saved_model and tf.summary is summary
    assert tf.version.VERSION == version.VERSION
