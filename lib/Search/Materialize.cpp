//===- Materialize.cpp - Build the IR of a μGraph plan ----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/Materialize.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

namespace {

enum class Phase : uint8_t { PreLoop, Loop, Post };

/// Builds one graph-defined kernel.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &builder, Location loc, const KernelGraph &g,
                const KernelPlan &plan, const Tiling &tiling)
      : b(builder), loc(loc), g(g), plan(plan), tiling(tiling) {}

  FailureOr<SmallVector<Value>> build(ArrayRef<Value> operands) {
    // Result types: expanded along the chunk dim for split reductions.
    SmallVector<Type> resultTypes;
    for (auto [k, t] : llvm::enumerate(plan.outputs)) {
      const TensorInfo &info = g.tensors[t];
      SmallVector<int64_t> shape(info.shape.begin(), info.shape.end());
      const Layout &layout = plan.outputLayouts[k];
      if (layout.chunks > 1)
        shape[layout.chunkDim] *= layout.chunks;
      resultTypes.push_back(RankedTensorType::get(shape, info.elementType));
    }
    int64_t forloop = tiling.loopIndex >= 0 ? tiling.forloop : 1;
    auto kernel = GraphKernelOp::create(
        b, loc, resultTypes, operands,
        b.getDenseI64ArrayAttr(
            {tiling.axisParts[0], tiling.axisParts[1], tiling.axisParts[2]}),
        b.getDenseI64ArrayAttr({tiling.threads}), b.getI64IntegerAttr(forloop));
    OpBuilder::InsertionGuard guard(b);
    Block *body = b.createBlock(&kernel.getBody());
    for (Value operand : operands)
      body->addArgument(operand.getType(), loc);

    computePhases();

    // Before the loop: loop-invariant reads and ops.
    b.setInsertionPointToEnd(body);
    for (auto [i, t] : llvm::enumerate(plan.inputs))
      if (phase[t] == Phase::PreLoop)
        readInput(i, body->getArgument(i));
    for (unsigned o : plan.ops)
      if (opPhase[o] == Phase::PreLoop && failed(buildOp(o)))
        return failure();

    // The loop: per-iteration reads and ops; sums over the loop index are
    // accumulated.
    if (tiling.loopIndex >= 0) {
      SmallVector<Type> accTypes;
      SmallVector<unsigned> accumulated;
      for (unsigned o : plan.ops)
        if (reducesLoop(o)) {
          accumulated.push_back(g.ops[o].result);
          accTypes.push_back(tileType(g.ops[o].result, nullptr));
        }
      auto loop = ForLoopOp::create(b, loc, accTypes);
      b.setInsertionPointToStart(&loop.getBodyBlock());
      for (auto [i, t] : llvm::enumerate(plan.inputs))
        if (phase[t] == Phase::Loop)
          readInput(i, body->getArgument(i));
      for (unsigned o : plan.ops)
        if (opPhase[o] == Phase::Loop && failed(buildOp(o)))
          return failure();
      SmallVector<Value> values;
      SmallVector<Attribute> kinds;
      for (unsigned t : accumulated) {
        values.push_back(tiles.lookup(t));
        kinds.push_back(
            AccumulatorKindAttr::get(b.getContext(), AccumulatorKind::sum));
      }
      AccumulateOp::create(
          b, loc, values, b.getArrayAttr(kinds),
          b.getDenseI64ArrayAttr(SmallVector<int64_t>(values.size(), -1)));
      for (auto [k, t] : llvm::enumerate(accumulated))
        tiles[t] = loop.getResult(k);
      b.setInsertionPointAfter(loop);
    }

    // The epilogue, then the output savers.
    for (unsigned o : plan.ops)
      if (opPhase[o] == Phase::Post && !reducesLoop(o) && failed(buildOp(o)))
        return failure();
    for (auto [k, t] : llvm::enumerate(plan.outputs)) {
      Value tile = tiles.lookup(t);
      if (!tile)
        return emitError(loc, "internal error: output tile missing");
      SmallVector<int64_t, 3> dims(3, -1);
      for (int a = 0; a < 3; ++a) {
        if (tiling.axisParts[a] <= 1)
          continue;
        std::optional<int64_t> d = g.tensors[t].getDimOf(tiling.axisIndex[a]);
        if (d)
          dims[a] = *d;
        else if (plan.outputLayouts[k].chunks > 1)
          dims[a] = plan.outputLayouts[k].chunkDim;
      }
      OutputSaverOp::create(b, loc, tile,
                            GridMapAttr::get(b.getContext(), dims));
    }
    GraphKernelOp::ensureTerminator(kernel.getBody(), b, loc);
    return SmallVector<Value>(kernel.getResults());
  }

private:
  bool reducesLoop(unsigned o) const {
    if (tiling.loopIndex < 0)
      return false;
    const KernelGraph::Op &op = g.ops[o];
    const TensorInfo &x = g.tensors[op.operands[0]];
    int reduced = kUnitIndex;
    if (op.spec.kind == OpKind::Matmul)
      reduced = x.indices.back();
    else if (op.spec.kind == OpKind::ReduceSum)
      reduced = x.indices[op.spec.dim];
    return reduced != kUnitIndex && reduced == tiling.loopIndex;
  }

  void computePhases() {
    for (auto [i, t] : llvm::enumerate(plan.inputs)) {
      bool variant = tiling.loopIndex >= 0 &&
                     llvm::is_contained(g.tensors[t].indices, tiling.loopIndex);
      phase[t] = variant ? Phase::Loop : Phase::PreLoop;
    }
    for (unsigned o : plan.ops) {
      Phase p = Phase::PreLoop;
      for (unsigned t : g.ops[o].operands)
        p = std::max(p, phase[t]);
      opPhase[o] = p;
      phase[g.ops[o].result] = reducesLoop(o) ? Phase::Post : p;
    }
  }

  TileType tileType(unsigned t, const Layout *layout) const {
    const TensorInfo &info = g.tensors[t];
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < info.getRank(); ++d) {
      if (layout && layout->chunks > 1 && d == layout->chunkDim) {
        shape.push_back(info.shape[d] * layout->chunks);
        continue;
      }
      int id = info.indices[d];
      shape.push_back(info.shape[d] /
                      (id == kUnitIndex ? 1 : tiling.getPartsOf(id)));
    }
    return TileType::get(shape, info.elementType);
  }

  void readInput(unsigned i, Value arg) {
    unsigned t = plan.inputs[i];
    const TensorInfo &info = g.tensors[t];
    const Layout &layout = plan.inputLayouts[i];
    SmallVector<int64_t, 3> dims(3, -1);
    for (int a = 0; a < 3; ++a)
      if (tiling.axisParts[a] > 1)
        if (std::optional<int64_t> d = info.getDimOf(tiling.axisIndex[a]))
          if (!(layout.chunks > 1 && *d == layout.chunkDim))
            dims[a] = *d;
    IntegerAttr fmap;
    if (tiling.loopIndex >= 0)
      if (std::optional<int64_t> d = info.getDimOf(tiling.loopIndex))
        fmap = b.getI64IntegerAttr(*d);
    Value tile =
        InputIteratorOp::create(b, loc, tileType(t, &layout), arg,
                                GridMapAttr::get(b.getContext(), dims), fmap);
    if (layout.chunks > 1)
      // Add up the chunks the producer wrote side by side.
      tile = ReduceOp::create(b, loc, tile, ReduceKind::sum, layout.chunkDim,
                              info.shape[layout.chunkDim]);
    tiles[t] = tile;
  }

  LogicalResult buildOp(unsigned o) {
    const KernelGraph::Op &op = g.ops[o];
    SmallVector<Value> operands;
    for (unsigned t : op.operands) {
      Value v = tiles.lookup(t);
      if (!v)
        return emitError(loc, "internal error: operand tile missing");
      operands.push_back(v);
    }
    Value result = op.spec.build(b, loc, operands);
    if (result.getType() != tileType(op.result, nullptr))
      return emitError(loc, "internal error: tile of ")
             << op.spec.getName() << " is " << result.getType() << ", expected "
             << tileType(op.result, nullptr);
    tiles[op.result] = result;
    return success();
  }

  OpBuilder &b;
  Location loc;
  const KernelGraph &g;
  const KernelPlan &plan;
  const Tiling &tiling;
  llvm::DenseMap<unsigned, Phase> phase;
  llvm::DenseMap<unsigned, Phase> opPhase;
  llvm::DenseMap<unsigned, Value> tiles;
};

/// The tiling with its grid axes ordered by size (largest on x: CUDA allows
/// 2^31−1 blocks along x but 65535 along y and z).
Tiling canonicalAxes(Tiling tiling) {
  std::array<int, 3> order = {0, 1, 2};
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return tiling.axisParts[a] > tiling.axisParts[b];
  });
  Tiling sorted = tiling;
  for (int a = 0; a < 3; ++a) {
    sorted.axisIndex[a] =
        tiling.axisParts[order[a]] > 1 ? tiling.axisIndex[order[a]] : -1;
    sorted.axisParts[a] = tiling.axisParts[order[a]];
  }
  return sorted;
}

} // namespace

LogicalResult mlir::mirage::search::materializePlan(const Plan &plan,
                                                    func::FuncOp func) {
  Block &body = func.getBody().front();
  Location loc = func.getLoc();
  SmallVector<Operation *> old;
  for (Operation &op : body)
    old.push_back(&op);
  OpBuilder b(func.getContext());
  b.setInsertionPointToEnd(&body);

  const KernelGraph &g = plan.graph;
  llvm::DenseMap<unsigned, Value> values;
  for (unsigned i = 0; i < g.numInputs; ++i)
    values[i] = body.getArgument(g.inputArguments[i]);
  for (const KernelPlan &kernel : plan.kernels) {
    if (!old.empty())
      loc = old.front()->getLoc();
    SmallVector<Value> operands;
    for (unsigned t : kernel.inputs)
      operands.push_back(values.lookup(t));
    Tiling tiling = canonicalAxes(kernel.tiling);
    KernelBuilder kb(b, loc, g, kernel, tiling);
    FailureOr<SmallVector<Value>> results = kb.build(operands);
    if (failed(results))
      return failure();
    for (auto [t, v] : llvm::zip(kernel.outputs, *results))
      values[t] = v;
  }
  SmallVector<Value> returned;
  for (unsigned t : g.outputs)
    returned.push_back(values.lookup(t));
  func::ReturnOp::create(b, func.getLoc(), returned);
  for (Operation *op : llvm::reverse(old)) {
    op->dropAllUses();
    op->erase();
  }
  return success();
}
