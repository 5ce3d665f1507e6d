//===- SharedMemoryAssignment.h - Buffers of a block graph ------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Where every value of a graph-defined kernel's block graph lives once it is
// lowered: each tile gets a buffer with a live interval over the block
// graph's program points (in block-graph order, the for-loop body counted
// once but keeping everything it reads alive to its end); f32 values that
// only feed accumulators, the accumulators and reduction scratch are
// *private* (per-thread registers at thread level, no shared memory); tiles
// tensor cores read get rows padded against bank conflicts
// (SharedMemoryLayout.h); for-loop input tiles a second slot (double
// buffering); and the shared buffers byte offsets (SharedMemoryPlan.h), with
// padding and then second slots given up where the target's limit requires.
//
// convert-mirage-to-gpu emits its views from this; mirage-plan-shared-memory
// reports it; mirage-schedule-block-graphs compares plans of two orders.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYASSIGNMENT_H
#define MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYASSIGNMENT_H

#include "Mirage/Conversion/MirageToGPU/SharedMemoryLayout.h"
#include "Mirage/Conversion/MirageToGPU/SharedMemoryPlan.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Target/GpuTarget.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir {
namespace mirage {

/// Shared-memory buffers are aligned for 128-bit vector accesses and to the
/// start of a bank row (32 banks × 4 bytes).
constexpr int64_t kSharedBufferAlignment = 128;
/// Tiles in the 128-byte-swizzled layout start where the swizzle pattern
/// does: every 8 rows of 128 bytes (PTX ISA, "Shared Memory Matrix Layout",
/// swizzling modes).
constexpr int64_t kSwizzledBufferAlignment = 1024;

/// A buffer of the block graph.
struct TileBuffer {
  SmallVector<int64_t> shape;
  Type elementType;
  bool shared = true;
  unsigned start = 0, end = 0;
  /// How the thread-level code will access the tile (shared buffers).
  SmallVector<TileAccess, 2> accesses;
  /// Elements of padding after each row (the innermost dim).
  int64_t rowPadding = 0;
  /// False for the second slot of a double buffer that did not fit.
  bool used = true;
  /// A warpgroup-MMA B operand (targets with wgmma): unpadded and
  /// 1024-byte aligned, so that the thread-level code can keep it in the
  /// 128-byte-swizzled layout (mirage.warpgroup_mma).
  bool swizzled = false;

  int64_t getElementBytes() const {
    return elementType.getIntOrFloatBitWidth() / 8;
  }
  /// The bytes the buffer takes in shared memory, rows padded.
  int64_t getSharedBytes() const {
    if (!shared || !used)
      return 0;
    int64_t elements = 1;
    for (int64_t d : ArrayRef<int64_t>(shape).drop_back())
      elements *= d;
    elements *= shape.empty() ? 1 : shape.back() + rowPadding;
    return elements * getElementBytes();
  }
};

/// A for-loop input iterator whose tile is double-buffered: the next
/// iteration's tile is copied into the second slot while the current one is
/// read (asynchronously at thread level).
struct DoubleBuffer {
  InputIteratorOp iterator;
  unsigned slots[2];
  unsigned start, end; // the first slot's live range without a second
};

/// The buffers of one graph-defined kernel and their places.
class SharedMemoryAssignment {
public:
  /// Assigns and places the buffers of `kernel`'s block graph for `target`
  /// (with second slots for for-loop input tiles when `doubleBuffer`).
  /// Fails with a diagnostic on the kernel when a block-graph op cannot be
  /// lowered or the buffers exceed the target's shared memory per block.
  LogicalResult run(GraphKernelOp kernel, const GpuTarget &target,
                    bool doubleBuffer);

  /// All buffers, shared and private, in the order they were assigned.
  SmallVector<TileBuffer> buffers;
  /// The buffer of each tile value.
  llvm::DenseMap<Value, unsigned> bufferOf;
  /// f32 scratch of reductions and rms_norm (by op).
  llvm::DenseMap<Operation *, unsigned> scratchOf;
  /// Per accumulated value of the for-loop: its f32 accumulator, and the
  /// running maximum of a rescaled_sum (~0u for other kinds).
  SmallVector<unsigned> accumulatorOf, runningMaxOf;
  /// The double-buffered input iterators that got their second slot.
  SmallVector<DoubleBuffer> doubleBuffers;
  /// Byte offsets of the buffers; `plan.size` is the kernel's dynamic shared
  /// memory.
  SharedMemoryPlan plan;

private:
  LogicalResult assignBuffers();
  void recordAccesses();
  LogicalResult placeBuffers();
  void addDoubleBuffers(unsigned loopStart, unsigned loopEnd);
  unsigned addBuffer(ArrayRef<int64_t> shape, Type elementType, bool shared,
                     unsigned start, unsigned end);
  unsigned lastUse(Value v, unsigned def);

  GraphKernelOp kernel;
  const GpuTarget *target = nullptr;
  bool doubleBuffer = true;
  llvm::DenseMap<Operation *, unsigned> pointOf;
  unsigned loopEndPoint = 0;
  ForLoopOp loop;
  int64_t sharedMemoryBytes = 0;
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYASSIGNMENT_H
