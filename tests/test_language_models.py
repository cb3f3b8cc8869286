"""The language models before the RNN (n-gram counts, the fixed window) and the encoder–decoder:
probabilities that are distributions, perplexities against a direct computation written here
from the formulas, gradients against finite differences, and beam search against greedy."""

import math
import re
from collections import Counter

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.models import NGramLM

# --- n-gram counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("smoothing", ["kneser-ney", "add-k"])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_context_gets_a_distribution_with_no_zero(order, smoothing):
    rng = numpy.random.default_rng(order)
    ids = rng.integers(0, 9, size=400) ** 2 % 13  # uneven counts; ids 0…12, some never seen
    model = NGramLM(order, smoothing=smoothing, k=0.5).fit(ids, vocabulary_size=15)
    contexts = [list(ids[i:i + order - 1]) for i in range(0, 300, 17)] + [[14] * (order - 1), [], [3, 14, 0]]
    for context in contexts:
        p = model.probabilities(context)
        assert p.shape == (15,) and abs(p.sum() - 1.0) < 1e-12 and (p > 0).all(), context


def reference_kneser_ney(corpus, order, size):
    """Interpolated Kneser–Ney written out from its definition (Chen & Goodman 1998), one
    dictionary per order: the highest order counts occurrences, the lower ones continuations."""
    grams = {k: Counter(tuple(corpus[i:i + k]) for i in range(len(corpus) - k + 1)) for k in range(1, order + 1)}
    used = {order: grams[order]}
    for k in range(1, order):
        used[k] = Counter(gram[1:] for gram in grams[k + 1])  # N₁₊(• g): one per distinct left neighbour
    discount = {}
    for k in range(1, order + 1):
        once = sum(1 for c in used[k].values() if c == 1)
        twice = sum(1 for c in used[k].values() if c == 2)
        discount[k] = once / (once + 2 * twice) if once else 0.5

    def probability(word, history):
        p = 1.0 / size
        for k in range(1, order + 1):
            context = tuple(history[len(history) - (k - 1):]) if k > 1 else ()
            if k > 1 and len(history) < k - 1:
                continue
            total = sum(c for g, c in used[k].items() if g[:-1] == context)
            if total == 0:
                continue
            types = sum(1 for g, c in used[k].items() if g[:-1] == context and c > 0)
            count = used[k].get(context + (word,), 0)
            p = (max(count - discount[k], 0) + discount[k] * types * p) / total
        return p

    return probability


def reference_add_k(corpus, order, size, k):
    """(c(h w) + k) / (c(h) + k V), h the n − 1 tokens before w — or, at the start of a text,
    all the tokens there are, with the counts of that shorter order."""
    grams = Counter(tuple(corpus[i:i + n]) for n in range(1, order + 1) for i in range(len(corpus) - n + 1))
    contexts = Counter()
    for gram, count in grams.items():
        contexts[gram[:-1]] += count

    def probability(word, history):
        context = tuple(history[max(0, len(history) - (order - 1)):]) if order > 1 else ()
        return (grams.get(context + (word,), 0) + k) / (contexts.get(context, 0) + k * size)

    return probability


TINY = [1, 2, 3, 1, 2, 4, 1, 2, 3, 3, 1, 4, 2, 1, 2, 3]  # "a b c a b d a b c c a d b a b c", by hand


@pytest.mark.parametrize("order", [1, 2, 3])
def test_kneser_ney_and_add_k_perplexities_match_a_direct_computation(order):
    held_out = [1, 2, 4, 1, 3, 2, 1, 2, 3, 0]  # 0 never seen in training
    for smoothing, reference in (("kneser-ney", reference_kneser_ney(TINY, order, 6)),
                                 ("add-k", reference_add_k(TINY, order, 6, 0.5))):
        model = NGramLM(order, smoothing=smoothing, k=0.5).fit(TINY, vocabulary_size=6)
        expected = [reference(held_out[i], held_out[max(0, i - order + 1):i]) for i in range(1, len(held_out))]
        numpy.testing.assert_allclose(numpy.exp(model.log_probabilities(held_out)), expected, rtol=1e-12)
        want = math.exp(-numpy.mean(numpy.log(expected)))
        assert abs(model.perplexity(held_out) - want) < 1e-9 * want, smoothing


def test_add_k_uses_the_shorter_order_a_short_history_allows():
    """TINY has 16 tokens, 1 five times, and the bigrams after 1 are (1,2)×4 and (1,4)×1: by hand."""
    model = NGramLM(3, smoothing="add-k", k=0.5).fit(TINY, vocabulary_size=6)
    assert model.probabilities([])[1] == pytest.approx((5 + 0.5) / (16 + 0.5 * 6))  # the unigram
    assert model.probabilities([1])[2] == pytest.approx((4 + 0.5) / (5 + 0.5 * 6))  # the bigram after 1
    assert model.probabilities([5])[2] == pytest.approx(1 / 6)  # a context never seen: the uniform 1/V
    first_two = numpy.exp(model.log_probabilities([1, 2, 3]))[:1]  # P(2 | 1): one token of history
    assert first_two[0] == pytest.approx((4 + 0.5) / (5 + 0.5 * 6))


def test_the_bigram_discount_is_stated_and_by_hand():
    """TINY's bigrams: (1,2)×4, (2,3)×3, (3,1)×2, (2,4), (4,1), (3,3), (1,4), (4,2), (2,1): n₁ = 6, n₂ = 1."""
    model = NGramLM(2).fit(TINY, vocabulary_size=6)
    assert model.discounts[1] == pytest.approx(6 / (6 + 2 * 1))
    # after 1: (1,2) four times and (1,4) once, so c(1) = 5 and N₁₊(1 •) = 2; below it the continuation
    # unigram: 2 follows 2 distinct tokens of the 9 distinct bigrams, and no count there is 1, so D = 0.5
    continuation = (2 - 0.5 + 0.5 * 4 / 6) / 9
    assert model.discounts[0] == 0.5 and model.probabilities([])[2] == pytest.approx(continuation)
    assert model.probabilities([1])[2] == pytest.approx((4 - 0.75 + 0.75 * 2 * continuation) / 5)


def test_more_context_helps_on_text_and_add_one_overfits_long_contexts():
    text = tr.data.standard_library_text(60_000)
    vocabulary = tr.data.Vocabulary.from_text(text)
    ids = numpy.array(vocabulary.encode(text))
    train, held_out = ids[:54_000], ids[54_000:]
    kn = [NGramLM(n).fit(train, len(vocabulary)).perplexity(held_out) for n in (1, 2, 3, 4)]
    add_one = [NGramLM(n, "add-k").fit(train, len(vocabulary)).perplexity(held_out) for n in (1, 2, 3, 4)]
    assert kn[0] > kn[1] > kn[2] > kn[3], kn
    assert all(k < a for k, a in zip(kn[2:], add_one[2:])), (kn, add_one)  # Kneser–Ney beats add-1 from n = 3
    assert add_one[3] > add_one[2]  # add-1 spreads too much mass over unseen 4-grams


def test_sampling_is_seeded_and_respects_end_and_exclusions():
    model = NGramLM(2).fit(TINY, vocabulary_size=6)
    first = model.sample(20, context=[1], seed=3, exclude=[0, 5])
    assert first == model.sample(20, context=[1], seed=3, exclude=[0, 5]) and not {0, 5} & set(first)
    ended = model.sample(50, context=[1], seed=0, end_id=4)
    assert 4 not in ended[:-1] and (ended[-1] == 4 or len(ended) == 50)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="smoothing must be one of"):
        NGramLM(2, smoothing="witten-bell")
    with pytest.raises(ValueError, match="call .fit"):
        NGramLM(2).probabilities([1])
    with pytest.raises(ValueError, match="outside a vocabulary of 4"):
        NGramLM(2).fit([1, 2, 5], vocabulary_size=4)
    with pytest.raises(ValueError, match="vocabulary it was fit on"):
        NGramLM(2).fit([1, 2, 3], vocabulary_size=4).perplexity([1, 9])


def test_a_million_tokens_count_quickly():
    """Counts are NumPy arrays: a 5-gram model of a million tokens fits (not timed: it must not hang)."""
    ids = numpy.random.default_rng(0).integers(0, 80, size=1_000_000)
    model = NGramLM(5).fit(ids, 80)
    assert len(model.keys) == 5 and model.keys[0].size == 80


# --- the fixed window ---------------------------------------------------------------------------


def test_the_fixed_window_sees_its_window_and_nothing_before():
    tr.manual_seed(0)
    model = tr.models.FixedWindowLM(12, window=3, embedding_dim=4, hidden_size=8)
    ids = numpy.array([[4, 5, 6, 7, 8, 9, 10]])
    base, _ = model(tr.tensor(ids))
    changed = ids.copy()
    changed[0, 1] = 11  # token 2: inside the window of positions 2…4, outside it from position 5 on
    other, _ = model(tr.tensor(changed))
    moved = numpy.abs(base.numpy() - other.numpy()).max(axis=-1)[0]
    assert (moved[:1] == 0).all() and (moved[1:4] > 0).all() and (moved[4:] == 0).all(), moved


def test_the_fixed_window_carries_its_last_tokens_across_chunks():
    tr.manual_seed(0)
    model = tr.models.FixedWindowLM(12, window=4, embedding_dim=4, hidden_size=8)
    whole, _ = model(tr.tensor([[4, 5, 6, 7, 8, 9]]))
    first, state = model(tr.tensor([[4, 5, 6]]))
    second, _ = model(tr.tensor([[7, 8, 9]]), state)
    numpy.testing.assert_allclose(numpy.concatenate([first.numpy(), second.numpy()], axis=1), whole.numpy(),
                                  atol=1e-6)


def test_the_fixed_window_gradients_match_finite_differences():
    tr.manual_seed(0)
    model = tr.models.FixedWindowLM(9, window=3, embedding_dim=3, hidden_size=5, dtype="float64")
    ids, targets = tr.tensor([[2, 5, 7, 4, 6]]), tr.tensor([5, 7, 4, 6, 8])
    before = tr.tensor([[3, 1]])  # the tokens before the chunk (not [PAD], whose row gets no gradient by design)

    def loss(*parameters):
        logits, _ = model(ids, before)
        return tr.nn.functional.cross_entropy(logits.reshape(-1, 9), targets)

    assert tr.checks.gradcheck(loss, list(model.parameters()))


def test_the_fixed_window_trains_with_the_language_model_loop():
    text = "abcabcabd" * 40
    vocabulary = tr.data.Vocabulary.from_text(text)
    ids = numpy.array(vocabulary.encode(text))
    tr.manual_seed(0)
    model = tr.models.FixedWindowLM(len(vocabulary), window=2, embedding_dim=8, hidden_size=16)
    history = tr.training.train_language_model(model, tr.optim.Adam(model.parameters(), lr=1e-2), ids, steps=60,
                                               batch_size=4, bptt=16, progress=False)
    assert history["loss"][-1] < 0.5 * history["loss"][0]


# --- the encoder–decoder ------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_encoder_decoder_gradients_match_finite_differences(cell):
    tr.manual_seed(0)
    model = tr.models.Seq2Seq(7, 6, embedding_dim=2, hidden_size=3, cell=cell, dtype="float64")
    source, inputs, wanted = tr.tensor([[4, 5, 6], [6, 4, 0]]), tr.tensor([[2, 4], [2, 5]]), tr.tensor([4, 3, 5, 3])

    def loss(*parameters):
        logits = model(source, inputs, source_lengths=[3, 2])
        return tr.nn.functional.cross_entropy(logits.reshape(-1, 6), wanted)

    assert tr.checks.gradcheck(loss, list(model.parameters()))


def test_the_decoder_is_conditioned_on_the_source():
    tr.manual_seed(0)
    model = tr.models.Seq2Seq(9, 7, embedding_dim=4, hidden_size=8)
    inputs = tr.tensor([[2, 4, 5]])
    first, second = model(tr.tensor([[4, 5, 6]]), inputs), model(tr.tensor([[6, 5, 4]]), inputs)
    assert numpy.abs(first.numpy() - second.numpy()).max() > 1e-4
    padded = model(tr.tensor([[4, 5, 6, 0, 0]]), inputs, source_lengths=[3])  # padding after the source: no effect
    numpy.testing.assert_allclose(padded.numpy(), first.numpy(), atol=1e-6)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_beam_search_of_width_one_is_greedy_and_wider_never_scores_lower(cell):
    tr.manual_seed(1)
    model = tr.models.Seq2Seq(10, 8, embedding_dim=4, hidden_size=8, cell=cell)
    rng = numpy.random.default_rng(0)
    sources = [list(rng.integers(4, 10, size=rng.integers(2, 7))) for _ in range(12)]
    greedy = model.greedy(tr.data.pad_batch(sources)[0], max_length=6, source_lengths=[len(s) for s in sources])
    for source, from_batch in zip(sources, greedy):
        alone = model.greedy(source, max_length=6)[0]
        assert alone == from_batch  # a batch decodes each source as it decodes alone
        assert model.beam_search(source, beam_width=1, max_length=6) == alone
        for width in (2, 4):
            found = model.beam_search(source, beam_width=width, max_length=6, alpha=0.0)
            assert model.score(source, found) >= model.score(source, alone) - 1e-9


def exhaustive_best(model, source, max_length, alpha):
    """Every target of up to ``max_length`` tokens (never [PAD], [BEGIN] or [END] inside), scored."""
    tokens = [t for t in range(model.head.out_features) if t not in (0, 2, 3)]
    targets, frontier = [[]], [[]]
    for _ in range(max_length):
        frontier = [target + [t] for target in frontier for t in tokens]
        targets += frontier
    return max(targets, key=lambda target: model.score(source, target) / (len(target) + 1) ** alpha)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_beam_wider_than_every_target_finds_the_exhaustive_best(seed, alpha):
    """Vocabulary 6 (ids 1, 4, 5 may be written): with a beam of 100 the first steps have fewer
    candidates than the beam is wide — none of the ruled-out ids may slip in."""
    tr.manual_seed(seed)
    model = tr.models.Seq2Seq(6, 6, embedding_dim=3, hidden_size=4)
    for source in ([4, 5, 1], [1], [5, 5, 4, 1]):
        for max_length in (1, 2, 3):  # a target of max_length tokens, then [END], is a candidate too
            found = model.beam_search(source, beam_width=100, max_length=max_length, alpha=alpha)
            assert not {0, 2, 3} & set(found), found
            assert found == exhaustive_best(model, source, max_length, alpha), (source, max_length)


def test_max_length_counts_the_tokens_written_in_greedy_and_beam_search_alike():
    tr.manual_seed(1)
    model = tr.models.Seq2Seq(6, 6, embedding_dim=3, hidden_size=4)
    model.head.bias.data[3] -= 100.0  # [END] never likely: every decoding runs to max_length
    for max_length in (1, 3):
        assert len(model.greedy([4, 5, 1], max_length=max_length)[0]) == max_length
        assert len(model.beam_search([4, 5, 1], beam_width=5, max_length=max_length)) == max_length


def test_a_written_target_is_scored_as_its_log_probability():
    tr.manual_seed(0)
    model = tr.models.Seq2Seq(9, 7, embedding_dim=4, hidden_size=8)
    logits = model(tr.tensor([[4, 5, 6]]), tr.tensor([[2, 5, 4]]))
    log_probs = logits.log_softmax(-1).numpy()[0]
    assert abs(model.score([4, 5, 6], [5, 4]) - (log_probs[0, 5] + log_probs[1, 4] + log_probs[2, 3])) < 1e-5


def test_dates_are_written_out_and_in_iso_form():
    sources, targets = tr.data.dates_task(300, seed=2)
    assert len(set(sources)) > 290
    import datetime

    for source, target in zip(sources, targets):
        date = datetime.date.fromisoformat(target)
        assert str(date.year) in source and date.strftime("%B")[:3] in source


def test_the_encoder_decoder_draws_as_one_timeline_and_its_gradient_crosses_into_the_encoder():
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.layout import labelled_layout

    tr.manual_seed(0)
    model = tr.models.Seq2Seq(10, 8, embedding_dim=4, hidden_size=4, fused=False)
    source, inputs = tr.tensor([[4, 5, 6]]), tr.tensor([[2, 5, 7]])
    source.name, inputs.name = "x", "y"
    loss = tr.nn.functional.cross_entropy(model(source, inputs).reshape(-1, 8), tr.tensor([5, 7, 3]))
    picture = build_picture((loss,), level="cell")
    cells = {n.label.split("\n")[0] + f" {n.step}": i for i, n in enumerate(picture.nodes) if n.kind == "group"
             and "cell" in n.label}
    # the lectures' numbering: the decoder's own steps 1…T′, drawn after the encoder's 1…S
    assert sorted(cells) == ["decoder cell 1", "decoder cell 2", "decoder cell 3", "encoder cell 1",
                             "encoder cell 2", "encoder cell 3"]
    assert (cells["encoder cell 3"], cells["decoder cell 1"], "h₃⁽ᵉ⁾") in picture.edges  # h₀⁽ᵈ⁾ = h₃⁽ᵉ⁾, handed over
    placed = labelled_layout(picture)[1]
    assert len({round(placed.boxes[i].y) for i in cells.values()}) == 1  # one row
    x = {name: placed.boxes[i].x for name, i in cells.items()}
    assert x["encoder cell 1"] < x["encoder cell 2"] < x["encoder cell 3"] < x["decoder cell 1"] < x[
        "decoder cell 2"] < x["decoder cell 3"]  # in the order of time
    labels = {n.label.split("\n")[0] for n in picture.nodes}
    # step t reads y_{t−1} (y₀ = [BEGIN], written y_0 as h_0 is) and predicts y_t: J₁ … J₃
    assert {"x₁", "x₃", "y_0", "y₂", "J₁ = cross_entropy", "J₃ = cross_entropy"} <= labels, labels
    assert not {"y₃", "y₄", "J₄ = cross_entropy"} & labels
    backward = build_picture((loss,), level="cell", backward=True)
    named = {n.label.split("\n")[0] + f" {n.step}": i for i, n in enumerate(backward.nodes)}
    assert (named["decoder cell, backward 1"], named["encoder cell, backward 3"], "∂J/∂h₃⁽ᵉ⁾") in backward.edges
    assert "(1/3)Σₜ₌₂³ ∂Jₜ/∂h₁⁽ᵈ⁾" in {label for _, _, label in backward.edges}  # the decoder's own chain
    sums = [n.label for n in backward.nodes if "Σₜ ∂J/∂W_hh" in n.label]
    assert sorted(re.search(r"∂J/∂W_hh(\S*) =", label).group(1) for label in sums) == ["⁽ᵈ⁾", "⁽ᵉ⁾"]  # whose W_hh
    assert "⁽ᵉ⁾: encoder, ⁽ᵈ⁾: decoder" in backward.notes


def test_greedy_generation_records_the_choices_it_feeds_back_and_draws_each_as_a_dashed_edge():
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.layout import labelled_layout
    from tinygrad_rnn.viz.legibility import measure
    from tinygrad_rnn.viz.picture import CHOICES, subscript
    from tinygrad_rnn.viz.svg import picture_to_svg

    tr.manual_seed(3)
    model = tr.models.Seq2Seq(10, 8, embedding_dim=4, hidden_size=4, fused=False, dtype="float64")
    source = tr.tensor([[4, 5, 6]])
    source.name = "x"
    score = model.greedy_graph(source, max_length=4)
    written = model.greedy(source, max_length=4)[0]
    finished = len(written) < 4  # it wrote [END] within max_length: that term is in the score too
    assert abs(score.item() - model.score(source, written, end=finished)) < 1e-12  # the same tokens, the same log P
    picture = build_picture((score,), level="cell")
    named = {n.label.split("\n")[0]: i for i, n in enumerate(picture.nodes)}
    decoder_steps = sorted(n.step for n in picture.nodes if n.label.startswith("decoder cell"))
    assert decoder_steps == list(range(1, 1 + len(written) + finished))  # its own steps, s₁ first
    first_line = [n.label.split("\n")[0] for n in picture.nodes]
    choices = [(first_line[t], first_line[h]) for t, h, label in picture.edges if label == "argmax"]
    # the scores s_t → (argmax) the token written, y_t, drawn as any token is → e_{t+1}: what the code does (an id
    # looked up), where the dashed edge went into e_{t+1} itself, the word it fed back drawn nowhere
    assert sorted(choices) == [(f"{subscript('s', s)} = linear", subscript("y", s)) for s in decoder_steps[:-1]]
    fed = sorted((first_line[t], first_line[h]) for t, h, _ in picture.edges if first_line[t].startswith("y"))
    chosen = [(subscript("y", s), f"{subscript('e', s + 1)}⁽ᵈ⁾ = embedding") for s in decoder_steps[:-1]]
    assert fed == sorted([("y_0", "e₁⁽ᵈ⁾ = embedding"), *chosen])
    # its first input named as the decoder's inputs are (y₀ = [BEGIN], then y₁ …), the token's word under it: a bare
    # "[BEGIN]" was no y_{t−1} (the deck's slide renamed it by hand)
    assert picture.nodes[named["y_0"]].label.split("\n")[:2] == ["y_0", '"[BEGIN]"'] and "[BEGIN]" not in named
    labels, placed = labelled_layout(picture)
    drawn = measure(picture_to_svg(picture, placed, labels, "g", figure=True))
    assert drawn.crossings <= len(choices) and drawn.through_nodes == 0  # each choice crosses h_t once
    backward = build_picture((score,), level="cell", backward=True)
    assert not any(label in CHOICES for _, _, label in backward.edges)  # no gradient through a choice
    sums = [n.label for n in backward.nodes if "∂J/∂W_hy" in n.label]  # the head, by what it does (head.weight)
    assert len(sums) == 1  # one head, called at every step: one Σ
    score.backward()
    assert float((model.source_embedding.weight.grad ** 2).sum().item()) > 0  # the gradient reaches the encoder


@pytest.mark.parametrize("level", ["cell", "step"])
def test_generation_numbers_the_token_fed_back_by_the_step_that_chose_it_at_every_level(level):
    """Decoder step t reads y_{t−1}: the token s₁'s argmax chose, read at step 2, is y₁. At step level it was drawn
    y₂ (the decoder's step, not the step before it: a step node, which reads both rows, has no chain, and the
    embedding under it was not known to be a decoder's)."""
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.lecture_models import ONE_WORD, seq2seq_model, seq2seq_source

    picture = build_picture((seq2seq_model().greedy_graph(seq2seq_source(ids=ONE_WORD), max_length=2),), level=level)
    first_line = [node.label.split("\n")[0] for node in picture.nodes]
    chosen = [first_line[head] for _, head, label in picture.edges if label == "argmax"]
    fed = {first_line[tail]: picture.nodes[head].step for tail, head, _ in picture.edges
           if first_line[tail].startswith("y")}
    assert chosen == ["y₁"] and fed == {"y_0": 1, "y₁": 2}, (chosen, fed)


def test_a_choice_fed_back_widens_no_side_of_the_figure():
    """The dashed choice into the token chosen (y₁ under the decoder's step 2) runs between a node of the steps (s₁)
    and one under them, as a straight edge from beside the steps (h_T → J) does: its label "argmax" widened the room
    beside the steps on both sides, h₀⁽ᵉ⁾ 78 pt from the encoder's first cell, where the teacher-forced figure of
    the same encoder has it 60 pt off; the choice drops in a gap between two steps, not beside them."""
    from tinygrad_rnn.viz.graph import build_picture
    from tinygrad_rnn.viz.layout import labelled_layout
    from tinygrad_rnn.viz.lecture_models import NOW, NOW_TARGETS, ONE_WORD, seq2seq_loss, seq2seq_model, seq2seq_source

    def h0_to_first_cell(root):
        picture = build_picture((root,), level="cell")
        _, placed = labelled_layout(picture)
        at = {(n.label.split("\n")[0], n.step): box for n, box in zip(picture.nodes, placed.boxes)}
        return at[("encoder cell", 1)].left - at[("h_0⁽ᵉ⁾", None)].right

    generated = seq2seq_model().greedy_graph(seq2seq_source(ids=ONE_WORD), max_length=2)
    assert h0_to_first_cell(generated) <= h0_to_first_cell(seq2seq_loss(source=NOW, targets=NOW_TARGETS))


def test_an_embedding_is_told_what_its_ids_were_chosen_from_by_a_tensor():
    with pytest.raises(TypeError, match="chosen_from must be the Tensor of scores"):
        tr.nn.functional.embedding(tr.tensor([[1]]), tr.randn(3, 2), chosen_from=[0.1, 0.9])


def test_the_models_of_the_lectures_train_and_generate_on_the_device(device):
    """Each runs where its tensors are: forward, backward, greedy, beam and the recorded generation
    on the GPU give what they give on the CPU (same seed, float64)."""
    results = {}
    for where in ("cpu", device):
        tr.manual_seed(0)
        model = tr.models.Seq2Seq(9, 7, embedding_dim=4, hidden_size=6, cell="lstm", device=where, dtype="float64")
        source, inputs = tr.tensor([[4, 5, 6], [5, 6, 0]], device=where), tr.tensor([[2, 5], [2, 6]], device=where)
        logits = model(source, inputs, source_lengths=[3, 2])
        loss = tr.nn.functional.cross_entropy(logits.reshape(-1, 7), tr.tensor([5, 3, 6, 3], device=where))
        loss.backward()
        assert loss.device == tr.get_device(where) and model.head.weight.grad.device == tr.get_device(where)
        window = tr.models.FixedWindowLM(9, window=2, embedding_dim=3, hidden_size=5, device=where, dtype="float64")
        window_logits, _ = window(tr.tensor([[4, 5, 6, 7]], device=where))
        results[where] = (loss.item(), model.head.weight.grad.numpy(), model.greedy(source, 4),
                          model.beam_search([4, 5, 6], beam_width=2, max_length=4),
                          model.greedy_graph([4, 5, 6], max_length=3).item(), window_logits.numpy())
    cpu, there = results["cpu"], results[device]
    assert abs(cpu[0] - there[0]) < 1e-12 and numpy.allclose(cpu[1], there[1], atol=1e-12)
    assert cpu[2:4] == there[2:4] and abs(cpu[4] - there[4]) < 1e-12 and numpy.allclose(cpu[5], there[5])
