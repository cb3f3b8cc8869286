"""Generating text: sample a token, feed it back, repeat — until [END] or a maximum length."""

from __future__ import annotations

from typing import Any

import numpy

from .creation import generator
from .recording import no_grad
from .tensor import Tensor


def next_token(logits: numpy.ndarray, temperature: float = 1.0, top_k: int | None = None, greedy: bool = False,
               rng: numpy.random.Generator | None = None) -> int:
    """Choose a token from one step's logits: the most likely (greedy), or a sample from
    softmax(logits / temperature), optionally among the ``top_k`` most likely only.

    >>> next_token(numpy.array([0.1, 3.0, 0.2]), greedy=True)
    1
    """
    logits = numpy.asarray(logits, dtype=numpy.float64)
    if greedy:
        return int(numpy.argmax(logits))
    if temperature <= 0:
        raise ValueError(f"temperature must be positive (or use greedy=True), got {temperature}")
    scaled = logits / temperature
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        cutoff = numpy.sort(scaled)[-min(top_k, len(scaled))]
        scaled = numpy.where(scaled >= cutoff, scaled, -numpy.inf)
    probabilities = numpy.exp(scaled - scaled.max())
    probabilities /= probabilities.sum()
    return int((rng or generator()).choice(len(probabilities), p=probabilities))


def generate(model: Any, vocabulary: Any, max_length: int = 200, prompt: str = "", temperature: float = 1.0,
             top_k: int | None = None, greedy: bool = False, begin: bool = False) -> str:
    """Text from a language model (``model(ids, state) -> (logits, state)``): feed ``prompt``
    (after [BEGIN] if ``begin``), then sample up to ``max_length`` tokens, stopping at [END].
    Returns the prompt followed by what was generated. [PAD] and [BEGIN] are never generated.
    Nothing is recorded (no_grad).

    >>> import tinygrad_rnn as tr
    >>> vocab = tr.data.Vocabulary.from_text("abc")
    >>> model = tr.models.LanguageModel(len(vocab), 4, 8)
    >>> generate(model, vocab, max_length=5, prompt="ab").startswith("ab")
    True
    """
    device = next(iter(model.parameters())).device
    ids = vocabulary.encode(prompt, begin=begin) or [vocabulary.begin_id]
    generated: list[int] = []
    with no_grad(), model.evaluating():
        logits, state = model(Tensor([ids], device=device))
        for _ in range(max_length):
            scores = logits.numpy()[0, -1].astype(numpy.float64)
            scores[[vocabulary.pad_id, vocabulary.begin_id]] = -numpy.inf  # never valid outputs
            token = next_token(scores, temperature, top_k, greedy)
            if token == vocabulary.end_id:
                break
            generated.append(token)
            logits, state = model(Tensor([[token]], device=device), state)
    return prompt + vocabulary.decode(generated)
