"""The gradient table: what the backward walk has received for each tensor, and how it adds up.

The walk (engine.py) hands every gradient contribution to :meth:`GradientTable.add` and, when it
reaches a tensor, takes its total with :meth:`GradientTable.take`. Everything that makes that
fast, and the rules that keep it right, live here and nowhere else:

* **Running sums.** A tensor used at 1,000 steps holds one running sum, not 1,000 arrays.
* **The in-place rule.** A contribution may be an array that other tensors also received (the
  backward of ``a + b`` hands both the same array), so the first one is held as it is and the
  second makes a new array; only a sum this table made itself (:attr:`owned`) grows in place.
  :meth:`_add_in_place` refuses any other.
* **Deferred products.** A weight's term from a ``linear`` or a fused cell arrives as a
  :class:`~tinygrad_rnn.ops.linalg.Product` (gradᵀ x, not yet multiplied); the terms of a weight
  used at every step wait in a :class:`PendingSum` and are multiplied out as one matrix product
  when the weight's total is taken — ∂J/∂W = Σ_t δ_tᵀ x_t as one BLAS call, as a hand-written
  BPTT does it.
* **Terms kept one by one** (:class:`TermTable`), with the scope of the use each came from, where
  they will be shown: with ``record=True`` (``create_graph``) every tensor's total is one recorded
  Σ (``add_n``) node with one input per use; ``itemize`` names the one tensor whose terms
  ``grad_contributions`` returns.

A fused layer (one node for a whole sequence, ``ops/fused_layer.py``) hands over its weight's
term of all steps as one Product that names its steps; where terms are kept one by one it is
split into each step's term, with the step's scope, as the per-step path would have sent them
(on Tensors, in a recorded backward, each step's term recorded in its step's scope).

>>> import numpy as np
>>> table = GradientTable()
>>> shared = np.ones(2)
>>> table.add("x", shared); table.add("x", shared)   # two uses of x: the second makes a new array
>>> table.take("x").tolist(), shared.tolist()       # the array another tensor holds is untouched
([2.0, 2.0], [1.0, 1.0])
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from .errors import GraphError
from .function import _recording_gradient
from .ops.linalg import Product
from .tensor import Tensor

Scope = tuple[str, ...]


class GradientTable:
    """The gradients received so far, by graph vertex, as running sums (see the module
    docstring): what a training step's ``backward()`` needs. :class:`TermTable` keeps terms too.
    """

    __slots__ = ("sums", "owned")
    itemized: tuple = ()  # no terms kept (see TermTable)

    def __init__(self) -> None:
        self.sums: dict[Any, Any] = {}  # vertex → its running sum: an array, a Product, or a PendingSum
        self.owned: set[Any] = set()  # vertices whose running sum this table made: only those grow in place

    def add(self, vertex: Any, gradient: Any, scope: Scope = (), of: Any = None) -> None:
        """One contribution to ``vertex``'s gradient, from a use in ``scope`` (by the backward of op ``of``)."""
        running_sum = self.sums.get(vertex)
        if running_sum is None:  # the first: held as it is (it may be an array another vertex holds too)
            self.sums[vertex] = gradient
            if type(gradient) is Product:  # it will be multiplied out into a new array
                self.owned.add(vertex)
        elif type(gradient) is Product or type(running_sum) in (Product, PendingSum):
            if type(running_sum) is not PendingSum:
                running_sum = self.sums[vertex] = PendingSum(running_sum)
            running_sum.add(gradient)
            self.owned.add(vertex)
        elif vertex in self.owned:
            self._add_in_place(vertex, gradient)
        else:  # the second: a new array, this table's own from now on
            self.sums[vertex] = running_sum + gradient
            self.owned.add(vertex)

    def take(self, vertex: Any, scope: Scope = ()) -> Any:
        """``vertex``'s total, removed from the table (None if nothing reached it)."""
        running_sum = self.sums.pop(vertex, None)
        return None if running_sum is None else resolved(running_sum)

    def made(self, vertex: Any) -> bool:
        """Whether the table made ``vertex``'s total itself (a sum, a product multiplied out): then
        nobody else holds that array, and it may be stored without a copy."""
        return vertex in self.owned

    def _add_in_place(self, vertex: Any, gradient: Any) -> None:
        """The running sum += gradient, allowed only into a sum this table made (the in-place rule)."""
        if vertex not in self.owned:
            raise GraphError("gradient table: refusing to add in place into a gradient it did not make (another "
                             "tensor may hold the same array); add a new array instead")
        running_sum = self.sums[vertex]
        running_sum += gradient
        self.sums[vertex] = running_sum  # (a NumPy scalar, from a reduction, is added to as a new object)


class TermTable(GradientTable):
    """A gradient table that also keeps contributions one by one, with the scope of the use each
    came from, where they will be shown. ``record`` (``create_graph=True``): every tensor's, and
    its total is one recorded Σ node with one input per use; ``itemize``: that one tensor's
    (``grad_contributions``), returned by :attr:`itemized` once its total is taken. The other
    tensors' contributions go into running sums as in the plain table.
    """

    __slots__ = ("record", "itemize", "terms", "itemized")

    def __init__(self, record: bool = False, itemize: Any = None) -> None:
        super().__init__()
        self.record, self.itemize = record, itemize
        self.terms: dict[Any, list[tuple[Scope, Any]]] = {}  # vertex → its terms kept one by one, with their scopes
        self.itemized: list[tuple[Scope, Any]] = []  # the terms of ``itemize``, once taken

    def add(self, vertex: Any, gradient: Any, scope: Scope = (), of: Any = None) -> None:
        if not (self.record or vertex is self.itemize):
            return super().add(vertex, gradient, scope)
        terms = self.terms.setdefault(vertex, [])
        if type(gradient) is not Product:
            terms.append((scope, gradient))
            return
        recorded = isinstance(gradient.left, Tensor)  # a fused layer's term in a recorded backward (create_graph)
        for block, step in gradient.blocks():  # a term that will be shown is made, one per step
            step_scope = scope + (step,) if step else scope
            with _recording_gradient(step_scope, of=of) if recorded else nullcontext():  # (recorded in its step)
                terms.append((step_scope, gradient.block(block).materialize()))

    def take(self, vertex: Any, scope: Scope = ()) -> Any:
        """``vertex``'s total: its kept terms (and running sum) summed — by one Σ node, placed in
        ``scope``, when recording."""
        kept = self.terms.pop(vertex, None)
        if kept is None:
            return super().take(vertex, scope)
        running_sum = self.sums.pop(vertex, None)
        if running_sum is not None:
            kept.append(((), resolved(running_sum)))
        if vertex is self.itemize:
            self.itemized = list(kept)
        return sum_of_terms(kept, self.record, scope)


class PendingSum:
    """A running sum whose weight-gradient terms (Products) wait to be multiplied all at once."""

    __slots__ = ("dense", "products")

    def __init__(self, first: Any) -> None:
        self.dense, self.products = None, []
        self.add(first)

    def add(self, gradient: Any) -> None:
        if type(gradient) is Product:
            self.products.append(gradient)
        else:
            self.dense = gradient if self.dense is None else self.dense + gradient

    def total(self) -> Any:
        total = Product.sum(self.products) if self.products else None
        return self.dense if total is None else (total if self.dense is None else total + self.dense)


def resolved(gradient: Any) -> Any:
    """A running sum as an array: Products multiplied out, pending terms summed."""
    if type(gradient) is PendingSum:
        return gradient.total()
    return gradient.materialize() if type(gradient) is Product else gradient


def sum_of_terms(terms: list[tuple[Scope, Any]], record: bool, scope: Scope) -> Any:
    """The sum of the terms kept one by one (∂J/∂x = Σ over the uses of x). Recorded, the sum is
    one add_n node, placed in the scope of the tensor it is the gradient of."""
    if len(terms) == 1:
        return terms[0][1]
    if record:
        from .ops import add_n

        with _recording_gradient(scope):
            return add_n(*[gradient for _, gradient in terms])
    total = terms[0][1]
    for _, gradient in terms[1:]:
        total = total + gradient
    return total
