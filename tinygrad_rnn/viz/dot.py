"""A Picture as DOT text: plain strings, no graphviz package and no ``dot`` program needed.

Node ids are ``n0, n1, …`` in the picture's stable order and clusters are numbered as first met,
so the same graph always gives byte-identical DOT — golden files and slide diffs stay stable.
"""

from __future__ import annotations

import math

from .graph import Node, Picture

STYLES = {  # role → Graphviz attributes: parameters blue, inputs grey, outputs orange
    "parameter": 'shape=box, style="rounded,filled", fillcolor="#cfe2f3", color="#3d85c6"',
    "input": 'shape=box, style="rounded,filled", fillcolor="#eeeeee", color="#999999"',
    "op": 'shape=ellipse, style=filled, fillcolor="#ffffff", color="#666666"',
    "group": 'shape=box, style="rounded,filled,bold", fillcolor="#d9ead3", color="#6aa84f"',
    "output": 'shape=box, style="rounded,filled,bold", fillcolor="#f9cb9c", color="#e69138"',
    "saved": 'shape=box, style="rounded,filled,dashed", fillcolor="#fff2cc", color="#bf9000"',
    "ellipsis": 'shape=plaintext, style="", fontcolor="#666666"',
}

# Viridis (perceptually ordered, readable in grey and by colour-blind viewers), 9 stops.
VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"]


def colour(norm: float | None, low: float, high: float) -> str | None:
    """The viridis colour of a gradient norm on a log scale from ``low`` to ``high``."""
    if norm is None:
        return None
    if norm <= 0:
        return "#bbbbbb"
    span = math.log10(high) - math.log10(low)
    position = 1.0 if span <= 0 else (math.log10(norm) - math.log10(low)) / span
    return VIRIDIS[round(min(max(position, 0.0), 1.0) * (len(VIRIDIS) - 1))]


def picture_to_dot(picture: Picture) -> str:
    lines = [
        "digraph tinygrad_rnn {",
        f'  graph [rankdir={picture.rankdir}, fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.35, '
        'compound=true, newrank=true];',
        '  node [fontname="Helvetica", fontsize=10, margin="0.08,0.03", height=0.3];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555", arrowsize=0.6];',
    ]
    if picture.title:
        lines.append(f"  label={_quote(picture.title)}; labelloc=t;")
    lines += _clustered_nodes(picture)
    for tail, head, label in picture.edges:
        attributes = f" [label={_quote(label)}]" if label else ""
        lines.append(f"  n{tail} -> n{head}{attributes};")
    if picture.legend is not None:
        lines += _legend(*picture.legend)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_line(index: int, node: Node, picture: Picture, indent: str) -> str:
    attributes = f"label={_quote(node.label)}, {STYLES[node.kind]}"
    if picture.legend is not None and node.kind != "ellipsis":
        fill = colour(node.gradient_norm, *picture.legend)
        if fill is not None:
            dark = fill in VIRIDIS[:5]
            attributes += f', fillcolor="{fill}", fontcolor="{"white" if dark else "black"}"'
            attributes += f", tooltip={_quote(f'gradient norm {node.gradient_norm:.3g}')}"
    return f"{indent}n{index} [{attributes}];"


def _clustered_nodes(picture: Picture) -> list[str]:
    """Nodes inside nested clusters, one per scope prefix (e.g. LSTM › layer 0 › forward › t=3).

    The cluster tree is written with an explicit stack; clusters and nodes keep first-seen order.
    """
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    members: dict[tuple[str, ...], list[int]] = {(): []}
    for index, node in enumerate(picture.nodes):
        scope = tuple(node.scope)
        for depth in range(1, len(scope) + 1):
            prefix = scope[:depth]
            if prefix not in children:
                children[prefix] = []
                members[prefix] = []
                children[prefix[:-1]].append(prefix)
        members[scope].append(index)

    lines: list[str] = []
    numbers = {scope: number for number, scope in enumerate(s for s in children if s)}
    stack: list[tuple[tuple[str, ...], bool]] = [((), False)]
    while stack:
        scope, closing = stack.pop()
        indent = "  " * (len(scope) + 1)
        if closing:
            lines.append(indent[:-2] + "}")
            continue
        if scope:
            lines.append(f"{indent[:-2]}subgraph cluster_{numbers[scope]} {{")
            lines.append(f'{indent}label={_quote(scope[-1])}; style="rounded"; color="#aaaaaa"; fontcolor="#444444";')
            stack.append((scope, True))
        lines += [_node_line(index, picture.nodes[index], picture, indent) for index in members[scope]]
        stack += [(child, False) for child in reversed(children[scope])]
    return lines


def _legend(low: float, high: float) -> list[str]:
    """A colour bar from the smallest to the largest gradient norm drawn."""
    cells = []
    for position, fill in enumerate(VIRIDIS):
        value = 10 ** (math.log10(low) + (math.log10(high) - math.log10(low)) * position / (len(VIRIDIS) - 1))
        cells.append(f'<TD BGCOLOR="{fill}" WIDTH="34"><FONT COLOR="{"white" if position < 5 else "black"}" '
                     f'POINT-SIZE="8">{value:.0e}</FONT></TD>')
    return [
        "  subgraph cluster_legend {",
        '    label="gradient norm ‖∂J/∂·‖ (log scale)"; style="rounded"; color="#aaaaaa"; fontsize=10;',
        '    legend [shape=plaintext, label=<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3"><TR>'
        + "".join(cells) + "</TR></TABLE>>];",
        "  }",
    ]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
