"""Two more views of a cell-level picture, as the lectures draw them: BPTT, and the rolled loop.

* :func:`bptt_picture` — backpropagation through time: the forward figure's nodes in the same
  columns, every arrow reversed (the gradient flows right to left), each edge labelled with the
  gradient it carries (∂J/∂h₃ between the cells, ∂J₃/∂h₃ from a per-step loss above), J where the
  gradient starts, and for each row one Σ node collecting the per-step terms of the weights that
  row shares over time (∂J/∂W_hh = Σₜ ∂J/∂W_hh|₍ₜ₎), one labelled input per step. The structure is
  the forward graph's: the chain rule sends one gradient back along every edge, and a value used
  at several places receives their sum. (``level="op"`` draws the recorded gradient graph itself.)
* :func:`rolled_picture` — the network rolled up: one node per layer and direction with its
  recurrent state as a labelled loop (h; c and h for an LSTM), x_t below, ŷ_t and J_t above —
  the same number of nodes whatever the number of steps.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from .detached import carried_in
from .gradient_labels import STEP_BAR_NOTE, STEP_DIGITS, arrow_labels, loss_name, scores_note, sum_note
from .kept_steps import left_out_said
from .levels import unique
from .node_details import CLIPPED
from .parameter_names import PROJECTION
from .picture import (
    BACKWARD_ROW,
    CHOICES,
    DETACHED,
    GRADIENT_STOPS,
    Node,
    Picture,
    is_sum_of_losses,
    losses_summed,
    masks_into_cells,
    mean_over,
    reaching_outputs,
    steps_text,
)
from .rows import ROWS_RUN
from .sequence_loss import SEQUENCE_NOTE

# the step bar of a Σ's per-step term, ∂J/∂W_hh|₍ₜ₎: as the lectures write it (∂J/∂W_hh |_(t), "the gradient with
# respect to each time it appears"), and as the deck and the page write it beside these figures: one form everywhere
STEP_BAR = "₍ₜ₎"
AFTER_THE_STEPS = "after the steps"  # a Σ's term from a call after the loop (proj(h_T)): no step's t=k
# on a slide, said once instead of ", backward" on every node (the rows under the forward ones: a figure of both)
BACKWARD_NODES = "A step's node: the backward of the call it names"
BACKWARD_ROWS = "The lower rows run backward: each node there is the backward of the call it names"
# cells that J never reads (J = Σ output[-1] reads the reverse direction's first step alone): the BPTT figure leaves
# them out; a figure of both draws them forward, as the forward figure does (the model computes them), and says where
# they are missing
LEFT_OUT = "Left out, their gradient 0 (J does not read what they compute): {}"
NOT_IN_BACKWARD_ROWS = "Not in the backward rows, their gradient 0 (J does not read what they compute): {}"
NO_ARROW_BACK = "Gradient 0, no arrow back (J does not read what they compute): {}"
# forward and backward on one set of nodes (overlaid.py): which arrows are which, said once, and that the backward of
# each call runs where the call is drawn (the rows' note said each backward node names its call)
BOTH_WAYS = "Grey arrows: values, forward; orange: gradients, back through the same calls"


# the key line on a dropout mask drawn into the cells of a BPTT figure: where it acts on the gradient
MASK_BACK = ("{} (entries 0 or 1/(1 − p)): the forward's; each cell it feeds multiplies the gradient it hands down "
             "by its slice for step t: a dropped unit passes none")


def bptt_picture(forward: Picture, generic: bool = False, slide: bool = False, with_forward: str | None = None
                 ) -> Picture:
    """The BPTT figure of a forward picture at cell or step level (made with ``params="label"``);
    each arrow labelled with the part of a gradient it carries (``gradient_labels.py``), for any
    step t where ``generic`` (the rolled view). On a ``slide`` a node names its call and step
    (``RNN cell`` / ``t=2``) and one note says that each is that call's backward: the word on every
    node made each a line taller (and the cross_entropy row a column wider). ``with_forward``: drawn with the forward
    figure, which draws the cells the gradient leaves out (the notes say so): ``"rows"`` under its rows, or
    ``"overlaid"`` on its own nodes (``overlaid.py``)."""
    under_forward = with_forward is not None
    forward, unreached = _reaching_the_loss(forward)
    carried = carried_in(forward.nodes, forward.edges)
    # a layer's dropout= mask: the cells it feeds use it again going back (drawn into them, as forward)
    masks = masks_into_cells(forward.nodes, forward.edges)  # (edges into what J does not reach: gone already)
    # (carried in: a chunk's state from the chunk before, where its gradient stops)
    kept = [i for i, n in enumerate(forward.nodes) if (n.kind in ("group", "op", "output", "ellipsis") or
            i in carried or i in masks) and i not in unreached]
    means = {i for i in kept if is_sum_of_losses(forward.nodes[i])}
    feeds: dict[int, list[int]] = {}
    for tail, head, _ in forward.edges:
        feeds.setdefault(head, []).append(tail)
    nodes: list[Node] = []
    index: dict[int, int] = {}
    for i in kept:
        if i in means:  # J = (1/T) Σ J_t: J hands each J_t its share directly
            continue
        node = forward.nodes[i]
        first = node.label.split("\n")[0]
        if node.kind == "output":  # J
            label = first
        elif node.kind in ("ellipsis", "input"):  # the steps left out (time_steps), saying which; c₄, h₄ before
            label = node.label
        else:  # RNN cell, backward / embedding, backward — in the column of its step
            what = first.split(" = ")[-1]
            label = (what if slide else f"{what}, backward") + (f"\nt={node.step}" if node.step is not None else "")
            label += "".join(f"\n{line}" for line in node.label.split("\n")[1:] if line.startswith("sequence "))
        nodes.append(Node(("backward", node.key), node.kind, label, node.scope, step=node.step, row=node.row,
                          gradient_norm=node.gradient_norm, chain=node.chain, after=node.after))
        index[i] = len(nodes) - 1
    losses = [t for mean in means for t in feeds.get(mean, []) if t in index]  # J_t, and a "…" of steps left out
    # J = (1/T) Σₜ Jₜ: T from the mean itself, which counts the steps left out of a time_steps figure too
    counts = [mean_over(forward.nodes[mean]) for mean in means if mean_over(forward.nodes[mean])]
    # each J_t's T, that of the mean it is in: J may add several (a padded tagger's (1/4) Σₜ Jₜ and (1/2) Σₜ Jₜ)
    each_mean = {t: mean_over(forward.nodes[mean]) for mean in means for t in feeds.get(mean, []) if t in index}
    each_mean = each_mean if len(set(each_mean.values())) > 1 else counts[0] if counts else None
    carries = arrow_labels(forward, losses, each_mean, generic, by_next_step=slide)
    edges: list[tuple[int, int, str]] = []
    drawn = set()  # the forward edges an arrow back is drawn along (a note names only what an arrow says)
    twin: Counter = Counter()  # two forward arrows alike (two unnamed states of one step node): an arrow back each
    for tail, head, label in forward.edges:
        if label == DETACHED and tail in index and head in index:  # truncated BPTT: no gradient crosses the cut,
            edges.append((index[head], index[tail], GRADIENT_STOPS))  # which is marked where the arrow would run
        if tail in masks and head in index:  # the mask into the cell whose backward multiplies by it, as forward
            edges.append((index[tail], index[head], ""))
            continue
        if (tail not in index and tail not in means) or label in CHOICES:  # no gradient flows through a choice
            continue
        if head in means:  # J_t → mean → J becomes J → J_t, labelled with ∂J/∂J_t
            count = mean_over(forward.nodes[head]) or 1  # (T of the mean this J_t is in)
            if forward.nodes[tail].kind == "ellipsis":  # to the J_t of the steps left out
                edges.extend((index[o], index[tail], "") for o in index if forward.nodes[o].kind == "output"
                             and head in feeds.get(o, []))
                continue
            for output in (i for i, n in enumerate(forward.nodes) if n.kind == "output" and head in feeds.get(i, [])):
                share = f"∂J/∂{loss_name(forward, tail)} = " + ("1" if count == 1 else f"1/{count}")
                edges.append((index[output], index[tail], STEP_DIGITS.sub("ₜ", share.replace(f"1/{count}", "1/T"))
                              if generic else share))
            continue
        if tail in means or head not in index:
            continue
        twin[(tail, head, label)] += 1
        back = (index[head], index[tail], carries[(tail, head, label)])
        edges.append(back if twin[(tail, head, label)] == 1 else (*back, twin[(tail, head, label)]))  # (kept apart)
        drawn.add((tail, head, label))
    # a learned initial state (nn.Parameter h₀): its gradient, no Σ over steps — the cell it enters alone hands it
    # one (drawn as a weight, it sat in the Σ, fed by every step); h₀ and c₀ of one cell in one node, as a Σ holds
    # a cell's weights: one line out of the cell that forked into ∂J/∂h₀ and ∂J/∂c₀ read as one value shared
    learned: dict[tuple, list[str]] = {}  # the cells that read them → the gradients' lines
    read_by: dict[int, list[int]] = {}
    for tail, head, _ in forward.edges:
        if forward.nodes[tail].kind == "input" and head in index:
            read_by.setdefault(tail, []).append(index[head])
    for i, node in enumerate(forward.nodes):
        readers = tuple(read_by.get(i, ()))
        if node.kind != "input" or not readers or not node.initial or \
                not any(getattr(t, "requires_grad", False) for t in node.tensors):
            continue
        name = node.label.split("\n")[0]
        learned.setdefault(readers, []).append(
            f"∂J/∂{name}" if len(readers) == 1 else f"∂J/∂{name} = Σ ({len(readers)} terms)")
    for readers, lines in learned.items():
        nodes.append(Node(("gradient of", readers), "output", "\n".join(lines)))
        edges.extend((reader, len(nodes) - 1, "") for reader in readers)
    rows = _sharing_weights(forward.nodes, [i for i in kept if forward.nodes[i].parameters and i in index])
    stepped = {row: members for row, members in rows.items() if all(forward.nodes[i].step is not None for i in members)}
    shared = {row: list(dict.fromkeys(p for i in members for p in forward.nodes[i].parameters))
              for row, members in stepped.items()}
    for row, members in stepped.items():  # one Σ per row: each weight the row shares, summed over its steps
        weights = shared[row]
        # rows whose weights go by the same names (an encoder's and its decoder's W_hh, two layers'):
        # say whose each Σ is, by what sets its row apart
        twins = [forward.nodes[stepped[other][0]].row for other in shared
                 if other != row and set(shared[other]) & set(weights)]
        owner = " ".join(part for part in forward.nodes[members[0]].row
                         if part != "forward" and any(part not in other for other in twins))
        for used, users in _sums_by_rows(forward.nodes, members, weights):
            # on a slide one line a weight, its sum alone (the note says once that this is ∂J/∂W): written
            # ∂J/∂W_hh = Σₜ ∂J/∂W_hh|₍ₜ₎ each took two lines, and a cell's four weights set its row's height
            label = "\n".join(f"Σₜ ∂J/∂{w}|{STEP_BAR}" if slide else f"∂J/∂{w} = Σₜ ∂J/∂{w}|{STEP_BAR}" for w in used)
            label = f"{owner}:\n{label}" if twins and owner else label
            reads = {i: forward.nodes[i].uses.get(used[0], 1) for i in users}  # (the same for every weight summed)
            if max(reads.values()) > 1:  # a weight read twice a step: a term for each read, as grad_contributions
                per_step = set(reads.values())
                label += f"\n({per_step.pop() if len(per_step) == 1 else 'up to ' + str(max(per_step))} a step: " \
                         f"{sum(reads.values())} terms)"
            nodes.append(Node(("sum over steps", row, tuple(used)), "output", label, forward.nodes[users[0]].row))
            for i in users:
                step = forward.nodes[i].step
                edges.append((index[i], len(nodes) - 1, f"t={step}"))  # (further terms: twins, Routes.route)
                edges.extend((index[i], len(nodes) - 1, "" if k == 2 else f"t={step} ({k})")
                             for k in range(2, reads[i] + 1))
    for row, members in rows.items():
        if row in stepped:
            continue
        # a weight used once, after the steps (a classifier's head on h_T): one term, no Σ; a weight read by
        # several ops outside any step (a loop without scopes, drawn op by op): its terms meet in one Σ all the same
        uses = [(w, sum(w in forward.nodes[i].parameters for i in members))
                for w in dict.fromkeys(p for i in members for p in forward.nodes[i].parameters)]
        label = "\n".join(f"∂J/∂{w}" if count == 1 else f"∂J/∂{w} = Σ ({count} terms)" for w, count in uses)
        first = forward.nodes[members[0]]
        nodes.append(Node(("gradient of", first.key), "output", label, first.row))
        # one module called at every step and once more after them (proj(x), then proj(h_T)): that call's term is
        # said to come after the steps — it is no step's, not a second t=T
        after = AFTER_THE_STEPS if any(forward.nodes[i].step is not None for i in members) else ""
        for i in members:
            step = forward.nodes[i].step
            term = after if step is None else f"t={step}"
            edges.append((index[i], len(nodes) - 1, "" if len(members) == 1 else term))
    left_out = left_out_said([forward.nodes[i] for i in index if forward.nodes[i].kind == "ellipsis" or
                              forward.nodes[i].chain is not None])  # as their chains name them, not in time
    if len(stepped) < len(rows) and any(len(members) > 1 for members in rows.values()):  # (a loop without steps)
        notes = ["Σ: the terms one weight receives at each of its uses, added"]
    else:
        notes = ["Σ: the terms one weight receives at every step, added"
                 + (f" (also those of the steps left out: {left_out})" if left_out else "")]
    notes += [note for note in forward.notes if PROJECTION in note]  # what the W_hr its Σ sums does
    notes += [note for note in forward.notes if CLIPPED in note]  # clip_grad_norm_ since: its Σ is not the .grad
    notes += [note for note in forward.notes if SEQUENCE_NOTE in note]  # J_seq, which its labels say
    if slide and any(node.step is not None for node in nodes):  # (a node per call)
        notes.append({None: BACKWARD_NODES, "rows": BACKWARD_ROWS, "overlaid": BOTH_WAYS}[with_forward])
    # the rows are named, → or ←: layers and directions (a decoder after its encoder is drawn on the same row).
    # Under the forward rows (a figure of both) a ∂ row is named by the way its gradient flows, as its arrows run
    # ("∂ layer 1 ←"): a note that the gradient flows against the name would say the opposite of what is drawn
    rows_named = len({node.row for node in nodes if node.chain is not None and not node.chain.after}) > 1
    if rows_named and not under_forward:
        both = any(node.chain.direction == "reverse" for node in nodes if node.chain is not None)
        notes.append(ROWS_RUN if both else ROWS_RUN.replace("→, ←", "→"))
    zero = [forward.nodes[i] for i in unreached if forward.nodes[i].kind == "group"]
    if zero:  # (a reverse direction's cells before the one J reads: J = Σ output[-1] reads h_T⁽←⁾ alone)
        notes.append({None: LEFT_OUT, "rows": NOT_IN_BACKWARD_ROWS, "overlaid": NO_ARROW_BACK}[with_forward].format(
            _cells_named(zero)))
    notes += [MASK_BACK.format(forward.nodes[mask].label.split(",")[0]) for mask in sorted(masks)[:1]]
    if any("|₍" in text for text in carries.values()):  # a state's part through one step: ∂J/∂h₁⁽¹→⁾|₍₂₎
        notes.append(STEP_BAR_NOTE)
    added = sum_note(forward, carries, generic)
    notes += [added] if added else []
    scores = scores_note(forward, losses, each_mean, generic, drawn)  # an arrow says ∂J/∂s₃: s is
    notes += [scores] if scores else []
    return Picture(nodes, [edge[:3] for edge in unique(edges)], forward.rankdir, forward.title, forward.legend,
                   backward=True, notes=notes)


def _reaching_the_loss(forward: Picture) -> tuple[Picture, set[int]]:
    """The forward picture without the edges out of nodes whose value J never reads, and those nodes: no
    gradient flows back into them (exactly 0), so no arrow may be drawn as if one did. A detach() carries a
    value and no gradient: a cell whose state J reads only through one is left out too (a chunk's state
    carried in from the chunk before stays, drawn where the gradient stops)."""
    carried = carried_in(forward.nodes, forward.edges)
    with_gradient = [edge for edge in forward.edges if edge[2] != DETACHED or edge[0] in carried]
    reaches = reaching_outputs(forward.nodes, with_gradient)
    unreached = set(range(len(forward.nodes))) - reaches
    if not unreached:
        return forward, unreached
    edges = [(tail, head, label) for tail, head, label in forward.edges if tail in reaches and head in reaches]
    return replace(forward, edges=edges), unreached


def _cells_named(cells: list[Node]) -> str:
    """"RNN cell t=1, 2, 3 (layer 1 reverse)": the cells left out, by the row named (two chunks' rows of one layer
    are one: "t=1, 2, 4, 5")."""
    rows: dict[tuple[str, str], list[int]] = {}
    for node in cells:
        layer = [f"layer {int(part.split()[1]) + 1}" for part in node.row if part.startswith("layer ")]
        where = " ".join(layer + (["reverse"] if "reverse" in node.row else []))
        rows.setdefault((node.label.split("\n")[0], where), []).append(node.step)
    parts = []
    for (name, where), steps in rows.items():
        drawn = f"{name} t={steps_text(sorted(step for step in steps if step is not None))}"
        parts.append(f"{drawn} ({where})" if where else drawn)
    return "; ".join(parts)


def _sharing_weights(nodes: list[Node], using: list[int]) -> dict[frozenset, list[int]]:
    """The nodes ``using`` weights, grouped so that the nodes that share a weight tensor are in one group,
    keyed by the weight tensors the group uses: the cells of every call of one layer share them (one Σ for
    both sentences an encoder reads), two layers do not; one weight's terms are never split over two Σ.

    >>> cell = lambda *weights: Node("cell", "group", "", parameters=list(weights), tensor_names=dict.fromkeys(weights))
    >>> sorted(map(sorted, _sharing_weights([cell("W"), cell("W", "b"), cell("U")], [0, 1, 2])))
    [['U'], ['W', 'b']]
    """
    groups: dict[frozenset, list[int]] = {}
    for i in using:  # (a node's weights join every group that shares one of them)
        weights, members = frozenset(nodes[i].tensor_names), [i]
        for key in [key for key in groups if key & weights]:
            weights, members = weights | key, groups.pop(key) + members
        groups[weights] = sorted(members)
    return dict(sorted(groups.items(), key=lambda group: group[1][0]))


def _sums_by_rows(nodes: list[Node], members: list[int], weights: list[str]) -> list[tuple[list[str], list[int]]]:
    """The Σ nodes of one group of nodes that share weights: (the weights each sums, the nodes that feed it). One
    Σ where every weight is used in the same rows — a layer's cells; a tied table read by the embeddings and the
    heads has its own Σ of both rows' terms, the head's own bias b_y a Σ of the heads' alone, by them (it sat in
    the embedding's Σ, fed by the heads).

    >>> cell = lambda row, *weights: Node("cell", "group", "", row=(row,), parameters=list(weights))
    >>> [(used, users) for used, users in _sums_by_rows([cell("e", "E"), cell("y", "E", "b_y")], [0, 1], ["E", "b_y"])]
    [(['E'], [0, 1]), (['b_y'], [1])]
    """
    # (and by how many times each node reads them: a Σ's drops are its terms, one a read, the same for each weight)
    rows_of = {w: (frozenset(nodes[i].row for i in members if w in nodes[i].parameters),
                   tuple(nodes[i].uses.get(w, 1) for i in members if w in nodes[i].parameters)) for w in weights}
    sums = []
    for rows, reads in dict.fromkeys(rows_of.values()):
        used = [w for w in weights if rows_of[w] == (rows, reads)]
        sums.append((used, [i for i in members if nodes[i].row in rows and set(used) & set(nodes[i].parameters)]))
    return sums


def rolled_picture(unrolled: Picture) -> Picture:
    """The rolled view of a cell-level picture: each row's steps as one node, its states a loop."""
    nodes: list[Node] = []
    index: dict[object, int] = {}
    of: list[int] = []
    for node in unrolled.nodes:
        if node.step is not None and node.kind in ("group", "op"):
            key, label = ("rolled", node.row), _rolled_label(node.label)
        elif node.step is not None:  # x_1 … x_T: one x_t
            key, label = ("rolled input", STEP_DIGITS.sub("", node.label)), STEP_DIGITS.sub("ₜ", node.label)
        elif is_sum_of_losses(node):  # the mean of the J_t, whatever T is
            key, label = ("kept", id(node)), losses_summed("T" if mean_over(node) else None)
        else:
            key, label = ("kept", id(node)), node.label
        if key not in index:
            index[key] = len(nodes)
            nodes.append(Node(key, node.kind, label, node.scope, step=1 if node.step is not None else None,
                              row=node.row, parameters=list(node.parameters), tensor_names=dict(node.tensor_names),
                              gradient_norm=node.gradient_norm,
                              chain=node.chain))
        of.append(index[key])
    last = max((n.step for n in unrolled.nodes if n.step is not None), default=None)
    tail_steps: dict[tuple[int, int], set] = {}
    for tail, head, _ in unrolled.edges:
        tail_steps.setdefault((of[tail], of[head]), set()).add(unrolled.nodes[tail].step)
    # rolled arrow → the value it carries a gradient to → (how far inside the steps, its words)
    edges: dict[tuple[int, int], dict[str, tuple]] = {}
    loops: dict[int, dict[str, tuple]] = {}  # rolled node → its state → (how far inside the steps, its words)
    for tail, head, label in unrolled.edges:
        a, b = of[tail], of[head]
        text = STEP_DIGITS.sub("ₜ", label) if not label.startswith("t=") else "t=1…T"
        text = label if "ₜ" in label or "_T" in label else text  # written for any step t already (BPTT's labels)
        if label and last is not None and tail_steps[(a, b)] == {last} and unrolled.nodes[head].step is None:
            text = STEP_DIGITS.sub("_T", label)  # read at the last step only: J = Σ h_T
        # The steps' arrows of one rolled arrow may word one gradient in several ways — at the last step layer 2's
        # c_T has no reader after it, so its arrow into layer 1 says (1/T) ∂J_T/∂h_T⁽¹⁾, not through (h, c). Joined
        # with ", " they read as two things the arrow carries, the first true at t = T alone. The words of an arrow
        # from a step inside the sequence hold at every step: one wording per value (two values, h_T⁽→⁾ and
        # h_T⁽←⁾ read by J, stay two), as one loop per state.
        step = unrolled.nodes[tail].step or unrolled.nodes[head].step or 0  # (J's arrow: its cell's step)
        rank = (step in (1, last), step)
        if a == b:  # a state handed to the next step: the loop, labelled with the state itself (h, c)
            text = label if "ₜ" in label else STEP_DIGITS.sub("", label)
        _keep_inmost(loops.setdefault(a, {}) if a == b else edges.setdefault((a, b), {}), rank, text)
    for a, found in loops.items():  # c before h: the cell state on top, as the lectures draw it (∂J/∂cₜ first)
        nodes[a].loops = [found[state][1] for state in sorted(found)]
    flat = [(a, b, ", ".join(found[value][1] for value in sorted(found))) for (a, b), found in edges.items()]
    loop = ("A loop: the gradient the next step hands back to this step's state" if unrolled.backward else
            "A loop: the state a cell hands to itself for the next step")
    notes = [*unrolled.notes, loop]
    return Picture(nodes, flat, unrolled.rankdir, unrolled.title, unrolled.legend, backward=unrolled.backward,
                   notes=notes)


def _keep_inmost(words: dict[str, tuple], rank: tuple, text: str) -> None:
    """Keep ``text`` as the words of the value it names a gradient of (:func:`loop_state`) where no step further
    inside the sequence (a lower ``rank``) has worded that value already. h_T is hₜ at t = T: J's arrow says
    ∂J/∂h_T at the last step, where J reads h_T alone, and ∂J/∂hₜ, direct before it — which holds at T too."""
    value = loop_state(text).replace("_T", "ₜ")
    if text and (value not in words or rank < words[value][0]):
        words[value] = (rank, text)


def loop_state(loop: str) -> str:
    """The state a rolled loop carries back or on, as the figure writes it: hₜ of (1/T) ∂(Jₜ₊₁ + … + J_T)/∂hₜ and of
    (∂(hₜ₊₁, cₜ₊₁)/∂hₜ)ᵀ ∂J/∂(hₜ₊₁, cₜ₊₁) — the value it is a gradient of, with its mark (cₜ⁽←⁾: a step node
    carries every direction's states); a forward loop's label is its state.

    >>> [loop_state(loop) for loop in ("c", "(∂(hₜ₊₁, cₜ₊₁)/∂hₜ)ᵀ ∂J/∂(hₜ₊₁, cₜ₊₁)", "(∂cₜ₊₁/∂cₜ⁽←⁾)ᵀ ∂J/∂cₜ₊₁")]
    ['c', 'hₜ', 'cₜ⁽←⁾']
    >>> loop_state("∂J/∂hₜ, direct")
    'hₜ'
    """
    found = re.search(r"/∂([^)\s,]+)", loop)  # (∂J/∂hₜ, direct: the state hₜ)
    return found.group(1) if found else loop


def _rolled_label(label: str) -> str:
    """RNN cell\\nt=3 → RNN cell; e₃ = embedding → eₜ = embedding."""
    lines = [line for line in label.split("\n") if not line.startswith("t=")]
    return "\n".join(STEP_DIGITS.sub("ₜ", line) for line in lines)


def forward_and_backward_picture(forward: Picture, gradient: Picture | None = None) -> Picture:
    """Forward and BPTT in one figure at free size (a slide overlays them: :mod:`.overlaid`): the forward rows on
    top, the backward rows under them in the same columns (flowing right to left), J handing its gradient down
    from where the forward ends. ``gradient``: the picture the backward rows are made from, without the edges that
    carry no gradient (``merge_groups(gradient_only=True)``; the forward rows draw every edge), else ``forward``."""
    backward = bptt_picture(gradient or forward, with_forward="rows")
    nodes = list(forward.nodes)
    starts = [i for i, n in enumerate(backward.nodes) if n.kind == "output" and not n.label.startswith("∂J/∂")]
    start = starts[0] if starts else None
    outputs = [i for i, n in enumerate(forward.nodes) if n.kind == "output"]
    index = {}
    for i, node in enumerate(backward.nodes):
        if i == start and outputs:
            index[i] = outputs[0]  # one J: the forward's result is where the gradient starts
            continue
        index[i] = len(nodes)
        row = (BACKWARD_ROW, *node.row) if node.step is not None else node.row
        nodes.append(Node(node.key, node.kind, node.label, node.scope, step=node.step, row=row,
                          chain=node.chain, gradient_norm=node.gradient_norm, after=node.after))
    edges = list(forward.edges) + [(index[a], index[b], label) for a, b, label in backward.edges]
    return Picture(nodes, unique(edges), forward.rankdir, forward.title, forward.legend, backward=False,
                   notes=[*forward.notes, *backward.notes])
