"""``keras.mixed_precision``: the dtype policies that make layers compute in float16 or
bfloat16 while keeping float32 weights, and dynamic loss scaling.

    ember.mixed_precision.set_global_policy("mixed_float16")
    model = ...            # layers created now compute in float16, weights stay float32
    model.compile("adam")  # the optimizer is wrapped in a LossScaleOptimizer, as Keras

The names are the same objects as ``ember.config.dtype_policy`` / ``set_dtype_policy``,
``ember.DTypePolicy`` and ``ember.optimizers.LossScaleOptimizer``.
"""

from ember.config import dtype_policy, set_dtype_policy
from ember.dtype_policies import DTypePolicy
from ember.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy  # the TF-era name, kept by Keras 3
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
