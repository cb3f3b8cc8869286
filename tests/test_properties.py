"""Property tests over random shapes: broadcasting, shape ops and indexing agree with NumPy,
and their gradients are what the chain rule says they must be."""

import numpy
from conftest import make
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_rnn as tr

small_shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)


@given(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4), st.integers(0, 2**31))
def test_broadcasting_binary_ops_match_numpy_and_unbroadcast_their_gradients(shapes, seed):
    rng = numpy.random.default_rng(seed)
    shape_a, shape_b = shapes.input_shapes
    a_data, b_data = rng.standard_normal(shape_a), rng.uniform(0.5, 2.0, shape_b)
    a, b = make(a_data), make(b_data)
    out = a * b + a / b - b
    numpy.testing.assert_allclose(out.numpy(), a_data * b_data + a_data / b_data - b_data)
    assert out.shape == shapes.result_shape
    out.sum().backward()
    # d/da Σ(a·b + a/b − b) = Σ over the broadcast dimensions of (b + 1/b)
    expected_a = numpy.broadcast_to(b_data + 1 / b_data, shapes.result_shape)
    expected_b = numpy.broadcast_to(a_data - a_data / b_data**2 - 1, shapes.result_shape)
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    numpy.testing.assert_allclose(a.grad.numpy(), _sum_to(expected_a, shape_a))
    numpy.testing.assert_allclose(b.grad.numpy(), _sum_to(expected_b, shape_b))


def _sum_to(array, shape):
    """Reference unbroadcast, written independently of the library's."""
    while array.ndim > len(shape):
        array = array.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1:
            array = array.sum(axis=axis, keepdims=True)
    return array


@given(small_shapes, st.integers(0, 2**31))
def test_reshape_and_permute_gradients_undo_the_move(shape, seed):
    rng = numpy.random.default_rng(seed)
    data = rng.standard_normal(shape)
    order = tuple(rng.permutation(len(shape)))
    weights = rng.standard_normal(data.transpose(order).shape)
    x = make(data)
    out = x.permute(*order).reshape(-1) * tr.tensor(weights.reshape(-1))
    numpy.testing.assert_allclose(out.numpy(), data.transpose(order).reshape(-1) * weights.reshape(-1))
    out.sum().backward()
    inverse = numpy.argsort(order)
    numpy.testing.assert_allclose(x.grad.numpy(), weights.transpose(inverse))


@given(small_shapes, st.integers(0, 2**31))
def test_reductions_over_any_axes_spread_the_gradient_back(shape, seed):
    rng = numpy.random.default_rng(seed)
    data = rng.standard_normal(shape)
    chosen = rng.choice(len(shape), size=rng.integers(0, len(shape) + 1), replace=False) if shape else None
    axes = None if chosen is None else tuple(sorted(chosen.tolist()))
    keep = bool(rng.integers(2))
    x = make(data)
    total = x.sum(axes, keepdim=keep) if axes != () else x.sum(keepdim=keep)
    expected = data.sum(axis=axes if axes != () else None, keepdims=keep)
    numpy.testing.assert_allclose(total.numpy(), expected)
    (total * 3).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.full(shape, 3.0))


@given(st.integers(1, 6), st.integers(1, 4), st.lists(st.integers(0, 5), min_size=1, max_size=12))
def test_embedding_lookup_scatters_and_sums_repeated_rows(rows, width, raw_ids):
    ids = numpy.array([i % rows for i in raw_ids])
    table = make(numpy.arange(rows * width, dtype=float).reshape(rows, width))
    looked_up = table[tr.tensor(ids)]
    numpy.testing.assert_array_equal(looked_up.numpy(), table.numpy()[ids])
    looked_up.sum().backward()
    counts = numpy.bincount(ids, minlength=rows).astype(float)
    numpy.testing.assert_array_equal(table.grad.numpy(), numpy.repeat(counts[:, None], width, axis=1))


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), st.integers(0, 2**31))
def test_basic_slicing_matches_numpy_and_routes_gradient_to_the_slice(shape, seed):
    rng = numpy.random.default_rng(seed)
    index = tuple(slice(int(rng.integers(0, n)), None, int(rng.choice([1, 2, -1]))) for n in shape)
    data = rng.standard_normal(shape)
    x = make(data)
    piece = x[index]
    numpy.testing.assert_array_equal(piece.numpy(), data[index])
    piece.sum().backward()
    expected = numpy.zeros(shape)
    expected[index] = 1.0
    numpy.testing.assert_array_equal(x.grad.numpy(), expected)


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), st.integers(1, 4), st.integers(0, 2**31))
def test_split_then_cat_is_the_identity_with_identity_gradient(shape, pieces, seed):
    rng = numpy.random.default_rng(seed)
    dim = int(rng.integers(len(shape)))
    data = rng.standard_normal(shape)
    x = make(data)
    parts = x.chunk(pieces, dim)
    rebuilt = tr.cat(parts, dim)
    numpy.testing.assert_array_equal(rebuilt.numpy(), data)
    weights = rng.standard_normal(shape)
    (rebuilt * tr.tensor(weights)).sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), weights)


batch_shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=2, max_dims=4, max_side=3)


@given(batch_shapes, st.integers(1, 3), st.integers(0, 2**31))
def test_batched_matmul_follows_numpy(shapes, inner, seed):
    rng = numpy.random.default_rng(seed)
    shape_a = shapes.input_shapes[0][:-1] + (inner,)
    shape_b = shapes.input_shapes[1][:-2] + (inner, shapes.input_shapes[1][-1])
    a_data, b_data = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    a, b = make(a_data), make(b_data)
    out = a @ b
    numpy.testing.assert_allclose(out.numpy(), a_data @ b_data)
    out.sum().backward()
    ones = numpy.ones(out.shape)
    numpy.testing.assert_allclose(a.grad.numpy(), _sum_to(ones @ numpy.swapaxes(b_data, -1, -2), shape_a))
    numpy.testing.assert_allclose(b.grad.numpy(), _sum_to(numpy.swapaxes(a_data, -1, -2) @ ones, shape_b))
