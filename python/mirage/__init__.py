"""Mirage for MLIR: a superoptimizer for GPU tensor programs.

    import mirage as mi
    graph = mi.new_kernel_graph()
    Q = graph.new_input(dims=(64, 1, 128), dtype=mi.float16)
    K = graph.new_input(dims=(64, 128, 4096), dtype=mi.float16)
    V = graph.new_input(dims=(64, 4096, 128), dtype=mi.float16)
    O = graph.matmul(graph.softmax(graph.matmul(Q, K)), V)
    graph.mark_output(O)
    optimized = graph.superoptimize()
    out = optimized(inputs=[q, k, v])   # a list: one tensor per output

Build a kernel graph op by op (:class:`KernelGraph`), superoptimize it (the
``--mirage-superoptimize`` pass: search, verification, cost model), and run
it: on CUDA tensors through the generated kernels, on CPU tensors or NumPy
arrays through the reference interpreter. See docs/python.md.
"""

import os as _os
import sys as _sys

# The extension is loaded with RTLD_GLOBAL so that libMLIR.so and the
# extension share one copy of MLIR's implicit TypeIDs (see
# python/CMakeLists.txt): otherwise the GCC-built extension and the
# Clang-built libMLIR.so disagree about which ops are terminators.
_flags = _sys.getdlopenflags()
_sys.setdlopenflags(_flags | _os.RTLD_GLOBAL)
try:
    from . import _mirage
finally:
    _sys.setdlopenflags(_flags)
from .dtypes import DType, bfloat16, float16, float32
from .errors import (CudaError, DeviceError, ExecutionError, GraphError,
                     GraphvizError, InputTypeError, MirageError,
                     MLIRParseError, ShapeError, SuperoptimizeError,
                     SuperoptimizeWarning)
from .graph import KernelGraph, Tensor, from_mlir, new_kernel_graph

__version__ = "0.1.0"

__all__ = [
    "CudaError", "DType", "DeviceError", "ExecutionError", "GraphError",
    "GraphvizError", "InputTypeError", "KernelGraph", "MLIRParseError",
    "MirageError", "ShapeError", "SuperoptimizeError", "SuperoptimizeWarning",
    "Tensor", "bfloat16", "cuda_device_count", "cuda_is_available",
    "float16", "float32", "from_mlir", "new_kernel_graph",
]


def cuda_device_count():
    """The number of CUDA devices the NVIDIA driver reports (0 is possible).

    Raises :class:`CudaError` with the GPU runtime's message when there is no
    driver (``libcuda.so.1``) or the package was built without the runtime.
    """
    return _mirage.cuda_device_count()


def cuda_is_available():
    """True when a driver and at least one CUDA device are present."""
    try:
        return _mirage.cuda_device_count() > 0
    except CudaError:
        return False
