"""Every labelled arrow of a BPTT figure carries what its label names.

For each arrow the label is read as a quantity and computed from the graph — ∂J/∂h₃ as
``tr.grad(J, h₃)``, (1/4) ∂(J₃ + J₄)/∂h₂ from the per-step losses recomputed from the logits,
(∂h₄/∂h₃)ᵀ ∂J/∂h₄ as a vector-Jacobian product — and compared with what flows along that arrow,
computed on its own: the gradient that the arrow's reader (the next cell, the head of its step)
hands back to the value on the arrow.
"""

import re
from dataclasses import replace

import numpy
import pytest

import tinygrad_rnn as tr
from tinygrad_rnn.viz.geometry import Box, node_size
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.grid import Grid
from tinygrad_rnn.viz.layout import labelled_layout

DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789" * 2)  # a step lowered (J₂) or raised (Σₜ₌₂⁴)
MARK = re.compile(r"⁽[^⁾]*⁾")  # a layer's mark on a state, h₃⁽²⁾: the layer is read from the node's row


def number(subscript):
    return int(subscript.translate(DIGITS))


class LanguageModelCase:
    """A language model unrolled by hand, so that every value a figure names is a tensor here:
    e (all steps), h_t and c_t of each layer, the logits, J = (1/T) Σ J_t."""

    def __init__(self, cell="rnn", steps=4, layers=1, vocab=7):
        tr.manual_seed(3)
        self.model = tr.models.LanguageModel(vocab, 3, 4, num_layers=layers, cell=cell, fused=False)
        ids = tr.tensor([[1, 4, 2, 6, 3, 5, 2, 1][:steps]])
        self.targets = [4, 2, 6, 3, 5, 2, 1, 3][:steps]
        self.embedded = self.model.embedding(ids)
        output, _ = self.model.rnn(self.embedded)
        self.logits = self.model.head(output)
        self.loss = tr.nn.functional.cross_entropy(self.logits.reshape(-1, vocab), tr.tensor(self.targets))
        self.loss.name = "J"
        self.steps, self.vocab = steps, vocab

    def state(self, name, layer):
        """h₃ (or c₃) of a layer: the tensor the figure's value names."""
        letter, step = name[0], number(name[1:])
        states = self.model.rnn.hidden_states if letter == "h" else self.model.rnn.cell_states
        return states[layer][step - 1]

    def step_loss(self, step):
        """J_t, recomputed from the logits of step t: the loss the figure draws above step t."""
        scores = self.logits[0, step - 1].reshape(1, -1)
        return tr.nn.functional.cross_entropy(scores, tr.tensor([self.targets[step - 1]]))

    def gradient(self, scalar, name, layer):
        """∂scalar/∂(the value named): for e_t the slice t of ∂scalar/∂e; for s_t, the scores of step t."""
        if name.startswith("s"):
            (whole,) = tr.grad(scalar, self.logits, retain_graph=True)
            return whole.numpy()[0, number(name[1:]) - 1]
        if name.startswith("e"):
            (whole,) = tr.grad(scalar, self.embedded, retain_graph=True)
            return whole.numpy()[:, number(name[1:]) - 1]
        (found,) = tr.grad(scalar, self.state(name, layer), retain_graph=True)
        return found.numpy()

    def outputs_of_cell(self, step, layer):
        """The states a cell passes on, each with the gradient it receives from outside the cell.
        An LSTM's c_t is read inside its own cell too (h_t = o_t ⊙ tanh(c_t)): that part is not
        handed back from outside, so it is taken off ∂J/∂c_t."""
        hidden = self.model.rnn.hidden_states[layer][step - 1]
        (from_outside,) = tr.grad(self.loss, hidden, retain_graph=True)
        pairs = [(hidden, from_outside)]
        if self.model.rnn.cell_states and self.model.rnn.cell_states[layer][0] is not None:
            cell = self.model.rnn.cell_states[layer][step - 1]
            (total,) = tr.grad(self.loss, cell, retain_graph=True)
            (inside,) = tr.grad(hidden, cell, grad_outputs=from_outside, retain_graph=True)
            pairs.append((cell, total - inside))
        return pairs


def layer_of(node):
    found = [int(part.split()[1]) for part in node.row if part.startswith("layer ")]
    return found[0] if found else 0


def named_quantity(case, label, layer):
    """What a label names, computed from the graph."""
    if match := re.fullmatch(r"∂J/∂(\w[₀-₉]+)", label):
        return case.gradient(case.loss, match.group(1), layer)
    if match := re.fullmatch(r"\(1/(\d+)\) ∂\(?([^)/]+)\)?/∂(\w[₀-₉]+)", label):
        scale, losses, value = int(match.group(1)), match.group(2), match.group(3)
        steps = [number(s) for s in re.findall(r"J([₀-₉]+)", losses)]
        if "…" in losses:
            steps = list(range(steps[0], steps[-1] + 1))
        partial = sum((case.step_loss(t) for t in steps[1:]), case.step_loss(steps[0])) * (1.0 / scale)
        return case.gradient(partial, value, layer)
    if match := re.fullmatch(r"\(1/(\d+)\)Σₜ₌([₀-₉]+)([⁰¹²³⁴⁵⁶⁷⁸⁹]+) ∂Jₜ/∂(\w[₀-₉]+)", label):  # a slide's (1/4)Σₜ₌₂⁴
        scale, first, last, value = int(match.group(1)), number(match.group(2)), number(match.group(3)), match.group(4)
        partial = sum((case.step_loss(t) for t in range(first + 1, last + 1)), case.step_loss(first)) * (1.0 / scale)
        return case.gradient(partial, value, layer)
    raise AssertionError(f"a label this test cannot read: {label!r}")


def chain_rule(case, label, reader_layer, layer):
    """(∂o/∂v)ᵀ ∂J/∂o: the product of o's Jacobian with respect to v alone (an LSTM's c₃ is held apart
    from h₃, which its cell computes from it and which has its own arrow) with ∂J/∂o."""
    out, value = re.fullmatch(r"\(∂(\w[₀-₉]+)/∂(\w[₀-₉]+)\)ᵀ ∂J/∂\w[₀-₉]+", label).groups()
    output, source = case.state(out, reader_layer), case.state(value, layer)
    (cotangent,) = tr.grad(case.loss, output, retain_graph=True)
    (named,) = tr.grad(output, source, grad_outputs=cotangent, retain_graph=True)
    if value.startswith("c"):  # take off the path c₃ → h₃ → the reader: it belongs to h₃'s arrow
        hidden = case.state("h" + value[1:], layer)
        (into_h,) = tr.grad(output, hidden, grad_outputs=cotangent, retain_graph=True)
        (through_h,) = tr.grad(hidden, source, grad_outputs=into_h, retain_graph=True)
        named = named - through_h
    return named.numpy()


def flowing(case, backward, reader, tail, label):
    """What the reader of an arrow hands back to the value on it, computed without the figure."""
    label = MARK.sub("", label)
    value = re.search(r"∂(\w[₀-₉]+)$", label).group(1) if "ᵀ" not in label else \
        re.search(r"/∂(\w[₀-₉]+)\)ᵀ", label).group(1)
    first = backward.nodes[reader].label.split("\n")[0].removesuffix(", backward")  # (a slide's note says it once)
    step, layer = backward.nodes[reader].step, layer_of(backward.nodes[tail])
    if first.endswith("cell") and value.startswith("c"):  # c_t: all it receives but through h_t
        (total,) = tr.grad(case.loss, case.state(value, layer), retain_graph=True)
        hidden = case.state("h" + value[1:], layer)
        (through_h,) = tr.grad(hidden, case.state(value, layer), grad_outputs=tr.grad(case.loss, hidden,
                                                                                       retain_graph=True)[0],
                               retain_graph=True)
        return (total - through_h).numpy()
    if first.endswith("cell"):
        outputs, cotangents = zip(*case.outputs_of_cell(step, layer_of(backward.nodes[reader])))
        target = case.embedded if value.startswith("e") else case.state(value, layer)
        (handed,) = tr.grad(list(outputs), target, grad_outputs=list(cotangents), retain_graph=True)
        return handed.numpy()[:, step - 1] if value.startswith("e") else handed.numpy()
    if first.endswith("cross_entropy"):  # J_t (or J₃ = cross_entropy): its part to s_t, (1/T) ∂J_t/∂s_t, recomputed
        scores = case.logits[0, step - 1].reshape(1, -1)
        alone = tr.nn.functional.cross_entropy(scores, tr.tensor([case.targets[step - 1]])) * (1.0 / case.steps)
        (handed,) = tr.grad(alone, scores)
        return handed.numpy()[0]
    if first == "linear":  # the head of step t: ŷ_t = W_hy h_t + b_y, the logits of step t only
        (cotangent,) = tr.grad(case.loss, case.logits, retain_graph=True)
        (handed,) = tr.grad(case.logits[0, step - 1], case.state(value, layer), grad_outputs=cotangent[0, step - 1],
                            retain_graph=True)
        return handed.numpy()
    raise AssertionError(f"an arrow from {first!r}")


def check_every_arrow(case, picture):
    checked = 0
    for reader, tail, marked in picture.edges:
        label = MARK.sub("", marked)  # the layer comes from the node's row
        if not label or label.startswith("t="):  # a Σ's terms, named by their step (tested in test_viz_lectures)
            continue
        if match := re.fullmatch(r"∂J/∂J([₀-₉]+) = 1/(\d+)", label):  # J = (1/T) Σ J_t hands each J_t 1/T
            losses = [case.step_loss(t) for t in range(1, case.steps + 1)]
            mean = sum(losses[1:], losses[0]) * (1.0 / case.steps)
            assert mean.item() == pytest.approx(case.loss.item(), rel=1e-5)
            (share,) = tr.grad(mean, losses[number(match.group(1)) - 1], retain_graph=True)
            assert share.item() == pytest.approx(1 / int(match.group(2)))
            checked += 1
            continue
        layer = layer_of(picture.nodes[tail])
        if "ᵀ" in label:  # (∂c₄/∂c₃)ᵀ ∂J/∂c₄: a vector-Jacobian product
            named = chain_rule(case, label, layer_of(picture.nodes[reader]), layer)
        else:
            named = named_quantity(case, label, layer)
        found = flowing(case, picture, reader, tail, label)
        numpy.testing.assert_allclose(found, named, rtol=1e-4, atol=1e-7, err_msg=label)
        checked += 1
    return checked


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_each_arrow_of_a_language_models_bptt_carries_what_its_label_names(cell):
    case = LanguageModelCase(cell, steps=4)
    picture = build_picture((case.loss,), level="cell", backward=True)
    labels = {label for _, _, label in picture.edges}
    # from step 4 into step 3 comes only the part of ∂J/∂h₃ that passes through h₄: J₄'s
    assert {"(1/4) ∂J₄/∂h₃", "(1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂", "(1/4)Σₜ₌₂⁴ ∂Jₜ/∂h₁", "(1/4) ∂J₃/∂h₃"} <= labels
    assert not {"∂J/∂h₁", "∂J/∂h₂", "∂J/∂h₃"} & labels  # none names the whole where it carries a part
    states = 2 if cell == "lstm" else 1  # h (and c) from each step to the one before
    # J → J_t, J_t → s_t, s_t → h_t, h_{t+1} → h_t, h_t → e_t
    assert check_every_arrow(case, picture) == 4 + 4 + 4 + 3 * states + 4
    assert any("∂J/∂h₃ = (1/4) ∂J₃/∂h₃ + (1/4) ∂J₄/∂h₃" in note for note in picture.notes)
    if cell == "lstm":  # every c arrow in one form, the last too (it read (∂h₄/∂c₃)ᵀ ∂J/∂h₄, as if h₄ read c₃)
        c_arrows = sorted(label for label in labels if "/∂c" in label)
        assert c_arrows == ["(∂c₂/∂c₁)ᵀ ∂J/∂c₂", "(∂c₃/∂c₂)ᵀ ∂J/∂c₃", "(∂c₄/∂c₃)ᵀ ∂J/∂c₄"]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_a_slide_names_each_arrow_as_the_free_size_figure_does_and_each_is_what_flows(cell):
    """A slide names a state's part from the next cell as the free-size figure does, by the losses it reaches, a
    lecture's sum, (1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂ — for every cell alike (a slide wrote (∂h₃/∂h₂)ᵀ ∂J/∂h₃ for a tanh RNN and a
    GRU, the losses for an LSTM, whichever was narrower); and still what that cell hands back."""
    case = LanguageModelCase(cell, steps=4)
    slide = build_picture((case.loss,), level="cell", backward=True, slide=True)
    free = build_picture((case.loss,), level="cell", backward=True)
    labels = {label for _, _, label in slide.edges}
    assert labels == {label for _, _, label in free.edges}
    assert {"(1/4) ∂J₃/∂h₃", "∂J/∂e₂", "(1/4)Σₜ₌₂⁴ ∂Jₜ/∂h₁", "(1/4)Σₜ₌₃⁴ ∂Jₜ/∂h₂", "(1/4) ∂J₄/∂h₃"} <= labels
    assert not any("∂(J" in label or "∂(h" in label or "/∂h" in label and "ᵀ" in label for label in labels)
    if cell == "lstm":  # c's part by c's own chain rule: its reader's cell reads c₁ as well (h₁ = o₁ ⊙ tanh c₁)
        assert "(∂c₂/∂c₁)ᵀ ∂J/∂c₂" in labels
    assert check_every_arrow(case, slide) == check_every_arrow(case, free)  # every arrow read, and true
    assert any("∂J/∂h₃ = (1/4) ∂J₃/∂h₃ + (1/4) ∂J₄/∂h₃" in note for note in slide.notes)
    sums = [node.label for node in slide.nodes if "Σₜ" in node.label]  # one line a weight, each its sum
    assert "Σₜ ∂J/∂W_hh|₍ₜ₎" in "\n".join(sums).split("\n") and not any(" = Σₜ" in s for s in sums)


def test_a_loss_on_the_last_step_sends_all_of_dj_dh_along_the_chain():
    layer = tr.nn.RNN(2, 3)
    x = tr.randn(4, 1, 2)
    output, _ = layer(x)
    loss = output[-1].sum()
    loss.name = "J"
    picture = build_picture((loss,), level="cell", backward=True)
    states = layer.hidden_states[0]
    checked = 0
    for reader, _, label in picture.edges:
        if match := re.fullmatch(r"∂J/∂h([₀-₉]+)", MARK.sub("", label)):
            step = number(match.group(1))
            (named,) = tr.grad(loss, states[step - 1], retain_graph=True)
            if picture.nodes[reader].step is None:  # J itself reads h_T
                handed = named
            else:  # what cell t+1 hands back to h_t
                (after,) = tr.grad(loss, states[step], retain_graph=True)
                (handed,) = tr.grad(states[step], states[step - 1], grad_outputs=after, retain_graph=True)
            numpy.testing.assert_allclose(handed.numpy(), named.numpy(), rtol=1e-5, atol=1e-7)
            checked += 1
    assert checked == 4  # h₁, h₂, h₃ along the chain and h₄ from J


def test_two_layers_name_each_part_by_the_chain_rule_where_the_paths_meet_again():
    """h₃ of the first layer reaches J₄ through the next step and through the layer above: no loss
    belongs to one path, so each arrow says which Jacobian it applies: (∂h₄/∂h₃)ᵀ ∂J/∂h₄."""
    case = LanguageModelCase("gru", steps=3, layers=2)
    picture = build_picture((case.loss,), level="cell", backward=True)
    chained = [(reader, tail, label) for reader, tail, label in picture.edges if "ᵀ" in label]
    # each value with its layer's mark: h₂⁽²⁾ reads h₂⁽¹⁾ — the reader's output and the value are two tensors
    assert {"(∂h₂⁽²⁾/∂h₂⁽¹⁾)ᵀ ∂J/∂h₂⁽²⁾", "(∂h₃⁽¹⁾/∂h₂⁽¹⁾)ᵀ ∂J/∂h₃⁽¹⁾"} <= {label for *_, label in chained}
    for reader, tail, label in chained:
        out, value = (MARK.sub("", name) for name in re.fullmatch(r"\(∂(h\S+)/∂(h\S+)\)ᵀ.*", label).groups())
        output = case.state(out, layer_of(picture.nodes[reader]))
        (cotangent,) = tr.grad(case.loss, output, retain_graph=True)
        (named,) = tr.grad(output, case.state(value, layer_of(picture.nodes[tail])), grad_outputs=cotangent,
                           retain_graph=True)
        found = flowing(case, picture, reader, tail, label)
        numpy.testing.assert_allclose(found, named.numpy(), rtol=1e-5, atol=1e-7, err_msg=label)
    assert check_every_arrow(case, picture) > len(chained)  # the top layer's arrows: named by their losses


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_each_gradient_arrow_drawn_on_the_forward_cells_carries_what_its_label_names(cell):
    """A slide's figure of both draws the BPTT figure's arrows on the forward cells (overlaid.py): the same arrows,
    each between the forward nodes its ends stand for, with the same labels; each carries what its label names."""
    case = LanguageModelCase(cell, steps=4)
    both = build_picture((case.loss,), level="cell", backward="both", slide=True)
    bptt = build_picture((case.loss,), level="cell", backward=True, slide=True)
    arrows = [edge for edge in both.edges if edge in both.gradients]
    assert sorted(label for _, _, label in arrows) == sorted(label for _, _, label in bptt.edges)
    assert not any(both.nodes[i].label.endswith("backward") for edge in arrows for i in edge[:2])
    assert check_every_arrow(case, replace(both, edges=arrows)) >= 3 * case.steps


@pytest.mark.parametrize("view", ["both", "rolled"])
def test_forward_and_backward_and_the_rolled_view_say_the_same(view):
    case = LanguageModelCase("lstm", steps=4)
    options = {"backward": "both"} if view == "both" else {"backward": True, "rolled": True}
    picture = build_picture((case.loss,), level="cell", **options)
    labels = {label for _, _, label in picture.edges} | {loop for n in picture.nodes for loop in n.loops}
    if view == "both":
        # c₃ reaches step 4 through c₄ alone; its own cell reads it too (h₃ = o₃ ⊙ tanh c₃): not all of ∂J/∂c₃
        assert {"(1/4) ∂J₄/∂h₃", "(∂c₃/∂c₂)ᵀ ∂J/∂c₃", "(1/4) ∂J₃/∂h₃"} <= labels and "∂J/∂c₂" not in labels
        backward_only = [(r, t, label) for r, t, label in picture.edges if "∂" in label and "=" not in label]
        assert backward_only
    else:  # any step t: from the next step the losses after t, from above J_t alone
        assert {"(1/T) ∂(Jₜ₊₁ + … + J_T)/∂hₜ", "(∂cₜ₊₁/∂cₜ)ᵀ ∂J/∂cₜ₊₁", "(1/T) ∂Jₜ/∂hₜ",
                "(1/T) ∂(Jₜ + … + J_T)/∂eₜ", "∂J/∂Jₜ = 1/T"} <= labels
        # no step of the example, no T of the example: t, t+1 and T only
        assert not any(re.search(r"[₀-₉]|1/4", label.replace("ₜ₊₁", "")) for label in labels)


def test_at_op_level_the_gradient_named_on_an_arrow_is_the_one_its_rule_receives():
    """The recorded gradient graph: the arrow into the backward rule of h₃ says ∂J/∂h₃ — the δ that
    rule multiplies, read from the values the rule's first op saved, equals tr.grad(J, h₃). (An LSTM's
    and a GRU's arrows name their gates, ∂J/∂o₃, each read once; their tensors are not kept here.)"""
    case = LanguageModelCase("rnn", steps=3)
    picture = build_picture((case.loss,), level="op", backward=True)
    checked = 0
    for tail, head, label in picture.edges:
        match = re.fullmatch(r"∂J/∂([hc][₀-₉]+)", MARK.sub("", label))
        if match is None:
            continue
        rule, source = picture.nodes[head].key, picture.nodes[tail].key
        source_forward = getattr(source, "gradient_of", None)
        received = [saved for x, saved in zip(rule.parents, rule.saved_inputs or [None] * len(rule.parents))
                    if saved is not None and (getattr(x, "grad_fn", None) is source or (
                        source_forward is not None and getattr(x.grad_fn, "gradient_of", None) is source_forward))]
        if received:  # (a rule whose first op keeps no values, an add's, cannot be read this way)
            numpy.testing.assert_allclose(numpy.asarray(received[0]), case.gradient(case.loss, match.group(1), 0),
                                          rtol=1e-5, atol=1e-7, err_msg=label)
            checked += 1
    assert checked >= 3  # h₁, h₂, h₃ at least


def test_the_labels_and_the_note_speak_the_lectures_notation():
    case = LanguageModelCase("rnn", steps=4)
    picture = build_picture((case.loss,), level="cell", backward=True, notation="cs224n")
    labels = {label for _, _, label in picture.edges}
    assert {"(1/4) ∂J⁽⁴⁾/∂h⁽³⁾", "(1/4)Σₜ₌₃⁴ ∂J⁽ᵗ⁾/∂h⁽²⁾"} <= labels
    assert any(note.endswith("∂J/∂h⁽³⁾ = (1/4) ∂J⁽³⁾/∂h⁽³⁾ + (1/4) ∂J⁽⁴⁾/∂h⁽³⁾") for note in picture.notes)


def test_a_bidirectional_bptt_draws_no_arrow_where_the_gradient_is_zero_and_names_each_row_by_its_direction():
    """J = Σ output[-1] reads h₄⁽←⁾, the reverse direction's first state, alone: its cells t=1…3 receive
    exactly 0. None of them is drawn with an arrow, no Σ counts them, a note says why; and each row keeps
    the name of the way it runs forward (the reverse row ←), not of the way its gradient flows."""
    tr.manual_seed(0)
    layer = tr.nn.RNN(2, 3, bidirectional=True)
    x = tr.randn(4, 1, 2)
    output, _ = layer(x)
    loss = output[-1].sum()
    loss.name = "J"
    picture = build_picture((loss,), level="cell", backward=True)
    reverse = [n for n in picture.nodes if "reverse" in n.row and n.kind == "group"]
    assert [n.step for n in reverse] == [4]
    states = {"→": layer.hidden_states[0], "←": layer.hidden_states[1]}
    for _, _, label in picture.edges:
        if match := re.fullmatch(r"∂J/∂h([₀-₉]+)⁽(.)⁾", label):
            step, direction = number(match.group(1)), match.group(2)
            (found,) = tr.grad(loss, states[direction][step - 1], retain_graph=True)  # (both by time step)
            assert numpy.abs(found.numpy()).max() > 0, label
    assert any("t=1…3" in note and "gradient 0" in note for note in picture.notes)
    _, placed = labelled_layout(picture)  # J's arrow into cell 4 and its Σ term out of it: two points, two arrows
    starts = {route.points[0] for route in placed.routes}
    assert not [route.end for route in placed.routes if route.end in starts]
    names = row_names(picture)
    assert sorted(name.split()[-1] for name in names) == ["←", "→"] and "layer 1 reverse ←" in names
    stack = tr.nn.RNN(2, 3, num_layers=2)
    output, _ = stack(x)
    assert row_names(build_picture((output[-1].sum(),), level="cell", backward=True)) == ["layer 1 →", "layer 2 →"]


def row_names(picture):
    """The names drawn beside the rows of a picture, bottom to top."""
    grid = Grid(picture, [Box(0.0, 0.0, *node_size(node.label)) for node in picture.nodes])
    return [name for name in grid.row_names if name]


def test_at_step_level_each_state_keeps_its_layer_and_direction_and_no_arrow_carries_a_zero_gradient():
    """One node per step holds every layer and direction: the states between steps are marked as at cell
    level (h₃⁽²←⁾, not an "h₃" that could be any of four); a state read inside its own step too (layer 1's, by
    layer 2) is named by the chain rule, not as all of its gradient; and the reverse direction of layer 2
    before step 4, which J = Σ output[-1] never reads, sends no arrow (its gradient is 0)."""
    tr.manual_seed(0)
    stack = tr.nn.RNN(2, 3, num_layers=2)
    x = tr.randn(4, 1, 2)
    output, _ = stack(x)
    loss = output[-1].sum()
    labels = {label for _, _, label in build_picture((loss,), level="step", backward=True).edges}
    assert {"∂J/∂h₃⁽²⁾", "(∂h₃⁽¹⁾/∂h₂⁽¹⁾)ᵀ ∂J/∂h₃⁽¹⁾"} <= labels
    assert not {"∂J/∂h₃", "∂J/∂h₂⁽¹⁾", "∂J/∂h₃⁽¹⁾"} & labels
    for step in (1, 2, 3):  # the top layer's states: all of their gradient comes from the next step
        (found,) = tr.grad(loss, stack.hidden_states[1][step - 1], retain_graph=True)
        (after,) = tr.grad(loss, stack.hidden_states[1][step], retain_graph=True)
        (handed,) = tr.grad(stack.hidden_states[1][step], stack.hidden_states[1][step - 1], grad_outputs=after,
                            retain_graph=True)
        numpy.testing.assert_allclose(handed.numpy(), found.numpy(), rtol=1e-5, atol=1e-7)
    lstm = tr.nn.LSTM(2, 3, num_layers=2)  # h₁⁽¹⁾ reaches J through step 2's c₂⁽¹⁾ too, not through h₂⁽¹⁾ alone
    output, _ = lstm(x)
    labels = {label for _, _, label in build_picture((output[-1].sum(),), level="step", backward=True).edges}
    assert "(∂(h₂⁽¹⁾, c₂⁽¹⁾)/∂h₁⁽¹⁾)ᵀ ∂J/∂(h₂⁽¹⁾, c₂⁽¹⁾)" in labels and "(∂h₂⁽¹⁾/∂h₁⁽¹⁾)ᵀ ∂J/∂h₂⁽¹⁾" not in labels
    both = tr.nn.RNN(2, 3, num_layers=2, bidirectional=True)
    output, _ = both(x)
    loss = output[-1].sum()
    labels = [label for _, _, label in build_picture((loss,), level="step", backward=True).edges]
    named = [name for label in labels for name in re.findall(r"h[₀-₉]+(?:⁽[^⁾]*⁾)?", label)]
    assert named and all("⁽" in name for name in named), named  # every state with its layer and direction
    assert not [label for label in labels if re.search(r"h[₁₂₃]⁽²←⁾", label)]  # 0: J reads h₄⁽²←⁾ alone
    for state in both.hidden_states[3][:3]:
        (found,) = tr.grad(loss, state, retain_graph=True)
        assert not numpy.any(found.numpy())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_an_op_level_gradient_graph_of_one_layer_marks_nothing_and_counts_the_terms_it_draws(cell):
    """One layer, one direction: no ⁽¹→⁾ (W_hh and W_hh⁽¹→⁾ read as two tensors); a Σ says how many terms it
    draws (a GRU's "Σ (3 terms)" had two arrows, the third a constant 0); and step 1's linear, whose input h_0
    needs no gradient, does not claim to compute δ · W."""
    tr.manual_seed(0)
    layer = {"lstm": tr.nn.LSTM, "gru": tr.nn.GRU}[cell](3, 4)
    x = tr.randn(3, 1, 3)
    output, _ = layer(x)
    loss = output[-1].sum()
    loss.name = "J"
    picture = build_picture((loss,), level="op", backward=True)
    texts = [n.label for n in picture.nodes] + [label for *_, label in picture.edges] + picture.notes
    assert not [text for text in texts if "⁽" in text]
    for i, node in enumerate(picture.nodes):
        if found := re.match(r"Σ \((\d+) terms", node.label):
            arrows = [label for _, head, label in picture.edges if head == i]
            steps = sum(len(re.findall(r"t=\d+", label)) or 1 for label in arrows)  # t=1, t=2, t=3 on one arrow
            assert int(found.group(1)) == steps, (node.label, arrows)
    first = [n.label for n in picture.nodes if n.label.startswith("linear, backward") and n.step == 1]
    assert first and all("δ · W" not in label for label in first)
    # a GRU's hₜ has a third use, the output's stack, whose row t J = output[-1] never reads: the Σ says which use
    # gives 0 and why (before: "(2 terms; 1 more = 0)", read as a term left out)
    zero = sorted(n.label.split("\n")[:2] for n in picture.nodes if re.search(r"(is|=) 0\b", n.label))
    assert zero == ([] if cell == "lstm" else [["Σ (2 terms; the stack's is 0:", f"J never reads its row t={t})"]
                                               for t in (1, 2)]), zero


class EncoderDecoderCase:
    """An encoder–decoder read x₁ … x₃ and trained on y₁ … y₃ (inputs [BEGIN], y₁, y₂): the values its
    BPTT figure names, in the lectures' numbering — h_t⁽ᵉ⁾ for t = 1…S, and the decoder's own h_t⁽ᵈ⁾, J_t
    for t = 1…T′ (h₀⁽ᵈ⁾ = h₃⁽ᵉ⁾, handed over)."""

    def __init__(self, cell="gru"):
        tr.manual_seed(2)
        self.model = tr.models.Seq2Seq(9, 7, embedding_dim=3, hidden_size=4, cell=cell, fused=False)
        source, inputs = tr.tensor([[4, 5, 6]]), tr.tensor([[2, 5, 6]])
        source.name, inputs.name = "x", "y"
        self.targets = [5, 6, 3]
        self.logits = self.model(source, inputs)
        self.loss = tr.nn.functional.cross_entropy(self.logits.reshape(-1, 7), tr.tensor(self.targets))
        self.loss.name = "J"

    def state(self, name, mark):
        module = {"⁽ᵉ⁾": self.model.encoder, "⁽ᵈ⁾": self.model.decoder}[mark]
        return module.hidden_states[0][number(name[1:]) - 1]

    def step_loss(self, step):
        return tr.nn.functional.cross_entropy(self.logits[0, step - 1].reshape(1, -1),
                                              tr.tensor([self.targets[step - 1]]))


@pytest.mark.parametrize("slide", [False, True])
def test_an_encoder_decoders_arrows_carry_what_they_name_in_the_decoders_own_steps(slide):
    """The decoder's steps are its own, 1…T′: every ∂J/∂h_t⁽ᵈ⁾ and J_t an arrow names is that of the
    decoder's step t — what the reader of that arrow (the cell or head of the step drawn) hands back."""
    case = EncoderDecoderCase()
    picture = build_picture((case.loss,), level="cell", backward=True, slide=slide)
    checked = 0
    for reader, _, label in picture.edges:
        found = re.search(r"∂(h[₀-₉]+)(⁽[ᵉᵈ]⁾)$", label) or re.search(r"/∂(h[₀-₉]+)(⁽[ᵉᵈ]⁾)\)ᵀ", label)
        if found is None:
            continue
        value = case.state(*found.groups())
        (whole,) = tr.grad(case.loss, value, retain_graph=True)
        if match := re.fullmatch(r"\(1/3\) ∂\(?([^)/]+)\)?/∂h[₀-₉]+⁽ᵈ⁾", label):  # a part: some J_t's
            steps = [number(s) for s in re.findall(r"J([₀-₉]+)", match.group(1))]
            part = sum((case.step_loss(t) for t in steps[1:]), case.step_loss(steps[0])) * (1 / 3)
            (named,) = tr.grad(part, value, retain_graph=True)
        elif match := re.fullmatch(r"\(1/3\)Σₜ₌([₀-₉]+)([⁰¹²³⁴⁵⁶⁷⁸⁹]+) ∂Jₜ/∂h[₀-₉]+⁽ᵈ⁾", label):  # the sum of J_t's
            steps = range(number(match.group(1)), number(match.group(2)) + 1)
            part = sum((case.step_loss(t) for t in steps[1:]), case.step_loss(steps[0])) * (1 / 3)
            (named,) = tr.grad(part, value, retain_graph=True)
        elif "ᵀ" in label:  # (∂h₂⁽ᵈ⁾/∂h₁⁽ᵈ⁾)ᵀ ∂J/∂h₂⁽ᵈ⁾
            out = case.state(*re.match(r"\(∂(h[₀-₉]+)(⁽[ᵉᵈ]⁾)", label).groups())
            (cotangent,) = tr.grad(case.loss, out, retain_graph=True)
            (named,) = tr.grad(out, value, grad_outputs=cotangent, retain_graph=True)
        else:
            named = whole
        step, what = picture.nodes[reader].step, picture.nodes[reader].label.split("\n")[0]
        if what.startswith("linear"):  # the head of the decoder's step t hands back to its h_t⁽ᵈ⁾
            (cotangent,) = tr.grad(case.loss, case.logits, retain_graph=True)
            (flows,) = tr.grad(case.logits[0, step - 1], value, grad_outputs=cotangent[0, step - 1],
                               retain_graph=True)
        else:  # a cell of step t hands back to the state it read, h_{t−1} (h₀⁽ᵈ⁾ = h₃⁽ᵉ⁾ for the decoder's first)
            module = case.model.decoder if "decoder" in what else case.model.encoder
            made = module.hidden_states[0][step - 1]
            (cotangent,) = tr.grad(case.loss, made, retain_graph=True)
            (flows,) = tr.grad(made, value, grad_outputs=cotangent, retain_graph=True)
        numpy.testing.assert_allclose(flows.numpy(), named.numpy(), rtol=1e-4, atol=1e-7, err_msg=label)
        checked += 1
    labels = {label for _, _, label in picture.edges}
    assert "∂J/∂h₃⁽ᵉ⁾" in labels  # the hand-over: what decoder step 1 hands back to h₀⁽ᵈ⁾ = h₃⁽ᵉ⁾
    assert not any(re.search(r"[hJ][₄-₉]", label) for label in labels), labels  # no step past S or T′ = 3
    assert checked == 3 + 2 + 3  # h₁⁽ᵉ⁾…h₃⁽ᵉ⁾ ← the next cell, h₁⁽ᵈ⁾, h₂⁽ᵈ⁾ ← the next cell, h_t⁽ᵈ⁾ ← its head


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("time_steps, left_out", [((0, 2, 3, 5), "encoder t=2; decoder t=2"),
                                                  (slice(0, 4), "decoder t=2, 3")], ids=["each", "decoder"])
def test_an_encoder_decoder_drawn_with_time_steps_names_the_steps_left_out_as_their_chain_does(cell, time_steps,
                                                                                                left_out):
    """Steps chosen with ``time_steps`` are counted in time (the decoder's t=2 is the 5th), but a "…" stands for
    steps of its chain: the arrows through it, and the note, name them as that chain does. They named the decoder's
    by its place in time, (1/3) ∂(J₃ + J₅)/∂h₁⁽ᵈ⁾, (∂c₅⁽ᵉ⁾/∂c₁⁽ᵈ⁾)ᵀ ∂J/∂c₅⁽ᵉ⁾ and "steps left out: t=2, 5": there is no
    J₅ and no c₅. Each part an arrow names is what flows along it: h_t⁽ᵈ⁾ has two readers, its head and the next
    step (drawn or left out), which hands back all of ∂J/∂h_t⁽ᵈ⁾ but the head's share."""
    case = EncoderDecoderCase(cell)
    picture = build_picture((case.loss,), level="cell", backward=True, slide=True, time_steps=time_steps)
    labels = [label for _, _, label in picture.edges]
    assert not any(re.search(r"[hcJ][₄-₉]", label) for label in labels), labels  # no step past S or T′ = 3
    assert any(f"(also those of the steps left out: {left_out})" in note for note in picture.notes), picture.notes
    checked = 0
    for reader, _, label in picture.edges:
        found = re.fullmatch(r"\(1/3\)(?:Σₜ₌([₀-₉]+)([⁰¹²³⁴⁵⁶⁷⁸⁹]+) ∂Jₜ| ∂J([₀-₉]+))/∂(h[₀-₉]+)(⁽[ᵉᵈ]⁾)", label)
        if found is None:
            continue
        first, last, one, name, mark = found.groups()
        steps = range(number(first), number(last) + 1) if first else [number(one)]
        value = case.state(name, mark)
        part = sum((case.step_loss(t) for t in steps[1:]), case.step_loss(steps[0])) * (1 / 3)
        (named,) = tr.grad(part, value, retain_graph=True)
        (flows,) = tr.grad(case.loss, value, retain_graph=True)
        if mark == "⁽ᵈ⁾":  # what the head of its own step hands back; along the other arrow, all but that
            (cotangent,) = tr.grad(case.loss, case.logits, retain_graph=True)
            (from_head,) = tr.grad(case.logits[0, number(name[1:]) - 1], value,
                                   grad_outputs=cotangent[0, number(name[1:]) - 1], retain_graph=True)
            flows = from_head if picture.nodes[reader].label.startswith("linear") else flows - from_head
        numpy.testing.assert_allclose(flows.numpy(), named.numpy(), rtol=1e-4, atol=1e-7, err_msg=label)
        checked += 1
    assert checked == (4 if time_steps == (0, 2, 3, 5) else 2), labels  # h₂⁽ᵉ⁾, h₁⁽ᵈ⁾ twice, h₂⁽ᵈ⁾; h₁⁽ᵈ⁾ twice
    if cell == "lstm":  # the cell state into the decoder's steps left out: through c₂⁽ᵈ⁾, its step 2
        assert "(∂c₂⁽ᵈ⁾/∂c₁⁽ᵈ⁾)ᵀ ∂J/∂c₂⁽ᵈ⁾" in labels, labels


def test_the_note_on_row_directions_comes_only_with_rows_named_by_direction():
    """An encoder and its decoder are drawn on one row with no row names: a note on "→, ←" there names
    marks the figure does not have. Two layers are two named rows: there it explains them."""
    from drawing_cases import last_step_loss

    from tinygrad_rnn.viz.lecture_models import NOW, seq2seq_loss
    from tinygrad_rnn.viz.views import ROWS_RUN

    def notes(loss):
        return " ".join(build_picture((loss,), level="cell", backward=True).notes)

    assert "the way a row runs" not in notes(seq2seq_loss(steps=2, source=NOW))
    assert ROWS_RUN.replace("→, ←", "→") in notes(last_step_loss("rnn", 3, layers=2)[1])


def test_at_step_level_a_state_is_read_at_another_step_only_by_its_own_chain(tmp_path, monkeypatch):
    """Two layers, two directions, one node per step: the part of ∂J/∂h₂⁽¹←⁾ through step 1 goes through
    h₁⁽¹←⁾, its own chain's state there — never through h₁⁽¹→⁾, which does not depend on it (a label
    once named the states step 1 passes on, of the other direction)."""
    from tinygrad_rnn.cli import main

    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))  # the library's own SVG: one text per label
    path = tmp_path / "f.svg"
    assert main(["graph", "--layers", "2", "--bidirectional", "--level", "step", "--backward", "-o", str(path)]) == 0
    labels = [re.sub(r"<[^>]+>", "", text) for text in re.findall(r"<text[^>]*>(.*?)</text>", path.read_text(), re.S)]
    chained = [label for label in labels if label.startswith("(∂")]
    assert "(∂h1(1←)/∂h2(1←))T ∂J/∂h1(1←)" in chained and "(∂h4(1→)/∂h3(1→))T ∂J/∂h4(1→)" in chained
    for label in chained:  # (∂X/∂Y)ᵀ: every state in X of Y's layer and direction
        numerator, rest = label[2:].split("/∂", 1)
        states = numerator[1:-1].split(", ") if numerator.startswith("(") and "," in numerator else [numerator]
        mark = re.match(r"h\d\((\d[→←])\)\)T", rest).group(1)
        assert all(state.endswith(f"({mark})") for state in states), label


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("slide", [True, False])
def test_the_arrow_out_of_the_steps_left_out_carries_what_they_hand_back(cell, slide):
    """t = 1, 2, 3, …, 7, 8: the arrow from "…" into step 3 carries the part of ∂J/∂h₃ through cell 4, all of it
    but what step 3's head hands back. An LSTM's h₃ reaches cell 4's h₄ and c₄ both: the slide named it
    (∂h₄/∂h₃)ᵀ ∂J/∂h₄, h₄ alone — false; now the losses it reaches, (1/8)Σₜ₌₄⁸ ∂Jₜ/∂h₃, as the arrows beside it."""
    case = LanguageModelCase(cell, steps=8)
    picture = build_picture((case.loss,), level="cell", backward=True, slide=slide, time_steps=[0, 1, 2, 6, 7])
    labels = [MARK.sub("", label) for reader, _, label in picture.edges
              if picture.nodes[reader].kind == "ellipsis" and label.endswith(("∂h₃", "∂J/∂h₄"))]
    assert len(labels) == 1, labels
    (label,) = labels
    named = chain_rule(case, label, 0, 0) if "ᵀ" in label else named_quantity(case, label, 0)
    (total,) = tr.grad(case.loss, case.state("h₃", 0), retain_graph=True)
    from_head = case.gradient(case.step_loss(3) * (1.0 / 8), "h₃", 0)
    numpy.testing.assert_allclose(named, total.numpy() - from_head, rtol=1e-4, atol=1e-7, err_msg=label)
    if slide and cell == "lstm":
        assert label == "(1/8)Σₜ₌₄⁸ ∂Jₜ/∂h₃"


PER_STEP_MEANS = {  # J = (1/T) Σₜ Jₜ as a lecture writes it, one cross_entropy a step
    "sum(losses[1:], losses[0]) / T": lambda losses: sum(losses[1:], losses[0]) / len(losses),
    "sum(losses) / T": lambda losses: sum(losses) / len(losses),
    "stack(losses).mean()": lambda losses: tr.stack(losses).mean(),
    "sum(...) * 0.25": lambda losses: sum(losses[1:], losses[0]) * 0.25,
}


@pytest.mark.parametrize("written", sorted(PER_STEP_MEANS))
@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_a_loss_written_step_by_step_is_drawn_as_the_one_call_loss(cell, written):
    """Jₜ = cross_entropy(logits[:, t], …) at each step, then their mean: each arrow from the head carries
    (1/4) ∂Jₜ/∂hₜ, never (∂h₁/∂h₁)ᵀ ∂J/∂h₁; the note's ∂J/∂h₃ is not written in terms of itself; J hands each
    Jₜ 1/4 — the figure of the same loss computed in one call, each arrow checked against the gradient."""
    one_call = LanguageModelCase(cell, steps=4)
    case = LanguageModelCase(cell, steps=4)
    losses = [tr.nn.functional.cross_entropy(case.logits[:, t], tr.tensor([case.targets[t]])) for t in range(4)]
    case.loss = PER_STEP_MEANS[written](losses)
    case.loss.name = "J"
    assert case.loss.item() == pytest.approx(one_call.loss.item(), rel=1e-6)
    for slide in (True, False):
        picture = build_picture((case.loss,), level="cell", backward=True, slide=slide)
        expected = build_picture((one_call.loss,), level="cell", backward=True, slide=slide)
        labels = sorted(label for _, _, label in picture.edges)
        assert labels == sorted(label for _, _, label in expected.edges)
        assert {"(1/4) ∂J₁/∂h₁", "(1/4) ∂J₃/∂h₃"} <= set(labels)
        assert not [label for label in labels if re.search(r"∂h([₀-₉])/∂h\1\)", label)]  # (∂h₁/∂h₁)ᵀ
        assert sorted(label for tail, _, label in picture.edges if picture.nodes[tail].kind == "output"
                      and label.startswith("∂J/∂J")) == [f"∂J/∂J{s} = 1/4" for s in "₁₂₃₄"]
        assert picture.notes == expected.notes
        assert any("∂J/∂h₃ = (1/4) ∂J₃/∂h₃ + (1/4) ∂J₄/∂h₃" in line for line in picture.notes)
        assert check_every_arrow(case, picture) == check_every_arrow(one_call, expected)


@pytest.mark.parametrize("slide", [False, True])
def test_the_arrow_from_each_loss_into_its_head_says_what_it_carries_and_the_note_what_that_is(slide):
    """J_t → the head carries ∂J/∂s_t, the gradient of step t's scores — the one orange arrow left unlabelled before.
    The note's formula, (1/T)(ŷₜ − onehot(xₜ₊₁)) with ŷₜ = softmax(sₜ) (no bare yₜ, defined nowhere; the targets
    are the next ids, a language model's), checked against tr.grad."""
    case = LanguageModelCase("gru", steps=4)
    picture = build_picture((case.loss,), level="cell", backward=True, slide=slide)
    firsts = [node.label.split("\n")[0].removesuffix(", backward") for node in picture.nodes]
    into_heads = sorted((picture.nodes[head].step, label) for tail, head, label in picture.edges
                        if firsts[tail] == "cross_entropy" and firsts[head] == "linear")
    assert into_heads == [(t, f"∂J/∂s{'₁₂₃₄'[t - 1]}") for t in range(1, 5)]
    said = "one sequence: ∂J/∂sₜ = (1/4)(ŷₜ − onehot(xₜ₊₁))"
    assert any(said in note for note in picture.notes), picture.notes
    (found,) = tr.grad(case.loss, case.logits, retain_graph=True)
    scores = case.logits.numpy()[0]
    softmax = numpy.exp(scores - scores.max(-1, keepdims=True))
    softmax /= softmax.sum(-1, keepdims=True)
    one_hot = numpy.eye(case.vocab)[case.targets]
    numpy.testing.assert_allclose(found.numpy()[0], (softmax - one_hot) / 4, rtol=1e-5, atol=1e-7)


def test_on_a_slide_an_lstm_state_read_inside_its_step_is_named_by_the_step_it_reaches_j_through():
    """A step node of two LSTM layers: layer 1's h₁ reaches J through step 2's h₂ and c₂ and through layer 2 inside
    step 1. The arrow from step 2 carries the first part, (∂(h₂⁽¹⁾, c₂⁽¹⁾)/∂h₁⁽¹⁾)ᵀ ∂J/∂(h₂⁽¹⁾, c₂⁽¹⁾) — 45 characters
    between two steps of a stacked bidirectional LSTM, which set the width of every gap. A slide writes it with the
    step bar of the Σ's terms, ∂J/∂h₁⁽¹⁾|₍₂₎, the part step 2 hands back, and a note says what the bar means; free
    size keeps the chain rule. What the arrow carries is that part: with layer 2's part inside step 1 it adds up to
    ∂J/∂h₁⁽¹⁾."""
    case = LanguageModelCase("lstm", steps=3, layers=2)
    slide = build_picture((case.loss,), level="step", backward=True, slide=True)
    free = build_picture((case.loss,), level="step", backward=True, slide=False)
    assert "(∂(h₂⁽¹⁾, c₂⁽¹⁾)/∂h₁⁽¹⁾)ᵀ ∂J/∂(h₂⁽¹⁾, c₂⁽¹⁾)" in {label for *_, label in free.edges}
    barred = [label for *_, label in slide.edges if "|" in label]
    assert barred == ["∂J/∂h₁⁽¹⁾|₍₂₎"], barred  # (step 3, the last, passes on no c₃: (∂h₃⁽¹⁾/∂h₂⁽¹⁾)ᵀ ∂J/∂h₃⁽¹⁾)
    assert not [label for *_, label in slide.edges if label.startswith("(∂(")]
    assert "|₍ₜ₎: the part through step t" in slide.notes and not [note for note in free.notes if "|₍ₜ₎" in note]
    for label in barred:
        value, reader_step = re.fullmatch(r"∂J/∂(h[₀-₉]+)⁽¹⁾\|₍([₀-₉]+)₎", label).groups()
        state = case.state(value, 0)
        outputs, cotangents = zip(*case.outputs_of_cell(number(reader_step), 0))  # step 2's h₂⁽¹⁾ and c₂⁽¹⁾
        (through_the_step,) = tr.grad(list(outputs), state, grad_outputs=list(cotangents), retain_graph=True)
        outputs, cotangents = zip(*case.outputs_of_cell(number(value[1:]), 1))  # layer 2 at h's own step
        (through_layer_2,) = tr.grad(list(outputs), state, grad_outputs=list(cotangents), retain_graph=True)
        (whole,) = tr.grad(case.loss, state, retain_graph=True)
        numpy.testing.assert_allclose((through_the_step + through_layer_2).numpy(), whole.numpy(), rtol=1e-5,
                                      atol=1e-7, err_msg=label)
        assert numpy.abs(through_the_step.numpy()).max() > 1e-6  # (a part that is there, not a 0)
