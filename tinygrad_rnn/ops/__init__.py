"""The op set: every differentiable operation, one small class each, grouped by kind.

* :mod:`.elementwise` — + − × ÷, pow, exp, log, sqrt, abs, tanh, sigmoid, relu, clamp,
  maximum, minimum, where, comparisons
* :mod:`.reduce` — sum, mean, var, max, min, logsumexp, softmax, log_softmax
* :mod:`.shape` — reshape, permute, broadcast, indexing, cat, stack, split
* :mod:`.linalg` — matmul
* :mod:`.convert` — dtype and device conversion

The lowercase functions accept Tensors (and record the op) or plain arrays (and just compute);
that is how each op's backward, written with them, serves both backward modes.
"""

from .convert import cast, to_device  # noqa: F401
from .elementwise import (  # noqa: F401
    abs,
    add,
    add_n,
    clamp,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    logical_and,
    logical_not,
    logical_or,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    relu,
    sigmoid,
    sign,
    sqrt,
    sub,
    tanh,
    where,
)
from .linalg import matmul  # noqa: F401
from .reduce import (  # noqa: F401
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    softmax,
    std,
    sum,
    var,
)
from .shape import (  # noqa: F401  (shape first: the other modules build on it)
    broadcast_to,
    cat,
    chunk,
    expand,
    flatten,
    getitem,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    sum_to,
    transpose,
    unbind,
    unsqueeze,
)
