"""The numbers the lecture page reads off a loss's graph, before anything is drawn or written.

For one recurrence (:func:`tinygrad_rnn.analysis.find_recurrence`): the two contributions to each
∂J/∂h_t (from above, from the right), what J is, an LSTM's cell-state path and a GRU's z path, and
each shared weight's per-step terms with their running sum — every one computed by the engine
(``grad``, ``grad_contributions``), never in the browser. :mod:`.lecture_stages` writes them into
equations; :mod:`.lecture_panel` gathers them into a panel.

>>> import tinygrad_rnn as tr
>>> rnn = tr.nn.RNN(2, 3)
>>> loss = rnn(tr.randn(3, 1, 2))[0][-1].sum()
>>> [w["role"] for w in shared_weights(loss, tr.analysis.find_recurrence(loss), rnn)]
['W_hh', 'W_ih', 'b_hh', 'b_ih']
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import analysis
from ..engine import grad, grad_contributions
from ..steps import step_of
from ..tensor import Tensor
from .notation import BIASES, Notation, resolve

WEIGHT_ORDER = ("W_hh", "W_ih", "b_hh", "b_ih")  # then the head's, under the names it carries


def norm(x: Any) -> float:
    if x is None:
        return 0.0
    array = x.numpy() if isinstance(x, Tensor) else x
    return float(numpy.linalg.norm(numpy.asarray(array, dtype=numpy.float64)))


def _split_by_step(loss: Tensor, tensor: Tensor, step: int) -> tuple[float, float]:
    """‖the part of ∂J/∂tensor that came through step ``step``‖ and ‖the rest‖."""
    through, rest = None, None
    for scope, gradient in grad_contributions(loss, tensor, allow_unused=True):  # unused: no part, 0 and 0
        array = numpy.asarray(gradient.numpy(), dtype=numpy.float64)
        if step_of(scope) == step:
            through = array if through is None else through + array
        else:
            rest = array if rest is None else rest + array
    return norm(through), norm(rest)


def two_contributions(loss: Tensor, hidden: list[Tensor]) -> tuple[list[float], list[float]]:
    """For each h_t, ‖∂J_t/∂h_t‖ (what reads h_t at its own step and above it: the loss, the head,
    the layer above) and ‖(∂h_{t+1}/∂h_t)ᵀ ∂J/∂h_{t+1}‖ (what reaches it from the next step)."""
    above, right = [], []
    for t, state in enumerate(hidden, start=1):
        through_next, rest = _split_by_step(loss, state, t + 1)
        above.append(rest)
        right.append(through_next)
    return above, right


def what_the_loss_is(loss: Tensor, found: analysis.Recurrence, from_above: list[float]) -> dict[str, Any]:
    """What J is, as the page says it: the mean of the steps' losses J_t (a language model), the
    sum of the last state's units (∂J/∂h_T all ones, and nothing reads an earlier h_t but the next
    step: ``from_above`` is 0 before T), or the scalar the graph ends in, named by its op."""
    steps = found.steps
    if found.step_losses is not None:
        return {"per_step": True, "last_state_sum": False,
                "text": f"J = (1/{steps}) Σ_t J_t, the mean of the steps' losses"}
    last = found.hidden_states[-1]
    (to_last,) = grad(loss, [last], retain_graph=True, allow_unused=True)
    if (loss.grad_fn.name == "sum" and to_last is not None and not any(from_above[:-1])
            and numpy.array_equal(to_last.numpy(), numpy.ones(last.shape, dtype=to_last.dtype))):
        return {"per_step": False, "last_state_sum": True,
                "text": f"J = Σ h_{steps}, the sum of the last state's units"}
    return {"per_step": False, "last_state_sum": False, "text": f"J, the {loss.grad_fn.name} the graph ends in"}


def cell_path(loss: Tensor, found: analysis.Recurrence) -> dict[str, list] | None:
    """An LSTM's cell state: ‖∂J/∂c_t‖, the part that comes through h_t (o_t ⊙ tanh′(c_t) ⊙ ∂J/∂h_t)
    and the part that comes from c_{t+1} (f_{t+1} ⊙ ∂J/∂c_{t+1}), the additive path."""
    if found.kind != "lstm" or len(found.cell_states) != found.steps:
        return None
    gradients = grad(loss, found.cell_states, retain_graph=True, allow_unused=True)
    through_h, from_next = [], []
    for t, state in enumerate(found.cell_states, start=1):
        next_part, own = _split_by_step(loss, state, t + 1)
        from_next.append(next_part)
        through_h.append(own)
    values = [vector(c) for c in found.cell_states]
    forget = [vector(g["f"]) if "f" in g else None for g in found.gates]
    return {"norms": [norm(g) for g in gradients], "through_h": through_h, "from_next": from_next,
            "values": values, "forget": forget}


def gru_z_path(loss: Tensor, found: analysis.Recurrence) -> list[float | None]:
    """A GRU's skip: h_{t+1} = (1 − z) ⊙ n + z ⊙ h_t, so z_{t+1} ⊙ ∂J/∂h_{t+1} reaches h_t directly,
    with no Jacobian of a layer in between. ‖that part‖ for each t (None at T, or without z)."""
    gradients = grad(loss, found.hidden_states, retain_graph=True, allow_unused=True)
    result: list[float | None] = []
    for t in range(found.steps):
        gates = found.gates[t + 1] if t + 1 < found.steps else {}
        if "z" not in gates or gradients[t + 1] is None:
            result.append(None)
            continue
        z = numpy.asarray(gates["z"].numpy(), dtype=numpy.float64)
        result.append(norm(z * numpy.asarray(gradients[t + 1].numpy(), dtype=numpy.float64)))
    return result


def shared_weights(loss: Tensor, found: analysis.Recurrence, layer: Any = None,
             notation: Notation | None = None) -> list[dict[str, Any]]:
    """Each weight shared over the steps (W_hh, W_ih, b_hh, b_ih, and a head's W_hy and b and an
    embedding E where the model has them): its per-step terms, their running sum from t=T back, and
    ‖.grad‖; ``name`` as the notation writes it, ``role`` the library's name (W_hh, even where the
    user named it W_h), ``key`` its name in ``found.weights``, ``lookup`` whether it is a table whose
    rows the tokens x_t pick (E: step t's term is a row, not a product). Where the notation writes one symbol for
    two of them (``symbol``: the lecture's b₁ for b_ih and b_hh), ``whose`` is the library's name of each (else
    ""), and ``name`` tells them apart: the bias's parts b₁′ and b₁″, as the figures write them."""
    notation = notation or resolve(None)
    roles = _roles(found.weights, layer)
    # where the notation writes one bias, its parts in the order of their marks: b₁′, then b₁″
    order = WEIGHT_ORDER if notation.symbol("b_ih") != notation.symbol("b_hh") else (*WEIGHT_ORDER[:2], *BIASES)
    ordered = sorted(found.weights, key=lambda n: (order.index(roles[n]) if roles[n] in order else len(order)))
    drawn = [notation.symbol(n) for n in ordered]
    tables = {id(f.parents[0]) for f in analysis._Graph(loss).functions if f.name == "embedding"}  # x_t picks rows
    result = []
    for weight_name, shown in zip(ordered, drawn):
        weight = found.weights[weight_name]
        if weight_name not in WEIGHT_ORDER and of_another_layer(weight_name):
            continue  # another layer's or direction's: the page steps through layer 0, forward
        by_step = analysis.weight_gradient_by_step(loss, weight, found.time_dim)
        step_numbers = [step_of(scope) for scope in by_step.scopes]
        if len(step_numbers) == found.steps and not any(step_numbers):
            # a loop written without scopes: one use per step, met by backward from the last step back
            step_numbers = list(range(found.steps, 0, -1))
        if not by_step.gradients or None in step_numbers or max(step_numbers) != found.steps:
            continue  # not taken apart by step (an embedding): not a per-step sum
        terms = [numpy.zeros(weight.shape)] * found.steps
        for t, gradient in zip(step_numbers, by_step.gradients):
            terms[t - 1] = terms[t - 1] + numpy.asarray(gradient, dtype=numpy.float64)
        running, partial = [0.0] * found.steps, numpy.zeros(weight.shape)
        for t in reversed(range(found.steps)):  # from t=T back, as the gradient arrives
            partial = partial + terms[t]
            running[t] = norm(partial)
        (total,) = grad(loss, weight, retain_graph=True)  # what weight.grad holds after loss.backward()
        role = roles[weight_name]
        twice = drawn.count(shown) > 1  # b₁ for b_ih and for b_hh: say which
        # the lecture's one bias b₁ for PyTorch's two: its parts b₁′ (bias_ih) and b₁″ (bias_hh), as the figures and
        # the deck write them, one symbol each ("b₁ (b_ih)" and "b₁ (b_hh)" wrote b₁ for two tensors)
        name = notation.bias_part(role) if twice and role in BIASES else \
            f"{shown} ({role})" if twice else shown
        result.append({"name": name, "symbol": shown, "whose": role if twice else "", "role": role,
                       "key": weight_name, "lookup": id(weight) in tables,
                       "terms": [norm(term) for term in terms], "running": running, "grad_norm": norm(total)})
    return result


def _roles(weights: dict[str, Tensor], layer: Any) -> dict[str, str]:
    """Each weight's library name: W_hh for the layer's weight_hh_l0 whatever the user named it."""
    own = {}
    if layer is not None:
        for attribute, role in analysis.LECTURE_NAMES.items():
            tensor = getattr(layer, f"{attribute}_l0", None)
            if tensor is not None:
                own[id(tensor)] = role
    return {name: own.get(id(tensor), name) for name, tensor in weights.items()}


def of_another_layer(name: str) -> bool:
    """weight_hh_l1, weight_hh_l0_reverse: a weight of a layer or direction the page does not step through."""
    return "_l" in name.rsplit(".", 1)[-1]


def vector(tensor: Tensor | None) -> list[float] | None:
    """The first sequence's values of a state or gate, as printed in an equation."""
    if tensor is None:
        return None
    array = numpy.asarray(tensor.numpy(), dtype=numpy.float64)
    return [rounded(v) for v in array.reshape(-1, array.shape[-1])[0]]


def rounded(value: float) -> float:
    return float(f"{float(value):.6g}")


def states_start_at_zero(picture: Any, initial: list[int]) -> bool:
    """Whether every state the recurrence starts from (``initial``: the nodes of ``picture`` that feed step 1's
    cells, h₀ and c₀) is zero, as where a layer is called without one: then the term of step 1 of the weight that
    multiplies h_(t−1) is 0, for there it multiplies h₀ = 0. False where a state holds no value to read.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> loss = tr.nn.GRU(2, 3)(tr.randn(3, 1, 2))[0][-1].sum()
    >>> picture = build_picture((loss,), level="cell")
    >>> h0 = [i for i, node in enumerate(picture.nodes) if node.kind == "input" and node.step is None]
    >>> states_start_at_zero(picture, h0), states_start_at_zero(picture, [])
    (True, False)
    """
    tensors = [tensor for i in initial for tensor in picture.nodes[i].tensors]
    return bool(tensors) and all(isinstance(t, Tensor) and not numpy.asarray(t.numpy()).any() for t in tensors)
