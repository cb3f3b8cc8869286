"""Layers, as ``torch.nn``: Module and Parameter; Linear, Embedding, Dropout, Sequential, ModuleList;
the activations Tanh, ReLU, Sigmoid, Softmax, LogSoftmax, Identity; the losses NLLLoss,
CrossEntropyLoss, MSELoss, BCEWithLogitsLoss; the cells RNNCell, LSTMCell, GRUCell; the layers RNN,
LSTM, GRU; ``init``, ``functional`` and ``utils``.

>>> import tinygrad_rnn as tr
>>> lstm = tr.nn.LSTM(input_size=4, hidden_size=8, dtype="float64")
>>> output, (h_n, c_n) = lstm(tr.randn(5, 2, 4, dtype="float64"))
>>> output.shape, lstm.weight_hh_l0.shape, lstm.weight_hh_l0.dtype
((5, 2, 8), (32, 8), dtype('float64'))
"""

from . import functional, init, utils
from .activations import Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .cells import GRUCell, LSTMCell, RNNCell
from .layers import Dropout, Embedding, Linear, ModuleList, Sequential
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .recurrent import GRU, LSTM, RNN

__all__ = [
    "Module", "Parameter", "Linear", "Embedding", "Dropout", "Sequential", "ModuleList", "Tanh", "ReLU",
    "Sigmoid", "Softmax", "LogSoftmax", "Identity", "NLLLoss", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss",
    "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "init", "functional", "utils",
]
