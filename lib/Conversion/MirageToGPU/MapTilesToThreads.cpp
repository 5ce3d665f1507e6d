//===- MapTilesToThreads.cpp - Tile-level kernels to thread-level code ----===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-map-tiles-to-threads: see its description in Passes.td.
//
// Each linalg op of a tile-level kernel becomes a loop in which thread t of T
// handles the points t, t + T, t + 2T, ... of the op's parallel iteration
// space (a reduction runs sequentially per point). Private buffers (f32
// accumulators and values, memref.alloca at tile level) are accessed by
// every op with the identity map over the buffer's shape, so with this one
// mapping each thread owns the same elements in every op: they become
// per-thread arrays of ⌈N/T⌉ elements (registers once unrolled). Copies
// between device and shared memory move 16 bytes per thread and step when
// rows allow it. Barriers go exactly where one thread may read or overwrite
// shared bytes another thread wrote or read since the last barrier (ops with
// the same thread mapping over the same buffer need none), including across
// loop iterations.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"

#define DEBUG_TYPE "mirage-map-tiles-to-threads"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEMAPTILESTOTHREADS
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// 128-bit accesses: the widest a thread can load or store at once.
constexpr int64_t kVectorBytes = 16;
/// Thread steps over private arrays are unrolled up to this many, so that
/// the arrays are indexed by constants and stay in registers (64 f32
/// accumulators per thread is what a 128x64 tile over 128 threads needs).
constexpr int64_t kMaxUnrolledSteps = 64;

int64_t product(ArrayRef<int64_t> v) {
  int64_t p = 1;
  for (int64_t x : v)
    p *= x;
  return p;
}

bool isWorkgroup(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && isa_and_nonnull<gpu::AddressSpaceAttr>(type.getMemorySpace());
}

/// The memref.view of dynamic shared memory `v` is a view of (through
/// subviews and reshapes), or null.
memref::ViewOp getSharedRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<memref::ViewOp>(def))
      return isWorkgroup(view.getResult()) ? view : memref::ViewOp();
    if (auto sub = dyn_cast<memref::SubViewOp>(def)) {
      v = sub.getSource();
      continue;
    }
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(def)) {
      v = expand.getSrc();
      continue;
    }
    if (auto collapse = dyn_cast<memref::CollapseShapeOp>(def)) {
      v = collapse.getSrc();
      continue;
    }
    return {};
  }
  return {};
}

/// The byte range [begin, end) of shared memory a root view covers.
std::pair<int64_t, int64_t> getByteRange(memref::ViewOp view) {
  IntegerAttr offset;
  int64_t begin = 0;
  if (matchPattern(view.getByteShift(), m_Constant(&offset)))
    begin = offset.getInt();
  auto type = view.getType();
  int64_t bytes = product(type.getShape()) *
                  (type.getElementType().getIntOrFloatBitWidth() / 8);
  return {begin, begin + bytes};
}

/// One access of a linalg op to shared memory, and which thread touches
/// which element: `mapping` is the op's parallel extents when the operand is
/// read or written with the identity map over them (thread t then touches
/// elements t, t + T, ...), else empty (any thread may touch any element).
struct SharedAccess {
  int64_t begin, end;
  bool write;
  SmallVector<int64_t> mapping;
  bool operator==(const SharedAccess &other) const {
    return begin == other.begin && end == other.end && write == other.write &&
           mapping == other.mapping;
  }
};

/// The parallel extents of `op` if `map` is the identity over its parallel
/// dims, else none.
std::optional<SmallVector<int64_t>> getOwnedMapping(linalg::LinalgOp op,
                                                    AffineMap map) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> extents;
  SmallVector<unsigned> parallelDims;
  for (unsigned d = 0; d < iterators.size(); ++d)
    if (iterators[d] == utils::IteratorType::parallel) {
      parallelDims.push_back(d);
      extents.push_back(ranges[d]);
    }
  if (map.getNumResults() != parallelDims.size())
    return std::nullopt;
  for (auto [r, d] : llvm::zip(map.getResults(), parallelDims)) {
    auto dim = dyn_cast<AffineDimExpr>(r);
    if (!dim || dim.getPosition() != d)
      return std::nullopt;
  }
  return extents;
}

/// A private buffer: the tile-level alloca and the per-thread array that
/// replaces it.
struct PrivateBuffer {
  SmallVector<int64_t> shape;
  Value perThread;
};

class ThreadMapper {
public:
  ThreadMapper(gpu::GPUFuncOp func, int64_t threads)
      : func(func), threads(threads) {}

  LogicalResult run();

private:
  // Barriers.
  SmallVector<SharedAccess> getAccesses(linalg::LinalgOp op);
  void placeBarriers(Block &block, SmallVector<SharedAccess> &pending);

  // Lowering.
  /// Lowers `op`. With `fusedInit` and `epilogue`, `op` is a reduction into
  /// a private buffer that `fusedInit` fills and `epilogue` (the next op)
  /// alone reads: each thread then starts from the fill's value in a
  /// register and applies the epilogue to its result right away, so the
  /// buffer is never materialized.
  LogicalResult lower(linalg::LinalgOp op, Value fusedInit = Value(),
                      linalg::LinalgOp epilogue = linalg::LinalgOp());
  /// The fill and epilogue `op` can be fused with, if any.
  std::optional<std::pair<linalg::FillOp, linalg::LinalgOp>>
  getFusableNeighbours(linalg::LinalgOp op);
  bool lowerVectorCopy(linalg::CopyOp copy);
  Value constant(OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, func.getLoc(), v);
  }
  SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                                 ArrayRef<int64_t> extents);
  FailureOr<Value> applyExpr(OpBuilder &b, Location loc, AffineExpr expr,
                             ArrayRef<Value> dims);

  gpu::GPUFuncOp func;
  int64_t threads;
  Value tid;
  llvm::DenseMap<Value, PrivateBuffer> privates;
};

SmallVector<SharedAccess> ThreadMapper::getAccesses(linalg::LinalgOp op) {
  SmallVector<SharedAccess> accesses;
  bool vectorCopy = false;
  if (auto copy = dyn_cast<linalg::CopyOp>(op.getOperation())) {
    // Vectorized copies use a mapping of their own (16-byte chunks).
    (void)copy;
    vectorCopy = true;
  }
  for (OpOperand &operand : op->getOpOperands()) {
    memref::ViewOp root = getSharedRoot(operand.get());
    if (!root)
      continue;
    auto [begin, end] = getByteRange(root);
    SharedAccess access{begin, end, op.isDpsInit(&operand), {}};
    // The mapping is known only for operands that are whole views of the
    // root (a subview's elements sit elsewhere in the root).
    if (!vectorCopy && operand.get() == root.getResult())
      if (std::optional<SmallVector<int64_t>> m =
              getOwnedMapping(op, op.getMatchingIndexingMap(&operand)))
        access.mapping = *m;
    accesses.push_back(std::move(access));
  }
  return accesses;
}

/// Whether `a` and `b` conflict: they overlap, one writes, and a thread may
/// touch elements another thread touched.
bool conflicts(const SharedAccess &a, const SharedAccess &b) {
  if (!(a.write || b.write) || a.end <= b.begin || b.end <= a.begin)
    return false;
  bool sameOwner = !a.mapping.empty() && a.mapping == b.mapping &&
                   a.begin == b.begin && a.end == b.end;
  return !sameOwner;
}

void ThreadMapper::placeBarriers(Block &block,
                                 SmallVector<SharedAccess> &pending) {
  Location loc = func.getLoc();
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (isa<gpu::BarrierOp>(op)) {
      pending.clear();
      continue;
    }
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      // The body runs again after its end: analyse it until the barriers it
      // needs for the next iteration are in place.
      SmallVector<SharedAccess> state = pending;
      for (int pass = 0; pass < 3; ++pass) {
        SmallVector<SharedAccess> inner = state;
        placeBarriers(*loop.getBody(), inner);
        if (inner == state && pass > 0)
          break;
        state = inner;
        llvm::append_range(state, pending);
      }
      // After the loop: what its last iteration left pending.
      SmallVector<SharedAccess> after = pending;
      placeBarriers(*loop.getBody(), after);
      pending = after;
      continue;
    }
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp)
      continue;
    SmallVector<SharedAccess> accesses = getAccesses(linalgOp);
    bool hazard = false;
    for (const SharedAccess &a : accesses)
      for (const SharedAccess &p : pending)
        hazard |= conflicts(a, p);
    if (hazard) {
      OpBuilder b(&op);
      gpu::BarrierOp::create(b, loc);
      pending.clear();
    }
    llvm::append_range(pending, accesses);
  }
}

SmallVector<Value> ThreadMapper::delinearize(OpBuilder &b, Location loc,
                                             Value linear,
                                             ArrayRef<int64_t> extents) {
  SmallVector<Value> idx(extents.size());
  Value rest = linear;
  for (int64_t d = static_cast<int64_t>(extents.size()) - 1; d >= 0; --d) {
    if (d == 0) {
      idx[d] = rest;
      break;
    }
    Value e = constant(b, extents[d]);
    idx[d] = arith::RemUIOp::create(b, loc, rest, e);
    rest = arith::DivUIOp::create(b, loc, rest, e);
  }
  return idx;
}

FailureOr<Value> ThreadMapper::applyExpr(OpBuilder &b, Location loc,
                                         AffineExpr expr,
                                         ArrayRef<Value> dims) {
  if (auto d = dyn_cast<AffineDimExpr>(expr))
    return dims[d.getPosition()];
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return constant(b, c.getValue());
  if (auto bin = dyn_cast<AffineBinaryOpExpr>(expr)) {
    FailureOr<Value> l = applyExpr(b, loc, bin.getLHS(), dims);
    FailureOr<Value> r = applyExpr(b, loc, bin.getRHS(), dims);
    if (failed(l) || failed(r))
      return failure();
    if (expr.getKind() == AffineExprKind::Add)
      return arith::AddIOp::create(b, loc, *l, *r).getResult();
    if (expr.getKind() == AffineExprKind::Mul)
      return arith::MulIOp::create(b, loc, *l, *r).getResult();
  }
  return failure();
}

bool ThreadMapper::lowerVectorCopy(linalg::CopyOp copy) {
  Value src = copy.getInputs()[0], dst = copy.getOutputs()[0];
  auto srcType = cast<MemRefType>(src.getType());
  auto dstType = cast<MemRefType>(dst.getType());
  if (privates.count(src) || privates.count(dst) ||
      srcType.getElementType() != dstType.getElementType() ||
      !srcType.hasStaticShape() || srcType.getRank() == 0)
    return false;
  Type element = srcType.getElementType();
  int64_t width = kVectorBytes / (element.getIntOrFloatBitWidth() / 8);
  ArrayRef<int64_t> shape = srcType.getShape();
  if (shape.back() % width != 0)
    return false;
  // Rows start 16-byte aligned: inner stride 1 and outer strides multiples
  // of the vector width (offsets along the inner dim are multiples of the
  // tile's inner extent, a multiple of the width).
  for (MemRefType type : {srcType, dstType}) {
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return false;
    for (int64_t s : ArrayRef<int64_t>(strides).drop_back())
      if (ShapedType::isDynamic(s) || s % width != 0)
        return false;
  }
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  SmallVector<int64_t> chunks(shape.begin(), shape.end());
  chunks.back() /= width;
  int64_t n = product(chunks);
  auto vectorType = VectorType::get({width}, element);
  int64_t steps = (n + threads - 1) / threads;
  auto loop = scf::ForOp::create(b, loc, constant(b, 0), constant(b, steps),
                                 constant(b, 1));
  b.setInsertionPoint(loop.getBody()->getTerminator());
  Value i = loop.getInductionVar();
  Value p = arith::AddIOp::create(
      b, loc, tid, arith::MulIOp::create(b, loc, i, constant(b, threads)));
  auto body = [&](OpBuilder &nb) {
    SmallVector<Value> idx = delinearize(nb, loc, p, chunks);
    idx.back() =
        arith::MulIOp::create(nb, loc, idx.back(), constant(nb, width));
    Value v = vector::LoadOp::create(nb, loc, vectorType, src, idx,
                                     /*nontemporal=*/false,
                                     llvm::MaybeAlign(kVectorBytes));
    vector::StoreOp::create(nb, loc, v, dst, idx, /*nontemporal=*/false,
                            llvm::MaybeAlign(kVectorBytes));
  };
  if (n % threads != 0) {
    Value inBounds = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p,
                                           constant(b, n));
    auto guard = scf::IfOp::create(b, loc, inBounds, /*withElse=*/false);
    OpBuilder nb = OpBuilder::atBlockBegin(guard.thenBlock());
    body(nb);
  } else {
    body(b);
  }
  copy.erase();
  return true;
}

std::optional<std::pair<linalg::FillOp, linalg::LinalgOp>>
ThreadMapper::getFusableNeighbours(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1)
    return std::nullopt;
  Value out = op.getDpsInitOperand(0)->get();
  if (!privates.count(out))
    return std::nullopt;
  auto previous = [](Operation *o) {
    Operation *p = o->getPrevNode();
    while (p && (isa<gpu::BarrierOp>(p) || isMemoryEffectFree(p)))
      p = p->getPrevNode();
    return p;
  };
  auto next = [](Operation *o) {
    Operation *n = o->getNextNode();
    while (n && (isa<gpu::BarrierOp>(n) || isMemoryEffectFree(n)))
      n = n->getNextNode();
    return n;
  };
  auto fill = dyn_cast_or_null<linalg::FillOp>(previous(op));
  auto epilogue = dyn_cast_or_null<linalg::LinalgOp>(next(op));
  if (!fill || fill.getOutputs()[0] != out || !epilogue ||
      epilogue.getNumReductionLoops() != 0)
    return std::nullopt;
  // The epilogue reads the buffer (as an input only).
  bool readsIt = false;
  for (OpOperand &operand : epilogue->getOpOperands())
    if (operand.get() == out) {
      if (epilogue.isDpsInit(&operand))
        return std::nullopt;
      readsIt = true;
    }
  if (!readsIt)
    return std::nullopt;
  // Nothing else reads or writes the buffer.
  for (Operation *user : out.getUsers())
    if (user != op && user != fill && user != epilogue)
      return std::nullopt;
  // The epilogue's own outputs must not be private (they are stored at the
  // reduction's points).
  for (OpOperand &init : epilogue.getDpsInitsMutable())
    if (privates.count(init.get()))
      return std::nullopt;
  return std::make_pair(fill, epilogue);
}

LogicalResult ThreadMapper::lower(linalg::LinalgOp op, Value fusedInit,
                                  linalg::LinalgOp epilogue) {
  if (auto copy = dyn_cast<linalg::CopyOp>(op.getOperation()))
    if (lowerVectorCopy(copy))
      return success();
  Location loc = op.getLoc();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<unsigned> parallelDims, reductionDims;
  SmallVector<int64_t> parallelExtents;
  for (unsigned d = 0; d < iterators.size(); ++d) {
    if (ShapedType::isDynamic(ranges[d]))
      return op.emitOpError("has a dynamic iteration space; tiles are static");
    if (iterators[d] == utils::IteratorType::parallel) {
      parallelDims.push_back(d);
      parallelExtents.push_back(ranges[d]);
    } else {
      reductionDims.push_back(d);
    }
  }
  // Private operands must be owned element for element.
  for (OpOperand &operand : op->getOpOperands()) {
    auto it = privates.find(operand.get());
    if (it == privates.end())
      continue;
    std::optional<SmallVector<int64_t>> mapping =
        getOwnedMapping(op, op.getMatchingIndexingMap(&operand));
    if (!mapping || *mapping != it->second.shape)
      return op.emitOpError("accesses a private (per-thread) buffer other "
                            "than element for element; it must be in "
                            "shared memory");
  }

  int64_t n = product(parallelExtents);
  int64_t steps = (n + threads - 1) / threads;
  bool guarded = n % threads != 0;
  SmallVector<OpOperand *> inputs = op.getDpsInputOperands();
  SmallVector<OpOperand *> outputs;
  for (OpOperand &init : op.getDpsInitsMutable())
    outputs.push_back(&init);
  bool touchesPrivate = llvm::any_of(
      op->getOperands(), [&](Value v) { return privates.count(v) != 0; });
  bool allOutputsPrivate = llvm::all_of(
      outputs, [&](OpOperand *o) { return privates.count(o->get()) != 0; });
  bool unroll = touchesPrivate && steps <= kMaxUnrolledSteps;
  Block *payload = op.getBlock();
  for (Operation &inner : payload->without_terminator())
    if (isa<linalg::IndexOp>(inner))
      return inner.emitOpError("is not supported in tile ops");

  // The thread's point of step `step`: tid + step·T (clamped to the last
  // point when out of range, for code that masks rather than branches).
  auto pointOf = [&](OpBuilder &b, Value step, bool clamp) -> Value {
    Value p = arith::AddIOp::create(
        b, loc, tid, arith::MulIOp::create(b, loc, step, constant(b, threads)));
    if (clamp && guarded)
      p = arith::MinUIOp::create(b, loc, p, constant(b, n - 1));
    return p;
  };
  auto inBounds = [&](OpBuilder &b, Value step) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                 pointOf(b, step, /*clamp=*/false),
                                 constant(b, n));
  };
  // Iteration-space indices of a point (reduction dims filled by loops).
  auto dimsOf = [&](OpBuilder &b, Value p) {
    SmallVector<Value> dims(iterators.size());
    for (auto [d, v] :
         llvm::zip(parallelDims, delinearize(b, loc, p, parallelExtents)))
      dims[d] = v;
    return dims;
  };
  auto memrefOf = [&](Value v) {
    auto it = privates.find(v);
    return it != privates.end() ? it->second.perThread : v;
  };
  auto indicesOf = [&](OpBuilder &b, OpOperand &operand, ArrayRef<Value> dims,
                       Value step) -> FailureOr<SmallVector<Value>> {
    if (privates.count(operand.get()))
      return SmallVector<Value>{step};
    SmallVector<Value> idx;
    for (AffineExpr e : op.getMatchingIndexingMap(&operand).getResults()) {
      FailureOr<Value> v = applyExpr(b, loc, e, dims);
      if (failed(v))
        return op.emitOpError("has an indexing map the thread mapping "
                              "cannot evaluate");
      idx.push_back(*v);
    }
    return idx;
  };
  auto load = [&](OpBuilder &b, OpOperand &operand, ArrayRef<Value> dims,
                  Value step) -> FailureOr<Value> {
    // Scalar inputs (linalg.fill's value) are used as they are.
    if (!isa<MemRefType>(operand.get().getType()))
      return operand.get();
    FailureOr<SmallVector<Value>> idx = indicesOf(b, operand, dims, step);
    if (failed(idx))
      return failure();
    return memref::LoadOp::create(b, loc, memrefOf(operand.get()), *idx)
        .getResult();
  };
  auto store = [&](OpBuilder &b, Value v, OpOperand &operand,
                   ArrayRef<Value> dims, Value step) -> LogicalResult {
    FailureOr<SmallVector<Value>> idx = indicesOf(b, operand, dims, step);
    if (failed(idx))
      return failure();
    memref::StoreOp::create(b, loc, v, memrefOf(operand.get()), *idx);
    return success();
  };
  // The payload at one point, with `outs` the outputs' current values.
  auto runPayload = [&](OpBuilder &b, ArrayRef<Value> dims, Value step,
                        ValueRange outs) -> FailureOr<SmallVector<Value>> {
    IRMapping mapping;
    for (auto [arg, operand] : llvm::zip(payload->getArguments(), inputs)) {
      if (arg.use_empty())
        continue;
      FailureOr<Value> v = load(b, *operand, dims, step);
      if (failed(v))
        return failure();
      mapping.map(arg, *v);
    }
    for (auto [arg, v] :
         llvm::zip(payload->getArguments().drop_front(inputs.size()), outs))
      if (v)
        mapping.map(arg, v);
    for (Operation &inner : payload->without_terminator())
      b.clone(inner, mapping);
    SmallVector<Value> results;
    for (Value y : payload->getTerminator()->getOperands())
      results.push_back(mapping.lookupOrDefault(y));
    return results;
  };

  // The epilogue at a point, with the reduction's result: its other inputs
  // are read with its own maps over the same (parallel) indices.
  auto runEpilogue = [&](OpBuilder &eb, ArrayRef<Value> dims, Value step,
                         Value result) -> LogicalResult {
    SmallVector<Value> epiDims;
    for (unsigned d : parallelDims)
      epiDims.push_back(dims[d]);
    Block *epiBlock = epilogue.getBlock();
    Value fusedBuffer = op.getDpsInitOperand(0)->get();
    IRMapping mapping;
    auto epiIndices = [&](OpOperand &operand) -> FailureOr<SmallVector<Value>> {
      if (privates.count(operand.get()))
        return SmallVector<Value>{step};
      SmallVector<Value> idx;
      for (AffineExpr e :
           epilogue.getMatchingIndexingMap(&operand).getResults()) {
        FailureOr<Value> v = applyExpr(eb, loc, e, epiDims);
        if (failed(v))
          return epilogue.emitOpError("has an indexing map the thread "
                                      "mapping cannot evaluate");
        idx.push_back(*v);
      }
      return idx;
    };
    for (OpOperand &operand : epilogue->getOpOperands()) {
      BlockArgument arg = epiBlock->getArgument(operand.getOperandNumber());
      if (arg.use_empty())
        continue;
      if (operand.get() == fusedBuffer) {
        mapping.map(arg, result);
        continue;
      }
      if (!isa<MemRefType>(operand.get().getType())) {
        mapping.map(arg, operand.get());
        continue;
      }
      FailureOr<SmallVector<Value>> idx = epiIndices(operand);
      if (failed(idx))
        return failure();
      mapping.map(
          arg, memref::LoadOp::create(eb, loc, memrefOf(operand.get()), *idx));
    }
    for (Operation &inner : epiBlock->without_terminator())
      eb.clone(inner, mapping);
    for (auto [y, init] : llvm::zip(epiBlock->getTerminator()->getOperands(),
                                    epilogue.getDpsInitsMutable())) {
      FailureOr<SmallVector<Value>> idx = epiIndices(init);
      if (failed(idx))
        return failure();
      memref::StoreOp::create(eb, loc, mapping.lookupOrDefault(y),
                              memrefOf(init.get()), *idx);
    }
    return success();
  };

  OpBuilder b(op);
  if (!reductionDims.empty() && allOutputsPrivate && unroll) {
    // Register tiling: the reduction loops outermost, carrying every
    // accumulator of the thread; each step's point is masked, not branched.
    SmallVector<Value> carried;
    for (int64_t step = 0; step < steps; ++step)
      for (OpOperand *o : outputs)
        carried.push_back(
            fusedInit ? fusedInit
                      : memref::LoadOp::create(b, loc, memrefOf(o->get()),
                                               ValueRange{constant(b, step)})
                            .getResult());
    std::function<FailureOr<SmallVector<Value>>(
        OpBuilder &, unsigned, SmallVector<Value> &, ValueRange)>
        nest = [&](OpBuilder &nb, unsigned level, SmallVector<Value> &rdims,
                   ValueRange acc) -> FailureOr<SmallVector<Value>> {
      if (level == reductionDims.size()) {
        SmallVector<Value> next;
        for (int64_t step = 0; step < steps; ++step) {
          Value s = constant(nb, step);
          SmallVector<Value> dims = dimsOf(nb, pointOf(nb, s, /*clamp=*/true));
          for (auto [k, d] : llvm::enumerate(reductionDims))
            dims[d] = rdims[k];
          ValueRange mine = acc.slice(step * outputs.size(), outputs.size());
          FailureOr<SmallVector<Value>> r = runPayload(nb, dims, s, mine);
          if (failed(r))
            return failure();
          if (guarded)
            for (auto [v, old] : llvm::zip(*r, mine))
              v = arith::SelectOp::create(nb, loc, inBounds(nb, s), v, old);
          llvm::append_range(next, *r);
        }
        return next;
      }
      unsigned d = reductionDims[level];
      auto loop =
          scf::ForOp::create(nb, loc, constant(nb, 0), constant(nb, ranges[d]),
                             constant(nb, 1), acc);
      OpBuilder ib = OpBuilder::atBlockBegin(loop.getBody());
      rdims.push_back(loop.getInductionVar());
      FailureOr<SmallVector<Value>> r =
          nest(ib, level + 1, rdims, loop.getRegionIterArgs());
      rdims.pop_back();
      if (failed(r))
        return failure();
      scf::YieldOp::create(ib, loc, *r);
      return SmallVector<Value>(loop.getResults());
    };
    SmallVector<Value> rdims;
    FailureOr<SmallVector<Value>> finals = nest(b, 0, rdims, carried);
    if (failed(finals))
      return failure();
    for (int64_t step = 0; step < steps; ++step) {
      if (epilogue) {
        Value s = constant(b, step);
        OpBuilder eb = b;
        if (guarded) {
          auto guard =
              scf::IfOp::create(b, loc, inBounds(b, s), /*withElse=*/false);
          eb = OpBuilder::atBlockBegin(guard.thenBlock());
        }
        SmallVector<Value> dims = dimsOf(eb, pointOf(eb, s, false));
        if (failed(runEpilogue(eb, dims, s, (*finals)[step])))
          return failure();
        continue;
      }
      for (auto [k, o] : llvm::enumerate(outputs))
        memref::StoreOp::create(b, loc, (*finals)[step * outputs.size() + k],
                                memrefOf(o->get()),
                                ValueRange{constant(b, step)});
    }
    op.erase();
    return success();
  }

  // One point per step: the reduction (if any) runs sequentially per point.
  auto emitStep = [&](OpBuilder &sb, Value step) -> LogicalResult {
    OpBuilder body = sb;
    if (guarded) {
      auto guard = scf::IfOp::create(sb, loc, inBounds(sb, step),
                                     /*withElse=*/false);
      body = OpBuilder::atBlockBegin(guard.thenBlock());
    }
    SmallVector<Value> dims = dimsOf(body, pointOf(body, step, false));
    // Current output values: loaded when the payload reads them or
    // reductions start from them.
    SmallVector<Value> current;
    for (auto [k, o] : llvm::enumerate(outputs)) {
      BlockArgument arg = payload->getArgument(inputs.size() + k);
      if (arg.use_empty() && reductionDims.empty()) {
        current.push_back(Value());
        continue;
      }
      if (fusedInit) {
        current.push_back(fusedInit);
        continue;
      }
      FailureOr<Value> v = load(body, *o, dims, step);
      if (failed(v))
        return failure();
      current.push_back(*v);
    }
    SmallVector<Value> finals;
    if (reductionDims.empty()) {
      FailureOr<SmallVector<Value>> r = runPayload(body, dims, step, current);
      if (failed(r))
        return failure();
      finals = *r;
    } else {
      std::function<FailureOr<SmallVector<Value>>(OpBuilder &, unsigned,
                                                  ValueRange)>
          reduce = [&](OpBuilder &nb, unsigned level,
                       ValueRange acc) -> FailureOr<SmallVector<Value>> {
        if (level == reductionDims.size())
          return runPayload(nb, dims, step, acc);
        unsigned d = reductionDims[level];
        auto inner =
            scf::ForOp::create(nb, loc, constant(nb, 0),
                               constant(nb, ranges[d]), constant(nb, 1), acc);
        OpBuilder ib = OpBuilder::atBlockBegin(inner.getBody());
        dims[d] = inner.getInductionVar();
        FailureOr<SmallVector<Value>> r =
            reduce(ib, level + 1, inner.getRegionIterArgs());
        if (failed(r))
          return failure();
        scf::YieldOp::create(ib, loc, *r);
        return SmallVector<Value>(inner.getResults());
      };
      FailureOr<SmallVector<Value>> r = reduce(body, 0, current);
      if (failed(r))
        return failure();
      finals = *r;
    }
    if (epilogue)
      return runEpilogue(body, dims, step, finals.front());
    for (auto [v, o] : llvm::zip(finals, outputs))
      if (failed(store(body, v, *o, dims, step)))
        return failure();
    return success();
  };

  if (unroll) {
    // Unrolled, so per-thread arrays are indexed by constants and live in
    // registers.
    for (int64_t step = 0; step < steps; ++step)
      if (failed(emitStep(b, constant(b, step))))
        return failure();
  } else {
    auto loop = scf::ForOp::create(b, loc, constant(b, 0), constant(b, steps),
                                   constant(b, 1));
    OpBuilder lb(loop.getBody()->getTerminator());
    if (failed(emitStep(lb, loop.getInductionVar())))
      return failure();
  }
  op.erase();
  return success();
}

LogicalResult ThreadMapper::run() {
  if (func.getBody().empty())
    return success();
  Block &entry = func.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  Location loc = func.getLoc();
  tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);

  // Private buffers: per-thread arrays.
  for (Operation &op : llvm::make_early_inc_range(entry)) {
    auto alloca = dyn_cast<memref::AllocaOp>(op);
    if (!alloca || !alloca.getType().hasStaticShape())
      continue;
    PrivateBuffer buffer;
    buffer.shape.assign(alloca.getType().getShape().begin(),
                        alloca.getType().getShape().end());
    int64_t perThread = (product(buffer.shape) + threads - 1) / threads;
    OpBuilder ab(alloca);
    buffer.perThread = memref::AllocaOp::create(
        ab, loc,
        MemRefType::get({perThread}, alloca.getType().getElementType()));
    privates[alloca.getResult()] = buffer;
  }

  // Barriers, placed on the tile-level ops.
  SmallVector<SharedAccess> pending;
  placeBarriers(entry, pending);

  // Lower every linalg op, innermost first.
  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  llvm::DenseSet<Operation *> fused;
  llvm::DenseMap<Operation *, std::pair<linalg::FillOp, linalg::LinalgOp>>
      groups;
  for (linalg::LinalgOp op : ops)
    if (auto neighbours = getFusableNeighbours(op)) {
      groups[op] = *neighbours;
      fused.insert(neighbours->first);
      fused.insert(neighbours->second);
    }
  for (linalg::LinalgOp op : ops) {
    if (fused.contains(op))
      continue;
    auto group = groups.find(op);
    if (group == groups.end()) {
      if (failed(lower(op)))
        return failure();
      continue;
    }
    auto [fill, epilogue] = group->second;
    // The epilogue runs at the reduction's place: a barrier the analysis
    // put between them goes before the reduction instead.
    for (Operation *o = op->getNextNode(); o && o != epilogue;
         o = o->getNextNode())
      if (isa<gpu::BarrierOp>(o)) {
        o->moveBefore(op);
        break;
      }
    Value init = fill.getInputs()[0];
    if (failed(lower(op, init, epilogue)))
      return failure();
    fill.erase();
    epilogue.erase();
  }
  // The tile-level allocas are dead now.
  for (auto &[value, buffer] : privates)
    if (value.use_empty())
      value.getDefiningOp()->erase();
  return success();
}

/// NVVMDialect's name for PTX's `.maxnreg` (registers per thread); the
/// attribute is spelled out so the pass does not depend on the NVVM dialect.
constexpr StringLiteral kMaxRegistersAttrName = "nvvm.maxnreg";

struct MirageMapTilesToThreadsPass
    : mirage::impl::MirageMapTilesToThreadsBase<MirageMapTilesToThreadsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<gpu::GPUFuncOp>()) {
      if (!func.isKernel())
        continue;
      bool threadLevel = false;
      func.walk([&](gpu::ThreadIdOp) { threadLevel = true; });
      if (threadLevel)
        continue; // already mapped
      std::optional<DenseI32ArrayAttr> block = func.getKnownBlockSizeAttr();
      if (!block || (*block)[1] != 1 || (*block)[2] != 1) {
        func.emitOpError("needs known_block_size = [threads, 1, 1] to map "
                         "tiles to threads");
        return signalPassFailure();
      }
      ThreadMapper mapper(func, (*block)[0]);
      if (failed(mapper.run()))
        return signalPassFailure();
      // Without a bound, ptxas may cap registers to fit several blocks per
      // SM and spill (FlashAttention-sized accumulators on sm_80). Allow
      // what one block of T threads can have alone on an SM: 64K 32-bit
      // registers per SM on sm_80 and sm_90 (CUDA C++ Programming Guide,
      // "Technical Specifications per Compute Capability"), at most 255 per
      // thread, in units of 8.
      int64_t budget = std::min<int64_t>(255, 65536 / (*block)[0] / 8 * 8);
      func->setAttr(
          kMaxRegistersAttrName,
          IntegerAttr::get(IntegerType::get(&getContext(), 32), budget));
    }
  }
};

} // namespace
