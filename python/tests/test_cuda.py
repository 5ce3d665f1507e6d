"""The CUDA path. Without a GPU (this project's CI) it must fail with the GPU
runtime's clear message; kernel packages compile without one. With a GPU,
torch and the driver, the seed example runs on CUDA tensors against
PyTorch."""

import json

import numpy as np
import pytest

import mirage as mi
from test_seed import seed_graph, seed_inputs

HAVE_CUDA = mi.cuda_is_available()


def exp_graph():
    graph = mi.new_kernel_graph("exp")
    A = graph.new_input((8, 256))
    graph.mark_output(graph.exp(A))
    return graph


@pytest.mark.skipif(HAVE_CUDA, reason="a CUDA device is present")
def test_no_driver_or_device_is_a_clear_error():
    with pytest.raises(mi.CudaError) as info:
        mi.cuda_device_count()
    message = str(info.value)
    assert ("libcuda.so.1" in message or "no CUDA device" in message
            or "without the GPU runtime" in message)
    assert mi.cuda_is_available() is False
    graph = exp_graph()
    with pytest.raises(mi.CudaError) as run_info:
        graph([np.zeros((8, 256), np.float16)], device="cuda")
    assert str(run_info.value) == message or "CUDA" in str(run_info.value)
    assert isinstance(run_info.value, RuntimeError)
    # The graph still runs on the CPU afterwards.
    (out,) = graph([np.zeros((8, 256), np.float16)])
    assert (out == 1).all()


def test_export_kernel_package(tmp_path):
    graph = exp_graph()
    directory = graph.export_kernel_package(tmp_path / "pkg", chip="sm_80")
    manifest = json.loads((tmp_path / "pkg" / "manifest.json").read_text())
    assert directory == str(tmp_path / "pkg")
    assert manifest["format"] == "mirage-kernel-package"
    assert manifest["function"] == "exp" and manifest["chip"] == "sm_80"
    assert manifest["inputs"] == [{"shape": [8, 256], "dtype": "f16"}]
    assert manifest["outputs"] == [{"shape": [8, 256], "dtype": "f16"}]
    assert manifest["kernels"]
    ptx = (tmp_path / "pkg" / manifest["ptx"]).read_text()
    assert ".entry" in ptx and manifest["kernels"][0]["name"] in ptx
    with pytest.raises(mi.ExecutionError, match="unknown chip 'sm_70'"):
        graph.export_kernel_package(tmp_path / "bad", chip="sm_70")


needs_gpu = pytest.mark.skipif(not HAVE_CUDA, reason="no CUDA device")


@needs_gpu
@pytest.mark.parametrize("dtype", [mi.float16, mi.float32], ids=["fp16", "fp32"])
def test_seed_example_on_cuda_tensors(dtype, tmp_path):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA")
    optimized = seed_graph(dtype).superoptimize(cache_dir=tmp_path)
    q, k, v = (torch.from_numpy(x).cuda() for x in seed_inputs(dtype))
    out = optimized(inputs=[q, k, v])
    assert out[0].is_cuda and out[0].dtype == q.dtype and out[0].shape == (64, 1, 128)
    expected = torch.softmax(torch.matmul(q.float(), k.float()), dim=-1) @ v.float()
    scale = expected.abs().max().item()
    tol = 1e-2 if dtype is mi.float16 else 1e-4
    assert (out[0].float() - expected).abs().max().item() <= tol * scale
    # The CPU reference agrees with the GPU.
    (cpu,) = optimized([x.cpu() for x in (q, k, v)])
    assert (cpu.float() - out[0].cpu().float()).abs().max().item() <= tol * scale


@needs_gpu
def test_numpy_on_cuda(tmp_path):
    x = np.linspace(-2, 2, 8 * 256).reshape(8, 256).astype(np.float16)
    (out,) = exp_graph()([x], device="cuda")
    np.testing.assert_allclose(out.astype(np.float64), np.exp(x.astype(np.float64)),
                               rtol=2e-3)
