"""Stateless functions behind the layers, as ``torch.nn.functional``: ``linear``, ``embedding``,
``dropout``; the activations ``relu``, ``tanh``, ``sigmoid``, ``softmax``, ``log_softmax``;
``one_hot``; the losses ``nll_loss``, ``cross_entropy``, ``mse_loss``,
``binary_cross_entropy_with_logits`` and ``perplexity``.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..conversion import as_dtype
from ..creation import generator
from ..device import array_module, move_array
from ..engine import vertex_of
from ..errors import ShapeError
from ..ops import cast, stack
from ..ops import log_softmax as _log_softmax
from ..ops import relu as _relu
from ..ops import sigmoid as _sigmoid
from ..ops import softmax as _softmax
from ..ops import tanh as _tanh
from ..ops.linalg import Linear
from ..ops.reduce import CrossEntropy
from ..ops.shape import Embedding
from ..tensor import Tensor

__all__ = [
    "linear", "embedding", "dropout", "relu", "tanh", "sigmoid", "softmax", "log_softmax", "one_hot", "nll_loss",
    "cross_entropy", "perplexity", "mse_loss", "binary_cross_entropy_with_logits",
]


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, for x of shape (…, in) and W of shape (out, in).

    One op (``Linear``), not a transpose, a product and a sum: every layer and every RNN time
    step uses it.

    >>> import tinygrad_rnn as tr
    >>> linear(tr.ones(2, 3), tr.ones(4, 3)).shape
    (2, 4)
    """
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
        raise ShapeError(f"linear: input has {x.shape[-1] if x.ndim else 0} features (shape {x.shape}) but the "
                         f"weight (out_features, in_features) has shape {weight.shape}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"linear: the bias must have shape ({weight.shape[0]},), one per output feature; "
                         f"got {bias.shape}")
    check_input_dtype("linear", x, weight)
    parameters = (weight,) if bias is None else (weight, bias)
    if x.ndim == 1:  # one sample: as a batch of one, then back
        return Linear.apply(x.unsqueeze(0), *parameters).squeeze(0)
    return Linear.apply(x, *parameters)


def check_input_dtype(name: str, x: Tensor, weight: Tensor, module: str = "layer") -> None:
    """The input of a layer must have its weights' dtype. Integers are most likely token ids, which
    an Embedding turns into vectors; other floats are converted explicitly (PyTorch refuses to mix them too).

    >>> import tinygrad_rnn as tr
    >>> check_input_dtype("LSTM", tr.tensor([[1, 2, 3]]), tr.ones(2, 3))
    Traceback (most recent call last):
    ...
    TypeError: LSTM: the input holds integers (int64, shape (1, 3)), which look like token ids; ...
    """
    if x.dtype is weight.dtype or x.dtype == weight.dtype:  # (is: NumPy 2's == costs ~0.1 µs)
        return
    if x.dtype.kind in "iub":
        raise TypeError(f"{name}: the input holds integers ({x.dtype}, shape {x.shape}), which look like token ids; "
                        f"this {module} takes vectors of {weight.dtype}. Turn ids into vectors with an "
                        "nn.Embedding(num_embeddings, embedding_dim) first, or, if they are feature values, "
                        f"convert them with x.to('{weight.dtype}')")
    raise TypeError(f"{name}: input is {x.dtype} but the weights are {weight.dtype}; convert one, e.g. "
                    f"x.to('{weight.dtype}') or {module}.to(dtype='{x.dtype}')")


def padding_row(padding_idx: int, rows: int, op: str = "embedding") -> int:
    """The row ``padding_idx`` names in a table of ``rows``: PyTorch's range, a negative one counted from
    the end.

    >>> padding_row(-1, 5)
    4
    """
    if not -rows <= padding_idx < rows:
        raise IndexError(f"{op}: padding_idx must lie in [-{rows}, {rows}) for a table of {rows} rows, "
                         f"got {padding_idx}")
    return padding_idx % rows


def embedding(ids: Any, weight: Tensor, padding_idx: int | None = None, chosen_from: Tensor | None = None) -> Tensor:
    """Rows of ``weight`` picked by integer ``ids``: a lookup whose gradient is scattered back,
    summed where an id repeats. Rows at ``padding_idx`` get no gradient.

    ``chosen_from``: at generation, the scores the ids were chosen from (the logits of the step
    before). Ids made by ``scores.argmax(-1)`` or ``tr.multinomial`` know it without being told.
    No gradient flows through a choice; the graph keeps the link for drawings only, which draw it
    as a dashed edge ŷ_t → the next step's input, labelled with how the ids were chosen.

    >>> import tinygrad_rnn as tr
    >>> embedding(tr.tensor([[0, 2]]), tr.randn(3, 5)).shape
    (1, 2, 5)
    """
    ids = ids if isinstance(ids, Tensor) else Tensor(ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding: ids must be integers, got {ids.dtype}; convert them with .long()")
    if padding_idx is not None:
        padding_idx = padding_row(padding_idx, weight.shape[0])
    if ids.numel() and not all_below(ids.array, weight.shape[0]):
        raise IndexError(f"embedding: ids must lie in [0, {weight.shape[0]}); got values from "
                         f"{int(ids.array.min())} to {int(ids.array.max())}")
    if chosen_from is not None and not isinstance(chosen_from, Tensor):
        raise TypeError(f"embedding: chosen_from must be the Tensor of scores the ids were chosen from, got "
                        f"{type(chosen_from).__name__}")
    chosen_by = "argmax"
    if chosen_from is None and getattr(ids, "_choice", None) is not None:
        chosen_from, chosen_by = ids._choice
    chosen_from = None if chosen_from is None else vertex_of(chosen_from)
    return Embedding.apply(weight, ids=ids.array, padding_idx=padding_idx, ids_name=ids.name, chosen_from=chosen_from,
                           chosen_by=chosen_by)


def all_below(ids: Any, limit: int) -> bool:
    """Whether every integer in ``ids`` lies in [0, limit), in one reduction: read as unsigned
    integers of the same size, a negative id is larger than any limit, so the maximum alone
    decides (min and max would be two passes; this runs for every batch's ids and targets).

    >>> import numpy as np
    >>> all_below(np.array([0, 3]), 4), all_below(np.array([-1, 3]), 4), all_below(np.array([4]), 4)
    (True, False, False)
    """
    if ids.dtype.kind == "i":
        ids = ids.view(f"u{ids.dtype.itemsize}")
    return int(ids.max()) < limit


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each entry with probability p and scale the rest by 1/(1 − p) (inverted dropout), so
    that the expected value is unchanged; the identity when not training.

    >>> import tinygrad_rnn as tr
    >>> dropout(tr.ones(4), 0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = generator().random(x.shape) >= p
    mask = Tensor._make(move_array((keep / (1.0 - p)).astype(x.dtype), x.device))
    return x * mask


# --- activations: the ops of tinygrad_rnn.ops, where their gradients are, by PyTorch's names here ------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x), elementwise (``inplace`` is accepted and ignored: the result is always new).

    >>> import tinygrad_rnn as tr
    >>> relu(tr.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """
    return _relu(input)


def tanh(input: Tensor) -> Tensor:
    """tanh(x), elementwise.

    >>> import tinygrad_rnn as tr
    >>> tanh(tr.tensor([0.0])).tolist()
    [0.0]
    """
    return _tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^(−x)), elementwise.

    >>> import tinygrad_rnn as tr
    >>> sigmoid(tr.tensor([0.0])).tolist()
    [0.5]
    """
    return _sigmoid(input)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """exp(x) / Σ exp(x) along ``dim`` (computed in ``dtype`` if given, as PyTorch).

    >>> import tinygrad_rnn as tr
    >>> softmax(tr.tensor([[0.0, 0.0]]), dim=-1).tolist()
    [[0.5, 0.5]]
    """
    return _softmax(input if dtype is None else cast(input, as_dtype(dtype)), dim)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """x − log Σ exp(x) along ``dim``: log-probabilities, for ``nll_loss``.

    >>> import tinygrad_rnn as tr
    >>> round(log_softmax(tr.tensor([0.0, 0.0]), dim=0)[0].item(), 4)
    -0.6931
    """
    return _log_softmax(input if dtype is None else cast(input, as_dtype(dtype)), dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer class ids → vectors with a 1 at the id: shape (…,) → (…, num_classes), int64, as
    PyTorch (``num_classes=-1``: one more than the largest id). No gradient: ids are not learned.

    >>> import tinygrad_rnn as tr
    >>> one_hot(tr.tensor([2, 0]), 3).tolist()
    [[0, 0, 1], [1, 0, 0]]
    """
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        what = f"a tensor of dtype {tensor.dtype}" if isinstance(tensor, Tensor) else type(tensor).__name__
        raise TypeError(f"one_hot: expects integer class ids, got {what}; convert them with .long()")
    ids = tensor.array
    if ids.size and int(ids.min()) < 0:
        raise ValueError(f"one_hot: class ids must be non-negative, got {int(ids.min())}")
    largest = int(ids.max()) if ids.size else -1
    if num_classes == -1:
        if not ids.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass num_classes")
        num_classes = largest + 1
    if largest >= num_classes:
        raise ValueError(f"one_hot: class id {largest} does not fit num_classes={num_classes} (ids go from 0 to "
                         f"num_classes − 1)")
    xp = array_module(ids)
    return Tensor._make((ids[..., None] == xp.arange(num_classes)).astype(xp.int64))


# --- losses -------------------------------------------------------------------------------------------


def nll_loss(log_probs: Tensor, target: Any, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of integer targets: −log p[target], as ``torch.nn.functional.nll_loss``.

    ``log_probs`` is (N, C), (N, C, d₁, …) with the classes in dimension 1, or (C,); ``target`` has
    the same shape without C. Targets equal to ``ignore_index`` (padding) count for nothing, and
    the mean is over the others.

    >>> import tinygrad_rnn as tr
    >>> logp = tr.tensor([[0.5, 0.5], [0.9, 0.1]]).log()
    >>> round(nll_loss(logp, tr.tensor([0, 1])).item(), 4)
    1.4979
    """
    target = target if isinstance(target, Tensor) else Tensor(target)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"nll_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: targets must be integer class indices, got {target.dtype}; use .long()")
    if log_probs.ndim == 1:
        log_probs, target = log_probs.unsqueeze(0), target.reshape(1)
    classes = log_probs.shape[1]
    expected = (log_probs.shape[0],) + log_probs.shape[2:]
    if target.shape != expected:
        raise ShapeError(f"nll_loss: input of shape {log_probs.shape} (classes in dimension 1) needs targets of "
                         f"shape {expected}, got {target.shape}")
    flat = log_probs.permute(0, *range(2, log_probs.ndim), 1).reshape(-1, classes)  # (M, C)
    labels = target.array.reshape(-1)
    keep = labels != ignore_index
    if keep.any() and (int(labels[keep].min()) < 0 or int(labels[keep].max()) >= classes):
        raise IndexError(f"nll_loss: targets must lie in [0, {classes}) (or equal ignore_index={ignore_index}); "
                         f"got values from {int(labels[keep].min())} to {int(labels[keep].max())}")
    safe = labels * keep  # ignored positions read class 0, then count for nothing
    rows = Tensor(array_module(labels).arange(labels.shape[0]), name="rows")  # (named: a drawing says what they are)
    picked = flat[rows, Tensor(safe, name="targets")]
    weights = Tensor(keep.astype(flat.dtype), name="counted (not ignore_index)")
    losses = -picked * weights
    if reduction == "none":
        return losses.reshape(*expected)
    total = losses.sum()
    if reduction == "sum":
        return total
    if not keep.any():
        return total * float("nan")  # nothing to average: NaN, as PyTorch
    count = weights.sum()
    count.name = "count"
    return total / count


def cross_entropy(input: Tensor, target: Any, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """−log softmax(input)[target]: the loss of a classifier or language model given logits, as
    ``torch.nn.functional.cross_entropy`` (classes in dimension 1; ``ignore_index`` for padding).

    >>> import tinygrad_rnn as tr
    >>> round(cross_entropy(tr.tensor([[2.0, 0.0, 0.0]]), tr.tensor([0])).item(), 4)
    0.2395
    """
    target = target if isinstance(target, Tensor) else Tensor(target)
    counted = None if input.ndim != 2 else cross_entropy_targets(input.shape, input.dtype, target.array,
                                                                 ignore_index, reduction)
    if counted is not None:  # one op: log-softmax and NLL together, softmax − one-hot as its gradient
        (loss,) = CrossEntropy.apply(input, **counted)
        return loss
    dim = 1 if input.ndim > 1 else 0  # other shapes, reductions and every error: through nll_loss
    return nll_loss(input.log_softmax(dim), target, ignore_index, reduction)


def cross_entropy_targets(shape: tuple[int, ...], dtype: Any, labels: Any, ignore_index: int = -100,
                          reduction: str = "mean") -> dict[str, Any] | None:
    """The parameters of the one CrossEntropy op for logits of ``shape`` (N, C) and ``dtype``, given the
    target classes ``labels`` (an array): ``targets``, ``weights`` (None when every target counts) and
    ``count`` (n of a mean, 1 of a sum) — or None where that op does not apply (other shapes and
    reductions, a target out of range: ``nll_loss`` takes those, and says what is wrong). fast/'s head
    and loss node takes them too.

    >>> import numpy
    >>> cross_entropy_targets((3, 5), numpy.float32, numpy.array([0, 2, 4]), ignore_index=0)["count"]  # one ignored
    2.0
    """
    rows, classes = shape
    if reduction not in ("mean", "sum") or labels.shape != (rows,) or labels.dtype.kind not in "iu" or rows == 0:
        return None
    if not 0 <= ignore_index < classes and all_below(labels, classes):
        # every target counts, none can be ignored: one reduction (this runs every training step)
        valid, targets, weights, counted = True, labels, None, labels.size
    elif int(labels.min()) <= ignore_index <= int(labels.max()):  # some targets may be ignored: they weigh 0
        keep = labels != ignore_index
        valid = bool(keep.any()) and int(labels[keep].min()) >= 0 and int(labels[keep].max()) < classes
        targets, weights, counted = labels * keep, keep.astype(dtype), keep.sum()
    else:  # every target counts, if every one is a class
        valid = all_below(labels, classes)
        targets, weights, counted = labels, None, labels.size
    if not valid:
        return None
    return {"targets": targets, "weights": weights, "count": float(counted) if reduction == "mean" else 1.0}


def perplexity(input: Tensor, target: Any, ignore_index: int = -100) -> Tensor:
    """exp(mean cross-entropy): the average number of choices a language model hesitates between.

    >>> import tinygrad_rnn as tr
    >>> round(perplexity(tr.zeros(4, 10), tr.tensor([1, 2, 3, 4])).item(), 3)   # uniform over 10
    10.0
    """
    return cross_entropy(input, target, ignore_index).exp()


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (input − target)².

    >>> import tinygrad_rnn as tr
    >>> mse_loss(tr.tensor([1.0, 3.0]), tr.tensor([0.0, 1.0])).item()
    2.5
    """
    _warn_if_broadcast("mse_loss", input, target)
    return _reduce((input - target) ** 2, reduction, "mse_loss")


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """−[t log σ(x) + (1 − t) log(1 − σ(x))], computed stably as softplus(x) − t·x with
    softplus(x) = logsumexp(0, x).

    >>> import tinygrad_rnn as tr
    >>> round(binary_cross_entropy_with_logits(tr.tensor([0.0]), tr.tensor([1.0])).item(), 4)
    0.6931
    """
    _warn_if_broadcast("binary_cross_entropy_with_logits", input, target)
    zeros = Tensor._make(array_module(input.array).zeros_like(input.array))
    softplus = stack([zeros, input]).logsumexp(0)
    return _reduce(softplus - input * target, reduction, "binary_cross_entropy_with_logits")


def _warn_if_broadcast(name: str, input: Tensor, target: Any) -> None:
    """A target of another shape broadcasts against the input — (4, 1) against (4,) makes 16 terms
    out of 4 — which is almost never meant. PyTorch warns; so do we, with both shapes."""
    shape = tuple(getattr(target, "shape", input.shape))
    if shape != tuple(input.shape) and shape != ():
        warnings.warn(f"{name}: the target has shape {shape} and the input {tuple(input.shape)}; they broadcast "
                      "to another shape, which is likely wrong. Give both the same shape (e.g. "
                      "input.squeeze(-1) or target.unsqueeze(-1)).", stacklevel=3)


def _reduce(losses: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
