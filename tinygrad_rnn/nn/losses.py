"""Losses as layers, as in ``torch.nn``: ``NLLLoss``, ``CrossEntropyLoss``, ``MSELoss``,
``BCEWithLogitsLoss``. Each keeps its options and calls its function in
:mod:`~tinygrad_rnn.nn.functional`, where the loss is defined.

>>> import tinygrad_rnn as tr
>>> criterion = tr.nn.CrossEntropyLoss(ignore_index=0)
>>> logits, targets = tr.zeros(3, 5), tr.tensor([0, 2, 4])     # the first target is padding
>>> round(criterion(logits, targets).item(), 4)                 # log 5, over the two others
1.6094
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class NLLLoss(_Loss):
    """−log p[target] given log-probabilities (classes in dimension 1), ``ignore_index`` for padding."""

    def __init__(self, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(NLLLoss):
    """−log softmax(logits)[target]: ``NLLLoss`` after ``LogSoftmax``, as one op.

    The op it records, and its backward: ``CrossEntropy`` in ops/reduce.py.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error (input − target)²."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of σ(input) against targets in [0, 1], computed stably from logits."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
