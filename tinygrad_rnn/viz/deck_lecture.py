"""What every slide of the lecture's deck is drawn with: the :class:`Lecture` — its cell, its notation, and how a
slide writes its lines and draws its figure in them.

Each slide (:mod:`.deck_graph_slides`, :mod:`.deck_measured_slides`) is a function of one Lecture, which
:func:`.lecture_deck.deck` makes from its ``cell`` and ``notation``. What a slide writes goes through it, so that
every slide names a step and a weight alike (PyTorch's h_t and W_hh, or CS224N's h⁽ᵗ⁾ and W_h), and its figures
are the library's own SVG of a loss's graph in those names.

>>> from tinygrad_rnn.viz.notation import resolve
>>> lecture = Lecture("rnn", resolve("cs224n"))
>>> lecture.name, lecture.timed("∂J/∂h_t"), lecture.symbol("W_hh")
('tanh RNN', '∂J/∂h^(t)', 'W_h')
"""

from __future__ import annotations

import re
from typing import Any

from .chains import module_marks
from .gru_rows import label_candidate_rows
from .layout import labelled_layout
from .notation import BIASES, CELL_NAMES, PRESETS, Notation
from .slide import figure_slide
from .svg import picture_to_svg
from .value_names import target_written

Figure = tuple[str, list[str]]  # a drawing's SVG, and its notes: what its labels mean
CELLS = CELL_NAMES  # the deck's cells, one deck each (notation.CELL_NAMES)


class Lecture:
    """What every slide is drawn with: the cell, the notation, and the names it gives the weights."""

    def __init__(self, cell: str, notation: Notation) -> None:
        self.cell, self.notation = cell, notation
        self.name = CELLS[cell]

    def symbol(self, name: str) -> str:
        return self.notation.symbol(name)

    def cell_symbol(self, name: str) -> str:
        """The symbol the deck's own cell gives one of its weights, as its figures write it: a GRU's under USC is
        U (W_hh) and W (W_ih), never the tanh RNN's W_h, W_x — which :meth:`symbol` gives, for the slides that draw a
        tanh RNN whatever the deck's cell (the clipping slide's).

        >>> from tinygrad_rnn.viz.notation import resolve
        >>> Lecture("gru", resolve("usc")).cell_symbol("W_hh"), Lecture("gru", resolve("usc")).symbol("W_hh")
        ('U', 'W_h')
        """
        return self.notation.for_cell(self.cell).symbol(name)

    def timed(self, text: str) -> str:
        """Text in this lecture's notation: h_t, or h^(t) (CS224N's h⁽ᵗ⁾); J, or CMU's L."""
        return self.notation.in_text(text)

    def slide(self, title: str, figure: Figure, lines: list[str] = (), footer: str = "") -> str:
        """:func:`.slide.figure_slide` with the title and lines in this lecture's notation."""
        svg, notes = figure
        return figure_slide(self.timed(title), svg, notes, [self.timed(line) for line in lines], footer)

    def figure(self, loss: Any, target: str = "", scores: str = "", short_losses: bool = False,
               **options: Any) -> Figure:
        """The library's own SVG of ``loss``'s graph (no Graphviz), as ``viz.save`` draws it but without
        shapes, and its notes apart: the slide writes them at its own text size, under or beside it.
        ``target``: what each J_t's target is, in the slide's text (a language model's "x_{t+1}"), written in
        the note ∂J/∂sₜ = (1/T)(ŷₜ − onehot(…)) where the library says target⁽ᵗ⁾ or x⁽ᵗ⁺¹⁾
        (:func:`.value_names.target_written`). ``scores``: the letter
        of what each step's head computes (a language model's "s": s₁ = linear, the scores J₁ reads, as the
        generation slide writes its decoder's), where the library draws an unnamed op, "linear t=1". ``short_losses``:
        each J_t = cross_entropy with its target written as "J₃: TO" (a slide's line says what J_t is), so that a
        sentence's every step fits a slide."""
        from . import _defaults, _picture  # the package's drawing path, complete once it is imported

        picture, _ = _picture((loss,), **_defaults({"show_shapes": False, "notation": self.notation, **options}))
        if target:
            said = [target_written(self.notation, next_word) for next_word in (True, False)]  # as the library wrote it
            picture.notes = [note.replace(said[0], self.timed(target)).replace(said[1], self.timed(target))
                             for note in picture.notes]
        for node in picture.nodes:
            first = node.label.partition("\n")[0]
            if scores and first == "linear" and node.step is not None:  # (its "t=1" said by the name)
                node.label = f"{self.notation.at_step(scores, str(node.step))} = linear"
            short = re.fullmatch(r'(\S+) = cross_entropy\ntarget "([^"]*)"', node.label) if short_losses else None
            if short:
                node.label = f"{short.group(1)}: {short.group(2)}"
        if options.get("level") == "op":  # a GRU cell's two n rows, each riser saying which it carries
            # W_e's product as the slide's equation writes it, CS224N's W_e e⁽¹⁾ (the x⁽¹⁾ drawn stands for e⁽¹⁾, a
            # note says): never [W_e x⁽¹⁾ + b₁′]ₙ beside n = tanh([W_e e⁽ᵗ⁾ + b₁′]ₙ + …), one product named two ways
            read = self.notation.at_step(self.reads().partition("_")[0], "1")
            x_rows, h_rows = self.candidate_rows(read, self.notation.at_step("h", "0"))
            label_candidate_rows(picture, x_rows, h_rows)
        notes, picture.notes = picture.notes, []
        labels, placed = labelled_layout(picture)
        # as drawn, not widened to a slide's shape (figure=True): the slide gives it the room its body has
        return picture_to_svg(picture, placed, labels, "figure"), notes

    def candidate(self) -> str:
        """The GRU's candidate n in the names its figure writes (:meth:`candidate_rows`)."""
        x_rows, h_rows = self.candidate_rows()
        if not x_rows.startswith("["):
            return f"n = tanh({x_rows} + r ⊙ ({h_rows}))"
        return f"n = tanh({x_rows} + r ⊙ {h_rows}),   [·]ₙ: the rows that feed n"

    def gates(self, cell: str) -> list[str]:
        """What the gates of ``cell`` ("lstm", "gru") read, written in full as the candidate is: PyTorch's own
        equations (each gate its rows of W_ih, W_hh and both biases: W_ir, b_ir), or in a lecture's names the one
        sum each gate takes its own rows of — and USC's own GRU gate, z = σ(W x_t + U h_{t−1}), as USC writes it, with
        the biases this model adds (a GRU's r and z rows of b′ and b″ do add up: only n's are kept apart).

        >>> from tinygrad_rnn.viz.notation import resolve
        >>> Lecture("gru", resolve(None)).gates("gru")[0]
        'r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)'
        >>> Lecture("rnn", resolve("usc")).gates("gru")[0].partition(":")[0]
        'z = σ(W x_t + U h_{t−1}) as USC writes it, r likewise'
        """
        notation, read = self.notation.for_cell(cell), self.reads()
        w_ih, w_hh = notation.symbol("W_ih"), notation.symbol("W_hh")
        pytorch = (w_ih, w_hh) == ("W_ih", "W_hh")
        if cell == "lstm":
            if pytorch:
                return [f"i = σ(W_ii {read} + b_ii + W_hi h_{{t−1}} + b_hi),   f, o likewise (W_if, W_io, …)",
                        f"g = tanh(W_ig {read} + b_ig + W_hg h_{{t−1}} + b_hg)"]
            b_ih, b_hh = notation.symbol("b_ih"), notation.symbol("b_hh")
            biases = b_ih if b_ih == b_hh else f"{b_ih} + {b_hh}"  # (an LSTM's two add up to the lecture's b)
            # (in :meth:`recurrence`'s order, h first, as CMU's footnote writes it: said once)
            summed = f"({w_hh} h_{{t−1}} + {w_ih} {read} + {biases})".replace(" ", "\u00a0")  # (one unbroken sum)
            return [f"i, f, g, o = σ, σ, tanh, σ of {summed}, each gate its own rows of it"]
        if pytorch:
            return [f"{gate} = σ(W_i{gate} {read} + b_i{gate} + W_h{gate} h_{{t−1}} + b_h{gate})" for gate in "rz"]
        b_ih, b_hh = (notation.bias_part(name) for name in BIASES)
        own = PRESETS.get(notation.preset, {}).get("gru_gate", "")
        if own and not {"W_ih", "W_hh"} & notation.asked:
            lecture = PRESETS[notation.preset]["lecture"]
            return [f"{own} as {lecture} writes it, r likewise: each gate reads its own rows of {w_ih}, {w_hh}; "
                    f"this model adds their rows of {b_ih} + {b_hh}"]
        return [f"r, z = σ({w_ih} {read} + {b_ih} + {w_hh} h_{{t−1}} + {b_hh}), each gate its own rows of these"]

    def gate_rows(self, cell: str) -> list[str]:
        """Where the slide's equations name each gate's weights (PyTorch's W_ii, W_if, …: CS 383's per-gate W_f is
        PyTorch's too), how the figure's W_ih and W_hh, which its linear nodes read, hold them; a lecture whose names
        are one W for all gates (LECTURES.md: CS224N, CMU, USC, Elman) is said to take "its own rows" instead.

        >>> from tinygrad_rnn.viz.notation import resolve
        >>> Lecture("gru", resolve(None)).gate_rows("gru")[0].partition(":")[0]
        'W_ih = [W_ir; W_iz; W_in], W_hh = [W_hr; W_hz; W_hn]'
        """
        names = self.notation.for_cell(cell)
        if (names.symbol("W_ih"), names.symbol("W_hh")) != ("W_ih", "W_hh"):
            return []
        order = "ifgo" if cell == "lstm" else "rzn"  # PyTorch's order of the gates' rows
        rows = {side: "; ".join(f"W_{side}{gate}" for gate in order) for side in "ih"}
        return [f"W_ih = [{rows['i']}], W_hh = [{rows['h']}]: the gates' rows, stacked as PyTorch stores them"]

    def candidate_rows(self, x: str = "", h: str = "h_{t−1}") -> tuple[str, str]:
        """The two inputs of the GRU's candidate n: PyTorch's W_in x + b_in and W_hn h + b_hn, or the lecture's
        weights with [·]ₙ, their rows that feed n, and both of PyTorch's biases (a GRU's two do not add up to one:
        :meth:`.Notation.for_cell`; b₁′, b₁″ where a user named both b₁ all the same)."""
        x = x or self.reads()  # (a figure's riser passes its step's: e⁽¹⁾, the x⁽¹⁾ it draws said to stand for it)
        gru = self.notation.for_cell("gru")
        w_ih, w_hh = gru.symbol("W_ih"), gru.symbol("W_hh")
        if (w_ih, w_hh) == ("W_ih", "W_hh"):
            return f"W_in {x} + b_in", f"W_hn {h} + b_hn"
        b_ih, b_hh = (gru.bias_part(name) for name in BIASES)
        return f"[{w_ih} {x} + {b_ih}]ₙ", f"[{w_hh} {h} + {b_hh}]ₙ"

    def shared_by_rows(self, roles: bool = True) -> str:
        """Which weights every copy of each row uses, in the lecture's names (one tensor each, the same at every
        step): what a figure drawn without its weights' names says in words; without ``roles``, the names alone
        (the nodes they are in are named by the figure, and slide 03 has said which is which).

        >>> from tinygrad_rnn.viz.notation import resolve
        >>> Lecture("gru", resolve("elman")).shared_by_rows()
        'The same tensors on every copy: E (embedding), W, V, b_h′, b_h″ (GRU cell), U, b_y (linear)'
        >>> Lecture("rnn", resolve("cs224n")).shared_by_rows(roles=False)
        'The same tensors on every copy: E, W_e, W_h, b₁, U, b₂'
        """
        head, borrowed = f"{self.symbol('W_hy')}, {self.symbol('b_y')}", self.head_borrowed()
        if not roles:
            return (f"The same tensors on every copy: {self.symbol('E')}, {self.cell_weights()}, {head}"
                    + (f" ({borrowed})" if borrowed else ""))
        return (f"The same tensors on every copy: {self.symbol('E')} (embedding), {self.cell_weights()} "
                f"({self.name} cell), {head} (linear" + (f"; {borrowed})" if borrowed else ")"))

    def shared_by_two_rows(self) -> str:
        """An encoder–decoder's weights in the lecture's names: two sets, the encoder's and the decoder's, each the
        same at every step of its own row — its cells' weights marked with their module, as its states are (W_h⁽ᵉ⁾,
        W_h⁽ᵈ⁾; CS224N's W_h^[enc]): one symbol for both would say they are one tensor.

        >>> from tinygrad_rnn.viz.notation import resolve
        >>> Lecture("rnn", resolve("usc")).shared_by_two_rows().partition(": ")[2]
        "E_x, W_x⁽ᵉ⁾, W_h⁽ᵉ⁾, b⁽ᵉ⁾; E_y, W_x⁽ᵈ⁾, W_h⁽ᵈ⁾, b⁽ᵈ⁾, W_hy, b_y (CMU's)"
        """
        marks = module_marks({"encoder", "decoder"}, self.notation.module_letters)  # as the figure marks h⁽ᵉ⁾
        encoder, decoder = (self.cell_weights(marks[module]) for module in ("encoder", "decoder"))
        # (the key's first words say whose each mark is, ⁽ᵉ⁾: encoder: no "(encoder)" after the set, which took the
        # line to a second and an LSTM's labels under 28 px, 27.6; a head the lecture names none of, borrowed names:
        # whose they are in one word, "(CMU's)" — slides 03 and 11 have said why)
        borrowed = " (CMU's)" if self.head_borrowed() else ""
        return (f"two sets of weights, each the same along its row: {self.symbol('E_x')}, {encoder}; "
                f"{self.symbol('E_y')}, {decoder}, {self.symbol('W_hy')}, {self.symbol('b_y')}{borrowed}")

    def cell_weights(self, mark: str = "") -> str:
        """The cell's weights as its figure writes them: a lecture's one b where it writes their sum, a GRU's two
        (:meth:`.Notation.for_cell`); ``mark``: whose they are, where a figure has two modules (e: the encoder's)."""
        names = self.notation.for_cell(self.cell)
        return ", ".join(dict.fromkeys(names.symbol(name) + names.marked(mark)
                                       for name in ("W_ih", "W_hh", "b_ih", "b_hh")))

    def head_borrowed(self) -> str:
        """Where the lecture names no output layer, that its lines' W_hy and b_y are CMU's (:meth:`.Notation.
        head_borrowed`, the one rule its figures follow too); else ""."""
        return self.notation.head_borrowed()

    def reads(self) -> str:
        """What the cell's input weight multiplies in the lecture's equations, as slide text: CS224N's W_e the
        embedding e_t (:attr:`.Notation.reads_embedding`), any other lecture's x_t."""
        return "e_t" if self.notation.reads_embedding else "x_t"

    def recurrence(self) -> str:
        """The cell's equation in the lecture's names, as text: both of PyTorch's biases, or the
        lecture's one where it writes their sum; CS224N's W_e multiplies an embedding, e_t = E x_t."""
        w_ih, w_hh, b_ih, b_hh = (self.symbol(name) for name in ("W_ih", "W_hh", "b_ih", "b_hh"))
        biases = b_ih if b_ih == b_hh else f"{b_ih} + {b_hh}"
        read = self.reads()
        embedded = ",   e_t = E x_t" if read == "e_t" else ""
        return {"rnn": f"h_t = tanh({w_hh} h_{{t−1}} + {w_ih} {read} + {biases}){embedded}",
                "lstm": "c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(c_t)",
                "gru": "h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}"}[self.cell]

