"""The contract: the example of ARCHITECTURE.md ("What users do with it"),
run as written, on the CPU (NumPy arrays, and torch CPU tensors when torch is
installed), in fp16 and fp32, against NumPy."""

import numpy as np
import pytest

import mirage as mi
from conftest import assert_close, stored


def seed_graph(dtype):
    # As in ARCHITECTURE.md, with the dtype as a parameter.
    graph = mi.new_kernel_graph()
    Q = graph.new_input(dims=(64, 1, 128), dtype=dtype)
    K = graph.new_input(dims=(64, 128, 4096), dtype=dtype)
    V = graph.new_input(dims=(64, 4096, 128), dtype=dtype)
    O = graph.matmul(graph.softmax(graph.matmul(Q, K)), V)
    graph.mark_output(O)
    return graph


def seed_inputs(dtype):
    rng = np.random.default_rng(7)
    return [rng.uniform(-0.5, 0.5, size=s).astype(dtype.numpy_dtype)
            for s in [(64, 1, 128), (64, 128, 4096), (64, 4096, 128)]]


def seed_reference(q, k, v, dtype):
    """softmax(Q·K)·V in float64 on the stored inputs."""
    s = np.matmul(stored(q, dtype), stored(k, dtype))
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return np.matmul(e / e.sum(axis=-1, keepdims=True), stored(v, dtype))


@pytest.fixture(scope="module", params=[mi.float16, mi.float32], ids=["fp16", "fp32"])
def optimized(request):
    dtype = request.param
    return dtype, seed_graph(dtype).superoptimize(cache_dir=False)


def test_seed_example_as_written():
    """The contract's code, verbatim; q, k, v are NumPy arrays here (torch is
    optional; test_seed_torch_cpu and test_cuda run it on torch tensors)."""
    q, k, v = seed_inputs(mi.float16)
    graph = mi.new_kernel_graph()
    Q = graph.new_input(dims=(64, 1, 128), dtype=mi.float16)
    K = graph.new_input(dims=(64, 128, 4096), dtype=mi.float16)
    V = graph.new_input(dims=(64, 4096, 128), dtype=mi.float16)
    O = graph.matmul(graph.softmax(graph.matmul(Q, K)), V)
    graph.mark_output(O)
    optimized = graph.superoptimize()
    out = optimized(inputs=[q, k, v])     # torch tensors; CUDA launches the generated kernels
    assert len(out) == 1 and out[0].shape == (64, 1, 128)
    assert out[0].dtype == np.float16
    assert_close(out[0], seed_reference(q, k, v, mi.float16), mi.float16, rtol=1e-2)


def test_seed_superoptimized_is_fused(optimized):
    dtype, graph = optimized
    text = graph.to_mlir()
    assert "mirage.graph_kernel" in text and "mirage.softmax" not in text
    assert "kernel(s) instead of" in graph.superoptimize_report


def test_seed_numpy(optimized):
    dtype, graph = optimized
    q, k, v = seed_inputs(dtype)
    (out,) = graph(inputs=[q, k, v])
    assert out.dtype == dtype.numpy_dtype and out.shape == (64, 1, 128)
    assert_close(out, seed_reference(q, k, v, dtype), dtype,
                 rtol=1e-2 if dtype is mi.float16 else 1e-4)


def test_seed_torch_cpu(optimized):
    torch = pytest.importorskip("torch")
    dtype, graph = optimized
    q, k, v = (torch.from_numpy(x) for x in seed_inputs(dtype))
    out = graph(inputs=[q, k, v])
    assert isinstance(out[0], torch.Tensor) and out[0].device.type == "cpu"
    assert out[0].dtype == getattr(torch, dtype.name)
    expected = torch.softmax(torch.matmul(q.double(), k.double()), dim=-1) @ v.double()
    assert_close(out[0].double().numpy(), expected.numpy(), dtype,
                 rtol=1e-2 if dtype is mi.float16 else 1e-4)


def test_seed_unoptimized_matches_optimized(optimized):
    """The input graph (pre-defined kernels) and the μGraph agree."""
    dtype, graph = optimized
    q, k, v = seed_inputs(dtype)
    (a,) = graph([q, k, v])
    (b,) = seed_graph(dtype)([q, k, v])
    assert_close(a, b.astype(np.float64), dtype,
                 rtol=1e-2 if dtype is mi.float16 else 1e-4)
