"""Optimisers, as ``torch.optim``: SGD, Adagrad, RMSprop, Adam, AdamW, and StepLR.

>>> import tinygrad_rnn as tr
>>> model = tr.nn.Linear(3, 1)
>>> optimizer = tr.optim.Adam(model.parameters(), lr=0.01)
>>> loss = model(tr.ones(4, 3)).pow(2).mean()
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

from . import lr_scheduler
from .lr_scheduler import StepLR
from .optimizer import Optimizer
from .optimizers import SGD, Adagrad, Adam, AdamW, RMSprop

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "StepLR", "lr_scheduler"]
