"""Ready-made models: the language models of the lectures, from counts to the LSTM, and the
encoder–decoder.

* :class:`NGramLM` — counts of n-grams, smoothed (add-k, interpolated Kneser–Ney);
* :class:`FixedWindowLM` — the fixed-window neural model (Bengio et al. 2003);
* :class:`LanguageModel` — embedding → RNN/LSTM/GRU → linear layer over the vocabulary;
* :class:`Seq2Seq` — an encoder whose final state starts a decoder language model (a conditional
  language model), decoded greedily or by beam search.
"""

from .language import CELLS, FixedWindowLM, LanguageModel, detach_state
from .ngram import NGramLM
from .seq2seq import Seq2Seq

__all__ = ["CELLS", "FixedWindowLM", "LanguageModel", "NGramLM", "Seq2Seq", "detach_state"]
