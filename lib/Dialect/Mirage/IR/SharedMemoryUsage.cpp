//===- SharedMemoryUsage.cpp - Shared memory of a block graph ---*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/SharedMemoryUsage.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::mirage;

SharedMemoryUsage::SharedMemoryUsage(Operation *op) {
  auto kernel = dyn_cast<GraphKernelOp>(op);
  if (!kernel || kernel.getBody().empty())
    return;

  // Number the ops of the block graph and of the loop body in program order;
  // a for-loop gets its own position (start) and its terminator's (end).
  llvm::DenseMap<Operation *, int64_t> position;
  int64_t next = 0;
  ForLoopOp loop;
  int64_t loopStart = -1, loopEnd = -1;
  for (Operation &top : kernel.getBodyBlock()) {
    position[&top] = next++;
    if (auto forLoop = dyn_cast<ForLoopOp>(top)) {
      loop = forLoop;
      loopStart = position[&top];
      for (Operation &inner : forLoop.getBodyBlock())
        position[&inner] = next++;
      loopEnd = next - 1;
    }
  }

  auto addBuffer = [&](Value value, int64_t start) {
    auto tile = dyn_cast<TileType>(value.getType());
    if (!tile)
      return;
    bool definedOutsideLoop =
        !loop || !loop->isAncestor(value.getParentBlock()->getParentOp());
    int64_t end = start;
    for (Operation *user : value.getUsers()) {
      auto it = position.find(user);
      if (it == position.end())
        continue;
      int64_t use = it->second;
      // Read in every iteration: live until the loop ends.
      if (definedOutsideLoop && loop && use > loopStart && use <= loopEnd)
        use = loopEnd;
      end = std::max(end, use);
    }
    buffers.push_back({value, tile.getSizeInBytes(), start, end});
  };

  for (Operation &top : kernel.getBodyBlock()) {
    if (auto forLoop = dyn_cast<ForLoopOp>(top)) {
      // Accumulators exist from the loop's start.
      for (Value result : forLoop.getResults())
        addBuffer(result, loopStart);
      for (Operation &inner : forLoop.getBodyBlock())
        for (Value result : inner.getResults())
          addBuffer(result, position[&inner]);
      continue;
    }
    for (Value result : top.getResults())
      addBuffer(result, position[&top]);
  }

  // Sweep: the live total changes only where a buffer starts or ends.
  SmallVector<std::pair<int64_t, int64_t>> events;
  for (const Buffer &b : buffers) {
    totalBytes += b.bytes;
    events.push_back({b.start, b.bytes});
    events.push_back({b.end + 1, -b.bytes});
  }
  llvm::sort(events, [](auto a, auto b) {
    // At one position, free before allocating.
    return a.first != b.first ? a.first < b.first : a.second < b.second;
  });
  int64_t live = 0;
  for (auto [pos, delta] : events) {
    live += delta;
    peakBytes = std::max(peakBytes, live);
  }
}
