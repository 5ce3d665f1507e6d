//===- Slicing.cpp - Evaluating part of a kernel graph's results ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Interpreter/Slicing.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Interpreter/Tensor.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Parallel.h"

#include <limits>

using namespace mlir;
using namespace mlir::mirage;

static constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();

static uint64_t addSaturating(uint64_t a, uint64_t b) {
  return a > kSaturated - b ? kSaturated : a + b;
}

//===----------------------------------------------------------------------===//
// Box
//===----------------------------------------------------------------------===//

Box Box::whole(ArrayRef<int64_t> shape) {
  Box box;
  box.lo.assign(shape.size(), 0);
  box.hi.assign(shape.begin(), shape.end());
  return box;
}

SmallVector<int64_t> Box::getShape() const {
  SmallVector<int64_t> shape;
  for (auto [l, h] : llvm::zip(lo, hi))
    shape.push_back(h - l);
  return shape;
}

int64_t Box::getNumElements() const {
  int64_t n = 1;
  for (int64_t extent : getShape())
    n *= extent;
  return n;
}

bool Box::isWhole(ArrayRef<int64_t> shape) const {
  return *this == whole(shape);
}

void Box::unite(const Box &other) {
  for (unsigned d = 0; d < lo.size(); ++d) {
    lo[d] = std::min(lo[d], other.lo[d]);
    hi[d] = std::max(hi[d], other.hi[d]);
  }
}

bool Box::contains(const Box &other) const {
  for (unsigned d = 0; d < lo.size(); ++d)
    if (other.lo[d] < lo[d] || other.hi[d] > hi[d])
      return false;
  return true;
}

void mlir::mirage::forEachRowOfBox(
    ArrayRef<int64_t> shape, const Box &box,
    llvm::function_ref<void(int64_t, int64_t, int64_t)> row) {
  if (shape.empty()) {
    row(0, 0, 1);
    return;
  }
  SmallVector<int64_t> extents = box.getShape();
  SmallVector<int64_t> strides = getRowMajorStrides(shape);
  int64_t length = extents.back();
  if (length <= 0)
    return;
  int64_t rows = box.getNumElements() / length;
  auto runRow = [&](int64_t r) {
    int64_t rest = r, whole = box.lo.back() * strides.back();
    for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) {
      whole += (box.lo[d] + rest % extents[d]) * strides[d];
      rest /= extents[d];
    }
    row(r * length, whole, length);
  };
  // Chunks of about 64K elements per task.
  int64_t rowsPerTask = std::max<int64_t>(1, (int64_t(1) << 16) / length);
  int64_t tasks = llvm::divideCeil(rows, rowsPerTask);
  if (tasks <= 1) {
    for (int64_t r = 0; r < rows; ++r)
      runRow(r);
    return;
  }
  llvm::parallelFor(0, tasks, [&](size_t task) {
    int64_t end = std::min<int64_t>(rows, (task + 1) * rowsPerTask);
    for (int64_t r = task * rowsPerTask; r < end; ++r)
      runRow(r);
  });
}

static uint64_t boxBytes(const Box &box, uint64_t bytesPerValue) {
  uint64_t bytes = bytesPerValue;
  for (int64_t extent : box.getShape())
    bytes = llvm::SaturatingMultiply(bytes, static_cast<uint64_t>(extent));
  return bytes;
}

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

//===----------------------------------------------------------------------===//
// Slicing one op
//===----------------------------------------------------------------------===//

namespace {

OpSlice wholeSlice(Operation *op) {
  OpSlice slice;
  for (Value result : op->getResults())
    slice.results.push_back(Box::whole(shapeOf(result)));
  for (Value operand : op->getOperands())
    slice.operands.push_back(Box::whole(shapeOf(operand)));
  return slice;
}

/// The box of an operand of `operandShape` that a result box reads when the
/// operand is broadcast to `resultShape` (NumPy: aligned at the last dim; a
/// dim of extent 1 is read at 0).
Box broadcastBox(const Box &result, ArrayRef<int64_t> resultShape,
                 ArrayRef<int64_t> operandShape) {
  Box box = Box::whole(operandShape);
  int64_t offset = static_cast<int64_t>(resultShape.size()) -
                   static_cast<int64_t>(operandShape.size());
  for (int64_t d = 0; d < static_cast<int64_t>(operandShape.size()); ++d) {
    int64_t rd = d + offset;
    if (rd < 0 || (operandShape[d] == 1 && resultShape[rd] != 1))
      continue;
    box.lo[d] = result.lo[rd];
    box.hi[d] = result.hi[rd];
  }
  return box;
}

/// `box` made whole along `dim` of `shape`.
Box wholeAlong(Box box, ArrayRef<int64_t> shape, int64_t dim) {
  box.lo[dim] = 0;
  box.hi[dim] = shape[dim];
  return box;
}

OpSlice sliceMatmul(MatmulOp op, const Box &result) {
  ArrayRef<int64_t> resultShape = shapeOf(op.getResult());
  ArrayRef<int64_t> lhsShape = shapeOf(op.getLhs());
  ArrayRef<int64_t> rhsShape = shapeOf(op.getRhs());
  int64_t rank = resultShape.size();
  // Batch dims broadcast like elementwise operands; then rows of the lhs and
  // columns of the rhs, with the whole contraction dim.
  Box batch;
  batch.lo.assign(result.lo.begin(), result.lo.end() - 2);
  batch.hi.assign(result.hi.begin(), result.hi.end() - 2);
  auto operandBox = [&](ArrayRef<int64_t> shape, bool isLhs) {
    Box box = broadcastBox(batch, resultShape.drop_back(2), shape.drop_back(2));
    int64_t r = shape.size();
    box.lo.append({0, 0});
    box.hi.append({shape[r - 2], shape[r - 1]});
    if (isLhs) {
      box.lo[r - 2] = result.lo[rank - 2];
      box.hi[r - 2] = result.hi[rank - 2];
    } else {
      box.lo[r - 1] = result.lo[rank - 1];
      box.hi[r - 1] = result.hi[rank - 1];
    }
    return box;
  };
  OpSlice slice;
  slice.results = {result};
  slice.operands = {operandBox(lhsShape, true), operandBox(rhsShape, false)};
  return slice;
}

/// The blocks of `kernel` that write `demand` of its results, as a smaller
/// kernel (see Slicing.h).
OpSlice sliceGraphKernel(GraphKernelOp kernel,
                         ArrayRef<std::optional<Box>> demand) {
  ArrayRef<int64_t> grid = kernel.getGrid();
  constexpr int kAxes = GridMapAttr::kNumAxes;
  SmallVector<OutputSaverOp, 4> savers = kernel.getOutputSavers();
  SmallVector<InputIteratorOp> iterators;
  kernel.walk([&](InputIteratorOp it) { iterators.push_back(it); });
  if (savers.size() != kernel.getNumResults())
    return wholeSlice(kernel);

  // An axis can be cut unless a map sends two axes to one dim.
  std::array<bool, kAxes> cut = {true, true, true};
  auto markShared = [&](GridMapAttr map) {
    for (int a = 0; a < kAxes; ++a)
      for (int b = a + 1; b < kAxes; ++b)
        if (map.getDim(a) && map.getDim(a) == map.getDim(b))
          cut[a] = cut[b] = false;
  };
  for (OutputSaverOp saver : savers)
    markShared(saver.getOmap());
  for (InputIteratorOp it : iterators)
    markShared(it.getImap());

  // The blocks that write the demanded boxes.
  std::array<int64_t, kAxes> begin, end;
  for (int a = 0; a < kAxes; ++a) {
    begin[a] = grid[a];
    end[a] = 0;
  }
  for (auto [r, saver] : llvm::enumerate(savers)) {
    if (!demand[r])
      continue;
    ArrayRef<int64_t> tile = saver.getTile().getType().getShape();
    for (int a = 0; a < kAxes; ++a) {
      int64_t lo = 0, hi = grid[a];
      if (std::optional<int64_t> dim = saver.getOmap().getDim(a)) {
        lo = demand[r]->lo[*dim] / tile[*dim];
        hi = llvm::divideCeil(demand[r]->hi[*dim], tile[*dim]);
      }
      begin[a] = std::min(begin[a], lo);
      end[a] = std::max(end[a], hi);
    }
  }

  // The boxes of the operands those blocks read. An operand read by
  // iterators that would need different boxes is read whole along the axes
  // involved: the smaller kernel indexes every operand from its box's start.
  SmallVector<std::optional<Box>> operands(kernel.getNumOperands());
  for (bool changed = true; changed;) {
    changed = false;
    for (int a = 0; a < kAxes; ++a)
      if (!cut[a]) {
        begin[a] = 0;
        end[a] = grid[a];
      }
    operands.assign(kernel.getNumOperands(), std::nullopt);
    for (InputIteratorOp it : iterators) {
      unsigned arg = cast<BlockArgument>(it.getInput()).getArgNumber();
      ArrayRef<int64_t> shape = shapeOf(kernel.getOperand(arg));
      Box box = Box::whole(shape);
      for (int a = 0; a < kAxes; ++a)
        if (std::optional<int64_t> dim = it.getImap().getDim(a)) {
          int64_t step = shape[*dim] / grid[a];
          box.lo[*dim] = begin[a] * step;
          box.hi[*dim] = end[a] * step;
        }
      if (!operands[arg]) {
        operands[arg] = box;
        continue;
      }
      if (*operands[arg] == box)
        continue;
      // Disagreement: stop cutting every axis either iterator maps.
      for (InputIteratorOp other : iterators)
        if (other.getInput() == it.getInput())
          for (int a = 0; a < kAxes; ++a)
            if (other.getImap().getDim(a) && cut[a]) {
              cut[a] = false;
              changed = true;
            }
      if (changed)
        break;
    }
  }

  OpSlice slice;
  for (auto [i, operand] : llvm::enumerate(kernel.getOperands()))
    slice.operands.push_back(operands[i] ? *operands[i]
                                         : Box::whole(shapeOf(operand)));
  for (auto [r, saver] : llvm::enumerate(savers)) {
    Box box = Box::whole(shapeOf(kernel.getResult(r)));
    ArrayRef<int64_t> tile = saver.getTile().getType().getShape();
    for (int a = 0; a < kAxes; ++a)
      if (std::optional<int64_t> dim = saver.getOmap().getDim(a)) {
        box.lo[*dim] = begin[a] * tile[*dim];
        box.hi[*dim] = end[a] * tile[*dim];
      }
    slice.results.push_back(box);
  }
  for (int a = 0; a < kAxes; ++a) {
    slice.blockBegin[a] = begin[a];
    slice.blockCount[a] = end[a] - begin[a];
    slice.whole &= slice.blockCount[a] == grid[a];
  }
  return slice;
}

/// How `op` computes `demand` of its results (none: not needed).
OpSlice sliceOp(Operation *op, ArrayRef<std::optional<Box>> demand) {
  if (auto kernel = dyn_cast<GraphKernelOp>(op))
    return sliceGraphKernel(kernel, demand);
  if (op->getNumResults() != 1 || !demand[0] ||
      !isa<ShapedType>(op->getResult(0).getType()))
    return wholeSlice(op);
  const Box &want = *demand[0];
  ArrayRef<int64_t> shape = shapeOf(op->getResult(0));
  OpSlice slice;
  if (op->hasTrait<OpTrait::Elementwise>() && op->getNumOperands() == 1) {
    slice.results = {want};
    slice.operands = {want};
  } else if (isa<AddOp, SubOp, MulOp, DivOp, PowOp>(op)) {
    slice.results = {want};
    for (Value operand : op->getOperands())
      slice.operands.push_back(broadcastBox(want, shape, shapeOf(operand)));
  } else if (auto matmul = dyn_cast<MatmulOp>(op)) {
    slice = sliceMatmul(matmul, want);
  } else if (auto reduce = dyn_cast<ReduceOp>(op)) {
    // Result j combines input elements j, j + size, ...: whole along dim.
    int64_t dim = reduce.getDim();
    Box result = wholeAlong(want, shape, dim);
    slice.results = {result};
    slice.operands = {wholeAlong(result, shapeOf(reduce.getInput()), dim)};
  } else if (auto norm = dyn_cast<RmsNormOp>(op)) {
    Box result = want;
    for (size_t i = 0; i < norm.getNormalizedShape().size(); ++i)
      result = wholeAlong(result, shape, shape.size() - 1 - i);
    slice.results = {result};
    slice.operands = {result};
  } else if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
    Box result = wholeAlong(want, shape, softmax.getDim());
    slice.results = {result};
    slice.operands = {result};
  } else if (auto concat = dyn_cast<ConcatOp>(op)) {
    int64_t dim = concat.getDim();
    Box result = wholeAlong(want, shape, dim);
    slice.results = {result};
    for (Value operand : concat.getInputs())
      slice.operands.push_back(wholeAlong(result, shapeOf(operand), dim));
  } else {
    return wholeSlice(op);
  }
  slice.whole = slice.results[0].isWhole(shape);
  for (auto [box, operand] : llvm::zip(slice.operands, op->getOperands()))
    slice.whole &= box.isWhole(shapeOf(operand));
  return slice;
}

} // namespace

//===----------------------------------------------------------------------===//
// SlicePlan
//===----------------------------------------------------------------------===//

SlicePlan::SlicePlan(func::FuncOp func, Value target, const Box &box,
                     const llvm::DenseSet<Value> &stored)
    : func(func), target(target) {
  Block &body = func.getBody().front();
  llvm::DenseMap<Value, Box> want;
  auto request = [&](Value value, const Box &box) {
    auto [it, inserted] = want.try_emplace(value, box);
    if (!inserted)
      it->second.unite(box);
  };
  request(target, box);
  Operation *last = target.getDefiningOp();
  // The ops before the target's, backward; stored values and arguments are
  // leaves, read rather than computed.
  if (last)
    for (Operation *op = last; op; op = op->getPrevNode()) {
      SmallVector<std::optional<Box>> wanted;
      bool needed = false;
      for (Value result : op->getResults()) {
        auto it = want.find(result);
        bool read = it != want.end() && (result == target ||
                                         !stored.contains(result));
        wanted.push_back(read ? std::optional<Box>(it->second) : std::nullopt);
        needed |= read;
      }
      if (!needed)
        continue;
      OpSlice slice = sliceOp(op, wanted);
      for (auto [result, box] : llvm::zip(op->getResults(), slice.results))
        if (result == target || !stored.contains(result))
          boxes[result] = box;
      for (auto [operand, box] : llvm::zip(op->getOperands(), slice.operands))
        request(operand, box);
      slices[op] = std::move(slice);
    }
  // The leaves: arguments and stored values, with the boxes read of them.
  for (auto &[value, box] : want)
    if (!boxes.count(value)) {
      boxes[value] = box;
      leaves.push_back(value);
    }
  llvm::sort(leaves, [](Value a, Value b) {
    return a.getAsOpaquePointer() < b.getAsOpaquePointer();
  });
  (void)body;
}

const Box *SlicePlan::getBox(Value value) const {
  auto it = boxes.find(value);
  return it == boxes.end() ? nullptr : &it->second;
}

const OpSlice *SlicePlan::getOpSlice(Operation *op) const {
  auto it = slices.find(op);
  return it == slices.end() ? nullptr : &it->second;
}

uint64_t SlicePlan::estimatePeakBytes(uint64_t bytesPerValue) const {
  Block &body = func.getBody().front();
  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : body)
    if (getOpSlice(&op))
      for (Value operand : op.getOperands())
        lastUse[operand] = &op;
  // Leaves: arguments are drawn for their boxes, stored values copied out
  // when only part of them is read (whole ones are held already).
  uint64_t live = 0;
  for (Value leaf : leaves) {
    const Box &box = *getBox(leaf);
    if (isa<BlockArgument>(leaf) || !box.isWhole(shapeOf(leaf)))
      live = addSaturating(live, boxBytes(box, bytesPerValue));
  }
  uint64_t peak = live;
  for (Operation &op : body.without_terminator()) {
    const OpSlice *slice = getOpSlice(&op);
    if (!slice)
      continue;
    // Operands read in part are copied out of their producer's result.
    uint64_t copies = 0;
    for (auto [operand, box] : llvm::zip(op.getOperands(), slice->operands))
      if (!(*getBox(operand) == box))
        copies = addSaturating(copies, boxBytes(box, bytesPerValue));
    for (const Box &box : slice->results)
      live = addSaturating(live, boxBytes(box, bytesPerValue));
    peak = std::max(peak, addSaturating(live, copies));
    for (Value operand : op.getOperands())
      if (lastUse.lookup(operand) == &op && getOpSlice(operand.getDefiningOp())) {
        uint64_t bytes = boxBytes(*getBox(operand), bytesPerValue);
        live = live > bytes ? live - bytes : 0;
        lastUse.erase(operand);
      }
    // Results nothing in the slice reads are freed once copied out (the
    // target's), or at once.
    for (auto [result, box] : llvm::zip(op.getResults(), slice->results))
      if (!lastUse.count(result)) {
        uint64_t bytes = boxBytes(box, bytesPerValue);
        live = live > bytes ? live - bytes : 0;
      }
  }
  return peak;
}

//===----------------------------------------------------------------------===//
// Cloning an op for its slice
//===----------------------------------------------------------------------===//

SlicedOp mlir::mirage::cloneSlicedOp(Operation *op, const OpSlice &slice) {
  Location loc = op->getLoc();
  SlicedOp sliced;
  sliced.scratch = ModuleOp::create(loc);
  // The block graph's shared memory is checked against the module's target.
  if (auto module = op->getParentOfType<ModuleOp>())
    sliced.scratch.get()->setDiscardableAttrs(
        module->getDiscardableAttrDictionary());
  OpBuilder builder = OpBuilder::atBlockEnd(sliced.scratch->getBody());
  SmallVector<Type> operandTypes;
  for (auto [operand, box] : llvm::zip(op->getOperands(), slice.operands))
    operandTypes.push_back(RankedTensorType::get(
        box.getShape(),
        cast<ShapedType>(operand.getType()).getElementType()));
  auto func = func::FuncOp::create(builder, loc, "slice",
                                   builder.getFunctionType(operandTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  mapping.map(op->getOperands(), entry->getArguments());
  Operation *clone = builder.clone(*op, mapping);
  func::ReturnOp::create(builder, loc);
  for (auto [result, box] : llvm::zip(clone->getResults(), slice.results))
    result.setType(RankedTensorType::get(
        box.getShape(), cast<ShapedType>(result.getType()).getElementType()));
  if (auto kernel = dyn_cast<GraphKernelOp>(clone)) {
    kernel.setGrid(slice.blockCount);
    for (auto [arg, type] :
         llvm::zip(kernel.getBodyBlock().getArguments(), operandTypes))
      arg.setType(type);
  }
  if (failed(verify(clone))) {
    op->emitError("internal error: the slice of this op does not verify");
    return SlicedOp();
  }
  sliced.op = clone;
  return sliced;
}

//===----------------------------------------------------------------------===//
// Evaluation schedules
//===----------------------------------------------------------------------===//

size_t EvaluationSchedule::getMaxPieces() const {
  size_t most = 0;
  for (const Step &step : steps)
    most = std::max(most, step.pieces.size());
  return most;
}

/// The value a step computes pieces of: its op's first result, or the
/// returned argument.
static Value stepValue(const EvaluationSchedule::Step &step) {
  return step.op ? step.op->getResult(0) : step.argument;
}

static uint64_t valueBytes(Value value, uint64_t bytesPerValue) {
  return boxBytes(Box::whole(shapeOf(value)), bytesPerValue);
}

/// Most pieces per step: beyond this the slices are too small to pay for
/// the planning and the repeated reads.
static constexpr int64_t kMaxPiecesPerStep = 1 << 16;

/// The steps of a schedule that stores the function's results and every
/// intermediate of at most `storeLimit` bytes, without pieces yet.
static std::vector<EvaluationSchedule::Step>
chooseStoredValues(func::FuncOp func, uint64_t bytesPerValue,
                   uint64_t storeLimit) {
  Block &body = func.getBody().front();
  Operation *terminator = body.getTerminator();
  llvm::DenseSet<Value> returned(terminator->getOperands().begin(),
                                 terminator->getOperands().end());
  std::vector<EvaluationSchedule::Step> steps;
  for (Operation &op : body.without_terminator()) {
    bool store = false;
    for (Value result : op.getResults())
      store |= returned.contains(result) ||
               valueBytes(result, bytesPerValue) <= storeLimit;
    if (store && op.getNumResults() > 0 &&
        llvm::all_of(op.getResultTypes(), llvm::IsaPred<ShapedType>))
      steps.push_back({&op, Value(), {}});
  }
  for (Value value : terminator->getOperands())
    if (auto arg = dyn_cast<BlockArgument>(value))
      if (llvm::none_of(steps, [&](const auto &s) { return s.argument == arg; }))
        steps.push_back({nullptr, arg, {}});
  return steps;
}

std::optional<EvaluationSchedule>
mlir::mirage::planEvaluation(func::FuncOp func, uint64_t bytesPerValue,
                             uint64_t budget, uint64_t *smallestPeak) {
  Block &body = func.getBody().front();
  Operation *terminator = body.getTerminator();
  uint64_t bestFailure = kSaturated;
  // Store intermediates up to an eighth of the budget, then up to a 64th,
  // then only the results: storing spares recomputation and lets each op be
  // cut by its own result; not storing leaves the budget to the slices.
  for (uint64_t divisor : {uint64_t(8), uint64_t(64), uint64_t(0)}) {
    EvaluationSchedule schedule;
    schedule.steps = chooseStoredValues(
        func, bytesPerValue, divisor ? budget / divisor : 0);
    // Which stored values each step reads (from its whole slice), for
    // their lifetimes.
    llvm::DenseSet<Value> stored;
    llvm::DenseMap<Value, size_t> lastRead;
    for (auto [i, step] : llvm::enumerate(schedule.steps)) {
      Value value = stepValue(step);
      SlicePlan whole(func, value, Box::whole(shapeOf(value)), stored);
      for (Value leaf : whole.getLeaves())
        if (stored.contains(leaf))
          lastRead[leaf] = i;
      if (step.op)
        for (Value result : step.op->getResults())
          stored.insert(result);
    }
    for (Value value : terminator->getOperands())
      lastRead[value] = schedule.steps.size();

    bool fits = true;
    uint64_t peak = 0;
    stored.clear();
    for (auto [i, step] : llvm::enumerate(schedule.steps)) {
      // Held throughout the step: the stored values still to be read, and
      // this step's own results, whole.
      uint64_t held = 0;
      for (Value value : stored)
        if (lastRead.lookup(value) >= i)
          held = addSaturating(held, valueBytes(value, bytesPerValue));
      Value value = stepValue(step);
      if (step.op)
        for (Value result : step.op->getResults())
          held = addSaturating(held, valueBytes(result, bytesPerValue));
      else
        held = addSaturating(held, valueBytes(value, bytesPerValue));
      uint64_t room = budget > held ? budget - held : 0;

      // Halve the dim of the pieces that shrinks the slice most until it
      // fits.
      ArrayRef<int64_t> shape = shapeOf(value);
      SmallVector<int64_t> extent(shape);
      auto peakOf = [&](const Box &box) {
        return SlicePlan(func, value, box, stored)
            .estimatePeakBytes(bytesPerValue);
      };
      uint64_t piecePeak = peakOf(Box::whole(extent));
      int64_t count = 1;
      while (piecePeak > room && count < kMaxPiecesPerStep) {
        int bestDim = -1;
        uint64_t bestPeak = piecePeak;
        for (unsigned d = 0; d < extent.size(); ++d) {
          if (extent[d] <= 1)
            continue;
          SmallVector<int64_t> trial(extent);
          trial[d] = llvm::divideCeil(extent[d], 2);
          uint64_t p = peakOf(Box::whole(trial));
          if (p < bestPeak) {
            bestPeak = p;
            bestDim = d;
          }
        }
        if (bestDim < 0)
          break;
        extent[bestDim] = llvm::divideCeil(extent[bestDim], 2);
        piecePeak = bestPeak;
        count = 1;
        for (unsigned d = 0; d < extent.size(); ++d)
          count *= llvm::divideCeil(shape[d], extent[d]);
      }
      // Tile the value with pieces of that extent.
      SmallVector<int64_t> counts;
      for (unsigned d = 0; d < extent.size(); ++d)
        counts.push_back(llvm::divideCeil(shape[d], extent[d]));
      for (int64_t linear = 0; linear < count; ++linear) {
        Box box;
        box.lo.resize(shape.size());
        box.hi.resize(shape.size());
        int64_t rest = linear;
        for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
          int64_t index = rest % counts[d];
          rest /= counts[d];
          box.lo[d] = index * extent[d];
          box.hi[d] = std::min(shape[d], box.lo[d] + extent[d]);
        }
        if (count > 1)
          piecePeak = std::max(piecePeak, peakOf(box));
        step.pieces.push_back(std::move(box));
      }
      peak = std::max(peak, addSaturating(held, piecePeak));
      fits &= piecePeak <= room;
      if (step.op)
        for (Value result : step.op->getResults())
          stored.insert(result);
      // Drop what no later step reads.
      SmallVector<Value> done;
      for (Value value : stored)
        if (lastRead.lookup(value) <= i &&
            !llvm::is_contained(terminator->getOperands(), value))
          done.push_back(value);
      for (Value value : done)
        stored.erase(value);
    }
    schedule.peakBytes = peak;
    if (fits) {
      if (smallestPeak)
        *smallestPeak = peak;
      return schedule;
    }
    bestFailure = std::min(bestFailure, peak);
  }
  if (smallestPeak)
    *smallestPeak = bestFailure;
  return std::nullopt;
}

EvaluationSchedule mlir::mirage::scheduleInPieces(func::FuncOp func,
                                                  ArrayRef<Box> resultPieces,
                                                  unsigned result) {
  EvaluationSchedule schedule;
  schedule.steps = chooseStoredValues(func, 1, 0);
  for (EvaluationSchedule::Step &step : schedule.steps) {
    Value value = stepValue(step);
    bool isTarget = value == func.getBody().front().getTerminator()->getOperand(
                                 result);
    if (isTarget)
      step.pieces.assign(resultPieces.begin(), resultPieces.end());
    else
      step.pieces.push_back(Box::whole(shapeOf(value)));
  }
  return schedule;
}
