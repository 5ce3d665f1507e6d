//===- CostModel.cpp - Analytic cost of GPU kernels -------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/CostModel.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

/// Resident blocks per SM on Hopper and Ampere: at most 32 blocks and 2048
/// threads (CUDA C++ Programming Guide, compute capabilities 8.0 and 9.0).
static constexpr int64_t kMaxBlocksPerSM = 32;
static constexpr int64_t kMaxThreadsPerSM = 2048;

KernelCost mlir::mirage::search::estimateKernel(const GpuTarget &target,
                                                const KernelWork &work) {
  KernelCost cost;
  if (work.sharedMemoryBytes > target.sharedMemoryPerBlock ||
      work.threadsPerBlock > target.maxThreadsPerBlock || work.numBlocks < 1) {
    cost.feasible = false;
    cost.seconds = std::numeric_limits<double>::infinity();
    return cost;
  }
  // Occupancy: blocks resident per SM, limited by shared memory, threads
  // and the hardware's block slots.
  int64_t bySharedMemory =
      work.sharedMemoryBytes > 0
          ? target.sharedMemoryPerSM / work.sharedMemoryBytes
          : kMaxBlocksPerSM;
  cost.blocksPerSM = std::max<int64_t>(
      1, std::min({bySharedMemory, kMaxThreadsPerSM / work.threadsPerBlock,
                   kMaxBlocksPerSM}));
  int64_t slots = target.numSMs * cost.blocksPerSM;
  cost.waves = (work.numBlocks + slots - 1) / slots;

  // Only SMs that have work contribute bandwidth and compute. Wave
  // quantization: the last wave may leave slots idle, which stretches the
  // time by waves·slots / blocks (>= 1).
  double activeSMs =
      static_cast<double>(std::min<int64_t>(target.numSMs, work.numBlocks));
  double quantization =
      work.numBlocks > slots
          ? static_cast<double>(cost.waves * slots) / work.numBlocks
          : 1.0;
  double bandwidthFraction =
      std::min(1.0, activeSMs / (kSaturatingSMFraction * target.numSMs));
  double computeFraction = activeSMs / target.numSMs;

  double bytes = work.bytesRead + work.bytesWritten;
  cost.memorySeconds =
      bytes / (target.hbmBytesPerSecond * bandwidthFraction) * quantization;
  double tensorSeconds =
      work.tensorCoreFlops /
      (target.tensorCoreFlops * kTensorCoreEfficiency * computeFraction);
  double cudaSeconds =
      work.cudaCoreFlops / (target.cudaCoreFlops * computeFraction);
  cost.computeSeconds = (tensorSeconds + cudaSeconds) * quantization;
  // Each wave of blocks runs the loop once; iteration overheads of blocks on
  // one SM overlap, so they count once per wave.
  cost.loopSeconds =
      static_cast<double>(cost.waves * work.forloop) * kIterationSeconds;
  cost.launchSeconds = kLaunchSeconds;
  cost.seconds = cost.launchSeconds +
                 std::max(cost.memorySeconds, cost.computeSeconds) +
                 cost.loopSeconds;
  return cost;
}
