"""Values named in the lecture's notation: h₃, J₃, x₃ in a figure's labels, each state marked with its chain.

The last step of a drawing (:func:`name_values`): check the names a user asked for, write what the marks mean
once, name a gradient graph's outputs as its rules name the weights, and rewrite every value in the labels
(h₃⁽¹⁾, or h⁽³⁾ where the lecture writes time above; h′₁ in a module's second call). The symbols come from
:mod:`.notation`, the marks from :mod:`.chains`, the parameters' names from :mod:`.parameter_names`; the words
under x_t and by J_t are written by :mod:`.words`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .chains import chain_mark, chain_marks, chain_of, chains_in, gradient_owner, handover_roles, marks_of, module_marks
from .gradient_labels import SCORES_NOTE_START, SUM_NOTE, TARGET_OF_STEP
from .loss_targets import LossTargets
from .notation import (
    BIAS_PARTS,
    BIASES,
    LAYER_WEIGHTS,
    MODEL_WEIGHTS,
    PER_STEP_VALUES,
    PRESETS,
    VALUES,
    Notation,
    cell_of_weights,
    library_name,
    short_name,
)
from .parameter_names import write_tied_uses
from .picture import BACKWARD_ROW, Node, Picture, relabel_edges
from .scripts import FROM_SUBSCRIPT, FROM_SUPERSCRIPT
from .step_states import GATES
from .words import write_tokens

# the tensor a gradient is of, in an output's label: a BPTT figure's Σ names each weight so (Σₜ ∂J/∂b_ih|₍ₜ₎), and a
# GRU's are already b_ih and b_hh there, never the lecture's one b of an RNN's two
GRADIENT_OF = re.compile(r"∂J/∂([^\s|]+)")

CHAIN_MARK_AT_END = re.compile(r"(⁽[^⁾]*⁾|\^\[[^\]]*\])$")  # b_h⁽ʳ⁾, b₁^[2]: a chain's mark (Notation.marked)

# (a rolled loop's cₜ₊₁ is one step, its mark after it: cₜ₊₁⁽²⁾, never cₜ⁽²⁾₊₁); a step's mark already written (a
# step-level figure's h₃⁽²←⁾, :func:`.step_states.step_marks`) is read with it, and written as the notation writes marks
TOKEN = re.compile(r"(?<![\w\u0302])([A-Za-zŷ\u0302]+)(?:(_0|_T|_n|[₀₁₂₃₄₅₆₇₈₉]+|ₜ(?:[₊₋][₀₁₂₃₄₅₆₇₈₉]+)?)(⁽[^⁾\s]*⁾)?)?"
                   r"(?!(?!²)[\w\u0302₀₁₂₃₄₅₆₇₈₉])")  # (n₁² in a backward rule: n₁ squared)


def name_values(picture: Picture, notation: Notation, parameters: set[str], show_parameters: bool,
                tokens: list[str] | None, targets: list[str] | None = None,
                known: LossTargets | None = None) -> Notation:
    """The last step of a drawing: check the names asked for, say once that the lecture's one bias
    is the layer's two, write the values (h₃⁽¹⁾, J⁽³⁾) in the notation, and the words by x_t and J_t
    (:func:`.words.write_tokens`). Returns the notation the figure is written in (its loss's letter, the
    user's where :func:`loss_named_by_user` took it), for the notes written after it."""
    check_asked(picture, notation, parameters)
    example = layer_example(picture, notation)  # which index is the layer, by a state (h^[2]⁽³⁾: …), or None
    marked = mark_notes(picture, notation)  # whose each module's mark is (enc: encoder, dec: decoder)
    picture.notes += ([example] if example else []) + marked
    notation = notation.for_drawing(picture.nodes)
    name_gradients(picture, notation)
    if {"b_ih", "b_hh"} <= parameters and show_parameters:  # said once, under the figure, not drawn as two b₁
        drawn = [name for node in picture.nodes for name in node.parameters] + \
            [node.label.split("\n")[0] for node in picture.nodes if node.kind == "parameter"] + \
            [name for node in picture.nodes if node.kind == "output" for name in GRADIENT_OF.findall(node.label)]
        # the lecture's one b drawn as its two parts (b₁″, b_h″⁽ʳ⁾: the part before a chain's mark) — unless it is drawn
        # whole somewhere (an RNN's cells beside a GRU, whose b_h″⁽ᵍ⁾ is its own second bias, no part of one)
        whole = notation.symbol("b_ih")
        parts = any(BIAS_PARTS[1] in name for name in drawn) and not any(
            CHAIN_MARK_AT_END.sub("", name) == whole for name in drawn)
        if notation.merged_biases() and any(name.startswith(("b_ih", "b_hh")) for name in drawn):
            notation = notation.for_cell("gru")  # the lecture's one bias, kept apart (name_parameters): a GRU's
        picture.notes += notation.merged_biases(parts)
    write_tied_uses(picture, notation)
    notation = loss_named_by_user(picture, notation)
    define_loss(picture, notation)
    rename_values(picture, notation)
    # J_t's target in the notation's time (never targetₜ beside h⁽ᵗ⁾): the next word where each J_t predicts the
    # next input, a language model's x⁽ᵗ⁺¹⁾ (one module: not a decoder's, whose inputs are y), else target⁽ᵗ⁾
    one_module = len({chain[0] for chain in chains_in(picture.nodes)}) <= 1
    target = target_written(notation, known is not None and known.next_words and one_module)
    picture.notes = [note.replace(TARGET_OF_STEP, target) for note in picture.notes]
    if notation.time == "superscript" and example is None:  # (an example says what the brackets hold)
        picture.notes += brackets_note(picture, modules_said=bool(marked))
    picture.notes += upper_layer_notes(picture, notation)
    if tokens is not None:
        write_tokens(picture, list(tokens), None if targets is None else list(targets), known)
    elif targets is not None:
        raise ValueError("targets: what each J_t should predict is written beside the words it is for; pass "
                         "tokens=[...] too (the words of x_1 … x_T)")
    return notation


def _is_loss(node: Node) -> bool:
    """A figure's root scalar, the J its gradients are of (a BPTT figure's: the forward root's key under "backward")."""
    key = node.key[1] if isinstance(node.key, tuple) and node.key[:1] == ("backward",) else node.key
    return node.kind == "output" and isinstance(key, tuple) and key[:1] == ("output",) and \
        all(tensor.numel() == 1 for tensor in node.tensors if hasattr(tensor, "numel"))


def loss_named_by_user(picture: Picture, notation: Notation) -> Notation:
    """The notation with the user's own letter for the loss (``loss.name = "L"``) where J is written: a BPTT figure's
    every ∂L/∂h₃ and Σₜ ∂L/∂W_hh|₍ₜ₎, the terms L₃ of Σₜ Lₜ, in the forward figure and its BPTT alike — one name for
    one scalar, never "J = L" beside ∂J/∂…. Only a single letter the figure names nothing else by is taken as the
    loss's letter; a longer name ("log p") is defined instead (:func:`define_loss`: "J = log p"), and a loss named J
    is the notation's loss (L in CMU's).

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> h = tr.zeros(1, 2, requires_grad=True)
    >>> for t in range(2):
    ...     with tr.scope(f"t={t + 1}"):
    ...         h = (h + 1).tanh()
    >>> loss = h.sum()
    >>> loss.name = "L"
    >>> bptt = build_picture((loss,), level="cell", backward=True)
    >>> bptt.nodes[0].label, sorted({label for *_, label in bptt.edges if label.startswith("∂")})
    ('L', ['∂L/∂h₁', '∂L/∂h₂'])
    """
    letters = {node.label.partition("\n")[0] for node in picture.nodes if _is_loss(node)}
    letter = next(iter(letters)) if len(letters) == 1 else ""
    taken = set(VALUES) | set(GATES) | {symbol for name, symbol in notation.names.items() if name != "J"}
    if len(letter) != 1 or not letter.isalpha() or letter in taken or letter in ("J", notation.symbol("J")):
        return notation
    return replace(notation, names={**notation.names, "J": letter})


def define_loss(picture: Picture, notation: Notation) -> None:
    """A root the user named (``score.name = "log p"``) in a figure that writes J elsewhere — a BPTT figure's every
    ∂J/∂h₃, the terms J₃ of Σₜ Jₜ — reads "J = log p", in the forward figure and its BPTT alike: the J those labels
    differentiate is that root, said where it is drawn (a root named J, or the notation's loss, stays as it is).

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> h, score = tr.zeros(1, 2, requires_grad=True), 0
    >>> for t in range(2):
    ...     with tr.scope(f"t={t + 1}"):
    ...         h = (h + 1).tanh()
    ...         score = score + h.sum()
    >>> score.name = "log p"
    >>> [build_picture((score,), level="cell", backward=back).nodes[0].label for back in (False, True)]
    ['J = log p', 'J = log p']
    """
    roots = [node for node in picture.nodes if _is_loss(node)]
    others = [text for node in picture.nodes if not _is_loss(node) for text in [node.label, *node.parameters]] + \
        [label for *_, label in picture.edges]
    if not any(match.group(1) == "J" for text in others for match in TOKEN.finditer(text)):
        return
    for node in roots:
        first, newline, rest = node.label.partition("\n")
        if first not in ("J", notation.symbol("J")) and not first.startswith(("∂", "gradient", "J = ")):
            node.label = f"J = {first}{newline}{rest}"


def upper_layer_notes(picture: Picture, notation: Notation) -> list[str]:
    """Where a lecture names its input weight by what layer 1 reads (CS224N's W_e, on the embedding e⁽ᵗ⁾) and a
    figure draws it for layer 2 (W_e^[2]), what it reads there: layer 1's state, not e⁽ᵗ⁾. And where the output
    bias's name ends in a layer's number (CS224N's b₂ beside layer 2's b₁^[2]), whose bias it is.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> from tinygrad_rnn.viz.notation import resolve
    >>> stacked = build_picture((tr.nn.RNN(2, 3, num_layers=2)(tr.randn(2, 2))[0].sum(),), level="cell",
    ...                         notation=resolve("cs224n"))
    >>> [note for note in stacked.notes if note.startswith("W_e^[")]
    ['W_e^[2] reads h^[1]⁽ᵗ⁾, not e⁽ᵗ⁾']
    """
    if any(node.loops for node in picture.nodes):  # a rolled figure: not said, as a line more under it set its
        return []  # labels under a slide's 28 px (CS224N's 2-layer rolled BPTT of 8 steps: 28.1 -> 27.0 px)
    reads = PRESETS.get(notation.preset, {}).get("input_weight_reads")
    weight, output_bias = notation.symbol("W_ih"), notation.symbol("b_y")
    texts = " ".join(drawn_texts(picture))
    layers = {int(number) for number in re.findall(r"\^\[(\d+)", texts)}  # the layers whose marks are drawn
    notes = []
    upper = sorted(set(re.findall(re.escape(weight) + r"\^\[((?:[2-9]|\d\d)[→←]?)\]", texts)),  # W_e^[2], W_e^[2→]
                   key=lambda mark: (int(mark.rstrip("→←")), mark.endswith("←")))
    if reads and weight == PRESETS[notation.preset]["names"].get("W_ih") and upper:
        said = []
        for layer in sorted({int(mark.rstrip("→←")) for mark in upper}):
            named = [f"{weight}^[{mark}]" for mark in upper if mark.rstrip("→←") == str(layer)]
            # (a bidirectional layer reads both directions of the layer under it: its states, in words)
            below = f"h^[{layer - 1}]⁽ᵗ⁾" if len(named) == 1 and named[0].endswith(f"[{layer}]") else \
                f"layer {layer - 1}'s states"
            said.append(f"{', '.join(named)} {'reads' if len(named) == 1 else 'read'} {below}")
        notes.append(f"{'; '.join(said)}, not {reads}")
    number = output_bias[-1:].translate(FROM_SUBSCRIPT)
    if number.isdigit() and int(number) in layers and output_bias in texts:
        notes.append(f"{output_bias}: the output bias, not layer {number}'s")
    return notes


def drawn_texts(picture: Picture) -> list[str]:
    """Every text the figure draws in it: its nodes' labels, the weights named in them, its arrows' labels."""
    return [node.label for node in picture.nodes] + [name for node in picture.nodes for name in node.parameters] + \
        [label for *_, label in picture.edges]


def brackets_note(picture: Picture, modules_said: bool = False) -> list[str]:
    """Where the time is the parenthesised superscript (CS224N's h⁽ᵗ⁾), what the square brackets of the chains' marks
    are (:meth:`.Notation.marked`: W_h^[2], h^[2→]⁽³⁾), said once: a student reads ⁽·⁾ as the time, and only so.
    Called where :func:`layer_example` has not said it by an example (h^[2]⁽³⁾: the state h of layer 2 at step 3).
    ``modules_said``: :func:`mark_notes` has said whose each module's word is (enc: encoder, h^[enc]⁽¹⁾), which
    says what those brackets hold — a second line of key for it put an LSTM encoder–decoder's labels under the
    28 px a slide's need (27.8)."""
    texts = drawn_texts(picture) + list(picture.notes)
    marks = {mark for text in texts for mark in re.findall(r"\^\[([^\]]*)\]", text)}
    if not marks:
        return []
    kinds = [kind for kind, found in (("layer", r"\d"), ("direction", "[→←]"), ("module", "[a-z]"))
             if any(re.search(found, mark) for mark in marks) and not (kind == "module" and modules_said)]
    return [f"⁽ᵗ⁾: the time step; [·]: the {' and '.join(kinds)}"] if kinds else []


def name_gradients(picture: Picture, notation: Notation) -> None:
    """A gradient graph's outputs named as its rules name the weights: ∂J/∂W_hh, not ∂J/∂weight_hh_l0 beside
    a rule that says W_hh (one name per thing in a figure); marked with the layer and direction only where
    the figure has several (∂J/∂W_hh⁽²⁾). Two modules made apart (an RNN beside a GRU) both call theirs
    weight_hh_l0: each gradient is then told apart by the module of the ops nearest it, marked as the figure
    marks that module's states (∂J/∂W⁽ʳ⁾, ∂J/∂W⁽ᵍ⁾). Each is written in its own cell's names, a bias as the
    tensor it is (:meth:`.notation.Notation.bias_part`): the lecture's one b as the part each gradient is of
    (∂J/∂b_h′⁽ʳ⁾, ∂J/∂b_h″⁽ʳ⁾), a GRU's two as its own b_h′⁽ᵍ⁾, b_h″⁽ᵍ⁾ — never one name for two tensors."""
    gradients = {}
    for position, node in enumerate(picture.nodes):
        first, _, rest = node.label.partition("\n")
        if node.kind == "output" and first.startswith("∂J/∂") and gradient_owner(first[len("∂J/∂"):]) is not None:
            gradients[position] = (first[len("∂J/∂"):], rest)
    owners = {position: gradient_owner(name) for position, (name, _) in gradients.items()}
    if len(set(name for name, _ in gradients.values())) < len(gradients):  # (one name, several tensors)
        nearest = _nearest_chains(picture, list(gradients))
        owners = {position: (*nearest[position][:1], *owner[1:]) if nearest.get(position) else owner
                  for position, owner in owners.items()}
    marks = chain_marks(set(owners.values()), notation.module_letters)
    cells = {owners[position]: cell_of_weights({name: picture.nodes[position].tensors[0]})  # (told by W_hh's rows:
             for position, (name, _) in gradients.items()  # a module's other gradients would say "tanh RNN")
             if picture.nodes[position].tensors and short_name(name) == "W_hh"}
    loss = notation.symbol("J")
    for position, (name, rest) in gradients.items():
        own, short, mark = notation.for_cell(cells.get(owners[position], "")), short_name(name), marks[owners[position]]
        written = own.bias_part(short, mark) if short in BIASES else own.symbol(short) + own.marked(mark)
        picture.nodes[position].label = f"∂{loss}/∂{written}" + ("\n" + rest if rest else "")


def _nearest_chains(picture: Picture, positions: list[int]) -> dict[int, tuple]:
    """{output's position: the chain of the nearest ops (walked back from it, breadth first) that belong to a
    layer's step} — where those nearest are all of one module; no entry where none is, or two modules are as near."""
    inputs: dict[int, list[int]] = {}
    for tail, head, _ in picture.edges:
        inputs.setdefault(head, []).append(tail)
    found = {}
    for position in positions:
        frontier, seen = [position], {position}
        while frontier:
            chains = {chain for p in frontier if (chain := chain_of(picture.nodes[p])) and chain[1] is not None}
            if chains:
                if len({chain[0] for chain in chains}) == 1:
                    found[position] = min(chains, key=repr)
                break
            frontier = [t for p in frontier for t in inputs.get(p, []) if not (t in seen or seen.add(t))]
    return found


def layer_example(picture: Picture, notation: Notation) -> str | None:
    """Which index of the marks is the layer and which the step, said once by an example: a state of the
    last layer (h₃⁽²⁾, or CS224N's h^[2]⁽³⁾: the state h of layer 2 at step 3); None where no mark holds a layer."""
    marks = marks_of(picture.nodes, notation.module_letters)
    # (a bidirectional layer's marks end with its arrow: said where ⁽·⁾ is the time, and [·] must be read)
    layered = sorted(mark for mark in marks.values()
                     if mark[-1:].isdigit() or (notation.time == "superscript" and re.search(r"\d", mark)))
    if not layered:
        return None
    layer = re.search(r"\d+", layered[-1]).group()
    # the example is a step the figure draws in that layer (step 3 where it does; a 2-step figure has none)
    drawn = sorted({node.step for node in picture.nodes if node.step is not None and node.kind != "ellipsis"
                    and marks.get(chain_of(node)) == layered[-1]})
    step = "t" if any(node.loops for node in picture.nodes) or not drawn else str(
        max([s for s in drawn if s <= 3] or drawn[:1]))  # a rolled figure has no step 3: it writes t
    direction = {"→": " (forward)", "←": " (reverse)"}.get(layered[-1][-1:], "")
    return f"{notation.at_step('h', step, layered[-1])}: the state h of layer {layer}{direction} at step {step}"


def mark_notes(picture: Picture, notation: Notation) -> list[str]:
    """Whose each module's mark is, said once in words (⁽ᵉ⁾: encoder, ⁽ᵈ⁾: decoder; CS224N's enc, dec); the
    layer's index is said by :func:`layer_example`."""
    notes = []
    first_step: dict[str, int] = {}
    for node in picture.nodes:
        if (chain := chain_of(node)) is not None and node.step is not None:  # in time: a decoder's after its encoder's
            when = node.step + (node.chain.after if node.chain is not None else node.after or 0)
            first_step[chain[0]] = min(first_step.get(chain[0], when), when)
    if len(first_step) > 1:  # in the order of time: the encoder's first
        roles = handover_roles(picture.nodes)  # (an LSTM encoder's GRU decoder: ⁽ᵉ⁾: encoder (LSTM), never ⁽ˡ⁾)
        marks = module_marks({roles.get(module, module) for module in first_step}, notation.module_letters)
        written = (lambda mark: mark) if notation.time == "superscript" else chain_mark  # h_enc⁽¹⁾ or h₁⁽ᵉⁿᶜ⁾
        notes.append(", ".join(f"{written(marks[roles[module]])}: {roles[module]} ({module})" if module in roles
                               else f"{written(marks[module])}: {module}"
                               for module in sorted(first_step, key=lambda module: (first_step[module], module))))
    return notes


CHAIN_RULE = re.compile(r"\(∂(.+?)/∂(.+?)\)ᵀ ∂J/∂\1")  # a BPTT arrow's part of a gradient (gradient_labels.py)


def rename_values(picture: Picture, notation: Notation) -> None:
    """Write the values a picture names (h₃ on an edge, J₃ and e₃ in nodes, x_t below) in the
    notation, each state marked with the chain that computes it. Parameters are named by
    :func:`.parameter_names.name_parameters` before; the words here are the values' only."""
    marks = marks_of(picture.nodes, notation.module_letters)
    renamed = {name for name in notation.names if name not in LAYER_WEIGHTS + MODEL_WEIGHTS}
    renamed |= set(VALUES) | set(GATES)  # f₁ and h₁ alike: f⁽¹⁾ where the lecture writes time above

    # an encoder's e₁ and its decoder's are two tensors (E_x x₁, E_y y₀): each marked with the module whose
    # cell reads it, as the states are, where a picture has several modules (one module's e_t is its own)
    several_modules = len({chain[0] for chain in marks}) > 1

    def write(text: str, chain, reader=None) -> str:
        mark = marks.get(chain, "")
        embedded = marks.get(reader, "") if several_modules else ""

        def one(match: re.Match) -> str:
            base, step = match.group(1), match.group(2)
            if base not in renamed:
                return match.group(0)
            # x_t, ŷ_t, J_t: the model's, not a chain's; e_t: the module's that reads it, where that is in doubt
            own = embedded if base == "e" else "" if base in PER_STEP_VALUES else mark
            if match.group(3):  # h₃⁽²←⁾ at step level: its own mark
                own = match.group(3).translate(FROM_SUPERSCRIPT)[1:-1]
            return notation.at_step(base, step.lstrip("_").translate(FROM_SUBSCRIPT) if step else None, own)
        return TOKEN.sub(one, text)

    for node in picture.nodes:
        chain = chain_of(node)
        first, _, rest = node.label.partition("\n")
        if node.kind == "input" and chain is None and first.startswith(("h_0", "c_0")):
            chain = _reader_chain(picture, node)
        if node.chain is None and PICKED.match(first):  # "index [0] → h₃": the state of the step it picks, marked so
            _name_handover(picture, node, write, marks, notation)
            continue
        if "∂" in rest or "δ" in rest:  # a Σ's lines name gradients (∂J/∂W_hh|₍ₜ₎), a rule's its own values (δ ⊙ z₁,
            rest = "\n".join(write(line, chain if "∂" in rest else None) for line in rest.split("\n"))  # unmarked)
        node.label = write(first, chain, _reader_chain(picture, node)) + ("\n" + rest if rest else "")
    backward = picture.backward
    if backward and several_modules:
        _mark_steps_by_reader(picture, marks, notation)
    edges = []
    for tail, head, label in picture.edges:
        a, b = picture.nodes[tail], picture.nodes[head]
        flows_back = backward or a.row[:1] == (BACKWARD_ROW,) or b.row[:1] == (BACKWARD_ROW,) \
            or (tail, head, label) in picture.gradients  # (forward and backward on one set of nodes)
        owner = b if flows_back else a  # the state belongs to the node that computes it
        chained = CHAIN_RULE.fullmatch(label) if flows_back else None
        if chained:  # (∂h₄/∂h₃)ᵀ ∂J/∂h₄: h₄ is the reader's (the arrow's tail), h₃ the value's, each with its mark
            out = write(chained.group(1), _chain_beside(picture, a, b, chained.group(1)))
            value = write(chained.group(2), _chain_beside(picture, b, a, chained.group(2)))
            edges.append((tail, head, f"(∂{out}/∂{value})ᵀ ∂{notation.symbol('J')}/∂{out}"))  # L in CMU's
            continue
        reader = a if flows_back else b  # the cell that reads a value (e₁ into encoder cell 1) marks it
        edges.append((tail, head, write(label, _chain_beside(picture, owner, reader, label), chain_of(reader))
                      if label else label))
    relabel_edges(picture, edges)
    for node in picture.nodes:
        node.loops = [write(loop, chain_of(node)) for loop in node.loops]
    # the BPTT note's sum, ∂J/∂h₃ = (1/4) ∂J₃/∂h₃ + …, in the same words as the arrows (one chain drawn: no mark)
    picture.notes = [write(note, None) if note.startswith((SUM_NOTE, SCORES_NOTE_START)) else note
                     for note in picture.notes]
    mark_calls(picture, notation)


def target_written(notation: Notation, next_word: bool) -> str:
    """J_t's target as a note on ∂J/∂sₜ writes it, in the notation's time: the next input (``next_word``: a language
    model's) or the target.

    >>> from tinygrad_rnn.viz.notation import resolve
    >>> cs224n = resolve("cs224n")
    >>> target_written(cs224n, True), target_written(cs224n, False), target_written(resolve(None), True)
    ('x⁽ᵗ⁺¹⁾', 'target⁽ᵗ⁾', 'xₜ₊₁')
    """
    if next_word:
        return notation.at_step("x", "t").replace("ᵗ", "ᵗ⁺¹").replace("ₜ", "ₜ₊₁")  # (+ stays lowered in at_step)
    return notation.at_step("target", "t")


def arrows_in_notation(picture: Picture, carried: dict, notation: Notation) -> dict:
    """What the gradient arrows back along ``picture``'s edges carry (``carried``: {edge: label}, from
    :func:`.gradient_labels.arrow_labels` of ``picture``, whose values are in the library's names, h₃ and J₃, as
    that rule reads them), written in the notation as a BPTT figure writes its arrows: (∂c⁽³⁾/∂c⁽²⁾)ᵀ ∂J/∂c⁽³⁾ in
    CS224N's. (Read in the notation, h⁽²⁾ and c⁽²⁾ are no steps the rule knows: it named the c arrow ∂J/∂c⁽²⁾,
    the whole gradient.) A copy of the picture, its edges reversed as a BPTT figure's, is renamed by
    :func:`rename_values`; ``picture`` is left as it is.

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.viz.graph import build_picture
    >>> from tinygrad_rnn.viz.notation import resolve
    >>> picture = build_picture((tr.nn.LSTM(2, 3)(tr.randn(3, 1, 2))[0][-1].sum(),), level="cell")
    >>> edge = next(edge for edge in picture.edges if edge[2] == "c₂")
    >>> arrows_in_notation(picture, {edge: "(∂c₃/∂c₂)ᵀ ∂J/∂c₃"}, resolve("cs224n"))[edge]
    '(∂c⁽³⁾/∂c⁽²⁾)ᵀ ∂J/∂c⁽³⁾'
    """
    back = [(head, tail, carried.get((tail, head, label), "")) for tail, head, label in picture.edges]
    arrows = Picture([replace(node) for node in picture.nodes], back, backward=True)
    rename_values(arrows, notation.for_drawing(picture.nodes))
    return {edge: label for edge, (_, _, label) in zip(picture.edges, arrows.edges) if edge in carried}


def mark_calls(picture: Picture, notation: Notation) -> None:
    """One module run on two sequences (one encoder for a premise and a hypothesis): the states and
    inputs of its second chain are other tensors than the first's, so they carry a prime — h₁, x₁ in
    call 1; h′₁, x′₁ in call 2 (two primes in call 3) — and no name stands for two tensors."""
    def call(node: Node) -> int:
        found = next((part for part in node.row if isinstance(part, str) and part.startswith("call ")), None)
        return int(found.split()[1]) if found else 0

    calls = [call(node) for node in picture.nodes]
    if max(calls, default=0) < 2:
        return
    for tail, head, _ in picture.edges:  # x_t and h_0 sit in no row: they belong to the call they feed
        if not calls[tail] and picture.nodes[tail].kind == "input":
            calls[tail] = calls[head]
    symbols = {notation.symbol(name) for name in ("h", "c", "x", "e")}

    def primed(text: str, count: int) -> str:
        if count < 2:
            return text
        return TOKEN.sub(lambda m: m.group(1) + "′" * (count - 1) + (m.group(2) or "") + (m.group(3) or "")
                         if m.group(1) in symbols else m.group(0), text)

    for node, count in zip(picture.nodes, calls):
        first, _, rest = node.label.partition("\n")
        node.label = primed(first, count) + ("\n" + rest if rest else "")
    relabel_edges(picture, [(tail, head, primed(label, calls[tail] or calls[head]))
                            for tail, head, label in picture.edges])


PICKED = re.compile(r"index \[[^\]]*\] → ([^\W\d_])")  # an index of an op level's stack, with the state it picks


def _name_handover(picture: Picture, node: Node, write, marks: dict, notation: Notation) -> None:
    """Name the state an index picks out of a stack ("index [0] → h₃", :mod:`.kept_steps`) as the chain that computes
    it names it, h₃⁽ᵃ⁾ (the one step drawn into the stack); where another chain's first step reads it (a decoder
    started from its encoder's last state), with that chain's name for it too, once: "→ h₃⁽ᵃ⁾ = h₀⁽ᵇ⁾", the h₀⁽ᵇ⁾
    its equations write — one tensor, its two names said equal where it is handed over."""
    position = next(i for i, drawn in enumerate(picture.nodes) if drawn is node)
    stacks = {tail for tail, head, _ in picture.edges if head == position}
    picked = {chain_of(picture.nodes[tail]) for tail, head, _ in picture.edges if head in stacks} - {None}
    first, newline, rest = node.label.partition("\n")
    first = write(first, next(iter(picked)) if len(picked) == 1 else None)
    # (the chain whose own ops read it: an attention's s₀[0] in the decoder's step is no op of its cell)
    reader = _reader_chain(picture, node, own_ops=True)
    readers = {picture.nodes[head].step for tail, head, _ in picture.edges if tail == position}
    if reader is not None and picked and reader not in picked and readers == {1}:
        first += " = " + notation.at_step(PICKED.match(first).group(1), "0", marks.get(reader, ""))
    node.label = first + newline + rest


def _chain_beside(picture: Picture, node: Node, other: Node, label: str):
    """The chain whose value ``label`` names on an edge between ``node`` (that computes it) and ``other``: ``node``'s
    own; where ``node`` is a "…" of steps left out, the chain with that step among them — the other end's where
    several have it (h₃ out of "…" into the forward cell 4 of a bidirectional layer is h₃⁽→⁾, the h₂ into its
    reverse cell 1 is h₂⁽←⁾: written bare, h₂ and h₃ said neither), the encoder's h₃ into its decoder's cell 1."""
    if node.kind != "ellipsis":
        return chain_of(node)
    key, step = node.key, re.search(r"[₀-₉]+", label.rpartition("/∂")[2])  # the value's step, not a J's before it
    while key[0] != "ellipsis":  # ("backward", ("ellipsis", side, steps)) in the views built on the forward one
        key = key[1]
    if step is None:
        return None
    starts = {chain_of(n): n.chain.after for n in picture.nodes if n.chain is not None}
    among = [chain for chain, after in starts.items() if int(step.group().translate(FROM_SUBSCRIPT)) + after in key[2]]
    return chain_of(other) if chain_of(other) in among else among[0] if len(among) == 1 else None


def _mark_steps_by_reader(picture: Picture, marks: dict, notation: Notation) -> None:
    """A gradient figure's step of an embedding lookup, named by its op ("embedding t=1"), marked with the module
    whose cell reads its value, where several modules run: the encoder's e₁ and its decoder's are two lookups, and
    "embedding t=1" twice named neither (embedding⁽ᵉ⁾, embedding⁽ᵈ⁾, as the forward figure's e₁⁽ᵉ⁾)."""
    tails: dict[int, list[int]] = {}  # head → the nodes with an edge into it (a backward figure: who reads its value)
    for tail, head, _ in picture.edges:
        tails.setdefault(head, []).append(tail)
    for position, node in enumerate(picture.nodes):
        first, newline, rest = node.label.partition("\n")
        op = re.match(r"embedding\b", first)  # (e_t, marked so in the forward figure: a dropout between is no one's)
        if node.step is None or chain_of(node) is not None or not op:
            continue
        readers = {chain_of(picture.nodes[tail]) for tail in tails.get(position, ())} - {None}
        if len(readers) == 1:
            node.label = op.group() + notation.marked(marks.get(readers.pop(), "")) + first[op.end():] + newline + rest


def _reader_chain(picture: Picture, node: Node, own_ops: bool = False):
    """The one chain that reads ``node``'s value (None: none, or several). Gradients drawn beside the values do not
    read it (a forward-and-backward figure's embedding also hands its Σ ∂J/∂E_x its terms). ``own_ops``: only the
    chain's own ops count, not an op drawn on its row."""
    position = next(i for i, drawn in enumerate(picture.nodes) if drawn is node)  # (by identity: == compares fields)
    chains = {chain_of(picture.nodes[h]) for t, h, label in picture.edges
              if t == position and (t, h, label) not in picture.gradients
              and not (own_ops and picture.nodes[h].chain is None)}
    return next(iter(chains)) if len(chains) == 1 else None


def check_asked(picture: Picture, notation: Notation, parameters: set[str]) -> None:
    """A name the user asked to rename that the figure does not have is a mistake: say what it has."""
    if not notation.asked:
        return
    present = set(parameters)
    for node in picture.nodes:
        for text in [node.label, *node.parameters]:
            present |= {m.group(1) for m in TOKEN.finditer(text)}
    for _, _, label in picture.edges:
        present |= {m.group(1) for m in TOKEN.finditer(label)}
    present |= {library_name(p) for p in parameters}
    missing = sorted(name for name in notation.asked if name not in present)
    if missing:
        known = sorted(n for n in present if n in parameters or n in VALUES or library_name(n) != n)
        raise ValueError(f"notation: {', '.join(missing)} names nothing in this figure; its names are "
                         f"{', '.join(known)}")
