//===- ScheduleBlockGraphs.cpp - Order block graphs for fewer barriers ----===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-schedule-block-graphs: see its description in Passes.td and
// docs/mugraph-optimizer.md.
//
// The pass predicts, for an order of a block graph's ops, the barriers that
// mirage-map-tiles-to-threads will place in the kernel convert-mirage-to-gpu
// makes of it, by replaying both on a model of the tile-level kernel:
//
//   - each block-graph op becomes the linalg ops the tile-level lowering
//     emits for it (a matmul into an f16 tile: fill, product, conversion; an
//     rms_norm: fill, sum of squares, scaling; ...), each reduced to its
//     shared-memory accesses: which buffer, read or write, and which thread
//     touches which element (cyclically over the op's parallel extents when
//     the buffer is read or written with the identity map over them, as
//     mma.sync accumulators when the op touches a tensor-core accumulator,
//     else any thread any element);
//   - where each tile lives is what convert-mirage-to-gpu's
//     SharedMemoryAssignment says for that order (the analysis is run on the
//     block graph put in that order): shared or private (f32 values that
//     only feed accumulators), byte offsets from the shared-memory plan,
//     row padding (a padded tile is accessed through a strided view, whose
//     ownership the lowering does not track) and double-buffered for-loop
//     tiles (copied asynchronously, either slot in the loop, a barrier at
//     the top of the body). So reuse of a dead tile's bytes is a hazard, as
//     it is on the GPU;
//   - barriers are placed as ThreadMapper::placeBarriers places them: before
//     an op that may touch bytes another thread touched since the last
//     barrier, one of the two a write, unless both have the same ownership
//     of the same buffer; a loop body is replayed until what it leaves
//     pending for its next iteration no longer changes.
//
// The scheduler is a list scheduler over each block (the kernel body, with
// the for-loop as one unit, and the loop body): among the ops whose operands
// are ready, it takes the first (in the original order) that needs no
// barrier and has none inside; then one that needs none before it but has
// some inside (an rms_norm: its barriers then also cover what is pending);
// else the first of those that add the fewest barriers, which opens a new
// phase. That is an ASAP schedule by barrier phase. It runs on a layout
// where no two buffers share bytes (the plan depends on the order being
// built); the orders it finds are then evaluated with the plan. One replaces
// the original only if the model says a thread block executes fewer
// barriers (the loop body's once per iteration; or as many, and the code
// has fewer) and its plan fits the target with as many blocks resident per
// SM as the original's (the cost model's occupancy; with preserve-plan-size,
// only if the plan is no larger). So a block graph already in the order the
// scheduler picks is left as it is, and a second run takes another order
// only if the model finds a strictly better one.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryAssignment.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/IR/SharedMemoryUsage.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Search/CostModel.h"
#include "Mirage/Support/PassStatistics.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#include <vector>

#define DEBUG_TYPE "mirage-schedule-block-graphs"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGESCHEDULEBLOCKGRAPHS
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// mirage-map-tiles-to-threads keeps a tensor-core accumulator that is not
/// consumed chunk by chunk only if each thread holds at most this many
/// elements of it.
constexpr int64_t kMaxUnrolledSteps = 64;
/// Appended to an ownership: the points are owned as mma.sync accumulators.
constexpr int64_t kMmaOwnership = -1;

/// Which thread touches which element of a buffer in one access: empty when
/// any thread may touch any element; else the parallel extents of the op
/// (thread t touches its points t, t + T, ...), followed by kMmaOwnership
/// when the op owns its points as mma.sync accumulators.
using Ownership = SmallVector<int64_t, 4>;

/// A shared-memory access of the model: buffer `buffer` (an index into
/// KernelModel's buffers).
struct Access {
  unsigned buffer;
  bool write;
  Ownership ownership;
  /// For a double-buffered tile: the copy into its first slot before the
  /// loop (other accesses may touch either slot).
  bool firstSlot = false;
};

/// An access resolved to bytes of shared memory, as the lowering sees it.
struct ByteAccess {
  int64_t begin, end;
  bool write;
  Ownership ownership;
  bool operator==(const ByteAccess &o) const {
    return begin == o.begin && end == o.end && write == o.write &&
           ownership == o.ownership;
  }
};

/// One op of the tile-level kernel: a linalg op (its shared accesses), or
/// the scf.for of the block graph's for-loop (its body). `barrier`: whether
/// a barrier goes before it.
struct Step {
  SmallVector<Access, 4> accesses;
  std::vector<Step> body;
  bool isLoop = false;
  bool barrier = false;
};
using Program = std::vector<Step>;

/// Whether `a` and `b` need a barrier between them (the lowering's
/// `conflicts`): they overlap, one writes, and a thread may touch elements
/// another thread touched.
bool conflicts(const ByteAccess &a, const ByteAccess &b) {
  if (!(a.write || b.write) || a.end <= b.begin || b.end <= a.begin)
    return false;
  bool sameOwner = !a.ownership.empty() && a.ownership == b.ownership &&
                   a.begin == b.begin && a.end == b.end;
  return !sameOwner;
}

/// The barriers of `program`: in the code, or, with the for-loop's
/// `iterations`, as one thread block executes them.
int64_t countBarriers(const Program &program, int64_t iterations = 1) {
  int64_t n = 0;
  for (const Step &s : program)
    n += s.barrier + iterations * countBarriers(s.body, iterations);
  return n;
}

/// The elementwise block-level ops (one linalg.generic each).
bool isElementwise(Operation *op) {
  return isa<ExpOp, SqrtOp, RsqrtOp, SquareOp, SiluOp, GeluOp, ReluOp,
             SigmoidOp, MulScalarOp, ClampOp, AddOp, SubOp, MulOp, DivOp,
             PowOp>(op);
}

TileType tileOf(Value v) { return cast<TileType>(v.getType()); }

/// Block-graph ops in program order: the kernel body's and the for-loop
/// body's, terminators excluded.
struct Order {
  SmallVector<Operation *> top, body;
  bool operator==(const Order &o) const {
    return top == o.top && body == o.body;
  }
};

/// Where the model's buffers are for one order: byte offsets and sizes,
/// whether rows are padded (the lowering then accesses the tile through a
/// strided view: any thread may touch any element), and the double-buffered
/// tiles, in the order the lowering emits their copies, with the offset of
/// each one's second slot.
struct Layout {
  SmallVector<int64_t> offsets, bytes;
  SmallVector<bool> strided;
  SmallVector<unsigned> doubled;
  llvm::SmallDenseMap<unsigned, int64_t> secondSlot;
};

/// What the model predicts for one order: barriers in the code and
/// executed by a block (the loop body's once per iteration), and the
/// shared-memory plan's size.
struct Evaluation {
  int64_t barriers = 0;
  int64_t executedBarriers = 0;
  int64_t sharedMemoryBytes = 0;
  /// False if the lowering cannot place the buffers (over the target's
  /// limit, or an op it cannot lower).
  bool feasible = false;
  /// Fewer barriers executed, then fewer in the code.
  bool isBetterThan(const Evaluation &o) const {
    return std::make_pair(executedBarriers, barriers) <
           std::make_pair(o.executedBarriers, o.barriers);
  }
};

/// The model of one graph-defined kernel's tile-level code.
class KernelModel {
public:
  KernelModel(GraphKernelOp kernel, const GpuTarget &target, bool tensorCores,
              bool doubleBuffer);

  /// False if the lowering cannot place the kernel's buffers as it is.
  bool isValid() const { return valid; }
  Order getCurrentOrder() const;
  Evaluation evaluate(const Order &order) const;
  /// Orders to try instead of `start`: the list schedule of both blocks
  /// (see the file comment), and of each block alone.
  SmallVector<Order> getCandidates(const Order &start) const;

private:
  // Buffers.
  bool isShared(Value v) const { return sharedBuffer.count(v); }
  /// Whether the lowering keeps `v` in f32 (a private value).
  bool isF32(Value v) const {
    return !isShared(v) || tileOf(v).getElementType().isF32();
  }
  /// Runs SharedMemoryAssignment on the kernel in `order` (then puts the
  /// original order back); none if it fails.
  std::optional<Layout> assign(const Order &order, int64_t &size) const;
  Layout disjointLayout() const;
  bool usesTensorCores(MatmulOp op) const;

  // Programs.
  void appendSteps(Operation *op, const Layout &layout, Program &program) const;
  Program buildLoop(ArrayRef<Operation *> body, const Layout &layout) const;
  Program build(const Order &order, const Layout &layout) const;
  void place(Program &program, SmallVector<ByteAccess> &pending,
             const Layout &layout) const;
  /// The tile-level ops, their accesses (buffer@offset+bytes, ownership) and
  /// barriers, for -debug-only.
  void printProgram(raw_ostream &os, const Program &program,
                    const Layout &layout, int indent) const;

  SmallVector<Operation *>
  scheduleBlock(ArrayRef<Operation *> units,
                llvm::function_ref<Program(Operation *)> programOf) const;

  // Op handles are mutable: their accessors are not const.
  mutable GraphKernelOp kernel;
  mutable ForLoopOp loop;
  const GpuTarget &target;
  int64_t threads;
  bool tensorCores, doubleBuffer;
  bool valid = false;
  Order original;
  /// The model's buffers: shared tiles and rms_norm scratch.
  llvm::DenseMap<Value, unsigned> sharedBuffer;
  llvm::DenseMap<Operation *, unsigned> scratchBuffer;
  unsigned numBuffers = 0;
  /// The buffers in the original order (sizes, padding, double buffers).
  Layout base;
  /// Private values that tensor cores produce (their accumulators are owned
  /// as mma.sync accumulators).
  llvm::DenseSet<Value> mmaValues;
};

void applyOrder(GraphKernelOp kernel, const Order &order) {
  Operation *end = kernel.getBodyBlock().getTerminator();
  for (Operation *op : order.top)
    op->moveBefore(end);
  if (ForLoopOp loop = kernel.getForLoop()) {
    Operation *acc = loop.getBodyBlock().getTerminator();
    for (Operation *op : order.body)
      op->moveBefore(acc);
  }
}

KernelModel::KernelModel(GraphKernelOp kernel, const GpuTarget &target,
                         bool tensorCores, bool doubleBuffer)
    : kernel(kernel), loop(kernel.getForLoop()), target(target),
      threads(kernel.getNumThreads()), tensorCores(tensorCores),
      doubleBuffer(doubleBuffer) {
  original = getCurrentOrder();
  // Which values are shared (order-independent): from the assignment of
  // the original order.
  SharedMemoryAssignment a;
  {
    ScopedDiagnosticHandler silence(kernel.getContext(),
                                    [](Diagnostic &) { return success(); });
    if (failed(a.run(kernel, target, doubleBuffer)))
      return;
  }
  // Numbered in the assignment's order, so that the model is deterministic.
  SmallVector<std::pair<unsigned, Value>> values;
  for (auto &[value, index] : a.bufferOf)
    if (a.buffers[index].shared)
      values.push_back({index, value});
  SmallVector<std::pair<unsigned, Operation *>> scratches;
  for (auto &[op, index] : a.scratchOf)
    if (a.buffers[index].shared)
      scratches.push_back({index, op});
  llvm::sort(values, llvm::less_first());
  llvm::sort(scratches, llvm::less_first());
  for (auto &[index, value] : values)
    sharedBuffer[value] = numBuffers++;
  for (auto &[index, op] : scratches)
    scratchBuffer[op] = numBuffers++;
  kernel.walk([&](MatmulOp op) {
    if (!isShared(op.getResult()) && usesTensorCores(op))
      mmaValues.insert(op.getResult());
  });
  int64_t size;
  std::optional<Layout> layout = assign(original, size);
  if (!layout)
    return;
  base = std::move(*layout);
  valid = true;
}

std::optional<Layout> KernelModel::assign(const Order &order,
                                          int64_t &size) const {
  applyOrder(kernel, order);
  SharedMemoryAssignment a;
  LogicalResult result = failure();
  {
    ScopedDiagnosticHandler silence(kernel.getContext(),
                                    [](Diagnostic &) { return success(); });
    result = a.run(kernel, target, doubleBuffer);
  }
  applyOrder(kernel, original);
  if (failed(result))
    return std::nullopt;
  Layout layout;
  layout.offsets.assign(numBuffers, 0);
  layout.bytes.assign(numBuffers, 0);
  layout.strided.assign(numBuffers, false);
  auto set = [&](unsigned id, unsigned index) {
    layout.offsets[id] = a.plan.offsets[index];
    layout.bytes[id] = a.buffers[index].getSharedBytes();
    layout.strided[id] = a.buffers[index].rowPadding != 0;
  };
  for (auto &[value, id] : sharedBuffer)
    set(id, a.bufferOf.lookup(value));
  for (auto &[op, id] : scratchBuffer)
    set(id, a.scratchOf.lookup(op));
  for (DoubleBuffer &entry : a.doubleBuffers) {
    unsigned id = sharedBuffer.lookup(entry.iterator.getTile());
    layout.doubled.push_back(id);
    layout.secondSlot[id] = a.plan.offsets[entry.slots[1]];
  }
  size = a.plan.size;
  return layout;
}

/// The buffers of the original order, each in bytes of its own (a double
/// buffer's slots side by side): the hazards of the block graph's data
/// flow alone, whatever the plan.
Layout KernelModel::disjointLayout() const {
  Layout layout = base;
  int64_t offset = 0;
  for (unsigned id = 0; id < numBuffers; ++id) {
    layout.offsets[id] = offset;
    offset += layout.bytes[id];
    if (layout.secondSlot.count(id)) {
      layout.secondSlot[id] = offset;
      offset += layout.bytes[id];
    }
  }
  return layout;
}

/// Whether mirage-map-tiles-to-threads runs `op` on tensor cores (its
/// matchMmaMatmul and assignMmaLayouts): f16 or bf16 operands of one type,
/// an f32 private accumulator (a 16-bit result's scratch, or a private
/// result), M, N, K multiples of 16, 8, 16, no broadcast batch dim, and 16x8
/// output tiles a multiple of the warps; a private result that stays in
/// registers across ops must also fit them.
bool KernelModel::usesTensorCores(MatmulOp op) const {
  if (!tensorCores || threads % 32 != 0)
    return false;
  TileType a = tileOf(op.getLhs()), b = tileOf(op.getRhs());
  Value result = op.getResult();
  Type element = a.getElementType();
  if (element != b.getElementType() || !(element.isF16() || element.isBF16()))
    return false;
  bool scratch = !isF32(result);
  if (!scratch && isShared(result))
    return false; // an f32 tile in shared memory accumulates in place
  ArrayRef<int64_t> shape = tileOf(result).getShape();
  size_t rank = shape.size();
  if (rank < 2)
    return false;
  int64_t m = shape[rank - 2], n = shape[rank - 1], k = a.getShape().back();
  if (m % 16 != 0 || n % 8 != 0 || k % 16 != 0)
    return false;
  for (TileType operand : {a, b}) {
    ArrayRef<int64_t> s = operand.getShape();
    size_t batch = s.size() - 2, lead = rank - 2 - batch;
    for (size_t d = 0; d < batch; ++d)
      if (s[d] == 1 && shape[lead + d] != 1)
        return false;
  }
  int64_t tiles = (m / 16) * (n / 8);
  for (int64_t e : shape.drop_back(2))
    tiles *= e;
  int64_t warps = threads / 32;
  if (tiles % warps != 0)
    return false;
  return scratch || 4 * (tiles / warps) <= kMaxUnrolledSteps;
}

/// The linalg ops convert-mirage-to-gpu emits for `op` (see its
/// emitInputIterator, emitOutputSaver, emitComputeOp and emitThreadGraph
/// and TileOps.cpp), and the accesses mirage-map-tiles-to-threads'
/// getAccesses finds in them.
void KernelModel::appendSteps(Operation *op, const Layout &layout,
                              Program &program) const {
  auto cyclic = [](Value v) { return Ownership(tileOf(v).getShape()); };
  // An operand read with the identity map of an op over `shape` is owned
  // cyclically; a broadcast one by any thread.
  auto operandOwnership = [&](Value v, ArrayRef<int64_t> shape) {
    return tileOf(v).getShape() == shape ? Ownership(shape) : Ownership();
  };
  auto add = [&](Step &s, Value v, bool write, Ownership ownership) {
    auto it = sharedBuffer.find(v);
    if (it != sharedBuffer.end())
      s.accesses.push_back({it->second, write, std::move(ownership)});
  };
  auto push = [&](Step s) {
    if (!s.accesses.empty())
      program.push_back(std::move(s));
  };

  if (auto it = dyn_cast<InputIteratorOp>(op)) {
    // linalg.copy (vectorised: its own ownership) or, between element
    // types, a conversion. A double-buffered tile's copy is asynchronous,
    // issued for the next iteration at the top of the body, out of the
    // barrier analysis.
    Step s;
    Value tile = it.getTile();
    if (auto slot = sharedBuffer.find(tile);
        slot != sharedBuffer.end() &&
        llvm::is_contained(layout.doubled, slot->second))
      return;
    bool copy =
        cast<RankedTensorType>(it.getInput().getType()).getElementType() ==
        tileOf(tile).getElementType();
    add(s, tile, true, copy ? Ownership() : cyclic(tile));
    push(std::move(s));
    return;
  }
  if (auto saver = dyn_cast<OutputSaverOp>(op)) {
    Step s;
    add(s, saver.getTile(), false, Ownership());
    push(std::move(s));
    return;
  }
  if (isElementwise(op) || isa<ThreadGraphOp>(op)) {
    ArrayRef<int64_t> shape = tileOf(op->getResult(0)).getShape();
    Step s;
    for (Value in : op->getOperands())
      add(s, in, false, operandOwnership(in, shape));
    for (Value r : op->getResults())
      add(s, r, true, cyclic(r));
    push(std::move(s));
    return;
  }
  if (isa<MatmulOp, ReduceOp>(op)) {
    // Into the result if it is kept in f32, else into a private f32
    // scratch that a conversion rounds into the result.
    Value result = op->getResult(0);
    bool scratch = !isF32(result);
    bool mma = false;
    if (auto matmul = dyn_cast<MatmulOp>(op))
      mma = scratch && usesTensorCores(matmul);
    Step fill, product, convert;
    if (!scratch)
      add(fill, result, true, cyclic(result));
    for (Value in : op->getOperands())
      add(product, in, false, Ownership());
    if (!scratch)
      add(product, result, true, cyclic(result));
    Ownership converted = cyclic(result);
    if (mma)
      converted.push_back(kMmaOwnership);
    if (scratch)
      add(convert, result, true, converted);
    push(std::move(fill));
    push(std::move(product));
    push(std::move(convert));
    return;
  }
  if (auto norm = dyn_cast<RmsNormOp>(op)) {
    // Fill the shared per-row sums, add the squares (a reduction: any
    // thread), scale each element by its row's (broadcast: any thread).
    Value x = norm.getInput(), result = norm.getResult();
    ArrayRef<int64_t> shape = tileOf(result).getShape();
    SmallVector<int64_t> rows(shape);
    for (size_t d = rows.size() - norm.getNormalizedShape().size();
         d < rows.size(); ++d)
      rows[d] = 1;
    unsigned sums = scratchBuffer.lookup(op);
    Step fill, squares, scale;
    fill.accesses.push_back({sums, true, Ownership(ArrayRef<int64_t>(rows))});
    add(squares, x, false, Ownership());
    squares.accesses.push_back({sums, true, Ownership()});
    add(scale, x, false, Ownership(shape));
    scale.accesses.push_back(
        {sums, false,
         ArrayRef<int64_t>(rows) == shape ? Ownership(shape) : Ownership()});
    add(scale, result, true, Ownership(shape));
    push(std::move(fill));
    push(std::move(squares));
    push(std::move(scale));
    return;
  }
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    // One conversion per input into a subview of the result (any thread:
    // the lowering knows the ownership of whole buffers only).
    for (Value in : concat.getInputs()) {
      Step s;
      add(s, in, false, cyclic(in));
      add(s, concat.getResult(), true, Ownership());
      push(std::move(s));
    }
    return;
  }
  // Anything else: one op that may touch anything.
  Step s;
  for (Value in : op->getOperands())
    add(s, in, false, Ownership());
  for (Value r : op->getResults())
    add(s, r, true, Ownership());
  push(std::move(s));
}

/// The for-loop as convert-mirage-to-gpu's emitLoop emits it: (fills of
/// private accumulators), an scf.for over the body's ops and the
/// accumulator updates, then the conversion of each accumulator into its
/// shared result tile.
Program KernelModel::buildLoop(ArrayRef<Operation *> body,
                               const Layout &layout) const {
  Program program;
  // Double buffers: iteration 0's tiles are copied into their first slots
  // before the loop; the body starts by waiting for the copies the last
  // iteration issued, and a barrier.
  for (unsigned buffer : layout.doubled) {
    Step copy;
    copy.accesses.push_back({buffer, true, Ownership(), /*firstSlot=*/true});
    program.push_back(std::move(copy));
  }
  Step forOp;
  forOp.isLoop = true;
  if (!layout.doubled.empty()) {
    forOp.body.emplace_back();
    forOp.body.back().barrier = true;
  }
  for (Operation *op : body)
    appendSteps(op, layout, forOp.body);
  AccumulateOp acc = loop.getAccumulateOp();
  auto mmaFlag = [&](unsigned k, Ownership o) {
    if (mmaValues.contains(acc.getValues()[k]) && !o.empty())
      o.push_back(kMmaOwnership);
    return o;
  };
  for (unsigned k = 0; k < acc.getValues().size(); ++k) {
    Value v = acc.getValues()[k];
    ArrayRef<int64_t> shape = tileOf(v).getShape();
    Step update;
    if (auto sharedIt = sharedBuffer.find(v); sharedIt != sharedBuffer.end())
      update.accesses.push_back(
          {sharedIt->second, false, mmaFlag(k, Ownership(shape))});
    if (std::optional<unsigned> j = acc.getRescaleIndex(k)) {
      Value m = acc.getValues()[*j];
      if (auto mIt = sharedBuffer.find(m); mIt != sharedBuffer.end())
        update.accesses.push_back(
            {mIt->second, false,
             mmaFlag(k, tileOf(m).getShape() == shape ? Ownership(shape)
                                                      : Ownership())});
    }
    if (!update.accesses.empty())
      forOp.body.push_back(std::move(update));
  }
  program.push_back(std::move(forOp));
  for (unsigned k = 0; k < acc.getValues().size(); ++k) {
    Value r = loop.getResult(k);
    Step convert;
    convert.accesses.push_back({sharedBuffer.lookup(r), true,
                                mmaFlag(k, Ownership(tileOf(r).getShape()))});
    program.push_back(std::move(convert));
  }
  return program;
}

Program KernelModel::build(const Order &order, const Layout &layout) const {
  Program program;
  for (Operation *op : order.top) {
    if (isa<ForLoopOp>(op)) {
      Program l = buildLoop(order.body, layout);
      std::move(l.begin(), l.end(), std::back_inserter(program));
      continue;
    }
    appendSteps(op, layout, program);
  }
  return program;
}

/// mirage-map-tiles-to-threads' placeBarriers on the model.
void KernelModel::place(Program &program, SmallVector<ByteAccess> &pending,
                        const Layout &layout) const {
  for (Step &step : program) {
    if (step.isLoop) {
      // The body runs again after its end: replay it until the barriers
      // it needs for the next iteration are in place.
      SmallVector<ByteAccess> state = pending;
      for (int pass = 0; pass < 3; ++pass) {
        SmallVector<ByteAccess> inner = state;
        place(step.body, inner, layout);
        if (inner == state && pass > 0)
          break;
        state = inner;
        llvm::append_range(state, pending);
      }
      SmallVector<ByteAccess> after = pending;
      place(step.body, after, layout);
      pending = after;
      continue;
    }
    if (step.barrier)
      pending.clear();
    SmallVector<ByteAccess> accesses;
    for (const Access &a : step.accesses) {
      int64_t begin = layout.offsets[a.buffer];
      int64_t end = begin + layout.bytes[a.buffer];
      // In the loop, a double buffer's tile is either slot.
      if (auto second = layout.secondSlot.find(a.buffer);
          second != layout.secondSlot.end() && !a.firstSlot) {
        begin = std::min(begin, second->second);
        end = std::max(end, second->second + layout.bytes[a.buffer]);
      }
      accesses.push_back(
          {begin, end, a.write,
           layout.strided[a.buffer] ? Ownership() : a.ownership});
    }
    bool hazard = llvm::any_of(accesses, [&](const ByteAccess &a) {
      return llvm::any_of(pending,
                          [&](const ByteAccess &p) { return conflicts(a, p); });
    });
    if (hazard) {
      step.barrier = true;
      pending.clear();
    }
    llvm::append_range(pending, accesses);
  }
}

void KernelModel::printProgram(raw_ostream &os, const Program &program,
                               const Layout &layout, int indent) const {
  for (const Step &step : program) {
    os.indent(indent);
    if (step.isLoop) {
      os << "scf.for {\n";
      printProgram(os, step.body, layout, indent + 2);
      os.indent(indent) << "}\n";
      continue;
    }
    os << (step.barrier ? "barrier; " : "") << "op:";
    for (const Access &a : step.accesses) {
      os << (a.write ? " write " : " read ") << a.buffer << "@"
         << layout.offsets[a.buffer] << "+" << layout.bytes[a.buffer]
         << (layout.strided[a.buffer] ? " (padded)" : "")
         << (layout.secondSlot.count(a.buffer) && !a.firstSlot ? " (2 slots)"
                                                               : "")
         << " [";
      llvm::interleaveComma(a.ownership, os);
      os << "]";
    }
    os << "\n";
  }
}

Order KernelModel::getCurrentOrder() const {
  Order order;
  for (Operation &op : kernel.getBodyBlock().without_terminator())
    order.top.push_back(&op);
  if (loop)
    for (Operation &op : loop.getBodyBlock().without_terminator())
      order.body.push_back(&op);
  return order;
}

Evaluation KernelModel::evaluate(const Order &order) const {
  Evaluation e;
  std::optional<Layout> layout = assign(order, e.sharedMemoryBytes);
  if (!layout)
    return e;
  e.feasible = true;
  Program program = build(order, *layout);
  SmallVector<ByteAccess> pending;
  place(program, pending, *layout);
  e.barriers = countBarriers(program);
  e.executedBarriers = countBarriers(program, kernel.getForloop());
  LLVM_DEBUG({
    llvm::dbgs() << DEBUG_TYPE ": " << e.barriers << " barriers ("
                 << e.executedBarriers << " executed), " << e.sharedMemoryBytes
                 << " bytes for the order\n";
    for (Operation *op : order.top) {
      llvm::dbgs() << "  " << op->getName() << "\n";
      if (isa<ForLoopOp>(op))
        for (Operation *inner : order.body)
          llvm::dbgs() << "    " << inner->getName() << "\n";
    }
    printProgram(llvm::dbgs(), program, *layout, 2);
  });
  return e;
}

/// A list schedule of `units`, the ops of one block in their original
/// order, by the barriers each needs after those scheduled so far (on the
/// disjoint layout: the plan depends on the order being built).
SmallVector<Operation *> KernelModel::scheduleBlock(
    ArrayRef<Operation *> units,
    llvm::function_ref<Program(Operation *)> programOf) const {
  size_t n = units.size();
  if (n < 2)
    return SmallVector<Operation *>(units);
  Block *block = units.front()->getBlock();
  llvm::DenseMap<Operation *, unsigned> index;
  for (auto [i, op] : llvm::enumerate(units))
    index[op] = i;
  // Dependences: operands (of the op or of ops nested in it) defined by
  // another unit, and the output savers' order (saver k writes result k).
  std::vector<SmallVector<unsigned>> preds(n);
  std::optional<unsigned> lastSaver;
  for (auto [i, op] : llvm::enumerate(units)) {
    op->walk([&, i = i](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (!def)
          continue;
        if (Operation *ancestor = block->findAncestorOpInBlock(*def))
          if (ancestor != op && index.count(ancestor))
            preds[i].push_back(index[ancestor]);
      }
    });
    if (isa<OutputSaverOp>(op)) {
      if (lastSaver)
        preds[i].push_back(*lastSaver);
      lastSaver = i;
    }
  }

  Layout layout = disjointLayout();
  std::vector<Program> programs;
  SmallVector<int64_t> alone;
  for (Operation *op : units) {
    programs.push_back(programOf(op));
    Program p = programs.back();
    SmallVector<ByteAccess> empty;
    place(p, empty, layout);
    alone.push_back(countBarriers(p));
  }

  SmallVector<Operation *> order;
  std::vector<bool> done(n, false);
  SmallVector<ByteAccess> pending;
  while (order.size() < n) {
    // Classes: 0 needs no barrier at all, 1 none before it (only its own),
    // 2 a barrier before it (the fewer other ops that is, the better).
    std::optional<unsigned> best;
    int bestClass = 3;
    int64_t bestExtra = 0;
    for (unsigned u = 0; u < n; ++u) {
      if (done[u] ||
          llvm::any_of(preds[u], [&](unsigned p) { return !done[p]; }))
        continue;
      Program p = programs[u];
      SmallVector<ByteAccess> state = pending;
      place(p, state, layout);
      int64_t extra = std::max<int64_t>(0, countBarriers(p) - alone[u]);
      int cls = extra > 0 ? 2 : alone[u] > 0 ? 1 : 0;
      if (cls < bestClass ||
          (cls == 2 && bestClass == 2 && extra < bestExtra)) {
        best = u;
        bestClass = cls;
        bestExtra = extra;
      }
    }
    assert(best && "a block's dependences form no cycle");
    Program p = programs[*best];
    place(p, pending, layout);
    done[*best] = true;
    order.push_back(units[*best]);
  }
  return order;
}

SmallVector<Order> KernelModel::getCandidates(const Order &start) const {
  Layout layout = disjointLayout();
  auto programOf = [&](Operation *op) {
    Program p;
    appendSteps(op, layout, p);
    return p;
  };
  auto scheduleTop = [&](ArrayRef<Operation *> body) {
    return scheduleBlock(start.top, [&](Operation *op) {
      return isa<ForLoopOp>(op) ? buildLoop(body, layout) : programOf(op);
    });
  };
  SmallVector<Operation *> body =
      loop ? scheduleBlock(start.body, programOf) : start.body;
  SmallVector<Order> candidates = {{scheduleTop(body), body}};
  if (body != start.body) {
    candidates.push_back({scheduleTop(start.body), start.body});
    candidates.push_back({start.top, body});
  }
  return candidates;
}

/// Blocks of `kernel` resident per SM with the shared memory of `e` (the
/// cost model's occupancy), 0 if it does not fit the target.
int64_t getBlocksPerSM(GraphKernelOp kernel, const GpuTarget &target,
                       const Evaluation &e) {
  search::KernelWork work;
  work.numBlocks = kernel.getNumBlocks();
  work.threadsPerBlock = kernel.getNumThreads();
  work.sharedMemoryBytes = e.sharedMemoryBytes;
  search::KernelCost cost = search::estimateKernel(target, work);
  return cost.feasible ? cost.blocksPerSM : 0;
}

struct Counts {
  uint64_t reordered = 0, keptForSharedMemory = 0;
  uint64_t barriersBefore = 0, barriersAfter = 0;
};

struct MirageScheduleBlockGraphsPass
    : mirage::impl::MirageScheduleBlockGraphsBase<
          MirageScheduleBlockGraphsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (!resolveGpuTarget(getOperation(), target))
      return signalPassFailure();
    Counts counts;
    getOperation().walk([&](GraphKernelOp kernel) {
      if (kernel.getBody().empty())
        return;
      const GpuTarget *gpu = resolveGpuTarget(kernel, target);
      KernelModel model(kernel, *gpu, tensorCores, doubleBuffer);
      if (!model.isValid())
        return; // the lowering will say why
      Order original = model.getCurrentOrder();
      Evaluation before = model.evaluate(original);
      counts.barriersBefore += before.barriers;
      int64_t blocksBefore = getBlocksPerSM(kernel, *gpu, before);
      // The candidate with the fewest barriers, then the smallest plan,
      // among those that keep the kernel's occupancy.
      std::optional<std::pair<Order, Evaluation>> best;
      bool fewerBarriers = false;
      for (Order &candidate : model.getCandidates(original)) {
        if (candidate == original)
          continue;
        Evaluation e = model.evaluate(candidate);
        if (!e.feasible)
          continue;
        LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": kernel at " << kernel.getLoc()
                                << ": " << before.barriers << " barriers, "
                                << before.sharedMemoryBytes
                                << " B shared; candidate: " << e.barriers
                                << ", " << e.sharedMemoryBytes << " B\n");
        if (!e.isBetterThan(before))
          continue;
        fewerBarriers = true;
        int64_t blocks = getBlocksPerSM(kernel, *gpu, e);
        bool fits =
            blocks > 0 &&
            (preservePlanSize ? e.sharedMemoryBytes <= before.sharedMemoryBytes
                              : blocks >= blocksBefore);
        if (!fits)
          continue;
        if (!best || e.isBetterThan(best->second) ||
            (!best->second.isBetterThan(e) &&
             e.sharedMemoryBytes < best->second.sharedMemoryBytes))
          best = {candidate, e};
      }
      if (!best) {
        counts.keptForSharedMemory += fewerBarriers;
        counts.barriersAfter += before.barriers;
        return;
      }
      auto [scheduled, after] = *best;
      applyOrder(kernel, scheduled);
      // The verifier's bound on shared memory must still hold.
      if (SharedMemoryUsage(kernel).getPeakBytes() >
          getGpuTargetFor(kernel).sharedMemoryPerBlock) {
        applyOrder(kernel, original);
        ++counts.keptForSharedMemory;
        counts.barriersAfter += before.barriers;
        return;
      }
      ++counts.reordered;
      counts.barriersAfter += after.barriers;
    });

    kernelsReordered += counts.reordered;
    kernelsKeptForSharedMemory += counts.keptForSharedMemory;
    barriersBefore += counts.barriersBefore;
    barriersAfter += counts.barriersAfter;
    if (!kLLVMStatisticsEnabled) {
      // Names and descriptions as in Passes.td.
      recordPassStatistic(getName(), "kernels-reordered",
                          "Graph-defined kernels whose ops were reordered",
                          counts.reordered);
      recordPassStatistic(
          getName(), "kernels-kept-for-shared-memory",
          "Kernels left in their order because every order with fewer "
          "barriers needs more shared memory",
          counts.keptForSharedMemory);
      recordPassStatistic(getName(), "barriers-before",
                          "Barriers the lowering needs before the pass "
                          "(modelled, static count, summed over kernels)",
                          counts.barriersBefore);
      recordPassStatistic(getName(), "barriers-after",
                          "Barriers the lowering needs after the pass "
                          "(modelled, static count, summed over kernels)",
                          counts.barriersAfter);
    }
  }
};

} // namespace
