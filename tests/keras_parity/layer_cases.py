"""The per-layer cases of the layer parity harness (``test_layers_parity.py``).

``CASES`` maps each layer class's canonical (Keras) name to a list of :class:`Case`. A case
builds the same layer in ember and in Keras through ``make(L)``, where ``L`` is
``ember.layers`` or ``keras.layers``, so one lambda describes both. Every class in ember's
layer registry must have an entry here (the harness fails otherwise); a class that cannot be
compared gets an :class:`Exclusion` with its reason instead.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Case:
    """One constructor-argument set of one layer, and how to feed it."""

    id: str
    make: Callable  # (layers module) -> layer
    inputs: tuple  # the input shapes, batch included; several when `multi` or `args` need them
    multi: bool = False  # the layer takes a list of tensors as its one input
    int_high: Optional[int] = None  # integer inputs in [0, int_high) instead of floats
    train: bool = False  # training=True is deterministic, so compare it too
    # how the layer is called: xs (arrays or tensors) -> positional args; default one input
    args: Optional[Callable] = None
    bad: tuple = ()  # input shapes (or lists of shapes when `multi`) that are invalid
    skip: dict = field(default_factory=dict)  # aspect -> reason this aspect does not apply
    xfail: dict = field(default_factory=dict)  # aspect -> what still differs from Keras
    rtol: float = 1e-5
    atol: float = 1e-5
    mask: bool = False  # compare compute_mask with a (batch, time) mask on the input

    def call_args(self, xs):
        if self.args is not None:
            return self.args(xs)
        if self.multi:
            return (list(xs),)
        return (xs[0],)


@dataclass
class Exclusion:
    """A registered class that the harness does not compare, and why."""

    reason: str


_CELL_NOT_FUNCTIONAL = "a cell is called with (inputs, states), not as a Functional layer"


def _cell_args(n_states):
    def args(xs):
        return (xs[0], list(xs[1:1 + n_states]))
    return args


def _conv_cases(name, rank):
    """Conv1D/2D and their transposes, separable and depthwise forms."""
    sp = (7,) * rank
    k = 3
    cases = [
        Case("valid", lambda L: getattr(L, name)(4, k), ((2,) + sp + (3,),),
             bad=((2,) + sp, (2,) + sp + (5,))),
        Case("same_strided", lambda L: getattr(L, name)(4, k, strides=2, padding="same",
                                                        activation="relu"),
             ((2,) + sp + (3,),)),
        Case("channels_first", lambda L: getattr(L, name)(
            2, 2, data_format="channels_first", use_bias=False), ((2, 3) + sp,)),
    ]
    if "Transpose" not in name:
        cases.append(Case("dilated", lambda L: getattr(L, name)(2, k, dilation_rate=2,
                                                                padding="same"),
                          ((2,) + sp + (3,),)))
    if name in ("Conv1D",):
        cases.append(Case("causal", lambda L: L.Conv1D(2, 3, padding="causal"), ((2, 7, 3),)))
    if name in ("Conv1D", "Conv2D", "Conv3D"):
        cases.append(Case("groups", lambda L: getattr(L, name)(4, 2, groups=2),
                          ((2,) + sp + (4,),)))
    if "Transpose" in name:
        cases.append(Case("output_padding", lambda L: getattr(L, name)(
            2, 3, strides=2, output_padding=1), ((2,) + sp + (3,),)))
    return cases


def _depthwise_cases(name, rank):
    sp = (6,) * rank
    return [
        Case("valid", lambda L: getattr(L, name)(3), ((2,) + sp + (3,),),
             bad=((2,) + sp, (2,) + sp + (4,))),
        Case("multiplier_same", lambda L: getattr(L, name)(
            2, depth_multiplier=2, padding="same", strides=2), ((2,) + sp + (3,),)),
        Case("channels_first", lambda L: getattr(L, name)(
            2, data_format="channels_first", use_bias=False), ((2, 3) + sp,)),
    ]


def _separable_cases(name, rank):
    sp = (6,) * rank
    return [
        Case("valid", lambda L: getattr(L, name)(4, 3), ((2,) + sp + (3,),),
             bad=((2,) + sp, (2,) + sp + (4,))),
        Case("multiplier_same", lambda L: getattr(L, name)(
            2, 2, depth_multiplier=2, padding="same", strides=2), ((2,) + sp + (3,),)),
        Case("channels_first", lambda L: getattr(L, name)(
            2, 2, data_format="channels_first"), ((2, 3) + sp,)),
    ]


def _pool_cases(name, rank):
    sp = (6,) * rank
    return [
        Case("default", lambda L: getattr(L, name)(2), ((2,) + sp + (3,),),
             bad=((2,) + sp,)),
        Case("same_strided", lambda L: getattr(L, name)(3, strides=2, padding="same"),
             ((2,) + (7,) * rank + (3,),)),
        Case("valid_strided", lambda L: getattr(L, name)(3, strides=1),
             ((2,) + (5,) * rank + (2,),)),
        Case("channels_first", lambda L: getattr(L, name)(2, data_format="channels_first"),
             ((2, 3) + sp,)),
    ]


def _global_pool_cases(name, rank):
    sp = (5,) * rank
    cases = [
        Case("default", lambda L: getattr(L, name)(), ((2,) + sp + (3,),),
             bad=((2, 3),)),
        Case("keepdims", lambda L: getattr(L, name)(keepdims=True), ((2,) + sp + (3,),)),
        Case("channels_first", lambda L: getattr(L, name)(data_format="channels_first"),
             ((2, 3) + sp,)),
    ]
    if rank == 1:
        cases.append(Case("masked", lambda L: getattr(L, name)(), ((2, 5, 3),), mask=True))
    return cases


def _adaptive_pool_cases(name, rank):
    """Adaptive pooling: uneven windows (7 -> 3), an upsampling size (4 -> 5) and
    channels_first."""
    return [
        Case("uneven", lambda L: getattr(L, name)(3), ((2,) + (7,) * rank + (3,),)),
        Case("mixed", lambda L: getattr(L, name)((5,) + (2,) * (rank - 1)),
             ((2, 4) + (6,) * (rank - 1) + (2,),)),
        Case("channels_first", lambda L: getattr(L, name)(2, data_format="channels_first"),
             ((2, 3) + (5,) * rank,)),
    ]


def _rnn_cases(name):
    extra = {"LSTM": {}, "GRU": {}, "SimpleRNN": {}}[name]
    cases = [
        Case("last", lambda L: getattr(L, name)(4, **extra), ((2, 5, 3),),
             bad=((2, 3), (2, 5, 4)), mask=True),
        Case("sequences", lambda L: getattr(L, name)(4, return_sequences=True), ((2, 5, 3),),
             mask=True),
        Case("state_backwards", lambda L: getattr(L, name)(
            3, return_state=True, return_sequences=True, go_backwards=True), ((2, 5, 3),)),
        Case("no_bias", lambda L: getattr(L, name)(2, use_bias=False, activation="relu"),
             ((2, 4, 3),)),
    ]
    if name == "GRU":
        cases.append(Case("reset_before_false", lambda L: L.GRU(3, reset_after=False),
                          ((2, 4, 3),)))
    if name == "LSTM":
        cases.append(Case("no_forget_bias", lambda L: L.LSTM(3, unit_forget_bias=False),
                          ((2, 4, 3),)))
    return cases


def _merge_cases(name):
    return [
        Case("two", lambda L: getattr(L, name)(), ((2, 4), (2, 4)), multi=True,
             bad=([(2, 4), (2, 5)],)),
        Case("three", lambda L: getattr(L, name)(), ((2, 3, 4),) * 3, multi=True)
        if name != "Subtract" else
        Case("rank3", lambda L: L.Subtract(), ((2, 3, 4),) * 2, multi=True),
        Case("broadcast", lambda L: getattr(L, name)(), ((2, 3, 4), (2, 1, 4)), multi=True),
    ]


# InputLayer is not called on data (Input() makes it): only its config is compared
_INPUT_LAYER_SKIPS = {a: "InputLayer is not called on data: only its config is compared"
                      for a in ("forward", "train", "weights", "symbolic", "gradients", "errors")}

_RANDOM_TRAIN = "training=True draws random numbers; only inference is compared"

_NOT_DIFFERENTIABLE = "bucket indices: not differentiable (in Keras neither)"
_NEEDS_TF = ("Keras's layer needs TensorFlow, which is not installed beside Keras on JAX; "
             "tests/layers/test_lookup_layers.py checks it against the values Keras's own test "
             "suite asserts (TF's FarmHash/SipHash buckets, lookups, TF-IDF)")

CASES = {
    # -- core ---------------------------------------------------------------------------------
    "Dense": [
        Case("default", lambda L: L.Dense(4), ((3, 5),), bad=((3, 6), (3,)), mask=False),
        Case("relu_3d", lambda L: L.Dense(3, activation="relu"), ((2, 4, 5),), mask=True),
        Case("tanh_no_bias", lambda L: L.Dense(2, activation="tanh", use_bias=False),
             ((3, 5),)),
    ],
    "Activation": [
        Case("relu", lambda L: L.Activation("relu"), ((3, 4),)),
        Case("softmax", lambda L: L.Activation("softmax"), ((2, 3, 4),), mask=True),
        Case("gelu", lambda L: L.Activation("gelu"), ((3, 4),)),
    ],
    "Dropout": [
        Case("rate", lambda L: L.Dropout(0.5), ((3, 4),), mask=True,
             skip={"train": _RANDOM_TRAIN}),
        Case("noise_shape", lambda L: L.Dropout(0.3, noise_shape=(None, 1), seed=3),
             ((3, 4),)),
    ],
    "Flatten": [
        Case("default", lambda L: L.Flatten(), ((2, 3, 4),), bad=((2,),)),
        Case("channels_first", lambda L: L.Flatten(data_format="channels_first"),
             ((2, 3, 4, 2),)),
    ],
    "Reshape": [
        Case("known", lambda L: L.Reshape((4, 3)), ((2, 12),), bad=((2, 10),)),
        Case("inferred", lambda L: L.Reshape((-1, 2)), ((2, 3, 4),)),
    ],
    "Permute": [
        Case("swap", lambda L: L.Permute((2, 1)), ((2, 3, 4),), bad=((2, 3),)),
        Case("rank4", lambda L: L.Permute((3, 1, 2)), ((2, 3, 4, 5),)),
    ],
    "RepeatVector": [
        Case("n3", lambda L: L.RepeatVector(3), ((2, 4),), bad=((2, 3, 4),)),
    ],
    "Lambda": [
        Case("double", lambda L: L.Lambda(lambda x: x * 2.0), ((3, 4),),
             skip={"config": "the Python function is serialized as bytecode, whose encoding "
                             "is not comparable across implementations"}),
    ],
    "InputLayer": [
        Case("shape", lambda L: L.InputLayer(shape=(3,)), ((2, 3),),
             skip=_INPUT_LAYER_SKIPS),
        Case("batch_shape", lambda L: L.InputLayer(batch_shape=(4, 2, 3)), ((4, 2, 3),),
             skip=_INPUT_LAYER_SKIPS),
    ],
    # -- convolution --------------------------------------------------------------------------
    "Conv1D": _conv_cases("Conv1D", 1),
    "Conv2D": _conv_cases("Conv2D", 2),
    "Conv1DTranspose": _conv_cases("Conv1DTranspose", 1),
    "Conv2DTranspose": _conv_cases("Conv2DTranspose", 2),
    "Conv3D": _conv_cases("Conv3D", 3),
    "Conv3DTranspose": _conv_cases("Conv3DTranspose", 3),
    "DepthwiseConv1D": _depthwise_cases("DepthwiseConv1D", 1),
    "DepthwiseConv2D": _depthwise_cases("DepthwiseConv2D", 2),
    "SeparableConv1D": _separable_cases("SeparableConv1D", 1),
    "SeparableConv2D": _separable_cases("SeparableConv2D", 2),
    # -- pooling ------------------------------------------------------------------------------
    "MaxPooling1D": _pool_cases("MaxPooling1D", 1),
    "MaxPooling2D": _pool_cases("MaxPooling2D", 2),
    "AveragePooling1D": _pool_cases("AveragePooling1D", 1),
    "AveragePooling2D": _pool_cases("AveragePooling2D", 2),
    "GlobalMaxPooling1D": _global_pool_cases("GlobalMaxPooling1D", 1),
    "GlobalMaxPooling2D": _global_pool_cases("GlobalMaxPooling2D", 2),
    "GlobalAveragePooling1D": _global_pool_cases("GlobalAveragePooling1D", 1),
    "GlobalAveragePooling2D": _global_pool_cases("GlobalAveragePooling2D", 2),
    "MaxPooling3D": _pool_cases("MaxPooling3D", 3),
    "AveragePooling3D": _pool_cases("AveragePooling3D", 3),
    "GlobalMaxPooling3D": _global_pool_cases("GlobalMaxPooling3D", 3),
    "GlobalAveragePooling3D": _global_pool_cases("GlobalAveragePooling3D", 3),
    "AdaptiveAveragePooling1D": _adaptive_pool_cases("AdaptiveAveragePooling1D", 1),
    "AdaptiveAveragePooling2D": _adaptive_pool_cases("AdaptiveAveragePooling2D", 2),
    "AdaptiveAveragePooling3D": _adaptive_pool_cases("AdaptiveAveragePooling3D", 3),
    "AdaptiveMaxPooling1D": _adaptive_pool_cases("AdaptiveMaxPooling1D", 1),
    "AdaptiveMaxPooling2D": _adaptive_pool_cases("AdaptiveMaxPooling2D", 2),
    "AdaptiveMaxPooling3D": _adaptive_pool_cases("AdaptiveMaxPooling3D", 3),
    # -- normalization ------------------------------------------------------------------------
    "BatchNormalization": [
        Case("default", lambda L: L.BatchNormalization(), ((4, 3),), train=True,
             bad=((4, 5),)),
        Case("axis1_4d", lambda L: L.BatchNormalization(axis=1, momentum=0.9), ((3, 2, 4, 4),),
             train=True),
        Case("no_center_scale", lambda L: L.BatchNormalization(center=False, scale=False,
                                                               epsilon=0.1),
             ((4, 3, 2),), train=True, mask=True),
    ],
    "LayerNormalization": [
        Case("default", lambda L: L.LayerNormalization(), ((2, 3, 4),), bad=((2, 3, 5),),
             mask=True),
        Case("axes", lambda L: L.LayerNormalization(axis=[1, 2], epsilon=1e-5),
             ((2, 3, 4),)),
        Case("rms", lambda L: L.LayerNormalization(rms_scaling=True), ((2, 4),)),
        Case("no_center_scale", lambda L: L.LayerNormalization(center=False, scale=False),
             ((2, 4),)),
    ],
    "UnitNormalization": [
        Case("default", lambda L: L.UnitNormalization(), ((2, 4),)),
        Case("axes", lambda L: L.UnitNormalization(axis=[1, 2]), ((2, 3, 4),)),
    ],
    "GroupNormalization": [
        Case("default", lambda L: L.GroupNormalization(2), ((2, 5, 4),), bad=((2, 5, 6),),
             mask=True),
        Case("axis1", lambda L: L.GroupNormalization(3, axis=1, epsilon=1e-5), ((2, 6, 4),)),
        Case("instance", lambda L: L.GroupNormalization(-1, axis=-2, center=False),
             ((2, 3, 4, 2),)),
        Case("no_scale", lambda L: L.GroupNormalization(1, scale=False), ((2, 3, 4),)),
    ],
    "RMSNormalization": [
        Case("default", lambda L: L.RMSNormalization(), ((2, 5, 4),), bad=((2, 5, 6),)),
        Case("axes", lambda L: L.RMSNormalization(axis=[1, 2], epsilon=1e-3), ((2, 3, 4),)),
    ],
    "SpectralNormalization": [
        Case("dense", lambda L: L.SpectralNormalization(L.Dense(3)), ((2, 4),), train=True,
             bad=((2, 5),)),
        Case("conv2d_iters", lambda L: L.SpectralNormalization(L.Conv2D(3, 2),
                                                               power_iterations=3),
             ((2, 5, 5, 2),), train=True),
        Case("embedding", lambda L: L.SpectralNormalization(L.Embedding(10, 3)), ((2, 4),),
             int_high=10, train=True,
             skip={"gradients": "the output is cast to the integer input dtype (as Keras), "
                                "which JAX differentiates as zero and ember's cast does not"}),
    ],
    # -- embedding ----------------------------------------------------------------------------
    "Embedding": [
        Case("default", lambda L: L.Embedding(10, 4), ((2, 5),), int_high=10),
        Case("mask_zero", lambda L: L.Embedding(10, 3, mask_zero=True), ((2, 5),),
             int_high=10),
    ],
    "ReversibleEmbedding": [
        Case("forward", lambda L: L.ReversibleEmbedding(10, 4, mask_zero=True), ((2, 5),),
             int_high=10),
        # the reverse call takes `reverse=True` as a keyword, which the harness cannot pass:
        # tests/layers/test_norm_core_layers.py compares it with Keras
        Case("untied", lambda L: L.ReversibleEmbedding(7, 4, tie_weights=False,
                                                       logit_soft_cap=2.0), ((2, 3),),
             int_high=7),
    ],
    # -- recurrent ----------------------------------------------------------------------------
    "SimpleRNN": _rnn_cases("SimpleRNN"),
    "LSTM": _rnn_cases("LSTM"),
    "GRU": _rnn_cases("GRU"),
    "SimpleRNNCell": [
        Case("cell", lambda L: L.SimpleRNNCell(4), ((2, 3), (2, 4)), args=_cell_args(1),
             skip={"symbolic": _CELL_NOT_FUNCTIONAL}),
    ],
    "LSTMCell": [
        Case("cell", lambda L: L.LSTMCell(4), ((2, 3), (2, 4), (2, 4)), args=_cell_args(2),
             skip={"symbolic": _CELL_NOT_FUNCTIONAL}),
    ],
    "GRUCell": [
        Case("cell", lambda L: L.GRUCell(4), ((2, 3), (2, 4)), args=_cell_args(1),
             skip={"symbolic": _CELL_NOT_FUNCTIONAL}),
        Case("reset_after_false", lambda L: L.GRUCell(3, reset_after=False), ((2, 3), (2, 3)),
             args=_cell_args(1), skip={"symbolic": _CELL_NOT_FUNCTIONAL}),
    ],
    "RNN": [
        Case("lstm_cell", lambda L: L.RNN(L.LSTMCell(3)), ((2, 4, 3),), bad=((2, 3),)),
        Case("gru_cell_sequences", lambda L: L.RNN(L.GRUCell(3), return_sequences=True,
                                                   return_state=True), ((2, 4, 3),)),
        Case("simple_cell_backwards", lambda L: L.RNN(L.SimpleRNNCell(2), go_backwards=True),
             ((2, 4, 3),)),
        Case("stacked_cells", lambda L: L.RNN([L.LSTMCell(3), L.SimpleRNNCell(2)],
                                              return_sequences=True, return_state=True),
             ((2, 4, 3),), mask=True),
    ],
    "StackedRNNCells": [
        Case("lstm_simple", lambda L: L.StackedRNNCells([L.LSTMCell(4), L.SimpleRNNCell(2)]),
             ((2, 3), (2, 4), (2, 4), (2, 2)),
             args=lambda xs: (xs[0], [[xs[1], xs[2]], xs[3]]),
             skip={"symbolic": _CELL_NOT_FUNCTIONAL}),
        Case("one_gru", lambda L: L.StackedRNNCells([L.GRUCell(3)]), ((2, 3), (2, 3)),
             args=lambda xs: (xs[0], [xs[1]]), skip={"symbolic": _CELL_NOT_FUNCTIONAL}),
    ],
    "Bidirectional": [
        Case("lstm_concat", lambda L: L.Bidirectional(L.LSTM(3)), ((2, 4, 3),),
             bad=((2, 3),)),
        Case("gru_sum_sequences", lambda L: L.Bidirectional(
            L.GRU(2, return_sequences=True), merge_mode="sum"), ((2, 4, 3),), mask=True),
        Case("simple_state", lambda L: L.Bidirectional(
            L.SimpleRNN(2, return_state=True)), ((2, 4, 3),)),
    ],
    "TimeDistributed": [
        Case("dense", lambda L: L.TimeDistributed(L.Dense(3)), ((2, 4, 5),), bad=((2, 4),),
             mask=True),
        Case("conv", lambda L: L.TimeDistributed(L.Conv1D(2, 2)), ((2, 3, 5, 2),)),
    ],
    # -- merging ------------------------------------------------------------------------------
    "Add": _merge_cases("Add"),
    "Subtract": _merge_cases("Subtract"),
    "Multiply": _merge_cases("Multiply"),
    "Average": _merge_cases("Average"),
    "Maximum": _merge_cases("Maximum"),
    "Minimum": _merge_cases("Minimum"),
    "Concatenate": [
        Case("last", lambda L: L.Concatenate(), ((2, 3), (2, 4)), multi=True,
             bad=([(2, 3), (3, 4, 5)],)),
        Case("axis1", lambda L: L.Concatenate(axis=1), ((2, 3, 4), (2, 2, 4)), multi=True),
    ],
    "Dot": [
        Case("axes1", lambda L: L.Dot(axes=1), ((2, 4), (2, 4)), multi=True,
             bad=([(2, 4), (2, 5)],)),
        Case("normalize", lambda L: L.Dot(axes=(2, 2), normalize=True),
             ((2, 3, 4), (2, 5, 4)), multi=True),
        Case("batch_matmul", lambda L: L.Dot(axes=(2, 1)), ((2, 3, 4), (2, 4, 5)), multi=True),
    ],
    # -- reshaping ----------------------------------------------------------------------------
    "Cropping1D": [
        Case("default", lambda L: L.Cropping1D((1, 2)), ((2, 6, 3),), bad=((2, 6),)),
    ],
    "Cropping2D": [
        Case("default", lambda L: L.Cropping2D(((1, 0), (0, 2))), ((2, 5, 5, 3),),
             bad=((2, 5, 5),)),
        Case("channels_first", lambda L: L.Cropping2D(1, data_format="channels_first"),
             ((2, 3, 5, 5),)),
    ],
    "ZeroPadding1D": [
        Case("default", lambda L: L.ZeroPadding1D((1, 2)), ((2, 4, 3),), bad=((2, 4),)),
    ],
    "ZeroPadding2D": [
        Case("default", lambda L: L.ZeroPadding2D(((1, 0), (2, 1))), ((2, 3, 3, 2),),
             bad=((2, 3, 3),)),
        Case("channels_first", lambda L: L.ZeroPadding2D(1, data_format="channels_first"),
             ((2, 2, 3, 3),)),
    ],
    "Cropping3D": [
        Case("default", lambda L: L.Cropping3D(), ((2, 4, 4, 4, 2),), bad=((2, 4, 4, 4),)),
        Case("asymmetric", lambda L: L.Cropping3D(((1, 0), (0, 2), (1, 1))),
             ((2, 4, 5, 4, 2),)),
        Case("channels_first", lambda L: L.Cropping3D((1, 0, 1), data_format="channels_first"),
             ((2, 2, 4, 4, 5),)),
    ],
    "ZeroPadding3D": [
        Case("default", lambda L: L.ZeroPadding3D(), ((2, 2, 3, 2, 2),), bad=((2, 3, 3, 2),)),
        Case("asymmetric", lambda L: L.ZeroPadding3D(((1, 0), (2, 1), (0, 1))),
             ((2, 2, 3, 2, 2),)),
        Case("channels_first", lambda L: L.ZeroPadding3D(1, data_format="channels_first"),
             ((2, 2, 3, 2, 2),)),
    ],
    "UpSampling3D": [
        Case("default", lambda L: L.UpSampling3D(), ((2, 2, 3, 2, 2),), bad=((2, 3, 3, 2),)),
        Case("sizes", lambda L: L.UpSampling3D((1, 3, 2)), ((2, 2, 3, 2, 2),)),
        Case("channels_first", lambda L: L.UpSampling3D(2, data_format="channels_first"),
             ((2, 2, 3, 2, 2),)),
    ],
    "UpSampling1D": [
        Case("default", lambda L: L.UpSampling1D(3), ((2, 4, 3),), bad=((2, 4),)),
    ],
    "UpSampling2D": [
        Case("nearest", lambda L: L.UpSampling2D((2, 3)), ((2, 3, 3, 2),), bad=((2, 3, 3),)),
        Case("bilinear", lambda L: L.UpSampling2D(2, interpolation="bilinear"),
             ((2, 3, 3, 2),), atol=1e-4),
        Case("channels_first", lambda L: L.UpSampling2D(2, data_format="channels_first"),
             ((2, 2, 3, 3),)),
    ],
    # -- regularization -----------------------------------------------------------------------
    "ActivityRegularization": [
        Case("l1_l2", lambda L: L.ActivityRegularization(l1=0.1, l2=0.01), ((3, 4),),
             train=True),
    ],
    "GaussianDropout": [
        Case("rate", lambda L: L.GaussianDropout(0.3), ((3, 4),)),
    ],
    "GaussianNoise": [
        Case("stddev", lambda L: L.GaussianNoise(0.2, seed=1), ((3, 4),)),
    ],
    "SpatialDropout1D": [
        Case("rate", lambda L: L.SpatialDropout1D(0.3), ((2, 4, 3),), bad=((2, 3),)),
    ],
    "SpatialDropout2D": [
        Case("rate", lambda L: L.SpatialDropout2D(0.3), ((2, 3, 3, 2),), bad=((2, 3, 3),)),
        Case("channels_first", lambda L: L.SpatialDropout2D(0.3, data_format="channels_first"),
             ((2, 2, 3, 3),)),
    ],
    "SpatialDropout3D": [
        Case("rate", lambda L: L.SpatialDropout3D(0.3), ((2, 3, 3, 3, 2),),
             bad=((2, 3, 3, 2),)),
        Case("channels_first", lambda L: L.SpatialDropout3D(0.3, data_format="channels_first",
                                                            seed=3),
             ((2, 2, 3, 3, 3),)),
    ],
    "AlphaDropout": [
        Case("rate", lambda L: L.AlphaDropout(0.3), ((3, 4),)),
        Case("noise_shape", lambda L: L.AlphaDropout(0.5, noise_shape=(None, 1), seed=2),
             ((3, 4),)),
    ],
    "Identity": [
        Case("default", lambda L: L.Identity(), ((2, 3),), mask=True),
    ],
    "Masking": [
        Case("zero", lambda L: L.Masking(), ((2, 4, 3),), mask=True),
        Case("value", lambda L: L.Masking(mask_value=0.5), ((2, 4, 3),), mask=True),
    ],
    # -- preprocessing ------------------------------------------------------------------------
    "Rescaling": [
        Case("scale_offset", lambda L: L.Rescaling(1 / 255.0, offset=-1.0), ((2, 3),)),
    ],
    "Normalization": [
        Case("mean_variance", lambda L: L.Normalization(mean=[1.0, 2.0, 3.0],
                                                        variance=[1.0, 4.0, 9.0]), ((2, 3),)),
        Case("invert", lambda L: L.Normalization(mean=2.0, variance=4.0, invert=True),
             ((2, 3),)),
    ],
    # categorical preprocessing: integer/one-hot outputs, no gradient (Keras's are not
    # differentiable either); Hashing, HashedCrossing and the lookups need TensorFlow in Keras
    "Discretization": [
        Case("int", lambda L: L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5]), ((3, 4),),
             skip={"gradients": _NOT_DIFFERENTIABLE}),
        Case("one_hot", lambda L: L.Discretization(bin_boundaries=[0.0, 1.0],
                                                   output_mode="one_hot"), ((4, 1),),
             skip={"gradients": _NOT_DIFFERENTIABLE}),
        Case("multi_hot", lambda L: L.Discretization(bin_boundaries=[-1.0, 0.0, 1.0],
                                                     output_mode="multi_hot"), ((3, 5),),
             skip={"gradients": _NOT_DIFFERENTIABLE}),
        Case("count", lambda L: L.Discretization(bin_boundaries=[0.0], output_mode="count",
                                                 epsilon=0.1), ((3, 5),),
             skip={"gradients": _NOT_DIFFERENTIABLE}),
    ],
    "CategoryEncoding": [
        Case("multi_hot", lambda L: L.CategoryEncoding(num_tokens=5), ((3, 4),), int_high=5),
        Case("one_hot", lambda L: L.CategoryEncoding(num_tokens=4, output_mode="one_hot"),
             ((5, 1),), int_high=4),
        Case("count", lambda L: L.CategoryEncoding(num_tokens=6, output_mode="count"),
             ((2, 7),), int_high=6),
        Case("binary_alias", lambda L: L.CategoryEncoding(num_tokens=3, output_mode="binary"),
             ((4,),), int_high=3),
    ],
    "Hashing": Exclusion(_NEEDS_TF),
    "HashedCrossing": Exclusion(_NEEDS_TF),
    "IntegerLookup": Exclusion(_NEEDS_TF),
    "StringLookup": Exclusion(_NEEDS_TF),
    # -- image preprocessing and augmentation (random ones: a fixed range is deterministic) ---
    "Resizing": [
        Case("bilinear", lambda L: L.Resizing(4, 6), ((2, 5, 7, 3),), bad=((2, 5, 7),),
             atol=1e-4),
        Case("nearest_cf", lambda L: L.Resizing(3, 9, interpolation="nearest",
                                                data_format="channels_first"), ((2, 3, 5, 7),)),
        Case("bicubic_crop", lambda L: L.Resizing(4, 4, interpolation="bicubic",
                                                  crop_to_aspect_ratio=True), ((2, 5, 8, 2),),
             atol=1e-4),
        Case("lanczos3_pad", lambda L: L.Resizing(6, 6, interpolation="lanczos3",
                                                  pad_to_aspect_ratio=True, fill_value=1.0),
             ((2, 4, 8, 2),), atol=1e-4),
        Case("lanczos5_antialias", lambda L: L.Resizing(3, 4, interpolation="lanczos5",
                                                        antialias=True), ((2, 9, 8, 2),),
             atol=1e-4),
    ],
    "CenterCrop": [
        Case("crop", lambda L: L.CenterCrop(3, 4), ((2, 6, 7, 3),), bad=((2, 6, 7),)),
        Case("upscale", lambda L: L.CenterCrop(8, 6), ((2, 5, 7, 2),), atol=1e-4),
        Case("channels_first", lambda L: L.CenterCrop(2, 3, data_format="channels_first"),
             ((2, 3, 5, 5),)),
    ],
    "RandomFlip": [
        Case("default", lambda L: L.RandomFlip(seed=1), ((2, 5, 6, 3),),
             skip={"train": _RANDOM_TRAIN}),
        Case("horizontal_cf", lambda L: L.RandomFlip("horizontal", data_format="channels_first"),
             ((2, 3, 4, 4),), skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomRotation": [
        Case("quarter_turn", lambda L: L.RandomRotation((0.25, 0.25), fill_mode="constant"),
             ((2, 6, 6, 2),), train=True, atol=1e-4),
        Case("reflect_nearest", lambda L: L.RandomRotation(
            0.1, interpolation="nearest", seed=3), ((2, 5, 7, 3),),
            skip={"train": _RANDOM_TRAIN}),
        Case("wrap_cf", lambda L: L.RandomRotation((0.125, 0.125), fill_mode="wrap",
                                                   data_format="channels_first"),
             ((2, 2, 7, 5),), train=True, atol=1e-4),
    ],
    "RandomZoom": [
        Case("zoom_out", lambda L: L.RandomZoom((0.5, 0.5), fill_mode="constant",
                                                fill_value=1.0), ((2, 6, 8, 2),), train=True,
             atol=1e-4),
        Case("width_nearest", lambda L: L.RandomZoom(
            (-0.5, -0.5), width_factor=(0.25, 0.25), fill_mode="nearest",
            interpolation="nearest"), ((2, 7, 6, 3),), train=True, atol=1e-4),
        Case("random", lambda L: L.RandomZoom(0.2, 0.3, seed=5), ((2, 5, 5, 1),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomTranslation": [
        Case("shift", lambda L: L.RandomTranslation((0.25, 0.25), (-0.5, -0.5)),
             ((2, 8, 6, 2),), train=True, atol=1e-4),
        Case("wrap_cf", lambda L: L.RandomTranslation(
            (0.4, 0.4), (0.2, 0.2), fill_mode="wrap", data_format="channels_first"),
            ((2, 2, 5, 5),), train=True, atol=1e-4),
        Case("random", lambda L: L.RandomTranslation(0.2, 0.1, seed=5), ((2, 5, 5, 1),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomShear": [
        Case("zero", lambda L: L.RandomShear((0.0, 0.0), (0.0, 0.0)), ((2, 5, 6, 2),),
             train=True, atol=1e-4),
        Case("random_cf", lambda L: L.RandomShear(0.3, (0.1, 0.2), fill_mode="constant",
                                                  interpolation="nearest", seed=2,
                                                  data_format="channels_first"),
             ((2, 2, 5, 5),), skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomCrop": [
        Case("crop", lambda L: L.RandomCrop(3, 4, seed=7), ((2, 6, 7, 3),),
             skip={"train": _RANDOM_TRAIN, "symbolic": "Keras's symbolic shape is the "
                   "training-time crop while its inference call keeps the input size"}),
        Case("resize", lambda L: L.RandomCrop(6, 6, seed=7), ((2, 4, 8, 2),), train=True,
             atol=1e-4, skip={"symbolic": "Keras's symbolic shape is the training-time crop "
                              "while its inference call keeps the input size"}),
    ],
    "RandomContrast": [
        Case("identity_range", lambda L: L.RandomContrast((0.0, 0.0), value_range=(-1, 1)),
             ((2, 4, 5, 3),), train=True),
        Case("random", lambda L: L.RandomContrast(0.5, seed=2), ((2, 4, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomBrightness": [
        Case("fixed_delta", lambda L: L.RandomBrightness((0.1, 0.1), value_range=(-2, 2)),
             ((2, 4, 5, 3),), train=True),
        Case("random", lambda L: L.RandomBrightness(0.3, value_range=[0, 1], seed=2),
             ((2, 4, 5, 3),), skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomGrayscale": [
        Case("always", lambda L: L.RandomGrayscale(1.0), ((2, 4, 5, 3),), train=True,
             bad=((2, 3),)),
        Case("never_cf", lambda L: L.RandomGrayscale(0.0, data_format="channels_first"),
             ((2, 3, 4, 4),), train=True),
        Case("random", lambda L: L.RandomGrayscale(seed=3), ((2, 4, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomInvert": [
        Case("always", lambda L: L.RandomInvert((1.0, 1.0), value_range=(-1, 1)),
             ((2, 4, 5, 3),), train=True),
        Case("random", lambda L: L.RandomInvert(0.5, seed=3), ((2, 4, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "Solarization": [
        Case("invert_all", lambda L: L.Solarization(value_range=(-3, 3)), ((2, 4, 5, 3),),
             train=True, atol=1e-4),
        Case("random", lambda L: L.Solarization(0.2, 0.5, seed=3), ((2, 4, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomPosterization": [
        Case("four_bits", lambda L: L.RandomPosterization((4, 4), value_range=(-4, 4)),
             ((2, 4, 5, 3),), train=True, atol=1e-4),
        Case("random", lambda L: L.RandomPosterization(6, seed=3), ((2, 4, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomSaturation": [
        Case("fixed", lambda L: L.RandomSaturation((0.75, 0.75), value_range=(0, 1)),
             ((2, 4, 5, 3),), train=True, atol=1e-4),
        Case("fixed_cf", lambda L: L.RandomSaturation((0.25, 0.25),
                                                      data_format="channels_first"),
             ((2, 3, 4, 4),), train=True, atol=1e-4),
        Case("random", lambda L: L.RandomSaturation(0.5, seed=3), ((2, 4, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomHue": [
        Case("zero_shift", lambda L: L.RandomHue((0.0, 0.0), value_range=(-3, 3)),
             ((2, 4, 5, 3),), train=True, atol=1e-4),
        Case("random_cf", lambda L: L.RandomHue(0.5, data_format="channels_first", seed=3),
             ((2, 3, 4, 4),), skip={"train": _RANDOM_TRAIN}),
    ],
    "RandomColorDegeneration": [
        Case("half", lambda L: L.RandomColorDegeneration((0.5, 0.5), value_range=(-5, 5)),
             ((2, 4, 5, 3),), train=True, atol=1e-5),
        Case("random", lambda L: L.RandomColorDegeneration(0.5, seed=3), ((2, 4, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
    ],
    "MixUp": [
        Case("default", lambda L: L.MixUp(seed=1), ((4, 5, 5, 3),),
             skip={"train": _RANDOM_TRAIN}),
        Case("alpha", lambda L: L.MixUp(alpha=0.5, data_format="channels_first"),
             ((3, 2, 4, 4),), skip={"train": _RANDOM_TRAIN}),
    ],
    "AutoContrast": [
        Case("default", lambda L: L.AutoContrast(), ((2, 4, 5, 3),), train=True, atol=1e-4),
        Case("unit_range", lambda L: L.AutoContrast(value_range=(0, 1)), ((2, 3, 3, 2),),
             train=True, atol=1e-5),
    ],
    # -- activation layers --------------------------------------------------------------------
    "ReLU": [
        Case("default", lambda L: L.ReLU(), ((3, 4),)),
        Case("clipped_leaky", lambda L: L.ReLU(max_value=1.0, negative_slope=0.1,
                                               threshold=0.2), ((3, 4),)),
    ],
    "LeakyReLU": [
        Case("default", lambda L: L.LeakyReLU(), ((3, 4),)),
        Case("slope", lambda L: L.LeakyReLU(negative_slope=0.05), ((3, 4),)),
    ],
    "ELU": [
        Case("alpha", lambda L: L.ELU(alpha=0.5), ((3, 4),)),
    ],
    "PReLU": [
        Case("default", lambda L: L.PReLU(), ((3, 4),), bad=((3, 5),)),
        Case("shared_axes", lambda L: L.PReLU(shared_axes=[1, 2]), ((2, 3, 3, 4),)),
    ],
    "Softmax": [
        Case("last", lambda L: L.Softmax(), ((3, 4),)),
        Case("axis1", lambda L: L.Softmax(axis=1), ((2, 3, 4),)),
    ],
    # -- attention ----------------------------------------------------------------------------
    "EinsumDense": [
        Case("dense", lambda L: L.EinsumDense("ab,bc->ac", 4, bias_axes="c"), ((3, 5),),
             bad=((3, 5, 2),)),
        Case("ellipsis_relu", lambda L: L.EinsumDense("...x,xy->...y", 4, bias_axes="y",
                                                      activation="relu"), ((2, 3, 5),)),
        Case("heads", lambda L: L.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de"),
             ((2, 3, 5),)),
        Case("right_elided", lambda L: L.EinsumDense("ab...,bc->ac...", 3, bias_axes="c"),
             ((2, 4, 3),)),
    ],
    "MultiHeadAttention": [
        Case("self", lambda L: L.MultiHeadAttention(2, 3), ((2, 4, 5), (2, 4, 5)),
             args=lambda xs: (xs[0], xs[1]), mask=True),
        # dropout > 0 takes the einsum path (value_dim != key_dim fails JAX's fused kernel)
        Case("cross_key", lambda L: L.MultiHeadAttention(
            2, 3, value_dim=4, output_shape=6, use_bias=False, dropout=0.1, seed=1),
            ((2, 4, 5), (2, 3, 6), (2, 3, 7)), args=lambda xs: (xs[0], xs[1], xs[2])),
        Case("axes_2d", lambda L: L.MultiHeadAttention(2, 2, attention_axes=(1, 2)),
             ((2, 3, 4, 5), (2, 3, 4, 5)), args=lambda xs: (xs[0], xs[1])),
        Case("gate_window", lambda L: L.MultiHeadAttention(2, 3, use_gate=True,
                                                           sliding_window=2),
             ((2, 4, 5), (2, 4, 5)), args=lambda xs: (xs[0], xs[1])),
    ],
    "GroupQueryAttention": [
        Case("grouped", lambda L: L.GroupQueryAttention(3, 4, 2), ((2, 4, 6), (2, 3, 6)),
             args=lambda xs: (xs[0], xs[1]), mask=True),
        Case("gate_no_bias_dropout", lambda L: L.GroupQueryAttention(
            2, 4, 1, use_bias=False, use_gate=True, dropout=0.1),
            ((2, 4, 5), (2, 3, 5), (2, 3, 4)), args=lambda xs: (xs[0], xs[1], xs[2])),
    ],
    "Attention": [
        Case("dot", lambda L: L.Attention(), ((2, 4, 5), (2, 3, 5)), multi=True,
             bad=([(2, 4, 5), (2, 3, 6)],)),
        Case("scale_concat_key", lambda L: L.Attention(use_scale=True, score_mode="concat"),
             ((2, 4, 5), (2, 3, 5), (2, 3, 5)), multi=True),
    ],
    "AdditiveAttention": [
        Case("default", lambda L: L.AdditiveAttention(), ((2, 4, 5), (2, 3, 5)), multi=True),
        Case("no_scale", lambda L: L.AdditiveAttention(use_scale=False),
             ((2, 4, 5), (2, 3, 5), (2, 3, 5)), multi=True),
    ],
}
