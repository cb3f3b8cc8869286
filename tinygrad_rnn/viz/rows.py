"""The grid's rows: the order they are drawn in (layer 0 at the bottom, a reverse direction above its forward
one, the backward rows under the forward), the rows that take turns in time sharing one (an encoder and its
decoder on one timeline), and the name beside each row ("layer 1 →", "∂ layer 1 ←", "call 2 →")."""

from __future__ import annotations

from .picture import BACKWARD_ROW, PER_STEP, chain_calls

ROWS_RUN = "→, ←: the way a row runs forward; its gradient flows the other way"  # (a BPTT figure's note)
# … where the rows go unnamed (grid.directions_said_on_arrows): the arrows' ⁽←⁾ say whose values they carry, not which
# row runs backwards in time, and the rows' names said that
ROWS_RUN_UNNAMED = ("→, ←: the way a row runs forward (the upper {module} row ←, from the last step back to the "
                    "first); its gradient flows the other way")


def layer_and_direction(key: tuple, chains: dict) -> tuple[int, bool]:
    """A row's layer and whether it runs right to left, from the chain its cells recorded (a row of
    a loop written by hand, or of the model's own ops: layer 0, left to right)."""
    chain = chains.get(key)
    if chain is None and key[:1] == (BACKWARD_ROW,):
        chain = chains.get(key[1:])
    return (chain.layer, chain.direction == "reverse") if chain is not None else (0, False)


def row_order(keys: list[tuple[str, ...]], chains: dict, joins: dict | None = None):
    """Rows in the order of the lectures' figures: layer 0 at the bottom, each layer's reverse
    direction just above its forward one, the inputs of each step (e_t) below them; where a module
    ran several chains (one encoder read on two sentences), each call's rows as one block, the first
    call at the bottom; several modules in the order the data flows through them (a module that reads
    another's output ran after it: all its rows above that one's); a per-step op that reads a row and
    feeds a higher one (``joins``, :func:`rows_joined`: a dropout d_t out of GRU 1 into GRU 2) just under
    the row it feeds, others (ŷ_t, J_t) on top; other rows (a hand-written loop) in the order first met."""
    first = {key: i for i, key in enumerate(keys)}
    call = chain_calls(chains.values())
    ran = {}  # each module's first chain: the order the modules ran in, the order the data flows
    for chain in sorted(set(chains.values()), key=lambda chain: chain.serial):
        ran.setdefault(chain.owner, len(ran))

    def module(key: tuple[str, ...]) -> int:
        chain = chains.get(key)
        return ran[chain.owner] if chain is not None else 0

    def order(key: tuple[str, ...]) -> tuple[int, ...]:
        if key[:1] == (BACKWARD_ROW,):  # forward and backward in one figure: the backward rows under the forward
            below = order(key[1:])
            return (below[0] - (1 << 22), *below[1:])
        if key[:1] == (PER_STEP,) and key[1] != "input":
            reads, feeds = ({order(row) for row in rows if row in chains} for rows in (joins or {}).get(key, ((), ())))
            if reads and feeds and max(reads) < min(feeds):  # d_t, out of GRU 1 into GRU 2: just under GRU 2
                upper = min(feeds)
                return (*upper[:4], int(key[2]) - (1 << 20), first[key])
            return 1 << 20, 0, 0, 0, int(key[2]), first[key]  # a model's own ops, one per step: ŷ_t and J_t on top
        if key[:1] == (PER_STEP,):  # e_t below the layers of the call it feeds
            return call.get(chains.get(key[3:]), 0), module(key[3:]), -1, 0, int(key[2]), first[key]
        layer, reverse = layer_and_direction(key, chains)
        return call.get(chains.get(key), 0), module(key), layer, int(reverse), 0, first.get(key, 0)

    return order


def rows_joined(nodes: list, reads: list[list[int]], feeds: list[list[int]]
                ) -> dict[tuple[str, ...], tuple[set[tuple[str, ...]], set[tuple[str, ...]]]]:
    """The rows the nodes of each per-step row read from and the rows they feed (``reads``, ``feeds``:
    each node's neighbours the way the values flow): for :func:`row_order`, which draws a per-step op
    that one row feeds and that feeds another between them."""
    joins: dict[tuple[str, ...], tuple[set[tuple[str, ...]], set[tuple[str, ...]]]] = {}
    for node, before, after in zip(nodes, reads, feeds):
        if node.row[:1] == (PER_STEP,):
            read, fed = joins.setdefault(node.row, (set(), set()))
            read.update(nodes[other].row for other in before)
            fed.update(nodes[other].row for other in after)
    return joins


def one_timeline(keys: list[tuple[str, ...]], at: list[int | None], in_step, nodes, chains: dict
                  ) -> tuple[list[tuple[str, ...]], dict]:
    """Rows that take turns in time (``at``: each node's place in time) share one row: an encoder's
    steps t = 1…S and its decoder's 1…T′ after them, the embeddings below each — one timeline, as
    the lectures draw an encoder–decoder, the
    state handed over between neighbouring columns. (Rows of one layer, direction and kind whose
    steps do not overlap.) The first key of each shared row stands for it."""
    steps: dict[tuple[str, ...], set] = {}
    for node, when, inside in zip(nodes, at, in_step):
        if inside:
            steps.setdefault(node.row, set()).add(when)

    def kind(key: tuple[str, ...]) -> tuple:
        if key[:1] == (BACKWARD_ROW,):
            return (BACKWARD_ROW, *kind(key[1:]))
        if key[:1] == (PER_STEP,):
            return key[:2]
        return layer_and_direction(key, chains)

    shared: list[tuple[tuple, set, list]] = []  # (kind, steps so far, the keys)
    for key in keys:
        home = next((row for row in shared if row[0] == kind(key) and not row[1] & steps[key] and None not in
                     steps[key] | row[1]), None)
        if home is None:
            shared.append((kind(key), set(steps[key]), [key]))
        else:
            home[1].update(steps[key])
            home[2].append(key)
    row_of_key = {key: i for i, (_, _, members) in enumerate(shared) for key in members}
    return [members[0] for _, _, members in shared], row_of_key


def one_timeline_only(row_keys: list, chains: dict) -> bool:
    """Whether the modules drawn share their rows (an encoder and its decoder on one timeline)."""
    return len({key[0] for key in row_keys if key in chains}) <= 1


def row_name(key: tuple[str, ...], reverse: bool, rows: int, one_layer: bool = False, modules: bool = False) -> str:
    """'layer 1 →' beside each row, when there are several (layers counted from 1, as on a slide);
    'call 2 →' for a module's second chain ('call 2 layer 1 →' where it has several layers); the
    module first where several modules have rows of their own ('RNN 2 layer 1 →'; 'RNN 2 →' where
    each has one layer: two rows both called 'layer 1' read as one layer). A row is named by what
    tells it from the others: its module, its call, its layer, where there are several of each."""
    if key[:1] == (BACKWARD_ROW,):
        name = row_name(key[1:], reverse, rows, one_layer, modules)
        return f"∂ {name}" if name else ""
    if key[:1] == (PER_STEP,):
        return ""
    one_of_each = one_layer and (modules or any(part.startswith("call ") for part in key))
    words = [_on_slide(part) for part in key[0 if modules else 1:] if part not in ("forward",)
             and not (one_of_each and part.startswith("layer "))] or list(key)
    return (" ".join(words) + (" ←" if reverse else " →")) if rows > 1 and words else ""


def _on_slide(part: str) -> str:
    """'layer 0' → 'layer 1': a slide counts layers from 1 (h⁽¹⁾ at the bottom), PyTorch's names from 0 (_l0)."""
    words = part.split()
    return f"layer {int(words[1]) + 1}" if len(words) == 2 and words[0] == "layer" and words[1].isdigit() else part

