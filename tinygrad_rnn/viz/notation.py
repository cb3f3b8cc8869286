"""The lecture's own names: which symbol a figure writes for each tensor, and whose tensor it is.

Two questions decide every name a figure writes:

* **Which lecture?** Each lecture writes the same model with its own symbols (W_hh in PyTorch and
  CMU, W_h in CS224N and USC, V in the Elman paper). A :class:`Notation` maps the library's names
  — W_ih, W_hh, b_ih, b_hh of a layer; E, W_hy, b_y of a model's embedding and head; the states h,
  c; e, x, ŷ, J — to the lecture's, and says where the time step goes (h₃, or h⁽³⁾ in CS224N).
* **Whose tensor?** Two layers, two directions or an encoder and a decoder each have their own
  W_hh: a figure that names them alike says they are one tensor. Each *chain* — one module's
  layer in one direction — marks its names (W_hh⁽¹⁾, W_hh⁽²⁾; W_hh⁽→⁾, W_hh⁽←⁾; W_hh⁽ᵉ⁾) where
  the figure has several; a tensor used in several places is named once, by its identity, and
  carries no mark. Layers count from 1, as on a slide: PyTorch's ``weight_hh_l0`` is W_hh⁽¹⁾.

>>> notation = resolve("cs224n")
>>> notation.symbol("W_hh"), notation.at_step("h", "3"), resolve("pytorch").at_step("h", "3", mark="2")
('W_h', 'h⁽³⁾', 'h₃⁽²⁾')
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from .gradient_labels import SCORES_NOTE, SUM_NOTE
from .loss_targets import LossTargets
from .picture import BACKWARD_ROW, CHOICE_INPUT, PER_STEP, Node, Picture, in_time, relabel_edges, steps_in_time
from .scripts import FROM_SUBSCRIPT, TO_SUBSCRIPT, TO_SUPERSCRIPT
from .step_states import GATES
from .user_steps import chains_reading, cone, link_maps

LAYER_WEIGHTS = ("W_ih", "W_hh", "b_ih", "b_hh", "W_hr")  # a recurrent layer's, as short_name writes them
MODEL_WEIGHTS = ("E", "W_hy", "b_y")  # a model's embedding and head (the library's models: embedding, head)
VALUES = ("h", "c", "h_0", "c_0", "x", "e", "s", "ŷ", "y", "J")  # states, inputs (a decoder's y), scores, outputs, loss
PER_STEP_VALUES = ("x", "e", "s", "ŷ", "y", "J")  # one per step of the model, in no chain: never marked
SYMBOLS = {"sigmoid": "σ"}  # how the lectures write a named gate's op: i₃ = σ


def gru_update(step: int) -> str:
    """A GRU's new state as the lectures write it, where the op is torch.lerp(n, h, z), which no lecture calls lerp:
    one equation for every figure that draws it (the notation's pass then writes h₀ as its preset does).

    >>> gru_update(1)
    '(1 − z₁) ⊙ n₁ + z₁ ⊙ h₀'
    """
    t, before = (str(k).translate(TO_SUBSCRIPT) for k in (step, step - 1))
    return f"(1 − z{t}) ⊙ n{t} + z{t} ⊙ h{before}"

TIME_SUBSCRIPT = re.compile(r"(?<!\w)([^\W\d_Σ])_(\{[^}]*\}|\d+|t[+−]1|[tT])(?!\w)")  # h_t, x_{t+1}; not W_hh, Σ_t
BIAS_PARTS = ("′", "″")  # b₁′ and b₁″: the two tensors PyTorch stores for the lecture's one bias b₁
LOSS_LETTER = re.compile(r"(?<![A-Za-z])J(?![A-Za-z])")  # J, ∂J/∂h_t, J_t; not Jacobian

PRESETS: dict[str, dict[str, Any]] = {
    # name → (library name → the lecture's; where the time step goes)
    "pytorch": {"names": {}, "time": "subscript"},
    # CS224N's E is d × |V| (e⁽ᵗ⁾ = E x⁽ᵗ⁾ picks a word's column) and its U |V| × d: tied, U = Eᵀ. PyTorch stores
    # both tables V × H (a word's row), as the other presets keep them: tied, W_hy = E (tied_head)
    "cs224n": {"names": {"E": "E", "W_ih": "W_e", "W_hh": "W_h", "b_ih": "b₁", "b_hh": "b₁", "W_hy": "U", "b_y": "b₂"},
               "time": "superscript", "words_as_columns": True},
    "cmu": {"names": {"W_ih": "W_xh", "W_hh": "W_hh", "b_ih": "b_h", "b_hh": "b_h", "W_hy": "W_hy", "b_y": "b_y",
                      "J": "L"}, "time": "subscript"},
    # USC writes a GRU's gates with W and U: z_t = σ(W⁽ᶻ⁾ x_t + U⁽ᶻ⁾ h_{t−1}) (its own names for a GRU's weights)
    "usc": {"names": {"W_ih": "W_x", "W_hh": "W_h", "b_ih": "b", "b_hh": "b"}, "time": "subscript",
            "gru": {"W_ih": "W", "W_hh": "U"}},
    "elman": {"names": {"W_ih": "W", "W_hh": "V", "b_ih": "b_h", "b_hh": "b_h", "W_hy": "U", "b_y": "b_y"},
              "time": "subscript"},
}


@dataclass(frozen=True)
class Notation:
    """Library names → the lecture's (``names``), and where a time step is written: ``"subscript"``
    (h₃) or ``"superscript"`` (h⁽³⁾). ``asked``: names a user gave, each of which must match
    something drawn (a preset's need not: not every figure has a head).

    >>> Notation({"W_hh": "V"}).symbol("W_hh"), Notation({}).symbol("W_hy")
    ('V', 'W_hy')
    """

    names: dict[str, str] = field(default_factory=dict)
    time: str = "subscript"
    preset: str = "pytorch"
    asked: frozenset = frozenset()
    cell: str = ""  # "gru" once :meth:`for_cell` has made it a GRU's

    @property
    def module_letters(self) -> int:
        """The fewest letters of a module's mark: with the time above, its word under the symbol (h_enc⁽¹⁾, not
        h⁽ᵉ⁾⁽¹⁾: two indices side by side, and e, CS224N's embedding, as the encoder's mark); else one (h₁⁽ᵉ⁾).

        >>> resolve("cs224n").at_step("h", "1", "enc"), resolve("pytorch").at_step("h", "1", "e")
        ('h_enc⁽¹⁾', 'h₁⁽ᵉ⁾')
        """
        return 3 if self.time == "superscript" else 1

    def renamed(self, names: dict[str, str]) -> Notation:
        """This notation with a user's own renamings on top (``--name W_hy=U``)."""
        return replace(self, names={**self.names, **names}, asked=self.asked | frozenset(names))

    def for_cell(self, cell: str) -> Notation:
        """The notation for a layer of ``cell`` ("rnn", "lstm", "gru"). A GRU keeps PyTorch's two biases
        apart: its candidate adds b_hn inside the reset gate, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
        so no one bias is the sum of bias_ih and bias_hh (only their r and z rows would add up) — where a
        lecture writes one b for an RNN's two, a GRU's figure writes b_ih and b_hh. A preset's own names for
        a GRU's weights apply too (USC's W and U); a name the user asked for stays.

        >>> usc = resolve("usc").for_cell("gru")
        >>> usc.symbol("W_ih"), usc.symbol("W_hh"), usc.symbol("b_ih"), usc.symbol("b_hh")
        ('W', 'U', 'b_ih', 'b_hh')
        >>> resolve("usc").for_cell("lstm").symbol("b_hh")
        'b'
        """
        if cell != "gru" or self.cell == "gru":
            return self
        names = dict(self.names)
        names.update({k: v for k, v in PRESETS.get(self.preset, {}).get("gru", {}).items() if k not in self.asked})
        if names.get("b_ih") is not None and names.get("b_ih") == names.get("b_hh"):
            for name in ("b_ih", "b_hh"):
                if name not in self.asked:
                    names.pop(name)
        return replace(self, names=names, cell="gru")

    def for_drawing(self, nodes: list[Node]) -> Notation:
        """The notation for the layer ``nodes`` draw: :meth:`for_cell` of the cell :func:`drawn_cell` finds.

        >>> import tinygrad_rnn as tr
        >>> gru = [Node(0, "parameter", "weight_hh_l0", tensors=[tr.zeros(9, 3)])]
        >>> resolve("usc").for_drawing(gru).symbol("W_hh"), resolve("usc").for_drawing([]).symbol("W_hh")
        ('U', 'W_h')
        """
        return self.for_cell(drawn_cell(nodes))

    def symbol(self, name: str, unmapped: str | None = None) -> str:
        """The lecture's symbol for one of the library's names (or a user's ``.name``, kept if unmapped; or
        ``unmapped`` where given)."""
        return self.names.get(name, self.names.get(library_name(name), name if unmapped is None else unmapped))

    def at_step(self, name: str, step: str | None, mark: str = "") -> str:
        """A value at a step ("3"; "t" any step, "T" the last, "0" the start), marked with its chain:
        h, "3" → h₃, and h⁽³⁾ with the time as a superscript; the mark after the subscript (h₃⁽²⁾)
        or, with the time above, under it (h₂⁽³⁾)."""
        base = self.symbol(name)
        if step is None:
            return base + chain_mark(mark)
        if self.time == "superscript":  # a layer's number under the time (h₂⁽³⁾); a module's word too (h_enc⁽¹⁾):
            # beside it, h⁽ᵉⁿᶜ⁾⁽¹⁾ would read as two indices, or a product
            module = re.match(r"[a-z]*", mark).group()
            mark = mark[len(module):]
            under = mark if mark.rstrip("→←").isdigit() or not mark else ""
            return base + (f"_{module}" if module else "") + under.translate(TO_SUBSCRIPT) + \
                (chain_mark(mark) if not under else "") + f"({step})".translate(TO_SUPERSCRIPT)
        written = {"t": "ₜ", "T": "_T", "0": "_0"}.get(step, step.translate(TO_SUBSCRIPT))
        return base + written + chain_mark(mark)

    def in_text(self, text: str) -> str:
        """Slide text written with PyTorch's h_t and J (:func:`.slide.runs_of` draws its scripts) in the
        notation: h^(t) where the lecture writes time above, and its letter for the loss (L in CMU's).

        >>> resolve("cs224n").in_text("h_t from h_{t−1} and x_3"), resolve("cmu").in_text("‖∂J/∂W_hh‖, J_t")
        ('h^(t) from h^(t−1) and x^(3)', '‖∂L/∂W_hh‖, L_t')
        """
        if self.time == "superscript":
            text = TIME_SUBSCRIPT.sub(lambda found: f"{found.group(1)}^({found.group(2).strip('{}')})", text)
        loss = self.symbol("J")
        return LOSS_LETTER.sub(loss, text) if loss != "J" else text

    def merged_biases(self, parts: bool = False) -> list[str]:
        """The lecture's one bias where a layer has two: 'b₁ = bias_ih + bias_hh'; with ``parts``, the
        figure draws the two apart (b₁′, b₁″: :func:`_bias_parts`) and the note names each."""
        symbol = self.names.get("b_ih")
        if self.cell == "gru" and PRESETS.get(self.preset, {}).get("names", {}).get("b_ih") is not None and \
                symbol is None:  # the lecture's one bias, not written for a GRU: say why
            return [f"b_ih, b_hh: two biases in a GRU, not one — b_hh's n rows are added inside r ⊙ "
                    f"[{self.symbol('W_hh')} h + b_hh]ₙ"]
        if symbol is None or self.names.get("b_hh") != symbol:
            return []
        if parts:
            first, second = (symbol + mark for mark in BIAS_PARTS)
            return [f"PyTorch's bias_ih, bias_hh: {first}, {second}, two tensors that add up to the lecture's one "
                    f"bias, {symbol} = {first} + {second}"]
        return [f"{symbol} = bias_ih + bias_hh: PyTorch's layer carries two biases, the lecture writes their sum"]


def resolve(notation: str | dict | Notation | None) -> Notation:
    """A preset's name, a dict of renamings (on top of PyTorch's names), or a Notation.

    >>> resolve({"W_hh": "V"}).symbol("W_hh")
    'V'
    >>> resolve("oxford")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: notation: no preset 'oxford'; the presets are cmu, cs224n, elman, pytorch, usc (or pass a dict ...
    """
    if notation is None:
        return preset("pytorch")
    if isinstance(notation, Notation):
        return notation
    if isinstance(notation, str):
        return preset(notation)
    if isinstance(notation, dict):
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in notation.items()):
            raise TypeError(f"notation: a dict maps names to names, e.g. {{'W_hh': 'W_h'}}; got {notation!r}")
        return preset("pytorch").renamed(notation)
    raise TypeError(f"notation: a preset's name ({', '.join(sorted(PRESETS))}), a dict of names or a Notation; "
                    f"got {type(notation).__name__}")


def preset(name: str) -> Notation:
    if name not in PRESETS:
        raise ValueError(f"notation: no preset {name!r}; the presets are {', '.join(sorted(PRESETS))} "
                         "(or pass a dict such as {'W_hh': 'W_h'})")
    return Notation(dict(PRESETS[name]["names"]), PRESETS[name]["time"], name)


def short_name(name: str) -> str:
    """weight_hh_l0 → W_hh, rnn.bias_ih_l1_reverse → b_ih: how the lectures write a recurrent
    layer's parameters (whose layer and direction, a figure marks: W_hh⁽²⁾); any other name
    (head.weight, W_hy) as it is.

    >>> short_name("rnn.weight_hh_l1_reverse"), short_name("head.weight")
    ('W_hh', 'head.weight')
    """
    parts = name.rsplit(".", 1)[-1].split("_")
    if parts[0] in ("weight", "bias") and len(parts) >= 2:
        return ("W_" if parts[0] == "weight" else "b_") + parts[1]
    return name


def library_name(name: str) -> str:
    """The library's name for a model's own parameter: the embedding's weight is E, the head's W_hy
    and b_y (as ``tinygrad-rnn graph --loss every`` names them); any other name as it is.

    >>> library_name("embedding.weight"), library_name("head.bias"), library_name("W_hh")
    ('E', 'b_y', 'W_hh')
    >>> library_name("source_embedding.weight"), library_name("target_embedding.weight")  # an encoder–decoder's
    ('E_x', 'E_y')
    """
    if name in EMBEDDINGS_OF_TWO:
        return EMBEDDINGS_OF_TWO[name]
    if name.endswith("embedding.weight"):
        return "E"
    return {"head.weight": "W_hy", "head.bias": "b_y"}.get(name, name)


TIED = "embedding.weight = head.weight"  # one tensor, the embedding's table and the head's weight


def role_symbol(role: str, notation: Notation) -> str:
    """How ``notation`` writes a parameter's role (:func:`parameter_roles`): E, U, b₂. A tied table is one tensor
    with one name, the embedding's (E): the head's boxes write it as the head reads it (:func:`tied_head`).

    >>> cs224n = preset("cs224n")
    >>> role_symbol("head.weight", cs224n), role_symbol(TIED, cs224n), role_symbol(TIED, resolve(None))
    ('U', 'E', 'E')
    """
    name = "embedding.weight" if role == TIED else role
    return notation.symbol(name, library_name(name))


def tied_head(notation: Notation) -> str:
    """The head's weight where it is the embedding's table (head.weight = embedding.weight), as ``notation`` writes
    the two: PyTorch stores both V × H, so W_hy = E — one tensor, no transpose; CS224N's E is d × |V| and its U
    |V| × d, so there U = Eᵀ.

    >>> tied_head(resolve(None)), tied_head(resolve("cs224n")), tied_head(resolve("elman"))
    ('W_hy = E', 'U = Eᵀ', 'U = E')
    """
    transposed = "ᵀ" if PRESETS.get(notation.preset, {}).get("words_as_columns") else ""
    return f"{notation.symbol('W_hy')} = {notation.symbol('E')}{transposed}"


def is_tied(readers: set[str]) -> bool:
    """Whether a tensor read by the ops ``readers`` (each node's op, in one word) is a tied table: read both as
    an embedding's table and as a linear layer's weight."""
    return {"embedding", "linear"} <= readers


# an encoder–decoder's two tables, as its figures write them: the source words x_t and the target words y_t index them
EMBEDDINGS_OF_TWO = {"source_embedding.weight": "E_x", "target_embedding.weight": "E_y"}


def parameter_roles(nodes: list[Node], links) -> dict[Any, str]:
    """A model's embedding and output layer found by what they do, whatever its attributes are called (emb,
    fc, out, decoder): {parameter node's key: the library's name for it ("embedding.weight", "head.weight",
    "head.bias")}, so that a figure writes them as it writes the library's own model's (E, W_hy, b_y; ``fc.weight``
    reads U in CS224N's). Read from the ops (``links``: tail, head, output, input position) before they are merged,
    in a figure with a recurrent layer's weights: the embedding is the one module weight read only by embedding
    ops (the table the ids index); the head, the one module linear layer computed from a recurrent layer's states
    (what reaches the loss from the recurrence). No role where that is not one: two embeddings (an
    encoder–decoder's), two linear layers after the recurrence (which is the output layer?), a linear layer only
    before it (an input projection is no W_hy); nor for a parameter named by the user (W_hy): its name stays."""
    readers: dict[int, set[tuple[str, int]]] = {}
    for tail, head, _, position in links:
        if nodes[tail].kind == "parameter" and nodes[head].kind == "op":
            readers.setdefault(tail, set()).add((nodes[head].key.name, position))
    module_parameters = {p: uses for p, uses in readers.items()
                         if nodes[p].label.split("\n")[0].rsplit(".", 1)[-1] in ("weight", "bias")}
    if not any(short_name(nodes[p].label.split("\n")[0]) in LAYER_WEIGHTS for p in readers):
        return {}
    embeddings = [p for p, uses in module_parameters.items() if {op for op, _ in uses} == {"embedding"}]
    roles = {nodes[embeddings[0]].key: "embedding.weight"} if len(embeddings) == 1 else {}
    # what reads each node, not through a choice (a generated token is no input of the graph)
    read_by = link_maps([link for link in links if link[3] != CHOICE_INPUT]).readers
    if len(embeddings) == 2:  # an encoder–decoder's: the table the encoder reads, and the one its decoder reads
        roles = _source_and_target(nodes, read_by, embeddings)
    after = _after_the_recurrence(nodes, read_by)
    heads: dict[int, set[int]] = {}  # the weights read by a linear op computed from the states → those ops
    for tail, head, _, position in links:
        if head in after and position == 1 and nodes[tail].kind == "parameter" and nodes[head].key.name == "linear" \
                and short_name(nodes[tail].label.split("\n")[0]) not in LAYER_WEIGHTS:  # (a layer's, above the first)
            heads.setdefault(tail, set()).add(head)
    weight = next(iter(heads)) if len(heads) == 1 else None  # two (a linear layer after another): which is it?
    # tied (head.weight = embedding.weight): the one table the ids index and the head multiplies, where no other
    # table is the embedding — one tensor in two roles, named by both
    tied = weight is not None and not embeddings and {op for op, _ in readers[weight]} == {"linear", "embedding"}
    if weight is not None and readers[weight] != {("linear", 1)} and not tied:
        weight = None  # read elsewhere too (tied to something): not the output layer's alone
    biases = [tail for tail, head, _, position in links if weight is not None and position == 2 and
              head in heads[weight] and readers.get(tail) == {("linear", 2)}]
    for parameter, role in ((weight, TIED if tied else "head.weight"), (biases[0] if biases else None, "head.bias")):
        if parameter in module_parameters:  # (one the user named, W_hy, keeps its name)
            roles[nodes[parameter].key] = role
    return roles


def _source_and_target(nodes: list[Node], read_by: dict[int, set[int]], embeddings: list[int]) -> dict[Any, str]:
    """{key: "source_embedding.weight" / "target_embedding.weight"} where of two embedding tables one feeds only
    chains that start the timeline (an encoder) and the other only chains started after another (a decoder,
    ``Chain.after``); {} where either feeds both or neither (whose would it be?). ``read_by``: what reads each
    node, not through a choice."""
    found: dict[str, Any] = {}
    for table in embeddings:
        starts = {chain.after > 0 for chain in chains_reading(nodes, read_by, table)}
        if len(starts) == 1:
            found["target_embedding.weight" if starts.pop() else "source_embedding.weight"] = nodes[table].key
    return {key: role for role, key in found.items()} if len(found) == 2 else {}


def _after_the_recurrence(nodes: list[Node], read_by: dict[int, set[int]]) -> set[int]:
    """The ops computed from a recurrent layer's (or cell's) states: reached from its steps' ops along what reads
    them (``read_by``, not through a choice). A loop whose steps the user scoped (t=1, t=2) records no layer's
    chain: its steps are then the ops that read a recurrent weight (W_hh, W_ih), and what is computed from them."""
    steps = [p for p, node in enumerate(nodes) if node.chain is not None]
    if not steps:  # (its head is named W_hy, b_y as the same loop's cell level names it)
        steps = [op for p, node in enumerate(nodes) if node.kind == "parameter"
                 and short_name(node.label.split("\n")[0]) in LAYER_WEIGHTS for op in read_by.get(p, ())]
    return set(cone(steps, read_by, lambda p: True)) - set(steps)


# --- chains: one module's layer in one direction ------------------------------------------------

def chain_of(node: Node) -> tuple[str, int | None, str | None] | None:
    """(module, layer, direction) of a node inside a recurrent layer's steps, from the chain its ops
    recorded (every call of a layer shares its weights, so calls are not told apart here); a loop
    written by hand: (its scope, None, None); None outside any step."""
    if node.chain is not None:  # the module as its row names it ("RNN 2" where two go by one name)
        row = node.row[1:] if node.row[:1] == (BACKWARD_ROW,) else node.row
        return row[0], node.chain.layer, node.chain.direction
    row = node.row[1:] if node.row[:1] == (BACKWARD_ROW,) else node.row
    if not row or row[:1] == (PER_STEP,):
        return None
    return row[0], None, None


def chains_in(nodes: list[Node]) -> set:
    """The chains the nodes belong to: one per module, layer and direction drawn."""
    return {c for n in nodes if (c := chain_of(n)) is not None}


def chain_marks(chains: set, letters: int = 1) -> dict[Any, str]:
    """The mark of each chain: its module (the start of its name: e for the encoder, d for the decoder),
    its layer counted from 1, its direction (→, ←) — only what tells the figure's chains apart; ""
    where there is one chain. ``letters``: the fewest of a module's mark (:attr:`Notation.module_letters`).

    >>> marks = chain_marks({("encoder", 0, "forward"), ("decoder", 0, "forward")})
    >>> marks[("encoder", 0, "forward")], marks[("decoder", 0, "forward")]
    ('e', 'd')
    """
    modules = {c[0] for c in chains}
    # (a node of a layer's row that records no chain — a gradient graph's Σ — is (module, None, None): no layer
    # of its own, so not a second one; counted, it marked a one-layer GRU's W_hh⁽¹→⁾ beside W_hh, two names)
    layers = {c[1] for c in chains if c[1] is not None}
    directions = {c[2] for c in chains if c[2] is not None}
    by_module = module_marks(modules, letters)
    marks = {}
    for module, layer, direction in chains:
        mark = by_module[module] if len(modules) > 1 else ""
        mark += str(layer + 1) if len(layers) > 1 and layer is not None else ""
        mark += {"forward": "→", "reverse": "←"}.get(direction, "") if len(directions) > 1 else ""
        marks[(module, layer, direction)] = mark
    return marks


def module_marks(modules: set[str], letters: int = 1) -> dict[str, str]:
    """Each module by the shortest start of its name, of at least ``letters`` letters, that tells it from the others:
    encoder, decoder → e, d (enc, dec with ``letters=3``, :attr:`Notation.module_letters`); two modules of one name,
    numbered by the drawing (RNN 1, RNN 2), by a letter for their number: a, b (a digit would read as a layer).

    >>> sorted(module_marks({"encoder", "decoder"}).values()), sorted(module_marks({"RNN 1", "RNN 2"}, 3).values())
    (['d', 'e'], ['a', 'b'])
    """
    numbers = {module: module.rpartition(" ")[2] for module in modules}
    if len(modules) > 1 and all(number.isdigit() and 0 < int(number) <= 8 for number in numbers.values()) and \
            len({module.rpartition(" ")[0] for module in modules}) == 1:
        return {module: "abcdefgh"[int(number) - 1] for module, number in numbers.items()}
    length = next((k for k in range(letters, 40) if len({m[:k].lower() for m in modules}) == len(modules)), 40)
    return {module: module[:length].lower() for module in modules}


def chain_mark(mark: str) -> str:
    """"2" → ⁽²⁾, "e" → ⁽ᵉ⁾, "1→" → ⁽¹→⁾ (an arrow has no superscript form)."""
    return f"({mark})".translate(TO_SUPERSCRIPT) if mark else ""


def shared_note(owner_marks: set[str]) -> str:
    """What "the same at every step" means where the chains have marks."""
    if not any(owner_marks):
        return ""
    kinds = []
    if any(any(ch.isdigit() for ch in mark) for mark in owner_marks):
        kinds.append("layer")
    if any(ch in mark for mark in owner_marks for ch in "→←"):
        kinds.append("direction")
    if any(any(ch.isalpha() for ch in mark) for mark in owner_marks):
        kinds.append("module")
    return " of its " + " and ".join(kinds)


# --- parameters: named by identity ----------------------------------------------------------------

def name_parameters(nodes: list[Node], edges, notation: Notation,
                    roles: dict[Any, str] | None = None) -> dict[int, tuple[str, str]]:
    """For each parameter node: (its library name, the name the figure writes). A parameter read by
    one chain carries that chain's mark; one read in several places (tied embeddings, one encoder
    for two sentences) is one tensor and carries one name, unmarked. ``roles``: a model's embedding and
    head by what they do (:func:`parameter_roles`), written as the notation writes the library's own."""
    roles = roles or {}
    marks = chain_marks(chains_in(nodes), notation.module_letters)
    notation = notation.for_drawing(nodes)
    readers: dict[int, set] = {}
    for tail, head, _ in edges:
        if nodes[tail].kind == "parameter":
            readers.setdefault(tail, set()).add(chain_of(nodes[head]))
    names = {}
    for position, node in enumerate(nodes):
        if node.kind != "parameter":
            continue
        short = short_name(node.label.split("\n")[0])
        chains = readers.get(position, set())
        (chain,) = chains if len(chains) == 1 else (None,)
        drawn = notation.symbol(short)
        if drawn == short and node.key in roles:  # fc.weight: the head's U, where the notation names the head
            # where it does not, the library's name for it (W_hy, b_y, E), as its own model's figure writes them:
            # out.weight beside W_hh says what the code calls it, not what it does
            drawn = role_symbol(roles[node.key], notation)
        names[position] = (short, drawn + chain_mark(marks.get(chain, "")))
    return _bias_parts(_told_apart(names, nodes, edges), edges)


def drawn_cell(nodes: list[Node]) -> str:
    """"gru" where the nodes read a GRU's recurrent weight (weight_hh: three gates' rows, 3H × H), else "" —
    a GRU's figure keeps its two biases apart (:meth:`Notation.for_cell`). An LSTM's is 4H × H, or 4H × P
    with a projection (P < H); an RNN's H × H."""
    for node in nodes:  # a parameter, or its gradient drawn as an output (∂J/∂weight_hh_l0: the same shape)
        name = node.label.split("\n")[0].removeprefix("∂J/∂")
        if node.kind in ("parameter", "output") and node.tensors and short_name(name) == "W_hh":
            shape = tuple(node.tensors[0].shape)
            if len(shape) == 2 and shape[0] == 3 * shape[1]:
                return "gru"
    return ""


def _bias_parts(names: dict[int, tuple[str, str]], edges) -> dict[int, tuple[str, str]]:
    """The lecture's one b₁ for a layer's b_ih and b_hh, read by two different nodes (an LSTM cell at
    op level: a linear of W_e, one of W_h): two tensors that are each a part of b₁, written b₁′
    (b_ih) and b₁″ (b_hh), so that no label says b₁ where only a part of it is added."""
    readers: dict[int, set] = {}
    for tail, head, _ in edges:
        readers.setdefault(tail, set()).add(head)
    for ih, (short, drawn) in names.items():
        hh = next((p for p, pair in names.items() if short == "b_ih" and pair == ("b_hh", drawn)), None)
        if hh is not None and readers.get(ih) != readers.get(hh):
            names[ih], names[hh] = (short, drawn + BIAS_PARTS[0]), ("b_hh", drawn + BIAS_PARTS[1])
    return names


def _told_apart(names: dict[int, tuple[str, str]], nodes: list[Node], edges) -> dict[int, tuple[str, str]]:
    """Two tensors that go by one name in the library — the ``weight`` of an embedding and of a
    linear layer made outside any parent module — are written with the op that reads each
    (embedding.weight, linear.weight), then numbered, so that no name stands for two tensors. (A
    lecture's one b₁ for b_ih and b_hh is meant: their library names differ, and a note says so.)"""
    reader: dict[int, str] = {}
    for tail, head, _ in edges:
        if tail in names and tail not in reader:
            reader[tail] = _op_word(nodes[head])
    alike: dict[tuple[str, str], list[int]] = {}
    for position, (short, drawn) in names.items():
        alike.setdefault((short, drawn), []).append(position)
    result = dict(names)
    for (short, drawn), positions in alike.items():
        if len(positions) < 2:
            continue
        owners = [owner_of(nodes[p].label.split("\n")[0]) for p in positions]  # a layer's own: weight_ih_l0_reverse
        if None not in owners and len(set(owners)) == len(owners):  # (a step node reads both directions)
            marks = chain_marks(set(owners))
            for position, owner in zip(positions, owners):
                result[position] = (short, drawn + chain_mark(marks[owner]))
            continue
        written = [f"{reader.get(p, 'parameter')}.{drawn}" for p in positions]
        for position, name in zip(positions, written):
            count = written.count(name)
            result[position] = (short, name if count == 1 else
                                f"{name}{chain_mark(str(written[: positions.index(position) + 1].count(name)))}")
    return result


def owner_of(name: str) -> tuple[str, int, str] | None:
    """(module, layer, direction) of a recurrent layer's parameter, by PyTorch's names for them; None for any
    other name. The one reader of those names (a figure's marks, its footnote, the order a step lists them in).

    >>> owner_of("encoder.weight_hh_l1_reverse"), owner_of("bias_ih_l0"), owner_of("head.weight")
    (('encoder', 1, 'reverse'), ('', 0, 'forward'), None)
    """
    found = re.fullmatch(r"(?:(.*)\.)?(?:weight|bias)_\w\w_l(\d+)(_reverse)?", name)
    if found is None:
        return None
    return found.group(1) or "", int(found.group(2)), "reverse" if found.group(3) else "forward"


def _op_word(node: Node) -> str:
    """The op a node stands for, in one word: embedding (of "e₁ = embedding"), linear, RNN (of "RNN cell")."""
    first = node.label.split("\n")[0].split(" = ")[-1]
    return first.split()[0] if first else node.kind


EVERY_STEP = "each is one tensor, the same at every step"  # the footnote on a recurrence's shared weights


def parameter_notes(nodes: list[Node], edges, names: dict[int, tuple[str, str]], notation: Notation) -> list[str]:
    """The footnote: what each name is the same over, which tensors appear in several places, and
    the lecture's one bias where the layer has two."""
    if not names:
        return []
    # the marks of the chains drawn, and of the weights' own layers: a step node draws both layers in one
    # node (no chain of either), and its note named only "W_hh⁽²⁾, …" as if W_hh⁽¹⁾ were not shared
    owners = {owner for p in names if (owner := owner_of(nodes[p].label.split("\n")[0])) is not None}
    drawn_marks = set(chain_marks(chains_in(nodes), notation.module_letters).values()) | \
        set(chain_marks(owners, notation.module_letters).values())
    notation = notation.for_drawing(nodes)
    if any(short in LAYER_WEIGHTS for short, _ in names.values()):  # W_hh⁽¹⁾, W_hh⁽²⁾, b_hh⁽¹⁾: layer 1 first
        ordered = sorted(drawn_marks or {""}, key=lambda mark: mark.replace("→", "0").replace("←", "1"))
        wanted = [notation.symbol(name) + chain_mark(mark) for name in ("W_hh", "b_hh") for mark in ordered]
        # as drawn: b₁′ and b₁″ where the figure draws the lecture's b₁ as its two tensors ("b₁ …: each is one
        # tensor" stood above "b₁ = b₁′ + b₁″, two tensors"), and no b_hh where the model has none
        drawn = {shown for short, shown in names.values() if short in ("W_hh", "b_hh", "b_ih")}
        recurrent = [name for want in wanted for name in (want, *(want + part for part in BIAS_PARTS))
                     if name in drawn] or [next(iter(names.values()))[1]]
    else:
        recurrent = [next(iter(names.values()))[1]]
    recurrent = list(dict.fromkeys(recurrent))
    calls = any(n.row[1:2] == ("call 2",) for n in nodes)  # a module run on two sequences (chain_rows)
    # a model without steps (the fixed-window one) or with one (a cell alone): nothing the same at every step
    stepped = len(steps_in_time(nodes, edges)) > 1  # (in time: an encoder's steps, then its decoder's)
    notes = [f"{', '.join(recurrent[:4])}, …: {EVERY_STEP}"
             + (" of every call" if calls else "") + shared_note(drawn_marks)] if stepped else []
    rows: dict[int, set] = {}
    for tail, head, _ in edges:  # where a tensor is drawn: its layers, directions, modules — not its calls
        if tail in names:
            rows.setdefault(tail, set()).add(chain_of(nodes[head]) or nodes[head].row[:3])
    read_as: dict[int, set[str]] = {}  # each parameter → the ops that read it, in one word
    for tail, head, _ in edges:
        if tail in names:
            read_as.setdefault(tail, set()).add(_op_word(nodes[head]))
    notes += [tied_note(names[p][1], notation) if is_tied(read_as[p]) else
              f"{names[p][1]}: one tensor, the same in every place it is drawn" for p, found in rows.items()
              if len(found) > 1]
    return notes


def tied_note(name: str, notation: Notation) -> str:
    """The footnote on a tied table named ``name``: the head's weight is the embedding's table, as the notation
    writes the pair (:func:`tied_head`); a table the user named otherwise keeps its name."""
    if name != notation.symbol("E"):
        return f"{name}: one tensor (tied: the embedding's table and the head's weight), the same in every place"
    if PRESETS.get(notation.preset, {}).get("words_as_columns"):
        return (f"{tied_head(notation)} (tied): one tensor — {name} (d × |V|) is the embedding's table, the head "
                "reads it transposed")
    return f"{tied_head(notation)} (tied): one tensor, the embedding's table and the head's weight (V × H)"


# the tensor a gradient is of, in an output's label: a BPTT figure's Σ names each weight so (Σₜ ∂J/∂b_ih|₍ₜ₎), and a
# GRU's are already b_ih and b_hh there, never the lecture's one b of an RNN's two
GRADIENT_OF = re.compile(r"∂J/∂([^\s|]+)")


def write_tied_uses(picture: Picture, notation: Notation) -> None:
    """A tied table (head.weight = embedding.weight) is one tensor, named E: a forward figure's head boxes write it
    as the head reads it, W_hy = E (U = Eᵀ in CS224N's names: :func:`tied_head`), its embedding boxes E; a BPTT
    figure's Σ of it, fed by both rows, is Σₜ ∂J/∂E|₍ₜ₎, and a note says that it adds the terms of both uses. (A name
    the user gave the table stays in every box.)"""
    table = notation.symbol("E")
    read_as: dict[str, set[str]] = {}
    for node in picture.nodes:
        for name in node.parameters:
            read_as.setdefault(name, set()).add(_op_word(node))
    if table in read_as and is_tied(read_as[table]):
        for node in picture.nodes:
            if _op_word(node) == "linear":
                node.parameters = [tied_head(notation) if name == table else name for name in node.parameters]
    feeding: dict[int, set[str]] = {}
    for tail, head, _ in picture.edges:
        if picture.nodes[head].kind == "output" and "Σ" in picture.nodes[head].label:
            feeding.setdefault(head, set()).add(_op_word(picture.nodes[tail]).rstrip(","))
    for head, readers in feeding.items():
        if is_tied(readers) and f"∂J/∂{table}|" in picture.nodes[head].label:
            picture.notes.append(f"{table}, tied ({tied_head(notation)}): its Σ adds both uses' terms at every step")


# --- values: h₃, J₃, x₃ in labels, renamed and marked ---------------------------------------------

# (a rolled loop's cₜ₊₁ is one step, its mark after it: cₜ₊₁⁽²⁾, never cₜ⁽²⁾₊₁)
TOKEN = re.compile(r"(?<![\w\u0302])([A-Za-zŷ\u0302]+)(_0|_T|[₀₁₂₃₄₅₆₇₈₉]+|ₜ(?:[₊₋][₀₁₂₃₄₅₆₇₈₉]+)?)?"
                   r"(?![\w\u0302₀₁₂₃₄₅₆₇₈₉])")


def name_values(picture: Picture, notation: Notation, parameters: set[str], show_parameters: bool,
                tokens: list[str] | None, targets: list[str] | None = None,
                known: LossTargets | None = None) -> None:
    """The last step of a drawing: check the names asked for, say once that the lecture's one bias
    is the layer's two, write the values (h₃⁽¹⁾, J⁽³⁾) in the notation, and the words by x_t and J_t
    (:func:`write_tokens`)."""
    check_asked(picture, notation, parameters)
    picture.notes += mark_notes(picture, notation)
    notation = notation.for_drawing(picture.nodes)
    name_gradients(picture, notation)
    if {"b_ih", "b_hh"} <= parameters and show_parameters:  # said once, under the figure, not drawn as two b₁
        drawn = [name for node in picture.nodes for name in node.parameters] + \
            [node.label.split("\n")[0] for node in picture.nodes if node.kind == "parameter"] + \
            [name for node in picture.nodes if node.kind == "output" for name in GRADIENT_OF.findall(node.label)]
        parts = any(name.endswith(BIAS_PARTS[1]) for name in drawn)
        if notation.merged_biases() and any(name.startswith(("b_ih", "b_hh")) for name in drawn):
            notation = notation.for_cell("gru")  # the lecture's one bias, kept apart (name_parameters): a GRU's
        picture.notes += notation.merged_biases(parts)
    write_tied_uses(picture, notation)
    rename_values(picture, notation)
    if tokens is not None:
        write_tokens(picture, list(tokens), None if targets is None else list(targets), known)
    elif targets is not None:
        raise ValueError("targets: what each J_t should predict is written beside the words it is for; pass "
                         "tokens=[...] too (the words of x_1 … x_T)")


def name_gradients(picture: Picture, notation: Notation) -> None:
    """A gradient graph's outputs named as its rules name the weights: ∂J/∂W_hh, not ∂J/∂weight_hh_l0 beside
    a rule that says W_hh (one name per thing in a figure); marked with the layer and direction only where
    the figure has several (∂J/∂W_hh⁽²⁾)."""
    gradients = {}
    for position, node in enumerate(picture.nodes):
        first, _, rest = node.label.partition("\n")
        if node.kind == "output" and first.startswith("∂J/∂") and owner_of(first[len("∂J/∂"):]) is not None:
            gradients[position] = (first[len("∂J/∂"):], rest)
    marks = chain_marks({owner_of(name) for name, _ in gradients.values()}, notation.module_letters)
    loss = notation.symbol("J")
    for position, (name, rest) in gradients.items():
        written = notation.symbol(short_name(name)) + chain_mark(marks[owner_of(name)])
        picture.nodes[position].label = f"∂{loss}/∂{written}" + ("\n" + rest if rest else "")


def mark_notes(picture: Picture, notation: Notation) -> list[str]:
    """What the marks mean, said once in words: which index is the layer and which the step
    (h₃⁽²⁾, or CS224N's h₂⁽³⁾), and whose each module's mark is (⁽ᵉ⁾: encoder, ⁽ᵈ⁾: decoder; CS224N's enc, dec)."""
    notes = []
    marks = chain_marks(chains_in(picture.nodes), notation.module_letters)
    layered = sorted(mark for mark in marks.values() if mark[-1:].isdigit())
    if layered:
        layer = re.search(r"\d+$", layered[-1]).group()
        # the example is a step the figure draws in that layer (step 3 where it does; a 2-step figure has none)
        drawn = sorted({node.step for node in picture.nodes if node.step is not None and node.kind != "ellipsis"
                        and marks.get(chain_of(node)) == layered[-1]})
        step = "t" if any(node.loops for node in picture.nodes) or not drawn else str(
            max([s for s in drawn if s <= 3] or drawn[:1]))  # a rolled figure has no step 3: it writes t
        notes.append(f"{notation.at_step('h', step, layered[-1])}: the state h of layer {layer} at step {step}")
    first_step: dict[str, int] = {}
    for node in picture.nodes:
        if (chain := chain_of(node)) is not None and node.step is not None:  # in time: a decoder's after its encoder's
            when = node.step + (node.chain.after if node.chain is not None else node.after or 0)
            first_step[chain[0]] = min(first_step.get(chain[0], when), when)
    if len(first_step) > 1:  # in the order of time: the encoder's first
        marks = module_marks(set(first_step), notation.module_letters)
        written = (lambda mark: mark) if notation.time == "superscript" else chain_mark  # h_enc⁽¹⁾ or h₁⁽ᵉⁿᶜ⁾
        notes.append(", ".join(f"{written(marks[module])}: {module}"
                               for module in sorted(first_step, key=lambda module: (first_step[module], module))))
    return notes


CHAIN_RULE = re.compile(r"\(∂(.+?)/∂(.+?)\)ᵀ ∂J/∂\1")  # a BPTT arrow's part of a gradient (gradient_labels.py)


def rename_values(picture: Picture, notation: Notation) -> None:
    """Write the values a picture names (h₃ on an edge, J₃ and e₃ in nodes, x_t below) in the
    notation, each state marked with the chain that computes it. Parameters are named by
    :func:`name_parameters` before; the words here are the values' only."""
    marks = chain_marks(chains_in(picture.nodes), notation.module_letters)
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
            return notation.at_step(base, step.lstrip("_").translate(FROM_SUBSCRIPT) if step else None, own)
        return TOKEN.sub(one, text)

    for node in picture.nodes:
        chain = chain_of(node)
        first, _, rest = node.label.partition("\n")
        if node.kind == "input" and chain is None and first.startswith(("h_0", "c_0")):
            chain = _reader_chain(picture, node)
        if "∂" in rest:  # a Σ node's every line names gradients: ∂J/∂W_hh = Σₜ ∂J/∂W_hh|₍ₜ₎ (J is L in one lecture)
            rest = "\n".join(write(line, chain) for line in rest.split("\n"))
        node.label = write(first, chain, _reader_chain(picture, node)) + ("\n" + rest if rest else "")
    backward = picture.backward
    if backward and several_modules:
        _mark_steps_by_reader(picture, marks)
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
    picture.notes = [write(note, None) if note.startswith((SUM_NOTE, SCORES_NOTE)) else note for note in picture.notes]
    mark_calls(picture, notation)


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
        return TOKEN.sub(lambda m: m.group(1) + "′" * (count - 1) + (m.group(2) or "")
                         if m.group(1) in symbols else m.group(0), text)

    for node, count in zip(picture.nodes, calls):
        first, _, rest = node.label.partition("\n")
        node.label = primed(first, count) + ("\n" + rest if rest else "")
    relabel_edges(picture, [(tail, head, primed(label, calls[tail] or calls[head]))
                            for tail, head, label in picture.edges])


def _chain_beside(picture: Picture, node: Node, other: Node, label: str):
    """The chain whose value ``label`` names on an edge between ``node`` (that computes it) and ``other``: ``node``'s
    own; where ``node`` is a "…" of steps left out, the chain with that step among them — the other end's where
    several have it (h₃ out of "…" into the forward cell 4 of a bidirectional layer is h₃⁽→⁾, the h₂ into its
    reverse cell 1 is h₂⁽←⁾: written bare, h₂ and h₃ said neither), the encoder's h₃ into its decoder's cell 1."""
    if node.kind != "ellipsis":
        return chain_of(node)
    key, step = node.key, re.search(r"[₀-₉]+", label)
    while key[0] != "ellipsis":  # ("backward", ("ellipsis", side, steps)) in the views built on the forward one
        key = key[1]
    if step is None:
        return None
    starts = {chain_of(n): n.chain.after for n in picture.nodes if n.chain is not None}
    among = [chain for chain, after in starts.items() if int(step.group().translate(FROM_SUBSCRIPT)) + after in key[2]]
    return chain_of(other) if chain_of(other) in among else among[0] if len(among) == 1 else None


def _mark_steps_by_reader(picture: Picture, marks: dict) -> None:
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
            node.label = op.group() + chain_mark(marks.get(readers.pop(), "")) + first[op.end():] + newline + rest


def _reader_chain(picture: Picture, node: Node):
    """The one chain that reads ``node``'s value (None: none, or several). Gradients drawn beside the values do not
    read it (a forward-and-backward figure's embedding also hands its Σ ∂J/∂E_x its terms)."""
    position = picture.nodes.index(node)
    chains = {chain_of(picture.nodes[h]) for t, h, label in picture.edges
              if t == position and (t, h, label) not in picture.gradients}
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


# --- words: the tokens under x_t and the targets by J_t ---------------------------------------------

def write_tokens(picture: Picture, tokens: list[str], targets: list[str] | None = None,
                 known: LossTargets | None = None) -> None:
    """``tokens``: the words of x_1 … x_T (and x_{T+1}, the last target), written under each x_t (by each
    embedding step in a classifier's BPTT figure, which draws no x_t and no J_t) and, as the word it should
    predict, by each J_t — where ``known``, the graph's targets (:func:`.loss_targets.loss_targets`), are the next
    words; else J_t's target id. ``targets``: what each J_t should predict, written as given (a tagger's tags)."""
    at = in_time(picture.nodes, picture.edges)  # in time: a decoder's y₀ after its encoder's x_S
    inputs = {at[i]: n for i, n in enumerate(picture.nodes) if n.kind == "input" and n.step is not None}
    losses = {at[i]: n for i, n in enumerate(picture.nodes) if n.kind == "group" and n.step is not None
              and n.row[:1] == (PER_STEP,)  # J₃ = cross_entropy; in a BPTT figure, cross_entropy, backward
              and n.label.split("\n")[0].split(" = ")[-1].split(",")[0] in ("cross_entropy", "nll_loss")}
    lookups = {at[i]: n for i, n in enumerate(picture.nodes) if n.step is not None and n.kind in ("group", "op")
               and n.row[:1] == (PER_STEP,) and n.label.split("\n")[0].split(" = ")[-1].startswith("embedding")}
    # a classifier's BPTT figure stops at e_t and draws one J: the words by the lookups of their x_t
    by_lookups = not inputs and not losses
    steps = sorted(set(inputs) | set(losses) | (set(lookups) if by_lookups else set()))
    if not steps:
        raise ValueError("tokens: this figure draws no x_t, no embedding step and no J_t to write words by"
                         + ("" if picture.backward else "; draw it unrolled, at level='cell' or 'step'"))
    count = len(steps)
    if len(tokens) not in (count, count + 1):
        raise ValueError(f"tokens: the figure has {count} steps (t={steps[0]}…{steps[-1]}); pass {count} words "
                         f"(one per x_t) or {count + 1} (the last is the target of J_{steps[-1]}), got "
                         f"{len(tokens)}: {tokens!r}")
    if targets is not None and len(targets) != count:
        raise ValueError(f"targets: the figure has {count} steps (t={steps[0]}…{steps[-1]}); pass {count} targets "
                         f"(one per J_t), got {len(targets)}: {targets!r}")
    # the J_t that tokens= alone gives a word to: each but a last one without x_{T+1}
    worded = [step for k, step in enumerate(steps) if step in losses and k + 1 < len(tokens)]
    ids = _target_ids(known, [step for step in steps if step in losses], targets is not None or not worded, picture)
    for k, step in enumerate(steps):
        if step in inputs:
            inputs[step].label += f'\n"{tokens[k]}"'
        elif by_lookups and step in lookups:
            lookups[step].label += f'\n"{tokens[k]}"'
        if step not in losses:
            continue
        if targets is not None:
            losses[step].label += f'\ntarget "{targets[k]}"'
        elif k + 1 < len(tokens) and ids is None:  # a language model's: the next word
            losses[step].label += f'\ntarget "{tokens[k + 1]}"'
        elif ids:  # not the next word: the id the cross-entropy wants (J_T's too)
            losses[step].label += f"\ntarget id {ids[step]}"


def _target_ids(known: LossTargets | None, steps: list[int], no_words: bool, picture: Picture
                ) -> dict[int, int] | None:
    """None where J_t's target may be written as the next word (the graph's targets are the next inputs' ids, a
    language model's), or none is to be (``no_words``: ``targets=`` names them, or no J_t has a next word); else
    {step: the target id} of each J_t drawn ({} where the figure cannot pair them: some steps left out), with a
    warning that says how to write words there."""
    if no_words or (known is not None and known.next_words):
        return None
    if known is None:
        warnings.warn("tokens: this figure cannot tell what each J_t predicts (no cross_entropy over one sequence's "
                      "steps with an embedding of its ids), so it writes no target; pass targets=[...] to write them",
                      stacklevel=2)
        return {}
    whole = len(known.ids) == len(steps) and not any(node.kind == "ellipsis" for node in picture.nodes)
    warnings.warn(f"tokens: J_t's targets are not the next words (the cross-entropy's target ids are "
                  f"{', '.join(map(str, known.ids))}), so each J_t is labelled with its target id; pass "
                  "targets=[...] (what each J_t predicts, e.g. a tagger's tags) to write words there", stacklevel=2)
    return dict(zip(steps, known.ids)) if whole else {}
