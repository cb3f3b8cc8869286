"""Which characters of a figure's text are subscripts and superscripts: one rule for every figure.

A lecture writes W_hh as W with a lowered, smaller "hh", and h₀⁽ᵉ⁾ as h with 0 lowered and (e)
raised; a program writes ``weight_hh_l0``. A figure holds both kinds of name — the notation's
symbols, and a student's own Python names (a module ``my_rnn``, a parameter ``weight_hh_l0``) —
and must not turn code into false subscripts. The rule, decided here and nowhere else:

* **A symbol's script**: one letter standing alone (W, h, b, ŷ, Σ, a second call's h′ — not the end of a
  longer word, not after a dot or a quote), then ``_`` or ``^`` and its script: ``W_hh``, ``h_0``, ``x_{t+1}``,
  ``h^(t)``. So is a script after ``|`` (``∂J/∂W|_(t)``), and a braced power of a number (``10^{−2}``); and
  ``^[2]``, raised square brackets after any script (CS224N's layer: W_h^[2], h^[2]⁽³⁾, where ⁽·⁾ is the time).
  A script is letters and digits (or a braced or bracketed group), and the name ends with it.
* **A hat**: ``y_hat`` (a lone letter, then ``_hat``) is that letter with its hat, ŷ — as a lecture writes
  the prediction, never y with a subscript "hat"; ``y_hat_t`` is ŷ_t. (``my_y_hat`` stays code.)
* **Code**, written as it is: every other ``_``. A name of several letters (``my_rnn``,
  ``cross_entropy``, ``weight_hh_l0``), a name that goes on after its script (``W_hh_l0``, ``x_t_prev``:
  a Python name, not W with "hh"), a dotted path (``head.W_out``), a name indexed by
  numbers as a program does (PyTorch's ``h_n[-2:]``; a lecture's ŷ_t[x_{t+1}] stays math). ``W_hh.grad``
  keeps the symbol's script: the gradient of W_hh, as the lecture names it.
* **Unicode scripts** already written (h₃, Σₜ, ⁽ᵉ⁾, ᵀ, 10⁻²) are scripts too, drawn the same way as
  the others, so that a figure writes every script one way.
* **A sum's limits** on one line, lower…upper: Σₜ₌₃⁴ is set Σ_{t=3…4}. Set one after the other, the upper
  limit beside the lower read as the lower's power (Σ_{t=3⁴}); a line of text cannot stack them, as the page does.

Each output writes the runs its own way: the library's SVG as ``<tspan>`` (:func:`svg_markup`),
Graphviz as an HTML-like label with ``<SUB>``/``<SUP>`` (``dot.py``), a slide's text and the lecture
page through ``slide.py``. A script is drawn at :data:`SCRIPT_SCALE` of its line.

>>> script_runs("W_hh h_0⁽ᵉ⁾ my_rnn weight_hh_l0")
[('W', 'base'), ('hh', 'sub'), (' h', 'base'), ('0', 'sub'), ('(e)', 'sup'), (' my_rnn weight_hh_l0', 'base')]
>>> script_runs("∂J/∂b_y|ₜ, Σₜ; W_hh_l0, head.W_out, h_n[-2:]")[3:]
[('t', 'sub'), (', Σ', 'base'), ('t', 'sub'), ('; W_hh_l0, head.W_out, h_n[-2:]', 'base')]
>>> script_runs("y_hat = linear, y_hat_t, my_y_hat")
[('ŷ = linear, ŷ', 'base'), ('t', 'sub'), (', my_y_hat', 'base')]
"""

from __future__ import annotations

import re
import unicodedata
from html import escape, unescape

Run = tuple[str, str]  # (text, "base" | "sub" | "sup")

SCRIPT_SCALE = 0.8  # a script's size beside its line's, as print sets them (and slides: never under 24 px)
# the unicode scripts, each above the plain character it stands for: one table, read back here (script_runs) and
# written by notation.py (h⁽²⁾, h⁽³⁾ with time above; h₃ read as step 3)
SUBSCRIPT_CHARACTERS = "₀₁₂₃₄₅₆₇₈₉ₜₙₖᵢⱼₐₑₒₓₕₗₘₚₛ₊₋₌₍₎"
SUBSCRIPTED = "0123456789tnkijaeoxhlmps+−=()"
SUPERSCRIPT_CHARACTERS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ⁺⁻⁼"
SUPERSCRIPTED = "0123456789()abcdefghijklmnoprstuvwxyzT+−="
FROM_SUBSCRIPT = str.maketrans(SUBSCRIPT_CHARACTERS, SUBSCRIPTED)
TO_SUBSCRIPT = str.maketrans(SUBSCRIPTED, SUBSCRIPT_CHARACTERS)  # a step written lowered: h, 12 → h₁₂
FROM_SUPERSCRIPT = str.maketrans(SUPERSCRIPT_CHARACTERS, SUPERSCRIPTED)
# written raised by notation.py: letters, digits, brackets; a mark's "=" or "+" stays on the line (a user's t=1)
TO_SUPERSCRIPT = str.maketrans(SUPERSCRIPTED.rstrip("+−="), SUPERSCRIPT_CHARACTERS.rstrip("⁺⁻⁼"))

LONE_LETTER = r"(?<![\w.\"'])[^\W\d_]"  # a letter that does not end a longer name, a dotted path or a quoted word
SCRIPTS = re.compile(
    # W; ŷ (y and its hat), h′ and h′′ (a second and a third call's h); a script after |
    r"(?:(?<=" + LONE_LETTER + r")|(?<=" + LONE_LETTER + "[\u0302′])|(?<=" + LONE_LETTER + "′′)|(?<=\\|))"
    # h_{t−1}, h^(t), W_hh, ŷ_t[x_{t+1}] — not W_hh_l0, nor code that slices (PyTorch's h_n[-2:]); J_tag₃, a named
    # loss at step 3 (its step a second subscript: J_{tag,3})
    r"(?P<mark>[_^])(?P<script>\{[^}]*\}|\([^)]*\)|[0-9A-Za-z+−]+(?!(?![" + SUBSCRIPT_CHARACTERS + r"])\w|\[[-\d:]))"
    r"|(?<=\d)(?P<power>\^\{[^}]*\})"  # 10^{−2}: a braced power of a number (the page's <sup>, read back)
    r"|(?P<sub>[" + SUBSCRIPT_CHARACTERS + r"]+[→←]*)"  # h₃, Σₜ, CS224N's layer and direction h₂→ (no arrow below)
    r"|(?P<sup>⁽[^⁾\s]*⁾|[" + SUPERSCRIPT_CHARACTERS + r"]+)"  # ⁽¹→⁾ (an arrow has no superscript form), ᵀ
    r"|(?P<bracket>\^\[[^\]\s]*\])")  # W_h^[2]: a layer raised in square brackets (no unicode form), after any script


HAT = re.compile(r"(?<![\w.\"'])([^\W\d_])_hat(?![0-9A-Za-z])")  # y_hat: y and its hat, ŷ


def script_runs(text: str, unicode: bool = True) -> list[Run]:
    """The text as runs of base text, subscripts and superscripts, by the rule above (``unicode=False``: the
    unicode scripts left in the base text, as the page's HTML writes them beside the numbers its script prints).

    >>> script_runs("h_{t−1}, h^(3), x_t_prev, cross_entropy")
    [('h', 'base'), ('t−1', 'sub'), (', h', 'base'), ('(3)', 'sup'), (', x_t_prev, cross_entropy', 'base')]
    >>> script_runs("∂J_tag₃/∂h₂")
    [('∂J', 'base'), ('tag,3', 'sub'), ('/∂h', 'base'), ('2', 'sub')]
    """
    text = HAT.sub(lambda found: unicodedata.normalize("NFC", found.group(1) + "\u0302"), text)
    runs: list[Run] = []
    position = 0
    for found in SCRIPTS.finditer(text):
        if not unicode and (found.group("sub") or found.group("sup")):
            continue
        if found.group("mark"):
            script = found.group("script")
            part = script[1:-1] if script.startswith("{") else script
            kind = "sub" if found.group("mark") == "_" else "sup"
        elif found.group("power"):
            part, kind = found.group("power")[2:-1], "sup"
        elif found.group("bracket"):
            part, kind = found.group("bracket")[1:], "sup"
        elif found.group("sub"):
            part, kind = found.group("sub").translate(FROM_SUBSCRIPT), "sub"
        else:
            part, kind = found.group("sup").translate(FROM_SUPERSCRIPT), "sup"
        runs.append((text[position:found.start()], "base"))
        if runs[-1][0] == "" and len(runs) > 1 and runs[-2][1] == kind:  # ⁽³⁾ right after h^… : one run
            runs.pop()
            # (J_tag₃: the loss's name, then its step, as a lecture writes two subscripts: J_{tag,3})
            step_after_name = found.group("sub") and runs[-1][0][-1:].isalpha()
            runs[-1] = (runs[-1][0] + ("," if step_after_name else "") + part, kind)
        else:
            runs.append((part, kind))
        position = found.end()
    runs.append((text[position:], "base"))
    return limits_on_one_line([(part, kind) for part, kind in runs if part])


def limits_on_one_line(runs: list[Run]) -> list[Run]:
    """A Σ's lower and upper limits as one subscript, lower…upper (the rule above).

    >>> limits_on_one_line([("(1/4)Σ", "base"), ("t=3", "sub"), ("4", "sup"), (" ∂J", "base"), ("t", "sub")])
    [('(1/4)Σ', 'base'), ('t=3…4', 'sub'), (' ∂J', 'base'), ('t', 'sub')]
    """
    joined: list[Run] = []
    for part, kind in runs:
        if kind == "sup" and len(joined) > 1 and joined[-1][1] == "sub" and joined[-2][0].endswith("Σ"):
            joined[-1] = (f"{joined[-1][0]}…{part}", "sub")
        else:
            joined.append((part, kind))
    return joined


def has_scripts(text: str) -> bool:
    """Whether the rule finds a script (or a hat: y_hat) in ``text`` (a label without one is written as
    plain text)."""
    return HAT.search(text) is not None or any(kind != "base" for _, kind in script_runs(text))


# em of the line: how far a subscript sits under it and a superscript over it — near print's (a subscript's
# digits end a fifth of an em under the line; a superscript's brackets reach as high as a capital's top, and a
# little more), so that a label's scripts stay about where its line's capitals and descenders reach
SCRIPT_DROP = {"sub": 0.2, "sup": -0.3}


def svg_markup(text: str) -> str:
    """The text as SVG character data, its scripts as ``<tspan>`` moved off the line and drawn at 80%
    (the text around them flows on: a centred label stays centred).

    >>> svg_markup("W_hh, b").replace(' xml:space="preserve"', "")
    'W<tspan dy="0.25em" font-size="80%">hh</tspan><tspan dy="-0.2em">, b</tspan>'
    >>> svg_markup("a < b")
    'a &lt; b'
    """
    return runs_markup(script_runs(text))


def runs_markup(runs: list[Run]) -> str:
    """Runs as SVG character data: see :func:`svg_markup`. A superscript alone (a CS224N node's step line, ⁽¹⁾ under
    "RNN cell") has nothing to stand above: it is drawn on its line, at a script's size, not raised into the line
    over it (where "cross_entropy"'s underscore met it).

    >>> runs_markup([("(1)", "sup")])
    '<tspan font-size="80%">(1)</tspan>'
    """
    if len(runs) == 1 and runs[0][1] == "sup":
        return f'<tspan font-size="{SCRIPT_SCALE:.0%}">{escape(runs[0][0])}</tspan>'
    parts, offset = [], 0.0
    for part, kind in runs:
        drop = SCRIPT_DROP.get(kind, 0.0)
        if drop == offset:
            parts.append(escape(part))
        else:
            size = "" if kind == "base" else f' font-size="{SCRIPT_SCALE:.0%}"'
            em = 1.0 if kind == "base" else SCRIPT_SCALE  # (an em is the tspan's own: 0.8 of the line's)
            # preserved: " = …" after a script keeps its space (a renderer may strip a tspan's first one)
            parts.append(f'<tspan dy="{(drop - offset) / em:g}em"{size} xml:space="preserve">'
                         f"{escape(part)}</tspan>")
        offset = drop
    if offset:  # back on the line: the next line or text of the label starts where it should
        parts.append(f'<tspan dy="{-offset:g}em"></tspan>')
    return "".join(parts)


MARKED_RUN = re.compile(r'<tspan dy="(-?)[\d.]+em" font-size="[^"]*"[^>]*>([^<]*)</tspan>|<[^>]*>|([^<]+)')


def markup_runs(markup: str) -> list[Run]:
    """One line of :func:`svg_markup`'s SVG as its runs again, (text, "base", "sub" or "sup"): what sets the room
    between two lines of a label (:func:`.geometry.lines_apart`) where only its markup is at hand (the page's lit
    labels, an exported stage's). A script's tspan is moved and smaller; its kind, by the way it moves.

    >>> markup_runs(svg_markup("(1/3)Σₜ₌₂³")), markup_runs(svg_markup("∂J⁽ᵗ⁾/∂h"))
    ([('(1/3)Σ', 'base'), ('t=2…3', 'sub')], [('∂J', 'base'), ('(t)', 'sup'), ('/∂h', 'base')])
    """
    runs: list[Run] = []
    for found in MARKED_RUN.finditer(markup):
        if found.group(2) is not None:
            runs.append((unescape(found.group(2)), "sup" if found.group(1) else "sub"))
        elif found.group(3) is not None:  # (a tag that only moves back onto the line adds nothing)
            runs.append((unescape(found.group(3)), "base"))
    return runs


def dot_markup(text: str, size: float, left_lines: bool = False) -> str:
    """The text as a Graphviz label: quoted plain text where it has no script, else an HTML-like
    label, its scripts in ``<SUB>``/``<SUP>`` at 80% of ``size`` (the label's points) and its lines
    broken by ``<BR/>`` (``left_lines``: each line from its left end, as ``\\l`` does).

    >>> dot_markup("h_0", 10)
    '<h<SUB><FONT POINT-SIZE="8">0</FONT></SUB>>'
    >>> dot_markup("my_rnn", 10)
    '"my_rnn"'
    """
    if not has_scripts(text):
        return dot_quoted(text)
    points = f"{SCRIPT_SCALE * size:g}"
    tag = {"sub": "SUB", "sup": "SUP"}
    lines = []
    for line in text.split("\n"):
        # "]" as a character reference: a bare one after a script at a line's end Graphviz moved onto the next
        # line (h₁⁽←⁾] / W_hy read "h₁⁽←⁾" / "]W_hy"), or dropped at the label's end
        lines.append("".join(escape(part, quote=False).replace("]", "&#93;") if kind == "base" else
                             f'<{tag[kind]}><FONT POINT-SIZE="{points}">{escape(part, quote=False)}'
                             f'</FONT></{tag[kind]}>'
                             for part, kind in script_runs(line)))
    brk = '<BR ALIGN="LEFT"/>' if left_lines else "<BR/>"
    return "<" + brk.join(lines) + (brk if left_lines else "") + ">"


def dot_quoted(text: str) -> str:
    """Plain text as a quoted DOT string (its line breaks as ``\\n``)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
