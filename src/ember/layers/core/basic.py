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
    """Wraps a function as a layer, in code only. A file holding a Lambda is refused on load
    unless the user passes ``safe_mode=False``: loading it would run code from the file."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable. Received: {function!r}")
        self.function = function
        self._output_shape = output_shape
        self.arguments = arguments or {}

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_spec(self, inputs, *args, **kwargs):
        if self._output_shape is not None:
            from ember.layers.node import KerasTensor

            shape = self._output_shape
            if callable(shape):
                shape = shape(inputs.shape)
            else:
                shape = (inputs.shape[0],) + tuple(shape)
            return KerasTensor(shape, self.dtype)
        return super().compute_output_spec(inputs, *args, **kwargs)

    def get_config(self):
        raise NotImplementedError(
            f"Lambda layer '{self.name}' wraps Python code, which ember does not serialize: a "
            "file must never carry code to run. Write a subclass of Layer registered with "
            "ember.saving.register_keras_serializable instead."
        )
