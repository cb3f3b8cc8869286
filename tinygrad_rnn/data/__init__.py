"""Data for sequence models: vocabularies, batching, a default corpus, and synthetic tasks.

>>> import tinygrad_rnn as tr
>>> vocab = tr.data.Vocabulary.from_text("abcab")
>>> ids = vocab.encode("abcab")
>>> inputs, targets = next(tr.data.language_model_batches(ids, batch_size=1, bptt=3))
>>> inputs.shape, targets.shape
((1, 3), (1, 3))
"""

from .batching import language_model_batches, minibatches, pad_batch
from .corpus import read_text, standard_library_text
from .synthetic import adding_problem, agreement_task, brackets_text, copy_task, dates_task, wiki_text
from .vocabulary import BEGIN, END, PAD, SPECIALS, UNK, Vocabulary, tokenize

__all__ = [
    "Vocabulary", "tokenize", "PAD", "UNK", "BEGIN", "END", "SPECIALS", "language_model_batches", "pad_batch",
    "minibatches", "standard_library_text", "read_text", "agreement_task", "adding_problem", "copy_task",
    "brackets_text", "dates_task", "wiki_text",
]
