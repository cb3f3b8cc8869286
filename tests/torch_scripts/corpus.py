"""A small made-up English for the word-level language model: subject, verb, a matching object,
sometimes an adverb — about 40 words, structure a recurrent model can learn in seconds.

>>> sentences(2, seed=0)
['my friend likes a game again', 'the cat sees the tree']
"""

from __future__ import annotations

import pathlib

import numpy

SUBJECTS = ["the cat", "the dog", "a bird", "my friend", "the teacher", "a student"]
OBJECTS = {"sees": ["the tree", "a house", "the river"], "eats": ["an apple", "the bread", "some rice"],
           "reads": ["a book", "the paper", "a letter"], "likes": ["the music", "a game", "the garden"]}
ADVERBS = ["today", "again", "slowly", "at night"]


def sentences(count: int, seed: int) -> list[str]:
    rng = numpy.random.default_rng(seed)
    made = []
    for _ in range(count):
        verb = list(OBJECTS)[rng.integers(len(OBJECTS))]
        sentence = f"{SUBJECTS[rng.integers(len(SUBJECTS))]} {verb} {OBJECTS[verb][rng.integers(3)]}"
        if rng.random() < 0.5:
            sentence += " " + ADVERBS[rng.integers(len(ADVERBS))]
        made.append(sentence)
    return made


def write_corpus(folder: str | pathlib.Path, train: int = 600, held_out: int = 80) -> pathlib.Path:
    """train.txt, valid.txt and test.txt in ``folder``, as PyTorch's word-language-model example reads."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, count, seed in (("train", train, 0), ("valid", held_out, 1), ("test", held_out, 2)):
        (folder / f"{name}.txt").write_text("\n".join(sentences(count, seed)) + "\n", encoding="utf-8")
    return folder
