"""Matrix products: matmul, with NumPy's rules for vectors and batches, and linear, x Wᵀ + b."""

from __future__ import annotations

from ..errors import ShapeError
from ..function import Function
from .elementwise import Broadcasting
from .shape import reshape, transpose, unsqueeze

__all__ = ["matmul"]  # (tinygrad_rnn.ops exports these)


class MatMul(Broadcasting):
    """a @ b for a, b of at least 2 dimensions (leading ones broadcast as a batch: the walk sums
    each gradient back over them);   ∂/∂a = grad @ bᵀ,  ∂/∂b = aᵀ @ grad"""

    saves_output = False

    name = "matmul"
    hint = "The last dimension of the first operand must equal the second-to-last of the second"

    def forward(self, a, b):
        if a.ndim > 2 and b.ndim == 2:  # (…, K) @ (K, N): one large product, not a batch of small ones
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[-1],))
        return a @ b

    def backward(self, grad, out, a, b):
        need_a, need_b = self.needs_input_grad
        grad_a = MatMul.apply(grad, transpose(b, -1, -2)) if need_a else None
        if need_b and a.ndim > 2 and b.ndim == 2:  # aᵀ @ grad summed over the batch = one product of the folded batch
            folded_a, folded_grad = reshape(a, (-1, a.shape[-1])), reshape(grad, (-1, grad.shape[-1]))
            return grad_a, MatMul.apply(transpose(folded_a, 0, 1), folded_grad)
        return grad_a, MatMul.apply(transpose(a, -1, -2), grad) if need_b else None


class Linear(Function):
    """x Wᵀ + b, the product of every layer (PyTorch's F.linear), as one op: no transpose node and
    no separate bias addition at every time step. (The op; the module ``nn.Linear`` calls it.)
    ∂/∂x = grad W,  ∂/∂W = gradᵀ x,  ∂/∂b = Σ grad  (both summed over every leading dimension of x)"""

    saves_inputs, saves_output = (0, 1), False  # x and W; of the bias backward asks only whether there is one
    hint = "x is (…, in_features), the weight (out_features, in_features), the bias (out_features,)"

    def forward(self, x, weight, bias=None):
        return linear_forward(x, weight, bias)

    def backward(self, grad, out, x, weight, bias=None):
        grads = linear_backward(grad, x, weight, bias, *self.needs_input_grad)
        return grads if bias is not None else grads[:2]


def linear_forward(x, weight, bias=None, transposed_weight=None):
    """x Wᵀ + b on arrays, every leading dimension of x folded into rows: one matrix product.
    (``transposed_weight``, for fast/: Wᵀ laid out contiguously, which its fused cells make once
    per sequence; the plain path never passes it.)"""
    rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])  # (…, in) → (N, in)
    out = rows @ (weight.T if transposed_weight is None else transposed_weight)
    if bias is not None:
        out += bias  # in place: out is a new array
    return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (weight.shape[0],))


def linear_backward(grad, x, weight, bias, need_x=True, need_weight=True, need_bias=True):
    """(∂x, ∂W, ∂b) of x Wᵀ + b given ∂out: grad W, gradᵀ x, Σ grad over rows — None where not
    needed. Written once for both paths: on arrays, and on Tensors (a recorded backward), where
    ``@``, ``.T``, ``.reshape`` and ``.sum`` are recorded ops."""
    grad_rows = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])  # (N, out)
    grad_x = None
    if need_x:
        grad_x = grad_rows @ weight
        grad_x = grad_x if x.ndim == 2 else grad_x.reshape(x.shape)
    x_rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])  # (N, in)
    # By default fast/ has rebound this name (fast/gradient_table.py's install): ∂W and ∂b come back
    # unmultiplied, for its table to multiply out; with TINYGRAD_RNN_FAST=0, arrays, as written below.
    grad_weight, grad_bias = weight_terms(grad_rows, x_rows, need_weight, bias is not None and need_bias)
    return grad_x, grad_weight, grad_bias


def weight_terms(grad_rows, x_rows, need_weight: bool, need_bias: bool):
    """This use's terms of ∂J/∂W = grad_rowsᵀ x_rows and ∂J/∂b = Σ grad_rows (None where not needed), as
    arrays the walk adds to the weight's total. The seam ``tinygrad_rnn.fast.gradient_table``
    replaces: it hands the terms over unmultiplied, and multiplies all uses' out as one product."""
    return (grad_rows.T @ x_rows if need_weight else None), (grad_rows.sum(0) if need_bias else None)


def matmul(a, other):
    """a @ b as NumPy defines it: a 1-D operand is a vector (a row on the left, a column on the
    right), and the dimensions added for it are removed from the result.

    >>> import tinygrad_rnn as tr
    >>> tr.matmul(tr.ones(2, 3), tr.ones(3, 4)).shape
    (2, 4)
    """
    if a.ndim == 0 or other.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{tuple(a.shape)} and {tuple(other.shape)}")
    left_vector, right_vector = a.ndim == 1, other.ndim == 1
    inner_a, inner_b = a.shape[-1], other.shape[0 if right_vector else -2]
    if inner_a != inner_b:
        raise ShapeError(
            f"matmul: shapes {tuple(a.shape)} @ {tuple(other.shape)} do not fit: the last dimension of the first "
            f"({inner_a}) must equal the {'first' if right_vector else 'second-to-last'} of the second "
            f"({inner_b}). A transposed operand (x.T) is the usual fix."
        )
    out = MatMul.apply(unsqueeze(a, 0) if left_vector else a, unsqueeze(other, -1) if right_vector else other)
    if left_vector or right_vector:
        kept = out.shape[:-2] + (() if left_vector else out.shape[-2:-1]) + (() if right_vector else out.shape[-1:])
        out = reshape(out, kept)
    return out
