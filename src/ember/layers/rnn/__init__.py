"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, the generic RNN wrapper,
Bidirectional and TimeDistributed. Whole sequences of the built-in cells run as one fused op
(:mod:`ember.ops.rnn`)."""

from ember.layers.rnn.bidirectional import Bidirectional
from ember.layers.rnn.cells import GRUCell, LSTMCell, SimpleRNNCell
from ember.layers.rnn.recurrent import GRU, LSTM, SimpleRNN
from ember.layers.rnn.rnn import RNN
from ember.layers.rnn.stacked_rnn_cells import StackedRNNCells
from ember.layers.rnn.time_distributed import TimeDistributed

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell",
           "Bidirectional", "TimeDistributed", "StackedRNNCells"]
