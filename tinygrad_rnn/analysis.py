"""Seeing backpropagation through time: gradient norms per step, Jacobian norms, and the per-step
terms of a shared weight's gradient. Every result is a NumPy array, ready to plot.

The hidden states to analyse are the tensors the recurrence actually carries: a layer keeps those
of its last call in ``layer.hidden_states[layer * D + direction]`` (h_1 … h_T, in time order); a
hand-written loop simply collects them in a list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy

from .engine import grad, grad_contributions
from .errors import GraphError
from .nn.recurrent import FUSED_LAYER_STATE
from .steps import Chain, loop_name, step_number, step_of
from .tensor import Tensor


def hidden_state_gradient_norms(loss: Tensor, hidden_states: Sequence[Tensor]) -> numpy.ndarray:
    """‖∂J/∂h_t‖ (Frobenius norm over the batch and units) for every t.

    The total gradient at h_t: through the loss terms at step t and through every later step.
    For a tanh RNN it shrinks towards early t (the vanishing gradient); an LSTM's cell state
    keeps it alive. The graph is kept, so ``loss.backward()`` can follow.

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 4)
    >>> output, _ = rnn(tr.randn(6, 1, 2))
    >>> hidden_state_gradient_norms(output[-1].sum(), rnn.hidden_states[0]).shape
    (6,)
    """
    gradients = grad(loss, _in_graph(hidden_states, "hidden_state_gradient_norms"), retain_graph=True,
                     allow_unused=True)
    return numpy.array([0.0 if g is None else float(numpy.linalg.norm(g.numpy())) for g in gradients])


def _in_graph(states: Sequence[Tensor], caller: str) -> list[Tensor]:
    """The states as a list, checked to be tensors of the graph: a fused layer node (fused=True)
    records the whole sequence as one node, and shows its steps' states as values only."""
    states = list(states)
    if any(state.name == FUSED_LAYER_STATE for state in states):
        raise GraphError(f"{caller}: these states come from a layer built with fused=True, which records the "
                         "whole sequence as one node: its steps' states are values, not tensors of the graph, "
                         "so they have no gradient. Build the layer with fused='step' (one node per step) or "
                         "fused=False (the primitive cells) to follow the gradient step by step.")
    return states


def jacobians(last_state: Tensor, states: Sequence[Tensor], sample: int = 0) -> list[numpy.ndarray]:
    """∂h_T/∂h_t for every t, as (H_T × H_t) matrices, for batch element ``sample``: row j is the
    gradient of unit j of ``last_state``. It takes one backward pass per unit of ``last_state``, each
    giving row j of every Jacobian at once. A state ``last_state`` does not depend on gives zeros.

    >>> import tinygrad_rnn as tr
    >>> W = tr.tensor([[0.5, 2.0], [0.0, 0.25]])
    >>> h0 = tr.ones(1, 2, requires_grad=True)
    >>> jacobians(h0 @ W.T, [h0])[0].tolist()  # ∂(W h)/∂h = W
    [[0.5, 2.0], [0.0, 0.25]]
    """
    units = last_state.shape[-1]
    rows: list[list[numpy.ndarray]] = [[] for _ in states]
    for unit in range(units):
        selector = numpy.zeros(last_state.shape)
        selector[(sample, unit) if last_state.ndim == 2 else (unit,)] = 1.0
        seed = Tensor(selector, dtype=last_state.dtype, device=last_state.device)
        gradients = grad(last_state, _in_graph(states, "jacobians"), grad_outputs=seed,
                         retain_graph=True, allow_unused=True)
        for t, (state, gradient) in enumerate(zip(states, gradients)):
            row = numpy.zeros(state.shape) if gradient is None else gradient.numpy()
            rows[t].append(row[sample] if row.ndim == 2 else row)
    return [numpy.array(jacobian, dtype=numpy.float64) for jacobian in rows]


def jacobian_norms(last_state: Tensor, hidden_states: Sequence[Tensor], norm: str = "spectral",
                   sample: int = 0) -> numpy.ndarray:
    """‖∂h_T/∂h_t‖ for every t: how much the last state still depends on each earlier one.

    For batch element ``sample``, the Jacobian ∂h_T/∂h_t is a (H × H) matrix (:func:`jacobians`); its
    norm is the largest singular value (``norm="spectral"``, the default) or the Frobenius norm
    (``norm="frobenius"``). In a linear RNN, h_t = W h_{t−1} + x_t, it is ‖W^(T−t)‖, which
    decays or grows like ρ(W)^(T−t), ρ the spectral radius. It takes H backward passes (one per
    unit of h_T), each giving row j of every Jacobian at once.

    >>> import tinygrad_rnn as tr
    >>> W = tr.tensor([[0.5, 0.0], [0.0, 0.25]])
    >>> states = [tr.ones(1, 2, requires_grad=True)]
    >>> for _ in range(3):
    ...     states.append(states[-1] @ W.T)
    >>> jacobian_norms(states[-1], states).round(4).tolist()
    [0.125, 0.25, 0.5, 1.0]
    """
    if norm not in ("spectral", "frobenius"):
        raise ValueError(f"jacobian_norms: norm must be 'spectral' or 'frobenius', got {norm!r}")
    order = 2 if norm == "spectral" else "fro"
    return numpy.array([numpy.linalg.norm(jacobian, ord=order)
                        for jacobian in jacobians(last_state, hidden_states, sample)])


@dataclass
class StepGradients:
    """A shared weight's gradient taken apart by time step: ``total == sum(gradients)``."""

    scopes: list[tuple[str, ...]]
    gradients: list[numpy.ndarray]
    norms: numpy.ndarray
    total: numpy.ndarray


def weight_gradient_by_step(loss: Tensor, weight: Tensor, time_dim: int | None = None) -> StepGradients:
    """The per-step contributions ∂J/∂W|_(t) of a weight used at every time step, in time order,
    with their norms and their sum ∂J/∂W = Σ_t ∂J/∂W|_(t). Built on
    :func:`tinygrad_rnn.grad_contributions`; the graph is kept.

    A weight read once for all the steps — the input projection x_t W_ihᵀ + b_ih of a layer, a
    language model's head — has one use, outside the steps. With ``time_dim`` (the time axis of
    that op's input: 0, or 1 for batch-first) its gradient is taken apart by step as well:
    ∂J/∂W|_(t) = δ_tᵀ x_t and ∂J/∂b|_(t) = Σ δ_t, δ_t the gradient at step t of the op's output.
    So is an embedding table E looked up once for all the steps' ids: ∂J/∂E|_(t) is δ_t added into
    the rows that x_t picked (the step's share of the op's backward).

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> output, _ = rnn(tr.randn(4, 1, 2))
    >>> by_step = weight_gradient_by_step(output.sum(), rnn.weight_hh_l0)
    >>> [scope[-1] for scope in by_step.scopes]
    ['t=1', 't=2', 't=3', 't=4']
    """
    terms = [(scope, gradient.numpy()) for scope, gradient in grad_contributions(loss, weight)]
    if time_dim is not None and any(step_of(scope) is None for scope, _ in terms):
        split = _by_step_of_batched_linears(loss, weight, time_dim) + _by_step_of_embeddings(loss, weight, time_dim)
        if split:
            terms = [term for term in terms if step_of(term[0]) is not None] + split
    terms = sorted(terms, key=lambda term: (_step_or_first(term[0]), term[0]))
    gradients = [gradient for _, gradient in terms]
    return StepGradients(
        scopes=[scope for scope, _ in terms],
        gradients=gradients,
        norms=numpy.array([numpy.linalg.norm(g) for g in gradients]),
        total=numpy.sum(gradients, axis=0) if gradients else numpy.zeros(weight.shape),
    )


def _by_step_of_batched_linears(loss: Tensor, weight: Tensor, time_dim: int) -> list[tuple[tuple[str, ...], Any]]:
    """(scope + ("t=k",), ∂J/∂W|_(k)) for each step k of each linear op that reads ``weight`` once
    for all the steps: its output's gradient δ (from the engine) and its input x (as saved for
    backward), sliced at step k — the same product as the op's backward, one step at a time."""
    graph = _Graph(loss)
    terms = []
    for function, position, output in graph.batched_linears(weight):
        if len(output.shape) != 3:  # not (T, B, ·) or (B, T, ·): one step's op in a loop written without scopes
            continue
        (delta,) = grad(loss, [output], retain_graph=True)
        delta = numpy.moveaxis(numpy.asarray(delta.numpy(), dtype=numpy.float64), time_dim, 0)
        x = numpy.moveaxis(numpy.asarray(Tensor._make(function.saved_inputs[0]).numpy(), numpy.float64), time_dim, 0)
        for k in range(delta.shape[0]):
            delta_k = delta[k].reshape(-1, delta.shape[-1])  # (rows at step k, out)
            term = delta_k.T @ x[k].reshape(-1, x.shape[-1]) if position == 1 else delta_k.sum(axis=0)  # δᵀx, Σδ
            terms.append(((*function.scope, f"t={k + 1}"), term.astype(weight.dtype)))
    return terms


def _by_step_of_embeddings(loss: Tensor, weight: Tensor, time_dim: int) -> list[tuple[tuple[str, ...], Any]]:
    """(scope + ("t=k",), ∂J/∂E|_(k)) for each step k of each embedding op that looks up every step's
    ids in the table ``weight`` at once: step k's rows of the gradient at its output, added into the
    rows its ids x_k picked (none into the padding row) — the op's backward, one step at a time."""
    terms = []
    for function, _, output in _Graph(loss).batched_reads(weight, "embedding"):
        ids = numpy.asarray(Tensor(function.ids).numpy())
        if ids.ndim != 2:  # not (T, B) or (B, T): one step's lookup in a loop written without scopes
            continue
        (delta,) = grad(loss, [output], retain_graph=True)
        delta = numpy.moveaxis(numpy.asarray(delta.numpy(), dtype=numpy.float64), time_dim, 0)
        ids = numpy.moveaxis(ids, time_dim, 0)
        for k in range(delta.shape[0]):
            term = numpy.zeros(weight.shape)
            numpy.add.at(term, ids[k].reshape(-1), delta[k].reshape(-1, delta.shape[-1]))  # a repeated id: summed
            if function.padding_idx is not None:
                term[function.padding_idx] = 0
            terms.append(((*function.scope, f"t={k + 1}"), term.astype(weight.dtype)))
    return terms


def _step_or_first(scope: tuple[str, ...]) -> int:
    """Sort key: the time step of a term's scope; terms outside any step come first."""
    step = step_of(scope)
    return -1 if step is None else step


def input_influence(model, ids) -> numpy.ndarray:
    """How strongly each earlier input moves each prediction of a language model:
    ``influence[t, s] = ‖∂ log p(x_{t+1} | x_1…x_t) / ∂e_s‖``, e_s the input embedding at s.

    One backward pass per prediction, through the engine, exactly; zero where s > t (the future
    cannot move a prediction). Rows: the predictions of characters 2…T; columns: inputs 1…T.
    This is the view of Distill's "Visualizing memorization in RNNs" and of RNNbow.

    >>> import tinygrad_rnn as tr
    >>> model = tr.models.LanguageModel(vocab_size=10, embedding_dim=4, hidden_size=8)
    >>> influence = input_influence(model, [1, 2, 3, 4])
    >>> influence.shape, bool((influence[0, 1:] == 0).all())
    ((3, 4), True)
    """
    ids = numpy.asarray(ids.numpy() if isinstance(ids, Tensor) else ids).reshape(-1)
    if ids.size < 2:
        raise ValueError(f"input_influence: need at least 2 tokens (one input and the next), got {ids.size}")
    with model.evaluating():  # no dropout: the influence of the model as it predicts
        device = model.head.weight.device
        embedded = model.embedding(Tensor(ids[None, :], device=device))
        output, _ = model.rnn(embedded)
        log_probs = model.head(output).log_softmax(-1)
        influence = numpy.zeros((ids.size - 1, ids.size))
        for t in range(ids.size - 1):
            (gradient,) = grad(log_probs[0, t, int(ids[t + 1])], embedded, retain_graph=True)
            influence[t] = numpy.linalg.norm(gradient.numpy()[0].astype(numpy.float64), axis=-1)
    return influence


# --- the recurrence in a loss's graph ------------------------------------------------------------

GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"), "rnn": ()}
LECTURE_NAMES = {"weight_hh": "W_hh", "weight_ih": "W_ih", "bias_hh": "b_hh", "bias_ih": "b_ih"}


@dataclass
class Recurrence:
    """What a loss's graph recurs over, found in the graph itself: the cell type, the hidden states
    h_1 … h_T of its first layer's forward direction (and c_1 … c_T, and each step's gates, where
    the cell has them), its shared weights under the lectures' names, and J_1 … J_T where the loss
    is a cross-entropy with one term per step. Values are those the graph saved for backward."""

    kind: str  # "rnn", "lstm" or "gru"
    hidden_states: list[Tensor]
    cell_states: list[Tensor]
    gates: list[dict[str, Tensor]]
    weights: dict[str, Tensor]
    time_dim: int  # where a batched op over all the steps (the input projection, the head) has time
    step_losses: numpy.ndarray | None

    @property
    def steps(self) -> int:
        return len(self.hidden_states)


def find_recurrence(loss: Tensor, layer=None) -> Recurrence:
    """The recurrence that computed ``loss``: from ``layer`` (an RNN, LSTM or GRU whose last call
    made it) where given, else from the graph — the states the cells name h (and c), in the steps
    their scopes say (``t=k``), or in the order computed where a hand-written loop has no scopes.

    >>> import tinygrad_rnn as tr
    >>> cell = tr.nn.GRUCell(2, 3)
    >>> h = tr.zeros(1, 3)
    >>> for x_t in tr.randn(4, 1, 2):
    ...     h = cell(x_t, h)
    >>> found = find_recurrence(h.sum())
    >>> found.kind, found.steps, sorted(found.weights)
    ('gru', 4, ['W_hh', 'W_ih', 'b_hh', 'b_ih'])
    """
    graph = _Graph(loss)
    named = [v for v in graph.vertices if v.name in ("h", "c", *GATE_NAMES["lstm"], *GATE_NAMES["gru"])]
    rows: dict[Any, list[Any]] = {}
    for vertex in named:
        rows.setdefault(_chain(vertex.grad_fn), []).append(vertex)
    if not any(v.name == "h" for v in named):
        raise ValueError("find_recurrence: the graph of this loss has no hidden states (tensors named h by a "
                         "recurrent layer or cell); pass the layer that computed it")

    def first_layer_forward(row: Any) -> tuple:
        reverse, layer = (row.direction == "reverse", row.layer) if isinstance(row, Chain) else (False, 0)
        return reverse, layer, graph.order(rows[row][0])

    inside = rows[min((row for row in rows if any(v.name == "h" for v in rows[row])), key=first_layer_forward)]

    def by_step(name: str) -> list[Any]:
        found = [v for v in inside if v.name == name and (step_number(v.grad_fn) is not None or
                                                           not any(step_number(u.grad_fn) for u in inside))]
        return sorted(found, key=lambda v: (step_number(v.grad_fn) or 0, graph.order(v)))

    if layer is not None and getattr(layer, "hidden_states", None):
        hidden = list(layer.hidden_states[0])
        cells = list(layer.cell_states[0]) if getattr(layer, "cell_states", None) else []
        kind = type(layer).__name__.lower().removesuffix("cell")
    else:
        hidden = [graph.tensor(v) for v in by_step("h")]
        cells = [graph.tensor(v) for v in by_step("c")]
        kind = "lstm" if cells or by_step("f") else "gru" if by_step("z") else "rnn"
    kind = kind if kind in GATE_NAMES else "rnn"
    steps = len(hidden)
    gates: list[dict[str, Tensor]] = [{} for _ in range(steps)]
    for name in GATE_NAMES[kind]:
        found = by_step(name)
        if len(found) == steps:
            for t, vertex in enumerate(found):
                gates[t][name] = graph.tensor(vertex)
    weights = graph.shared_weights()
    if layer is not None:
        time_dim = 1 if getattr(layer, "batch_first", False) else 0
    else:  # the time axis of the input projection's input: (T, B, I), or (B, T, I) batch first —
        # or of any linear over all the steps (a head), where the user renamed W_ih (W_e)
        readers = [weights["W_ih"]] if "W_ih" in weights else list(weights.values())
        shapes = [numpy.shape(function.saved_inputs[0]) for weight in readers
                  for function, _, _ in graph.batched_linears(weight) if function.saved_inputs]
        shape = next((s for s in shapes if len(s) == 3), ())
        time_dim = 1 if len(shape) == 3 and shape[0] != steps and shape[1] == steps else 0
    return Recurrence(kind, hidden, cells, gates, weights, time_dim, graph.step_losses(steps))


def _chain(function: Any) -> Any:
    """The chain a layer's op recorded (one run of one layer in one direction); for a loop written by
    hand, its scope without the step, but with the name the loop gives its steps ("enc" of "enc t=2")."""
    if function.step is not None:
        return function.step.chain
    return tuple(filter(None, (part if step_of((part,)) is None else loop_name(part) for part in function.scope)))


class _Graph:
    """One walk over a loss's graph (no recursion): its vertices, who reads each, and the values the
    graph saved for backward."""

    def __init__(self, loss: Tensor) -> None:
        from .function import Node

        found: dict[int, Any] = {}  # id → function, reached from the loss
        vertices: dict[int, Any] = {}
        parameters: dict[int, Tensor] = {}
        self.readers: dict[int, list[tuple[Any, int]]] = {}
        waiting: dict[int, int] = {}  # function → how many of the functions found read its outputs
        stack = [loss.grad_fn] if loss.grad_fn is not None else []
        while stack:
            function = stack.pop()
            if function.released:
                raise ValueError("find_recurrence: backward() has freed the values this graph saved; call it before "
                                 "loss.backward() (or call loss.backward(retain_graph=True) first)")
            for position, x in enumerate(function.parents):
                self.readers.setdefault(id(x), []).append((function, position))
                if isinstance(x, Node):
                    vertices[id(x)] = x
                    waiting[id(x.grad_fn)] = waiting.get(id(x.grad_fn), 0) + 1
                    if id(x.grad_fn) not in found:
                        found[id(x.grad_fn)] = x.grad_fn
                        stack.append(x.grad_fn)
                elif isinstance(x, Tensor) and x.requires_grad and x.grad_fn is None:
                    parameters[id(x)] = x
        # From the loss back, each op once all that read it are done: the order backward walks, the
        # reverse of the order the ops were computed in.
        self.functions = []
        ready = [loss.grad_fn] if loss.grad_fn is not None else []
        while ready:
            function = ready.pop()
            self.functions.append(function)
            for x in function.parents:
                if isinstance(x, Node):
                    waiting[id(x.grad_fn)] -= 1
                    if waiting[id(x.grad_fn)] == 0:
                        ready.append(x.grad_fn)
        self.vertices, self.parameters = list(vertices.values()), list(parameters.values())
        self._rank = {id(f): len(self.functions) - k for k, f in enumerate(self.functions)}

    def order(self, vertex: Any) -> int:
        """A position in the order the graph was computed (later ops are found first from the loss).
        A hand-written loop without scopes has its steps in this order."""
        return self._rank.get(id(vertex.grad_fn), 0)

    def value(self, vertex: Any, depth: int = 3) -> Any:
        """The array a vertex held: as its op saved it, or as an op reading it saved it, or computed
        again by its op from its inputs' values (c_t = f ⊙ c_{t−1} + i ⊙ g: an add keeps no values, the
        products it adds do) — at most ``depth`` ops back."""
        from .function import Node

        function = vertex.grad_fn
        if function.saved_output is not None:
            saved = function.saved_output
            return saved[vertex.output_index] if function.multiple_outputs else saved
        for reader, position in self.readers.get(id(vertex), []):
            if reader.saved_inputs is not None and not isinstance(reader.saved_inputs[position], Node):
                return reader.saved_inputs[position]  # (an input not saved: a stand-in Node is there)
        if depth and function.saved_inputs is not None:
            inputs = [saved if not isinstance(saved, Node) else self.value(x, depth - 1) if isinstance(x, Node)
                      else x.array for saved, x in zip(function.saved_inputs, function.parents)]
            out = function.forward(*inputs)
            return out[vertex.output_index] if function.multiple_outputs else out
        raise ValueError(f"find_recurrence: the value of {vertex.name} at {'/'.join(function.scope)} was not kept "
                         "by the graph; pass the layer that computed the loss")

    def tensor(self, vertex: Any) -> Tensor:
        return Tensor._make(self.value(vertex), vertex)

    def shared_weights(self) -> dict[str, Tensor]:
        """The parameters read in more than one step, or by one op over all the steps (an input
        projection, a head), under the names the lectures give them (a user's own name first)."""
        names: dict[str, Tensor] = {}
        for parameter in self.parameters:
            name = parameter.name or f"parameter {len(names) + 1}"
            layer_weight = re.fullmatch(r"(?:.*\.)?((?:weight|bias)_(?:ih|hh))(_l0)?", name)  # layer 0, forward
            names[LECTURE_NAMES[layer_weight.group(1)] if layer_weight else name] = parameter
        return names

    def step_losses(self, steps: int) -> numpy.ndarray | None:
        """J_1 … J_T where the loss is the mean cross-entropy over T rows (one per step, batch 1)."""
        for function in self.functions:
            if function.name == "cross_entropy" and function.saved_output is not None:
                log_probs = numpy.asarray(Tensor._make(function.saved_output[1]).numpy(), dtype=numpy.float64)
                targets = numpy.asarray(Tensor._make(function.targets).numpy()).reshape(-1)
                if log_probs.shape[0] == steps and function.weights is None:
                    return -log_probs[numpy.arange(steps), targets]
        return None

    def batched_linears(self, weight: Tensor) -> list[tuple[Any, int, Any]]:
        """The linear ops outside every step that read ``weight`` (as their weight, 1, or bias, 2):
        (the op, the weight's position, the vertex of its output)."""
        return self.batched_reads(weight, "linear")

    def batched_reads(self, weight: Tensor, op: str) -> list[tuple[Any, int, Any]]:
        """The ops named ``op`` outside every step that read ``weight``: (the op, the weight's
        position among its inputs, the vertex of its output)."""
        found = []
        for function in self.functions:
            if function.name != op or step_of(function.scope) is not None:
                continue
            for position, x in enumerate(function.parents):
                if x is weight:
                    output = next((v for v in self.vertices if v.grad_fn is function), None)
                    if output is not None:
                        found.append((function, position, output))
        return found
