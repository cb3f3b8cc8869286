"""The count-based language model the lectures start from: P(x_{t+1} | the n − 1 tokens before it)
from n-gram counts, smoothed so that no token of the vocabulary ever has probability zero.

Two smoothings, as the lectures define them:

* **add-k**: P(w | h) = (c(h w) + k) / (c(h) + k V) — k added to every count (k = 1: Laplace); at the
  start of a text, where fewer than n − 1 tokens precede w, h is all of them (a lower order);
* **interpolated Kneser–Ney** (Chen & Goodman 1998, "An empirical study of smoothing techniques
  for language modeling", §2.7, the interpolated form):

      P_n(w | h) = max(c(h w) − D_n, 0) / c(h) + D_n · N₁₊(h •) / c(h) · P_{n−1}(w | h′)

  where h′ is h without its first token and N₁₊(h •) the number of distinct tokens seen after h.
  The lower orders count *continuations* instead of occurrences — c(h′ w) is replaced by
  N₁₊(• h′ w), the number of distinct tokens seen before h′ w — so that a word seen often but only
  after one other word ("Francisco") gets little weight where that word is absent. Below the
  unigram sits the uniform distribution 1/V. A context never seen (c(h) = 0) hands all its mass
  to the order below. One discount per order, D = n₁ / (n₁ + 2 n₂) (n₁, n₂: how many n-grams of
  that order have count exactly 1 and 2, in the counts that order uses) — Ney, Essen and Kneser's
  estimate, the one Chen & Goodman use for interpolated Kneser–Ney (their "modified" variant, with
  three discounts per order, is not implemented); where no n-gram of an order was seen once
  (n₁ = 0, a tiny corpus), D = 0.5, since D = 0 would leave no probability for what was not seen.

Counts live in sorted NumPy arrays: an n-gram is the id of its (n − 1)-gram prefix times V plus its
last token, so every order is one ``numpy.unique`` over the corpus and every lookup a
``searchsorted`` — a million tokens count in about a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

SMOOTHINGS = ("kneser-ney", "add-k")
UNAVAILABLE = -2  # a context id where the history is shorter than the order needs (−1: a context never seen)


class NGramLM:
    """An n-gram language model over token ids.

    >>> model = NGramLM(order=2).fit([4, 5, 4, 5, 4, 6], vocabulary_size=8)
    >>> p = model.probabilities([4])           # P(· | 4)
    >>> round(float(p.sum()), 12), bool((p > 0).all()), int(p.argmax())
    (1.0, True, 5)
    >>> round(model.perplexity([4, 5, 4, 5]), 3)   # P(5|4) = 0.617, P(4|5) = 0.9125
    1.423
    """

    def __init__(self, order: int = 3, smoothing: str = "kneser-ney", k: float = 1.0) -> None:
        if order < 1:
            raise ValueError(f"NGramLM: order must be at least 1, got {order}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"NGramLM: smoothing must be one of {SMOOTHINGS}, got {smoothing!r}")
        if smoothing == "add-k" and not k > 0:
            raise ValueError(f"NGramLM: add-k smoothing needs k > 0, got {k}")
        self.order, self.smoothing, self.k = order, smoothing, float(k)
        self.vocabulary_size = 0
        self.keys: list[numpy.ndarray] = []  # per order 1…n: the n-grams seen, sorted (prefix id · V + token)
        self.counts: list[numpy.ndarray] = []  # how often each was seen
        self.used: list[numpy.ndarray] = []  # the counts each order interpolates: occurrences, or continuations
        self.context_total: list[numpy.ndarray] = []  # per order, per (k − 1)-gram context: Σ_w used count
        self.context_types: list[numpy.ndarray] = []  # … and N₁₊(h •): how many distinct w follow it
        self.discounts: list[float] = []

    def __repr__(self) -> str:
        return f"NGramLM(order={self.order}, smoothing={self.smoothing!r}, vocabulary_size={self.vocabulary_size})"

    # --- counting ---------------------------------------------------------------------------------
    def fit(self, ids: Sequence[int] | numpy.ndarray, vocabulary_size: int | None = None) -> NGramLM:
        """Count every n-gram of orders 1…n in ``ids``; the vocabulary has ``vocabulary_size``
        tokens (default: the largest id + 1). Returns the model."""
        tokens = numpy.asarray(ids, dtype=numpy.int64).reshape(-1)
        if tokens.size < self.order:
            raise ValueError(f"NGramLM.fit: {tokens.size} tokens cannot hold one {self.order}-gram")
        if tokens.min() < 0:
            raise ValueError("NGramLM.fit: ids must be non-negative")
        size = int(tokens.max()) + 1 if vocabulary_size is None else int(vocabulary_size)
        if tokens.max() >= size:
            raise ValueError(f"NGramLM.fit: id {int(tokens.max())} is outside a vocabulary of {size}")
        self.vocabulary_size = size
        self.keys, self.counts, positions, firsts = [], [], [], []
        previous = numpy.zeros(tokens.size, dtype=numpy.int64)  # the id of each start's (k − 1)-gram prefix
        for k in range(1, self.order + 1):
            starts = tokens.size - k + 1
            key = previous[:starts] * size + tokens[k - 1:k - 1 + starts]
            keys, first, inverse, counts = numpy.unique(key, return_index=True, return_inverse=True,
                                                        return_counts=True)
            self.keys.append(keys)
            self.counts.append(counts)
            positions.append(inverse.reshape(-1))  # the id of the k-gram starting at each position
            firsts.append(first)
            previous = positions[-1]
        self.used = []
        for k in range(1, self.order + 1):
            if k == self.order or self.smoothing == "add-k":
                self.used.append(self.counts[k - 1])
            else:  # N₁₊(• g): the distinct (k+1)-grams that end in g, one occurrence each
                suffixes = positions[k - 1][firsts[k] + 1]
                self.used.append(numpy.bincount(suffixes, minlength=self.keys[k - 1].size))
        self.context_total, self.context_types, self.discounts = [], [], []
        for k in range(1, self.order + 1):
            prefix = self.keys[k - 1] // size  # the (k − 1)-gram context of each k-gram
            contexts = 1 if k == 1 else self.keys[k - 2].size
            used = self.used[k - 1]
            self.context_total.append(numpy.bincount(prefix, weights=used, minlength=contexts))
            self.context_types.append(numpy.bincount(prefix, weights=used > 0, minlength=contexts))
            once, twice = int((used == 1).sum()), int((used == 2).sum())
            self.discounts.append(once / (once + 2 * twice) if once else 0.5)  # n₁ = 0 would leave nothing unseen
        return self

    # --- probabilities ----------------------------------------------------------------------------
    def probabilities(self, context: Sequence[int] = ()) -> numpy.ndarray:
        """P(w | context) for every token w of the vocabulary (only the last n − 1 tokens of the
        context count): sums to 1, and is never 0."""
        self._check_fitted()
        context = [int(t) for t in context][len(context) - (self.order - 1):] if self.order > 1 else []
        words = numpy.arange(self.vocabulary_size)
        history = numpy.array(context, dtype=numpy.int64)
        contexts = [numpy.full(words.size, UNAVAILABLE if history.size < k - 1 else
                               self._context_id(history[history.size - (k - 1):] if k > 1 else history[:0]))
                    for k in range(1, self.order + 1)]  # fewer tokens than an order needs: not that order
        return self._probability(contexts, words)

    def log_probabilities(self, ids: Sequence[int] | numpy.ndarray) -> numpy.ndarray:
        """log P(x_i | the tokens before it, at most n − 1) for i = 1 … N − 1, all at once (where
        fewer than n − 1 tokens precede x_i, the orders they allow)."""
        self._check_fitted()
        tokens = numpy.asarray(ids, dtype=numpy.int64).reshape(-1)
        if tokens.size < 2:
            raise ValueError("NGramLM: need at least 2 tokens (one to predict from, one to predict)")
        if tokens.min() < 0 or tokens.max() >= self.vocabulary_size:
            raise ValueError(f"NGramLM: ids must lie in 0…{self.vocabulary_size - 1}, the vocabulary it was fit on")
        predicted = numpy.arange(1, tokens.size)
        contexts = []
        for k in range(1, self.order + 1):  # the id of the (k − 1) tokens before each predicted one
            found = numpy.zeros(predicted.size, dtype=numpy.int64)
            for j in range(1, k):
                token = tokens[numpy.maximum(predicted - (k - 1) + (j - 1), 0)]
                found = self._lookup(j, found, token)
            found[predicted < k - 1] = UNAVAILABLE  # not enough tokens before it for this order
            contexts.append(found)
        return numpy.log(self._probability(contexts, tokens[predicted]))

    def perplexity(self, ids: Sequence[int] | numpy.ndarray) -> float:
        """exp of the mean −log P(x_i | …) over x_2 … x_N: what the neural models' evaluation
        reports (each token predicted from those before it)."""
        return float(numpy.exp(-self.log_probabilities(ids).mean()))

    def sample(self, length: int, context: Sequence[int] = (), seed: int | None = None, end_id: int | None = None,
               exclude: Sequence[int] = ()) -> list[int]:
        """Up to ``length`` tokens drawn one after another from P(· | the tokens before), after
        ``context``; stops after ``end_id``; never draws the ids in ``exclude`` ([PAD], [BEGIN])."""
        rng = numpy.random.default_rng(seed)
        history, drawn = list(context), []
        for _ in range(length):
            p = self.probabilities(history)
            p[list(exclude)] = 0.0
            token = int(rng.choice(p.size, p=p / p.sum()))
            drawn.append(token)
            history.append(token)
            if token == end_id:
                break
        return drawn

    # --- inside -----------------------------------------------------------------------------------
    def _probability(self, contexts: list[numpy.ndarray], words: numpy.ndarray) -> numpy.ndarray:
        """P(word | context) for arrays of words and, per order k, the ids of their (k − 1)-gram
        contexts (−1: never seen; UNAVAILABLE: the history is too short for that order)."""
        if self.smoothing == "add-k":
            return self._add_k(contexts, words)
        p = numpy.full(words.shape, 1.0 / self.vocabulary_size)  # Kneser–Ney: from the uniform 1/V up
        for k in range(1, self.order + 1):
            known, total, count = self._counts(k, contexts[k - 1], words)
            discount = self.discounts[k - 1]
            types = numpy.where(known, self.context_types[k - 1][numpy.maximum(contexts[k - 1], 0)], 0.0)
            with numpy.errstate(divide="ignore", invalid="ignore"):
                interpolated = (numpy.maximum(count - discount, 0.0) + discount * types * p) / total
            p = numpy.where(total > 0, interpolated, p)  # a context never seen: all to the order below
        return p

    def _add_k(self, contexts: list[numpy.ndarray], words: numpy.ndarray) -> numpy.ndarray:
        """(c(h w) + k) / (c(h) + k V) at the highest order the history allows: the model's order,
        or, for the first tokens of a text, the order their shorter history fills (a unigram for
        the very first). A context never seen gives the uniform 1/V, as the formula does."""
        p = numpy.full(words.shape, numpy.nan)
        for order in range(self.order, 0, -1):
            _, total, count = self._counts(order, contexts[order - 1], words)
            here = numpy.isnan(p) & (contexts[order - 1] != UNAVAILABLE)
            p = numpy.where(here, (count + self.k) / (total + self.k * self.vocabulary_size), p)
        return p

    def _counts(self, order: int, context: numpy.ndarray, words: numpy.ndarray) -> tuple[numpy.ndarray, ...]:
        """(known, c(h), c(h w)) at one order: whether each context was seen, its total count and
        the count of each word after it, in the counts that order uses (0 where unseen)."""
        known = context >= 0
        safe = numpy.where(known, context, 0)
        total = numpy.where(known, self.context_total[order - 1][safe], 0.0)
        gram = numpy.where(known, self._find(self.keys[order - 1], safe * self.vocabulary_size + words), -1)
        count = numpy.where(gram >= 0, self.used[order - 1][numpy.maximum(gram, 0)], 0)
        return known, total, count

    def _context_id(self, history: numpy.ndarray) -> int:
        """The id of a (k − 1)-gram context among those seen (0 for the empty one; −1: never seen)."""
        found = numpy.zeros(1, dtype=numpy.int64)
        for j, token in enumerate(history, start=1):
            found = self._lookup(j, found, numpy.array([token]))
        return int(found[0])

    def _lookup(self, order: int, prefix: numpy.ndarray, token: numpy.ndarray) -> numpy.ndarray:
        """The ids of the ``order``-grams (prefix, token) among those seen; −1 where the prefix is
        −1 or the n-gram was never seen."""
        found = self._find(self.keys[order - 1], numpy.maximum(prefix, 0) * self.vocabulary_size + token)
        return numpy.where(prefix >= 0, found, -1)

    @staticmethod
    def _find(keys: numpy.ndarray, queries: numpy.ndarray) -> numpy.ndarray:
        place = numpy.searchsorted(keys, queries)
        inside = place < keys.size
        hit = inside & (keys[numpy.minimum(place, keys.size - 1)] == queries)
        return numpy.where(hit, place, -1)

    def _check_fitted(self) -> None:
        if not self.keys:
            raise ValueError("NGramLM: call .fit(ids) first")

