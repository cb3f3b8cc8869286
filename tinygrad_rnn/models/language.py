"""Neural language models: the recurrent one (embedding → RNN/LSTM/GRU → linear layer over the
vocabulary) and the fixed-window one it replaced (Bengio et al. 2003).

ŷ_t = softmax(U h_t + b) with h_t from the recurrent layer; trained with teacher forcing on
J = (1/T) Σ_t −log ŷ_t[x_{t+1}]; perplexity = exp(J).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from .. import nn
from ..nn.functional import cross_entropy
from ..tensor import Tensor

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
# The seam fast/head.py fills: (h, W, b, targets) → the mean cross-entropy of h Wᵀ + b as one graph node (or
# None where it does not apply). None on the plain path: the head, a reshape and cross_entropy, three ops.
HEAD_AND_LOSS: Callable[[Tensor, Tensor, Tensor | None, Any], Tensor | None] | None = None


class LanguageModel(nn.Module):
    """Next-token prediction. ``forward(ids, state=None)`` takes ids of shape (batch, time) and
    returns logits (batch, time, vocabulary) and the recurrent state to carry on. It trains on the
    fast recurrent stepper where it is installed (``fused=True``: one graph node for the sequence, the
    hand-derived backward of ``tinygrad_rnn/fast/recurrent``); under ``TINYGRAD_RNN_FAST=0``, or with
    ``fused=False``, on the primitive cells of ``nn/cells.py`` — the same numbers. ``fused="step"``
    gives one node per step.

    >>> import tinygrad_rnn as tr
    >>> model = LanguageModel(vocab_size=20, embedding_dim=8, hidden_size=16, cell="gru")
    >>> logits, state = model(tr.tensor([[2, 5, 7]]))
    >>> logits.shape
    (1, 3, 20)
    """

    def __init__(self, vocab_size: int, embedding_dim: int = 32, hidden_size: int = 128, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, device: Any = None, dtype: Any = None,
                 fused: bool = True) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"LanguageModel: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.settings = {"vocab_size": vocab_size, "embedding_dim": embedding_dim, "hidden_size": hidden_size,
                         "num_layers": num_layers, "cell": cell, "dropout": dropout, "fused": fused}
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0, device=device, dtype=dtype)
        self.rnn = CELLS[cell](embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                               dropout=dropout, device=device, dtype=dtype, fused=fused)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size, device=device, dtype=dtype)

    def forward(self, ids: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        output, state = self.features(ids, state)
        return self.head(output), state

    def features(self, ids: Tensor, state: Any = None) -> tuple[Tensor, Any]:
        """What the head reads, (batch, time, hidden), and the recurrent state: the model before its head."""
        output, state = self.rnn(self.embedding(ids), state)
        return self.dropout(output), state

    def loss(self, ids: Tensor, targets: Any, state: Any = None) -> tuple[Tensor, Any]:
        """(J, state): the mean cross-entropy of ``targets`` (the next tokens, (batch, time)) under
        the model's scores for ``ids`` — ``cross_entropy(logits.reshape(-1, V), targets.reshape(-1))``
        of ``logits, state = model(ids, state)``, the same number. Built with ``fused=True`` where
        fast/ is installed, the head, that reshape and the loss are one graph node (fast/head.py).

        >>> import tinygrad_rnn as tr
        >>> model = LanguageModel(vocab_size=20, embedding_dim=8, hidden_size=16)
        >>> loss, state = model.loss(tr.tensor([[2, 5, 7]]), tr.tensor([[5, 7, 1]]))
        >>> loss.shape, loss.grad_fn.name in ("fused linear + cross_entropy", "cross_entropy")
        ((), True)
        """
        output, state = self.features(ids, state)
        if HEAD_AND_LOSS is not None and self.settings["fused"] is True:
            loss = HEAD_AND_LOSS(output, self.head.weight, self.head.bias, targets)
            if loss is not None:
                return loss, state
        return next_token_loss(self.head(output), targets), state

    def config(self) -> dict[str, Any]:
        """The constructor's arguments: enough to rebuild the model from a checkpoint."""
        return dict(self.settings)


def detach_state(state: Any) -> Any:
    """The recurrent state with its graph cut (truncated BPTT): h, or the pair (h, c)."""
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


class FixedWindowLM(nn.Module):
    """The fixed-window neural language model (Bengio et al. 2003): the embeddings of the last
    ``window`` tokens, concatenated, → a tanh hidden layer → a linear layer over the vocabulary,
    ŷ_t = softmax(U tanh(W [e_{t−n+1}; …; e_t] + b_h) + b). It shares nothing across the window's
    positions (each has its own block of W) and sees nothing before the window — the two limits
    the RNN removes. ``forward(ids, state=None)`` has the language model's signature, so it trains
    with the same loop: the state is the last ``window − 1`` tokens of the previous chunk ([PAD]
    before the first).

    >>> import tinygrad_rnn as tr
    >>> model = FixedWindowLM(vocabulary_size=20, window=3, embedding_dim=4, hidden_size=16)
    >>> logits, state = model(tr.tensor([[2, 5, 7, 9]]))
    >>> logits.shape, state.shape
    ((1, 4, 20), (1, 2))
    """

    def __init__(self, vocabulary_size: int, window: int = 5, embedding_dim: int = 32, hidden_size: int = 128,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if window < 1:
            raise ValueError(f"FixedWindowLM: window must be at least 1, got {window}")
        self.window = window
        self.settings = {"vocabulary_size": vocabulary_size, "window": window, "embedding_dim": embedding_dim,
                         "hidden_size": hidden_size}
        self.embedding = nn.Embedding(vocabulary_size, embedding_dim, padding_idx=0, device=device, dtype=dtype)
        self.hidden = nn.Linear(window * embedding_dim, hidden_size, device=device, dtype=dtype)
        self.head = nn.Linear(hidden_size, vocabulary_size, device=device, dtype=dtype)

    def forward(self, ids: Tensor, state: Any = None) -> tuple[Tensor, Tensor]:
        from ..ops import cat

        batch, steps = ids.shape
        # its products are small and many, as a recurrent layer's are: on a busy machine BLAS's threads wait for a
        # taken core after each one (fast/threads.py), 19–31 s for the deck's 100 steps instead of 2 s
        if nn.recurrent.BLAS_THREAD_POLICY is not None:
            nn.recurrent.BLAS_THREAD_POLICY()
        if state is None:  # before the first token: padding, whose embedding is zero
            state = Tensor(numpy.zeros((batch, self.window - 1), dtype=numpy.int64), device=ids.device)
        extended = cat([state, ids], dim=1) if self.window > 1 else ids  # (B, window − 1 + T)
        embedded = self.embedding(extended)
        # position t reads tokens t−n+1 … t: the k-th slot of every window is one slice of the embeddings
        windows = cat([embedded[:, k:k + steps] for k in range(self.window)], dim=-1)  # (B, T, window·E)
        logits = self.head(self.hidden(windows).tanh())
        return logits, extended[:, extended.shape[1] - (self.window - 1):]

    def config(self) -> dict[str, Any]:
        return dict(self.settings)


def next_token_loss(logits: Tensor, targets: Any) -> Tensor:
    """J = (1/T) Σ_t −log ŷ_t[x_{t+1}], the mean over every row and step: ``logits`` (…, V) and the ids each
    step should predict, ``targets`` (…), flattened into rows for cross_entropy.

    >>> import tinygrad_rnn as tr
    >>> round(next_token_loss(tr.zeros(1, 2, 4), [[1, 3]]).item(), 4)  # uniform over 4: log 4
    1.3863
    """
    targets = targets if isinstance(targets, Tensor) else Tensor(targets)
    return cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
