"""Every kernel-level op, evaluated by mirage-run, against NumPy.

Each case is a one-op kernel graph; inputs are written as .npy, mirage-run
evaluates the graph (--input/--output-dir), and the result is compared with an
independent NumPy computation in float64, rounded to the output's dtype. Run
by lit (ops-vs-numpy.test) with MIRAGE_TOOLS_DIR pointing at build/bin.
"""

import math
import os
import subprocess

import numpy as np
import pytest

MIRAGE_RUN = os.path.join(os.environ.get("MIRAGE_TOOLS_DIR", "build/bin"), "mirage-run")
RNG = np.random.default_rng(2024)

MLIR_TYPES = {"f16": np.float16, "f32": np.float32, "bf16": np.float32}


def tensor_type(shape, dtype):
    return "tensor<" + "x".join(str(d) for d in shape) + "x" + dtype + ">"


def round_to(x, dtype):
    """Round float64 values as a kernel storing `dtype` would."""
    if dtype == "bf16":
        bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
        return bits.astype(np.uint32).view(np.float32).astype(np.float64)
    return np.asarray(x).astype(MLIR_TYPES[dtype]).astype(np.float64)


def run_graph(tmp_path, body, inputs, dtype, out_shape):
    """Runs `body` (ops on %a0, %a1, ...; result in %r) and returns output 0."""
    args = ", ".join(f"%a{i}: {tensor_type(x.shape, dtype)}" for i, x in enumerate(inputs))
    out_type = tensor_type(out_shape, dtype)
    source = (f"func.func @f({args}) -> {out_type} {{\n{body}\n"
              f"  return %r : {out_type}\n}}\n")
    (tmp_path / "f.mlir").write_text(source)
    cmd = [MIRAGE_RUN, str(tmp_path / "f.mlir"), f"--output-dir={tmp_path}"]
    for i, x in enumerate(inputs):
        np.save(tmp_path / f"in{i}.npy", x.astype(MLIR_TYPES[dtype]))
        cmd.append(f"--input={tmp_path / f'in{i}.npy'}")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr + source
    out = np.load(tmp_path / "output0.npy")
    assert out.shape == tuple(out_shape)
    expected_np_dtype = np.float16 if dtype == "f16" else np.float32
    assert out.dtype == expected_np_dtype
    return out.astype(np.float64)


def stored(inputs, dtype):
    """The input values as the kernel sees them (rounded to dtype), float64."""
    return [round_to(x, dtype) for x in inputs]


def check(out, expected, dtype, rtol=None, atol=None):
    # One rounding to the output type after f32 arithmetic: within an ulp or
    # two of the float64 result.
    rtol = rtol if rtol is not None else {"f32": 2e-6, "f16": 1.5e-3, "bf16": 1.2e-2}[dtype]
    atol = atol if atol is not None else 1e-6 * max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=atol)


def gelu(x):
    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


UNARY = {
    "exp": (np.exp, (-3, 3)),
    "sqrt": (np.sqrt, (0.01, 4)),
    "rsqrt": (lambda x: 1 / np.sqrt(x), (0.01, 4)),
    "square": (np.square, (-3, 3)),
    "silu": (lambda x: x / (1 + np.exp(-x)), (-6, 6)),
    "gelu": (gelu, (-4, 4)),
    "relu": (lambda x: np.maximum(x, 0), (-2, 2)),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), (-6, 6)),
}


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(tmp_path, op, dtype):
    fn, (lo, hi) = UNARY[op]
    x = RNG.uniform(lo, hi, size=(3, 5, 7))
    out = run_graph(tmp_path, f"  %r = mirage.{op} %a0 : {tensor_type(x.shape, dtype)}",
                    [x], dtype, x.shape)
    (xs,) = stored([x], dtype)
    check(out, round_to(fn(xs), dtype), dtype)


@pytest.mark.parametrize("dtype", ["f32", "f16"])
def test_mul_scalar_and_clamp(tmp_path, dtype):
    x = RNG.uniform(-3, 3, size=(4, 9))
    t = tensor_type(x.shape, dtype)
    out = run_graph(tmp_path, f"  %r = mirage.mul_scalar %a0, -1.25 : {t}", [x], dtype, x.shape)
    (xs,) = stored([x], dtype)
    check(out, round_to(-1.25 * xs, dtype), dtype)
    out = run_graph(tmp_path, f"  %r = mirage.clamp %a0 min = -1.5 max = 0.75 : {t}",
                    [x], dtype, x.shape)
    check(out, round_to(np.clip(xs, -1.5, 0.75), dtype), dtype)


BINARY = {
    "add": (np.add, (-2, 2)),
    "sub": (np.subtract, (-2, 2)),
    "mul": (np.multiply, (-2, 2)),
    "div": (np.divide, (0.5, 2)),
    "pow": (np.power, (0.5, 2)),
}

BROADCAST_SHAPES = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),      # both sides broadcast, different ranks
    ((5,), (2, 3, 5)),        # missing leading dims
    ((2, 3, 1), (2, 3, 6)),   # a reduced dim broadcast back (softmax's div)
    ((1, 1), (4, 7)),
]


@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_broadcast(tmp_path, op, shapes, dtype):
    fn, (lo, hi) = BINARY[op]
    a = RNG.uniform(lo, hi, size=shapes[0])
    b = RNG.uniform(lo, hi, size=shapes[1])
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    body = (f"  %r = mirage.{op} %a0, %a1 : ({tensor_type(a.shape, dtype)}, "
            f"{tensor_type(b.shape, dtype)}) -> {tensor_type(out_shape, dtype)}")
    out = run_graph(tmp_path, body, [a, b], dtype, out_shape)
    a_s, b_s = stored([a, b], dtype)
    check(out, round_to(fn(a_s, b_s), dtype), dtype)


MATMUL_SHAPES = [
    ((5, 7), (7, 3)),
    ((2, 4, 16), (2, 16, 8)),
    ((1, 3, 5), (4, 5, 2)),        # lhs batch broadcast
    ((3, 1, 2, 6), (1, 2, 6, 4)),  # both broadcast, rank 4
    ((1, 1, 64), (1, 64, 130)),    # decode shape, n not a multiple of blocks
]


@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16"])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul(tmp_path, shapes, dtype):
    a = RNG.uniform(-1, 1, size=shapes[0])
    b = RNG.uniform(-1, 1, size=shapes[1])
    expected_shape = np.matmul(a, b).shape
    body = (f"  %r = mirage.matmul %a0, %a1 : ({tensor_type(a.shape, dtype)}, "
            f"{tensor_type(b.shape, dtype)}) -> {tensor_type(expected_shape, dtype)}")
    out = run_graph(tmp_path, body, [a, b], dtype, expected_shape)
    a_s, b_s = stored([a, b], dtype)
    exact = np.matmul(a_s, b_s)
    # f32 accumulation of k products: error grows with k and the terms' size.
    k = a.shape[-1]
    atol = 1e-6 * k * float(np.max(np.abs(a_s)) * np.max(np.abs(b_s)))
    check(out, round_to(exact, dtype), dtype, atol=atol)


@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize("kind", ["sum", "max"])
@pytest.mark.parametrize("dim,size", [(0, 1), (1, 1), (2, 1), (1, 2), (1, 3), (2, 4), (0, 2)])
def test_reduce(tmp_path, kind, dim, size, dtype):
    x = RNG.uniform(-1, 1, size=(4, 6, 8))
    out_shape = list(x.shape)
    out_shape[dim] = size
    body = (f"  %r = mirage.reduce {kind} %a0 dim = {dim} size = {size} : "
            f"({tensor_type(x.shape, dtype)}) -> {tensor_type(out_shape, dtype)}")
    out = run_graph(tmp_path, body, [x], dtype, out_shape)
    (xs,) = stored([x], dtype)
    # Mirage's reduce-to-size: view the dim as [extent / size, size] and reduce
    # the outer part.
    shape = list(x.shape)
    view = xs.reshape(shape[:dim] + [shape[dim] // size, size] + shape[dim + 1:])
    expected = (view.sum if kind == "sum" else view.max)(axis=dim)
    check(out, round_to(expected, dtype), dtype)


@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize("shape,normalized,eps", [
    ((4, 32), [32], 0.0),
    ((2, 3, 16), [16], 1e-3),
    ((2, 3, 4, 5), [4, 5], 0.0),
])
def test_rms_norm(tmp_path, shape, normalized, eps, dtype):
    x = RNG.uniform(-2, 2, size=shape)
    t = tensor_type(shape, dtype)
    eps_text = f" eps = {eps:e}" if eps else ""
    body = (f"  %r = mirage.rms_norm %a0 normalized_shape = "
            f"[{', '.join(map(str, normalized))}]{eps_text} : {t}")
    out = run_graph(tmp_path, body, [x], dtype, shape)
    (xs,) = stored([x], dtype)
    axes = tuple(range(len(shape) - len(normalized), len(shape)))
    eps32 = float(np.float32(eps))
    expected = xs / np.sqrt(np.mean(xs * xs, axis=axes, keepdims=True) + eps32)
    check(out, round_to(expected, dtype), dtype)


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_concat(tmp_path, dim):
    shapes = []
    for extent in (1, 3, 2):
        s = [2, 4, 5]
        s[dim] = extent
        shapes.append(tuple(s))
    inputs = [RNG.uniform(-1, 1, size=s) for s in shapes]
    out_shape = np.concatenate(inputs, axis=dim).shape
    types = ", ".join(tensor_type(s, "f32") for s in shapes)
    body = (f"  %r = mirage.concat %a0, %a1, %a2 dim = {dim} : ({types}) -> "
            f"{tensor_type(out_shape, 'f32')}")
    out = run_graph(tmp_path, body, inputs, "f32", out_shape)
    np.testing.assert_array_equal(out, np.concatenate(stored(inputs, "f32"), axis=dim))


@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_softmax(tmp_path, dim, dtype):
    # Values up to 60 in f32 (e^60 overflows f16, not f32) and 8 in f16 test
    # that the composite op subtracts the max.
    scale = 60 if dtype == "f32" else 8
    x = RNG.uniform(-scale, scale, size=(3, 5, 6))
    out = run_graph(tmp_path, f"  %r = mirage.softmax %a0 dim = {dim} : "
                    f"{tensor_type(x.shape, dtype)}", [x], dtype, x.shape)
    (xs,) = stored([x], dtype)
    e = np.exp(xs - xs.max(axis=dim, keepdims=True))
    check(out, round_to(e / e.sum(axis=dim, keepdims=True), dtype), dtype)


def test_random_inputs_match_saved_inputs(tmp_path):
    """The random inputs mirage-run draws (and saves) are the ones it used."""
    source = ("func.func @f(%a: tensor<8x16xf16>, %b: tensor<16x4xf16> "
              "{mirage.input_range = [0.0, 2.0]}) -> tensor<8x4xf16> {\n"
              "  %c = mirage.matmul %a, %b : (tensor<8x16xf16>, tensor<16x4xf16>) "
              "-> tensor<8x4xf16>\n  return %c : tensor<8x4xf16>\n}\n")
    (tmp_path / "f.mlir").write_text(source)
    proc = subprocess.run([MIRAGE_RUN, str(tmp_path / "f.mlir"), "--seed=11",
                           f"--output-dir={tmp_path}", "--save-inputs"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    a = np.load(tmp_path / "input0.npy").astype(np.float64)
    b = np.load(tmp_path / "input1.npy").astype(np.float64)
    assert a.dtype == np.float64 and a.min() >= -0.5 and a.max() <= 0.5
    assert b.min() >= 0.0 and b.max() <= 2.0  # from mirage.input_range
    out = np.load(tmp_path / "output0.npy").astype(np.float64)
    check(out, round_to(a @ b, "f16"), "f16", atol=1e-3)
