"""The benchmark harness: compile Mirage's benchmark programs to kernel
packages on any machine, and time them on a GPU against PyTorch baselines.

Modules (each usable alone):

- ``mlir``: reads a benchmark program's signature and matmuls from its text
  (no MLIR needed), for shapes, FLOPs and bytes.
- ``metrics``: FLOP and HBM-byte counts, device peak figures with sources,
  statistics of repeated timings.
- ``inputs``: the test inputs of ``mirage-run`` (SplitMix64), bit for bit, in
  NumPy, so that a GPU host without MLIR checks against the interpreter.
- ``compile``: the compile side (``mirage-opt``, ``mirage-run``), run where
  LLVM/MLIR is installed.
- ``runtime``: ctypes bindings of the MLIR-free runtime (libMirageRuntime.so).
- ``programs``: each benchmark's PyTorch definition (eager and reference).
- ``baselines``, ``triton_attention``, ``timing``, ``gpu``: the GPU side
  (PyTorch, torch.compile, SDPA, FlashAttention, Triton; CUDA events).
- ``report``: the Markdown, CSV and PNG written to benchmarks/results/.

``mlir``, ``metrics`` and ``compile`` need only the standard library; the
others need NumPy. PyTorch, Triton and matplotlib are imported by the
functions that use them, so the compile side runs without them.
"""
