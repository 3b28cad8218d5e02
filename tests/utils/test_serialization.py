"""keras.utils's serialization and config helpers: Config, get_source_inputs, custom object
scopes, registered objects, and Keras 2's format (keras.utils.legacy)."""

import json

import numpy as np
import pytest

import ember
from ember import layers, saving, utils
from ember.saving import serialization_lib


# -- the names ---------------------------------------------------------------------------------
def test_utils_and_saving_share_one_object_per_name():
    for name in ("serialize_keras_object", "deserialize_keras_object", "custom_object_scope",
                 "CustomObjectScope", "get_custom_objects", "register_keras_serializable",
                 "get_registered_name", "get_registered_object"):
        assert getattr(utils, name) is getattr(saving, name), name
    assert utils.custom_object_scope is utils.CustomObjectScope
    assert isinstance(utils.CustomObjectScope, type)
    assert utils.legacy.serialize_keras_object is not utils.serialize_keras_object


def test_serialize_round_trip_through_utils():
    layer = layers.Dense(3, activation="relu", name="d")
    envelope = utils.serialize_keras_object(layer)
    assert envelope["class_name"] == "Dense" and envelope["module"] == "keras.layers"
    again = utils.deserialize_keras_object(json.loads(json.dumps(envelope)))
    assert type(again) is layers.Dense and again.get_config() == layer.get_config()


# -- custom objects ------------------------------------------------------------------------------
class _Scaled(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_object_scope_resolves_names_inside_only():
    envelope = {"module": "mine", "class_name": "_Scaled", "config": {"factor": 3.0},
                "registered_name": "_Scaled"}
    with pytest.raises(ValueError, match="_Scaled"):
        utils.deserialize_keras_object(envelope)
    with utils.CustomObjectScope({"_Scaled": _Scaled}) as scope:
        assert scope.custom_objects == {"_Scaled": _Scaled}
        assert utils.get_registered_object("_Scaled") is _Scaled
        layer = utils.deserialize_keras_object(envelope)
    assert type(layer) is _Scaled and layer.factor == 3.0
    assert utils.get_registered_object("_Scaled") is None
    with pytest.raises(ValueError, match="_Scaled"):
        utils.deserialize_keras_object(envelope)


def test_custom_object_scope_nests_merges_and_restores():
    marker = object()
    with utils.custom_object_scope({"A": 1}, None, {"B": 2}):
        with utils.custom_object_scope({"A": marker}):
            assert utils.get_registered_object("A") is marker
        assert (utils.get_registered_object("A"), utils.get_registered_object("B")) == (1, 2)
    assert utils.get_registered_object("A") is None
    with pytest.raises(TypeError, match="CustomObjectScope: expected dicts"):
        utils.CustomObjectScope(["A"])


def test_registered_objects_and_names():
    @utils.register_keras_serializable(package="ser_test")
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    assert utils.get_registered_name(Twice) == "ser_test>Twice"
    assert utils.get_registered_object("ser_test>Twice") is Twice
    assert "ser_test>Twice" in utils.get_custom_objects()
    assert utils.get_registered_name(layers.Dense) == "Dense"
    assert utils.get_registered_name(ember.activations.relu) == "relu"
    # built-ins are not "registered" objects, as in Keras
    assert utils.get_registered_object("Dense") is None
    assert utils.get_registered_object("X", module_objects={"X": 1}) == 1
    assert utils.get_registered_object("X", custom_objects={"X": 2}, module_objects={"X": 1}) == 2


# -- Config --------------------------------------------------------------------------------------
def test_config_is_a_freezable_attribute_dict():
    c = utils.Config(a=1, b={"x": 2})
    assert (c.a, c["b"], len(c), list(c), "a" in c) == (1, {"x": 2}, 2, ["a", "b"], True)
    assert c.as_dict() == {"a": 1, "b": {"x": 2}} and json.loads(c.to_json()) == c.as_dict()
    assert repr(c) == "<Config {'a': 1, 'b': {'x': 2}}>"
    c.c = 3
    c["d"] = 4
    c.update(e=5)
    assert list(c.keys()) == ["a", "b", "c", "d", "e"] and c.pop("e") == 5
    assert c.get("nope", 7) == 7 and dict(c.items())["d"] == 4 and 3 in list(c.values())
    del c.d
    del c["c"]
    assert list(c) == ["a", "b"]
    with pytest.raises(AttributeError, match="Unknown attribute: 'zz'"):
        _ = c.zz
    with pytest.raises(AttributeError, match="Unknown attribute: 'zz'"):
        del c.zz
    c.freeze()
    assert c.frozen
    for mutate in (lambda: setattr(c, "a", 0), lambda: c.__setitem__("a", 0),
                   lambda: c.update(a=0), lambda: c.pop("a"), lambda: delattr(c, "a"),
                   lambda: c.__delitem__("a")):
        with pytest.raises(ValueError, match="the config is frozen"):
            mutate()
    assert c.a == 1
    c.unfreeze()
    c.a = 10
    assert c["a"] == 10 and not c.frozen


# -- get_source_inputs ---------------------------------------------------------------------------
def test_get_source_inputs_walks_back_to_the_inputs():
    a, b = ember.Input((3,), name="a"), ember.Input((3,), name="b")
    h = layers.Dense(2)(a)
    s = layers.Add()([h, layers.Dense(2)(b)])
    out = layers.Dense(1)(layers.Concatenate()([s, h]))
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.get_source_inputs(a) == [a]
    arr = np.ones(3)
    assert utils.get_source_inputs(arr) is arr


# -- Keras 2's format ----------------------------------------------------------------------------
def test_legacy_serialize_writes_class_name_and_config():
    layer = layers.Dense(2, name="d", kernel_regularizer=ember.regularizers.L2(0.1))
    out = utils.legacy.serialize_keras_object(layer)
    assert set(out) == {"class_name", "config"} and out["class_name"] == "Dense"
    config = layer.get_config()
    assert out["config"]["units"] == 2 and out["config"]["name"] == "d"
    assert out["config"]["kernel_initializer"] == config["kernel_initializer"]
    # get_config already wrote nested objects as dicts: those stay as they are (as in Keras)
    assert out["config"]["kernel_regularizer"] == config["kernel_regularizer"]
    assert utils.legacy.serialize_keras_object(ember.activations.relu) == "relu"
    assert utils.legacy.serialize_keras_object(None) is None
    with pytest.raises(ValueError, match="doesn't implement `get_config"):
        utils.legacy.serialize_keras_object(3)


def test_legacy_deserialize_needs_module_or_custom_objects():
    legacy = utils.legacy
    out = legacy.deserialize_keras_object({"class_name": "Dense", "config": {"units": 3}},
                                          module_objects={"Dense": layers.Dense})
    assert type(out) is layers.Dense and out.units == 3
    out = legacy.deserialize_keras_object({"class_name": "S", "config": {"factor": 4.0}},
                                          custom_objects={"S": _Scaled})
    assert type(out) is _Scaled and out.factor == 4.0
    assert legacy.deserialize_keras_object("relu", module_objects={
        "relu": ember.activations.relu}) is ember.activations.relu
    with utils.custom_object_scope({"S": _Scaled}):
        assert legacy.deserialize_keras_object("S") is _Scaled
    assert legacy.deserialize_keras_object(None) is None
    with pytest.raises(ValueError, match="Unknown layer: 'Dense'"):
        legacy.deserialize_keras_object({"class_name": "Dense", "config": {}},
                                        printable_module_name="layer")
    with pytest.raises(ValueError, match="Unknown object: 'nope'"):
        legacy.deserialize_keras_object("nope")
    with pytest.raises(ValueError, match="Improper config format"):
        legacy.deserialize_keras_object({"class_name": "Dense"})
    with pytest.raises(ValueError, match="Could not interpret serialized object"):
        legacy.deserialize_keras_object(3)


def test_legacy_round_trip_rebuilds_nested_objects():
    class Holder:
        def __init__(self, inner):
            self.inner = inner

        def get_config(self):
            return {"inner": self.inner}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    table = {"Holder": Holder, "L2": ember.regularizers.L2}
    out = utils.legacy.serialize_keras_object(Holder(ember.regularizers.L2(0.5)))
    assert out["config"]["inner"]["__passive_serialization__"] is True
    again = utils.legacy.deserialize_keras_object(json.loads(json.dumps(out)),
                                                  module_objects=table)
    assert type(again.inner) is ember.regularizers.L2
    assert again.inner.get_config() == ember.regularizers.L2(0.5).get_config()


def test_custom_object_scope_leaves_no_trace_in_the_registry():
    before = dict(serialization_lib.get_custom_objects())
    with utils.CustomObjectScope({"tmp_name": _Scaled}):
        pass
    assert serialization_lib.get_custom_objects() == before
