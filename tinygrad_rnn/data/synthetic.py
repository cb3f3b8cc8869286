"""Synthetic tasks that need no download, each probing memory over a controllable distance."""

from __future__ import annotations

import re

import numpy

NOUNS = [("key", "keys"), ("cabinet", "cabinets"), ("door", "doors"), ("author", "authors"), ("book", "books"),
         ("table", "tables"), ("picture", "pictures"), ("student", "students"), ("box", "boxes"), ("lamp", "lamps")]
PREPOSITIONS = ["to", "by", "on", "near", "behind", "of", "under", "beside"]


def agreement_task(count: int, distractors: int, seed: int = 0) -> tuple[list[list[str]], numpy.ndarray]:
    """Long-range subject–verb agreement: "the keys to the cabinet by the door … are".

    Each sentence is a subject followed by ``distractors`` prepositional phrases whose nouns are
    singular or plural at random, so that no noun but the subject tells the answer (had they all
    the other number, the last noun would give it away); the label is the verb the subject needs:
    1 for "are" (plural), 0 for "is". The sentence stops before the verb.

    >>> sentences, labels = agreement_task(2, distractors=2, seed=1)
    >>> len(sentences[0]), int(labels[0]) in (0, 1)
    (8, True)
    """
    rng = numpy.random.default_rng(seed)
    sentences, labels = [], numpy.zeros(count, dtype=numpy.int64)
    for i in range(count):
        plural = bool(rng.integers(2))
        subject = NOUNS[rng.integers(len(NOUNS))][int(plural)]
        words = ["the", subject]
        for _ in range(distractors):
            noun = NOUNS[rng.integers(len(NOUNS))][int(rng.integers(2))]
            words += [PREPOSITIONS[rng.integers(len(PREPOSITIONS))], "the", noun]
        sentences.append(words)
        labels[i] = int(plural)
    return sentences, labels


def adding_problem(count: int, length: int, seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Hochreiter & Schmidhuber's adding problem: inputs (count, length, 2) hold a random value and
    a marker at each step; exactly two steps are marked (one in each half); the target is the sum
    of the two marked values. Guessing 1 gives a mean squared error of about 1/6.

    >>> x, y = adding_problem(3, 10)
    >>> x.shape, y.shape, bool(numpy.allclose((x[..., 0] * x[..., 1]).sum(1), y))
    ((3, 10, 2), (3,), True)
    """
    if length < 2:
        raise ValueError("adding_problem: length must be at least 2")
    rng = numpy.random.default_rng(seed)
    inputs = numpy.zeros((count, length, 2), dtype=numpy.float32)
    inputs[..., 0] = rng.random((count, length))
    half = length // 2
    first, second = rng.integers(0, half, count), rng.integers(half, length, count)
    inputs[numpy.arange(count), first, 1] = 1.0
    inputs[numpy.arange(count), second, 1] = 1.0
    targets = (inputs[..., 0] * inputs[..., 1]).sum(axis=1).astype(numpy.float32)
    return inputs, targets


def copy_task(count: int, length: int, delay: int, symbols: int = 8,
              seed: int = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Remember a sequence over a delay: ``length`` random symbols (ids 1…symbols), ``delay``
    blanks (0), a delimiter (id symbols + 1), then ``length`` blanks during which the targets are
    the symbols again; all other targets are blank.

    >>> x, y = copy_task(1, length=3, delay=2, symbols=4, seed=0)
    >>> x.shape == y.shape == (1, 9), int(x[0, 5]) == 5, y[0, 6:].tolist() == x[0, :3].tolist()
    (True, True, True)
    """
    rng = numpy.random.default_rng(seed)
    total = 2 * length + delay + 1
    inputs = numpy.zeros((count, total), dtype=numpy.int64)
    targets = numpy.zeros((count, total), dtype=numpy.int64)
    sequence = rng.integers(1, symbols + 1, (count, length))
    inputs[:, :length] = sequence
    inputs[:, length + delay] = symbols + 1
    targets[:, length + delay + 1:] = sequence
    return inputs, targets


WORDS = ["the", "model", "reads", "a", "page", "about", "neural", "networks", "and", "memory", "cell", "gate",
         "links", "to", "long", "range", "text", "with", "brackets"]


def brackets_text(words: int, seed: int = 0, link_probability: float = 0.2) -> tuple[str, numpy.ndarray]:
    """Wiki-style text with ``[[links]]``, and a 0/1 label per character: 1 inside a link's
    brackets. Which neuron of a character model knows it must close the brackets?

    >>> text, inside = brackets_text(30, seed=2)
    >>> text.count("[[") == text.count("]]"), len(text) == len(inside)
    (True, True)
    """
    text, inside = wiki_text(words, seed=seed, link_probability=link_probability, url_probability=0.0)
    return text, inside["link"]


def wiki_text(words: int, seed: int = 0, link_probability: float = 0.2,
              url_probability: float = 0.1) -> tuple[str, dict[str, numpy.ndarray]]:
    """Wiki-style text with ``[[links]]`` and URLs (``https://memory.org/cell/gate``), and two 0/1
    labels per character: ``inside["link"]`` is 1 from ``[[`` to ``]]``, ``inside["url"]`` is 1 on
    every character of a URL. The same seed gives the same text; with ``url_probability=0`` it is
    ``brackets_text``'s text, character for character.

    >>> text, inside = wiki_text(40, seed=1, url_probability=0.3)
    >>> url = text[inside["url"].argmax():].split(" ")[0]
    >>> url.startswith("https://"), len(text) == len(inside["link"]) == len(inside["url"])
    (True, True)
    """
    rng = numpy.random.default_rng(seed)
    pieces, urls = [], []
    for _ in range(words):
        word = WORDS[rng.integers(len(WORDS))]
        if url_probability > 0 and rng.random() < url_probability:  # no draw without URLs: brackets_text's stream
            path = "/".join(WORDS[rng.integers(len(WORDS))] for _ in range(rng.integers(1, 3)))
            pieces.append(f"https://{word}.{('org', 'com', 'net')[rng.integers(3)]}/{path}")
            urls.append(pieces[-1])
        elif rng.random() < link_probability:
            span = " ".join([word] + [WORDS[rng.integers(len(WORDS))] for _ in range(rng.integers(0, 3))])
            pieces.append(f"[[{span}]]")
        else:
            pieces.append(word)
    text = " ".join(pieces) + " "
    link = numpy.zeros(len(text), dtype=numpy.int64)
    depth = 0
    for i in range(len(text)):
        if text.startswith("[[", i):
            depth = 1
        link[i] = depth
        if i >= 1 and text[i - 1: i + 1] == "]]":
            depth = 0
    url = numpy.zeros(len(text), dtype=numpy.int64)
    for match in re.finditer(r"https://\S+", text):  # a URL runs to the next space
        url[match.start():match.end()] = 1
    return text, {"link": link, "url": url}


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
DATE_FORMATS = ("{day} {month} {year}", "{month} {day}, {year}", "{ordinal} of {month} {year}",
                "{short} {day} {year}", "{year}, {month} {day}", "{weekday} {ordinal} {month} {year}")


def dates_task(count: int, seed: int = 0, formats: tuple[str, ...] = DATE_FORMATS) -> tuple[list[str], list[str]]:
    """A transduction task for an encoder–decoder: dates written out, in six ways
    ("3rd of March 1998", "Mar 3 1998", "Tuesday 3rd March 1998", …) → the ISO date "1998-03-03".
    Days 1950-01-01 … 2049-12-31, drawn at random; the weekday is the true one, so it carries no
    information the decoder needs — it only makes the source longer. ``formats`` chooses among
    the ways (``DATE_FORMATS``, or fewer for a quicker lesson).

    >>> sources, targets = dates_task(2, seed=0)
    >>> len(sources), all(len(t) == 10 and t[4] == t[7] == "-" for t in targets)
    (2, True)
    """
    import datetime

    rng = numpy.random.default_rng(seed)
    first = datetime.date(1950, 1, 1).toordinal()
    days = rng.integers(first, datetime.date(2049, 12, 31).toordinal() + 1, size=count)
    chosen = rng.integers(0, len(formats), size=count)
    sources, targets = [], []
    for ordinal, form in zip(days, chosen):
        date = datetime.date.fromordinal(int(ordinal))
        suffix = "th" if 11 <= date.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(date.day % 10, "th")
        month = MONTHS[date.month - 1]
        sources.append(formats[form].format(day=date.day, month=month, year=date.year, short=month[:3],
                                                 ordinal=f"{date.day}{suffix}", weekday=date.strftime("%A")))
        targets.append(date.isoformat())
    return sources, targets
