//===- SharedMemoryPlan.cpp - Offsets of tiles in shared memory -----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryPlan.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace mlir::mirage;

SharedMemoryPlan
mlir::mirage::planSharedMemory(ArrayRef<BufferRequest> requests) {
  SharedMemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  // Largest first; ties by start, then by index, so the plan is deterministic.
  SmallVector<unsigned> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  llvm::stable_sort(order, [&](unsigned a, unsigned b) {
    if (requests[a].bytes != requests[b].bytes)
      return requests[a].bytes > requests[b].bytes;
    return requests[a].start < requests[b].start;
  });
  SmallVector<unsigned> placed;
  for (unsigned i : order) {
    const BufferRequest &r = requests[i];
    if (r.bytes == 0)
      continue;
    // The byte ranges of placed buffers live at the same time, by offset.
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (unsigned j : placed) {
      const BufferRequest &o = requests[j];
      if (o.start <= r.end && r.start <= o.end)
        busy.push_back({plan.offsets[j], plan.offsets[j] + o.bytes});
    }
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      offset = llvm::alignTo(offset, r.alignment);
      if (offset + r.bytes <= begin)
        break;
      offset = std::max(offset, end);
    }
    offset = llvm::alignTo(offset, r.alignment);
    plan.offsets[i] = offset;
    plan.size = std::max(plan.size, offset + r.bytes);
    placed.push_back(i);
  }
  return plan;
}
