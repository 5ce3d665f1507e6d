"""torch tensors on the CPU (skipped when torch is not installed: it is an
optional dependency)."""

import numpy as np
import pytest

import mirage as mi

torch = pytest.importorskip("torch")


def exp_graph(dtype):
    graph = mi.new_kernel_graph()
    A = graph.new_input((2, 8), dtype=dtype)
    graph.mark_output(graph.exp(A))
    return graph


@pytest.mark.parametrize("dtype", [mi.float16, mi.bfloat16, mi.float32], ids=lambda d: d.name)
def test_cpu_tensors(dtype):
    x = torch.linspace(-2, 2, 16).reshape(2, 8).to(getattr(torch, dtype.name))
    (out,) = exp_graph(dtype)(x)
    assert isinstance(out, torch.Tensor) and out.dtype == x.dtype
    expected = torch.exp(x.double()).to(x.dtype)
    assert torch.allclose(out.double(), expected.double(), rtol=1e-2)


def test_dtype_and_kind_errors():
    graph = exp_graph(mi.float16)
    with pytest.raises(mi.InputTypeError, match="torch.float32.*float16"):
        graph(torch.zeros(2, 8))
    graph2 = mi.new_kernel_graph()
    A = graph2.new_input((2, 8))
    B = graph2.new_input((2, 8))
    graph2.mark_output(graph2.add(A, B))
    with pytest.raises(mi.InputTypeError, match="all NumPy arrays or all torch tensors"):
        graph2(torch.zeros(2, 8, dtype=torch.float16), np.zeros((2, 8), np.float16))
    with pytest.raises(mi.DeviceError, match="device=cuda"):
        graph(torch.zeros(2, 8, dtype=torch.float16), device="cuda")
