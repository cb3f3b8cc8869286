"""MathML written out, for the lecture page's equations: browsers draw it natively, so the page
needs no script library and no fonts. Each function returns the markup of one piece — an
identifier with its subscript (h_3, ∂J/∂h_3), an operator, a number (as a slide writes it) — and
the equations are built by nesting them (the names are the lecture page's own vocabulary, private
to the package).

>>> _row(_symbol("h_3"), _op("="), _number(0.01496))
'<mrow><msub><mi>h</mi><mi>3</mi></msub><mo>=</mo><mn class="number">1.5·10⁻²</mn></mrow>'
"""

from __future__ import annotations

from .numbers import slide_number


def _math(*lines: str) -> str:
    """The lines as one table, a row each; a line made by :func:`_detail` is a row classed "detail".

    >>> _math(_symbol("h_1"), _detail(_symbol("c_1"))).count('<mtr class="detail">')
    1
    """
    rows = "".join(('<mtr class="detail">' if line.startswith(DETAIL) else "<mtr>") +
                   f'<mtd columnalign="left">{line}</mtd></mtr>' for line in lines)
    return f'<math display="block"><mtable columnalign="left">{rows}</mtable></math>'


DETAIL = '<mrow class="detail">'


def _detail(line: str) -> str:
    """A line the page may fold: a detail of its stage, which a narrow window folds to keep the figure
    beside the equations at the page's text size (a key opens it); printed and exported whole."""
    return f"{DETAIL}{line}</mrow>"


def _row(*parts: str) -> str:
    return "<mrow>" + "".join(parts) + "</mrow>"


def _symbol(name: str) -> str:
    """h_3 → h with subscript 3; ∂J/∂h_3 → the fraction's parts in a row; |_(t) kept as written."""
    if "/" in name and name.startswith("∂"):
        top, bottom = name.split("/", 1)
        return _row(_symbol(top), _SLASH, _symbol(bottom))
    if "|_(" in name:
        base, rest = name.split("|_(", 1)
        return _msub(_row(_symbol(base), _op("|")), rest.rstrip(")"), wrap=True)
    if "_" in name:
        base, sub = name.split("_", 1)
        return _msub(base, sub)
    return f"<mi>{_escape(name)}</mi>"


def _msub(base: str, sub: str, wrap: bool = False) -> str:
    base_ml = base if base.startswith("<") else f"<mi>{_escape(base)}</mi>"
    sub_ml = f"<mrow><mo>(</mo><mi>{_escape(sub)}</mi><mo>)</mo></mrow>" if wrap else f"<mi>{_escape(sub)}</mi>"
    return f"<msub>{base_ml}{sub_ml}</msub>"


def _msup(base: str, sup: str) -> str:
    return f"<msup>{base}<mi>{_escape(sup)}</mi></msup>"


# ∂J/∂h_3 written as one word, as on a slide: an operator "/" gets a space either side, "∂J / ∂h" (and a line of
# them, wider, sets the whole equation smaller to fit its box)
_SLASH = '<mo lspace="0" rspace="0">/</mo>'


def _op(symbol: str) -> str:
    return f"<mo>{_escape(symbol)}</mo>"


def _text(text: str) -> str:
    return f"<mtext>{_escape(text).replace(' ', chr(0xA0))}</mtext>"  # MathML trims ordinary spaces


def _fenced(inner: str, left: str = "(", right: str = ")") -> str:
    return _row(_op(left), inner, _op(right))


def _norm_of(inner: str) -> str:
    bar = '<mo class="norm">‖</mo>'  # (drawn heavier by the page: the font's own bars are thin and short)
    return _row(bar, inner, bar)


def _number(value: float | None) -> str:
    return _number_plain("—" if value is None else slide_number(value))


def _number_plain(text: str) -> str:
    return f'<mn class="number">{_escape(text)}</mn>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
