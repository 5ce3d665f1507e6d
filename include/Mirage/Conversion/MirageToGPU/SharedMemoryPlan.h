//===- SharedMemoryPlan.h - Offsets of tiles in shared memory ---*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Shared-memory planning for a block graph: every buffer (a tile, an f32
// accumulator or scratch) has a size and a live interval over the block
// graph's program points; buffers whose intervals overlap must not share
// bytes, others may. Placing them is dynamic storage allocation (an
// NP-hard packing problem; Mirage uses first/best/worst fit). This planner
// places buffers largest first, each at the lowest aligned offset free of
// every overlapping buffer placed before it (Garey and Johnson's
// first-fit-decreasing heuristic for interval packing), which is optimal
// when all intervals overlap and reuses space when they do not.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYPLAN_H
#define MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYPLAN_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir {
namespace mirage {

/// One buffer to place: `bytes` long, aligned to `alignment` bytes (a power
/// of two), live from program point `start` to `end` inclusive.
struct BufferRequest {
  int64_t bytes = 0;
  int64_t alignment = 16;
  unsigned start = 0, end = 0;
};

/// Byte offsets of the buffers (in request order) and the bytes they span.
struct SharedMemoryPlan {
  SmallVector<int64_t> offsets;
  int64_t size = 0;
};

/// Places `requests` so that no two buffers live at the same program point
/// overlap in memory.
SharedMemoryPlan planSharedMemory(ArrayRef<BufferRequest> requests);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYPLAN_H
