"""The lecture on recurrent networks as a deck of slides, computed from real models in one call: which slides, in
what order, and writing them.

``deck("rnn_deck")`` (and ``tinygrad-rnn deck -o rnn_deck``) writes the figures a lecture on RNNs
shows, each a 1,920 × 1,080 slide with a title (:mod:`.slide`), drawn from small seeded models
(:mod:`.lecture_models`): the RNN rolled and unrolled; the language model with x_t, ŷ_t and J_t;
its backpropagation through time; ∂J/∂W_hh as a sum of per-step terms; the vanishing gradient of
the tanh RNN, LSTM and GRU on one scale; the LSTM and GRU cells; stacked and bidirectional
layers; a classifier and a tagger; the encoder–decoder and its generation; gradient clipping;
and, asked for (``perplexity=True``), a perplexity table from n-grams to the LSTM. Then
``index.html`` and ``slides.pdf`` as for an exported page (:func:`.export.write_slides`). ``cell``
picks the recurrent cell of the slides that draw one; ``notation`` the lecture's names
(:class:`.deck_lecture.Lecture`). The slides that draw a graph are :mod:`.deck_graph_slides`; those
that chart measured numbers, :mod:`.deck_measured_slides`.

>>> names = [name for name, _ in SLIDES]
>>> names[:3], len(names)
(['01-rolled', '02-unrolled', '03-language-model'], 15)
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from .deck_graph_slides import (
    bptt,
    classifier,
    encoder_decoder,
    generation,
    gru_cell,
    language_model,
    lstm_cell,
    rolled,
    stacked,
    tagger,
    unrolled,
)
from .deck_lecture import CELLS, Lecture
from .deck_measured_slides import clipping, perplexity, vanishing, weight_sum
from .export import Written, write_slides
from .notation import Notation, resolve

SLIDES: list[tuple[str, Callable[[Lecture], str]]] = [  # every slide the deck can write, in the lecture's order
    ("01-rolled", rolled), ("02-unrolled", unrolled), ("03-language-model", language_model),
    ("04-bptt", bptt), ("05-weight-sum", weight_sum), ("06-vanishing", vanishing), ("07-lstm-cell", lstm_cell),
    ("08-gru-cell", gru_cell), ("09-stacked-bidirectional", stacked), ("10-classifier", classifier),
    ("11-tagger", tagger), ("12-encoder-decoder", encoder_decoder), ("13-generation", generation),
    ("14-perplexity", perplexity), ("15-clipping", clipping)]
# Asked for only (perplexity=True, --perplexity): trained for the seconds a deck has, the tanh RNN and the LSTM
# lose to a 5-gram on every seed measured, however long within them (docs/lecture.md gives the numbers) — an
# honest table that teaches the opposite of the lecture's point
ASKED_FOR_ONLY = {"14-perplexity"}


def slides_of(perplexity: bool = False) -> list[tuple[str, Callable[[Lecture], str]]]:
    """The deck's slides, numbered in order: all of :data:`SLIDES`, the perplexity table only if asked for.

    >>> [name for name, _ in slides_of()][-2:], [name for name, _ in slides_of(perplexity=True)][-2:]
    (['13-generation', '14-clipping'], ['14-perplexity', '15-clipping'])
    """
    kept = [(name.split("-", 1)[1], make) for name, make in SLIDES if perplexity or name not in ASKED_FOR_ONLY]
    return [(f"{k:02d}-{name}", make) for k, (name, make) in enumerate(kept, 1)]


def deck(directory: str | pathlib.Path = "rnn_deck", cell: str = "rnn",
         notation: str | dict | Notation | None = None, perplexity: bool = False) -> Written:
    """Write the lecture's slides into ``directory`` (SVG each, index.html, slides.pdf where a converter
    is installed); ``cell`` ("rnn", "lstm" or "gru") is the network of the slides that draw one;
    ``perplexity``: add the perplexity table of n-grams, a fixed window, a tanh RNN, an LSTM and ``cell``'s own
    (left out by default: trained for the seconds a deck has, the networks lose to a 5-gram; docs/lecture.md gives
    the numbers).

    >>> written = deck("rnn_deck")  # doctest: +SKIP
    >>> len(written.slides)  # doctest: +SKIP
    14
    """
    if cell not in CELLS:
        raise ValueError(f"deck: cell must be one of {sorted(CELLS)}, got {cell!r}")
    lecture = Lecture(cell, resolve(notation))
    slides = [(name, make(lecture)) for name, make in slides_of(perplexity)]
    return write_slides(directory, slides, f"Recurrent networks: the lecture's figures, computed ({lecture.name})")
