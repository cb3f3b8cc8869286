"""The op set: every differentiable operation, one small class each, grouped by kind.

* :mod:`.elementwise` — + − × ÷, pow, exp, log, sqrt, abs, tanh, sigmoid, relu, clamp,
  maximum, minimum, where, lerp
* :mod:`.compare` — comparisons, logic and sign: masks, no gradient
* :mod:`.reduce` — sum, mean, var, max, min, norm, logsumexp, softmax, log_softmax
* :mod:`.shape` — reshape, permute, broadcast, indexing, cat, stack, split
* :mod:`.trigonometric` — sin, cos
* :mod:`.linalg` — matmul
* :mod:`.convert` — dtype and device conversion, clone
* :mod:`.composite` — PyTorch's conveniences made of the ops above (narrow, repeat, topk, mm,
  bmm, masked_fill, t): no backward of their own

The lowercase functions accept Tensors (and record the op) or plain arrays (and just compute);
that is how each op's backward, written with them, serves both backward modes. Each forward is
plain NumPy (CuPy on the GPU): ``xp.exp(x)``, ``a @ b``. An RNN, LSTM or GRU step as one op, and a
whole layer as one, are not here: they are the recurrent stepper of ``tinygrad_rnn/fast/``.
"""

from .compare import eq, ge, gt, le, logical_and, logical_not, logical_or, lt, ne, sign  # noqa: F401
from .composite import bmm, masked_fill, mm, narrow, repeat, t, topk  # noqa: F401
from .convert import cast, clone, to_device  # noqa: F401
from .elementwise import (  # noqa: F401
    abs,
    add,
    add_n,
    clamp,
    div,
    exp,
    lerp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
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
    norm,
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
from .trigonometric import cos, sin  # noqa: F401
