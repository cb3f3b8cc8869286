"""The drawing's bookkeeping of recurrent calls: which chain each call's steps belong to, and their
numbers. Nothing here is needed to differentiate — the walk ignores it; it is what the figures read.

A figure draws each :class:`~tinygrad_rnn.steps.Chain` (one layer and direction of one call: a module,
``layer``, ``direction``) as a row of cells, and each op in the column of its
:class:`~tinygrad_rnn.steps.Step` (``chain.after + t``); it names a state ``h_t`` by ``t``, and a state a
user handed the first step by ``Chain.initial``. So it must know, from the graph alone, which calls
make one chain: a call that starts from the state its own module's last call ended with (or a ``detach()``-ed
copy of it: truncated BPTT) continues that chain, its steps numbered on (a layer's generation loop, one token per call:
:func:`chains_of_call`; a loop of ``RNNCell`` calls: :func:`at_cell_step`; of a cell the user wrote, fed its own
output: :func:`call_user_module`); any other call starts a
chain of its own, numbered from 1, and one started from another chain's final state (a decoder from
its encoder's h_S) is drawn after it (``Chain.after``). The steps themselves, as data:
:mod:`tinygrad_rnn.steps`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy

from ..function import SEQUENCE_NUMBERS, Node
from ..ops.shape import Index, Reshape, Stack, Unbind
from ..recording import STATE, scope
from ..steps import Chain, Step, at_step
from ..tensor import Tensor


def step_that_made(state: Any) -> Step | None:
    """The step whose result ``state`` is, following it back through what lies between two calls
    (h_n stacked from each layer's last state, h_0 unbound into them again, or one layer's picked, ``h_n[0]``,
    ``h_n[-1]`` or ``h_n.squeeze(0)``, as a decoder's cell is handed it; squeezed and unsqueezed when unbatched),
    and through a ``detach()`` (truncated BPTT: the value carries over, the gradient does not — the copy's note
    of what it was cut from, :func:`cut_from`); None for a state made otherwise (zeros, a user's tensor).

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> _, h_n = rnn(tr.randn(4, 1, 2, requires_grad=True))
    >>> step_that_made(h_n.unbind(0)[0]).t, step_that_made(h_n[-1]).t, step_that_made(h_n.squeeze(0)).t
    (4, 4, 4)
    >>> step_that_made(h_n.detach()).t  # (a one-layer h_n)
    4
    """
    vertex = vertex_that_made(state)
    return None if vertex is None else _step_of(vertex.grad_fn)


def _step_of(function: Any) -> Step | None:
    """The step an op records: its own, or the final step a layer's last op carries."""
    return function.step or getattr(function, "final_step", None)


def vertex_that_made(state: Any, piece: int | None = None) -> Node | None:
    """The graph Node of the value a step computed that ``state`` is (:func:`step_that_made`): the op of that
    step whose output it is — what a drawing draws a detached state's dashed arrow from. ``piece``: of a stacked
    state (layers·D, B, H), the row followed (as if unbound)."""
    vertex = state._node or cut_from(state)  # (piece: the slice along dim 0 being followed, once unbound)
    while vertex is not None:
        function = vertex.grad_fn
        if _step_of(function) is not None:
            return vertex
        source = function.parents[0] if function.parents else None
        if isinstance(function, Unbind) and function.dim == 0 and piece is None:
            piece = vertex.output_index
        elif isinstance(function, Index) and _picks_one_row(function.index) and piece is None:
            piece = int(function.index) % source.shape[0]  # h_n[0], h_n[-1]: one layer's state, as unbound
        elif isinstance(function, Stack) and function.dim == 0 and (piece is not None or len(function.parents) == 1):
            source, piece = function.parents[piece or 0], None  # (one layer's h_n, squeezed: its only state)
        elif not (isinstance(function, Reshape) and isinstance(source, (Node, Tensor)) and
                  source.shape[:1] == vertex.shape[:1]):  # a squeeze or unsqueeze that keeps dim 0
            return None
        vertex = source if isinstance(source, Node) else cut_from(source)
    return None


def carried_pieces(state: Tensor, pieces: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """The pieces a layer unbinds from the h_0 (c_0) it is handed, one per layer and direction; where that state is
    a ``detach()``-ed h_n (truncated BPTT: ``rnn(x, h.detach())``), each noted as a detached copy of its own layer's
    last state — which continues that layer's chain (:func:`chains_of_call`), and which a drawing draws the dashed
    arrow of the value from. (The unbind of a tensor that records nothing is not in the graph: the note is all.)

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3, num_layers=2)
    >>> _, h_n = rnn(tr.randn(4, 1, 2))
    >>> cut = h_n.detach()
    >>> [step_that_made(piece) for piece in carried_pieces(cut, cut.unbind(0))] == [step_that_made(h) for h in h_n]
    True
    """
    if cut_from(state) is not None:
        for index, piece in enumerate(pieces):
            made = vertex_that_made(state, index)
            if made is not None:
                piece._detached_from = weakref.ref(made)
    return pieces


def keep_final_states(output: Tensor, *states: Tensor | None) -> None:
    """Keep the graph Nodes of a call's h_n (c_n) as long as its ``output``'s: a ``detach()``-ed copy notes the
    Node it was cut from weakly (:func:`cut_from`), and ``hidden = repackage_hidden(hidden)`` — truncated BPTT as
    PyTorch's word_language_model writes it — frees the h_n tensor, and with it that Node, before the next call;
    kept, the next call still continues the chain (one row of steps, the cut drawn) while the graph of the chunk
    before lives. No edge, so backward is unchanged; no cycle (h_n's graph never holds the output), so the graph is
    freed with the output's.

    >>> import gc, tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> output, h_n = rnn(tr.randn(4, 1, 2, requires_grad=True))
    >>> cut = h_n.detach()
    >>> del h_n; _ = gc.collect()
    >>> step_that_made(cut).t
    4
    """
    if output._node is not None:
        output._node.final_states = tuple(state._node for state in states if state is not None and state._node
                                          is not None and not _reads(state._node, output._node))


def _reads(vertex: Node, output: Node) -> bool:
    """Whether ``vertex`` is computed from ``output`` directly (a stepper's h_n sliced from its output)."""
    return any(parent is output for parent in vertex.grad_fn.parents)


def cut_from(state: Any) -> Node | None:
    """The graph Node a ``detach()``-ed copy was cut from, while that graph lives; None for any other tensor.

    >>> import tinygrad_rnn as tr
    >>> h = tr.ones(2, requires_grad=True) * 2
    >>> cut_from(h.detach()) is h._node, cut_from(h), cut_from(tr.ones(2).detach())
    (True, None, None)
    """
    note = getattr(state, "_detached_from", None)
    return None if note is None else note()


def _picks_one_row(index: Any) -> bool:
    """Whether an index is one integer (``h_n[0]``, ``h_n[-1]``): one row of dim 0."""
    return isinstance(index, (int, numpy.integer)) and not isinstance(index, bool)


def drawn_after(found: Step | None) -> int:
    """Where a chain started from a state made at step ``found`` is drawn after: that step's place in
    time where a forward chain made it (a decoder after its encoder's last step), else 0."""
    return found.timeline if found is not None and found.chain.direction == "forward" else 0


def continues(found: Step | None, owner: Any, layer: int, direction: str, before: int | None) -> bool:
    """Whether a state made at step ``found`` is where ``owner``'s own chain of that layer and direction
    ended (a forward one: a reverse direction starts at the end), at step ``before`` (None: any)."""
    return (found is not None and found.chain.owner == id(owner) and found.chain.layer == layer and
            found.chain.direction == direction == "forward" and (before is None or found.t == before))


def chains_of_call(module: Any, initial_hidden: Sequence[Tensor]) -> tuple[list[Chain], int]:
    """The chain each layer and direction of a call of ``module`` (an ``nn.RNN``, ``LSTM`` or ``GRU``) runs,
    one per piece of its h_0, and the number of the call's first step.

    Each layer and direction continues its own chain where its h_0 is the state that chain of this
    module ended with (a generation loop): its steps numbered on. Else the call makes a new chain,
    numbered from 1 — a module read on two sequences draws two chains; a decoder started from its
    encoder's h_S is a chain of its own whose steps are 1…T′, its ``after`` the encoder's S: where
    a figure draws it (after the encoder's last column), never what its steps are called.

    >>> import tinygrad_rnn as tr
    >>> rnn = tr.nn.RNN(2, 3)
    >>> _, h_n = rnn(tr.randn(4, 1, 2, requires_grad=True))
    >>> chains, first_step = chains_of_call(rnn, h_n.unbind(0))  # started from where it ended: continued
    >>> len(chains), chains[0].layer, first_step
    (1, 0, 5)
    """
    ended = [step_that_made(hidden) for hidden in initial_hidden]
    handed = drawn_after(ended[0])
    before = ended[0].t if continues(ended[0], module, 0, "forward", None) else 0
    chains = []
    for index, found in enumerate(ended):
        layer, direction = divmod(index, module.num_directions)
        direction_name = "reverse" if direction else "forward"
        continued = continues(found, module, layer, direction_name, before)
        chains.append(found.chain if continued else
                      Chain(module.scope_name, layer, direction_name, id(module), after=handed - before))
    return chains, before + 1


def at_cell_step(cell: Any, name: str, state: Any) -> Any:
    """What a cell (one step of a recurrence, ``nn.RNNCell``) records its call in: the next step of its
    own chain where ``state`` is what its own last call returned — so a loop of cell calls is unrolled
    into steps as a layer's is — else step 1 of a new chain (``after`` the steps of the chain ``state``
    came from, as a decoder's). Inside a "t=k" scope the user wrote, the same: a scope is a time step, which
    holds the calls made in it (the embedding, the cell, the head, the loss), and the cell's ops are its own
    step, drawn apart from the rest of the step — numbered as its chain counts, from 1, as the lectures
    number h_1 after h_0 (a loop the user numbered from t=0 too). Inside a layer's step the call is that
    step's: nothing more is recorded.

    >>> import tinygrad_rnn as tr
    >>> cell = tr.nn.RNNCell(2, 3)
    >>> h = cell(tr.randn(1, 2))
    >>> h = cell(tr.randn(1, 2), h)
    >>> h.grad_fn.step.t, h.grad_fn.scope
    (2, ('RNN', 'layer 0', 'forward', 't=2'))
    >>> with tr.scope("t=3"):
    ...     h = cell(tr.randn(1, 2), h)
    >>> h.grad_fn.step.t, h.grad_fn.scope
    (3, ('t=3', 'RNN', 'layer 0', 'forward', 't=3'))
    """
    if STATE.step is not None:
        return scope()
    found = None if state is None else step_that_made(state)
    if continues(found, cell, 0, "forward", None):
        chain, t = found.chain, found.t + 1
    else:
        chain, t = Chain(name, 0, "forward", id(cell), after=drawn_after(found)), 1
    return _cell_call(chain, t)


def name_initial_state(state: Tensor, name: str) -> None:
    """A state the user handed a cell's call that no op made — ``tr.zeros(1, H)``, or one detached from another
    chain — starts the chain: it is recorded on the chain being stepped (``Chain.initial``) as ``name`` (h_0, c_0),
    so that a drawing names it as it names the zeros a cell makes when handed None. Nothing is written on the user's
    tensor. (A copy detached from this chain's own last state continues the chain, at a step after 1: not h_0.)

    >>> import tinygrad_rnn as tr
    >>> zeros = tr.zeros(1, 3)
    >>> h = tr.nn.RNNCell(2, 3)(tr.randn(1, 2), zeros)
    >>> [(given is zeros, name) for given, name in h.grad_fn.step.chain.initial], zeros.name
    ([(True, 'h_0')], None)
    """
    if STATE.step is not None and STATE.step.t == 1 and state.grad_fn is None and not state.name:
        STATE.step.chain.initial += ((state, name),)


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


def call_user_module(module: Any, args: tuple, kwargs: dict) -> Any:
    """Call a module the user wrote (its own ``forward``) — as a cell where its output is fed back into its own
    next call: ``h = cell(x_t, h)`` in a loop makes each call a step of one chain, drawn as a loop of
    ``nn.RNNCell`` calls is (:func:`at_cell_step`); an LSTM's two states the same, returned as ``(h, c)`` and handed
    back in a tuple or one by one, ``h, c = cell(x_t, (h, c))`` or ``cell(x_t, h, c)``. The rule is read from the
    calls alone: the second call, handed what the first returned, marks the first call's ops as step 1 (and the
    tensors it was handed there, made by no op, as h_0 and c_0), and runs as step 2; each later call so fed continues
    the chain. Which state is which is read from what the call returns, as ``nn.LSTMCell`` returns it: one tensor is
    h, two are (h, c). A call whose ops already carry a step (a library layer or cell inside: those are the
    recurrence) is not a cell's, nor one that returns more than two tensors, or reads no input besides its own
    output (``mlp(mlp(x))``).

    >>> import tinygrad_rnn as tr
    >>> class MyCell(tr.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.W_x, self.W_h = tr.nn.Linear(2, 3), tr.nn.Linear(3, 3, bias=False)
    ...     def forward(self, x, h):
    ...         return (self.W_x(x) + self.W_h(h)).tanh()
    >>> cell, h = MyCell(), tr.zeros(1, 3)
    >>> for t in range(3):
    ...     h = cell(tr.randn(1, 2), h)
    >>> h.grad_fn.step.t, h.grad_fn.scope, [name for _, name in h.grad_fn.step.chain.initial]
    (3, ('My', 'layer 0', 'forward', 't=3'), ['h_0'])
    >>> class MyLSTMCell(tr.nn.Module):
    ...     def forward(self, x, state):
    ...         h, c = state
    ...         c = (x + h).sigmoid() * c
    ...         return c.tanh(), c
    >>> cell, (h, c) = MyLSTMCell(), (tr.zeros(1, 3), tr.zeros(1, 3))
    >>> for t in range(3):
    ...     h, c = cell(tr.randn(1, 3, requires_grad=True), (h, c))
    >>> h.name, c.name, c.grad_fn.step.t, [name for _, name in h.grad_fn.step.chain.initial]
    ('h', 'c', 3, ['h_0', 'c_0'])
    """
    if STATE.step is not None:
        return module.forward(*args, **kwargs)
    handed = [*args, *kwargs.values()]  # (by place: one call's argument is matched with the next call's)
    for state in handed:
        if isinstance(state, Tensor):
            found = step_that_made(state)
            if continues(found, module, 0, "forward", None):
                with _cell_call(found.chain, found.t + 1):
                    return _named_states(module, module.forward(*args, **kwargs))
        elif isinstance(state, (tuple, list)):  # (h, c): its tensors looked at after the arguments, as if handed so
            handed.extend(state)
    last = _LAST_CALLS.get(module)
    chain = None if last is None else _first_call_as_step(module, last, handed)
    if chain is not None:
        with _cell_call(chain, 2):
            return _named_states(module, module.forward(*args, **kwargs))
    first, outer = next(SEQUENCE_NUMBERS), STATE.scope
    output = module.forward(*args, **kwargs)
    returned = output if isinstance(output, (tuple, list)) else (output,)
    made = [weakref.ref(value._node) if isinstance(value, Tensor) and value._node is not None else None
            for value in returned]  # (in the order returned: h, then c)
    leaves = [value if isinstance(value, Tensor) and value.grad_fn is None else None  # (no op made it: h_0, if fed)
              for value in handed]
    _LAST_CALLS[module] = (first, next(SEQUENCE_NUMBERS), outer, made, leaves)
    return output


# a module's last call not (yet) a cell's step, kept beside the module (nothing written on it, so it pickles as
# before): (sequence numbers of the ops it recorded, from, to; the scope around it; weak references to the Nodes
# it returned; the tensors no op made that it was handed — the h_0 of a cell, once fed back)
_LAST_CALLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _first_call_as_step(module: Any, last: tuple, handed: list) -> Chain | None:
    """Where one of the tensors ``handed`` to this call is what the module's last call returned: that call's ops
    (those recorded during it, found back from what it returned) marked step 1 of a new chain, in the scopes a
    cell's call is recorded in, and the tensors it was handed in the fed places, if no op made them, the chain's h_0
    (c_0). One state fed back is h; two are (h, c) where the call returned just those two, in that order."""
    if sum(isinstance(value, Tensor) for value in handed) < 2:  # (mlp(mlp(x)) reads no input)
        return None
    first, end, outer, made, leaves = last
    outputs = [None if reference is None else reference() for reference in made]
    fed = {}  # {place among the arguments: the place among what the call returned of the state handed there}
    for index, state in enumerate(handed):
        node = (state._node or cut_from(state)) if isinstance(state, Tensor) else None
        for place, output in enumerate(outputs):
            if node is not None and node is output:
                fed[index] = place
    places = sorted(set(fed.values()))
    if len(places) != len(fed) or not 0 < len(places) <= len(STATE_NAMES) or len(places) > 1 and len(outputs) != 2:
        return None  # (each state handed back once; two of them only where the call returned just those: h, c)
    names = tuple(STATE_NAMES[places.index(place)] if place in places else None for place in range(len(outputs)))
    inside, stack, seen = [], [node.grad_fn for node in outputs if node is not None], set()
    while stack:
        function = stack.pop()
        if id(function) in seen or not first < function.sequence_nr < end:
            continue
        if function.step is not None:
            return None  # a recurrence of the library's inside: that is the cell, not this module
        seen.add(id(function))
        inside.append(function)
        stack.extend(parent.grad_fn for parent in function.parents if isinstance(parent, Node))
    if not inside:  # (it returned what it was handed: no op of its own to be a step)
        return None
    name = type(module).__name__.removesuffix("Cell") or "Cell"  # "MyCell": drawn "My cell", as "RNN cell"
    chain = Chain(name, 0, "forward", id(module))
    for function in inside:
        function.step = Step(chain, 1)
        function.scope = (*outer, name, "layer 0", "forward", "t=1", *function.scope[len(outer):])
    for index, place in sorted(fed.items(), key=lambda item: item[1]):  # h_0, then c_0
        given = leaves[index] if index < len(leaves) else None
        if given is not None and not given.name:
            chain.initial += ((given, f"{names[place]}_0"),)
        _named(handed[index], names[place])
    _STATE_PLACES[module] = names
    return chain


STATE_NAMES = ("h", "c")  # a cell's states, in the order nn.LSTMCell returns them: the figure's h_t, c_t
# {a user's cell: the name of each thing its call returns, None where it is no state fed back ((y, h): (None, "h"))}
_STATE_PLACES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _named_states(module: Any, output: Any) -> Any:
    """A cell's states named as the library's cells name theirs (the figure's h_t, c_t), by their places among what
    its call returns (:data:`_STATE_PLACES`); a name the user gave is kept."""
    names = _STATE_PLACES.get(module, ("h",))
    for value, name in zip(output if isinstance(output, (tuple, list)) else (output,), names):
        if name is not None:
            _named(value, name)
    return output


def _named(value: Any, name: str) -> None:
    if isinstance(value, Tensor) and not value.name:
        value.name = name
