"""The gradient table, fast: a weight's terms of every step multiplied out as one matrix product.

Replaces one seam of the plain path: the engine's :class:`~tinygrad_rnn.engine.GradientTable`
(``engine.GRADIENT_TABLE``), and with it the form in which ``linear`` hands over a weight's terms
(``ops.linalg.weight_terms``). On the plain path each step's term δ_tᵀ x_t is an array, added to
the weight's total with ``+``: T small products and T additions. Here (Chainer's ``GradTable``
idea, and what a hand-written BPTT does):

* **Deferred products.** A weight's term arrives as a :class:`DeferredProduct` — δ_tᵀ x_t not yet
  multiplied (a bias's: δ_tᵀ 1) — and the terms of a weight used at every step wait in a
  :class:`PendingSum`, multiplied out when the weight's total is taken:
  ∂J/∂W = Σ_t δ_tᵀ x_t = [δ_1; …; δ_T]ᵀ [x_1; …; x_T], one BLAS call.
* **Running sums in place.** A tensor used at 1,000 steps grows one array. A term may be an array
  that other tensors also received (the backward of ``a + b`` hands both the same array), so the
  first is held as it is and the second makes a new array; only a sum this table made itself
  (the table's ``owned``) grows in place.
* **Terms kept one by one** (``record``, ``itemize``: as the plain table) get each DeferredProduct
  multiplied out, one per step: a fused layer's term names its steps, and is split into each
  step's term with the step's scope, as the per-step path would have sent them.

What it buys, measured (benchmarks/training_step.py): the weight gradients of a batch-1 LSTM step
as one GEMM instead of T outer products (NumPy's matmul skips BLAS when the inner dimension is 1).
Equal to the plain table to 1e-12 in float64 (tests/test_gradient_table.py runs both ways).

>>> import numpy as np
>>> table = DeferredGradientTable()
>>> for t in range(3):
...     table.add("W", DeferredProduct(np.ones((1, 2)), np.ones((1, 2))), ())
>>> table.pop("W", ()).tolist()   # three terms, one product
[[3.0, 3.0], [3.0, 3.0]]
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from .. import engine
from ..device import array_module
from ..engine import GradientTable
from ..errors import GraphError
from ..ops import linalg
from ..ops.linalg import weight_terms as plain_weight_terms
from ..recording import STATE, recording_gradient
from ..tensor_base import TensorBase

Scope = tuple[str, ...]


class DeferredProduct:
    """leftᵀ @ right, not multiplied yet: one use's term of a weight's gradient — or, with no
    ``right``, leftᵀ @ 1 (the sum of left's rows), a bias's. A fused layer's term holds all its
    steps' rows, time-major, in equal blocks: ``steps`` lists (block, step name) pairs —
    ``(0, "t=1")`` — in the order backward visits the steps, and :meth:`block` gives one step's term.
    It has the ``shape`` and ``dtype`` of the gradient it stands for, which the walk checks (set once:
    the walk reads them for every term it hands on)."""

    __slots__ = ("left", "right", "steps", "shape", "dtype")

    def __init__(self, left, right=None, steps: tuple[tuple[int, str], ...] = ()) -> None:
        self.left, self.right, self.steps = left, right, steps
        self.shape = (left.shape[-1],) if right is None else (left.shape[-1], right.shape[-1])
        self.dtype = left.dtype

    def materialize(self):
        """The term as one array — or, on Tensors (a fused layer's term in a recorded backward), as
        recorded ops."""
        if self.right is None:
            return self.left.sum(0)
        if isinstance(self.left, TensorBase):
            return self.left.T @ self.right
        return matrix_product(self.left.T, self.right)

    def blocks(self) -> tuple[tuple[int | None, str], ...]:
        """(block, step name) for each step's block of rows, as :meth:`block` takes them; one, unnamed
        (block None: the whole term), if no steps are named."""
        return self.steps or ((None, ""),)

    def block(self, block: int | None) -> DeferredProduct:
        """The term of one step's block of rows (slices: recorded ops on Tensors); None: the whole."""
        if block is None:
            return self
        rows = len(self.left) // len(self.steps)
        return DeferredProduct(self.left[block * rows: (block + 1) * rows],
                       None if self.right is None else self.right[block * rows: (block + 1) * rows])

    @staticmethod
    def sum(products: list[DeferredProduct]):
        """Σ leftᵀ right over the products, as one matrix product (Σ of all their rows for a bias)."""
        if len(products) == 1:
            return products[0].materialize()
        xp = array_module(products[0].left)
        left = xp.concatenate([p.left for p in products])
        if products[0].right is None:
            return left.sum(0)
        return matrix_product(left.T, xp.concatenate([p.right for p in products]))


def matrix_product(a, b):
    """a @ b for two matrices through ``dot``: BLAS directly, with less overhead than matmul (~0.5 µs
    a call), and NumPy's matmul does not call BLAS at all when the inner dimension is 1 (an outer
    product, a weight's term at batch size 1), and is then ~10× slower."""
    return array_module(a).dot(a, b)


class PendingSum:
    """A running sum whose weight-gradient terms (DeferredProducts) wait to be multiplied all at once."""

    __slots__ = ("dense", "products")

    def __init__(self, first: Any) -> None:
        self.dense, self.products = None, []
        self.add(first)

    def add(self, gradient: Any) -> None:
        if type(gradient) is DeferredProduct:
            self.products.append(gradient)
        else:
            self.dense = gradient if self.dense is None else self.dense + gradient

    def total(self) -> Any:
        total = DeferredProduct.sum(self.products) if self.products else None
        return self.dense if total is None else (total if self.dense is None else total + self.dense)


class DeferredGradientTable(GradientTable):
    """The engine's gradient table with deferred products and running sums in place (see the
    module docstring). Terms kept one by one are kept as the plain table keeps them, a DeferredProduct
    multiplied out one step at a time."""

    def __init__(self, record: bool = False, itemize: Any = None) -> None:
        super().__init__(record, itemize)
        self.owned: set[Any] = set()  # vertices whose total is a sum made here (no one else holds it)

    def is_fresh(self, vertex: Any) -> bool:
        """A sum this table made is stored in ``.grad`` without a copy (the plain table always copies)."""
        return vertex in self.owned and not self.record

    def add(self, vertex: Any, term: Any, scope: Scope, of: Any = None) -> None:
        if self.record or vertex is self.itemize:
            self._add_per_step(vertex, term, scope, of)
            return
        running_sum = self.totals.get(vertex)
        if running_sum is None:  # the first: held as it is (it may be an array another vertex holds too)
            self.totals[vertex] = term
            if type(term) is DeferredProduct:  # it will be multiplied out into a new array
                self.owned.add(vertex)
        elif type(term) is DeferredProduct or type(running_sum) in (DeferredProduct, PendingSum):
            if type(running_sum) is not PendingSum:
                running_sum = self.totals[vertex] = PendingSum(running_sum)
            running_sum.add(term)
            self.owned.add(vertex)
        elif vertex in self.owned:
            self._add_in_place(vertex, term)
        else:  # the second: a new array, this table's own from now on
            self.totals[vertex] = running_sum + term
            self.owned.add(vertex)

    def _add_per_step(self, vertex: Any, term: Any, scope: Scope, of: Any) -> None:
        """Keep the term one by one; a DeferredProduct is made into one term per step it names, each in its
        step's scope (on Tensors, in a recorded backward, recorded in its step)."""
        if type(term) is not DeferredProduct:
            return super().add(vertex, term, scope, of)
        recorded = isinstance(term.left, TensorBase)
        for block, step in term.blocks():
            step_scope = scope + (step,) if step else scope
            with recording_gradient(step_scope, of=of) if recorded else nullcontext():
                super().add(vertex, term.block(block).materialize(), step_scope, of)

    def pop(self, vertex: Any, scope: Scope) -> Any:
        running_sum = self.totals.pop(vertex, None)
        if running_sum is None:
            return super().pop(vertex, scope) if vertex in self.terms else None
        kind = type(running_sum)  # (inline: a call per tensor would cost more than the rest of this)
        if kind is PendingSum:
            return running_sum.total()
        return running_sum.materialize() if kind is DeferredProduct else running_sum

    def _add_in_place(self, vertex: Any, gradient: Any) -> None:
        """The running sum += gradient, allowed only into a sum this table made (the in-place rule)."""
        if vertex not in self.owned:
            raise GraphError("gradient table: refusing to add in place into a gradient it did not make (another "
                             "tensor may hold the same array); add a new array instead")
        running_sum = self.totals[vertex]
        running_sum += gradient
        self.totals[vertex] = running_sum  # (a NumPy scalar, from a reduction, is added to as a new object)


def deferred_weight_terms(grad_rows, x_rows, need_weight: bool, need_bias: bool):
    """``linear``'s weight and bias terms as DeferredProducts, for the table to multiply out with the other
    steps' (arrays: a recorded backward's Tensors, and under ``detect_anomaly``, which checks each term)."""
    if isinstance(grad_rows, TensorBase) or STATE.anomaly:
        return plain_weight_terms(grad_rows, x_rows, need_weight, need_bias)
    return ((DeferredProduct(grad_rows, x_rows) if need_weight else None),
            (DeferredProduct(grad_rows) if need_bias else None))


def handed_over(term: DeferredProduct) -> Any:
    """A term as the installed table takes it: a DeferredProduct where this table is installed, multiplied
    out where the plain one is (which adds arrays). For a fused layer's backward, which builds its
    weight's term of all steps as one DeferredProduct whatever table runs."""
    return term if installed() else term.materialize()


def install() -> None:
    """Put the deferred table in the engine, and deferred terms in ``linear``'s backward."""
    engine.GRADIENT_TABLE, linalg.weight_terms = DeferredGradientTable, deferred_weight_terms


def uninstall() -> None:
    """Back to the plain path: the engine's own table, ``linear``'s terms as arrays."""
    engine.GRADIENT_TABLE, linalg.weight_terms = GradientTable, plain_weight_terms


def installed() -> bool:
    """Whether this table is the engine's now (asked by every fused layer's backward: no import here)."""
    return engine.GRADIENT_TABLE is DeferredGradientTable
