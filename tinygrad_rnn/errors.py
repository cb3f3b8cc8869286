"""The errors tinygrad_rnn raises. Each derives from the built-in error a Python user would expect,
so ``except ValueError`` still works, and each message names the op, what it got and what to do —
naming values as :func:`describe` does."""

from __future__ import annotations

from typing import Any, NoReturn

import numpy


class DeviceError(RuntimeError):
    """A device is unavailable, unknown, or two devices were mixed in one op."""


class ShapeError(ValueError, RuntimeError):
    """An op got shapes it cannot combine. A ValueError, and a RuntimeError too: PyTorch raises
    RuntimeError for the same mistakes, so code written for it catches these as well."""


class GraphError(RuntimeError):
    """Backward cannot run: the graph was freed, the output is not scalar, nothing requires grad."""


class ReturnedGradientError(TypeError):
    """An op's backward returned, as a gradient, what the op contract does not allow: a list, a
    number, None for an input that needs a gradient, a mask, an array where a Tensor is due or the
    reverse. A TypeError: the value returned is of the wrong kind."""


class AnomalyError(FloatingPointError):
    """An op produced NaN or Inf while :func:`tinygrad_rnn.detect_anomaly` was active."""


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, truncated, or does not fit the model it is loaded into."""


def describe(value: Any) -> str:
    """How error messages name a value: ``Tensor(shape=(2, 3), float32, cpu, name='W')``, an
    array's type, shape and dtype, a number itself, or any other value's type.

    >>> describe(2.0), describe([1, 2])
    ('2.0', 'list')
    """
    if hasattr(value, "grad_fn") and hasattr(value, "array"):  # a tensor (errors.py sits below tensor_base.py)
        name = f", name={value.name!r}" if value.name else ""
        return f"Tensor(shape={tuple(value.shape)}, {value.dtype}, {value.device}{name})"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__}(shape={tuple(value.shape)}, {value.dtype})"
    return repr(value) if isinstance(value, (int, float, complex, str, type(None))) else type(value).__name__


def describe_inputs(inputs: tuple[Any, ...]) -> str:
    """'Tensor(shape=(2, 3), float32, cpu) and 2.0': how error messages name an op's inputs."""
    return " and ".join(map(describe, inputs))


def mixed_devices_error(function: Any, inputs: tuple[Any, ...], devices: set[Any]) -> DeviceError:
    """The error for an op given arrays on different ``devices``: tinygrad_rnn never copies between them
    silently (a GPU is needed to see it; tests/test_tensor.py checks it with a stand-in CuPy)."""
    names = " and ".join(sorted(str(device) for device in devices))
    return DeviceError(f"{function.name}: inputs are on different devices ({names}; shapes {describe_inputs(inputs)}). "
                       "Move them to one device first, e.g. x.to('gpu') or x.cpu(); tinygrad_rnn never copies "
                       "between devices silently.")


def forward_input_error(function: Any, inputs: tuple[Any, ...], error: Exception) -> Exception:
    """The error for an op whose forward rejected its inputs (NumPy raised ``error``), of the kind a
    Python user expects: a ShapeError for a ValueError, an IndexError for one, else a TypeError. It
    names the op, what it got and the op's ``hint`` (what its inputs must satisfy).

    >>> import tinygrad_rnn as tr
    >>> tr.ones(2) + tr.ones(3)
    Traceback (most recent call last):
    tinygrad_rnn.errors.ShapeError: add: cannot apply to Tensor(shape=(2,), float32, cpu) and
    Tensor(shape=(3,), float32, cpu). Shapes must broadcast as in NumPy: aligned from the right, each
    pair of sizes equal or one of them 1. (operands could not be broadcast together with shapes ...)
    """
    if raised_at_the_call(error):  # forward's own signature, not the inputs
        return TypeError(f"{function.name}: forward could not be called ({error}). It is called as forward(*inputs), "
                         f"one array (or number) per input: for {function.name}, with {len(inputs)} "
                         f"input{'s' if len(inputs) != 1 else ''}, def forward(self, {_argument_names(len(inputs))}) "
                         "— a method, with no ctx and no @staticmethod (PyTorch's forward(ctx, x) has one). See the "
                         "op contract in tinygrad_rnn/function.py.")
    hint = f" {function.hint}." if function.hint else ""
    message = f"{function.name}: cannot apply to {describe_inputs(inputs)}.{hint} ({error})"
    if isinstance(error, ValueError):
        return ShapeError(message)
    if isinstance(error, IndexError):
        return IndexError(message)
    return TypeError(message)  # (NumPy's own subclasses, e.g. a ufunc with no loop for a string, take other arguments)


def forward_output(function: Any, first: Any, out: Any) -> tuple[Any, Any]:
    """(the first output, all of them) of ``function``'s forward, for a first output that is not a NumPy
    array: a NumPy scalar, which NumPy's reductions return, made a 0-d array; a CuPy array as it is; anything
    else an error naming the op — a tuple from an op not declared ``multiple_outputs`` (PyTorch's Function
    needs no such flag), a Python number.

    >>> import tinygrad_rnn as tr
    >>> class Both(tr.Function):
    ...     def forward(self, x):
    ...         return x * 2, x * 3          # wrong: two outputs, not declared
    >>> Both.apply(tr.ones(2, requires_grad=True))
    Traceback (most recent call last):
    TypeError: forward of both returned a tuple of 2, not an array. An op with several outputs says so on its
    class, multiple_outputs = True: its backward then gets a tuple of gradients and a tuple of outputs. See
    the op contract in tinygrad_rnn/function.py.
    """
    several = function.multiple_outputs
    if isinstance(first, numpy.generic):
        first = numpy.asarray(first)
        return first, ((first, *out[1:]) if several else first)
    if hasattr(first, "shape") and hasattr(first, "dtype"):
        return first, out
    if isinstance(out, (tuple, list)) and not several:
        raise TypeError(f"forward of {function.name} returned a {type(out).__name__} of {len(out)}, not an array. An "
                        "op with several outputs says so on its class, multiple_outputs = True: its backward then gets "
                        "a tuple of gradients and a tuple of outputs. See the op contract in tinygrad_rnn/function.py.")
    raise TypeError(f"forward of {function.name} returned {describe(first)}"
                    f"{' as its first output' if several else ''}, not an array. Return a NumPy (or CuPy) array: "
                    "xp.asarray(value, dtype=x.dtype), xp = array_module(x). See the op contract in "
                    "tinygrad_rnn/function.py.")


def raise_backward_contract_error(function: Any, error: Exception, create_graph: bool) -> NoReturn:
    """Called by the walk where an op's backward raised ``error``, a TypeError (or an AttributeError:
    ``x.exp()`` on a stand-in; or a ValueError: ``grad /= …`` into a read-only grad): raises one of
    the same kind from it, naming the op, what failed, and what the op contract
    (tinygrad_rnn/function.py) gives its backward — the usual cause. Any other ValueError is not the
    contract's: it is raised again as it was (its own message is the right one). Only then is a message
    made: the walk catches the error around the call alone, which costs nothing until one is raised
    (what backward returned is checked after it, each wrong kind with its own error).

    >>> import tinygrad_rnn as tr
    >>> class Square(tr.Function):
    ...     saves_inputs = False              # wrong: backward reads x
    ...     def forward(self, x):
    ...         return x * x
    ...     def backward(self, grad, out, x):
    ...         return grad * 2 * x
    >>> Square.apply(tr.ones(2, requires_grad=True) * 1).sum().backward()
    Traceback (most recent call last):
    TypeError: backward of square failed (TypeError: ... 'Node'). square does not save input 0
    (saves_inputs = False): its backward gets a stand-in with only its shape, dtype and device
    (Node(shape=(2,), float32)). If backward reads its values, add 0 to saves_inputs (or set
    saves_inputs = True). See the op contract in tinygrad_rnn/function.py.
    """
    name, saves, text = function.name, function.saves_inputs, str(error)
    if isinstance(error, ValueError):  # NumPy's "output array is read-only", "assignment destination is read-only"
        if "read-only" not in text:
            raise error
        raise ValueError(f"backward of {name} failed ({type(error).__name__}: {error}): it wrote in place into an "
                         "array it was given (grad, or a saved value), which may be another use's gradient too. A "
                         "backward only reads them: write grad = grad / …, not grad /= …. See the op contract in "
                         "tinygrad_rnn/function.py.") from error
    unsaved = [i for i, vertex in enumerate(function.parents)  # tensors (Nodes, leaves), not constants
               if hasattr(vertex, "grad_fn") and saves is not True and (saves is False or i not in saves)]
    # Which argument broke it, from the type the error names: a stand-in Node (an input not saved; under
    # create_graph the output too), None (the output not saved), a Tensor (NumPy called on one) or an
    # array (a Tensor method, x.abs(), called on a plain backward's array); if none, every cause
    read_node, read_none, read_tensor = "Node" in text, "NoneType" in text, "Tensor" in text
    read_array = "ndarray" in text and isinstance(error, AttributeError)
    # or backward's own signature (without out, or more arguments than the op has inputs): the call itself failed
    miscalled = raised_at_the_call(error)
    unknown = not (read_node or read_none or read_tensor or read_array or miscalled)
    message = f"backward of {name} failed ({type(error).__name__}: {error})."
    if miscalled:
        count = len(function.parents)
        message += (f" backward is called as backward(grad, out, *inputs), one argument per input after grad and "
                    f"out: for {name}, with {count} input{'s' if count != 1 else ''}, def backward(self, grad, out, "
                    f"{_argument_names(count)}) (PyTorch's backward(ctx, grad) has no out).")
    if read_array:
        message += (" A plain backward gets arrays (NumPy or CuPy), which have no Tensor methods: call the "
                    "functions of tinygrad_rnn.ops instead, which take arrays and Tensors alike (ops.abs(x), "
                    "not x.abs()), or operators.")
    if unsaved and (read_node or unknown):
        positions = " and ".join(map(str, unsaved))
        # the stand-in itself: a computed input's Node, or the Node made for a leaf (not the leaf Tensor)
        stand_ins = ", ".join(f"Node(shape={tuple(function.parents[i].shape)}, {function.parents[i].dtype})"
                              for i in unsaved)
        message += (f" {name} does not save input {positions} (saves_inputs = {saves!r}): its backward gets a "
                    f"stand-in with only its shape, dtype and device ({stand_ins}). If backward reads its values, "
                    f"add {positions} to saves_inputs (or set saves_inputs = True).")
    # a Node read under create_graph: an unsaved input's stand-in where there is one (named alone above), else out
    if not function.saves_output and (read_none or (read_node and create_graph and not unsaved) or unknown):
        message += (f" {name} does not save its output (saves_output = False): backward's out is None "
                    "(a stand-in Node under create_graph=True). If backward reads it, set saves_output = True.")
    if create_graph and (read_tensor or unknown):
        message += (" With create_graph=True (gradgradcheck, and gradcheck's second run) backward gets Tensors: "
                    "write it with operators and tinygrad_rnn.ops functions (ops.exp(x), not numpy.exp(x)).")
    message += " See the op contract in tinygrad_rnn/function.py."
    # (NumPy's own TypeError subclasses take other arguments: a plain TypeError stands for them)
    raise (AttributeError(message) if isinstance(error, AttributeError) else TypeError(message)) from error


def grad_count_error(function: Any, gradients: tuple[Any, ...]) -> GraphError:
    """The error for an op whose backward returned more or fewer gradients than the op has inputs
    (the walk would otherwise pair them with the inputs and drop the extra ones, or misplace them).

    >>> import tinygrad_rnn as tr
    >>> class Twice(tr.Function):
    ...     def forward(self, x):
    ...         return 2 * x
    ...     def backward(self, grad, out, x):
    ...         return 2 * grad, None         # wrong: one input, two gradients
    >>> Twice.apply(tr.ones(2, requires_grad=True)).sum().backward()
    Traceback (most recent call last):
    tinygrad_rnn.errors.GraphError: backward of twice returned 2 gradients for its 1 input
    (Tensor(shape=(2,), float32, cpu)). Return one per input, in the inputs' order, None for one
    that needs none (a single value for an op of one input). See the op contract in
    tinygrad_rnn/function.py.
    """
    inputs, count = describe_inputs(tuple(function.parents)), len(function.parents)
    returned = f"{len(gradients)} gradient{'s' if len(gradients) != 1 else ''}"
    if len(gradients) == 1 and isinstance(gradients[0], list):  # the walk takes anything but a tuple as one gradient
        returned = f"a list ([…] of {len(gradients[0])}, taken as one gradient: return a tuple instead)"
    return GraphError(f"backward of {function.name} returned {returned} for its {count} "
                      f"input{'s' if count != 1 else ''} ({inputs}). Return one per input, in the inputs' order, None "
                      "for one that needs none (a single value for an op of one input). See the op contract in "
                      "tinygrad_rnn/function.py.")


def grad_shape_error(function: Any, gradient: Any, expected: Any) -> ShapeError:
    """The error for an op whose backward returned a gradient at neither its input's shape nor, for
    a ``Broadcasting`` op, a shape that sums back to it.

    >>> import tinygrad_rnn as tr
    >>> class Total(tr.Function):
    ...     def forward(self, x):
    ...         return x * 1
    ...     def backward(self, grad, out, x):
    ...         return grad.sum()             # wrong: a scalar for an input of shape (2,)
    >>> Total.apply(tr.ones(2, requires_grad=True)).sum().backward()
    Traceback (most recent call last):
    tinygrad_rnn.errors.ShapeError: backward of total returned a gradient of shape () for an input of
    shape (2,). Each gradient must have its input's shape (an op of the Broadcasting kind may return
    the output's: the walk sums it back); see the op contract in tinygrad_rnn/function.py.
    """
    return ShapeError(f"backward of {function.name} returned a gradient of shape {tuple(gradient.shape)} for an "
                      f"input of shape {tuple(expected.shape)}. Each gradient must have its input's shape (an op of "
                      "the Broadcasting kind may return the output's: the walk sums it back); see the op contract "
                      "in tinygrad_rnn/function.py.")


def returned_value_error(function: Any, value: Any) -> ReturnedGradientError:
    """The error for an op whose backward returned, as an input's gradient, a value with no shape —
    None for an input that needs a gradient, a list, a number — naming what it returned and what to
    return instead. The walk finds these where a returned value has no ``.shape`` (its check of each term).

    >>> import tinygrad_rnn as tr
    >>> class Double(tr.Function):
    ...     def forward(self, x):
    ...         return 2 * x
    ...     def backward(self, grad, out, x):
    ...         return [2 * grad]             # wrong: a list
    >>> Double.apply(tr.ones(2, requires_grad=True)).sum().backward()
    Traceback (most recent call last):
    tinygrad_rnn.errors.ReturnedGradientError: backward of double returned a list ([…] of 1) as the
    gradient of an input, not an array. The walk takes a tuple, and only a tuple, as one gradient per
    input: return the gradient itself for an op of one input (return 2 * grad, not [2 * grad]), a
    tuple for several. See the op contract in tinygrad_rnn/function.py.
    """
    name, inputs = function.name, describe_inputs(tuple(function.parents))
    if value is None:
        what = (f"None as the gradient of an input that needs one (needs_input_grad = {function.needs_input_grad}, "
                f"of {inputs}). None is only for an input that needs none: return each other input's gradient, "
                "xp.zeros_like(x) (xp = array_module(x)) where it is zero.")
    elif isinstance(value, (list, tuple)):
        what = (f"a {type(value).__name__} ([…] of {len(value)}) as the gradient of an input, not an array. The walk "
                "takes a tuple, and only a tuple, as one gradient per input: return the gradient itself for an op "
                "of one input (return 2 * grad, not [2 * grad]), a tuple for several.")
    elif isinstance(value, (int, float, complex)):
        what = (f"the number {value!r} as the gradient of an input, not an array: a gradient has its input's shape "
                f"and dtype ({inputs}). Return an array: an expression of grad (grad * {value!r}), or "
                f"xp.full(x.shape, {value!r}, dtype=x.dtype) (xp = array_module(x)).")
    else:
        what = (f"{describe(value)} as the gradient of an input, not an array: a gradient has its input's shape "
                f"and dtype ({inputs}).")
    return ReturnedGradientError(f"backward of {name} returned {what} See the op contract in "
                                 "tinygrad_rnn/function.py.")


def gradient_error(function: Any, gradient: Any, expected: Any, create_graph: bool) -> Exception:
    """The error for one gradient an op's backward returned for its input ``expected``: a value with
    no shape (:func:`returned_value_error`); at a shape that is not the input's
    (:func:`grad_shape_error`); of no floating dtype (a mask, a count); an array from a recorded
    backward (``create_graph``), cut from the graph, or a Tensor from a plain one.

    >>> import tinygrad_rnn as tr
    >>> class Relu(tr.Function):
    ...     def forward(self, x):
    ...         return x * (x > 0)
    ...     def backward(self, grad, out, x):
    ...         return x > 0                  # wrong: the mask, not grad * mask
    >>> Relu.apply(tr.ones(2, requires_grad=True)).sum().backward()
    Traceback (most recent call last):
    tinygrad_rnn.errors.ReturnedGradientError: backward of relu returned a gradient of dtype bool for
    an input of dtype float32: a gradient is a floating-point array. A mask or a count is a factor
    of one: multiply grad by it (grad * mask). See the op contract in tinygrad_rnn/function.py.
    """
    name = function.name
    if not hasattr(gradient, "shape"):  # None, a list, a number
        return returned_value_error(function, gradient)
    if tuple(gradient.shape) != tuple(expected.shape):
        return grad_shape_error(function, gradient, expected)
    if gradient.dtype.kind in "biu":
        what = (f"a gradient of dtype {gradient.dtype} for an input of dtype {expected.dtype}: a gradient is a "
                "floating-point array. A mask or a count is a factor of one: multiply grad by it (grad * mask).")
    elif gradient.dtype.kind != "f":  # objects: numpy.asarray(a Tensor), say; complex numbers
        what = (f"a gradient of dtype {gradient.dtype} for an input of dtype {expected.dtype}: a gradient is a "
                "floating-point array (numpy.asarray of a Tensor makes one of objects: a Tensor's array is .array).")
    elif create_graph:  # an array: a recorded backward returns Tensors
        what = (f"an array ({describe(gradient)}) where a recorded backward (create_graph=True: gradgradcheck, "
                "a second derivative) returns a Tensor: an array is cut from the recorded graph, and a derivative "
                "through it would be wrong without a word. Compute it from the Tensors backward gets, with "
                "operators and tinygrad_rnn.ops functions (not .array or .numpy(), not numpy calls).")
    else:
        what = (f"a Tensor ({describe(gradient)}{', which requires grad' if gradient.requires_grad else ''}) "
                "where a plain backward returns an array: it gets arrays (grad, the saved values) and computes on "
                "them. A Tensor comes from one the op holds, or from tr.tensor(…) inside backward: use its .array, "
                "or make an array (xp.asarray).")  # (the walk's one case left: a Tensor from a plain backward)
    return ReturnedGradientError(f"backward of {name} returned {what} See the op contract in "
                                 "tinygrad_rnn/function.py.")


def tensor_total_error(total: Any, tensor: Any) -> ReturnedGradientError:
    """The error for a Tensor ``total`` delivered to ``tensor`` in a backward without
    ``create_graph``, where every gradient is an array: some op's backward returned a Tensor. Found
    where the total is delivered (:func:`~tinygrad_rnn.conversion.gradient_array`, which every delivery
    calls: into ``.grad``, and to ``grad()``'s and ``grad_contributions()``'s caller), on the path of the
    rare value that is not an array already, so it costs the walk nothing per op; under
    ``detect_anomaly`` the walk checks each op's gradients and names the op (:func:`gradient_error`)."""
    return ReturnedGradientError(
        f"backward: the gradient reaching {describe(tensor)} is a Tensor ({describe(total)}), in a backward without "
        "create_graph, where every gradient is an array: the backward of an op on its path returned a Tensor — one "
        "the op holds, or tr.tensor(…) made inside it. Run the backward under tr.detect_anomaly(), which checks "
        "each op's gradients, to name the op; a plain backward computes on the arrays it gets. See the op contract "
        "in tinygrad_rnn/function.py.")


def raised_at_the_call(error: Exception) -> bool:
    """Whether ``error`` is a TypeError from calling a function with arguments its signature does not take (raised
    in the caller's frame, where it was caught: no frame of the function's own), not from inside it.

    >>> def add(a, b):
    ...     return a + b
    >>> for arguments in [(1,), (1, "b")]:     # add(1): its signature; add(1, "b"): its body
    ...     try:
    ...         add(*arguments)
    ...     except TypeError as error:
    ...         print(raised_at_the_call(error))
    True
    False
    """
    return isinstance(error, TypeError) and raised_where_caught(error)


def raised_where_caught(error: Exception) -> bool:
    """Whether ``error`` was raised by the line of the frame that caught it, not inside a function that
    line called: the walk's call of a backward that its signature refuses, not a backward's ``x.exp()``."""
    return error.__traceback__ is not None and error.__traceback__.tb_next is None


def _argument_names(count: int) -> str:
    """How messages write an op's inputs as arguments: ``x`` for one, ``x0, x1`` for two."""
    return "x" if count == 1 else ", ".join(f"x{position}" for position in range(count))
