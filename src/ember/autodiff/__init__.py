"""The engine: Tensor, Variable, Function and GradientTape."""

from ember.autodiff.tape import GradientTape, UnconnectedGradients
from ember.autodiff.tensor import Tensor, Variable, convert_to_tensor

__all__ = ["GradientTape", "Tensor", "UnconnectedGradients", "Variable", "convert_to_tensor"]
