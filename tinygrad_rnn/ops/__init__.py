"""The op set: every differentiable operation, one small class each, grouped by kind.

* :mod:`.elementwise` — + − × ÷, pow, exp, log, sqrt, abs, tanh, sigmoid, relu, clamp,
  maximum, minimum, where, lerp
* :mod:`.compare` — comparisons, logic and sign: masks, no gradient
* :mod:`.reduce` — sum, mean, var, max, min, norm, logsumexp, softmax, log_softmax; ``sum_to``
  (a broadcast gradient summed back to its input's shape)
* :mod:`.shape` — reshape, permute, broadcast, indexing, cat, stack, split
* :mod:`.trigonometric` — sin, cos
* :mod:`.linalg` — matmul, and the op ``Linear`` (x Wᵀ + b; the function is nn.functional's ``linear``)
* :mod:`.convert` — dtype and device conversion, clone
* :mod:`.composite` — PyTorch's conveniences made of the ops above (narrow, repeat, topk, mm,
  bmm, masked_fill, t): no backward of their own

The lowercase functions accept Tensors (and record the op) or plain arrays (and just compute);
that is how each op's backward, written with them, serves both backward modes. Each forward is
plain NumPy (CuPy on the GPU): ``xp.exp(x)`` — ``xp = array_module(x)``, from device.py, is
the module of x's array — and ``a @ b``. An RNN, LSTM or GRU step as one op, and a
whole layer as one, are not here: they are the recurrent stepper of ``tinygrad_rnn/fast/``.
"""

# Each module names what it exports (its ``__all__``): the functions that record an op, forward and
# backward written in its class beside them.
from .compare import *  # noqa: F403
from .composite import *  # noqa: F403
from .convert import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .linalg import *  # noqa: F403
from .reduce import *  # noqa: F403
from .shape import *  # noqa: F403
from .trigonometric import *  # noqa: F403
