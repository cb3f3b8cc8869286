"""The head and the loss as one node: linear → cross-entropy, the reshape between them included —
the seam ``HEAD_AND_LOSS`` of :mod:`tinygrad_rnn.models.language`.

**Replaces** three recorded ops of a language model's training step — the head's ``linear``, the
``reshape`` of its (B, T, V) scores into rows, and ``cross_entropy`` — with one, in
:meth:`LanguageModel.loss <tinygrad_rnn.models.LanguageModel.loss>` of a model built with
``fused=True``. A user's own ``nn.Linear`` followed by ``F.cross_entropy`` stays three primitive
ops, and so does every model built with ``fused=False`` (what the lecture figures draw).

Forward, for the rows h_i of the layer's output (B·T, H) and their targets t_i:

    z = h Wᵀ + b,   J = −Σ_i w_i log softmax(z_i)[t_i] / n

(w_i = 0 for an ignored target, n the number of rows counted). Backward, the chain rule through
both written out once — cross-entropy's rule, then linear's, on the same arrays:

    ∂J/∂z = w ⊙ (softmax(z) − onehot(t)) / n,
    ∂J/∂h = ∂J/∂z W,   ∂J/∂W = (∂J/∂z)ᵀ h,   ∂J/∂b = Σ_i ∂J/∂z_i.

The node is :class:`~tinygrad_rnn.ops.reduce.CrossEntropy` with linear's forward in front of it and
linear's backward after it (``linear_forward``, ``linear_backward``: the functions the ``Linear`` op
runs), so the numbers are the primitive ops' to the last bit, and ∂J/∂W is handed to the gradient
table as ``linear``'s is. Like cross-entropy it saves the log-probabilities as an output of its own
(``saves_intermediates``), and its backward runs on Tensors too: ``create_graph=True`` records it,
so second derivatives flow through it (tests: gradcheck and gradgradcheck in float64).

**Buys** (docs/fast.md, measured): two recorded ops fewer per training step — their recording,
their backward rules' Python and the walk over them: 106 Python calls, 34–44 µs, 6–8% of a batch-1
step at T = 1 (2–4% at T = 25).

>>> import tinygrad_rnn as tr
>>> from tinygrad_rnn.fast import head
>>> h, W = tr.zeros(2, 3, 4, requires_grad=True), tr.zeros(5, 4, requires_grad=True)
>>> loss = head.linear_cross_entropy(h, W, None, tr.tensor([[1, 2, 3], [4, 0, 1]]))
>>> loss.grad_fn, round(loss.item(), 4)      # one node; log 5: uniform over the 5 classes
(<LinearCrossEntropy>, 1.6094)
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from ..nn.functional import cross_entropy_targets
from ..ops.linalg import linear_backward, linear_forward
from ..ops.reduce import CrossEntropy
from ..tensor import Tensor


class LinearCrossEntropy(CrossEntropy):
    """cross_entropy(x Wᵀ + b, targets) over the rows of x (…, in), as one op: outputs the loss and,
    saved for backward, the log-probabilities (B·T, V) (see the module docstring for the equations).
    Its parameters are CrossEntropy's (``targets``, ``weights``, ``count``)."""

    name = "fused linear + cross_entropy"
    saves_inputs = (0, 1)  # x and W, as linear's; of the bias backward asks only whether there is one
    hint = "x is (…, in_features), the weight (classes, in_features), the bias (classes,)"

    def forward(self, x, weight, bias=None):
        scores = linear_forward(x if x.ndim == 2 else x.reshape(-1, x.shape[-1]), weight, bias)  # (N, V)
        return super().forward(scores)

    def backward(self, grads, outs, x, weight, bias=None):
        # cross-entropy's rule reads the log-probabilities only, never the scores (which are not kept)
        grad_scores = super().backward(grads, outs, None)
        grad_x, grad_weight, grad_bias = linear_backward(grad_scores, x, weight, bias, *self.needs_input_grad)
        return (grad_x, grad_weight, grad_bias) if bias is not None else (grad_x, grad_weight)


def linear_cross_entropy(x: Tensor, weight: Tensor, bias: Tensor | None, target: Any) -> Tensor | None:
    """The mean cross-entropy of ``linear(x, weight, bias)`` against ``target`` (one class for each of
    x's rows, x.shape[:-1], in any shape), as one node: what ``cross_entropy(linear(x, weight, bias).reshape(-1, V),
    target.reshape(-1))`` computes. None where the node does not apply — anywhere but the CPU, for
    mismatched shapes or dtypes, a target that is not a class: the caller then runs those primitive
    ops, which say what is wrong."""
    labels = target.array if isinstance(target, Tensor) else numpy.asarray(target)
    rows, matrix = x.array, weight.array  # (the arrays' own attributes: this runs at every training step)
    if not (type(rows) is numpy.ndarray and type(matrix) is numpy.ndarray  # the CPU only
            and matrix.ndim == 2 and rows.ndim >= 2 and rows.shape[-1] == matrix.shape[1]
            and rows.dtype == matrix.dtype
            and (bias is None or (bias.array.shape == matrix.shape[:1] and bias.array.dtype == matrix.dtype))):
        return None
    counted = cross_entropy_targets((math.prod(rows.shape[:-1]), matrix.shape[0]), rows.dtype, labels.reshape(-1))
    if counted is None:
        return None
    (loss,) = LinearCrossEntropy.apply(x, weight, *(() if bias is None else (bias,)), **counted)
    return loss


def install() -> None:
    """A language model built with ``fused=True`` computes its head and loss as one node from now on."""
    from ..models import language

    language.HEAD_AND_LOSS = linear_cross_entropy


def uninstall() -> None:
    """The head and the loss are primitive ops again."""
    from ..models import language

    language.HEAD_AND_LOSS = None
