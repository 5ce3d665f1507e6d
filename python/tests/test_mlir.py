"""to_mlir / from_mlir round trips."""

import os

import numpy as np

import mirage as mi
from conftest import BENCHMARKS, assert_close, stored


def small_graph():
    graph = mi.new_kernel_graph("small")
    A = graph.new_input((4, 16), dtype=mi.float32)
    B = graph.new_input((16, 8), dtype=mi.float32)
    graph.mark_output(graph.silu(graph.matmul(A, B)))
    return graph


def test_round_trip_text_and_values(rng):
    graph = small_graph()
    text = graph.to_mlir()
    assert "func.func @small(%arg0: tensor<4x16xf32>, %arg1: tensor<16x8xf32>) -> tensor<4x8xf32>" in text
    assert "mirage.matmul" in text and "mirage.silu" in text
    again = mi.from_mlir(text)
    assert again.to_mlir() == text
    assert again.name == "small"
    a = rng.uniform(-1, 1, (4, 16)).astype(np.float32)
    b = rng.uniform(-1, 1, (16, 8)).astype(np.float32)
    np.testing.assert_array_equal(graph([a, b])[0], again([a, b])[0])
    m = a.astype(np.float64) @ b.astype(np.float64)
    assert_close(again([a, b])[0], m / (1 + np.exp(-m)), mi.float32)


def test_generic_form():
    text = small_graph().to_mlir(generic=True)
    assert '"mirage.matmul"' in text
    assert mi.from_mlir(text).to_mlir() == small_graph().to_mlir()


def test_extend_a_parsed_graph(rng):
    graph = mi.from_mlir(small_graph().to_mlir())
    (out,) = graph.outputs
    graph.mark_output(graph.reduction(out, 1))
    assert [t.shape for t in graph.outputs] == [(4, 8), (4, 1)]
    a = rng.uniform(-1, 1, (4, 16)).astype(np.float32)
    b = rng.uniform(-1, 1, (16, 8)).astype(np.float32)
    y, s = graph([a, b])
    np.testing.assert_allclose(s[:, 0], y.sum(axis=1), rtol=1e-5)


def test_benchmark_file(rng):
    with open(os.path.join(BENCHMARKS, "rmsnorm.mlir")) as f:
        graph = mi.from_mlir(f.read())
    assert [t.shape for t in graph.inputs] == [(2, 4096), (4096, 6144)]
    assert graph.inputs[0].dtype is mi.float16
    x = rng.uniform(-0.5, 0.5, (2, 4096)).astype(np.float16)
    w = rng.uniform(-0.015, 0.015, (4096, 6144)).astype(np.float16)
    (out,) = graph([x, w])
    xs, ws = stored(x, mi.float16), stored(w, mi.float16)
    expected = xs / np.sqrt(np.mean(xs * xs, axis=1, keepdims=True)) @ ws
    assert_close(out, expected, mi.float16, rtol=1e-2)


def test_optimized_graph_round_trip(tmp_path, rng):
    graph = mi.new_kernel_graph("lora")
    X = graph.new_input((16, 256))
    W = graph.new_input((256, 512))
    A = graph.new_input((256, 16))
    B = graph.new_input((16, 512))
    graph.mark_output(graph.add(graph.matmul(X, W), graph.matmul(graph.matmul(X, A), B)))
    optimized = graph.superoptimize(cache_dir=tmp_path)
    text = optimized.to_mlir()
    assert "mirage.graph_kernel" in text
    again = mi.from_mlir(text)
    assert again.to_mlir() == text
    inputs = [rng.uniform(-0.5, 0.5, t.shape).astype(np.float16) for t in graph.inputs]
    np.testing.assert_array_equal(optimized(inputs)[0], again(inputs)[0])
    x, w, a, b = (stored(v, mi.float16) for v in inputs)
    assert_close(again(inputs)[0], x @ w + (x @ a) @ b, mi.float16, rtol=1e-2)
