"""Training a language model with truncated BPTT: the loop behind ``tinygrad-rnn train``,
``demo`` and examples/char_lm.py.

Each step reads a (batch, bptt) window, carries the hidden state over from the previous window
(detached: values on, graph cut), computes J = mean cross-entropy of the next token, clips the
gradient norm (Pascanu et al. 2013) and updates.
"""

from __future__ import annotations

from typing import Any

import numpy

from .data import language_model_batches
from .models import LanguageModel, detach_state
from .models.language import next_token_loss
from .nn.utils import clip_grad_norm_
from .progress import progress as progress_bar
from .recording import no_grad


def language_model_loss(model: Any, inputs: Any, targets: Any, state: Any = None) -> tuple[Any, Any]:
    """(mean cross-entropy of the next token, state): J = (1/T) Σ_t −log ŷ_t[x_{t+1}], by a
    LanguageModel's own ``loss`` (its head and loss one node where fast/ is installed)."""
    if isinstance(model, LanguageModel):
        return model.loss(inputs, targets, state)
    logits, state = model(inputs, state)
    return next_token_loss(logits, targets), state


def evaluate(model: Any, ids: Any, batch_size: int = 16, bptt: int = 64, device: Any = None) -> float:
    """Mean cross-entropy per token over ``ids`` (perplexity = its exp), without recording."""
    total, count, state = 0.0, 0, None
    with no_grad(), model.evaluating():
        for inputs, targets in language_model_batches(ids, batch_size, bptt, device):
            loss, state = language_model_loss(model, inputs, targets, state)
            total += loss.item() * targets.numel()
            count += targets.numel()
    return total / max(count, 1)


def train_language_model(model: Any, optimizer: Any, train_ids: Any, valid_ids: Any = None, steps: int = 500,
                         batch_size: int = 32, bptt: int = 64, clip: float = 1.0, device: Any = None,
                         start_step: int = 0, evaluate_every: int = 0, progress: bool = True,
                         scheduler: Any = None) -> dict[str, list]:
    """Train until ``steps`` optimiser steps (counting from ``start_step``, for resuming); returns the
    history: training loss per step and, every ``evaluate_every`` steps, validation perplexity.
    ``progress``: a bar in a terminal, a line every tenth of the steps in a log (see progress.py)."""
    history: dict[str, list] = {"step": [], "loss": [], "valid_step": [], "valid_perplexity": []}
    step = start_step
    bar = progress_bar(total=steps, initial=start_step, desc="training", unit="step", disable=not progress)
    model.train()
    while step < steps:
        state = None
        for inputs, targets in language_model_batches(train_ids, batch_size, bptt, device):
            loss, state = language_model_loss(model, inputs, targets, detach_state(state))
            optimizer.zero_grad()
            loss.backward()
            clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            step += 1
            loss_value = loss.item()  # one read (on a GPU, one wait for the device)
            history["step"].append(step)
            history["loss"].append(loss_value)
            bar.set_postfix(loss=f"{loss_value:.3f}", perplexity=f"{numpy.exp(loss_value):.2f}", refresh=False)
            bar.update(1)
            if evaluate_every and valid_ids is not None and (step % evaluate_every == 0 or step == steps):
                history["valid_step"].append(step)
                history["valid_perplexity"].append(float(numpy.exp(evaluate(model, valid_ids, batch_size, bptt,
                                                                            device))))
            if step >= steps:
                break
        if scheduler is not None:
            scheduler.step()
    bar.close()
    return history
