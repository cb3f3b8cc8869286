"""Many-to-one and many-to-many with a bidirectional LSTM over padded batches of variable length.

Sentences from the agreement grammar ("the keys to the cabinet by the door …"), with 0–4
distractor phrases, so lengths differ; batches are padded and the LSTM is given the lengths, so
padding changes nothing.

1. Classification (many-to-one): singular or plural verb? From h_n of both directions.
2. Tagging (many-to-many): a tag per word — DET, PREP, NOUN-SG, NOUN-PL — from the outputs at
   every step; padded positions are ignored by the loss (ignore_index).

    python examples/classify_and_tag.py [--steps 300] [--device gpu]
"""

from __future__ import annotations

import argparse

import numpy

import tinygrad_rnn as tr
from tinygrad_rnn.cli import ScriptHelp, show_defaults
from tinygrad_rnn.device import device_argument
from tinygrad_rnn.nn import functional as F
from tinygrad_rnn.progress import progress

TAGS = ["DET", "PREP", "NOUN-SG", "NOUN-PL"]
IGNORE = -100


def tag_of(word: str) -> int:
    if word == "the":
        return 0
    if word in tr.data.synthetic.PREPOSITIONS:
        return 1
    return 3 if word in {plural for _, plural in tr.data.synthetic.NOUNS} else 2


class SequenceModel(tr.nn.Module):
    """Embedding → bidirectional LSTM → a sentence classifier and a per-word tagger."""

    def __init__(self, vocabulary_size: int, hidden: int) -> None:
        super().__init__()
        self.embedding = tr.nn.Embedding(vocabulary_size, 16, padding_idx=0)
        self.lstm = tr.nn.LSTM(16, hidden, batch_first=True, bidirectional=True, fused=True)  # training: fused
        self.classify = tr.nn.Linear(2 * hidden, 2)
        self.tag = tr.nn.Linear(2 * hidden, len(TAGS))

    def forward(self, ids, lengths):
        output, (h_n, _) = self.lstm(self.embedding(ids), lengths=lengths)
        sentence = tr.cat([h_n[-2], h_n[-1]], dim=-1)  # last forward state ‖ last backward state
        return self.classify(sentence), self.tag(output)


def make_data(count: int, seed: int):
    rng = numpy.random.default_rng(seed)
    sentences, labels = [], []
    for distractors in rng.integers(0, 5, count):
        words, label = tr.data.agreement_task(1, int(distractors), seed=int(rng.integers(1 << 30)))
        sentences.append(words[0])
        labels.append(int(label[0]))
    return sentences, numpy.array(labels)


def batch(sentences, labels, indices, vocabulary, device):
    ids, lengths = tr.data.pad_batch([vocabulary.encode(sentences[i]) for i in indices], device=device)
    tags = numpy.full(ids.shape, IGNORE)
    for row, i in enumerate(indices):
        tags[row, : len(sentences[i])] = [tag_of(w) for w in sentences[i]]
    return ids, lengths, tr.tensor(labels[indices], device=device), tr.tensor(tags, device=device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=ScriptHelp)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--examples", type=int, default=1200)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--device", default="cpu", type=device_argument)
    parser.add_argument("--seed", type=int, default=0)
    args = show_defaults(parser).parse_args()

    tr.manual_seed(args.seed)
    sentences, labels = make_data(args.examples, args.seed)
    vocabulary = tr.data.Vocabulary.from_text([" ".join(s) for s in sentences], level="word")
    split = int(0.8 * len(sentences))
    model = SequenceModel(len(vocabulary), args.hidden).to(args.device)
    optimizer = tr.optim.Adam(model.parameters(), lr=0.01)
    rng = numpy.random.default_rng(args.seed)
    bar = progress(range(1, args.steps + 1), desc="training", leave=False)
    for step in bar:
        ids, lengths, label, tags = batch(sentences, labels, rng.integers(0, split, 32), vocabulary, args.device)
        sentence_logits, tag_logits = model(ids, lengths)
        # the tagger's logits are (B, T, tags): classes go to dimension 1, as cross_entropy expects
        loss = F.cross_entropy(sentence_logits, label) + \
            F.cross_entropy(tag_logits.permute(0, 2, 1), tags, ignore_index=IGNORE)
        optimizer.zero_grad()
        loss.backward()
        tr.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % max(args.steps // 5, 1) == 0:
            bar.write(f"step {step:4d}  loss {loss.item():.3f}")

    test = numpy.arange(split, len(sentences))
    ids, lengths, label, tags = batch(sentences, labels, test, vocabulary, args.device)
    with tr.no_grad():
        sentence_logits, tag_logits = model(ids, lengths)
    correct = sentence_logits.argmax(-1).numpy() == label.numpy()
    predicted_tags, true_tags = tag_logits.argmax(-1).numpy(), tags.numpy()
    real = true_tags != IGNORE
    tag_accuracy = (predicted_tags == true_tags)[real].mean()
    print(f"classification accuracy {correct.mean():.3f}; tagging accuracy {tag_accuracy:.3f}"
          f" (on {len(test)} held-out sentences of {lengths.min()}–{lengths.max()} words)")
    words = sentences[test[0]]
    print("example:", " ".join(f"{w}/{TAGS[t]}" for w, t in zip(words, predicted_tags[0])),
          "→", "are" if sentence_logits.argmax(-1).numpy()[0] else "is")


if __name__ == "__main__":
    main()
