"""EinsumDense: ``activation(einsum(equation, inputs, kernel) + bias)``.

Arguments, weight names and shapes and ``get_config`` keys are Keras 3's, so the layer (and
MultiHeadAttention, whose projections are EinsumDense sublayers) moves through ``.keras`` files.
"""

import re

from ember import activations, ops, registry
from ember.initializers.initializers import VarianceScaling
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops.fused import affine


def analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """``(kernel_shape, bias_shape, full_output_shape, input_axes, output_axes)`` for an
    equation ``ab,bc->ac``, ``...ab,bc->...ac`` or ``ab...,bc->ac...`` (Keras's rules)."""
    dot_replaced = re.sub(r"\.\.\.", "0", equation)
    for pattern, left in (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        match = re.match(pattern, dot_replaced)
        if match:
            return _analyze_split(match.group(1), match.group(2), match.group(3), bias_axes,
                                  tuple(input_shape), output_shape, left)
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _analyze_split(input_spec, weight_spec, output_spec, bias_axes, input_shape, output_shape,
                   left_elided):
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        for i in range(len(input_shape) - elided, len(input_shape)):
            output_shape.append(input_shape[i])
    if left_elided:
        input_dim_map = {d: (i + elided) - len(input_shape) for i, d in enumerate(input_spec)}
        output_dim_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_dim_map = {d: i for i, d in enumerate(input_spec)}
        output_dim_map = {d: i for i, d in enumerate(output_spec)}
    for dim in input_spec:
        in_size = input_shape[input_dim_map[dim]]
        if dim in output_dim_map:
            out_size = output_shape[output_dim_map[dim]]
            if out_size is not None and out_size != in_size:
                raise ValueError(
                    "Input shape and output shape do not match at shared dimension "
                    f"'{dim}'. Input shape is {in_size}, and output shape is {out_size}.")
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                f"corresponding dim in the input spec '{input_spec}' or weight spec "
                f"'{weight_spec}'")
    weight_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_dim_map:
            weight_shape.append(output_shape[output_dim_map[dim]])
            output_axes.append(i)
        elif dim in input_dim_map:
            weight_shape.append(input_shape[input_dim_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{dim}' did not have a match in either the input spec "
                f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the "
                "weight must be fully specified.")
    bias_shape = None
    if bias_axes is not None:
        n_left = elided if left_elided else 0
        idx_map = {c: output_shape[i + n_left] for i, c in enumerate(output_spec)}
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the "
                                 f"output spec '{output_spec}'")
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [idx_map[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return weight_shape, bias_shape, output_shape, input_axes, output_axes


def _matmul_plan(equation, bias_axes, ndim, kernel_shape):
    """``(input rank, free axes, contracted size, output sizes, bias fused)`` when the equation
    (without an ellipsis) is ``F C, C O -> F O``: the input's trailing axes ``C`` contracted
    with the kernel's leading ones; else None (the layer computes with einsum)."""
    match = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", equation)
    if match is None:
        return None
    ins, ker, out = match.groups()
    for n_c in range(1, min(len(ins), len(ker)) + 1):
        free, con, kout = ins[:-n_c], ins[-n_c:], ker[n_c:]
        if ker[:n_c] == con and out == free + kout and kout and len(ins) == ndim and \
                len(set(ins + ker)) == len(ins) + len(kout):
            n_in = 1
            for d in kernel_shape[:n_c]:
                n_in *= d
            fused = bias_axes is not None and sorted(bias_axes) == sorted(kout)
            return ndim, len(free), n_in, tuple(kernel_shape[n_c:]), fused
    return None


class _AxesInitializer:
    """A VarianceScaling initializer whose fans come from the kernel's input and output axes
    (Keras passes them as ``input_axes``/``output_axes``): samples drawn as a
    ``(fan_in, fan_out)`` matrix and reshaped to the kernel's shape."""

    def __init__(self, init, input_axes, output_axes):
        self.init, self.input_axes, self.output_axes = init, input_axes, output_axes

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = 1, 1
        for a in self.input_axes:
            fan_in *= shape[a]
        for a in self.output_axes:
            fan_out *= shape[a]
        return self.init((fan_in, fan_out), dtype=dtype).reshape(tuple(shape))


@registry.register("layer")
class EinsumDense(Layer):
    """A dense layer of any dimensionality, computed with ``einsum``.

    Args:
        equation: ``"ab,bc->ac"``, ``"...ab,bc->...ac"`` or ``"ab...,bc->ac..."`` style.
        output_shape: the output shape without the batch axis and the elided (``...``) axes;
            an int for one axis, ``None`` entries for axes taken from the input.
        activation: an activation (None: linear).
        bias_axes: the output axes (letters of the output spec) that get a bias.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint, activity_regularizer: as Keras.

    Raises:
        ValueError: at build time, for an equation that is not of those forms, or axes that do
            not match the input shape.
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None, **kwargs):
        if lora_rank:
            raise ValueError("EinsumDense: LoRA (`lora_rank`) is not supported by ember.")
        kwargs.pop("quantization_config", None)
        kwargs.pop("gptq_unpacked_column_size", None)
        super().__init__(**kwargs)
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape = (output_shape,)
        else:
            self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = registry.get("initializer", kernel_initializer)
        self.bias_initializer = registry.get("initializer", bias_initializer)
        self.kernel_regularizer = registry.get("regularizer", kernel_regularizer)
        self.bias_regularizer = registry.get("regularizer", bias_regularizer)
        self.kernel_constraint = registry.get("constraint", kernel_constraint)
        self.bias_constraint = registry.get("constraint", bias_constraint)
        self.lora_rank = None
        self.lora_enabled = False

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum_string(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        init = self.kernel_initializer
        if isinstance(init, VarianceScaling):
            init = _AxesInitializer(init, input_axes, output_axes)
        self.kernel = self.add_weight(
            name="kernel", shape=tuple(kernel_shape), initializer=init,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias", shape=tuple(bias_shape), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self._matmul_plan = _matmul_plan(self.equation, self.bias_axes, len(input_shape),
                                         tuple(kernel_shape))
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum_string(self.equation, self.bias_axes, input_shape,
                                           self.partial_output_shape)[2])

    def call(self, inputs, training=None):
        plan = self.__dict__.get("_matmul_plan")
        if plan is not None and len(inputs.shape) == plan[0]:
            # a contraction of the input's trailing axes with the kernel's leading ones: one
            # matrix product (plus the bias, fused when it covers all the kernel's output axes)
            n_free, n_in, out_sizes, fused_bias = plan[1:]
            lead = tuple(inputs.shape[:n_free])
            kernel = ops.reshape(self.kernel, (n_in, -1))
            bias = None
            if self.bias is not None and fused_bias:
                bias = ops.reshape(self.bias, (-1,))
            x = affine(ops.reshape(inputs, (-1, n_in)), kernel, bias)
            x = ops.reshape(x, lead + out_sizes)
            if self.bias is not None and not fused_bias:
                x = ops.add(x, self.bias)
        else:
            x = ops.einsum(self.equation, inputs, self.kernel)
            if self.bias is not None:
                x = ops.add(x, self.bias)
        if self.activation is not None:
            x = self.activation(x)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": registry.serialize(self.kernel_initializer),
            "bias_initializer": registry.serialize(self.bias_initializer),
            "kernel_regularizer": registry.serialize(self.kernel_regularizer),
            "bias_regularizer": registry.serialize(self.bias_regularizer),
            "activity_regularizer": registry.serialize(self.activity_regularizer),
            "kernel_constraint": registry.serialize(self.kernel_constraint),
            "bias_constraint": registry.serialize(self.bias_constraint),
        })
        return config
