"""Seeing backpropagation through time: gradient norms per step, Jacobian norms, and the per-step
terms of a shared weight's gradient. Every result is a NumPy array, ready to plot.

The hidden states to analyse are the tensors the recurrence actually carries: a layer keeps those
of its last call in ``layer.hidden_states[layer * D + direction]`` (h_1 … h_T, in time order); a
hand-written loop simply collects them in a list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy

from .engine import grad, grad_contributions
from .function import step_of
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
    gradients = grad(loss, list(hidden_states), retain_graph=True, allow_unused=True)
    return numpy.array([0.0 if g is None else float(numpy.linalg.norm(g.numpy())) for g in gradients])


def jacobian_norms(last_state: Tensor, hidden_states: Sequence[Tensor], norm: str = "spectral",
                   sample: int = 0) -> numpy.ndarray:
    """‖∂h_T/∂h_t‖ for every t: how much the last state still depends on each earlier one.

    For batch element ``sample``, the Jacobian ∂h_T/∂h_t is a (H × H) matrix; its norm is the
    largest singular value (``norm="spectral"``, the default) or the Frobenius norm
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
    units = last_state.shape[-1]
    rows: list[list[numpy.ndarray]] = [[] for _ in hidden_states]
    for unit in range(units):
        selector = numpy.zeros(last_state.shape)
        selector[(sample, unit) if last_state.ndim == 2 else (unit,)] = 1.0
        seed = Tensor(selector, dtype=last_state.dtype, device=last_state.device)
        gradients = grad(last_state, list(hidden_states), grad_outputs=seed, retain_graph=True, allow_unused=True)
        for t, gradient in enumerate(gradients):
            row = numpy.zeros(units) if gradient is None else gradient.numpy()
            rows[t].append(row[sample] if row.ndim == 2 else row)
    order = 2 if norm == "spectral" else "fro"
    return numpy.array([numpy.linalg.norm(numpy.array(jacobian), ord=order) for jacobian in rows])


@dataclass
class StepGradients:
    """A shared weight's gradient taken apart by time step: ``total == sum(gradients)``."""

    scopes: list[tuple[str, ...]]
    gradients: list[numpy.ndarray]
    norms: numpy.ndarray
    total: numpy.ndarray


def weight_gradient_by_step(loss: Tensor, weight: Tensor) -> StepGradients:
    """The per-step contributions ∂J/∂W|_(t) of a weight used at every time step, in time order,
    with their norms and their sum ∂J/∂W = Σ_t ∂J/∂W|_(t). Built on
    :func:`tinygrad_rnn.grad_contributions`; the graph is kept.

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> output, _ = rnn(tr.randn(4, 1, 2))
    >>> by_step = weight_gradient_by_step(output.sum(), rnn.weight_hh_l0)
    >>> [scope[-1] for scope in by_step.scopes]
    ['t=1', 't=2', 't=3', 't=4']
    """
    terms = sorted(grad_contributions(loss, weight), key=lambda term: (_step_or_first(term[0]), term[0]))
    gradients = [gradient.numpy() for _, gradient in terms]
    return StepGradients(
        scopes=[scope for scope, _ in terms],
        gradients=gradients,
        norms=numpy.array([numpy.linalg.norm(g) for g in gradients]),
        total=numpy.sum(gradients, axis=0) if gradients else numpy.zeros(weight.shape),
    )


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
    was_training = model.training
    model.eval()  # no dropout: the influence of the model as it predicts
    try:
        device = model.head.weight.device
        embedded = model.embedding(Tensor(ids[None, :], device=device))
        output, _ = model.rnn(embedded)
        log_probs = model.head(output).log_softmax(-1)
        influence = numpy.zeros((ids.size - 1, ids.size))
        for t in range(ids.size - 1):
            (gradient,) = grad(log_probs[0, t, int(ids[t + 1])], embedded, retain_graph=True)
            influence[t] = numpy.linalg.norm(gradient.numpy()[0].astype(numpy.float64), axis=-1)
    finally:
        model.train(was_training)
    return influence
