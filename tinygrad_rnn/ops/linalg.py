"""Matrix products: matmul, with NumPy's rules for vectors and batches, and linear, x Wᵀ + b."""

from __future__ import annotations

from ..device import array_module
from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor
from ..workspace import WORKSPACE
from .shape import reshape, sum_to, transpose, unsqueeze


class MatMul(Function):
    """a @ b for a, b of at least 2 dimensions (leading ones broadcast as a batch);
    ∂/∂a = grad @ bᵀ,  ∂/∂b = aᵀ @ grad  (each summed back over broadcast batch dimensions)"""

    saves_output = False

    name = "matmul"
    hint = "The last dimension of the first operand must equal the second-to-last of the second"

    def forward(self, a, b):
        if a.ndim > 2 and b.ndim == 2:  # (…, K) @ (K, N): one large product, not a batch of small ones
            return _product(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[-1],))
        return _product(a, b)

    def backward(self, grad, out, a, b):
        need_a, need_b = self.needs_input_grad
        grad_a = sum_to(MatMul.apply(grad, transpose(b, -1, -2)), a.shape) if need_a else None
        if not need_b:
            return grad_a, None
        if a.ndim > 2 and b.ndim == 2:  # aᵀ @ grad summed over the batch = one product of the folded batch
            folded_a, folded_grad = reshape(a, (-1, a.shape[-1])), reshape(grad, (-1, grad.shape[-1]))
            return grad_a, MatMul.apply(transpose(folded_a, 0, 1), folded_grad)
        return grad_a, sum_to(MatMul.apply(transpose(a, -1, -2), grad), b.shape)


class Linear(Function):
    """x Wᵀ + b, the product of every layer (PyTorch's F.linear), as one op: no transpose node and
    no separate bias addition at every time step;
    ∂/∂x = grad W,  ∂/∂W = gradᵀ x,  ∂/∂b = Σ grad  (both summed over every leading dimension of x)"""

    saves_output = False
    hint = "x is (…, in_features), the weight (out_features, in_features), the bias (out_features,)"

    def forward(self, x, weight, bias=None):
        return linear_forward(x, weight, bias)

    def backward(self, grad, out, x, weight, bias=None):
        grads = linear_backward(grad, x, weight, bias, *self.needs_input_grad)
        return grads if bias is not None else grads[:2]


def linear_forward(x, weight, bias=None, transposed_weight=None):
    """x Wᵀ + b on arrays (shared with the fused cells, whose first step it is). Given Wᵀ laid
    out contiguously (``transposed_weight``), BLAS multiplies by it faster than by the view W.T:
    ~5% of an LSTM step at 128 units, ~13% at 512 (a layer makes it once per sequence)."""
    folded = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])  # (…, in) → (N, in): one product
    out = _product(folded, weight.T if transposed_weight is None else transposed_weight)
    if bias is not None:
        out += bias  # in place: out is a fresh array
    return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (weight.shape[0],))


def linear_backward(grad, x, weight, bias, need_x=True, need_weight=True, need_bias=True):
    """(∂x, ∂W, ∂b) of x Wᵀ + b given ∂out: grad W, gradᵀ x, gradᵀ 1 (Σ grad over rows) — None
    where not needed. .reshape and .T mean the same on arrays and Tensors: one rule for both paths.

    On arrays, ∂W and ∂b are handed to the engine as :class:`Product` terms not yet multiplied: a
    weight or bias used at every time step then gets its T terms summed by one matrix product
    (or one sum), as a hand-written BPTT does (engine.py)."""
    folded_grad = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])  # (N, out)
    grad_x = grad_weight = grad_bias = None
    recorded = isinstance(grad, Tensor)
    if need_x:
        grad_x = MatMul.apply(folded_grad, weight) if recorded else _product(folded_grad, weight)
        grad_x = grad_x if x.ndim == 2 else grad_x.reshape(x.shape)
    if need_weight:
        folded_x = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        grad_weight = MatMul.apply(folded_grad.T, folded_x) if recorded else Product(folded_grad, folded_x)
    if bias is not None and need_bias:
        grad_bias = folded_grad.sum(0) if recorded else Product(folded_grad)
    return grad_x, grad_weight, grad_bias


class Product:
    """leftᵀ @ right, not multiplied yet: one use's term of a weight's gradient — or, with no
    ``right``, leftᵀ @ 1 (the sum of left's rows), a bias's. The engine sums the terms of all uses
    of a weight as one product — [left₁; left₂; …]ᵀ @ [right₁; right₂; …] = Σ_t leftₜᵀ rightₜ —
    one BLAS call instead of T small ones and T additions (``materialize`` gives a single term as
    an array). A fused layer's term holds all its steps' rows, time-major, in equal blocks:
    ``steps`` lists (block, step name) pairs — ``(0, "t=1")`` — in the order backward visits the
    steps, and :meth:`block` gives one step's term (on Tensors — a recorded backward — as recorded ops)."""

    __slots__ = ("left", "right", "steps")

    def __init__(self, left, right=None, steps: tuple[tuple[int, str], ...] = ()) -> None:
        self.left, self.right, self.steps = left, right, steps

    def materialize(self):
        """The term as one array — or, on Tensors (a fused layer's term in a recorded backward), as
        recorded ops: ``sum`` and ``MatMul.apply`` run on either, as every op does."""
        return self.left.sum(0) if self.right is None else MatMul.apply(self.left.T, self.right)

    def blocks(self) -> tuple[tuple[int | None, str], ...]:
        """(block, step name) for each step's block of rows, as :meth:`block` takes them; one, unnamed
        (block None: the whole term), if no steps are named."""
        return self.steps or ((None, ""),)

    def block(self, block: int | None) -> Product:
        """The term of one step's block of rows (slices: recorded ops on Tensors); None: the whole."""
        if block is None:
            return self
        rows = len(self.left) // len(self.steps)
        return Product(self.left[block * rows: (block + 1) * rows],
                       None if self.right is None else self.right[block * rows: (block + 1) * rows])

    @staticmethod
    def sum(products: list[Product]):
        """Σ leftᵀ right over the products, as one matrix product (Σ of all their rows for a bias)."""
        if len(products) == 1:
            return products[0].materialize()
        xp = array_module(products[0].left)
        left = xp.concatenate([p.left for p in products])
        if products[0].right is None:
            return left.sum(0)
        return _product(left.T, xp.concatenate([p.right for p in products]))


def _product(a, b):
    """a @ b on arrays. For two matrices through ``dot``: it calls BLAS directly, with less
    overhead than matmul (~0.5 µs a call, every time step), and NumPy's matmul does not call BLAS
    at all when the inner dimension is 1 — an outer product, such as a weight's gradient at batch
    size 1 — and is then ~10× slower. A large result is written into an array from the workspace
    (``linear`` of a whole sequence: no fresh pages to fault in at every step)."""
    if a.ndim == 2 and b.ndim == 2:
        xp, shape = array_module(a), (a.shape[0], b.shape[1])
        if shape[0] * shape[1] * a.itemsize < WORKSPACE.smallest or a.dtype != b.dtype:  # (a small one: the heap's)
            return xp.dot(a, b)
        return xp.dot(a, b, out=WORKSPACE.take(shape, a.dtype, xp))
    return a @ b


def matmul(a, b):
    """a @ b as NumPy defines it: a 1-D operand is a vector (a row on the left, a column on the
    right), and the dimensions added for it are removed from the result.

    >>> import tinygrad_rnn as tr
    >>> tr.matmul(tr.ones(2, 3), tr.ones(3, 4)).shape
    (2, 4)
    """
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    left_vector, right_vector = a.ndim == 1, b.ndim == 1
    inner_a, inner_b = a.shape[-1], b.shape[0 if right_vector else -2]
    if inner_a != inner_b:
        raise ShapeError(
            f"matmul: shapes {tuple(a.shape)} @ {tuple(b.shape)} do not fit: the last dimension of the first "
            f"({inner_a}) must equal the {'first' if right_vector else 'second-to-last'} of the second "
            f"({inner_b}). A transposed operand (x.T) is the usual fix."
        )
    out = MatMul.apply(unsqueeze(a, 0) if left_vector else a, unsqueeze(b, -1) if right_vector else b)
    if left_vector or right_vector:
        kept = out.shape[:-2] + (() if left_vector else out.shape[-2:-1]) + (() if right_vector else out.shape[-1:])
        out = reshape(out, kept)
    return out
