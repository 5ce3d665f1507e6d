//===- SafeSoftmax.cpp - Max subtraction for exp/Σexp -----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-safe-softmax: rewrites e^s into e^(s − m), m the max of s along the
// dim its exponentials are summed over, and rescales whatever the program
// computes from them so that its function is unchanged.
// docs/mugraph-optimizer.md gives the argument; in short:
//
// Every value v derived from the exponentials is tracked with a *scale*
// (F, k): after the rewrite it equals its old value times e^(−k·F), F being a
// tile (or tensor) that broadcasts to v. The rewritten exp has scale (m, 1);
// ops that are linear in the exponentials carry scales (sums over dims along
// which F is constant, matmuls contracting such a dim, products and
// quotients, which add and subtract degrees); everything else must read
// unscaled values. What the function returns must be unscaled (degree 0):
// the program divides the exponentials by their sum, so the scales cancel.
//
// Where the exponentials are summed across loop iterations, a `sum`
// accumulator of per-iteration scales becomes `rescaled_sum` by a new `max`
// accumulator (online softmax). Where they are summed across thread blocks
// (a FlashDecoding split), the producing kernel also saves its maxima and the
// combining kernel, instead of a `reduce sum` over the chunks, walks the
// chunks with a for-loop and combines them with the same accumulators; the
// correspondence between each chunk's partial results and its maxima is
// checked element by element through both kernels' imaps and omaps.
//
// Each exp is rewritten on a clone of the function, which replaces the
// original only if the whole rewrite succeeds and the clone verifies.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Support/PassStatistics.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <array>

#define DEBUG_TYPE "mirage-safe-softmax"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGESAFESOFTMAX
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// Element checks the chunk correspondence may take (blocks × tile elements
/// of the combining kernel).
constexpr int64_t kMaxCorrespondenceChecks = int64_t(1) << 26;

/// A value equals its value in the original program times e^(−degree·F).
struct Scale {
  Value factor;
  int degree = 0;
  bool isScaled() const { return degree != 0; }
  bool operator==(const Scale &o) const {
    return degree == o.degree && (degree == 0 || factor == o.factor);
  }
};

ArrayRef<int64_t> getShape(Value v) {
  return cast<ShapedType>(v.getType()).getShape();
}

/// Whether `factor` broadcasts to `shape` (NumPy rules, aligned at the last
/// dim).
bool broadcastsTo(Value factor, ArrayRef<int64_t> shape) {
  FailureOr<SmallVector<int64_t>> b = broadcastShapes(getShape(factor), shape);
  return succeeded(b) && ArrayRef<int64_t>(*b) == shape;
}

/// The extent of `factor` along dim `dim` of a value of rank `rank` it
/// broadcasts to (1 where the factor has no such dim).
int64_t factorExtent(Value factor, int64_t dim, int64_t rank) {
  ArrayRef<int64_t> f = getShape(factor);
  int64_t d = dim - (rank - static_cast<int64_t>(f.size()));
  return d < 0 ? 1 : f[d];
}

/// The already stabilised form: exp(sub(x, reduce max x)).
bool isStabilised(ExpOp exp) {
  auto sub = exp.getOperand().getDefiningOp<SubOp>();
  if (!sub)
    return false;
  auto max = sub.getRhs().getDefiningOp<ReduceOp>();
  return max && max.getKind() == ReduceKind::max &&
         max.getInput() == sub.getLhs();
}

bool isElementwise(Operation *op) {
  return isa<ExpOp, SqrtOp, RsqrtOp, SquareOp, SiluOp, GeluOp, ReluOp,
             SigmoidOp, MulScalarOp, ClampOp, AddOp, SubOp, MulOp, DivOp,
             PowOp>(op);
}

/// The dims of `exp`'s operand that its exponentials are summed over, found
/// by following elementwise ops to reductions and matmuls; the max is taken
/// along one of them. Empty for exps that are not summed (not a softmax).
SmallVector<int64_t> getSummedDims(ExpOp exp) {
  int64_t rank = getShape(exp.getResult()).size();
  llvm::SetVector<int64_t> dims;
  SmallVector<Value> worklist = {exp.getResult()};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    int64_t vRank = getShape(v).size();
    // Dims counted from the last, which broadcasting keeps aligned.
    auto add = [&](int64_t d) {
      int64_t fromEnd = vRank - 1 - d;
      if (fromEnd < rank)
        dims.insert(rank - 1 - fromEnd);
    };
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto reduce = dyn_cast<ReduceOp>(user)) {
        if (reduce.getKind() == ReduceKind::sum)
          add(reduce.getDim());
      } else if (isa<MatmulOp>(user)) {
        add(use.getOperandNumber() == 0 ? vRank - 1 : vRank - 2);
      } else if (isElementwise(user) && seen.insert(user).second) {
        worklist.push_back(user->getResult(0));
      }
    }
  }
  return dims.takeVector();
}

/// Where a kernel's result that carries a scale came from: the tile the
/// producing block graph saved and the maxima it saved beside it.
struct PartialResult {
  Value result; // the scaled result
  Value maxima; // the result holding the maxima it is relative to
  SmallVector<int64_t> tile, factorTile;
  GridMapAttr omap, factorOmap;
};

/// An input iterator's view of a kernel operand, optionally walked by the
/// for-loop along `fmap` in `iterations` steps.
struct IteratorLayout {
  GridMapAttr imap;
  std::optional<int64_t> fmap;
  SmallVector<int64_t> tile; // one iteration's tile
};

/// One attempt to stabilise one exp, on a clone of the function. On failure
/// the clone is left half rewritten and `reason` says why.
class Stabiliser {
public:
  explicit Stabiliser(func::FuncOp func) : func(func) {}

  LogicalResult run(ExpOp exp, int64_t dim);

  std::string reason;
  std::optional<Location> reasonLoc;
  unsigned combinesRescaled = 0;

private:
  LogicalResult fail(Operation *at, const Twine &why) {
    reason = why.str();
    reasonLoc = at ? std::optional<Location>(at->getLoc()) : std::nullopt;
    return failure();
  }
  Scale scaleOf(Value v) const { return scales.lookup(v); }
  void setScale(Value v, Scale s) {
    if (s.isScaled())
      scales[v] = s;
    else
      scales.erase(v);
  }

  LogicalResult transfer(Operation *op);
  LogicalResult propagate(Block &block);
  LogicalResult propagateThreadGraph(ThreadGraphOp threadGraph);
  LogicalResult rescaleAccumulators(ForLoopOp loop);
  LogicalResult finishKernel(GraphKernelOp kernel);
  LogicalResult
  rewriteConsumer(GraphKernelOp consumer,
                  ArrayRef<std::pair<unsigned, PartialResult>> partials);
  std::optional<IteratorLayout> layoutMaxima(GraphKernelOp consumer,
                                             InputIteratorOp it,
                                             const PartialResult &partial,
                                             std::optional<int64_t> chunkDim,
                                             int64_t iterations);
  bool correspond(GraphKernelOp consumer, InputIteratorOp it,
                  const IteratorLayout &xSlice, const PartialResult &partial,
                  const IteratorLayout &maxima, int64_t iterations,
                  std::string &why);

  func::FuncOp func;
  llvm::DenseMap<Value, Scale> scales;
  llvm::SmallPtrSet<Operation *, 4> rewrittenKernels;
};

LogicalResult Stabiliser::run(ExpOp exp, int64_t dim) {
  Location loc = exp.getLoc();
  Value s = exp.getOperand();
  OpBuilder b(exp);
  Value m = ReduceOp::create(b, loc, s, ReduceKind::max, dim, /*size=*/1);
  Value stable;
  auto kernel = exp->getParentOfType<GraphKernelOp>();
  if (kernel) {
    // s − m and its exponential in registers: the difference needs no tile
    // of its own (it is as large as s).
    auto threadGraph =
        ThreadGraphOp::create(b, loc, exp.getType(), ValueRange{s, m});
    Block &body = threadGraph.getBody().front();
    OpBuilder inner = OpBuilder::atBlockEnd(&body);
    Value d =
        SubOp::create(inner, loc, body.getArgument(0), body.getArgument(1));
    YieldOp::create(inner, loc, ValueRange{ExpOp::create(inner, loc, d)});
    stable = threadGraph.getResult(0);
  } else {
    stable = ExpOp::create(b, loc, SubOp::create(b, loc, s, m));
  }
  exp.getResult().replaceAllUsesWith(stable);
  exp.erase();
  setScale(stable, Scale{m, 1});

  if (!kernel)
    return propagate(func.getBody().front());
  if (failed(propagate(kernel.getBodyBlock())))
    return failure();
  return finishKernel(kernel);
}

/// The scale of `op`'s result from its operands'; fails where the op is not
/// linear in the exponentials it reads.
LogicalResult Stabiliser::transfer(Operation *op) {
  SmallVector<Scale> in;
  bool anyScaled = false;
  for (Value v : op->getOperands()) {
    in.push_back(scaleOf(v));
    anyScaled |= in.back().isScaled();
  }
  if (!anyScaled)
    return success();
  auto notLinear = [&]() {
    return fail(op, "'" + op->getName().getStringRef() +
                        "' is not linear in the exponentials it reads, so "
                        "their max cannot be factored out of it");
  };
  if (op->getNumResults() != 1)
    return notLinear();
  Value result = op->getResult(0);
  ArrayRef<int64_t> shape = getShape(result);
  int64_t rank = shape.size();
  Scale out;

  if (isa<MulScalarOp>(op)) {
    out = in[0];
  } else if (isa<SquareOp>(op)) {
    out = Scale{in[0].factor, 2 * in[0].degree};
  } else if (isa<SqrtOp, RsqrtOp>(op)) {
    if (in[0].degree % 2 != 0)
      return notLinear();
    int sign = isa<SqrtOp>(op) ? 1 : -1;
    out = Scale{in[0].factor, sign * in[0].degree / 2};
  } else if (isa<AddOp, SubOp>(op)) {
    if (!(in[0] == in[1]))
      return fail(op, "'" + op->getName().getStringRef() +
                          "' combines values scaled differently by the max "
                          "subtraction");
    out = in[0];
  } else if (isa<MulOp, DivOp>(op)) {
    if (in[0].isScaled() && in[1].isScaled() && in[0].factor != in[1].factor)
      return fail(op, "'" + op->getName().getStringRef() +
                          "' combines exponentials of different maxima");
    Value factor = in[0].isScaled() ? in[0].factor : in[1].factor;
    int degree = isa<MulOp>(op) ? in[0].degree + in[1].degree
                                : in[0].degree - in[1].degree;
    out = Scale{factor, degree};
  } else if (auto reduce = dyn_cast<ReduceOp>(op)) {
    // Σ_k x·e^(−F) = e^(−F)·Σ_k x when F does not vary along k (max too,
    // e^(−F) being positive).
    if (factorExtent(in[0].factor, reduce.getDim(), rank) != 1)
      return fail(op, "'mirage.reduce' reduces along a dim the max varies "
                      "along");
    out = in[0];
  } else if (isa<MatmulOp>(op)) {
    if (in[0].isScaled() && in[1].isScaled())
      return notLinear();
    // The contracted dim: the lhs's last, the rhs's second to last.
    bool lhs = in[0].isScaled();
    int64_t contracted = lhs ? rank - 1 : rank - 2;
    out = lhs ? in[0] : in[1];
    if (factorExtent(out.factor, contracted, rank) != 1)
      return fail(op, "'mirage.matmul' contracts a dim the max varies along");
  } else {
    return notLinear();
  }
  if (out.isScaled() && !broadcastsTo(out.factor, shape))
    return fail(op, "the max does not broadcast to the result of '" +
                        op->getName().getStringRef() + "'");
  setScale(result, out);
  return success();
}

LogicalResult Stabiliser::propagateThreadGraph(ThreadGraphOp threadGraph) {
  Block &body = threadGraph.getBody().front();
  bool anyScaled = false;
  for (auto [arg, input] :
       llvm::zip(body.getArguments(), threadGraph.getInputs())) {
    setScale(arg, scaleOf(input));
    anyScaled |= scaleOf(input).isScaled();
  }
  if (!anyScaled)
    return success();
  for (Operation &op : body.without_terminator())
    if (failed(transfer(&op)))
      return failure();
  auto yield = cast<YieldOp>(body.getTerminator());
  for (auto [result, value] :
       llvm::zip(threadGraph.getResults(), yield.getValues()))
    setScale(result, scaleOf(value));
  return success();
}

LogicalResult Stabiliser::propagate(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto loop = dyn_cast<ForLoopOp>(op)) {
      if (failed(propagate(loop.getBodyBlock())) ||
          failed(rescaleAccumulators(loop)))
        return failure();
      continue;
    }
    if (auto threadGraph = dyn_cast<ThreadGraphOp>(op)) {
      if (failed(propagateThreadGraph(threadGraph)))
        return failure();
      continue;
    }
    if (isa<AccumulateOp, OutputSaverOp, BlockGraphEndOp, InputIteratorOp>(op))
      continue; // handled by the loop, finishKernel, or unscaled reads
    bool readsScaled = llvm::any_of(
        op.getOperands(), [&](Value v) { return scaleOf(v).isScaled(); });
    if (isa<func::ReturnOp>(op)) {
      if (readsScaled)
        return fail(&op, "the function would return exponentials scaled by "
                         "e^(−max)");
      continue;
    }
    if (isa<GraphKernelOp>(op)) {
      if (readsScaled)
        return fail(&op, "a graph-defined kernel reads exponentials that a "
                         "pre-defined kernel scaled");
      continue;
    }
    if (failed(transfer(&op)))
      return failure();
  }
  return success();
}

/// Per-iteration maxima become a `max` accumulator; `sum` accumulators of
/// values scaled by them become `rescaled_sum` (online softmax).
LogicalResult Stabiliser::rescaleAccumulators(ForLoopOp loop) {
  AccumulateOp acc = loop.getAccumulateOp();
  Block &body = loop.getBodyBlock();
  unsigned n = acc.getValues().size();
  SmallVector<Value> values(acc.getValues());
  SmallVector<Attribute> kinds(acc.getKinds().begin(), acc.getKinds().end());
  SmallVector<int64_t> rescaleBy(acc.getRescaleBy());
  llvm::MapVector<Value, unsigned> maxOf; // per-iteration max → accumulator
  SmallVector<Scale> resultScales(n);
  SmallVector<int64_t> rescaledBy(n, -1); // accumulators made rescaled sums
  MLIRContext *context = loop.getContext();
  for (unsigned k = 0; k < n; ++k) {
    Scale s = scaleOf(values[k]);
    if (!s.isScaled())
      continue;
    AccumulatorKind kind = acc.getKind(k);
    if (s.factor.getParentBlock() != &body) {
      // A loop-invariant factor comes out of sums, means and maxima.
      if (kind == AccumulatorKind::rms || kind == AccumulatorKind::rescaled_sum)
        return fail(acc, "a '" + stringifyAccumulatorKind(kind) +
                             "' accumulator of exponentials cannot be "
                             "rescaled");
      resultScales[k] = s;
      continue;
    }
    if (kind != AccumulatorKind::sum || s.degree != 1)
      return fail(acc, "only 'sum' accumulators of exponentials (degree 1) "
                       "become rescaled sums; accumulator " +
                           Twine(k) + " is '" + stringifyAccumulatorKind(kind) +
                           "'");
    auto [it, inserted] = maxOf.try_emplace(s.factor, values.size());
    if (inserted) {
      values.push_back(s.factor);
      kinds.push_back(AccumulatorKindAttr::get(context, AccumulatorKind::max));
      rescaleBy.push_back(-1);
    }
    kinds[k] = AccumulatorKindAttr::get(context, AccumulatorKind::rescaled_sum);
    rescaleBy[k] = it->second;
    rescaledBy[k] = it->second;
  }
  // Accumulators of unscaled values keep the scale their result already has
  // (a combining kernel's rescaled chunks are set before propagation).
  for (unsigned k = 0; k < n; ++k)
    if (!scaleOf(values[k]).isScaled())
      resultScales[k] = scaleOf(loop.getResult(k));
  if (maxOf.empty()) {
    for (unsigned k = 0; k < n; ++k)
      setScale(loop.getResult(k), resultScales[k]);
    return success();
  }

  // Rebuild the loop with the max accumulators as extra results.
  OpBuilder b(loop);
  SmallVector<Type> types;
  for (Value v : values)
    types.push_back(v.getType());
  auto newLoop = ForLoopOp::create(b, loop.getLoc(), types);
  newLoop->setDiscardableAttrs(loop->getDiscardableAttrDictionary());
  newLoop.getBody().takeBody(loop.getBody());
  b.setInsertionPoint(acc);
  AccumulateOp::create(b, acc.getLoc(), values, b.getArrayAttr(kinds),
                       b.getDenseI64ArrayAttr(rescaleBy));
  acc.erase();
  for (unsigned k = 0; k < n; ++k) {
    loop.getResult(k).replaceAllUsesWith(newLoop.getResult(k));
    setScale(loop.getResult(k), Scale());
    // Σ_i v_i·e^(−m_i)·e^(m_i − M) = e^(−M)·Σ_i v_i.
    setScale(newLoop.getResult(k),
             rescaledBy[k] >= 0 ? Scale{newLoop.getResult(rescaledBy[k]), 1}
                                : resultScales[k]);
  }
  loop.erase();
  return success();
}

/// A kernel whose output savers save exponentials scaled by e^(−F) also
/// saves F, and its consumers are rewritten to rescale.
LogicalResult Stabiliser::finishKernel(GraphKernelOp kernel) {
  rewrittenKernels.insert(kernel);
  SmallVector<OutputSaverOp, 4> savers = kernel.getOutputSavers();
  // Scaled savers, grouped by factor.
  llvm::MapVector<Value, SmallVector<unsigned>> byFactor;
  for (auto [k, saver] : llvm::enumerate(savers)) {
    Scale s = scaleOf(saver.getTile());
    if (!s.isScaled())
      continue;
    if (s.degree != 1 || s.factor.getParentBlock() != &kernel.getBodyBlock())
      return fail(saver, "the kernel would save exponentials scaled by a "
                         "power of e^(−max) other than 1");
    byFactor[s.factor].push_back(k);
  }
  if (byFactor.empty())
    return success();

  // One saver for each factor, laid out like the first result it scales:
  // each grid axis maps to the factor's dim aligned with the result's.
  SmallVector<PartialResult> partials;
  SmallVector<std::pair<SmallVector<unsigned>, unsigned>> resultOf;
  SmallVector<Type> extraTypes;
  unsigned next = kernel.getNumResults();
  OpBuilder b(kernel.getBodyBlock().getTerminator());
  ArrayRef<int64_t> grid = kernel.getGrid();
  for (auto &[factor, indices] : byFactor) {
    OutputSaverOp first = savers[indices.front()];
    ArrayRef<int64_t> tile = getShape(first.getTile());
    ArrayRef<int64_t> factorTile = getShape(factor);
    int64_t offset = tile.size() - factorTile.size();
    SmallVector<int64_t, 3> dims(GridMapAttr::kNumAxes, -1);
    SmallVector<int64_t> shape(factorTile);
    for (int axis = 0; axis < GridMapAttr::kNumAxes; ++axis) {
      std::optional<int64_t> d = first.getOmap().getDim(axis);
      if (!d)
        continue;
      if (*d < offset)
        return fail(first, "the maxima have no dim to save grid axis " +
                               Twine(axis) + "'s blocks along");
      dims[axis] = *d - offset;
      shape[*d - offset] *= grid[axis];
    }
    auto omap = GridMapAttr::get(kernel.getContext(), dims);
    OutputSaverOp::create(b, first.getLoc(), factor, omap);
    extraTypes.push_back(RankedTensorType::get(
        shape, cast<TileType>(factor.getType()).getElementType()));
    for (unsigned k : indices)
      partials.push_back(PartialResult{
          Value(), Value(), llvm::to_vector(getShape(savers[k].getTile())),
          llvm::to_vector(factorTile), savers[k].getOmap(), omap});
    resultOf.push_back({indices, next++});
  }

  // The kernel, with the maxima as extra results.
  b.setInsertionPoint(kernel);
  SmallVector<Type> types(kernel.getResultTypes());
  types.append(extraTypes);
  auto newKernel = GraphKernelOp::create(
      b, kernel.getLoc(), types, kernel.getInputs(), kernel.getGridAttr(),
      kernel.getBlockAttr(), kernel.getForloopAttr());
  newKernel->setDiscardableAttrs(kernel->getDiscardableAttrDictionary());
  newKernel.getBody().takeBody(kernel.getBody());
  for (unsigned k = 0; k < kernel.getNumResults(); ++k)
    kernel.getResult(k).replaceAllUsesWith(newKernel.getResult(k));
  rewrittenKernels.erase(kernel);
  rewrittenKernels.insert(newKernel);
  kernel.erase();
  unsigned i = 0;
  for (auto &[indices, maxima] : resultOf)
    for (unsigned k : indices) {
      partials[i].result = newKernel.getResult(k);
      partials[i++].maxima = newKernel.getResult(maxima);
    }

  // Consumers: graph-defined kernels only, each rewritten once for all the
  // partial results it reads.
  llvm::MapVector<Operation *, SmallVector<std::pair<unsigned, PartialResult>>>
      consumers;
  for (const PartialResult &p : partials)
    for (OpOperand &use : p.result.getUses()) {
      auto consumer = dyn_cast<GraphKernelOp>(use.getOwner());
      if (!consumer)
        return fail(use.getOwner(),
                    "'" + use.getOwner()->getName().getStringRef() +
                        "' reads partial sums of exponentials; only "
                        "graph-defined kernels can be rewritten to rescale "
                        "them");
      consumers[consumer].push_back({use.getOperandNumber(), p});
    }
  for (auto &[op, reads] : consumers) {
    auto consumer = cast<GraphKernelOp>(op);
    if (rewrittenKernels.count(consumer))
      return fail(consumer, "the kernel reads exponentials scaled by two "
                            "different rewrites");
    if (failed(rewriteConsumer(consumer, reads)))
      return failure();
  }
  return success();
}

/// The layout of the maxima a consumer reads beside the partial results that
/// iterator `it` reads: chunk by chunk along `chunkDim` (over `iterations`
/// loop steps) or, without a chunk dim, tile for tile.
std::optional<IteratorLayout>
Stabiliser::layoutMaxima(GraphKernelOp consumer, InputIteratorOp it,
                         const PartialResult &p,
                         std::optional<int64_t> chunkDim, int64_t iterations) {
  ArrayRef<int64_t> grid = consumer.getGrid();
  ArrayRef<int64_t> global = getShape(p.maxima);
  int64_t offset = p.tile.size() - p.factorTile.size();
  SmallVector<int64_t, 3> dims(GridMapAttr::kNumAxes, -1);
  IteratorLayout layout;
  layout.tile.assign(global.begin(), global.end());
  for (int64_t e = 0; e < static_cast<int64_t>(global.size()); ++e) {
    int64_t d = e + offset;
    std::optional<int> producerAxis = p.omap.getAxisOf(d);
    std::optional<int> factorAxis = p.factorOmap.getAxisOf(e);
    std::optional<int> consumerAxis = it.getImap().getAxisOf(d);
    bool sameLayout =
        p.factorTile[e] == p.tile[d] && producerAxis == factorAxis;
    if (chunkDim && d == *chunkDim) {
      layout.fmap = e;
    } else if (!sameLayout && !(p.factorTile[e] == 1 && !factorAxis)) {
      return std::nullopt; // maxima split where the results are not
    } else if (!sameLayout) {
      continue; // one max for the whole dim: replicated
    }
    if (consumerAxis) {
      dims[*consumerAxis] = e;
      if (layout.tile[e] % grid[*consumerAxis] != 0)
        return std::nullopt;
      layout.tile[e] /= grid[*consumerAxis];
    }
    if (layout.fmap && *layout.fmap == e) {
      if (layout.tile[e] % iterations != 0)
        return std::nullopt;
      layout.tile[e] /= iterations;
    }
  }
  layout.imap = GridMapAttr::get(consumer.getContext(), dims);
  return layout;
}

/// Whether, in every block and loop step of the consumer, each element of
/// the slice `xSlice` of the partial results that `it` reads is paired
/// (broadcast) with the max that the producer subtracted from it: both come
/// from the same producer block and the same position in its max tile.
bool Stabiliser::correspond(GraphKernelOp consumer, InputIteratorOp it,
                            const IteratorLayout &xSlice,
                            const PartialResult &p,
                            const IteratorLayout &maxima, int64_t iterations,
                            std::string &why) {
  ArrayRef<int64_t> grid = consumer.getGrid();
  ArrayRef<int64_t> xGlobal = getShape(it.getInput());
  ArrayRef<int64_t> fGlobal = getShape(p.maxima);
  int64_t rank = xGlobal.size(), fRank = fGlobal.size();
  int64_t offset = rank - fRank;
  for (int64_t e = 0; e < fRank; ++e)
    if (maxima.tile[e] != 1 && maxima.tile[e] != xSlice.tile[e + offset]) {
      why = "the chunks the combining kernel adds up do not match the "
            "producer's blocks: the maxima do not broadcast to one chunk";
      return false;
    }
  int64_t sliceElements = ShapedType::getNumElements(xSlice.tile);
  if (consumer.getNumBlocks() * iterations * sliceElements >
      kMaxCorrespondenceChecks) {
    why = "the kernels are too large to check which max belongs to which "
          "partial result";
    return false;
  }

  // (producer block, position in the producer's max tile) of an element.
  using Key = std::array<int64_t, 3 + 8>;
  auto keyOfResult = [&](ArrayRef<int64_t> g) {
    Key key{};
    for (int a = 0; a < 3; ++a)
      if (std::optional<int64_t> d = p.omap.getDim(a))
        key[a] = g[*d] / p.tile[*d];
    for (int64_t e = 0; e < fRank; ++e) {
      int64_t d = e + offset;
      int64_t inTile = p.omap.getAxisOf(d) ? g[d] % p.tile[d] : g[d];
      key[3 + e] = p.factorTile[e] == 1 ? 0 : inTile;
    }
    return key;
  };
  auto keyOfMax = [&](ArrayRef<int64_t> h) {
    Key key{};
    for (int a = 0; a < 3; ++a)
      if (std::optional<int64_t> e = p.factorOmap.getDim(a))
        key[a] = h[*e] / p.factorTile[*e];
    for (int64_t e = 0; e < fRank; ++e)
      key[3 + e] = p.factorOmap.getAxisOf(e) ? h[e] % p.factorTile[e] : h[e];
    return key;
  };
  auto offsets = [&](const IteratorLayout &layout, ArrayRef<int64_t> global,
                     std::array<int64_t, 3> block, int64_t step) {
    SmallVector<int64_t> off(global.size(), 0);
    for (int a = 0; a < 3; ++a)
      if (std::optional<int64_t> d = layout.imap.getDim(a))
        off[*d] += block[a] * (global[*d] / grid[a]);
    if (layout.fmap)
      off[*layout.fmap] += step * layout.tile[*layout.fmap];
    return off;
  };

  SmallVector<int64_t> y(rank), g(rank), h(fRank);
  for (int64_t linear = 0, e = consumer.getNumBlocks(); linear < e; ++linear) {
    std::array<int64_t, 3> block = {linear % grid[0],
                                    (linear / grid[0]) % grid[1],
                                    linear / (grid[0] * grid[1])};
    for (int64_t step = 0; step < iterations; ++step) {
      SmallVector<int64_t> xOff = offsets(xSlice, xGlobal, block, step);
      SmallVector<int64_t> fOff = offsets(maxima, fGlobal, block, step);
      for (int64_t i = 0; i < sliceElements; ++i) {
        for (int64_t d = rank - 1, rest = i; d >= 0; --d) {
          y[d] = rest % xSlice.tile[d];
          rest /= xSlice.tile[d];
          g[d] = xOff[d] + y[d];
        }
        for (int64_t f = 0; f < fRank; ++f)
          h[f] = fOff[f] + (maxima.tile[f] == 1 ? 0 : y[f + offset]);
        if (keyOfResult(g) != keyOfMax(h)) {
          why = "the combining kernel would pair a partial result with "
                "another block's max";
          return false;
        }
      }
    }
  }
  return true;
}

LogicalResult Stabiliser::rewriteConsumer(
    GraphKernelOp consumer,
    ArrayRef<std::pair<unsigned, PartialResult>> partials) {
  // One producer and one set of maxima per consumer.
  const PartialResult &first = partials.front().second;
  for (const auto &[operand, p] : partials)
    if (p.maxima != first.maxima)
      return fail(consumer, "the kernel reads partial sums of exponentials "
                            "relative to different maxima");
  if (first.tile.size() < first.factorTile.size() ||
      first.tile.size() - first.factorTile.size() > 8 ||
      first.factorTile.size() > 8)
    return fail(consumer, "unsupported ranks of partial results");

  // The maxima become an extra operand of the consumer.
  OpBuilder b(consumer);
  Value maxima = first.maxima;
  SmallVector<Value> inputs(consumer.getInputs());
  inputs.push_back(maxima);
  auto newConsumer =
      GraphKernelOp::create(b, consumer.getLoc(), consumer.getResultTypes(),
                            inputs, consumer.getGridAttr(),
                            consumer.getBlockAttr(), consumer.getForloopAttr());
  newConsumer->setDiscardableAttrs(consumer->getDiscardableAttrDictionary());
  newConsumer.getBody().takeBody(consumer.getBody());
  Block &body = newConsumer.getBodyBlock();
  BlockArgument maximaArg = body.addArgument(maxima.getType(), maxima.getLoc());
  for (unsigned k = 0; k < consumer.getNumResults(); ++k)
    consumer.getResult(k).replaceAllUsesWith(newConsumer.getResult(k));
  consumer.erase();
  rewrittenKernels.insert(newConsumer);

  // The iterators reading partial results: each either adds up chunks
  // (a reduce sum whose size is smaller than its extent) or is read as is.
  struct Read {
    InputIteratorOp it;
    const PartialResult *partial;
    ReduceOp combine; // null: read tile for tile
    int64_t chunks = 1;
  };
  SmallVector<Read> reads;
  for (const auto &[operand, p] : partials) {
    for (Operation *user : body.getArgument(operand).getUsers()) {
      auto it = dyn_cast<InputIteratorOp>(user);
      if (!it || it->getParentOp() != newConsumer || it.getFmap())
        return fail(user, "partial sums of exponentials must be read by an "
                          "input iterator before the loop");
      Read read{it, &p, nullptr, 1};
      Value tile = it.getTile();
      if (tile.hasOneUse())
        if (auto reduce = dyn_cast<ReduceOp>(*tile.getUsers().begin()))
          if (reduce.getKind() == ReduceKind::sum) {
            int64_t extent = getShape(tile)[reduce.getDim()];
            int64_t size = static_cast<int64_t>(reduce.getSize());
            if (size < extent && extent % size == 0) {
              read.combine = reduce;
              read.chunks = extent / size;
            }
          }
      reads.push_back(read);
    }
  }

  // Tile-for-tile reads: the matching tile of maxima, read beside them.
  for (Read &read : reads) {
    if (read.combine)
      continue;
    IteratorLayout xLayout{read.it.getImap(), std::nullopt,
                           llvm::to_vector(getShape(read.it.getTile()))};
    std::optional<IteratorLayout> layout = layoutMaxima(
        newConsumer, read.it, *read.partial, std::nullopt, /*iterations=*/1);
    std::string why = "the maxima cannot be tiled like the partial results";
    if (!layout || !correspond(newConsumer, read.it, xLayout, *read.partial,
                               *layout, 1, why))
      return fail(read.it, why);
    OpBuilder after(read.it->getBlock(), std::next(read.it->getIterator()));
    auto type = TileType::get(
        layout->tile,
        cast<RankedTensorType>(maxima.getType()).getElementType());
    Value tile = InputIteratorOp::create(
        after, read.it.getLoc(), type, maximaArg, layout->imap, IntegerAttr());
    setScale(read.it.getTile(), Scale{tile, 1});
  }

  // Chunk-combining reads: one for-loop walks the chunks; a max accumulator
  // keeps the largest chunk max and rescaled sums combine the chunks.
  SmallVector<Read *> combines;
  for (Read &read : reads)
    if (read.combine)
      combines.push_back(&read);
  if (!combines.empty()) {
    int64_t chunks = combines.front()->chunks;
    if (newConsumer.getForloop() != 1 || newConsumer.getForLoop())
      return fail(combines.front()->combine,
                  "the kernel that adds up chunks of partial sums already "
                  "has a for-loop");
    for (Read *read : combines)
      if (read->chunks != chunks)
        return fail(read->combine, "partial sums are added up over "
                                   "different numbers of chunks");
    // Slices of the partial results, one chunk per loop step.
    SmallVector<IteratorLayout> slices;
    for (Read *read : combines) {
      IteratorLayout slice{
          read->it.getImap(), static_cast<int64_t>(read->combine.getDim()),
          llvm::to_vector(getShape(read->combine.getResult()))};
      slices.push_back(slice);
    }
    // The maxima's layout: derived from one of the reads, valid for all.
    std::optional<IteratorLayout> maximaLayout;
    std::string why = "the maxima cannot be laid out like the chunks of the "
                      "partial results";
    for (Read *candidate : combines) {
      std::optional<IteratorLayout> layout = layoutMaxima(
          newConsumer, candidate->it, *candidate->partial,
          static_cast<int64_t>(candidate->combine.getDim()), chunks);
      if (!layout)
        continue;
      bool all = true;
      for (auto [read, slice] : llvm::zip(combines, slices))
        all = all && correspond(newConsumer, read->it, slice, *read->partial,
                                *layout, chunks, why);
      if (all) {
        maximaLayout = layout;
        break;
      }
    }
    if (!maximaLayout)
      return fail(combines.front()->combine, why);

    Operation *earliest = combines.front()->combine;
    for (Read *read : combines)
      if (read->combine->isBeforeInBlock(earliest))
        earliest = read->combine;
    OpBuilder lb(earliest);
    Type element = cast<RankedTensorType>(maxima.getType()).getElementType();
    SmallVector<Type> types = {TileType::get(maximaLayout->tile, element)};
    for (Read *read : combines)
      types.push_back(read->combine.getResult().getType());
    auto loop = ForLoopOp::create(lb, earliest->getLoc(), types);
    OpBuilder ib = OpBuilder::atBlockEnd(&loop.getBodyBlock());
    SmallVector<Value> values = {InputIteratorOp::create(
        ib, loop.getLoc(), types[0], maximaArg, maximaLayout->imap,
        ib.getI64IntegerAttr(*maximaLayout->fmap))};
    SmallVector<Attribute> kinds = {
        AccumulatorKindAttr::get(ib.getContext(), AccumulatorKind::max)};
    SmallVector<int64_t> rescaleBy = {-1};
    for (auto [read, slice] : llvm::zip(combines, slices)) {
      values.push_back(InputIteratorOp::create(
          ib, read->it.getLoc(), read->combine.getResult().getType(),
          read->it.getInput(), slice.imap, ib.getI64IntegerAttr(*slice.fmap)));
      kinds.push_back(AccumulatorKindAttr::get(ib.getContext(),
                                               AccumulatorKind::rescaled_sum));
      rescaleBy.push_back(0);
    }
    AccumulateOp::create(ib, loop.getLoc(), values, ib.getArrayAttr(kinds),
                         ib.getDenseI64ArrayAttr(rescaleBy));
    for (auto [k, read] : llvm::enumerate(combines)) {
      read->combine.getResult().replaceAllUsesWith(loop.getResult(k + 1));
      setScale(loop.getResult(k + 1), Scale{loop.getResult(0), 1});
      read->combine.erase();
      if (read->it->use_empty())
        read->it.erase();
    }
    newConsumer.setForloopAttr(b.getI64IntegerAttr(chunks));
    ++combinesRescaled;
  }

  if (failed(propagate(body)))
    return failure();
  return finishKernel(newConsumer);
}

/// A clone of `func` for one attempt, knowing the module's target (the
/// verifier checks shared memory against it).
func::FuncOp cloneForAttempt(func::FuncOp func) {
  auto clone = cast<func::FuncOp>(func->clone());
  const GpuTarget &target = getGpuTargetFor(func);
  clone->setAttr(kTargetAttrName,
                 StringAttr::get(func.getContext(), target.name));
  return clone;
}

struct MirageSafeSoftmaxPass
    : mirage::impl::MirageSafeSoftmaxBase<MirageSafeSoftmaxPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    uint64_t stabilised = 0, combines = 0;
    // Candidates in walk order; attempts that fail leave the function as it
    // was, so the i-th remaining candidate is the next to try.
    unsigned skip = 0;
    while (true) {
      SmallVector<ExpOp> candidates;
      func.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (isa<ThreadGraphOp>(op))
          return WalkResult::skip();
        if (auto exp = dyn_cast<ExpOp>(op))
          if (!isStabilised(exp) && !getSummedDims(exp).empty())
            candidates.push_back(exp);
        return WalkResult::advance();
      });
      if (skip >= candidates.size())
        break;
      ExpOp exp = candidates[skip];
      std::string reason;
      std::optional<Location> reasonLoc;
      bool done = false;
      for (int64_t dim : getSummedDims(exp)) {
        func::FuncOp clone = cloneForAttempt(func);
        unsigned index = 0;
        ExpOp cloneExp;
        clone.walk<WalkOrder::PreOrder>([&](Operation *op) {
          if (isa<ThreadGraphOp>(op))
            return WalkResult::skip();
          if (auto e = dyn_cast<ExpOp>(op)) {
            if (!isStabilised(e) && !getSummedDims(e).empty() &&
                index++ == skip) {
              cloneExp = e;
              return WalkResult::interrupt();
            }
          }
          return WalkResult::advance();
        });
        Stabiliser stabiliser(clone);
        LogicalResult result = stabiliser.run(cloneExp, dim);
        if (succeeded(result)) {
          // The verifier's objections (shared memory, say) are reasons to
          // keep the original, not errors.
          std::string message;
          ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &d) {
            if (message.empty())
              message = d.str();
            return success();
          });
          if (failed(mlir::verify(clone))) {
            result = failure();
            stabiliser.reason =
                "the rewritten kernels do not verify: " + message;
          }
        }
        if (succeeded(result)) {
          func.getBody().takeBody(clone.getBody());
          clone->erase();
          ++stabilised;
          combines += stabiliser.combinesRescaled;
          done = true;
          break;
        }
        reason = stabiliser.reason;
        reasonLoc = stabiliser.reasonLoc;
        clone->erase();
      }
      if (!done) {
        InFlightDiagnostic diag =
            exp.emitWarning("exp left without max subtraction (fp16 may "
                            "overflow): ")
            << reason;
        if (reasonLoc && *reasonLoc != exp.getLoc())
          diag.attachNote(*reasonLoc) << "here";
        ++skip;
      }
    }

    expsStabilised += stabilised;
    combinesRescaled += combines;
    if (!kLLVMStatisticsEnabled) {
      // Names and descriptions as in Passes.td.
      recordPassStatistic(getName(), "exps-stabilised",
                          "Exps rewritten to subtract their max", stabilised);
      recordPassStatistic(getName(), "combines-rescaled",
                          "Kernels that add up chunks of partial sums, "
                          "rewritten to rescale them by their chunk's max",
                          combines);
    }
  }
};

} // namespace
