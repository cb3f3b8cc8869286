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

This module holds the first: :class:`Notation`, its presets, and the library's short names (W_hh, E, W_hy). Its
neighbours hold the rest: :mod:`.chains` (the chains and their marks), :mod:`.parameter_roles` (a model's embedding
and head found by what they do; a tied table), :mod:`.parameter_names` (each parameter's name in a figure and the
footnotes on them), :mod:`.value_names` (h₃, J₃ in the labels: the last step of a drawing) and :mod:`.words` (the
tokens under x_t, the targets by J_t).

>>> notation = resolve("cs224n")
>>> notation.symbol("W_hh"), notation.at_step("h", "3", mark="2"), resolve("pytorch").at_step("h", "3", mark="2")
('W_h', 'h^[2]⁽³⁾', 'h₃⁽²⁾')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from .chains import chain_mark
from .picture import Node
from .scripts import TO_SUBSCRIPT, TO_SUPERSCRIPT

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
# A cell's kind (analysis.Recurrence.kind) as the lecture names it: the one map the page, the deck and the command read
CELL_NAMES = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
BIASES = ("b_ih", "b_hh")  # a layer's two, in the order of their parts' marks: b₁′ is bias_ih, b₁″ bias_hh
LOSS_LETTER = re.compile(r"(?<![A-Za-z])J(?![A-Za-z])")  # J, ∂J/∂h_t, J_t; not Jacobian

PRESETS: dict[str, dict[str, Any]] = {
    # name → (library name → the lecture's; where the time step goes)
    "pytorch": {"names": {}, "time": "subscript"},
    # CS224N's E is d × |V| (e⁽ᵗ⁾ = E x⁽ᵗ⁾ picks a word's column) and its U |V| × d: tied, U = Eᵀ. PyTorch stores
    # both tables |V| × H (a word's row), as the other presets keep them: tied, W_hy = E (tied_head)
    "cs224n": {"names": {"E": "E", "W_ih": "W_e", "W_hh": "W_h", "b_ih": "b₁", "b_hh": "b₁", "W_hy": "U", "b_y": "b₂"},
               "time": "superscript", "words_as_columns": True, "lecture": "CS224N",
               "input_weight_reads": "e⁽ᵗ⁾"},  # (W_e: named by what layer 1 reads; a note says what layer 2's reads)
    # CMU's recurrence has no bias, h_t = tanh(W_hh h_{t−1} + W_xh x_t), and CMU writes no LSTM or GRU: the model's
    # two biases are named b_h, and said so in a sentence of its own; then the cell's equation as this model computes
    # it, its bias in it (an LSTM's gates read W_hh h_{t−1} + W_xh x_t + b_h, not the tanh RNN's h_t)
    "cmu": {"names": {"W_ih": "W_xh", "W_hh": "W_hh", "b_ih": "b_h", "b_hh": "b_h", "W_hy": "W_hy", "b_y": "b_y",
                      "J": "L"}, "time": "subscript", "lecture": "CMU",
            "no_bias": {"": "h_t = tanh(W_hh h_{t−1} + W_xh x_t + b_h)",
                        "lstm": "i, f, g, o = σ, σ, tanh, σ of (W_hh h_{t−1} + W_xh x_t + b_h)",
                        "gru": "r, z and n read W_xh x_t + b_h′ and W_hh h_{t−1} + b_h″"}},
    # USC writes a GRU's gates with W and U: z_t = σ(W⁽ᶻ⁾ x_t + U⁽ᶻ⁾ h_{t−1}) (its own names for a GRU's weights)
    "usc": {"names": {"W_ih": "W_x", "W_hh": "W_h", "b_ih": "b", "b_hh": "b"}, "time": "subscript", "lecture": "USC",
            "gru": {"W_ih": "W", "W_hh": "U"}, "gru_gate": "z = σ(W x_t + U h_{t−1})"},
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
    cells: tuple[str, ...] = ()  # a drawing's cells where it has several kinds (a GRU beside an RNN): :meth:`for_cells`

    @property
    def module_letters(self) -> int:
        """The fewest letters of a module's mark: with the time above, its word, raised in brackets as a layer's
        mark is and on the weights alike (h^[enc]⁽¹⁾ beside W_h^[enc], not h^[e]⁽¹⁾: e is CS224N's embedding); else
        one (h₁⁽ᵉ⁾).

        >>> resolve("cs224n").at_step("h", "1", "enc"), resolve("pytorch").at_step("h", "1", "e")
        ('h^[enc]⁽¹⁾', 'h₁⁽ᵉ⁾')
        """
        return 3 if self.time == "superscript" else 1

    @property
    def words_as_columns(self) -> bool:
        """Whether the lecture's embedding table E holds a word's vector in a column (CS224N's E is d × |V|:
        e⁽ᵗ⁾ = E x⁽ᵗ⁾, x⁽ᵗ⁾ one-hot), not in a row as PyTorch's (|V| × d: e_t = E[x_t], the row x_t picks).

        >>> resolve("cs224n").words_as_columns, resolve(None).words_as_columns
        (True, False)
        """
        return bool(PRESETS.get(self.preset, {}).get("words_as_columns"))

    @property
    def reads_embedding(self) -> bool:
        """Whether the lecture's input weight multiplies an embedding (CS224N's W_e e⁽ᵗ⁾, e⁽ᵗ⁾ = E x⁽ᵗ⁾), not x_t
        itself: a layer drawn alone, reading x_t, then needs :meth:`input_stands_for` (a user's W_ih: theirs).

        >>> resolve("cs224n").reads_embedding, resolve("usc").reads_embedding, resolve("cs224n").renamed(
        ...     {"W_ih": "W_x"}).reads_embedding
        (True, False, False)
        """
        return bool(PRESETS.get(self.preset, {}).get("input_weight_reads")) and "W_ih" not in self.asked

    def input_stands_for(self) -> str:
        """What a figure or slide says where it draws the lecture's input weight applied to a layer's input x_t
        itself (a layer drawn alone, without its embedding) while the lecture's multiplies an embedding
        (:attr:`reads_embedding`): what x_t stands for there; "" in a lecture whose input weight reads x_t.

        >>> resolve("cs224n").input_stands_for(), resolve(None).input_stands_for()
        ('The layer is drawn alone: its input x⁽ᵗ⁾ stands for the embedding e⁽ᵗ⁾', '')
        """
        if not self.reads_embedding:
            return ""
        # (no weight named, nor E: a figure marks its every W_e, W_e^[1→], and draws no E beside a layer alone)
        return f"The layer is drawn alone: its input {self.at_step('x', 't')} stands for the embedding " \
               f"{self.at_step('e', 't')}"

    def renamed(self, names: dict[str, str]) -> Notation:
        """This notation with a user's own renamings on top (``--name W_hy=U``)."""
        return replace(self, names={**self.names, **names}, asked=self.asked | frozenset(names))

    def for_cell(self, cell: str) -> Notation:
        """The notation for a layer of ``cell`` ("rnn", "lstm", "gru"). A GRU keeps PyTorch's two biases
        apart: its candidate adds b_hn inside the reset gate, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
        so no one bias is the sum of bias_ih and bias_hh (only their r and z rows would add up) — where a
        lecture writes one b for an RNN's two, a GRU's figure writes them as the two parts its RNN's and LSTM's
        figures draw, b′ (bias_ih) and b″ (bias_hh), never PyTorch's b_ih and b_hh, which the lecture never
        defines. A preset's own names for a GRU's weights apply too (USC's W and U); a name the user asked
        for stays. An LSTM keeps its names; its cell is recorded for the footnote's equation (:meth:`merged_biases`).

        >>> usc = resolve("usc").for_cell("gru")
        >>> usc.symbol("W_ih"), usc.symbol("W_hh"), usc.symbol("b_ih"), usc.symbol("b_hh")
        ('W', 'U', 'b′', 'b″')
        >>> resolve("usc").for_cell("lstm").symbol("b_hh"), resolve("pytorch").for_cell("gru").symbol("b_hh")
        ('b', 'b_hh')
        """
        if cell not in ("gru", "lstm") or (self.cell == cell and not self.cells):
            return self
        if cell == "lstm":
            return replace(self, cell=cell, cells=())
        names = dict(self.names)
        names.update({k: v for k, v in PRESETS.get(self.preset, {}).get("gru", {}).items() if k not in self.asked})
        gru = replace(self, names=names, cell="gru", cells=())
        parts = {name: gru.bias_part(name) for name in BIASES if name in names and name not in self.asked}
        return replace(gru, names={**names, **parts})

    def bias_part(self, name: str, mark: str = "") -> str:
        """The symbol of one of a layer's two biases, b_ih or b_hh, as one tensor: where the notation writes one b for
        both (the lecture's one bias), its part, b′ (bias_ih) or b″ (bias_hh), b = b′ + b″ — no name for two tensors;
        else its own symbol. What a GRU's names (:meth:`for_cell`), its candidate's equation, the clipping table's
        rows, the page's per-step terms and a figure's parts and gradients write for each. ``mark``: its chain's
        (:meth:`marked`), after the part — the prime is the tensor's, the mark says whose: b_h′⁽ʳ⁾ beside a GRU's
        b_h′⁽ᵍ⁾, b₁′^[2], never b_h⁽ʳ⁾′.

        >>> resolve("cs224n").bias_part("b_ih"), resolve("cs224n").bias_part("b_hh"), resolve(None).bias_part("b_hh")
        ('b₁′', 'b₁″', 'b_hh')
        >>> resolve("elman").bias_part("b_ih", "r"), resolve("cs224n").bias_part("b_hh", "2")
        ('b_h′⁽ʳ⁾', 'b₁″^[2]')
        """
        symbol = self.symbol(name)
        if name in BIASES and self.symbol("b_ih") == self.symbol("b_hh"):
            symbol += BIAS_PARTS[BIASES.index(name)]
        return symbol + self.marked(mark)

    def for_cells(self, cells: set[str]) -> Notation:
        """The notation for a drawing of the layers of ``cells`` ("", "lstm", "gru": :func:`cells_of_weights`): one
        kind, :meth:`for_cell` of it; several (a GRU beside an RNN), this notation with the kinds recorded — each
        module's names are its own cell's, given per chain (:func:`.parameter_names.name_parameters`), and the
        footnotes say each kind's biases (:meth:`merged_biases`); never a GRU's biases written as an RNN's one b.

        >>> mixed = resolve("elman").for_cells({"gru", ""})
        >>> mixed.symbol("b_hh"), mixed.for_cell("gru").symbol("b_hh"), resolve("elman").for_cells({"gru"}).cells
        ('b_h', 'b_h″', ())
        """
        if len(cells) <= 1:
            return self.for_cell(next(iter(cells), ""))
        return replace(self, cell="", cells=tuple(sorted(cells)))

    def for_drawing(self, nodes: list[Node]) -> Notation:
        """The notation for the layers ``nodes`` draw: :meth:`for_cells` of the cells :func:`drawn_cells` finds.

        >>> import tinygrad_rnn as tr
        >>> gru = [Node(0, "parameter", "weight_hh_l0", tensors=[tr.zeros(9, 3)])]
        >>> resolve("usc").for_drawing(gru).symbol("W_hh"), resolve("usc").for_drawing([]).symbol("W_hh")
        ('U', 'W_h')
        """
        return self.for_cells(drawn_cells(nodes))

    def symbol(self, name: str, unmapped: str | None = None) -> str:
        """The lecture's symbol for one of the library's names (or a user's ``.name``, kept if unmapped; or
        ``unmapped`` where given)."""
        return self.names.get(name, self.names.get(library_name(name), name if unmapped is None else unmapped))

    def at_step(self, name: str, step: str | None, mark: str = "") -> str:
        """A value at a step ("3"; "t" any step, "T" the last, "0" the start), marked with its chain:
        h, "3" → h₃, and h⁽³⁾ with the time as a superscript; the mark after the subscript (h₃⁽²⁾)
        or, with the time above, in brackets before it (h^[2]⁽³⁾: :meth:`marked`)."""
        base = self.symbol(name)
        if step is None:
            return base + self.marked(mark)
        if self.time == "superscript":  # a module's word, a layer and a direction in brackets before the time
            # (h^[enc]⁽¹⁾, h^[2→]⁽³⁾), as the weights are marked (W_h^[enc]): one mark for whose, ⁽·⁾ the time alone
            return base + self.marked(mark) + f"({step})".translate(TO_SUPERSCRIPT)
        written = {"t": "ₜ", "T": "_T", "0": "_0"}.get(step, step.translate(TO_SUBSCRIPT))
        return base + written + self.marked(mark)

    def marked(self, mark: str) -> str:
        """A chain's mark as this notation writes it: ⁽²⁾, ⁽¹→⁾ (:func:`.chains.chain_mark`); where the time step is
        the parenthesised superscript (CS224N's h⁽ᵗ⁾), in square brackets, so that ⁽·⁾ means the time alone —
        W_h^[2], b₁^[2] (raised: :mod:`.scripts`), never b₁⁽²⁾, which reads as b₁ at step 2.

        >>> resolve("cs224n").marked("2"), resolve("pytorch").marked("2"), resolve("cs224n").marked("")
        ('^[2]', '⁽²⁾', '')
        """
        if self.time == "superscript" and mark:
            return f"^[{mark}]"
        return chain_mark(mark)

    def head_borrowed(self) -> str:
        """Where the lecture names no output layer (USC's writes a per-word softmax), what its figures and lines
        call it by: the library's W_hy and b_y, CMU's symbols, said to be borrowed; else "" (its own, a user's, or
        PyTorch's, whose names they are). Said wherever such a lecture writes them: a slide's line, a figure's
        labels, its key, its BPTT Σ (:func:`.parameter_names.borrowed_head_notes`).

        >>> resolve("usc").head_borrowed(), resolve("cmu").head_borrowed(), resolve("pytorch").head_borrowed()
        ("CMU's names: this lecture names none", '', '')
        """
        borrowed = self.preset != "pytorch" and "W_hy" not in self.asked and \
            "W_hy" not in PRESETS[self.preset]["names"]
        return "CMU's names: this lecture names none" if borrowed else ""

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

    def merged_biases(self, parts: bool = False, whose: str = "PyTorch's") -> list[str]:
        """The lecture's one bias where a layer has two: 'b₁ = bias_ih + bias_hh'; with ``parts``, the
        figure draws the two apart (b₁′, b₁″: :func:`.parameter_names._bias_parts`) and the note names each.
        A GRU's two are no parts of one bias (:meth:`for_cell`): the note says where b″ is added instead.

        >>> print(resolve("elman").for_cell("gru").merged_biases()[0].partition(" — ")[2])
        r multiplies [V h + b_h″]ₙ

        A drawing of several cells (:meth:`for_cells`) says each kind's: an RNN's sum and a GRU's two — the sum said of
        the RNN's layer (``whose``), not of every layer the figure draws.

        >>> for note in resolve("elman").for_cells({"gru", ""}).merged_biases():
        ...     print(note.partition(", ")[0])
        b_h = bias_ih + bias_hh: the RNN's layer carries two biases
        PyTorch's bias_ih
        """
        if self.cells:
            # (a drawing's cells are "", "lstm", "gru": "" an RNN's of either nonlinearity, so "the RNN's", no "tanh")
            one_each = ((replace(self, cells=()).for_cell(cell), f"the {CELL_NAMES[cell] if cell else 'RNN'}'s")
                        for cell in self.cells)
            return list(dict.fromkeys(note for notation, whose in one_each
                                      for note in notation.merged_biases(parts, whose)))
        symbol = self.names.get("b_ih")
        preset = PRESETS.get(self.preset, {})
        lecture_bias = preset.get("names", {}).get("b_ih")  # the preset's own (None: it keeps PyTorch's names)
        no_bias = preset.get("no_bias", {})
        own = lecture_bias is not None and symbol in (lecture_bias, lecture_bias + BIAS_PARTS[0])  # (not a user's)
        recurrence = no_bias.get(self.cell, no_bias.get("")) if own else None
        # two sentences: whose the symbol is, then the equation this model computes with it (not the lecture's)
        unwritten = f"; {preset.get('lecture', 'the lecture')} writes no bias. Here {recurrence}" if recurrence else ""
        second = self.names.get("b_hh")
        if self.cell == "gru" and lecture_bias is not None and symbol is not None and second not in (None, symbol):
            # (which is bias_ih: the linear of x that reads it, as the figure draws it)
            # (PyTorch's own names, bias_ih and bias_hh: b′ and b″ are the parts of the lecture's b its RNN's figures
            # draw, not PyTorch's. "[b″]ₙ is inside r ⊙ [U h + b″]ₙ" after them took a GRU's figure's notes a line
            # longer, its labels 27.7 px: r multiplies [U h + b″]ₙ says where b″ is added in fewer words, 28.2)
            return [f"PyTorch's bias_ih, bias_hh ({symbol}, {second}): two biases in a GRU, not one — "
                    f"r multiplies [{self.symbol('W_hh')} h + {second}]ₙ{unwritten}"]
        if symbol is None or second != symbol:
            return []
        first, second = (self.bias_part(name) for name in BIASES)
        opening = whose[:1].upper() + whose[1:]  # (a note that starts with it: "The RNN's bias_ih, …")
        if recurrence:  # a lecture whose recurrence has no bias (CMU's): the symbol is this model's, not the slides'
            said = f"{symbol} = {first} + {second} ({whose} bias_ih, bias_hh)" if parts else \
                f"{symbol} = bias_ih + bias_hh, {whose} two biases"
            return [said + unwritten]
        if parts:
            return [f"{opening} bias_ih, bias_hh: {first}, {second}, two tensors that add up to the lecture's one "
                    f"bias, {symbol} = {first} + {second}"]
        return [f"{symbol} = bias_ih + bias_hh: {whose} layer carries two biases, the lecture writes their sum"]


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


# an encoder–decoder's two tables, as its figures write them: the source words x_t and the target words y_t index them
EMBEDDINGS_OF_TWO = {"source_embedding.weight": "E_x", "target_embedding.weight": "E_y"}


def drawn_cells(nodes: list[Node]) -> set[str]:
    """The cells whose recurrent weights the nodes draw (:func:`cells_of_weights`): {"gru"}, {"gru", ""} for a GRU
    beside an RNN — a GRU's figure keeps its two biases apart, an LSTM's footnote writes its gates' equation
    (:meth:`Notation.for_cell`)."""
    # a parameter, or its gradient drawn as an output (∂J/∂weight_hh_l0: the same shape)
    return cells_of_weights([(node.label.split("\n")[0].removeprefix("∂J/∂"), node.tensors[0]) for node in nodes
                             if node.kind in ("parameter", "output") and node.tensors])


def cells_of_weights(weights: list[tuple[str, Any]]) -> set[str]:
    """The cell of each recurrent weight among ``weights`` ((name, tensor) pairs; :func:`cell_of_weights`), one weight
    at a time: two modules' weights go by one name (weight_hh_l0), so a name never stands for the drawing's one cell.

    >>> import tinygrad_rnn as tr
    >>> sorted(cells_of_weights([("weight_hh_l0", tr.zeros(9, 3)), ("weight_hh_l0", tr.zeros(3, 3))]))
    ['', 'gru']
    """
    return {cell_of_weights({name: weight}) for name, weight in weights
            if short_name(name) == "W_hh" and len(weight.shape) == 2}


def cell_of_weights(weights: dict[str, Any]) -> str:
    """"gru" where a recurrent weight (weight_hh) holds three gates' rows, 3H × H; "lstm" where four, 4H × H, or 4H × P
    with a projection (P < H: never 3H' × H'); else "" (an RNN's H × H, or no recurrent weight).

    >>> import tinygrad_rnn as tr
    >>> cell_of_weights({"gru.weight_hh_l0": tr.zeros(9, 3)}), cell_of_weights({"weight_hh_l0": tr.zeros(8, 1)})
    ('gru', 'lstm')
    """
    for name, weight in weights.items():
        shape = tuple(weight.shape)
        if short_name(name) != "W_hh" or len(shape) != 2:
            continue
        if shape[0] == 3 * shape[1]:
            return "gru"
        if shape[0] % 4 == 0 and shape[0] >= 4 * shape[1]:
            return "lstm"
    return ""
