"""The recurrent steps an op belongs to, as data: one run of a layer over a sequence is a
:class:`Chain`, and each op a layer records inside :class:`at_step` carries its :class:`Step`
(which chain, which t) — what drawings and analyses read to lay out and name the unrolled graph.
For a loop written by hand, the "t=k" of a scope says the same (:func:`step_of`). Nothing here is
needed to differentiate: the walk ignores it.

The chain rule, one for layers and cells: a call that starts from the state its own module's last
call ended with continues that chain (:func:`continues`, :func:`step_that_made`) — a layer's
generation loop, one token per call, and a loop of ``RNNCell`` calls alike (:func:`cell_step`).
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

from .recording import STATE, scope


def step_of(scope: tuple[str, ...]) -> int | None:
    """The time step k of the innermost "t=k" in a scope path, or None outside any step.

    >>> step_of(("LSTM", "layer 0", "forward", "t=3"))
    3
    """
    for part in reversed(scope):
        if part.startswith("t=") and part[2:].isdigit():
            return int(part[2:])
    return None


class Chain:
    """One run of a recurrent layer, in one direction, over a sequence: what a figure draws as one
    row of cells. A module called on two sequences makes two chains (that share its weights); a
    call that starts from the state its own last call ended with continues that chain, its steps
    numbered on (a generation loop, one token per call). A chain started from another chain's final
    state (a decoder from its encoder's h_S) numbers its own steps 1, 2, … as the lectures do, and
    ``after`` says where it stands in time: the steps before its first one on the timeline they
    share (S), which is where a figure draws it (column S + 1). Compared by identity: two calls of one
    module are two chains. (A plain class with slots: a layer makes one per call, and a frozen
    dataclass took 3 µs of a batch-1 training step to make.)

    >>> first, second = Chain("LSTM", 0, "forward"), Chain("LSTM", 0, "forward")
    >>> first == second, first.serial < second.serial
    (False, True)
    """

    __slots__ = ("module", "layer", "direction", "owner", "serial", "after")

    def __init__(self, module: str, layer: int, direction: str, owner: int = 0, after: int = 0) -> None:
        self.module = module  # the module's name in drawings and scopes ("LSTM", "encoder")
        self.layer = layer  # 0 for the layer that reads the input
        self.direction = direction  # "forward", or "reverse" for the second direction of a bidirectional layer
        self.owner = owner  # id() of the module that made it: only its own later calls continue it
        self.serial = next(_CHAINS_MADE)  # the order chains were made in
        self.after = after  # timeline steps before its step 1: where a figure draws it, never its steps' names

    def __repr__(self) -> str:
        return f"Chain({self.module!r}, layer={self.layer}, direction={self.direction!r}, serial={self.serial})"


_CHAINS_MADE = itertools.count()


class Step(NamedTuple):
    """Where an op of a recurrent layer belongs: step ``t`` of ``chain``, counted in that chain: a
    decoder's steps are 1…T′ whatever its encoder read; ``timeline`` is where it stands in time
    (``chain.after + t``), the column a figure draws it in.
    (A named tuple: one is made per time step, and it compares by value.)

    >>> chain = Chain("RNN", layer=0, direction="forward")
    >>> Step(chain, 3).t, Step(chain, 3) == Step(chain, 3), Step(chain, 3) == Step(Chain("RNN", 0, "forward"), 3)
    (3, True, False)
    """

    chain: Chain
    t: int

    @property
    def timeline(self) -> int:
        """The step's place in time among the chains that hand their states on (encoder, then decoder)."""
        return self.chain.after + self.t


def step_number(function: Any) -> int | None:
    """The time step an op belongs to: the t of the :class:`Step` a layer recorded, or for a loop
    written by hand the "t=k" of its scope; None outside any step.

    >>> import tinygrad_rnn as tr
    >>> with tr.scope("t=2"):
    ...     y = tr.ones(2, requires_grad=True) * 2
    >>> step_number(y.grad_fn)
    2
    """
    return function.step.t if function.step is not None else step_of(function.scope)


class at_step:
    """Record the ops created inside as step ``t`` of ``chain`` — the :class:`Step` drawings and
    analyses read — and in the scope "t=k" inside the current one (a layer's is (module, "layer k",
    direction)), which ``grad_contributions`` reports.

    >>> import tinygrad_rnn as tr
    >>> chain = Chain("RNN", layer=0, direction="forward")
    >>> with tr.scope("RNN", "layer 0", "forward"), at_step(chain, 2):
    ...     y = tr.ones(2, requires_grad=True) * 2
    >>> y.grad_fn.step.t, y.grad_fn.scope
    (2, ('RNN', 'layer 0', 'forward', 't=2'))
    """

    __slots__ = ("record", "previous")

    def __init__(self, chain: Chain, t: int) -> None:
        self.record = Step(chain, t)

    def __enter__(self) -> Step:
        self.previous = STATE.scope, STATE.step
        STATE.scope, STATE.step = (*STATE.scope, f"t={self.record.t}"), self.record
        return self.record

    def __exit__(self, *exc: object) -> None:
        STATE.scope, STATE.step = self.previous


def step_that_made(state: Any) -> Step | None:
    """The step whose result ``state`` is, following it back through what lies between two calls
    (h_n stacked from each layer's last state, h_0 unbound into them again; squeezed and unsqueezed
    when unbatched); None for a state made otherwise (zeros, a user's tensor, one detached).

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> _, h_n = rnn(tr.randn(4, 1, 2, requires_grad=True))
    >>> step_that_made(h_n.unbind(0)[0]).t
    4
    """
    # (imported here: the ops themselves record their steps through this module)
    from .function import Node
    from .ops.shape import Reshape, Stack, Unbind
    from .tensor import Tensor

    vertex, piece = state._node, None  # piece: the slice along dim 0 being followed, once unbound
    while vertex is not None:
        function = vertex.grad_fn
        found = function.step or getattr(function, "final_step", None)
        if found is not None:
            return found
        source = function.inputs[0] if function.inputs else None
        if isinstance(function, Unbind) and function.dim == 0 and piece is None:
            piece = vertex.output_index
        elif isinstance(function, Stack) and function.dim == 0 and piece is not None:
            source, piece = function.inputs[piece], None
        elif not (isinstance(function, Reshape) and isinstance(source, (Node, Tensor)) and
                  source.shape[:1] == vertex.shape[:1]):  # a squeeze or unsqueeze that keeps dim 0
            return None
        vertex = source if isinstance(source, Node) else None
    return None


def continues(found: Step | None, owner: Any, layer: int, direction: str, before: int | None) -> bool:
    """Whether a state made at step ``found`` is where ``owner``'s own chain of that layer and direction
    ended (a forward one: a reverse direction starts at the end), at step ``before`` (None: any)."""
    return (found is not None and found.chain.owner == id(owner) and found.chain.layer == layer and
            found.chain.direction == direction == "forward" and (before is None or found.t == before))


def cell_step(cell: Any, name: str, state: Any) -> Any:
    """What a cell (one step of a recurrence, ``nn.RNNCell``) records its call in: the next step of its
    own chain where ``state`` is what its own last call returned — so a loop of cell calls is unrolled
    into steps as a layer's is — else step 1 of a new chain (``after`` the steps of the chain ``state``
    came from, as a decoder's). Inside a step already (a "t=k" scope the user wrote, or a layer's
    step) the call is that step's: nothing more is recorded.

    >>> import tinygrad_rnn as tr
    >>> cell = tr.nn.RNNCell(2, 3)
    >>> h = cell(tr.randn(1, 2))
    >>> h = cell(tr.randn(1, 2), h)
    >>> h.grad_fn.step.t, h.grad_fn.scope
    (2, ('RNN', 'layer 0', 'forward', 't=2'))
    """
    if STATE.step is not None or step_of(STATE.scope) is not None:
        return scope()
    found = None if state is None else step_that_made(state)
    if continues(found, cell, 0, "forward", None):
        chain, t = found.chain, found.t + 1
    else:
        handed = found.timeline if found is not None and found.chain.direction == "forward" else 0
        chain, t = Chain(name, 0, "forward", id(cell), after=handed), 1
    return _cell_call(chain, t)


class _cell_call:
    """The scopes of a cell's call: (module, "layer 0", "forward"), then its step — as a layer's."""

    __slots__ = ("outer", "inner")

    def __init__(self, chain: Chain, t: int) -> None:
        self.outer, self.inner = scope(chain.module, "layer 0", "forward"), at_step(chain, t)

    def __enter__(self) -> Step:
        self.outer.__enter__()
        return self.inner.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)
        self.outer.__exit__(*exc)
