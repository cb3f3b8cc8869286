"""Batches: language-model windows for truncated BPTT, and padded batches with lengths."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy

from ..tensor import Tensor


def language_model_batches(ids: Sequence[int] | numpy.ndarray, batch_size: int, bptt: int,
                           device: Any = None) -> Iterator[tuple[Tensor, Tensor]]:
    """(inputs, targets) windows of shape (batch_size, bptt) for truncated BPTT.

    The text is cut into ``batch_size`` equal streams, one per batch row, read left to right in
    windows of ``bptt`` steps; the targets are the inputs shifted by one. Row b of consecutive
    windows continues the same stream, so a model can carry its hidden state from window to
    window (detached: the graph is cut at each window).

    >>> windows = list(language_model_batches(list(range(20)), batch_size=2, bptt=4))
    >>> windows[0][0].tolist(), windows[0][1].tolist()
    ([[0, 1, 2, 3], [9, 10, 11, 12]], [[1, 2, 3, 4], [10, 11, 12, 13]])
    >>> windows[1][0].tolist()
    [[4, 5, 6, 7], [13, 14, 15, 16]]
    """
    ids = numpy.asarray(ids, dtype=numpy.int64)
    stream = (len(ids) - 1) // batch_size
    if stream < 1:
        raise ValueError(f"language_model_batches: {len(ids)} tokens are too few for {batch_size} streams")
    inputs = ids[: stream * batch_size].reshape(batch_size, stream)
    targets = ids[1: stream * batch_size + 1].reshape(batch_size, stream)
    for start in range(0, stream, bptt):
        yield (Tensor(inputs[:, start:start + bptt], device=device),
               Tensor(targets[:, start:start + bptt], device=device))


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int = 0, device: Any = None) -> tuple[Tensor, numpy.ndarray]:
    """Sequences of different lengths as one (batch, longest) integer tensor, padded with
    ``pad_id``, and their lengths — what the recurrent layers' ``lengths`` argument takes.

    >>> padded, lengths = pad_batch([[5, 6, 7], [8]])
    >>> padded.tolist(), lengths.tolist()
    ([[5, 6, 7], [8, 0, 0]], [3, 1])
    """
    lengths = numpy.array([len(s) for s in sequences], dtype=numpy.int64)
    if len(lengths) == 0 or lengths.min() < 1:
        raise ValueError("pad_batch: needs at least one sequence, each with at least one token")
    padded = numpy.full((len(sequences), int(lengths.max())), pad_id, dtype=numpy.int64)
    for row, sequence in enumerate(sequences):
        padded[row, : len(sequence)] = sequence
    return Tensor(padded, device=device), lengths


def minibatches(count: int, batch_size: int, rng: numpy.random.Generator | None = None) -> Iterator[numpy.ndarray]:
    """Index arrays covering range(count) in batches (shuffled when an rng is given).

    >>> [b.tolist() for b in minibatches(5, 2)]
    [[0, 1], [2, 3], [4]]
    """
    order = numpy.arange(count) if rng is None else rng.permutation(count)
    for start in range(0, count, batch_size):
        yield order[start:start + batch_size]
