"""One SGD training step of a small character language model, for the tests that watch what
such a step does to memory (tests/test_fused.py; tests/test_fast_allocator.py, whose measuring
process imports this file too)."""

from __future__ import annotations

from collections.abc import Callable

import numpy

import tinygrad_rnn as tr


def language_model_step(vocabulary: int, embedding: int, hidden: int,
                        batch: int, length: int) -> tuple[tr.models.LanguageModel, Callable[[], None]]:
    """A tanh-RNN language model (seed 0) and a step that trains it once with SGD (lr 0.1) on one
    fixed batch of ``batch`` × ``length`` random token ids, each id its own target.

    >>> model, step = language_model_step(5, 2, 3, 1, 4)
    >>> step()
    >>> model.rnn.weight_hh_l0.grad.shape
    (3, 3)
    """
    tr.manual_seed(0)
    model = tr.models.LanguageModel(vocabulary, embedding, hidden, cell="rnn")
    optimizer = tr.optim.SGD(model.parameters(), lr=0.1)
    ids = tr.tensor(numpy.random.default_rng(0).integers(0, vocabulary, (batch, length)))

    def step() -> None:
        logits, _ = model(ids)
        loss = tr.nn.functional.cross_entropy(logits.reshape(-1, vocabulary), ids.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return model, step
