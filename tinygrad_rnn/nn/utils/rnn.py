"""Packing variable-length batches, as ``torch.nn.utils.rnn``.

A batch of sequences of different lengths is stored padded, (T, B, *) — or packed: the rows of
all sequences still running at step 0, then at step 1, …, with the sequences sorted longest first:

    padded (T=3, B=2), lengths [3, 1]        packed data          batch_sizes
      t=0:  a0  b0                             a0 b0  (step 0)      [2,
      t=1:  a1  ·                              a1     (step 1)       1,
      t=2:  a2  ·                              a2     (step 2)       1]

Both directions are one gather (``x[index]``), so gradients flow through them to ``data`` and
to the padded input. ``nn.RNN/LSTM/GRU`` accept a PackedSequence and return one: they unpack it
to a padded batch and its lengths, run it as ``lengths=`` does (the masks ``t ≤ lengths``, see
nn/recurrent.py) and pack the output again, so a packed run is drawn like a run with lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy

from ... import creation
from ...ops import cat, getitem
from ...tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence", "pack_sequence",
           "unpad_sequence", "unpack_sequence"]

PADDING = "padding"  # the name of the row read past a sequence's end: drawings fold it (viz/running_masks.py)


class PackedSequence(NamedTuple):
    """A packed batch: ``data`` (Σ lengths, *) holds, step by step, the rows of the sequences still
    running; ``batch_sizes[t]`` how many run at step t (an int64 CPU tensor); ``sorted_indices``
    the batch order (longest first) the rows follow, ``unsorted_indices`` its inverse — both None
    when the batch came sorted (``enforce_sorted=True``).

    >>> import tinygrad_rnn as tr
    >>> from tinygrad_rnn.nn.utils.rnn import pack_sequence
    >>> packed = pack_sequence([tr.tensor([1, 2]), tr.tensor([3, 4, 5])], enforce_sorted=False)
    >>> packed.data.tolist(), packed.batch_sizes.tolist(), packed.sorted_indices.tolist()
    ([3, 1, 4, 2, 5], [2, 2, 1], [1, 0])
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same packing with ``data.to(...)`` (a device, a dtype); the indices follow the data's
        device, batch_sizes stays on the CPU, as in PyTorch."""
        data = self.data.to(*args, **kwargs)
        indices = [None if i is None else i.to(data.device) for i in (self.sorted_indices, self.unsorted_indices)]
        return PackedSequence(data, self.batch_sizes, *indices)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) — (B, T, *) with batch_first — whose sequence b has
    ``lengths[b]`` steps. With ``enforce_sorted`` the lengths must be decreasing; otherwise the
    batch is sorted here, and ``sorted_indices`` records how.

    >>> import tinygrad_rnn as tr
    >>> padded = tr.tensor([[1, 2], [3, 0], [5, 0]])   # (T=3, B=2): lengths 3 and 1
    >>> pack_padded_sequence(padded, [3, 1]).data.tolist()
    [1, 2, 3, 5]
    """
    _check_tensor("pack_padded_sequence", input, "input", min_dims=2)
    steps, batch = input.shape[:2][::-1] if batch_first else input.shape[:2]
    lengths = _lengths_array("pack_padded_sequence", lengths, batch, steps, batch_first)
    if enforce_sorted:
        if (numpy.diff(lengths) > 0).any():
            raise ValueError(f"pack_padded_sequence: lengths must be in decreasing order when enforce_sorted=True, "
                             f"got {lengths.tolist()}; pass enforce_sorted=False to have them sorted here")
        order, sorted_indices, unsorted_indices = numpy.arange(batch), None, None
    else:
        order = numpy.argsort(-lengths, kind="stable")  # longest first; equal lengths keep their order
        sorted_indices = creation.tensor(order, device=input.device)
        unsorted_indices = creation.tensor(numpy.argsort(order), device=input.device)
    batch_sizes = (lengths[None, :] > numpy.arange(lengths.max())[:, None]).sum(1)
    return PackedSequence(_gather_packed_rows(input, batch_sizes, order, batch_first),
                          creation.tensor(batch_sizes.astype(numpy.int64)), sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: (padded, lengths), the padded batch (T, B, *) — (B, T, *)
    with batch_first — in the original batch order, T the longest length (or ``total_length``),
    padded with ``padding_value``; lengths an int64 CPU tensor.

    >>> import tinygrad_rnn as tr
    >>> packed = pack_padded_sequence(tr.tensor([[1, 2], [3, 0], [5, 0]]), [3, 1])
    >>> padded, lengths = pad_packed_sequence(packed, batch_first=True, padding_value=-1)
    >>> padded.tolist(), lengths.tolist()
    ([[1, 3, 5], [2, -1, -1]], [3, 1])
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}; a padded "
                        "tensor needs no unpacking")
    batch_sizes = sequence.batch_sizes.numpy()
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None and total_length < steps:
        raise ValueError(f"pad_packed_sequence: total_length={total_length} is shorter than the longest sequence "
                         f"({steps} steps); pass at least {steps}, or None")
    lengths = (batch_sizes[None, :] > numpy.arange(batch)[:, None]).sum(1)  # of the sorted batch
    # positions[t, i]: the row of data holding step t of the i-th longest sequence; len(data) (the
    # padding row appended below) where that sequence has ended
    first_row = numpy.cumsum(batch_sizes) - batch_sizes
    positions = numpy.full((total_length or steps, batch), sequence.data.shape[0])
    for t, (start, size) in enumerate(zip(first_row, batch_sizes)):
        positions[t, :size] = start + numpy.arange(size)
    if sequence.unsorted_indices is not None:  # back to the order the batch came in
        unsorted = sequence.unsorted_indices.numpy()
        positions, lengths = positions[:, unsorted], lengths[unsorted]
    padded = _gather_rows(sequence.data, positions.T if batch_first else positions, padding_value)
    return padded, creation.tensor(lengths.astype(numpy.int64))


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_b, *) into one padded batch (T, B, *) — (B, T, *) with
    batch_first — T the longest L_b; the padding goes after each sequence (``padding_side="right"``)
    or before it ("left").

    >>> import tinygrad_rnn as tr
    >>> pad_sequence([tr.tensor([1, 2, 3]), tr.tensor([4])], batch_first=True).tolist()
    [[1, 2, 3], [4, 0, 0]]
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: got no sequences; pass a list of tensors of shape (L, *)")
    for number, sequence in enumerate(sequences):
        _check_tensor("pad_sequence", sequence, f"sequences[{number}]", min_dims=1)
        if sequence.shape[1:] != sequences[0].shape[1:]:
            raise ValueError(f"pad_sequence: every sequence must have the same shape after its length; "
                             f"sequences[0] is {sequences[0].shape}, sequences[{number}] is {sequence.shape}")
    lengths = numpy.array([sequence.shape[0] for sequence in sequences])
    steps, first_row = int(lengths.max()), numpy.cumsum(lengths) - lengths
    rows = cat(sequences)  # (Σ L_b, *): the padding row is appended after them
    positions = numpy.full((steps, len(sequences)), rows.shape[0])
    for b, (start, length) in enumerate(zip(first_row, lengths)):
        begin = steps - length if padding_side == "left" else 0
        positions[begin:begin + length, b] = start + numpy.arange(length)
    return _gather_rows(rows, positions.T if batch_first else positions, padding_value)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_b, *): ``pack_padded_sequence(pad_sequence(sequences), lengths)``.

    >>> import tinygrad_rnn as tr
    >>> pack_sequence([tr.tensor([1, 2, 3]), tr.tensor([4])]).batch_sizes.tolist()
    [2, 1, 1]
    """
    padded = pad_sequence(sequences)
    lengths = [sequence.shape[0] for sequence in sequences]
    return pack_padded_sequence(padded, lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """Undo :func:`pad_sequence`: the list of sequences (L_b, *), cut from the padded batch.

    >>> import tinygrad_rnn as tr
    >>> [s.tolist() for s in unpad_sequence(tr.tensor([[1, 2, 3], [4, 0, 0]]), [3, 1], batch_first=True)]
    [[1, 2, 3], [4]]
    """
    _check_tensor("unpad_sequence", padded_sequences, "padded_sequences", min_dims=2)
    steps, batch = padded_sequences.shape[:2][::-1] if batch_first else padded_sequences.shape[:2]
    lengths = _lengths_array("unpad_sequence", lengths, batch, steps, batch_first)
    by_batch = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [by_batch[b, :length] for b, length in enumerate(lengths.tolist())]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Undo :func:`pack_sequence`: the list of sequences (L_b, *), in the order they were packed.

    >>> import tinygrad_rnn as tr
    >>> [s.tolist() for s in unpack_sequence(pack_sequence([tr.tensor([1]), tr.tensor([2, 3])], False))]
    [[1], [2, 3]]
    """
    return unpad_sequence(*pad_packed_sequence(packed_sequences, batch_first=True), batch_first=True)


def repack(padded: Tensor, like: PackedSequence, batch_first: bool = False) -> PackedSequence:
    """Pack a padded batch (in the original batch order) the way ``like`` is packed: what a
    recurrent layer does to its output when its input came packed."""
    order = numpy.arange(int(like.batch_sizes[0].item())) if like.sorted_indices is None else \
        like.sorted_indices.numpy()
    return PackedSequence(_gather_packed_rows(padded, like.batch_sizes.numpy(), order, batch_first),
                          like.batch_sizes, like.sorted_indices, like.unsorted_indices)


def _gather_packed_rows(padded: Tensor, batch_sizes: numpy.ndarray, order: numpy.ndarray, batch_first: bool) -> Tensor:
    """The packed data: at each step t, the rows of the first batch_sizes[t] sequences in ``order``."""
    steps = numpy.repeat(numpy.arange(len(batch_sizes)), batch_sizes)
    sequences = numpy.concatenate([order[:size] for size in batch_sizes])
    return getitem(padded, (sequences, steps) if batch_first else (steps, sequences))


def _gather_rows(rows: Tensor, positions: numpy.ndarray, padding_value: float) -> Tensor:
    """rows[positions], where the position len(rows) reads a row of ``padding_value``."""
    padding = creation.full((1, *rows.shape[1:]), padding_value, dtype=rows.dtype, device=rows.device)
    padding.name = PADDING  # so a drawing says what this constant is
    return getitem(cat([rows, padding]), positions)


def _lengths_array(op: str, lengths: Any, batch: int, steps: int, batch_first: bool) -> numpy.ndarray:
    """``lengths`` (a list, an array or an integer tensor) as an int64 array, checked."""
    lengths = numpy.asarray(lengths.numpy() if isinstance(lengths, Tensor) else lengths)
    layout = "(B, T, *)" if batch_first else "(T, B, *)"
    if lengths.shape != (batch,) or lengths.dtype.kind not in "iu":
        raise ValueError(f"{op}: lengths must be {batch} integers, one per sequence of the batch {layout}, got "
                         f"{lengths.dtype} of shape {lengths.shape}")
    if batch == 0:
        raise ValueError(f"{op}: the batch has no sequences; it needs at least one")
    if lengths.min() < 1 or lengths.max() > steps:
        raise ValueError(f"{op}: every length must be in [1, {steps}] (T={steps} steps in the batch {layout}), got "
                         f"{lengths.tolist()}")
    return lengths.astype(numpy.int64)


def _check_tensor(op: str, value: Any, what: str, min_dims: int) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(value).__name__}")
    if value.ndim < min_dims:
        raise ValueError(f"{op}: {what} must have at least {min_dims} dimensions, got shape {value.shape}")
