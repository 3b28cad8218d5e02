"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, the generic RNN wrapper and
Bidirectional. Whole sequences of the built-in cells run as one fused op
(:mod:`ember.ops.rnn`)."""

from ember.layers.rnn.bidirectional import Bidirectional
from ember.layers.rnn.cells import GRUCell, LSTMCell, SimpleRNNCell
from ember.layers.rnn.recurrent import GRU, LSTM, SimpleRNN
from ember.layers.rnn.rnn import RNN

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell",
           "Bidirectional"]
