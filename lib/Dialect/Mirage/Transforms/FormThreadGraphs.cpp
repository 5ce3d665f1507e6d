//===- FormThreadGraphs.cpp - Fuse elementwise chains -----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-form-thread-graphs: groups chains of elementwise block-level ops into
// mirage.thread_graph ops, so that their intermediates stay in registers
// instead of taking a shared-memory tile each (and a barrier between ops).
//
// A group grows from its root (the op whose result leaves the group) towards
// its producers: a producer joins when it is elementwise, in the same block,
// produces the root's tile shape (a thread graph has one iteration shape) and
// every use of its result is already in the group. Groups of two or more ops
// become thread graphs; the rest is left alone.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/IR/SharedMemoryUsage.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Support/PassStatistics.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "mirage-form-thread-graphs"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEFORMTHREADGRAPHS
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// The ops a thread graph may hold (see ThreadGraphOp's verifier): one
/// element of the result from the same element of each (broadcast) operand.
bool isElementwise(Operation *op) {
  return isa<ExpOp, SqrtOp, RsqrtOp, SquareOp, SiluOp, GeluOp, ReluOp,
             SigmoidOp, MulScalarOp, ClampOp, AddOp, SubOp, MulOp, DivOp,
             PowOp>(op);
}

ArrayRef<int64_t> getTileShape(Value v) {
  return cast<TileType>(v.getType()).getShape();
}

struct Counts {
  uint64_t threadGraphs = 0, opsFused = 0;
};

/// Partitions the elementwise tile ops of `block` into groups; returns the
/// groups of at least two ops, each in block order with its root last.
SmallVector<SmallVector<Operation *>> findGroups(Block &block) {
  llvm::DenseMap<Operation *, unsigned> groupOf;
  SmallVector<SmallVector<Operation *>> groups;
  // Roots first: a value's users come after it, so walking backwards opens
  // each group at the op whose result leaves it.
  for (Operation &root : llvm::reverse(block)) {
    if (!isElementwise(&root) || groupOf.count(&root) ||
        !isa<TileType>(root.getResult(0).getType()))
      continue;
    unsigned g = groups.size();
    groups.emplace_back();
    groups[g].push_back(&root);
    groupOf[&root] = g;
    ArrayRef<int64_t> shape = getTileShape(root.getResult(0));
    auto inGroup = [&](Operation *user) {
      auto it = groupOf.find(user);
      return it != groupOf.end() && it->second == g;
    };
    // Every member looks at its producers once it has joined; a producer
    // with several users joins when the last of them has.
    SmallVector<Operation *> worklist = {&root};
    while (!worklist.empty()) {
      Operation *member = worklist.pop_back_val();
      for (Value operand : member->getOperands()) {
        Operation *producer = operand.getDefiningOp();
        if (!producer || producer->getBlock() != &block ||
            !isElementwise(producer) || groupOf.count(producer) ||
            getTileShape(producer->getResult(0)) != shape ||
            !llvm::all_of(producer->getUsers(), inGroup))
          continue;
        groupOf[producer] = g;
        groups[g].push_back(producer);
        worklist.push_back(producer);
      }
    }
  }
  SmallVector<SmallVector<Operation *>> fused;
  for (SmallVector<Operation *> &group : groups) {
    if (group.size() < 2)
      continue;
    llvm::sort(group, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    fused.push_back(std::move(group));
  }
  return fused;
}

/// Replaces `group` (block order, root last) with one thread graph at the
/// root's place.
void formThreadGraph(ArrayRef<Operation *> group) {
  Operation *root = group.back();
  llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
  llvm::SetVector<Value> inputs;
  for (Operation *op : group)
    for (Value operand : op->getOperands())
      if (!members.count(operand.getDefiningOp()))
        inputs.insert(operand);

  OpBuilder b(root);
  auto threadGraph = ThreadGraphOp::create(
      b, root->getLoc(), root->getResultTypes(), inputs.getArrayRef());
  Block &body = threadGraph.getBody().front();
  IRMapping mapping;
  for (auto [input, arg] : llvm::zip(inputs, body.getArguments()))
    mapping.map(input, arg);
  b.setInsertionPointToEnd(&body);
  for (Operation *op : group)
    b.clone(*op, mapping);
  YieldOp::create(b, root->getLoc(), mapping.lookup(root->getResult(0)));

  root->getResult(0).replaceAllUsesWith(threadGraph.getResult(0));
  for (Operation *op : llvm::reverse(group))
    op->erase();
}

struct MirageFormThreadGraphsPass
    : mirage::impl::MirageFormThreadGraphsBase<MirageFormThreadGraphsPass> {
  void runOnOperation() override {
    Counts counts;
    int64_t bytesSaved = 0;
    getOperation().walk([&](GraphKernelOp kernel) {
      int64_t before = SharedMemoryUsage(kernel).getPeakBytes();
      SmallVector<Block *> blocks = {&kernel.getBodyBlock()};
      if (ForLoopOp loop = kernel.getForLoop())
        blocks.push_back(&loop.getBodyBlock());
      for (Block *block : blocks)
        for (SmallVector<Operation *> &group : findGroups(*block)) {
          formThreadGraph(group);
          ++counts.threadGraphs;
          counts.opsFused += group.size();
        }
      bytesSaved += before - SharedMemoryUsage(kernel).getPeakBytes();
    });

    threadGraphsFormed += counts.threadGraphs;
    opsFused += counts.opsFused;
    sharedMemorySaved += bytesSaved;
    if (!kLLVMStatisticsEnabled) {
      // Names and descriptions as in Passes.td.
      recordPassStatistic(getName(), "thread-graphs-formed",
                          "Thread graphs formed", counts.threadGraphs);
      recordPassStatistic(getName(), "ops-fused",
                          "Block-level ops moved into thread graphs",
                          counts.opsFused);
      recordPassStatistic(
          getName(), "shared-memory-saved",
          "Bytes of peak shared memory per block saved, summed over kernels",
          static_cast<uint64_t>(std::max<int64_t>(bytesSaved, 0)));
    }
  }
};

} // namespace
