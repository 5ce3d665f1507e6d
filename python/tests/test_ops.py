"""Every kernel-level op, built with the Python API and run by the reference
interpreter on NumPy arrays, against NumPy formulas in float64."""

import math

import numpy as np
import pytest

import mirage as mi
from conftest import as_input, assert_close, stored

DTYPES = [mi.float32, mi.float16, mi.bfloat16]


def run_one(build, inputs, dtype):
    """Builds a one-op graph over inputs of `dtype` and runs it."""
    graph = mi.new_kernel_graph()
    tensors = [graph.new_input(x.shape, dtype=dtype) for x in inputs]
    out = build(graph, *tensors)
    graph.mark_output(out)
    (result,) = graph([as_input(x, dtype) for x in inputs])
    assert result.shape == out.shape
    assert result.dtype == (np.float16 if dtype is mi.float16 else np.float32)
    return result


def erf(x):
    return np.vectorize(math.erf)(x)


UNARY = {
    "exp": (np.exp, (-3, 3)),
    "sqrt": (np.sqrt, (0.01, 4)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.01, 4)),
    "square": (np.square, (-3, 3)),
    "silu": (lambda x: x / (1 + np.exp(-x)), (-6, 6)),
    "gelu": (lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))), (-4, 4)),
    "relu": (lambda x: np.maximum(x, 0), (-2, 2)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-6, 6)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name, dtype, rng):
    formula, (lo, hi) = UNARY[name]
    x = rng.uniform(lo, hi, size=(4, 33))
    out = run_one(lambda g, a: getattr(g, name)(a), [x], dtype)
    assert_close(out, stored(formula(stored(x, dtype)), dtype), dtype)


BINARY = {
    "add": (np.add, (-2, 2), (-2, 2)),
    "sub": (np.subtract, (-2, 2), (-2, 2)),
    "mul": (np.multiply, (-2, 2), (-2, 2)),
    "div": (np.divide, (-2, 2), (0.5, 2)),
    "pow": (np.power, (0.1, 2), (-2, 2)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((3, 8), (3, 8)), ((2, 3, 8), (3, 1)),
                                    ((1, 8), (5, 1))],
                         ids=["same", "broadcast-rhs", "broadcast-both"])
def test_binary(name, shapes, dtype, rng):
    formula, (alo, ahi), (blo, bhi) = BINARY[name]
    a = rng.uniform(alo, ahi, size=shapes[0])
    b = rng.uniform(blo, bhi, size=shapes[1])
    out = run_one(lambda g, x, y: getattr(g, name)(x, y), [a, b], dtype)
    expected = formula(stored(a, dtype), stored(b, dtype))
    assert out.shape == expected.shape
    assert_close(out, stored(expected, dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shapes", [((5, 7), (7, 3)), ((2, 4, 16), (2, 16, 8)),
                                    ((3, 2, 4, 16), (1, 2, 16, 8))],
                         ids=["2d", "batched", "broadcast-batch"])
def test_matmul(shapes, dtype, rng):
    a = rng.uniform(-1, 1, size=shapes[0])
    b = rng.uniform(-1, 1, size=shapes[1])
    out = run_one(lambda g, x, y: g.matmul(x, y), [a, b], dtype)
    expected = np.matmul(stored(a, dtype), stored(b, dtype))
    assert out.shape == expected.shape
    assert_close(out, stored(expected, dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("dim,size", [(1, 1), (-1, 1), (1, 4), (0, 1), (0, 2)])
def test_reduction(dim, size, dtype, rng):
    x = rng.uniform(-1, 1, size=(6, 16))
    out = run_one(lambda g, a: g.reduction(a, dim, size), [x], dtype)
    xs = stored(x, dtype)
    d = dim % 2
    # Mirage's reduce-to-size: the dim viewed as [extent / size, size], the
    # outer part summed.
    n = xs.shape[d]
    moved = np.moveaxis(xs, d, 0).reshape(n // size, size, -1)
    expected = np.moveaxis(moved.sum(axis=0).reshape((size,) + np.moveaxis(
        xs, d, 0).shape[1:]), 0, d)
    assert out.shape == expected.shape
    assert_close(out, stored(expected, dtype), dtype)


def test_reduce_max(rng):
    x = rng.uniform(-1, 1, size=(6, 16))
    out = run_one(lambda g, a: g.reduce_max(a, 1, 4), [x], mi.float32)
    expected = x.astype(np.float32).reshape(6, 4, 4).max(axis=1)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("normalized", [(32,), (4, 32)])
def test_rms_norm(normalized, dtype, rng):
    x = rng.uniform(-2, 2, size=(3, 4, 32))
    out = run_one(lambda g, a: g.rms_norm(a, normalized), [x], dtype)
    xs = stored(x, dtype)
    axes = tuple(range(3 - len(normalized), 3))
    expected = xs / np.sqrt(np.mean(xs * xs, axis=axes, keepdims=True))
    assert_close(out, stored(expected, dtype), dtype)


def test_rms_norm_eps(rng):
    x = rng.uniform(-0.01, 0.01, size=(2, 8))
    out = run_one(lambda g, a: g.rms_norm(a, [8], eps=1e-3), [x], mi.float32)
    xs = stored(x, mi.float32)
    expected = xs / np.sqrt(np.mean(xs * xs, axis=1, keepdims=True) + 1e-3)
    assert_close(out, expected, mi.float32)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax(dim, dtype, rng):
    x = rng.uniform(-3, 3, size=(5, 12))
    out = run_one(lambda g, a: g.softmax(a, dim=dim), [x], dtype)
    e = np.exp(stored(x, dtype))
    expected = e / e.sum(axis=dim, keepdims=True)
    assert_close(out, stored(expected, dtype), dtype)


def test_softmax_default_dim_is_last(rng):
    x = rng.uniform(-3, 3, size=(2, 3, 7))
    out = run_one(lambda g, a: g.softmax(a), [x], mi.float32)
    e = np.exp(stored(x, mi.float32))
    assert_close(out, e / e.sum(axis=2, keepdims=True), mi.float32)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_concat(dtype, rng):
    a, b, c = (rng.uniform(-1, 1, size=(4, n)) for n in (3, 5, 2))
    out = run_one(lambda g, x, y, z: g.concat([x, y, z], dim=1), [a, b, c], dtype)
    expected = np.concatenate([stored(v, dtype) for v in (a, b, c)], axis=1)
    np.testing.assert_array_equal(out.astype(np.float64), expected)
    out = run_one(lambda g, x, y: g.concat(x, y, dim=0), [a, a], dtype)
    assert out.shape == (8, 3)


def test_mul_scalar_and_clamp(rng):
    x = rng.uniform(-4, 4, size=(3, 10))
    out = run_one(lambda g, a: g.mul_scalar(a, 0.125), [x], mi.float32)
    assert_close(out, stored(x, mi.float32) * 0.125, mi.float32)
    out = run_one(lambda g, a: g.mul(a, 3), [x], mi.float32)
    assert_close(out, stored(x, mi.float32) * 3, mi.float32)
    out = run_one(lambda g, a: g.clamp(a, -1.0, 0.5), [x], mi.float32)
    np.testing.assert_array_equal(out, np.clip(x.astype(np.float32), -1, 0.5))


def test_chain_rounds_each_op(rng):
    """f16 results are rounded after every op, as kernels store them."""
    x = rng.uniform(-1, 1, size=(4, 16))
    w = rng.uniform(-1, 1, size=(16, 8))
    graph = mi.new_kernel_graph()
    X = graph.new_input(x.shape)
    W = graph.new_input(w.shape)
    Y = graph.silu(graph.matmul(graph.rms_norm(X, [16]), W))
    graph.mark_output(Y)
    (out,) = graph(inputs=[as_input(x, mi.float16), as_input(w, mi.float16)])
    xs, ws = stored(x, mi.float16), stored(w, mi.float16)
    n = stored(xs / np.sqrt(np.mean(xs * xs, axis=1, keepdims=True)), mi.float16)
    m = stored(n @ ws, mi.float16)
    expected = stored(m / (1 + np.exp(-m)), mi.float16)
    assert_close(out, expected, mi.float16)


def test_several_outputs_and_tensor_attributes(rng):
    graph = mi.new_kernel_graph("two")
    A = graph.new_input((2, 3), dtype=mi.float32)
    assert A.shape == A.dims == (2, 3) and A.num_dims == 2 and A.dim(-1) == 3
    assert A.dtype is mi.float32 and "input 0" in repr(A)
    E = graph.exp(A)
    S = graph.reduction(E, 1)
    assert S.shape == (2, 1) and "mirage.reduce" in repr(S)
    graph.mark_output(E)
    graph.mark_output(S)
    assert [t.shape for t in graph.outputs] == [(2, 3), (2, 1)]
    assert [t.shape for t in graph.inputs] == [(2, 3)]
    x = rng.uniform(-1, 1, size=(2, 3)).astype(np.float32)
    e, s = graph(x)
    assert_close(e, np.exp(x.astype(np.float64)), mi.float32)
    assert_close(s, np.exp(x.astype(np.float64)).sum(1, keepdims=True), mi.float32)
    assert "@two" in repr(graph) and graph.name == "two"


def test_bfloat16_numpy_inputs_are_rounded():
    graph = mi.new_kernel_graph()
    A = graph.new_input((4,), dtype=mi.bfloat16)
    graph.mark_output(graph.mul_scalar(A, 1.0))
    x = np.array([1.0, 1.00390625, 1.01171875, 3.14159], dtype=np.float32)
    (out,) = graph([x])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.astype(np.float64), stored(x, mi.bfloat16))
