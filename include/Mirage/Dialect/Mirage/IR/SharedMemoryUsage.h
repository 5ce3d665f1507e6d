//===- SharedMemoryUsage.h - Shared memory of a block graph -----*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_SHAREDMEMORYUSAGE_H
#define MIRAGE_DIALECT_MIRAGE_IR_SHAREDMEMORYUSAGE_H

#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir {
class Operation;
namespace mirage {

/// The shared memory a graph-defined kernel's block graph needs.
///
/// Every tile of the block graph is a buffer in shared memory, live from the
/// op that defines it to its last use, in program order: the block graph's
/// ops, with the for-loop body between the loop's start and end. A tile
/// defined before the loop and used in its body stays live to the loop's end
/// (every iteration reads it); the loop's accumulators are live from the
/// loop's start (they are updated in place). Thread-graph intermediates live
/// in registers and take none.
///
/// The peak of the summed sizes of the live buffers is the least shared
/// memory any allocation of these buffers needs; the verifier checks it
/// against the target's per-block limit, and the μGraph optimizer's
/// shared-memory planner places buffers at offsets that realise it.
///
/// Usable as an MLIR analysis on a mirage.graph_kernel op
/// (`getAnalysis<SharedMemoryUsage>()`).
class SharedMemoryUsage {
public:
  /// A tile's buffer and its live range, as positions in program order
  /// (inclusive).
  struct Buffer {
    Value tile;
    int64_t bytes;
    int64_t start, end;
  };

  /// Analyses `graphKernel`, a mirage.graph_kernel op.
  explicit SharedMemoryUsage(Operation *graphKernel);

  /// The least shared memory, in bytes, that holds every live tile at every
  /// point of the block graph.
  int64_t getPeakBytes() const { return peakBytes; }
  /// The shared memory, in bytes, if every tile had a buffer of its own.
  int64_t getTotalBytes() const { return totalBytes; }
  /// One buffer per tile, in program order.
  ArrayRef<Buffer> getBuffers() const { return buffers; }

private:
  SmallVector<Buffer> buffers;
  int64_t peakBytes = 0;
  int64_t totalBytes = 0;
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_DIALECT_MIRAGE_IR_SHAREDMEMORYUSAGE_H
