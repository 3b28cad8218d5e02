"""Model: a Layer that trains (compile/fit/evaluate/predict come from the Trainer)."""

from ember import registry
from ember.layers.layer import Layer
from ember.layers.node import KerasTensor, flatten
from ember.trainers.trainer import Trainer


@registry.register("model")
class Model(Trainer, Layer):
    """A model: ``keras.Model(inputs, outputs)`` builds a Functional model; a subclass that
    defines ``call`` is a subclassed model."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from ember.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self):
        return list(self._flat_layers())

    def _maybe_build(self, shapes):
        # a subclassed model records the input shape of its first call (its build_config), so
        # that a loaded copy can create its weights before they are read
        if not self.built and self._build_shapes is None:
            self._build_shapes = shapes
        super()._maybe_build(shapes)

    def get_layer(self, name=None, index=None):
        """The layer with this name (or at this index in ``layers``)."""
        if index is not None and name is not None:
            raise ValueError("get_layer: give `name` or `index`, not both.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: index {index} is out of range: model '{self.name}' has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name!r}. Existing layers are: {[l.name for l in layers]}."
        )

    def _summary_rows(self):
        rows = []
        for layer in self.layers:
            shape = "?"
            if layer._inbound_nodes:
                outs = [t.shape for t in flatten(layer._inbound_nodes[-1].outputs)
                        if isinstance(t, KerasTensor)]
                shape = outs[0] if len(outs) == 1 else outs
            rows.append((layer.name, layer.__class__.__name__, shape,
                         layer.count_params() if layer.built else 0, []))
        return rows

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras's table of layers, output shapes and parameter counts."""
        from ember.utils.summary_utils import print_summary

        if not self.built:
            raise ValueError(
                f"Model '{self.name}' has not been built yet, so it has no weights to "
                "summarize. Call it on data, call build(input_shape), or give the first layer "
                "an input shape (keras.Input)."
            )
        trainable = sum(w.size for w in self.trainable_weights)
        non_trainable = sum(w.size for w in self.non_trainable_weights)
        optimizer_count = None
        if self.optimizer is not None and getattr(self.optimizer, "built", False):
            optimizer_count = sum(int(v.size) for v in self.optimizer.variables)
        return print_summary(
            self.name, self._summary_rows(), trainable, non_trainable,
            optimizer_count=optimizer_count, line_length=line_length, positions=positions,
            print_fn=print_fn, show_connections=self._summary_connections())

    def _summary_connections(self):
        return False

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    # -- saving (the work is done by ember.saving) ------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model as a ``.keras`` archive (config, weights and optimizer state), the
        format Keras 3 reads: ``model.save("model.keras")``."""
        from ember.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights (and optimizer state) to a ``.weights.h5`` file, as Keras."""
        from ember.saving import saving_lib

        if max_shard_size is not None:
            raise ValueError("save_weights: sharding (max_shard_size) is not supported.")
        saving_lib.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from a ``.weights.h5`` file, a ``.keras`` archive or a legacy ``.h5``
        file; ``skip_mismatch=True`` skips (with a warning) layers whose weights differ."""
        from ember.saving import saving_lib

        if kwargs:
            raise ValueError(f"load_weights: unknown arguments {sorted(kwargs)}.")
        saving_lib.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The model's config as a JSON string; ``ember.models.model_from_json`` rebuilds it."""
        from ember.saving import saving_api

        return saving_api.to_json(self, **kwargs)

