"""Dense: ``activation(inputs @ kernel + bias)``."""

from ember import activations, registry
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer, positive_int
from ember.ops.fused import affine


@registry.register("layer")
class Dense(Layer):
    """A densely connected layer over the last axis of its input.

    Args:
        units: positive int, the output size.
        activation: an activation name or function (None: linear).
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as Keras.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, **kwargs):
        kwargs.pop("quantization_config", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int(units, "Dense", "units")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = registry.get("initializer", kernel_initializer)
        self.bias_initializer = registry.get("initializer", bias_initializer)
        self.kernel_regularizer = registry.get("regularizer", kernel_regularizer)
        self.bias_regularizer = registry.get("regularizer", bias_regularizer)
        self.kernel_constraint = registry.get("constraint", kernel_constraint)
        self.bias_constraint = registry.get("constraint", bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True
        act = getattr(self.activation, "__name__", None)
        self._fused_relu = act == "relu"
        self._linear = act in ("linear", "relu")

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}': the last axis of the input must be known. "
                f"Received input shape {tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        y = affine(inputs, self.kernel, self.bias, relu=self._fused_relu)
        if self._linear:
            return y
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": registry.serialize(self.kernel_initializer),
            "bias_initializer": registry.serialize(self.bias_initializer),
            "kernel_regularizer": registry.serialize(self.kernel_regularizer),
            "bias_regularizer": registry.serialize(self.bias_regularizer),
            "kernel_constraint": registry.serialize(self.kernel_constraint),
            "bias_constraint": registry.serialize(self.bias_constraint),
        })
        return config
