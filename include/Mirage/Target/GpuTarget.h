//===- GpuTarget.h - What Mirage knows about each GPU -----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// One small record per supported GPU: the limits the verifier enforces and the
// figures the cost model uses. Every NVIDIA-specific number lives here.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_TARGET_GPUTARGET_H
#define MIRAGE_TARGET_GPUTARGET_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <array>
#include <cstdint>
#include <string>

namespace mlir {
class Operation;
namespace mirage {

/// A GPU the compiler targets. Sources: NVIDIA A100, A10, L4, H100 and H200
/// datasheets (SM count, memory bandwidth, dense fp16 tensor-core and fp32
/// throughput, L2 size) and the CUDA C++ Programming Guide, "Technical
/// Specifications per Compute Capability" (shared memory per block with
/// opt-in, per SM; threads per block; block and grid extents).
struct GpuTarget {
  /// Canonical name, as given to `target=` options and `mirage.target`.
  llvm::StringLiteral name;
  /// The PTX target (`sm_80`, `sm_86`, `sm_89`, `sm_90a`).
  llvm::StringLiteral chip;
  /// The device the figures describe.
  llvm::StringLiteral device;
  /// Largest dynamic shared memory one thread block may use, in bytes.
  int64_t sharedMemoryPerBlock;
  /// Shared memory per SM, in bytes (bounds blocks resident per SM).
  int64_t sharedMemoryPerSM;
  /// Threads per block, at most.
  int64_t maxThreadsPerBlock;
  /// Largest block extents (x, y, z), in threads.
  std::array<int64_t, 3> maxBlockSize;
  /// Largest grid extents (x, y, z), in blocks.
  std::array<int64_t, 3> maxGridSize;
  /// Streaming multiprocessors.
  int64_t numSMs;
  /// Peak HBM bandwidth, bytes per second.
  double hbmBytesPerSecond;
  /// Peak dense f16/bf16 tensor-core throughput, FLOP per second.
  double tensorCoreFlops;
  /// Peak f32 CUDA-core throughput (an FMA counts as 2), FLOP per second.
  double cudaCoreFlops;
  /// L2 cache, bytes.
  int64_t l2Bytes;
  /// Whether the chip has warpgroup MMA (`wgmma.mma_async`: sm_90a only; PTX
  /// ISA 8.0, "Asynchronous Warpgroup Level Matrix Multiply-Accumulate").
  bool hasWarpgroupMma;
};

/// The default target: H100 (sm_90a).
const GpuTarget &getDefaultGpuTarget();

/// The target called `name` (`sm_80` or `a100`; `sm_86` or `a10`; `sm_89` or
/// `l4`; `sm_90a`, `sm_90` or `h100`; `h200`), or null.
const GpuTarget *lookupGpuTarget(llvm::StringRef name);

/// The names lookupGpuTarget accepts, for messages and --help.
std::string getGpuTargetNames();

/// The target whose limits apply to code for the PTX chip `chip` (exactly
/// `sm_80`, `sm_86`, `sm_89` or `sm_90a`), or null for a chip the lowering
/// does not support.
const GpuTarget *lookupGpuTargetForChip(llvm::StringRef chip);

/// The chips lookupGpuTargetForChip accepts ("sm_80, sm_86, sm_89, sm_90a"),
/// for messages and --help.
std::string getSupportedChipNames();

/// The chip to compile for a GPU of compute capability `major`.`minor`: the
/// supported chip of that capability, else sm_80 for other 8.x GPUs, sm_90a
/// for 9.x; empty before 8.0 (the lowering needs sm_80's mma.sync shapes and
/// cp.async) and from 10.0 on (sm_90a's wgmma code does not run there).
llvm::StringRef getChipForComputeCapability(int major, int minor);

/// The module attribute naming the target of the kernels in a module.
inline constexpr llvm::StringLiteral kTargetAttrName = "mirage.target";

/// The target of `op`: the `mirage.target` string of the closest enclosing
/// op that has one, else the default. An unknown name (rejected by the
/// dialect's verifier) also gives the default.
const GpuTarget &getGpuTargetFor(Operation *op);

/// The target a pass's `target` option names, or for an empty option the
/// one `op` is in (getGpuTargetFor). Null, after an error on `op` listing
/// the accepted names, when the option names no target.
const GpuTarget *resolveGpuTarget(Operation *op, llvm::StringRef option);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_TARGET_GPUTARGET_H
