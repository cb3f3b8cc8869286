"""The recurrent steps an op belongs to, as data: one run of a layer over a sequence is a
:class:`Chain`, and each op a layer records inside :class:`at_step` carries its :class:`Step`
(which chain, which t) — what drawings and analyses read to lay out and name the unrolled graph.
For a loop written by hand, the "t=k" of a scope says the same (:func:`step_of`). Nothing here is
needed to differentiate: the walk ignores it.

Which chain a call continues — a layer's generation loop, a loop of ``RNNCell`` calls — is decided
above the ops, where the graph can be read back: :mod:`tinygrad_rnn.nn.chains`.
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

from .recording import STATE


def step_of(scope: tuple[str, ...]) -> int | None:
    """The time step k of the innermost "t=k" in a scope path — or "enc t=k", a loop the user named before its
    step (:func:`loop_name`) — or None outside any step.

    >>> step_of(("LSTM", "layer 0", "forward", "t=3")), step_of(("dec t=2",)), step_of(("t=2x",))
    (3, 2, None)
    """
    for part in reversed(scope):
        _, _, step = part.rpartition(" ")
        if step.startswith("t=") and step[2:].isdigit():
            return int(step[2:])
    return None


def loop_name(part: str) -> str:
    """The name a loop written by hand gives its steps, "enc" of the scope "enc t=2" ("" of a bare "t=2"): two
    loops named apart are two rows of a figure, as two layers are.

    >>> loop_name("enc t=2"), loop_name("t=2")
    ('enc', '')
    """
    return part.rpartition(" ")[0].strip()


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

    __slots__ = ("module", "layer", "direction", "owner", "serial", "after", "initial", "user_scope")

    def __init__(self, module: str, layer: int, direction: str, owner: int = 0, after: int = 0) -> None:
        self.module = module  # the module's name in drawings and scopes ("LSTM", "encoder")
        self.layer = layer  # 0 for the layer that reads the input
        self.direction = direction  # "forward", or "reverse" for the second direction of a bidirectional layer
        self.owner = owner  # id() of the module that made it: only its own later calls continue it
        self.serial = next(_CHAINS_MADE)  # the order chains were made in
        self.after = after  # timeline steps before its step 1: where a figure draws it, never its steps' names
        self.initial: tuple[tuple[Any, str], ...] = ()  # states a user handed its first step: ((h, "h_0"),)
        # the user's scopes around the call that made it, less the time steps (tr.scope("encoder"): ("encoder",)),
        # which name it where two layers go by one kind (viz.picture.chain_rows)
        self.user_scope = tuple(part for part in STATE.scope if step_of((part,)) is None)

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

    __slots__ = ("step", "previous")

    def __init__(self, chain: Chain, t: int) -> None:
        self.step = Step(chain, t)

    def __enter__(self) -> Step:
        self.previous = STATE.scope, STATE.step
        STATE.scope, STATE.step = (*STATE.scope, f"t={self.step.t}"), self.step
        return self.step

    def __exit__(self, *exc: object) -> None:
        STATE.scope, STATE.step = self.previous
