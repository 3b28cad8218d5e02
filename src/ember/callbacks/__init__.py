"""Callbacks, as ``keras.callbacks``: hooks into ``fit``, ``evaluate`` and ``predict``."""

from ember.callbacks.callback import Callback
from ember.callbacks.callback_list import CallbackList
from ember.callbacks.csv_logger import CSVLogger
from ember.callbacks.early_stopping import EarlyStopping
from ember.callbacks.history import History
from ember.callbacks.lambda_callback import LambdaCallback
from ember.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from ember.callbacks.model_checkpoint import ModelCheckpoint
from ember.callbacks.progbar_logger import ProgbarLogger
from ember.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
