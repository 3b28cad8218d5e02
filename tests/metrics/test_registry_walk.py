"""Walk the registry: every class of the kinds built here that can be made with no arguments
rebuilds an equivalent object from its Keras envelope (STYLE habit 2)."""

import inspect

import pytest

import ember.activations  # noqa: F401  (importing a package registers its names)
import ember.constraints  # noqa: F401
import ember.initializers  # noqa: F401
import ember.losses  # noqa: F401
import ember.metrics  # noqa: F401
import ember.optimizers  # noqa: F401
import ember.regularizers  # noqa: F401
from ember import registry

KINDS = ["optimizer", "loss", "metric", "initializer", "regularizer", "constraint"]


def _classes():
    seen = set()
    for kind in KINDS:
        for name in registry.names(kind):
            obj = registry.lookup(kind, name)
            if not inspect.isclass(obj) or (kind, obj) in seen:
                continue
            seen.add((kind, obj))
            try:
                instance = obj()
            except TypeError:
                continue  # needs arguments (e.g. LossFunctionWrapper(fn))
            yield pytest.param(kind, instance, id=f"{kind}:{obj.__name__}")


@pytest.mark.parametrize("kind,obj", list(_classes()))
def test_round_trip(kind, obj):
    envelope = registry.serialize(obj)
    assert envelope["class_name"] == type(obj).__name__
    rebuilt = registry.deserialize(envelope, kind=kind)
    assert type(rebuilt) is type(obj)
    assert rebuilt.get_config() == obj.get_config()
    assert type(obj).from_config(obj.get_config()).get_config() == obj.get_config()


def test_every_kind_lists_its_names_in_errors():
    for kind in KINDS + ["activation", "schedule"]:
        with pytest.raises(ValueError, match=f"Unknown {kind}: 'no_such_name'. Valid"):
            registry.get(kind, "no_such_name")


def test_canonical_name_and_custom_objects_table():
    from ember import layers

    assert registry.canonical_name(layers.Dense) == "Dense"
    assert registry.canonical_name(type("NotRegistered", (), {})) is None

    @registry.register_keras_serializable(package="WalkTest")
    class Thing:
        pass

    assert registry.custom_objects()["WalkTest>Thing"] is Thing
    assert registry.canonical_name(Thing) is None  # user classes are not built-ins
    del registry.custom_objects()["WalkTest>Thing"]
