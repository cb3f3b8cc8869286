"""Labels that must name what they stand for (a lecturer's review): the per-step term of a generation loop's
score, not the logits it was computed from; dropout masks, not the step's input; a weight's values after
opt.step(), not passed off as those its activations were computed from."""

import warnings

import pytest
from drawing_cases import generation_loop

import tinygrad_rnn as tr
from tinygrad_rnn.viz.graph import build_picture

F = tr.nn.functional


def texts(picture) -> list[str]:
    return [node.label for node in picture.nodes] + [label for *_, label in picture.edges]


@pytest.fixture(scope="module")
def generation_score():
    """docs/drawing.md's generation loop: the logits named ŷ, the score a running sum of log-probabilities."""
    tr.manual_seed(0)
    return generation_loop(tr.nn.RNN, 10, 4, lambda logits: logits.argmax(-1))


def test_a_generation_loop_s_bptt_names_each_step_s_term_not_the_logits_it_was_computed_from(generation_score):
    """∂J/∂ŷ₁ = 1 and Σₜ ∂ŷₜ/∂h₁ were Jacobians of the logits written as gradients of J; then ∂J/∂J₁ = 1 ran
    straight into the head's node, whose edge "J₁" left "ŷ₁ = linear", as if the gradient at the logits were 1. The
    log_softmax and the index are J_t's own node, "J₁ = log_softmax[·]", as a loss function's cross_entropy is: the
    1 enters it, and what leaves it for the head is ∂J/∂ŷ₁."""
    picture = build_picture((generation_score,), level="cell", backward=True)
    into = {(picture.nodes[tail].label, picture.nodes[head].label, label) for tail, head, label in picture.edges}
    assert {("J", f"log_softmax[·], backward\nt={t}", f"∂J/∂J{'₁₂₃₄'[t - 1]} = 1") for t in (1, 4)} <= into
    assert ("log_softmax[·], backward\nt=1", "linear, backward\nt=1", "∂J/∂ŷ₁") in into
    assert not [label for *_, label in into if label.startswith("∂J/∂ŷ") and "=" in label], into
    assert {"Σₜ₌₂⁴ ∂Jₜ/∂h₁", "∂J₁/∂h₁"} <= set(texts(picture))
    forward = build_picture((generation_score,), level="cell")
    edges = {(forward.nodes[tail].label, forward.nodes[head].label, label) for tail, head, label in forward.edges}
    assert ("ŷ₁ = linear", "J₁ = log_softmax[·]", "") in edges  # ŷ_t on its node, J_t on its own, into Σₜ Jₜ
    assert not [edge for edge in edges if edge[0] == "ŷ₁ = linear" and edge[2].startswith("J")], edges


SAMPLERS = {  # how a sampling loop draws its next token from the logits: only a sampler reads the probabilities
    "softmax, multinomial": lambda logits: tr.multinomial(logits.softmax(-1), 1),
    "F.softmax, multinomial(num_samples=1)": lambda logits: tr.multinomial(F.softmax(logits, dim=-1), num_samples=1),
    "temperature": lambda logits: tr.multinomial((logits / 0.7).softmax(-1), 1),
}


@pytest.mark.parametrize("sample", SAMPLERS.values(), ids=SAMPLERS.keys())
def test_a_sampling_loop_s_term_is_its_own_node_whatever_else_reads_the_logits(sample):
    """The generation loop above, its next token drawn by multinomial from softmax(ŷ_t) (or of ŷ_t / T): the
    logits have a second reader, the softmax only the sampler reads, but J_t = log_softmax(ŷ_t)[·] is still what J
    reads, so it is still a node of its own — never the edge "J₁" out of "ŷ₁ = linear", and never ∂J/∂ŷ₁ = 1."""
    tr.manual_seed(0)
    score = generation_loop(tr.nn.LSTM, 8, 3, sample)
    forward = build_picture((score,), level="cell")
    edges = {(forward.nodes[tail].label, forward.nodes[head].label, label) for tail, head, label in forward.edges}
    assert ("ŷ₁ = linear", "J₁ = log_softmax[·]", "") in edges
    assert not [edge for edge in edges if edge[0].startswith("ŷ") and edge[2].startswith("J")], edges
    bptt = build_picture((score,), level="cell", backward=True)
    into = {(bptt.nodes[tail].label, bptt.nodes[head].label, label) for tail, head, label in bptt.edges}
    assert ("J", "log_softmax[·], backward\nt=1", "∂J/∂J₁ = 1") in into
    assert ("log_softmax[·], backward\nt=1", "linear, backward\nt=1", "∂J/∂ŷ₁") in into
    jacobians_as_gradients = [text for text in texts(bptt) if ("∂ŷ" in text and "/∂h" in text)
                              or (text.startswith("∂J/∂ŷ") and "=" in text)]  # ∂ŷ₁/∂h₁, ∂J/∂ŷ₁ = 1
    assert not jacobians_as_gradients, jacobians_as_gradients


@pytest.mark.parametrize("notation, term, head", [(None, "J₁", "ŷ₁"), ("cs224n", "J⁽¹⁾", "ŷ⁽¹⁾")],
                         ids=["pytorch", "cs224n"])
def test_a_tempered_score_is_written_as_the_lectures_write_a_temperature(notation, term, head):
    """J_t = log softmax(ŷ_t / τ)[·], as a lecture writes ŷ_t = softmax(U h_t / τ), in the notation in use: it was
    log_softmax(div)[·], the ops' names; BPTT's node says the same."""
    tr.manual_seed(0)
    score = generation_loop(tr.nn.RNN, 6, 2, lambda logits: tr.multinomial((logits / 0.7).softmax(-1), 1), 0.7)
    forward, bptt = (texts(build_picture((score,), level="cell", backward=back, notation=notation))
                     for back in (False, True))
    assert f"{term} = log_softmax({head}/τ)[·], τ=0.7" in forward, forward
    assert f"log_softmax({head}/τ)[·], τ=0.7, backward\nt=1" in bptt, bptt
    assert not [text for text in forward + bptt if "div" in text]


def test_a_named_score_is_the_j_its_terms_and_gradients_name_in_both_figures(generation_score):
    generation_score.name = "log p"
    try:
        roots = [build_picture((generation_score,), level="cell", backward=backward).nodes[0].label
                 for backward in (False, True)]
        cmu = build_picture((generation_score,), level="cell", backward=True, notation="cmu").nodes[0].label
    finally:
        generation_score.name = None
    assert roots == ["J = log p", "J = log p"] and cmu == "L = log p"


def test_a_score_the_user_names_by_one_letter_is_that_letter_in_every_gradient_of_both_figures(generation_score):
    """loss.name = "L" was "L" forward and "J = L" in BPTT, every arrow ∂J/∂…: two names for one scalar."""
    generation_score.name = "L"
    try:
        forward, bptt = (texts(build_picture((generation_score,), level="cell", backward=backward))
                         for backward in (False, True))
    finally:
        generation_score.name = None
    assert forward[0] == bptt[0] == "L" and "L₁ = log_softmax[·]" in forward  # (L_t its own node: the test above)
    assert {"∂L/∂L₁ = 1", "Σₜ₌₂⁴ ∂Lₜ/∂h₁", "∂L₁/∂h₁"} <= set(bptt)
    assert not [text for text in forward + bptt if "J" in text], bptt


@pytest.fixture(scope="module")
def dropped_language_model():
    """Dropout on the embeddings and on the outputs, words given (the review's smallest case)."""
    tr.manual_seed(0)
    emb, drop, rnn, head = tr.nn.Embedding(12, 4), tr.nn.Dropout(0.3), tr.nn.RNN(4, 4, batch_first=True), \
        tr.nn.Linear(4, 12)
    out, _ = rnn(drop(emb(tr.tensor([[1, 4, 2, 7]]))))
    return F.cross_entropy(head(drop(out)).reshape(-1, 12), tr.tensor([4, 2, 7, 3]))


def test_dropout_masks_are_drawn_once_unsubscripted_and_the_words_stay_under_x_t(dropped_language_model):
    words = "the students opened their".split()
    picture = build_picture((dropped_language_model,), level="cell", tokens=words, show_shapes=False)
    masks = sorted(node.label for node in picture.nodes if node.label.startswith("dropout mask"))
    assert masks == ["dropout mask 1, p = 0.3", "dropout mask 2, p = 0.3"]  # one node each, no "p = 0.3₁"
    inputs = sorted(node.label for node in picture.nodes if node.label.startswith("x"))
    assert inputs == [f'x{"₁₂₃₄"[k]}\n"{word}"' for k, word in enumerate(words)]


def test_two_dropouts_are_two_names_forward_and_back(dropped_language_model):
    forward = [node.label for node in build_picture((dropped_language_model,), level="cell").nodes]
    assert sorted(label for label in forward if label.endswith("= dropout")) == sorted(
        [f"d{t} = dropout" for t in "₁₂₃₄"] + [f"d′{t} = dropout" for t in "₁₂₃₄"])
    arrows = [label for *_, label in build_picture((dropped_language_model,), level="cell", backward=True).edges]
    assert arrows.count("∂J/∂d₁") == 1 and arrows.count("∂J/∂d′₁") == 1


def test_values_after_opt_step_are_marked_new_and_a_warning_says_so():
    """h₁ = tanh(… W_hh …) showed the old W_hh's activations beside the new W_hh, with nothing said."""
    tr.manual_seed(0)
    rnn = tr.nn.RNN(1, 1)
    loss = rnn(tr.randn(2, 1, 1))[0][-1].sum()
    loss.backward(retain_graph=True)

    def drawn():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            picture = build_picture((loss,), show_values=True, params="once")
        (label,) = [node.label for node in picture.nodes if node.label.startswith("weight_hh_l0")]
        return label, picture.notes, [str(warning.message) for warning in caught]

    before, notes_before, quiet = drawn()
    tr.optim.SGD(rnn.parameters(), lr=0.5).step()
    after, notes, said = drawn()
    assert not before.endswith("SGD.step()") and not quiet and not [n for n in notes_before if "SGD" in n]
    assert after.endswith("\nafter SGD.step()") and after.split("\n")[2] != before.split("\n")[2]  # the new values
    assert "after SGD.step(): the values now, updated since this forward; the activations drawn are the forward's" \
        in notes
    assert len(said) == 1 and "weight_hh_l0" in said[0] and "SGD.step()" in said[0]


def test_a_clipped_step_says_which_grads_clipping_rewrote_and_that_the_colours_are_not_them():
    """clip_grad_norm_ took the .grad's total norm from 180.6 to 1.0, and the show_grads figure (forward and BPTT)
    said nothing: a student reads colours up to 100 as what clipping left, or that it scaled ∂J/∂h_t."""
    tr.manual_seed(0)
    rnn, head = tr.nn.RNN(2, 3), tr.nn.Linear(3, 1)
    loss = (head(rnn(tr.randn(3, 1, 2))[0][-1]) * 100.0).sum()
    loss.backward(retain_graph=True)

    def clipping_notes(**options):
        return [note for note in build_picture((loss,), level="cell", show_grads=True, **options).notes
                if "clipped" in note]

    assert clipping_notes() == [] and clipping_notes(backward=True) == []  # backward alone: nothing rewritten
    total = tr.nn.utils.clip_grad_norm_(list(rnn.parameters()) + list(head.parameters()), 1.0).item()
    assert total > 10
    said = ("W_hy, b_y, … (6 tensors): .grad clipped after backward by clip_grad_norm_() (total norm now 1.0); "
            "the colours are ‖∂J/∂h_t‖, which clipping does not touch")
    assert clipping_notes() == [said] and clipping_notes(backward=True) == [said]


@pytest.fixture(scope="module")
def padded_tagger():
    """A GRU tagger over a padded batch, lengths=[4, 2], each sequence's loss a call of its own: its logits, and
    J = cross_entropy(logits[0], 4 tags) + cross_entropy(logits[1, :2], 2 tags)."""
    tr.manual_seed(0)
    emb, gru, head = tr.nn.Embedding(10, 3), tr.nn.GRU(3, 4, batch_first=True), tr.nn.Linear(4, 3)
    logits = head(gru(emb(tr.tensor([[1, 2, 3, 4], [5, 6, 0, 0]])), lengths=[4, 2])[0])
    return logits, F.cross_entropy(logits[0], tr.tensor([0, 1, 2, 1])) + F.cross_entropy(logits[1, :2],
                                                                                         tr.tensor([2, 0]))


def test_a_padded_tagger_says_which_positions_its_loss_leaves_out(padded_tagger):
    """J = cross_entropy(logits[0], …) + cross_entropy(logits[1, :2], …): the figure drew a head and an arrow into J
    at every step for the whole batch, and nothing said that sequence 2's t = 3, 4 are outside the loss."""
    logits, masked = padded_tagger
    said = "Sequence 2: no loss at t = 3, 4 (J reads none of its outputs there)"
    assert said in build_picture((masked,), level="cell").notes
    bptt = build_picture((masked,), level="cell", backward=True)
    assert said + ", so the heads there hand it no gradient" in bptt.notes
    # the op level draws the masks (t ≤ lengths) and each loss call, and said nothing of this either
    assert said in build_picture((masked,), level="op").notes
    assert said in build_picture((masked,), level="op", backward=True).notes
    every = F.cross_entropy(logits.reshape(8, 3), tr.tensor([0, 1, 2, 1, 2, 0, 0, 0]))  # the padding in the loss too
    assert not [note for note in build_picture((every,), level="cell").notes if "no loss" in note]


def test_a_padded_taggers_two_loss_calls_are_drawn_as_written(padded_tagger):
    """The figure drew "linear t=1…4" straight into J — no cross_entropy, no J_t: as if J read every head of both
    sequences. Each call is drawn as an unpadded tagger's loss is, one J_t a step over the heads its index reads
    (sequence 2's at t = 1, 2 alone), and their mean, of its own sequence; J adds the two. Going back, each J_t
    gets its own mean's share: 1/4 for sequence 1's, 1/2 for sequence 2's."""
    masked = padded_tagger[1]
    forward = build_picture((masked,), level="cell")
    nodes, edges = forward.nodes, forward.edges
    losses = {(node.step, node.label.split("\n")[-1]): i for i, node in enumerate(nodes)
              if node.label.split("\n")[0].endswith("= cross_entropy")}
    assert sorted(losses) == [(1, "sequence 1"), (1, "sequence 2"), (2, "sequence 1"), (2, "sequence 2"),
                              (3, "sequence 1"), (4, "sequence 1")]
    assert nodes[losses[(1, "sequence 1")]].row != nodes[losses[(1, "sequence 2")]].row  # not side by side
    heads = {node.step: i for i, node in enumerate(nodes) if node.label.startswith("linear")}
    assert all((heads[step], i, "") in edges for (step, _), i in losses.items())  # J_t reads its own step's head
    (output,) = [i for i, node in enumerate(nodes) if node.kind == "output"]
    means = {nodes[tail].label: tail for tail, head, _ in edges if head == output}
    assert sorted(means) == ["(1/2) Σₜ Jₜ\nsequence 2", "(1/4) Σₜ Jₜ\nsequence 1"]
    mean_of = {"sequence 1": means["(1/4) Σₜ Jₜ\nsequence 1"], "sequence 2": means["(1/2) Σₜ Jₜ\nsequence 2"]}
    for (_, sequence), i in losses.items():
        assert [head for tail, head, _ in edges if tail == i] == [mean_of[sequence]]  # into its own call's mean alone
    bptt = build_picture((masked,), level="cell", backward=True)
    into = {(bptt.nodes[head].step, bptt.nodes[head].label.split("\n")[-1]): label
            for tail, head, label in bptt.edges if bptt.nodes[tail].kind == "output"}
    assert into == {(t, "sequence 1"): f"∂J/∂J{'₁₂₃₄'[t - 1]} = 1/4" for t in (1, 2, 3, 4)} | \
        {(t, "sequence 2"): f"∂J/∂J{'₁₂'[t - 1]} = 1/2" for t in (1, 2)}
    out_of_first = {bptt.nodes[tail].label.split("\n")[-1]: label for tail, head, label in bptt.edges
                    if bptt.nodes[tail].step == 1 and bptt.nodes[head].label.startswith("linear")}
    assert out_of_first == {"sequence 1": "(1/4) ∂J₁/∂s₁", "sequence 2": "(1/2) ∂J₁/∂s₁"}
    assert [note for note in bptt.notes if "(1/n)(ŷₜ − onehot(targetₜ)), n = 4 or 2" in note]
    logits, tags = padded_tagger[0][:1], tr.tensor([0, 1, 2, 1])  # a batch of one: logits[0] draws as the reshape
    alike = [build_picture((F.cross_entropy(x, tags),), level="cell") for x in (logits[0], logits.reshape(-1, 3))]
    assert [n.label for n in alike[0].nodes] == [n.label for n in alike[1].nodes] and alike[0].edges == alike[1].edges
    assert "J₁ = cross_entropy" in [n.label for n in alike[0].nodes]  # (no "sequence 1": it is the only one)
    ops = build_picture((masked,), level="op")  # each call's index → cross_entropy, the index saying which positions
    indexes = {ops.nodes[tail].label.split("\n")[0]: ops.nodes[head].label.split("\n")[0] for tail, head, _ in ops.edges
               if ops.nodes[tail].label.startswith("index")}
    assert indexes == {"index [0]": "cross_entropy", "index [1, :2]": "cross_entropy"}


def test_a_padded_taggers_head_and_losses_stand_after_the_steps_and_its_masks_say_what_they_keep(padded_tagger):
    """Op level (review 22b): the stack of the 4 masked states, the head, index [0], index [1, :2] and both
    cross_entropy calls stood inside step 4's frame — "step 4's head and loss", where index [1, :2] reads sequence
    2's steps 1 and 2. They read every step: no step's, drawn after the steps. And each mask said "where · 0.0"."""
    ops = build_picture((padded_tagger[1],), level="op")
    after = {node.label.split("\n")[0]: node.step for node in ops.nodes if node.kind == "op" and
             node.label.split("\n")[0] in ("stack", "linear", "index [0]", "index [1, :2]", "cross_entropy")
             and node.step is None}
    assert after == dict.fromkeys(["stack", "linear", "index [0]", "index [1, :2]", "cross_entropy"])
    masks = sorted(node.label.split("\n")[0] for node in ops.nodes if "length, else" in node.label)
    assert masks == [f"h{'₁₂₃₄'[t]} if t ≤ length, else 0" for t in range(4)]
    assert not [node for node in ops.nodes if node.label.startswith("where")]


def test_a_padded_taggers_scores_are_said_in_one_form_beside_two_means(padded_tagger):
    """Cell-level BPTT (review 22b): sequence 1's scores arrows said (1/4) ∂J₁/∂s₁ at steps 1–2 (their head read by
    two losses) and ∂J/∂s₃ at 3–4: both true, but side by side 3–4 read as unscaled. One form in the figure."""
    bptt = build_picture((padded_tagger[1],), level="cell", backward=True)
    into_heads = {(bptt.nodes[head].step, bptt.nodes[tail].label.split("\n")[-1]): label
                  for tail, head, label in bptt.edges if bptt.nodes[head].label.startswith("linear")
                  and "∂s" in label}
    assert into_heads == {(t, "sequence 1"): f"(1/4) ∂J{'₁₂₃₄'[t - 1]}/∂s{'₁₂₃₄'[t - 1]}" for t in (1, 2, 3, 4)} | \
        {(t, "sequence 2"): f"(1/2) ∂J{'₁₂'[t - 1]}/∂s{'₁₂'[t - 1]}" for t in (1, 2)}


def test_clipping_that_changes_nothing_is_not_said():
    """Under the limit, clip_grad_norm_ leaves .grad as it was (its norm 0.15 < 0.5, as a lecturer's run had it):
    the figure said ".grad clipped after backward … (total norm now 0.15)" all the same. Said only where it clipped,
    clip_grad_value_ alike."""
    tr.manual_seed(0)
    rnn = tr.nn.RNN(2, 3)
    loss = rnn(tr.randn(3, 1, 2))[0][-1].sum()
    loss.backward(retain_graph=True)
    total = tr.nn.utils.clip_grad_norm_(rnn.parameters(), 1e6).item()
    tr.nn.utils.clip_grad_value_(rnn.parameters(), 1e6)
    assert total < 1e6
    assert not [note for note in build_picture((loss,), level="cell", show_grads=True).notes if "clipped" in note]
    tr.nn.utils.clip_grad_value_(rnn.parameters(), 1e-3)
    assert [note for note in build_picture((loss,), level="cell", show_grads=True).notes if "clip_grad_value_" in note]


def test_a_loss_reading_rows_picked_by_a_list_draws_at_op_level():
    """cross_entropy(logits[[0, 2]], …): an index by a list (or a tensor) keeps its bare name — it raised "The truth
    value of an array … is ambiguous" where the index a loss reads is written out."""
    tr.manual_seed(0)
    gru, head = tr.nn.GRU(3, 4), tr.nn.Linear(4, 5)
    out, _ = gru(tr.randn(3, 1, 3))
    loss = tr.nn.functional.cross_entropy(head(out.reshape(-1, 4))[[0, 2]], tr.tensor([1, 3]))
    assert "index" in [node.label.split("\n")[0] for node in build_picture((loss,), level="op").nodes]


def test_a_stacks_index_that_a_loss_reads_says_its_position_once():
    """J = cross_entropy(head(stack(outs)[-1]), …) of 12 steps with steps left out: "index [-1] → h₁₂" (it read
    "index [-1] [-1] → t=12": the loss's index and the kept step's each wrote [-1])."""
    cell, head = tr.nn.RNNCell(3, 4), tr.nn.Linear(4, 5)
    h, outs = tr.zeros(1, 4), []
    for t in range(12):
        with tr.scope(f"t={t + 1}"):
            h = cell(tr.randn(1, 3), h)
            outs.append(h)
    loss = tr.nn.functional.cross_entropy(head(tr.stack(outs)[-1]), tr.tensor([1]))
    picture = build_picture((loss,), level="op", time_steps=(0, 1, 11))
    assert [node.label.split("\n")[0] for node in picture.nodes if "index" in node.label] == ["index [-1] → h₁₂"]
