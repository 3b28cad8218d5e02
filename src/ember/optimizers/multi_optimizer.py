"""MultiOptimizer and OptimizerMap: different optimizers for different variables."""

import re
from collections.abc import MutableMapping

from ember import registry
from ember.autodiff.trace import effect
from ember.optimizers.base_optimizer import Optimizer
from ember.optimizers.loss_scale_optimizer import LossScaleOptimizer
from ember.registry import register


def _check_inner(optimizer, what):
    """The optimizers a MultiOptimizer may dispatch to (not wrappers)."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{what} must be a Keras Optimizer instance. Received: {optimizer!r}")
    if isinstance(optimizer, LossScaleOptimizer):
        raise ValueError(f"{what} cannot be a LossScaleOptimizer (wrap the MultiOptimizer "
                         "instead).")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(f"{what} cannot be a MultiOptimizer.")


@register("optimizer")
class OptimizerMap(MutableMapping):
    """Variable paths (or regular expressions over them) to optimizers, as
    ``keras.optimizers.OptimizerMap``.

    ``map[path]`` is the optimizer of an exact key, else that of the one key that
    ``re.fullmatch``es ``path`` (a ValueError when several do), else ``default_optimizer``.
    Calling the map with a variable looks up its ``path``.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                f"default_optimizer must be a Keras Optimizer instance. Received: "
                f"{default_optimizer!r}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map!r}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or {}

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key}: patterns {matching} all "
                "match it.")
        if matching:
            return self._optimizer_map[matching[0]]
        return self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key!r}")
        _check_inner(optimizer, "optimizer")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        return {"default_optimizer": registry.serialize(self._default_optimizer),
                "optimizer_map": {k: registry.serialize(v)
                                  for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        def load(envelope):
            return registry.deserialize(envelope, custom_objects=custom_objects,
                                        kind="optimizer")

        return cls(load(config["default_optimizer"]),
                   {k: load(v) for k, v in (config.get("optimizer_map") or {}).items()})


@register("optimizer")
class MultiOptimizer(Optimizer):
    """Each variable updated by its own optimizer, as ``keras.optimizers.MultiOptimizer``.

    Args:
        optimizer_map: an ``OptimizerMap``, or a callable taking a variable and returning its
            optimizer (the same instance for variables that share one).
        loss_scale_factor: set on every inner optimizer.
        name: the optimizer's name.

    ``variables`` lists its own (iterations, learning_rate) then each inner optimizer's;
    ``learning_rate`` is not defined (an AttributeError): read it on ``optimizers``.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise TypeError(
                "MultiOptimizer: `optimizer_map` must be an OptimizerMap or a callable taking "
                f"a variable and returning its optimizer. Received: {optimizer_map!r}")
        self._inner_optimizers = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        candidates = list(optimizer_map.values()) if hasattr(optimizer_map, "values") else []
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None:
            candidates.append(default)
        for opt in candidates:
            self._add_inner(opt)
        self._var_to_optimizer = {}

    def _add_inner(self, opt):
        if not any(opt is o for o in self._inner_optimizers):
            opt.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(opt)

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for opt in getattr(self, "_inner_optimizers", ()):
            opt.loss_scale_factor = value

    @property
    def optimizers(self):
        """The inner optimizers."""
        return self._inner_optimizers

    @property
    def variables(self):
        out = self._variables[:]
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on "
            "the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
            "individual sub-optimizers instead.")

    def build(self, variables):
        """Assign each variable to its optimizer and build each inner optimizer on its own."""
        if self.built:
            return
        variables = list(variables)
        assigned = {}
        for var in variables:
            opt = self._optimizer_map(var)
            _check_inner(opt, f"The optimizer for variable {var.path!r}")
            self._add_inner(opt)
            assigned[id(var)] = opt
        for opt in self._inner_optimizers:
            own = [v for v in variables if assigned[id(v)] is opt]
            if own:
                opt.build(own)
        self._var_to_optimizer = assigned
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        self.built = True

    @effect
    def apply(self, grads, trainable_variables=None):
        """Give each inner optimizer the gradients of its variables; count one step."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(self._trainable_variables)} variables.")
        groups = {}
        for g, var in zip(grads, trainable_variables):
            opt = self._var_to_optimizer.get(id(var))
            if opt is None:
                raise ValueError(
                    f"Unknown variable: {var.path!r}. This optimizer can only be called for the "
                    "variables it was originally built with.")
            groups.setdefault(id(opt), (opt, [], []))
            groups[id(opt)][1].append(g)
            groups[id(opt)][2].append(var)
        for opt in self._inner_optimizers:
            if id(opt) in groups:
                _, sub_grads, sub_vars = groups[id(opt)]
                opt.apply(sub_grads, sub_vars)
        self._iterations.data[()] += 1

    def finalize_variable_values(self, var_list):
        for opt in self._inner_optimizers:
            own = [v for v in var_list if self._var_to_optimizer.get(id(v)) is opt]
            if own:
                opt.finalize_variable_values(own)

    def get_config(self):
        return {"optimizer_map": registry.serialize(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer_map"] = registry.deserialize(
            config["optimizer_map"], custom_objects=custom_objects, kind="optimizer")
        return cls(**config)
