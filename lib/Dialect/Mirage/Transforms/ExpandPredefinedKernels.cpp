//===- ExpandPredefinedKernels.cpp - Default block graphs -------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Rewrites every pre-defined kernel op of a kernel graph into an equivalent
// graph-defined kernel, so that code generation has a single input form.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/IR/SharedMemoryUsage.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

#include <array>

#define DEBUG_TYPE "mirage-expand-predefined-kernels"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEEXPANDPREDEFINEDKERNELS
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// The divisors of `n` >= 1, ascending; pairs up to the square root, so an
/// extent of 2^31 - 1 takes 46,341 steps.
SmallVector<int64_t> getDivisors(int64_t n) {
  SmallVector<int64_t> low, high;
  for (int64_t d = 1; d <= n / d; ++d)
    if (n % d == 0) {
      low.push_back(d);
      if (d != n / d)
        high.push_back(n / d);
    }
  low.append(high.rbegin(), high.rend());
  return low;
}

/// The largest divisor of `n` that is at most `cap` (at least 1).
int64_t largestDivisorAtMost(int64_t n, int64_t cap) {
  int64_t best = 1;
  for (int64_t d : getDivisors(n))
    if (d <= cap)
      best = d;
  return best;
}

/// The smallest divisor of `n` that is at least `floor` (at most n).
int64_t smallestDivisorAtLeast(int64_t n, int64_t floor) {
  for (int64_t d : getDivisors(n))
    if (d >= floor)
      return d;
  return n;
}

/// How a grid covers a shape: the dim each axis (x, y, z) splits, the number
/// of parts, and the tile left for one block.
struct GridPlan {
  std::array<int64_t, 3> grid = {1, 1, 1};
  std::array<int64_t, 3> dimOfAxis = {-1, -1, -1};
  SmallVector<int64_t> tile;

  std::optional<int> axisOf(int64_t dim) const {
    for (int a = 0; a < 3; ++a)
      if (dimOfAxis[a] == dim)
        return a;
    return std::nullopt;
  }
};

/// Assigns grid axes x, y, z to the innermost splittable dims of `shape`,
/// with tile extents capped by `caps`, then shrinks the tile until it has at
/// most `maxTileElements` elements (or cannot shrink further), and grows it
/// where the grid would have more blocks along an axis than `target`
/// launches.
GridPlan planGrid(ArrayRef<int64_t> shape, ArrayRef<bool> splittable,
                  std::array<int64_t, 3> caps, int64_t maxTileElements,
                  const GpuTarget &target) {
  GridPlan plan;
  plan.tile.assign(shape.begin(), shape.end());
  int axis = 0;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0 && axis < 3;
       --d) {
    if (!splittable[d])
      continue;
    plan.dimOfAxis[axis] = d;
    plan.tile[d] = largestDivisorAtMost(shape[d], caps[axis]);
    ++axis;
  }
  while (ShapedType::getNumElements(plan.tile) > maxTileElements) {
    int64_t widest = -1;
    for (int64_t d : plan.dimOfAxis)
      if (d >= 0 && plan.tile[d] > 1 &&
          (widest < 0 || plan.tile[d] > plan.tile[widest]))
        widest = d;
    if (widest < 0)
      break;
    plan.tile[widest] =
        largestDivisorAtMost(shape[widest], plan.tile[widest] - 1);
  }
  for (int a = 0; a < 3; ++a) {
    int64_t d = plan.dimOfAxis[a];
    if (d < 0)
      continue;
    int64_t maxBlocks = target.maxGridSize[a];
    if (shape[d] / plan.tile[d] > maxBlocks)
      plan.tile[d] = smallestDivisorAtLeast(
          shape[d], (shape[d] + maxBlocks - 1) / maxBlocks);
    plan.grid[a] = shape[d] / plan.tile[d];
  }
  return plan;
}

/// The grid map of `plan` with each split dim renamed by `toDim` (a dim of
/// the mapped value, or none to leave the axis unmapped).
GridMapAttr makeMap(MLIRContext *context, const GridPlan &plan,
                    function_ref<std::optional<int64_t>(int64_t)> toDim) {
  SmallVector<int64_t, 3> dims(3, -1);
  for (int a = 0; a < 3; ++a)
    if (plan.dimOfAxis[a] >= 0)
      if (std::optional<int64_t> d = toDim(plan.dimOfAxis[a]))
        dims[a] = *d;
  return GridMapAttr::get(context, dims);
}

/// Builds a graph-defined kernel replacing `op` and fills its block graph.
class KernelBuilder {
public:
  KernelBuilder(PatternRewriter &rewriter, Operation *op, const GridPlan &plan,
                int64_t threads, int64_t forloop)
      : rewriter(rewriter), loc(op->getLoc()), plan(plan) {
    kernel = GraphKernelOp::create(rewriter, loc, op->getResultTypes(),
                                   op->getOperands(),
                                   rewriter.getDenseI64ArrayAttr(plan.grid),
                                   rewriter.getDenseI64ArrayAttr({threads}),
                                   rewriter.getI64IntegerAttr(forloop));
    Block *body = rewriter.createBlock(&kernel.getBody());
    for (Value operand : op->getOperands())
      body->addArgument(operand.getType(), operand.getLoc());
    rewriter.setInsertionPointToStart(body);
  }

  MLIRContext *getContext() { return rewriter.getContext(); }

  /// An input iterator over operand `i`. `toDim` names, for each dim of the
  /// plan's shape that a grid axis splits, the operand dim split with it (or
  /// none: the operand is replicated along that axis). `fmap` (an operand
  /// dim) is split `forloop` ways.
  Value iterate(unsigned i, function_ref<std::optional<int64_t>(int64_t)> toDim,
                std::optional<int64_t> fmap, int64_t forloop) {
    Value arg = kernel.getBodyBlock().getArgument(i);
    auto type = cast<RankedTensorType>(arg.getType());
    GridMapAttr imap = makeMap(getContext(), plan, toDim);
    SmallVector<int64_t> tile(type.getShape());
    for (int a = 0; a < 3; ++a)
      if (std::optional<int64_t> d = imap.getDim(a))
        tile[*d] /= plan.grid[a];
    IntegerAttr fmapAttr;
    if (fmap) {
      tile[*fmap] /= forloop;
      fmapAttr = rewriter.getI64IntegerAttr(*fmap);
    }
    return InputIteratorOp::create(rewriter, loc,
                                   TileType::get(tile, type.getElementType()),
                                   arg, imap, fmapAttr);
  }

  /// An input iterator over operand `i`, which lines up with the result at
  /// its trailing dims (NumPy broadcasting): a result dim split by the grid
  /// is split in the operand too unless the operand broadcasts along it.
  Value iterateAligned(unsigned i, ArrayRef<int64_t> resultShape) {
    auto type =
        cast<RankedTensorType>(kernel.getBodyBlock().getArgument(i).getType());
    int64_t offset = resultShape.size() - type.getRank();
    return iterate(
        i,
        [&](int64_t d) -> std::optional<int64_t> {
          int64_t od = d - offset;
          if (od < 0 || type.getDimSize(od) != resultShape[d])
            return std::nullopt;
          return od;
        },
        std::nullopt, 1);
  }

  /// Terminates the current for-loop body with the given accumulators.
  void accumulate(ArrayRef<std::pair<AccumulatorKind, Value>> entries) {
    SmallVector<Value> values;
    SmallVector<Attribute> kinds;
    for (auto [kind, value] : entries) {
      values.push_back(value);
      kinds.push_back(AccumulatorKindAttr::get(getContext(), kind));
    }
    AccumulateOp::create(
        rewriter, loc, values, rewriter.getArrayAttr(kinds),
        rewriter.getDenseI64ArrayAttr(SmallVector<int64_t>(values.size(), -1)));
  }

  /// `op` applied to tiles: the same op, attributes and all, with its result
  /// type inferred from the tiles.
  Value cloneOnTiles(Operation *op, ValueRange tiles) {
    IRMapping mapping;
    mapping.map(op->getOperands(), tiles);
    Operation *clone = rewriter.clone(*op, mapping);
    SmallVector<Type> inferred;
    auto infer = cast<InferTypeOpInterface>(clone);
    LogicalResult ok = infer.inferReturnTypes(
        getContext(), loc, clone->getOperands(), clone->getRawDictionaryAttrs(),
        clone->getPropertiesStorage(), clone->getRegions(), inferred);
    assert(succeeded(ok) && "tile shapes of a valid op must infer");
    (void)ok;
    clone->getResult(0).setType(inferred.front());
    return clone->getResult(0);
  }

  /// Saves `tile` into result 0, with the plan's axes mapped to the result's
  /// dims.
  void save(Value tile) {
    GridMapAttr omap = makeMap(getContext(), plan, [](int64_t d) {
      return std::optional<int64_t>(d);
    });
    OutputSaverOp::create(rewriter, loc, tile, omap);
  }

  GraphKernelOp getKernel() { return kernel; }

  /// Ends the block graph and returns the kernel.
  GraphKernelOp finish() {
    GraphKernelOp::ensureTerminator(kernel.getBody(), rewriter, loc);
    return kernel;
  }

private:
  PatternRewriter &rewriter;
  Location loc;
  const GridPlan &plan;
  GraphKernelOp kernel;
};

struct ExpandPredefinedKernel : RewritePattern {
  ExpandPredefinedKernel(MLIRContext *context, int64_t threads,
                         int64_t maxTileElements)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context),
        threads(threads), maxTileElements(maxTileElements) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!op->hasTrait<SameLevel>() || op->getNumResults() != 1 ||
        !isa<RankedTensorType>(op->getResult(0).getType()) ||
        op->getParentOfType<GraphKernelOp>())
      return failure();
    OpBuilder::InsertionGuard guard(rewriter);
    GraphKernelOp kernel =
        llvm::TypeSwitch<Operation *, GraphKernelOp>(op)
            .Case(
                [&](MatmulOp matmul) { return expandMatmul(matmul, rewriter); })
            .Case(
                [&](ReduceOp reduce) { return expandReduce(reduce, rewriter); })
            .Case([&](RmsNormOp norm) {
              int64_t rank = cast<ShapedType>(norm.getType()).getRank();
              int64_t rows = rank - norm.getNormalizedShape().size();
              return expandRows(op, rewriter,
                                [&](int64_t d) { return d < rows; });
            })
            .Case([&](SoftmaxOp softmax) {
              return expandRows(op, rewriter, [&](int64_t d) {
                return d != static_cast<int64_t>(softmax.getDim());
              });
            })
            .Case([&](ConcatOp concat) {
              return expandRows(op, rewriter, [&](int64_t d) {
                return d != static_cast<int64_t>(concat.getDim());
              });
            })
            .Default(
                [&](Operation *) { return expandElementwise(op, rewriter); });
    rewriter.replaceOp(op, kernel.getResults());
    return success();
  }

  /// A grid over the result's dims; each block applies the op to its tile.
  GraphKernelOp expandElementwise(Operation *op,
                                  PatternRewriter &rewriter) const {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(op->getResult(0).getType()).getShape();
    SmallVector<bool> all(shape.size(), true);
    GridPlan plan = planGrid(shape, all, {128, 8, 1}, maxTileElements,
                             getGpuTargetFor(op));
    rewriter.setInsertionPoint(op);
    KernelBuilder kb(rewriter, op, plan, threads, /*forloop=*/1);
    SmallVector<Value> tiles;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      tiles.push_back(kb.iterateAligned(i, shape));
    kb.save(kb.cloneOnTiles(op, tiles));
    return kb.finish();
  }

  /// Whole rows along the dims `splittable` rejects; a grid over the rest.
  GraphKernelOp expandRows(Operation *op, PatternRewriter &rewriter,
                           function_ref<bool(int64_t)> splittable) const {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(op->getResult(0).getType()).getShape();
    SmallVector<bool> split;
    for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
      split.push_back(splittable(d));
    GridPlan plan = planGrid(shape, split, {128, 8, 1}, maxTileElements,
                             getGpuTargetFor(op));
    rewriter.setInsertionPoint(op);
    KernelBuilder kb(rewriter, op, plan, threads, /*forloop=*/1);
    SmallVector<Value> tiles;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      tiles.push_back(kb.iterate(
          i, [](int64_t d) { return std::optional<int64_t>(d); }, std::nullopt,
          1));
    rewriter.setInsertionPointToEnd(&kb.getKernel().getBodyBlock());
    if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
      // Block-level softmax, with the row max subtracted for stability.
      Location loc = op->getLoc();
      Value x = tiles.front();
      int64_t dim = softmax.getDim();
      Value max = ReduceOp::create(rewriter, loc, x, ReduceKind::max, dim, 1);
      Value shifted = SubOp::create(rewriter, loc, x, max);
      Value exp = ExpOp::create(rewriter, loc, shifted);
      Value sum = ReduceOp::create(rewriter, loc, exp, ReduceKind::sum, dim, 1);
      kb.save(DivOp::create(rewriter, loc, exp, sum));
    } else {
      kb.save(kb.cloneOnTiles(op, tiles));
    }
    return kb.finish();
  }

  /// x over n, y over m, z over the last batch dim; the for-loop walks k,
  /// summing one (m-tile x k-tile) . (k-tile x n-tile) product per iteration.
  GraphKernelOp expandMatmul(MatmulOp op, PatternRewriter &rewriter) const {
    auto lhs = cast<RankedTensorType>(op.getLhs().getType());
    auto rhs = cast<RankedTensorType>(op.getRhs().getType());
    auto result = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> shape = result.getShape();
    int64_t rank = shape.size();
    int64_t k = lhs.getDimSize(rank - 1);
    int64_t forloop = k / largestDivisorAtMost(k, 64);
    SmallVector<bool> split(rank, false);
    split[rank - 1] = split[rank - 2] = true;
    if (rank >= 3)
      split[rank - 3] = true;
    GridPlan plan = planGrid(shape, split, {64, 64, 1}, maxTileElements,
                             getGpuTargetFor(op));

    rewriter.setInsertionPoint(op);
    KernelBuilder kb(rewriter, op, plan, threads, forloop);
    auto tileType = TileType::get(plan.tile, result.getElementType());
    auto loop = ForLoopOp::create(rewriter, op.getLoc(), TypeRange{tileType});
    Value sum = loop.getResult(0);
    rewriter.setInsertionPointToStart(&loop.getBodyBlock());
    // A batch dim is split in an operand unless that operand broadcasts it.
    auto batchDim = [&](RankedTensorType operand,
                        int64_t d) -> std::optional<int64_t> {
      if (d < rank - 2 && operand.getDimSize(d) == shape[d])
        return d;
      return std::nullopt;
    };
    Value a = kb.iterate(
        0,
        [&](int64_t d) -> std::optional<int64_t> {
          return d == rank - 2 ? std::optional<int64_t>(d) : batchDim(lhs, d);
        },
        rank - 1, forloop);
    Value b = kb.iterate(
        1,
        [&](int64_t d) -> std::optional<int64_t> {
          return d == rank - 1 ? std::optional<int64_t>(d) : batchDim(rhs, d);
        },
        rank - 2, forloop);
    Value product = MatmulOp::create(rewriter, op.getLoc(), a, b);
    kb.accumulate({{AccumulatorKind::sum, product}});
    rewriter.setInsertionPointAfter(loop);
    kb.save(sum);
    return kb.finish();
  }

  /// A grid over the kept dims. A reduced dim longer than 1024 is walked by
  /// the for-loop in chunks (each a multiple of the result size), combined by
  /// a sum or max accumulator.
  GraphKernelOp expandReduce(ReduceOp op, PatternRewriter &rewriter) const {
    auto input = cast<RankedTensorType>(op.getInput().getType());
    int64_t dim = op.getDim(), size = op.getSize();
    int64_t extent = input.getDimSize(dim);
    // The largest chunk L = size * c, c | extent / size, with L <= 1024.
    int64_t chunk =
        size *
        largestDivisorAtMost(extent / size, std::max<int64_t>(1024 / size, 1));
    int64_t forloop = extent / chunk;
    SmallVector<int64_t> perIteration(input.getShape());
    perIteration[dim] = chunk;
    SmallVector<bool> split(input.getRank(), true);
    split[dim] = false;
    GridPlan plan = planGrid(perIteration, split, {128, 8, 1}, maxTileElements,
                             getGpuTargetFor(op));

    rewriter.setInsertionPoint(op);
    KernelBuilder kb(rewriter, op, plan, threads, forloop);
    auto same = [](int64_t d) { return std::optional<int64_t>(d); };
    if (forloop == 1) {
      Value tile = kb.iterate(0, same, std::nullopt, 1);
      kb.save(kb.cloneOnTiles(op, tile));
      return kb.finish();
    }
    SmallVector<int64_t> resultTile(plan.tile);
    resultTile[dim] = size;
    auto tileType = TileType::get(resultTile, input.getElementType());
    auto loop = ForLoopOp::create(rewriter, op.getLoc(), TypeRange{tileType});
    Value total = loop.getResult(0);
    rewriter.setInsertionPointToStart(&loop.getBodyBlock());
    Value tile = kb.iterate(0, same, dim, forloop);
    Value partial = kb.cloneOnTiles(op, tile);
    kb.accumulate({{op.getKind() == ReduceKind::max ? AccumulatorKind::max
                                                    : AccumulatorKind::sum,
                    partial}});
    rewriter.setInsertionPointAfter(loop);
    kb.save(total);
    return kb.finish();
  }

  int64_t threads, maxTileElements;
};

struct MirageExpandPredefinedKernelsPass
    : mirage::impl::MirageExpandPredefinedKernelsBase<
          MirageExpandPredefinedKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads <= 0 || threads > 1024) {
      getOperation().emitError()
          << "threads must be in [1, 1024], got " << threads;
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateExpandPredefinedKernelsPatterns(patterns, threads, maxTileElements);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::mirage::populateExpandPredefinedKernelsPatterns(
    RewritePatternSet &patterns, int64_t threads, int64_t maxTileElements) {
  patterns.add<ExpandPredefinedKernel>(patterns.getContext(), threads,
                                       maxTileElements);
}
