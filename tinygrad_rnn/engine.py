"""The graph engine: reverse-mode differentiation over the recorded graph, in two stages.

1. **Order** (:func:`ops_in_order`). List every op the outputs depend on, each after the ops that
   computed its inputs (a topological order): the ops found with an explicit stack (no recursion:
   100,000 ops are no problem), sorted by the order they were recorded (``sequence_nr``). The
   graph's vertices are the computed tensors' :class:`~tinygrad_rnn.function.Node` records and the
   leaf tensors themselves; "tensor" below means either.
2. **Walk** (:func:`backpropagate`). Visit that list from the outputs back to the inputs. At each
   op, take the total each of its tensors received, call the op's backward, and send one term to
   each input: the :class:`GradientTable` adds it to that input's total with ``+``. Where a value
   branches out, the gradients of its uses add up (the multivariable chain rule); for a weight
   shared by every time step this is the lecture's ∂J/∂W = Σ_t ∂J/∂W|_(t): the first term to arrive
   (the last step's, t=T) is stored, each later one added, T − 1 ``+`` for T steps.
   (fast/ replaces this table when the package is imported, unless ``TINYGRAD_RNN_FAST=0``: then
   each step's term, all T, arrives at that ``+``'s line as an array, where a breakpoint sees it.)
   At each tensor it reaches, the walk **delivers** that tensor's total (:func:`_deliver`): taken
   from the table, it goes into the tensor's ``.grad`` if it is a leaf (``Tensor.backward``) or is
   kept to be returned (:func:`grad`), and flows on into the op that made it.
   :func:`grad_contributions` also returns one tensor's terms one by one, with the scope of the use
   each came from.

Gradients are plain arrays in a backward pass, and Tensors when ``create_graph=True`` records it
(then a tensor's total is one recorded Σ op, ``add_n``, with one input per use).
``tinygrad_rnn.fast.gradient_table`` replaces the table at one seam (:data:`GRADIENT_TABLE`): a
weight's terms are multiplied out as one matrix product, as a hand-written BPTT does.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .conversion import gradient_array, to_array
from .device import array_module
from .errors import GraphError, ShapeError, describe, grad_count_error, gradient_error, raise_backward_contract_error
from .function import Function, Node
from .hooks import run_hooks
from .inplace import check_saved_unchanged
from .ops import add_n, cast
from .ops.elementwise import Broadcasting
from .ops.reduce import sum_to
from .recording import STATE, check_finite, recording_gradient
from .tensor_base import TensorBase

if TYPE_CHECKING:
    from .tensor import Tensor

Scope = tuple[str, ...]


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of every leaf they depend on.

    ``Tensor.backward`` calls this; see it for the arguments.

    >>> import tinygrad_rnn as tr
    >>> x = tr.tensor([1.0, 2.0], requires_grad=True)
    >>> backward((x * x).sum())
    >>> x.grad
    tensor([2., 4.])
    """
    seeds = _seeds(tensors, grad_tensors, create_graph)
    backpropagate(seeds, targets=None, create_graph=create_graph, retain_graph=retain_graph)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor], grad_outputs: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to each of ``inputs``, as a tuple (PyTorch's
    ``torch.autograd.grad``). ``.grad`` attributes are left untouched.

    With ``create_graph=True`` the gradients are Tensors with their own recorded graph: draw
    them, or differentiate them again (Hessian-vector products, gradient penalties).

    >>> import tinygrad_rnn as tr
    >>> x = tr.tensor(3.0, requires_grad=True)
    >>> (dy_dx,) = grad(x ** 3, x, create_graph=True)    # 3x² = 27
    >>> (d2y_dx2,) = grad(dy_dx, x)                      # 6x = 18
    >>> dy_dx.item(), d2y_dx2.item()
    (27.0, 18.0)
    """
    inputs = as_tuple(inputs)
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Node) and (not isinstance(tensor, TensorBase) or not tensor.requires_grad):
            raise GraphError(f"grad: input {position} ({describe(tensor)}) does not require grad, so it has no "
                             "gradient. Create it with requires_grad=True or call .requires_grad_() on it.")
    seeds = _seeds(outputs, grad_outputs, create_graph)
    results, _ = backpropagate(seeds, targets=inputs, create_graph=create_graph, retain_graph=retain_graph)
    result = []
    for position, tensor in enumerate(inputs):
        total = results.get(vertex_of(tensor))
        if total is None and not allow_unused:
            raise GraphError(f"grad: input {position} ({describe(tensor)}) was not used to compute the outputs. "
                             "Pass allow_unused=True to get None for it.")
        result.append(None if total is None else _as_tensor(total, tensor, create_graph))
    return tuple(result)


def grad_contributions(output: Tensor, tensor: Tensor, retain_graph: bool = True, create_graph: bool = False,
                       allow_unused: bool = False) -> list[tuple[Scope, Tensor]]:
    """One ``(scope, gradient)`` pair per use of ``tensor`` in the graph of ``output``.

    Each gradient is what flowed back through that one use; the scope says where the use was
    (e.g. ``("RNN", "layer 0", "forward", "t=3")``). Their sum is the total gradient: for a weight
    reused at every time step this is ∂J/∂W = Σ_t ∂J/∂W|_(t), term by term. The graph is kept
    (``retain_graph=True``) so that ``output.backward()`` can still follow. A ``tensor`` the
    output does not depend on is an error, as in :func:`grad`; ``allow_unused=True`` gives ``[]``.

    >>> import tinygrad_rnn as tr
    >>> w = tr.tensor(2.0, requires_grad=True)
    >>> with tr.scope("t=1"):
    ...     h1 = w * 1.0
    >>> with tr.scope("t=2"):
    ...     h2 = w * h1            # w is used once per step
    >>> [(s, g.item()) for s, g in grad_contributions(h2, w)]
    [(('t=2',), 2.0), (('t=1',), 2.0)]
    """
    if not isinstance(tensor, TensorBase) or not tensor.requires_grad:
        raise GraphError(f"grad_contributions: {describe(tensor)} does not require grad.")
    seeds = _seeds(output, None, create_graph)
    _, terms = backpropagate(seeds, targets=(tensor,), create_graph=create_graph, retain_graph=retain_graph,
                              itemize=tensor)
    if not terms and not allow_unused:
        raise GraphError(f"grad_contributions: {describe(tensor)} was not used to compute the output, so no "
                         "gradient flows to it. Pass allow_unused=True to get [] for it.")
    return [(scope, _as_tensor(gradient, tensor, create_graph)) for scope, gradient in terms]


# ---------------------------------------------------------------------------------------------


def vertex_of(tensor: Tensor | Node) -> Any:
    """The graph vertex standing for a tensor: the Node of a computed tensor, a leaf itself.
    (Drawings ask for gradients of vertices directly: a Node stands for itself.)

    >>> import tinygrad_rnn as tr
    >>> w = tr.ones(2, requires_grad=True)
    >>> vertex_of(w) is w, vertex_of(w * 2)
    (True, <Node of mul, shape (2,)>)
    """
    return tensor if isinstance(tensor, Node) or tensor._node is None else tensor._node


def ops_in_order(outputs: Sequence[Any], freed: bool = False) -> tuple[list[Any], dict[Function, Any]]:
    """The leaves that ``outputs`` depend on, and every op they depend on — an op after the ops that
    made its inputs — each with its output that the graph reached (for an op with several outputs,
    the list of those reached).

    Each op knows its place in the order ops were recorded (``Function.sequence_nr``), and an op
    is always recorded after the ops that made its inputs, so sorting the ops found by it puts every
    op after those it depends on (PyTorch's engine orders its ready ops by the same number). Finding
    them is a search with an explicit stack, never recursion. An op with several outputs (unbind, a
    fused cell) comes once, with all of its outputs that were reached: every op that used any of
    them was recorded later, so walking back in reverse order, every gradient they will receive has
    arrived when it comes.

    The order holds no object per op (a list of one vertex, a pair), only the op and its vertex:
    each container alive until the walk ends is one more for Python's garbage collector to visit,
    and those two cost ≈ 5% of a recorded op's instructions (docs/benchmarks.md, the per-op round).

    >>> import tinygrad_rnn as tr
    >>> w = tr.tensor([1.0, 2.0], requires_grad=True, name="w")
    >>> first, second = (w * 2).unbind(0)
    >>> leaves, ops = ops_in_order([vertex_of(first + second)])
    >>> leaves == [w], [(op.name, reached) for op, reached in ops.items()]  # doctest: +NORMALIZE_WHITESPACE
    (True, [('mul', <Node of mul, shape (2,)>),
            ('unbind', [<Node of unbind, shape ()>, <Node of unbind, shape ()>]),
            ('add', <Node of add, shape ()>)])
    """
    found, stack = set(outputs), list(outputs)
    leaves: list[Any] = []
    reached: dict[Function, Any] = {}  # op → its output the walk reached (several outputs: a list of them)
    while stack:
        vertex = stack.pop()
        function = vertex.grad_fn
        if function is None:
            leaves.append(vertex)
        elif function in reached:  # another output of an op with several, already walked
            reached[function].append(vertex)
        else:
            reached[function] = [vertex] if function.multiple_outputs else vertex
            if function.released and not freed:  # (``freed``, for the drawings: they read the structure only)
                raise GraphError(f"backward through the graph a second time: the graph of {function.name} (and the "
                                 "arrays it saved) was freed by the first backward. Pass retain_graph=True to the "
                                 "first backward() or grad() call to keep it.")
            for parent, needs_grad in zip(function.parents, function.needs_input_grad):
                if needs_grad and parent not in found:
                    found.add(parent)
                    stack.append(parent)
    return leaves, {function: reached[function] for function in sorted(reached, key=operator.attrgetter("sequence_nr"))}


class GradientTable:
    """What the walk has received for each vertex and not yet used (Chainer's ``GradTable``).

    Each use of a tensor sends it one term; :meth:`add` adds the term to the tensor's total with
    ``+`` — the multivariable chain rule, ∂J/∂x = Σ over the uses of x, and for a weight shared by
    every time step ∂J/∂W = Σ_t ∂J/∂W|_(t). Where terms are to be shown they are kept one by one,
    with the scope of the use each came from: every tensor's when recording (``record``:
    ``create_graph=True``; the total is then one recorded Σ op, ``add_n``), and the one tensor
    ``grad_contributions`` asks for (``itemize``), returned as :attr:`itemized`.

    This is the plain table; ``tinygrad_rnn.fast.gradient_table`` installs one that defers a
    weight's terms into one matrix product (:data:`GRADIENT_TABLE` is the seam).

    >>> import numpy as np
    >>> table = GradientTable()
    >>> table.add("x", np.ones(2), ()); table.add("x", np.ones(2), ())
    >>> table.pop("x", ()).tolist()
    [2.0, 2.0]
    """

    def __init__(self, record: bool = False, itemize: Any = None) -> None:
        self.totals: dict[Any, Any] = {}  # vertex → the sum of the terms it received so far
        self.terms: dict[Any, list[tuple[Scope, Any]]] = {}  # vertex → its terms, kept one by one
        self.record, self.itemize = record, itemize
        self.itemized: list[tuple[Scope, Any]] = []  # the terms of ``itemize``, once taken

    def add(self, vertex: Any, term: Any, scope: Scope, of: Function | None = None) -> None:
        """One use's term of ``vertex``'s gradient, sent from ``scope`` by the backward of ``of``
        (``of``: for fast/, whose table reads it; this one does not).

        By default the ``+`` below never runs: fast/'s table (``DeferredGradientTable``), installed on
        import, sums every term itself; it calls this ``add`` only for terms kept one by one
        (``grad_contributions``, ``create_graph``), which reach the ``append`` line as arrays. With
        ``TINYGRAD_RNN_FAST=0`` (or ``fast.uninstall()``) every step's term of a shared weight, all T,
        reaches the ``+`` as an array: the first stored as it is, each later one added (T − 1 ``+``)."""
        if self.record or vertex is self.itemize:
            self.terms.setdefault(vertex, []).append((scope, term))
        else:  # ∂J/∂x = Σ over the uses of x: every term passes the next line (by default it never runs: see above)
            self.totals[vertex] = self.totals[vertex] + term if vertex in self.totals else term

    def pop(self, vertex: Any, scope: Scope) -> Any:
        """``vertex``'s total, removed from the table (None if nothing reached it); a recorded Σ is
        placed in ``scope``, the scope of the op that made the vertex."""
        terms = self.terms.pop(vertex, None)
        if terms is None:
            return self.totals.pop(vertex, None)
        if vertex is self.itemize:
            self.itemized = terms
        if len(terms) == 1:
            return terms[0][1]
        # Terms kept one by one (create_graph, grad_contributions) are summed here, once: add_n is
        # their + (a recorded Σ op when recording), not the + in add above.
        with recording_gradient(scope) if self.record else contextlib.nullcontext():  # (one op when recording)
            return add_n(*[term for _, term in terms])

    def is_fresh(self, vertex: Any) -> bool:
        """Whether ``vertex``'s total (taken last) is an array no one else holds, so ``.grad`` may store
        it without a copy. Here never: one copy is simpler than tracking which sums the table made
        (``fast.gradient_table``'s table tracks them, and skips the copy)."""
        return False


# The seam tinygrad_rnn.fast.gradient_table installs its table at (install() / uninstall()).
GRADIENT_TABLE: type[GradientTable] = GradientTable


def backpropagate(seeds: list[tuple[Tensor, Any]], targets: tuple[Tensor, ...] | None,
                  create_graph: bool, retain_graph: bool | None,
                  itemize: Tensor | None = None) -> tuple[dict[Any, Any], list[tuple[Scope, Any]]]:
    """The walk back (stage 2 above, delivering as it goes) from ``seeds`` (each output with the gradient
    it starts with), for every caller: ``backward()`` (``targets=None``: totals go into ``.grad``), ``grad()``
    (the targets' totals are returned, by vertex: ``results``) and ``grad_contributions()`` (``itemize``: that
    tensor's terms are returned too). Gradients are plain arrays, or Tensors when ``create_graph``
    is set: each op's backward is then recorded, so the gradient is itself a graph to differentiate
    again. The graph is kept if ``retain_graph`` (None: if ``create_graph``)."""
    retain_graph = create_graph if retain_graph is None else retain_graph
    leaves, ops = ops_in_order([vertex_of(output) for output, _ in seeds])
    wanted, needed = _wanted_and_needed(ops, targets)
    table = GRADIENT_TABLE(record=create_graph, itemize=None if itemize is None else vertex_of(itemize))
    for output, seed in seeds:
        table.add(vertex_of(output), seed, ())
    # grad()'s results: each target's total (the table holds the running sums); each term checked (its values, type
    # and dtype) in anomaly mode and when recording (a recorded backward returns Tensors), else shape and dtype only
    results, check_each_term = {}, STATE.anomaly or create_graph
    for function, reached in reversed(ops.items()):  # reached: its output's vertex (several outputs: a list)
        if function.multiple_outputs:  # one gradient per output, None for one that none reached
            output_grad, reached = _deliver_outputs(function, reached, table, wanted, results, create_graph)
        else:  # ∂J/∂out: the total the op's one output received
            output_grad = _deliver(reached, table, function.scope, wanted, results, create_graph)
        if output_grad is None:  # no gradient reached this op
            continue
        if STATE.writes != function.recorded_at:  # something was written in place since it was recorded
            check_saved_unchanged(function)
        try:  # (free until raised) a backward that breaks the op contract (its call, what it reads) is named
            if create_graph:  # the backward recorded, each saved array back in its place in the graph
                with recording_gradient(function.scope, of=function):
                    terms = function.backward(output_grad, *function.recorded_arguments(reached))
            else:
                terms = function.backward(output_grad, function.saved_output, *function.saved_inputs)  # (values)
        except (TypeError, AttributeError, ValueError) as error:  # (only the call: not the table's errors below)
            raise_backward_contract_error(function, error, create_graph)
        # terms: one gradient per input (the op contract, function.py), each one term of that input's total
        terms = terms if type(terms) is tuple else (terms,)  # an op with one input returns its one term
        if len(terms) != len(function.parents):  # zip below would drop the extra ones without a word
            raise grad_count_error(function, terms)
        for parent, term, needs_grad in zip(function.parents, terms, function.needs_input_grad):  # (the edges)
            if needs_grad and (needed is None or parent in needed):  # (None, a list, a number: no .shape: named below)
                if getattr(term, "shape", None) != parent.shape or term.dtype is not parent.dtype or check_each_term:
                    term = _fitted_to_input(function, parent, term, create_graph)
                # ∂J/∂parent += term: the table adds with + (fast/'s table unless TINYGRAD_RNN_FAST=0)
                table.add(parent, term, function.scope, function)
        if not retain_graph:
            function.release()
    for leaf in reversed(leaves):  # last, the leaves: each total goes into its .grad (or to grad()'s caller)
        _deliver(leaf, table, (), wanted, results, create_graph)
    return results, table.itemized


def _deliver(vertex: Any, table: GradientTable, scope: Scope, wanted: set[Any] | None,
             results: dict[Any, Any], create_graph: bool) -> Any:
    """Called by the walk at each vertex it reaches: take ``vertex``'s total from the table and
    deliver it, through its hooks (which may replace it), into ``.grad`` (a leaf, or a tensor that
    called ``retain_grad()``) or, for ``grad()``, into ``results`` if it is a target. Returns the
    total, which the walk hands on to the backward of the op that made the vertex."""
    total = table.pop(vertex, scope)
    if total is None:
        return None
    hooks = vertex._backward_hooks  # Tensor.register_hook: they may replace the total
    if hooks:
        total = run_hooks(hooks, total, create_graph)
    if wanted is None:
        if isinstance(vertex, TensorBase) or vertex.retained is not None:
            _accumulate_into_grad(vertex, total, create_graph, fresh=not hooks and table.is_fresh(vertex))
    elif vertex in wanted:
        results[vertex] = total
    return total


def _deliver_outputs(function: Function, vertices: list[Any], table: GradientTable, wanted: set[Any] | None,
                     results: dict[Any, Any], create_graph: bool) -> tuple[Any, tuple]:
    """:func:`_deliver` for an op with several outputs: (the gradient of each output, None for one
    that none reached, or None if none did; the vertex of each output the graph reached, by output)."""
    grads, nodes = [None] * function.n_outputs, [None] * function.n_outputs
    for vertex in vertices:
        grads[vertex.output_index] = _deliver(vertex, table, function.scope, wanted, results, create_graph)
        nodes[vertex.output_index] = vertex
    return (None, ()) if all(grad is None for grad in grads) else (tuple(grads), tuple(nodes))


def _accumulate_into_grad(vertex: Any, total: Any, create_graph: bool, fresh: bool = False) -> None:
    """``tensor.grad += total``, as PyTorch does: gradients add up across backward calls.
    ``vertex`` is a leaf, or the Node of a tensor that asked for it with ``retain_grad()``.

    Without create_graph the stored array is a fresh copy: ``total`` may be the very array that
    another leaf also received (``a + b`` hands both the same gradient), and an in-place update
    of one ``.grad`` (gradient clipping) must never change another. No copy is needed when the
    table made ``total`` itself (``fresh``: a sum of several terms that ``fast.gradient_table``'s
    table made and reports; the plain table never does).
    """
    tensor = vertex if isinstance(vertex, TensorBase) else vertex.retained()
    if tensor is None:  # a retained tensor nobody holds any more: nobody can read its .grad
        return
    if create_graph:
        total = _as_tensor(total, tensor, create_graph)
        tensor.grad = total if tensor.grad is None else tensor.grad + total
        return
    total = total if type(total) is type(tensor.array) else gradient_array(total, tensor)  # (as a rule an array)
    # (``_grad``: the attribute behind .grad, whose getter also checks for a computed tensor)
    if tensor._grad is not None:  # a later backward: its total added, into a new array
        total = tensor._grad.array + total
    elif not fresh:  # the first: a copy, .grad's own, as ``total`` may be another leaf's too
        total = total.copy()
    tensor._grad = TensorBase._make(total)


def _fitted_to_input(function: Function, expected: Any, term: Any, create_graph: bool = False) -> Any:
    """One ``term`` of an input's gradient fitted to that input, ``expected``: a
    :class:`~tinygrad_rnn.ops.elementwise.Broadcasting` op's, at the output's shape, summed back to
    the input's shape (``sum_to``), and cast to the input's dtype — so this changes the gradient,
    not only checks it. Any other wrong shape is a bug in that op's backward: an error; so is a term
    of no floating dtype (a mask, a count), and an array where a recorded backward (``create_graph``)
    returns Tensors, or a Tensor where a plain one returns arrays; under
    :func:`~tinygrad_rnn.detect_anomaly`, values must be finite. Called when one of these is in
    question: for every term in anomaly mode and when recording, else when the walk's cheap inline
    test of shape and dtype fails. With ``create_graph`` the sum and the
    cast are recorded as part of the op's backward, as its rule is (its scope, its step)."""
    with recording_gradient(function.scope, of=function) if create_graph else contextlib.nullcontext():
        if not hasattr(term, "shape"):  # None for an input that needs a gradient, a list, a number
            raise gradient_error(function, term, expected, create_graph)
        if term.shape != expected.shape and isinstance(function, Broadcasting):  # the input was broadcast:
            term = sum_to(term, expected.shape)  # used once per copy, the gradients of its copies add up
        wrong_kind = array_module(term).ndarray if create_graph else TensorBase  # (fast/'s products are neither)
        if term.shape != expected.shape or term.dtype.kind != "f" or isinstance(term, wrong_kind):
            raise gradient_error(function, term, expected, create_graph)  # (which of the three: errors.py)
        if STATE.anomaly:  # checked now, term by term: a NaN is reported at the op that made it
            check_finite(term.array if create_graph else term, f"backward of {function.name}", function.scope)
        return cast(term, expected.dtype) if term.dtype != expected.dtype else term


def _wanted_and_needed(ops: dict[Function, Any],
                       targets: tuple[Tensor, ...] | None) -> tuple[set[Any] | None, set[Any] | None]:
    """The targets' vertices, and the vertices whose gradient is needed: a target, or on a path to
    one (None and None: every vertex's, for ``backward()``)."""
    if targets is None:
        return None, None
    wanted = {vertex_of(t) for t in targets}
    needed = set(wanted)
    for function, reached in ops.items():  # inputs come first, so each op sees its inputs' verdicts
        # (only inputs needing grad are vertices: a constant input may be an array, unhashable)
        if any(needs and parent in needed for parent, needs in zip(function.parents, function.needs_input_grad)):
            needed.update(reached if function.multiple_outputs else (reached,))
    return wanted, needed


def _seeds(outputs: Tensor | Sequence[Tensor], grad_outputs: Any, create_graph: bool) -> list[tuple[Tensor, Any]]:
    """Each output with the gradient it starts with: given, or 1 for a scalar output."""
    outputs = as_tuple(outputs)
    if grad_outputs is None or hasattr(grad_outputs, "shape"):  # one gradient (a Tensor or an array), or none
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise GraphError(f"backward: got {len(outputs)} outputs but {len(grad_outputs)} gradients")
    seeds = []
    for output, seed in zip(outputs, grad_outputs):
        if not isinstance(output, TensorBase) or not output.requires_grad:
            raise GraphError(f"backward: {describe(output)} does not require grad and has no graph: nothing it was "
                             "computed from has requires_grad=True (or it was made under no_grad()).")
        if seed is None:
            if output.array.size != 1:
                raise GraphError(f"backward: the output has shape {tuple(output.shape)}; a gradient can be created "
                                 "implicitly only for a scalar output. Reduce it first (e.g. .sum() or .mean()) or "
                                 "pass gradient=<tensor of the same shape>.")
            seed = TensorBase._make(output.device.xp.ones_like(output.array))
        elif not isinstance(seed, TensorBase):
            seed = TensorBase._make(to_array(seed, output.dtype, output.device))
        if tuple(seed.shape) != tuple(output.shape):
            raise ShapeError(f"backward: gradient of shape {tuple(seed.shape)} given for an output of shape "
                             f"{tuple(output.shape)}; they must match.")
        if seed.device != output.device:
            raise GraphError(f"backward: gradient is on {seed.device} but the output is on {output.device}")
        seeds.append((output, seed if create_graph else seed.array))
    return seeds


def as_tuple(tensors: Tensor | Sequence[Tensor]) -> tuple:
    """One tensor or several, as a tuple: how ``backward``, ``grad`` and the gradient checks take outputs.

    >>> import tinygrad_rnn as tr
    >>> len(as_tuple(tr.ones(2))), len(as_tuple([tr.ones(2), tr.ones(3)]))
    (1, 2)
    """
    return (tensors,) if isinstance(tensors, TensorBase) else tuple(tensors)


def _as_tensor(value: Any, tensor: Any, create_graph: bool) -> Tensor:
    """A gradient delivered to ``tensor`` (``grad()``'s and ``grad_contributions()``'s results), as a Tensor: a
    recorded one as it is; a plain backward's array wrapped, a NumPy scalar (from a reduction) made 0-d first, and
    a Tensor there an error (:func:`~tinygrad_rnn.conversion.gradient_array`, the check every delivery passes)."""
    return value if create_graph and isinstance(value, TensorBase) else TensorBase._make(gradient_array(value, tensor))
