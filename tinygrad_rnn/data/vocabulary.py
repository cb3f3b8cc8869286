"""Vocabularies: tokens ↔ integer ids, with the special tokens a sequence model needs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

PAD, UNK, BEGIN, END = "[PAD]", "[UNK]", "[BEGIN]", "[END]"
SPECIALS = (PAD, UNK, BEGIN, END)  # ids 0, 1, 2, 3 in every vocabulary


class Vocabulary:
    """Tokens and their ids: ``[PAD]`` = 0 (padding), ``[UNK]`` = 1 (unknown tokens), ``[BEGIN]`` = 2
    and ``[END]`` = 3 (sequence boundaries for generation), then the tokens, most frequent first.

    >>> vocab = Vocabulary.from_text("hello world", level="char")
    >>> vocab.encode("hello")
    [9, 8, 4, 4, 5]
    >>> vocab.decode(vocab.encode("hello?"))
    'hello[UNK]'
    """

    pad_id, unk_id, begin_id, end_id = range(len(SPECIALS))  # the places of SPECIALS

    def __init__(self, tokens: Iterable[str], level: str = "char") -> None:
        if level not in ("char", "word"):
            raise ValueError(f"Vocabulary: level must be 'char' or 'word', got {level!r}")
        self.level = level
        self.tokens: list[str] = list(SPECIALS)
        for token in tokens:
            if token not in SPECIALS:
                self.tokens.append(token)
        self.index = {token: i for i, token in enumerate(self.tokens)}
        if len(self.index) != len(self.tokens):
            raise ValueError("Vocabulary: tokens must be unique")

    @classmethod
    def from_text(cls, text: str | Iterable[str], level: str = "char", min_count: int = 1,
                  max_size: int | None = None) -> Vocabulary:
        """Build from a text (or texts): characters, or words and punctuation (``level="word"``),
        keeping those seen at least ``min_count`` times, at most ``max_size`` of them."""
        texts = [text] if isinstance(text, str) else list(text)
        counts = Counter(token for t in texts for token in tokenize(t, level))
        ranked = sorted((token for token, n in counts.items() if n >= min_count), key=lambda t: (-counts[t], t))
        return cls(ranked[:max_size] if max_size is not None else ranked, level)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, text: str | Sequence[str], begin: bool = False, end: bool = False) -> list[int]:
        """Ids of a text (or of a list of tokens), optionally framed by [BEGIN] and [END]."""
        tokens = tokenize(text, self.level) if isinstance(text, str) else list(text)
        ids = [self.index.get(token, self.unk_id) for token in tokens]
        return ([self.begin_id] if begin else []) + ids + ([self.end_id] if end else [])

    def decode(self, ids: Iterable[int], skip_specials: bool = False) -> str:
        """The text of some ids (characters joined; words joined by spaces)."""
        tokens = [self.tokens[int(i)] for i in ids]
        if skip_specials:
            tokens = [t for t in tokens if t not in SPECIALS]
        return ("" if self.level == "char" else " ").join(tokens)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (how checkpoints store vocabularies)."""
        return {"level": self.level, "tokens": self.tokens[len(SPECIALS):]}

    @classmethod
    def from_dict(cls, description: dict[str, Any]) -> Vocabulary:
        return cls(description["tokens"], description["level"])

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} {self.level} tokens)"


def tokenize(text: str, level: str) -> list[str]:
    """Characters, or words and punctuation marks."""
    return list(text) if level == "char" else re.findall(r"\w+|[^\w\s]", text)
