"""``ember.tf``: the part of TensorFlow's API that tutorials use, on ember's engine.

``import ember as tf`` reaches the same names (``ember``'s own ``__getattr__`` falls back to
this namespace for names Keras does not define), so ``tf.constant``, ``tf.reduce_sum``,
``tf.nn.relu``, ``tf.data.Dataset`` and ``tf.keras.layers.Dense`` all work. Everything loads on
first use (PEP 562), so that ``import ember`` stays fast.
"""

import importlib
import importlib.util

# attribute -> "module" (the attribute is that module) or "module:name"
_MODULES = {
    "keras": "ember",
    "dtypes": "ember.tf.dtypes",
    "errors": "ember.tf.errors",
    "math": "ember.tf.math",
    "nn": "ember.tf.nn",
    "linalg": "ember.tf.linalg",
    "image": "ember.tf.image",
    "strings": "ember.tf.strings",
    "debugging": "ember.tf.debugging",
    "random": "ember.random",
    "config": "ember.config",
    "data": "ember.tf.data",
    "train": "ember.tf.train",
    "saved_model": "ember.tf.saved_model",
    "summary": "ember.tf.summary",
    "signal": "ember.tf.signal",
    "bitwise": "ember.tf.bitwise",
    # tf.losses / tf.metrics / tf.optimizers / tf.initializers are Keras's in TF 2
    "losses": "ember.losses",
    "metrics": "ember.metrics",
    "optimizers": "ember.optimizers",
    "initializers": "ember.initializers",
}

_ARRAY_OPS = (
    "abs add add_n argmax argmin argsort boolean_mask broadcast_dynamic_shape "
    "broadcast_static_shape broadcast_to cast clip_by_global_norm clip_by_norm clip_by_value "
    "concat constant cos cosh cumsum divide einsum ensure_shape equal executing_eagerly exp "
    "expand_dims eye fill floor gather gather_nd get_static_value greater greater_equal "
    "identity is_tensor less less_equal linspace logical_and logical_not logical_or matmul "
    "maximum meshgrid minimum multiply negative newaxis norm not_equal one_hot ones ones_like pad "
    "parallel_stack pow print range rank realdiv reduce_all reduce_any reduce_logsumexp "
    "reduce_max reduce_mean reduce_min reduce_prod reduce_sum reshape reverse roll round "
    "saturate_cast scalar_mul scatter_nd searchsorted sequence_mask shape shape_n sigmoid sign "
    "sin sinh size sort split sqrt square squeeze stack subtract tan tanh "
    "tensor_scatter_nd_add tensor_scatter_nd_max tensor_scatter_nd_min tensor_scatter_nd_sub "
    "tensor_scatter_nd_update tensordot tile transpose truediv unique unstack where zeros "
    "zeros_like"
).split()

_NAMES = {name: f"ember.tf.array_ops:{name}" for name in _ARRAY_OPS}
_NAMES.update({
    "version": "ember:version",  # a callable module: keras.version() and tf.version.VERSION
    "Tensor": "ember.autodiff.tensor:Tensor",
    "Variable": "ember.autodiff.tensor:NamedVariable",
    "GradientTape": "ember.autodiff.tape:GradientTape",
    "convert_to_tensor": "ember.autodiff.tensor:convert_to_tensor",
    "TensorShape": "ember.tf.tensor_shape:TensorShape",
    "DType": "ember.tf.dtypes:DType",
    "as_dtype": "ember.tf.dtypes:as_dtype",
    "atan": "ember.tf.array_ops:atan",
    "assert_equal": "ember.tf.debugging:assert_equal",
    "assert_greater": "ember.tf.debugging:assert_greater",
    "assert_less": "ember.tf.debugging:assert_less",
    "assert_rank": "ember.tf.debugging:assert_rank",
    "device": "ember.tf.device_scope:device",
    "DeviceSpec": "ember.tf.device_scope:DeviceSpec",
    "function": "ember.tf.tf_function:function",
    "custom_gradient": "ember.ops.control_flow:tf_custom_gradient",
    "Module": "ember.tf.module:Module",
    "name_scope": "ember.tf.module:name_scope",
    "TensorSpec": "ember.tf.tf_function:TensorSpec",
    "UnconnectedGradients": "ember.autodiff.tape:UnconnectedGradients",
    "as_string": "ember.tf.strings:as_string",
    "stop_gradient": "ember.ops:stop_gradient",  # one object for keras and tf
    "complex": "ember.tf.complex_ops:complex",
    "recompute_grad": "ember.autodiff.remat:remat",  # the same rematerialization as keras.remat
    "TensorArray": "ember.tf.tensor_array:TensorArray",
})
_NAMES.update({name: f"ember.tf.control_flow:{name}" for name in (
    "case cond foldl foldr grad_pass_through group identity_n map_fn no_op scan switch_case "
    "tuple vectorized_map while_loop"
).split()})
_NAMES.update({name: f"ember.tf.math_ops:{name}" for name in (
    "acos acosh asin asinh atan2 atanh dynamic_partition dynamic_stitch histogram_fixed_width "
    "histogram_fixed_width_bins repeat reverse_sequence slice truncatediv truncatemod "
    "unique_with_counts unravel_index"
).split()})
_NAMES.update({name: f"ember.tf.linalg:{name}" for name in ("eig", "eigvals")})
_NAMES["matrix_square_root"] = "ember.tf.linalg:sqrtm"
for _dtype in ("float16 float32 float64 half double int8 int16 int32 int64 uint8 uint16 "
               "uint32 uint64 bool complex64 complex128 string bfloat16").split():
    _NAMES[_dtype] = f"ember.tf.dtypes:{_dtype}"
del _dtype


def _resolve(name):
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    module, attr = _NAMES[name].split(":")
    return getattr(importlib.import_module(module), attr)


def _target(name):
    return _MODULES.get(name) or _NAMES[name].split(":")[0]


def __getattr__(name):
    if name in _MODULES or name in _NAMES:
        try:
            value = _resolve(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not _target(name).startswith(exc.name):
                raise  # a module that exists failed to import something: a real bug
            raise AttributeError(
                f"module 'ember.tf' has no attribute {name!r} ({_target(name)} is not "
                "available)") from None
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ember.tf' has no attribute {name!r}")


def _available(name):
    """Whether ``name``'s module exists (another part of ember may not be built yet), so that
    ``dir()`` lists only names that load."""
    target = _target(name)
    if target == "ember.tf.dtypes" and name == "bfloat16":
        return importlib.util.find_spec("ml_dtypes") is not None
    try:
        return importlib.util.find_spec(target) is not None
    except ModuleNotFoundError:
        return False


def public_names():
    """The names this namespace can give (its lazy tables, less modules not present)."""
    return sorted(n for n in set(_MODULES) | set(_NAMES) if _available(n))


def __dir__():
    return sorted(set(globals()) | set(public_names()))
