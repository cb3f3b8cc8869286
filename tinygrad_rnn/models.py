"""A ready-made recurrent language model: embedding → RNN/LSTM/GRU → linear layer over the vocabulary.

ŷ_t = softmax(U h_t + b) with h_t from the recurrent layer; trained with teacher forcing on
J = (1/T) Σ_t −log ŷ_t[x_{t+1}]; perplexity = exp(J).
"""

from __future__ import annotations

from typing import Any

from . import nn
from .tensor import Tensor

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class LanguageModel(nn.Module):
    """Next-token prediction. ``forward(ids, state=None)`` takes ids of shape (batch, time) and
    returns logits (batch, time, vocabulary) and the recurrent state to carry on. It trains on the
    fused cells (one graph node per step, ``fused=True``); ``fused=False`` gives the primitive ones.

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
        output, state = self.rnn(self.embedding(ids), state)
        return self.head(self.dropout(output)), state

    def config(self) -> dict[str, Any]:
        """The constructor's arguments: enough to rebuild the model from a checkpoint."""
        return dict(self.settings)


def detach_state(state: Any) -> Any:
    """The recurrent state with its graph cut (truncated BPTT): h, or the pair (h, c)."""
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
