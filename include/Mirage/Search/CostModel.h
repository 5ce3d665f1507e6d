//===- CostModel.h - Analytic cost of GPU kernels ---------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An analytic estimate of a kernel's run time on a target, so that the search
// ranks μGraphs on a machine with no GPU. The formulas are in
// docs/superoptimizer.md ("Cost model"); the figures come from GpuTarget.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_COSTMODEL_H
#define MIRAGE_SEARCH_COSTMODEL_H

#include "Mirage/Target/GpuTarget.h"

#include <cstdint>

namespace mlir {
namespace mirage {
namespace search {

/// What the cost model needs to know about one kernel launch.
struct KernelWork {
  /// Thread blocks in the grid, and threads per block.
  int64_t numBlocks = 1;
  int64_t threadsPerBlock = 128;
  /// For-loop iterations each block runs.
  int64_t forloop = 1;
  /// Shared memory per block, bytes.
  int64_t sharedMemoryBytes = 0;
  /// Bytes read from and written to device memory by all blocks together,
  /// counting every block's reads (a tensor read by many blocks is read many
  /// times).
  double bytesRead = 0;
  double bytesWritten = 0;
  /// Floating-point operations on tensor cores (f16/bf16 matmul tiles,
  /// counted with the padding to the mma shape) and on CUDA cores.
  double tensorCoreFlops = 0;
  double cudaCoreFlops = 0;
};

/// The estimate, in seconds, and how it was reached.
struct KernelCost {
  double seconds = 0;
  double launchSeconds = 0;
  double memorySeconds = 0;
  double computeSeconds = 0;
  double loopSeconds = 0;
  int64_t blocksPerSM = 0;
  int64_t waves = 0;
  /// False if the kernel cannot run (shared memory or threads over the
  /// target's limits); seconds is then infinite.
  bool feasible = true;
};

/// Launch overhead of one kernel, seconds (measured CUDA launch latency on
/// recent GPUs is 2–5 µs; MIRAGE_NOTES.md).
inline constexpr double kLaunchSeconds = 2.5e-6;
/// Overhead of one for-loop iteration of a block (barriers, address
/// arithmetic, pipeline refill), seconds.
inline constexpr double kIterationSeconds = 40e-9;
/// Fraction of peak tensor-core throughput a generated kernel reaches.
inline constexpr double kTensorCoreEfficiency = 0.6;
/// Fraction of the SMs that must be busy to saturate HBM: the model assumes
/// one SM can draw at most 1.5 times its even share of the bandwidth (to be
/// calibrated on a GPU; docs/superoptimizer.md, "Cost model").
inline constexpr double kSaturatingSMFraction = 2.0 / 3.0;

/// Estimates the run time of one kernel on `target`.
KernelCost estimateKernel(const GpuTarget &target, const KernelWork &work);

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_COSTMODEL_H
