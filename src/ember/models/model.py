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
        if cls is Model and _functional_init_arguments(args, kwargs):
            from ember.models.functional import Functional

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        from ember.models.functional import Functional

        if _functional_init_arguments(args, kwargs) and not isinstance(self, Functional):
            # `class CustomModel(keras.Model)` called as CustomModel(inputs, outputs): as Keras,
            # the class becomes a Functional subclass (Model is swapped for Functional in its
            # bases), so that it keeps its own methods (train_step...) on a Functional graph
            _inject_functional(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        self._init_model(*args, **kwargs)

    def _init_model(self, trainable=True, name=None, dtype=None, **kwargs):
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    def call(self, *args, **kwargs):
        """The forward pass; a subclassed model defines it (Model itself has none)."""
        raise NotImplementedError(
            f"Model {self.__class__.__name__} does not have a `call()` method implemented."
        )

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
            # an unbuilt layer shows "0 (unbuilt)", as Keras
            rows.append((layer.name, layer.__class__.__name__, shape,
                         layer.count_params() if layer.built else None, []))
        return rows

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print Keras's table of layers, output shapes and parameter counts (an unbuilt
        model shows ``?`` shapes and ``0 (unbuilt)`` counts, as Keras)."""
        from ember.utils.summary_utils import print_summary
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

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config: a Functional config (``layers``, ``input_layers``,
        ``output_layers``) rebuilds the graph, as ``keras.Model.from_config``; any other config
        goes to the constructor (a subclassed model's ``get_config``)."""
        from ember.saving import model_config

        if isinstance(config, dict) and all(
                k in config for k in ("layers", "input_layers", "output_layers")):
            return model_config.functional_from_config(cls, config, custom_objects)
        try:
            return cls(**config)
        except TypeError as exc:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from its config: {exc}. A subclassed "
                "model must implement get_config() and from_config() (or accept its config "
                f"as constructor arguments). Received config={config}"
            ) from exc

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


def _functional_init_arguments(args, kwargs):
    """Whether Model(...) arguments are a Functional model's (inputs, outputs), as Keras."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional(cls):
    """Swap Model for Functional in the bases of ``cls`` (recursively), as Keras does."""
    from ember.models.functional import Functional

    if issubclass(cls, Functional):
        return
    bases = []
    for base in cls.__bases__:
        if base is Model:
            bases.append(Functional)
        else:
            if issubclass(base, Model):
                _inject_functional(base)
            bases.append(base)
    cls.__bases__ = tuple(bases)
