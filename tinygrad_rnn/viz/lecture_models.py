"""The small, seeded models the lecture's figures are computed from, in one place.

The deck (:mod:`.lecture_deck`), ``examples/lecture_figures.py`` (the documentation's figures) and the
command line draw the same networks: a bare layer with a loss on its last step, the language
model, a classifier and a tagger, and the encoder–decoder. Each is freshly initialised from a
seed, so a figure is the same on every run, and its parameters carry the lectures' names
(E, W_hy, b_y). Each function returns the loss J, before ``backward()``: drawings need its graph.

>>> import tinygrad_rnn as tr
>>> loss = last_step_loss(tr.nn.GRU(2, 3), steps=3)
>>> loss.name, loss.shape
('J', ())
"""

from __future__ import annotations

from typing import Any

from .. import nn
from ..creation import manual_seed, randn, tensor
from ..models.seq2seq import BEGIN_ID, END_ID
from ..tensor import Tensor

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
SENTENCE = ["the", "keys", "to", "the", "cabinet"]  # the lectures' long-range agreement example
# the Penn Treebank's tags (a determiner; TO, the tag "to" has in every use, a preposition's included; a plural and
# a singular noun), as NLP lectures write them: short enough that each J_t's box, its target written in it, is no
# wider than its cross_entropy
TAG_NAMES = ["DT", "TO", "NNS", "NN"]
TAGS = {"the": 0, "keys": 2, "to": 1, "cabinet": 3}  # each word's tag, an index into TAG_NAMES


def layer(kind: str, seed: int = 0, device: Any = "cpu", **options: Any) -> Any:
    """A fresh RNN, LSTM or GRU layer (2 inputs, 3 units unless ``options`` say otherwise)."""
    manual_seed(seed)
    sizes = {"input_size": 2, "hidden_size": 3, **options}
    return LAYERS[kind](sizes.pop("input_size"), sizes.pop("hidden_size"), device=device, **sizes)


def last_step_loss(recurrent: Any, steps: int, device: Any = "cpu", seed: int = 0) -> Tensor:
    """J = Σ h_T: a loss on the last step, so the gradient must travel back through every step."""
    manual_seed(seed)
    x = randn(steps, 1, recurrent.input_size, device=device)
    x.name = "x"
    output, _ = recurrent(x)
    loss = output[-1].sum()
    loss.name = "J"
    return loss


def one_step_loss(recurrent: Any, device: Any = "cpu", seed: int = 0, steps: int = 1) -> Tensor:
    """J = Σ h₁ of one step, read straight from the state the cell makes (``hidden_states``): the layer's
    output[-1] is h₁ stacked over the steps and indexed again, two ops that are no part of the cell
    and a slide teaching the cell would draw. ``steps``: J = Σ h_T of that many, read the same way (the LSTM
    slide's two, its step 2 left out: the step c₁ and h₁ are handed on to)."""
    manual_seed(seed)
    x = randn(steps, 1, recurrent.input_size, device=device)
    x.name = "x"
    recurrent(x)
    loss = recurrent.hidden_states[0][-1].sum()
    loss.name = "J"
    return loss


LANGUAGE_MODEL_STEPS = 4  # the deck's language model: one T on its slide (03) and its Σ's bars (05); 04 cuts it to 2


def language_model_loss(kind: str, steps: int, device: Any = "cpu", **options: Any) -> tuple[Tensor, Any]:
    """(J, the recurrent layer) of the language model, J = (1/T) Σ_t J_t: the one
    ``tinygrad-rnn graph --loss every`` draws (:func:`tinygrad_rnn.cli.language_model_loss`)."""
    from ..cli import language_model_loss as command_line_model

    return command_line_model(kind, steps, device=device, **options)


def sequence_model(kind: str, classes: int, seed: int = 0, device: Any = "cpu") -> nn.Module:
    """Embedding E → one recurrent layer → a linear head W_hy, b_y over ``classes``."""
    manual_seed(seed)
    model = nn.Module()
    model.embedding = nn.Embedding(8, 3, device=device)
    model.rnn = LAYERS[kind](3, 4, device=device)
    model.head = nn.Linear(4, classes, device=device)
    model.embedding.weight.name, model.head.weight.name, model.head.bias.name = "E", "W_hy", "b_y"
    return model


def classifier_loss(kind: str, device: Any = "cpu", seed: int = 0) -> Tensor:
    """Many to one: the sentence's last state h_T → ŷ, one loss: is the subject plural (the keys …)?"""
    model = sequence_model(kind, 2, seed, device)
    output, _ = model.rnn(model.embedding(_sentence(device)))
    loss = nn.functional.cross_entropy(model.head(output[-1]), tensor([1], device=device))
    loss.name = "J"
    return loss


def tagger_loss(kind: str, device: Any = "cpu", seed: int = 0) -> Tensor:
    """Many to many: a tag per word (DT, NNS, TO, NN: "the keys to the cabinet"), J the mean of the J_t."""
    model = sequence_model(kind, len(set(TAGS.values())), seed, device)
    output, _ = model.rnn(model.embedding(_sentence(device)))
    logits = model.head(output)
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                       tensor([TAGS[word] for word in SENTENCE], device=device))
    loss.name = "J"
    return loss


def _sentence(device: Any) -> Tensor:
    ids = {word: k + 1 for k, word in enumerate(dict.fromkeys(SENTENCE))}
    x = tensor([[ids[word]] for word in SENTENCE], device=device)  # (T, 1): time first, one sentence
    x.name = "x"
    return x


def seq2seq_model(device: Any = "cpu", cell: str = "gru", seed: int = 0) -> Any:
    """A fresh encoder–decoder (primitive cells), its embeddings and head named as the lectures name them."""
    from ..models import Seq2Seq

    manual_seed(seed)
    model = Seq2Seq(10, 8, embedding_dim=4, hidden_size=4, cell=cell, fused=False, device=device)
    for parameter, name in [(model.source_embedding.weight, "E_x"), (model.target_embedding.weight, "E_y"),
                            (model.head.weight, "W_hy"), (model.head.bias, "b_y")]:
        parameter.name = name
    return model


SOURCE_WORDS = {4: "il", 5: "pleut", 6: "fort", 7: "llueve", 8: "ahora"}  # the ids the encoder reads, as words
# the decoder's: every id of its vocabulary a word, so that what an untrained decoder writes can be read
TARGET_WORDS = {0: "[PAD]", 1: "snows", BEGIN_ID: "[BEGIN]", END_ID: "[END]", 4: "hard", 5: "it", 6: "now", 7: "rains"}
SOURCE_IDS, TARGET_IDS = [4, 5, 6], [5, 7, 3]  # x_1 … x_S; y_1 … y_S, the words the decoder must write
ONE_WORD = [7]  # "llueve", Spanish for "it rains": one word in, two out (a source and its translation differ in length)
# "ahora", Spanish for "now": one word in, one out and then [END] — a pair trained as a real one is, its last
# target [END] (what teaches a decoder to stop), in as few columns as a slide's figure has room for
NOW, NOW_TARGETS = [8], [6, END_ID]


def seq2seq_source(device: Any = "cpu", steps: int = 3, ids: list[int] | None = None) -> Tensor:
    """The source x_1 … x_S the encoder reads (S = ``steps``, up to 3), or the words ``ids``."""
    source = tensor([SOURCE_IDS[:steps] if ids is None else ids], device=device)
    source.name = "x"
    return source


def decoder_inputs(targets: list[int]) -> list[int]:
    """Teacher forcing: the decoder reads [BEGIN], then each true previous target y_1 … y_{S−1}."""
    return [BEGIN_ID] + targets[:-1]


def seq2seq_loss(device: Any = "cpu", cell: str = "gru", steps: int = 3, source: list[int] | None = None,
                 targets: list[int] | None = None) -> Tensor:
    """J of the encoder–decoder reading x_1 … x_S and predicting the S targets y_1 … y_S under teacher
    forcing (S = ``steps``, up to 3: the decoder reads [BEGIN], then each true previous target);
    ``source``: the words the encoder reads instead (ids of SOURCE_WORDS), as many as they are; ``targets``:
    the words the decoder must write instead (ids of TARGET_WORDS, [END] last as a real pair's)."""
    model, source = seq2seq_model(device, cell), seq2seq_source(device, steps, source)
    targets = TARGET_IDS[:steps] if targets is None else targets
    inputs = tensor([decoder_inputs(targets)], device=device)
    inputs.name = "y"
    logits = model(source, inputs)
    loss = nn.functional.cross_entropy(logits.reshape(-1, 8), tensor(targets, device=device))
    loss.name = "J"
    return loss


def seq2seq_tokens(steps: int = 3, source: list[int] | None = None, targets: list[int] | None = None) -> list[str]:
    """The words of :func:`seq2seq_loss`'s figure, for its ``tokens=``: the source words under x_t, the
    decoder's inputs ([BEGIN], then each true previous target) under its steps, and the last target.
    A figure writes by each J_t the word under the next step's input; under teacher forcing that
    input is J_t's target, so every word lands where it is true.

    >>> seq2seq_tokens(2), seq2seq_tokens(2, ONE_WORD)[:2], seq2seq_tokens(source=NOW, targets=NOW_TARGETS)
    (['il', 'pleut', '[BEGIN]', 'it', 'rains'], ['llueve', '[BEGIN]'], ['ahora', '[BEGIN]', 'now', '[END]'])
    """
    read = SOURCE_IDS[:steps] if source is None else source
    targets = TARGET_IDS[:steps] if targets is None else targets
    return ([SOURCE_WORDS[i] for i in read] + [TARGET_WORDS[i] for i in decoder_inputs(targets)]
            + [TARGET_WORDS[targets[-1]]])
