"""The encoder–decoder: a conditional language model (Sutskever et al. 2014; Cho et al. 2014).

The encoder reads the source x_1 … x_S; its final state h_S is the decoder's first state; the
decoder is a language model over the target, P(y_t | y_<t, x) = softmax(U h′_t + b), trained with
teacher forcing (its input at step t is the true y_{t−1}, [BEGIN] at t = 1) on
J = (1/T) Σ_t −log P(y_t | y_<t, x), and at generation fed its own output, greedily or by beam
search, until it writes [END].
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import nn
from ..recording import no_grad
from ..tensor import Tensor
from .language import CELLS

BEGIN_ID, END_ID, PAD_ID = 2, 3, 0  # as in every Vocabulary


class Seq2Seq(nn.Module):
    """An encoder RNN/LSTM/GRU whose final state starts a decoder language model.

    ``forward(source, target_inputs, source_lengths=None)`` returns the decoder's logits
    (batch, T, target vocabulary) under teacher forcing; ``greedy`` and ``beam_search`` generate.
    It trains on the fused layer node (``fused=True``); ``fused=False`` gives the primitive cells.

    >>> import tinygrad_rnn as tr
    >>> model = Seq2Seq(source_vocabulary_size=12, target_vocabulary_size=9, embedding_dim=4, hidden_size=8)
    >>> logits = model(tr.tensor([[4, 5, 6]]), tr.tensor([[2, 7]]))   # [BEGIN] y_1 → predicts y_1 y_2
    >>> logits.shape
    (1, 2, 9)
    >>> len(model.beam_search([4, 5, 6], beam_width=3, max_length=5)) <= 5
    True
    """

    def __init__(self, source_vocabulary_size: int, target_vocabulary_size: int, embedding_dim: int = 32,
                 hidden_size: int = 128, num_layers: int = 1, cell: str = "gru", device: Any = None,
                 dtype: Any = None, fused: bool = True) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"Seq2Seq: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.settings = {"source_vocabulary_size": source_vocabulary_size,
                         "target_vocabulary_size": target_vocabulary_size, "embedding_dim": embedding_dim,
                         "hidden_size": hidden_size, "num_layers": num_layers, "cell": cell, "fused": fused}
        self.source_embedding = nn.Embedding(source_vocabulary_size, embedding_dim, padding_idx=PAD_ID,
                                             device=device, dtype=dtype)
        self.encoder = CELLS[cell](embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                   device=device, dtype=dtype, fused=fused)
        self.target_embedding = nn.Embedding(target_vocabulary_size, embedding_dim, padding_idx=PAD_ID,
                                             device=device, dtype=dtype)
        # (a drawing names the two layers of one kind by these attributes: "encoder", "decoder"; nn/module.py)
        self.decoder = CELLS[cell](embedding_dim, hidden_size, num_layers=num_layers, batch_first=True,
                                   device=device, dtype=dtype, fused=fused)
        self.head = nn.Linear(hidden_size, target_vocabulary_size, device=device, dtype=dtype)

    def config(self) -> dict[str, Any]:
        return dict(self.settings)

    def encode(self, source: Tensor, lengths: Any = None) -> Any:
        """The encoder's final state (h_S, or (h_S, c_S)): each sequence's own last step."""
        _, state = self.encoder(self.source_embedding(source), lengths=lengths)
        return state

    def decode(self, inputs: Tensor, state: Any, chosen_from: Tensor | None = None) -> tuple[Tensor, Any]:
        """The decoder over ``inputs`` (batch, T) from ``state``: logits (batch, T, V) and its state.
        ``chosen_from``: the logits the inputs were chosen from, at generation (drawings link them)."""
        output, state = self.decoder(self.target_embedding(inputs, chosen_from), state)
        return self.head(output), state

    def forward(self, source: Tensor, target_inputs: Tensor, source_lengths: Any = None) -> Tensor:
        state = self.encode(source, source_lengths)
        # the hand-over: the decoder's h_0 is the encoder's h_S; its own steps are t = 1…T′ (input y_{t−1},
        # target y_t), and a drawing puts them after the encoder's (Chain.after), as the lectures draw it
        logits, _ = self.decode(target_inputs, state)
        return logits

    # --- generation ---------------------------------------------------------------------------------
    def greedy(self, source: Any, max_length: int = 50, source_lengths: Any = None) -> list[list[int]]:
        """For each source sequence, the most likely next token at every step, fed back in, up to
        [END] (not included) or ``max_length`` tokens. ``source``: a (batch, S) tensor of ids, or
        one sequence of ids."""
        source, source_lengths = self._as_batch(source, source_lengths)
        batch = source.shape[0]
        with no_grad(), self.evaluating():
            state = self.encode(source, source_lengths)
            token = numpy.full((batch, 1), BEGIN_ID, dtype=numpy.int64)
            written = [[] for _ in range(batch)]
            finished = numpy.zeros(batch, dtype=bool)
            for _ in range(max_length):
                logits, state = self.decode(Tensor(token, device=source.device), state)
                choice = _never_written(logits.numpy()[:, -1].astype(numpy.float64)).argmax(axis=1)
                for row in numpy.flatnonzero(~finished):
                    if choice[row] == END_ID:
                        finished[row] = True
                    else:
                        written[row].append(int(choice[row]))
                if finished.all():
                    break
                token = choice.reshape(batch, 1)
        return written

    def greedy_graph(self, source: Any, max_length: int = 10) -> Tensor:
        """Greedy generation for one source sequence, recorded: log P(ŷ_1 … ŷ_n, [END] | x) as a
        scalar whose graph holds the encoder's steps and one decoder step per token written, each
        fed the token chosen at the step before: the argmax of that step's scores s_t (the logits,
        named ``s``; ŷ_t = softmax(s_t)). Draw it to show generation as the lectures do — no gradient
        flows through a choice, so the drawing shows that link as a dashed edge; its backward is the
        gradient of the score of what was written. A drawing numbers the decoder's own steps 1…T′
        (s₁, its state h₁⁽ᵈ⁾ after h₀⁽ᵈ⁾ = h_S⁽ᵉ⁾) and draws them after the encoder's S steps, as one
        row of the lectures' figure.

        >>> import tinygrad_rnn as tr
        >>> model = Seq2Seq(12, 9, embedding_dim=4, hidden_size=8)
        >>> score = model.greedy_graph([4, 5, 6], max_length=3)
        >>> score.shape, score.item() < 0
        ((), True)
        """
        source, _ = self._as_batch(source, None)
        if source.shape[0] != 1:
            raise ValueError(f"greedy_graph: one source sequence at a time, got a batch of {source.shape[0]}")
        with self.evaluating():
            state = self.encode(source)
            token = Tensor(numpy.full((1, 1), BEGIN_ID, dtype=numpy.int64), device=source.device, name="[BEGIN]")
            chosen_from, terms = None, []
            for _ in range(max_length):  # each call continues the decoder's chain from the state it ended with
                logits, state = self.decode(token, state, chosen_from)
                # s_t: step t's scores (logits), whose argmax is the next input — not ŷ_t, which the lectures keep
                # for the softmax of them (a drawing read "ŷ₄ = linear")
                logits.name = "s"
                scores = logits[:, -1]
                chosen = int(_never_written(scores.numpy().astype(numpy.float64)).argmax(axis=1)[0])
                terms.append(scores.log_softmax(-1)[0, chosen])
                if chosen == END_ID:
                    break
                token = Tensor(numpy.array([[chosen]]), device=source.device, name="y")  # y_t: written, read next
                chosen_from = scores
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        total.name = "log P(ŷ | x)"
        return total

    def beam_search(self, source: Any, beam_width: int = 4, max_length: int = 50, alpha: float = 1.0) -> list[int]:
        """The target for one source sequence found by beam search: at every step the
        ``beam_width`` best partial targets by log-probability are extended by every token a
        target may hold (never [PAD] or [BEGIN]); a target is finished at [END]; the best
        finished one by log P / length^alpha (length normalisation, the [END] counted; ``alpha=0``
        compares plain log-probabilities) is returned, without [END]. ``max_length`` is the most
        tokens a target holds, [END] not counted, as in :meth:`greedy`: a beam that reaches it
        is finished with [END]. Every candidate — the greedy target too — is scored alike by
        :meth:`score`, so the result never scores lower than greedy's; ``beam_width=1`` is greedy;
        a beam as wide as every target of up to ``max_length`` tokens is an exhaustive search."""
        if beam_width < 1:
            raise ValueError(f"beam_search: beam_width must be at least 1, got {beam_width}")
        source, _ = self._as_batch(source, None)
        if source.shape[0] != 1:
            raise ValueError(f"beam_search: one source sequence at a time, got a batch of {source.shape[0]}")
        greedy = self.greedy(source, max_length)[0]
        if beam_width == 1:
            return greedy
        finished: list[list[int]] = []
        with no_grad(), self.evaluating():
            state = self.encode(source)
            beams: list[tuple[float, list[int]]] = [(0.0, [])]
            for length in range(max_length + 1):  # the beams hold `length` tokens
                tokens = numpy.array([[written[-1] if written else BEGIN_ID] for _, written in beams])
                logits, state = self.decode(Tensor(tokens, device=source.device), state)
                log_probs = _never_written(logits[:, -1].log_softmax(-1).numpy().astype(numpy.float64))
                if length == max_length:  # full: [END] is the only way on
                    log_probs[:, numpy.arange(log_probs.shape[1]) != END_ID] = -numpy.inf
                candidates = numpy.array([score for score, _ in beams])[:, None] + log_probs  # (beams, V)
                order = numpy.argsort(-candidates, axis=None, kind="stable")[:beam_width]
                kept, rows = [], []
                for flat in order:
                    row, token = divmod(int(flat), candidates.shape[1])
                    if not numpy.isfinite(candidates[row, token]):  # ruled out: a wide beam runs out of tokens
                        break
                    if token == END_ID:
                        finished.append(beams[row][1])
                    else:
                        kept.append((float(candidates[row, token]), beams[row][1] + [token]))
                        rows.append(row)
                if not kept or len(finished) >= beam_width:
                    break
                beams = kept
                state = _select(state, rows)
        # every candidate, greedy's too, scored alike: log P(target, then [END]) / length^alpha
        candidates = list(dict.fromkeys(tuple(target) for target in finished)) + [tuple(greedy)]
        return list(max(candidates, key=lambda target: self.score(source, list(target)) / (len(target) + 1) ** alpha))

    def score(self, source: Any, target: list[int], end: bool = True) -> float:
        """log P(target (then [END]) | source): the sum the decoder's log-probabilities give it."""
        source, _ = self._as_batch(source, None)
        inputs = numpy.array([[BEGIN_ID] + list(target)], dtype=numpy.int64)
        wanted = list(target) + ([END_ID] if end else [])
        with no_grad(), self.evaluating():
            logits, _ = self.decode(Tensor(inputs[:, : len(wanted)], device=source.device), self.encode(source))
            log_probs = logits[0].log_softmax(-1).numpy().astype(numpy.float64)
        return float(sum(log_probs[t, token] for t, token in enumerate(wanted)))

    def _as_batch(self, source: Any, lengths: Any) -> tuple[Tensor, Any]:
        if isinstance(source, Tensor):
            return (source if source.ndim == 2 else source.reshape(1, -1)), lengths
        device = self.head.weight.device
        return Tensor(numpy.asarray(source, dtype=numpy.int64).reshape(1, -1), device=device), lengths


def _never_written(scores: Any) -> Any:
    """Scores (…, V) with the tokens a target never contains — [PAD], [BEGIN] — ruled out, in place."""
    scores[..., [PAD_ID, BEGIN_ID]] = -numpy.inf
    return scores


def _select(state: Any, rows: list[int]) -> Any:
    """The recurrent state of the beams kept (rows of the batch dimension, 1)."""
    if isinstance(state, tuple):
        return tuple(_select(s, rows) for s in state)
    return Tensor(state.numpy()[:, rows], device=state.device)
