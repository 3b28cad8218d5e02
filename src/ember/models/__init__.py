"""``ember.models``: Model, Sequential, and (from the saving package) load_model."""

from ember.models.functional import Functional
from ember.models.model import Model
from ember.models.sequential import Sequential


def __getattr__(name):
    if name in ("load_model", "save_model", "model_from_json", "clone_model"):
        import ember.saving as saving

        return getattr(saving, name)
    raise AttributeError(f"module 'ember.models' has no attribute {name!r}")
