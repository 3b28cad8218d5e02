"""Small core layers: Activation, Flatten, Reshape, Permute, RepeatVector, Dropout, Lambda."""

import math

from ember import activations, ops, registry
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer, positive_int


@registry.register("layer")
class Activation(Layer):
    """Applies an activation function: ``Activation('relu')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


@registry.register("layer")
class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(N, 28, 28) -> (N, 784)``."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format or "channels_last"
        self.input_spec = InputSpec(min_ndim=1)

    def build(self, input_shape):
        self.built = True

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0,) + tuple(range(2, inputs.ndim)) + (1,))
        if inputs.ndim == 1:
            return ops.expand_dims(inputs, 1)
        return ops.flatten(inputs, 1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return (input_shape[0], None)
        return (input_shape[0], int(math.prod(rest)))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@registry.register("layer")
class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one dimension may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError(
                f"Reshape: at most one dimension may be -1. Received: target_shape="
                f"{self.target_shape}"
            )

    def _resolved(self, input_shape):
        size = math.prod(input_shape[1:]) if all(d is not None for d in input_shape[1:]) else None
        target = list(self.target_shape)
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            if size is not None:
                if known == 0 or size % known:
                    raise ValueError(
                        f"Reshape '{self.name}': cannot reshape input of shape "
                        f"{tuple(input_shape)} into target_shape {self.target_shape}"
                    )
                target[target.index(-1)] = size // known
            else:
                target[target.index(-1)] = None
        elif size is not None and math.prod(target) != size:
            raise ValueError(
                f"Reshape '{self.name}': total size of the input ({size} per sample, input shape "
                f"{tuple(input_shape)}) differs from target_shape {self.target_shape}"
            )
        return tuple(target)

    def call(self, inputs):
        target = self._resolved(inputs.shape)
        return ops.reshape(inputs, (inputs.shape[0],) + target)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved(input_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


@registry.register("layer")
class Permute(Layer):
    """Permutes the non-batch axes: ``Permute((2, 1))`` swaps axes 1 and 2 (1-based)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                "Permute: `dims` must be a permutation of 1..n (the batch axis is 0 and is not "
                f"included). Received: dims={self.dims}"
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


@registry.register("layer")
class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int(n, "RepeatVector", "n")
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        x = ops.expand_dims(inputs, 1)
        return ops.broadcast_to(x, (inputs.shape[0], self.n, inputs.shape[1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


@registry.register("layer")
class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 while training (scaling the rest by
    ``1 / (1 - rate)``); the identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(
                f"Dropout: `rate` must be a float in [0, 1]. Received: rate={rate}"
            )
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True
        self._rng = None
        if seed is not None:
            from ember.backend import xp

            self._rng = xp.random.default_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ops.multiply(inputs, 0.0)
        noise_shape = self.noise_shape
        if noise_shape is not None:
            noise_shape = tuple(inputs.shape[i] if d is None else d
                                for i, d in enumerate(noise_shape))
        return ops.dropout(inputs, self.rate, noise_shape=noise_shape, seed=self._rng)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config


@registry.register("layer")
class Lambda(Layer):
    """Wraps a function as a layer: ``Lambda(lambda x: x * 2)``.

    Args:
        function: called as ``function(inputs, **arguments)``; it also receives ``mask`` and
            ``training`` when it takes arguments of those names.
        output_shape: the output shape without the batch axis, or a function of the input
            shape; inferred by running ``function`` when None.
        mask: the output mask, or a function ``mask(inputs, input_mask)`` computing it.
        arguments: keyword arguments passed to ``function``.

    Saving writes a Python lambda as its bytecode, as Keras does, so Keras loads ember's files;
    loading bytecode runs code from the file, so ``load_model`` refuses it unless the caller
    passes ``safe_mode=False``. A named function is written by name and found on load among
    registered functions or in ``custom_objects``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable. Received: {function!r}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.supports_masking = mask is not None
        self.arguments = arguments or {}
        import inspect

        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):  # some builtins have no signature
            params = {}
        self._fn_takes_mask = "mask" in params
        self._fn_takes_training = "training" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_takes_mask:
            kwargs["mask"] = mask
        if self._fn_takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            from ember.layers.node import KerasTensor, map_structure

            inputs = self._map_shapes(lambda s: KerasTensor(s, self.dtype), input_shape)
            try:
                outputs = self._run_on_dummies(inputs, (), {})
            except Exception as e:  # noqa: BLE001 - any failure means "cannot infer", as Keras
                raise NotImplementedError(
                    f"Lambda layer '{self.name}': could not infer the output shape for input "
                    f"shape {input_shape} by running the function ({type(e).__name__}: {e}). "
                    "Pass `output_shape` to the Lambda layer.") from e
            return map_structure(lambda t: t.shape, outputs)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        # a fixed output_shape leaves out the batch axis, which comes from the (first) input
        first = input_shape
        while not self._is_shape(first):
            first = first[0] if isinstance(first, (list, tuple)) else next(iter(first.values()))
        return self._map_shapes(lambda s: (first[0],) + s, self._output_shape)

    def compute_output_spec(self, inputs, *args, **kwargs):
        from ember.layers.node import KerasTensor, map_structure

        if self._output_shape is None:
            return self._run_on_dummies(inputs, args, kwargs)
        shapes = self.compute_output_shape(map_structure(lambda t: tuple(t.shape), inputs))
        return self._map_shapes(lambda s: KerasTensor(s, self.dtype), shapes)

    @staticmethod
    def _is_shape(value):
        return isinstance(value, (list, tuple)) and all(
            d is None or isinstance(d, int) for d in value)

    @classmethod
    def _map_shapes(cls, fn, shapes):
        """``fn`` applied to each shape (a tuple of ints and None) of a nest of shapes."""
        if cls._is_shape(shapes):
            return fn(tuple(shapes))
        if isinstance(shapes, dict):
            return {k: cls._map_shapes(fn, v) for k, v in shapes.items()}
        return type(shapes)(cls._map_shapes(fn, s) for s in shapes)

    def _run_on_dummies(self, inputs, args, kwargs):
        """Output KerasTensors found by calling the function on zeros, the unknown dimensions
        set to 2 and then 3: a dimension that differs between the two runs is unknown."""
        from ember.autodiff.tape import active_tapes
        from ember.layers.layer import _dummies, _merge_runs

        runs = []
        for fill in (2, 3):
            dummy_inputs, dummy_args, dummy_kwargs = _dummies((inputs, args, kwargs), fill)
            dummy_kwargs["training"] = False
            saved = list(active_tapes())
            active_tapes().clear()  # the dummy runs are not part of any gradient
            try:
                runs.append(self.call(dummy_inputs, *dummy_args, **dummy_kwargs))
            finally:
                active_tapes().extend(saved)
        return _merge_runs(runs[0], runs[1])

    def get_config(self):
        """Keras's config: functions as Keras writes them (a lambda as its bytecode)."""
        from ember.saving import serialization_lib

        config = super().get_config()
        config["function"] = serialization_lib.serialize_lambda_function(self.function)
        if self._output_shape is not None:
            shape = self._output_shape
            config["output_shape"] = (serialization_lib.serialize_lambda_function(shape)
                                      if callable(shape) else shape)
        if self.mask is not None:
            config["mask"] = (serialization_lib.serialize_lambda_function(self.mask)
                              if callable(self.mask)
                              else serialization_lib.serialize_keras_object(self.mask))
        config["arguments"] = serialization_lib.serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """A Lambda from its config. Bytecode in the config (a Python lambda) is refused
        unless ``safe_mode=False`` here or in the enclosing ``load_model`` call."""
        from ember.saving import serialization_lib

        config = dict(config)
        with serialization_lib.safe_mode_scope(
                serialization_lib.in_safe_mode() if safe_mode is None else safe_mode):
            config = serialization_lib.lambda_layer_config(config, config.get("name"),
                                                           custom_objects)
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return super().from_config(config)
