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

#include "TileOps.h"

#include "Mirage/Conversion/MirageToGPU/MatrixDescriptor.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"

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

/// Accumulator tiles per warp a warpgroup MMA feeding an epilogue computes
/// at a time (4 f32 registers each).
constexpr int64_t kWarpgroupEpilogueTiles = 8;
/// 128-bit accesses: the widest a thread can load or store at once.
constexpr int64_t kVectorBytes = 16;
/// Thread steps over private arrays are unrolled up to this many, so that
/// the arrays are indexed by constants and stay in registers (64 f32
/// accumulators per thread is what a 128x64 tile over 128 threads needs).
constexpr int64_t kMaxUnrolledSteps = 64;
/// Copies are prefetched into registers when each thread holds at most this
/// many 16-byte chunks of the tile (32 registers).
constexpr int64_t kMaxPrefetchSteps = 8;
/// Prefetching stops where the thread's private arrays and staged chunks
/// would exceed this many 32-bit registers (of 255; the rest is for
/// operands, addresses and the compiler). A heuristic, to be tuned on a GPU.
constexpr int64_t kMaxRegistersWithPrefetch = 96;

/// `fence.proxy.async.shared::cta`: orders the thread's shared-memory
/// accesses through the generic proxy before later async-proxy ones (the
/// tensor cores' wgmma reads).
void createAsyncProxyFence(OpBuilder &b, Location loc) {
  MLIRContext *context = b.getContext();
  NVVM::FenceProxyOp::create(
      b, loc, NVVM::ProxyKindAttr::get(context, NVVM::ProxyKind::async_shared),
      NVVM::SharedSpaceAttr::get(context, NVVM::SharedSpace::shared_cta));
}

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
  // A double buffer's slot: either of them.
  if (auto range =
          view->getAttrOfType<DenseI64ArrayAttr>(tile::kSharedBytesAttrName))
    return {range[0], range[1]};
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

/// The elements of a [batch..., M, N] private buffer that a warp-level
/// `mma.sync` m16n8k16 produces: the buffer is cut into 16x8 tiles, warp w
/// of W owns the tiles w·S ... w·S + S − 1 (row-major over batch, M/16,
/// N/8), and lane l holds elements c0..c3 of each: rows g and g + 8, columns
/// 2q and 2q + 1 with g = l / 4, q = l mod 4 (PTX ISA, "Matrix Fragments for
/// mma.m16n8k16 with floating point type", accumulator layout). Element e of
/// tile s is per-thread element 4s + e.
///
/// With `warpgroup` (warpgroup MMA, mirage.warpgroup_mma), the rows come in
/// 64-row blocks, each computed by one warpgroup of four warps, warp w
/// holding its row tile w mod 4 (PTX ISA, wgmma .m64nNk16 accumulator
/// fragments: the mma.m16n8 layout per warp and 8-column block): warpgroup
/// G of the block's warpgroups owns blocks G·B ... G·B + B − 1 (row-major
/// over batch and M/64), and a warp's tile s is column tile s mod (N/8) of
/// block s / (N/8) of its warpgroup's, in its row tile.
struct MmaLayout {
  SmallVector<int64_t> shape; // [batch..., M, N]
  int64_t tilesPerWarp;
  bool warpgroup = false;
  int64_t batch() const { return product(ArrayRef(shape).drop_back(2)); }
  int64_t rowTiles() const { return shape[shape.size() - 2] / 16; }
  int64_t colTiles() const { return shape.back() / 8; }
};

/// A private buffer: the tile-level alloca and the per-thread array that
/// replaces it; `mma` when tensor cores produce it (its elements are then
/// owned as mma.sync accumulators, not cyclically).
struct PrivateBuffer {
  SmallVector<int64_t> shape;
  Value perThread;
  std::optional<MmaLayout> mma;
};

/// The operands of a matmul tile op tensor cores can run: f16 tiles in
/// shared memory, an f32 private accumulator, one reduction dim.
struct MmaMatmul {
  OpOperand *a, *b; // [..., M, K] and [..., K, N]
  unsigned m, n, k; // iteration dims
  int64_t extentK;
  Type elementType; // f16
};

class ThreadMapper {
public:
  ThreadMapper(gpu::GPUFuncOp func, int64_t threads, bool tensorCores,
               bool ldMatrix, bool prefetch, bool warpgroupMma)
      : func(func), threads(threads), tensorCores(tensorCores),
        ldMatrix(ldMatrix), prefetch(prefetch),
        warpgroupMma(warpgroupMma && tensorCores && threads % 128 == 0) {}

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
  /// Whether `copy` moves 16 bytes per thread and step (lowerVectorCopy).
  bool isVectorCopy(linalg::CopyOp copy);
  bool lowerVectorCopy(linalg::CopyOp copy);
  /// A copy from device memory in a for-loop whose next iteration's tile can
  /// be loaded ahead: the loop, and the source view at an induction value.
  struct Prefetch {
    scf::ForOp loop;
    std::function<Value(OpBuilder &, Value)> sourceAt;
  };
  std::optional<Prefetch> getPrefetch(linalg::CopyOp copy, int64_t steps);
  // Tensor cores.
  std::optional<MmaMatmul> matchMmaMatmul(linalg::LinalgOp op);
  void assignMmaLayouts(ArrayRef<linalg::LinalgOp> ops);
  // Warpgroup MMA.
  /// The shared-memory view of `mma`'s B if warpgroup MMA can run `op`
  /// with B in the swizzled layout (shapes, alignment), else null.
  memref::ViewOp getWarpgroupMmaOperand(linalg::LinalgOp op,
                                        const MmaMatmul &mma);
  /// Collects the views whose tiles can be kept swizzled: B operands of
  /// warpgroup-MMA candidates that the conversion marked `mirage.swizzled`
  /// and that, with every marked view of the same bytes, only vectorised
  /// copies write and only such matmuls read.
  void findSwizzledViews(ArrayRef<linalg::LinalgOp> ops);
  /// The views the conversion marked `mirage.swizzled` over the bytes of
  /// marked view `view`: the tile's views (its double-buffer slots, before
  /// and in the for-loop).
  SmallVector<memref::ViewOp> getSwizzledFamily(memref::ViewOp view);
  /// The [N/64, K, 64] view of swizzled tile `view` that
  /// mirage.warpgroup_mma and the copies index.
  Value getBlockedView(memref::ViewOp view);
  /// The indices in getBlockedView of element `idx` (of the [1..., K, N]
  /// view) for the 16-byte chunk that starts there.
  SmallVector<Value> getSwizzledIndices(OpBuilder &b, Location loc,
                                        ValueRange idx);
  /// Applies a fused epilogue to the reduction's `result` at per-thread
  /// element `step`.
  using EpilogueFn =
      std::function<LogicalResult(OpBuilder &, Value step, Value result)>;
  /// Lowers an mma matmul into its private accumulator or, with
  /// `fusedInit` and `epilogue`, in chunks of tiles that start at the fill
  /// value and go through the epilogue (the accumulator never exists).
  LogicalResult lowerMma(linalg::LinalgOp op, const MmaMatmul &mma,
                         const MmaLayout &layout, Value fusedInit,
                         const EpilogueFn &epilogue);
  /// The iteration-space indices (parallel dims only) of per-thread element
  /// `step` of a buffer with `layout`.
  SmallVector<Value> mmaDims(OpBuilder &b, Location loc, Value step,
                             const MmaLayout &layout);
  /// Tile `s` of this thread's warp: (batch index, row tile, column tile).
  std::array<Value, 3> mmaTile(OpBuilder &b, Location loc, Value s,
                               const MmaLayout &layout);
  Value constant(OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, func.getLoc(), v);
  }
  SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                                 ArrayRef<int64_t> extents);
  FailureOr<Value> applyExpr(OpBuilder &b, Location loc, AffineExpr expr,
                             ArrayRef<Value> dims);

  gpu::GPUFuncOp func;
  int64_t threads;
  bool tensorCores;
  bool ldMatrix;
  bool prefetch;
  bool warpgroupMma;
  /// memref.view ops whose tiles are kept in the 128-byte-swizzled layout,
  /// and their blocked views.
  llvm::DenseSet<Operation *> swizzledViews;
  llvm::DenseMap<Operation *, Value> blockedViews;
  /// 32-bit registers that prefetched chunks take so far.
  int64_t stagedRegisters = 0;
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
  bool touchesMmaAccumulator = llvm::any_of(op->getOperands(), [&](Value v) {
    auto it = privates.find(v);
    return it != privates.end() && it->second.mma.has_value();
  });
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
              getOwnedMapping(op, op.getMatchingIndexingMap(&operand))) {
        access.mapping = *m;
        // Ops on mma.sync accumulators own their points as the
        // accumulators do, not cyclically.
        if (touchesMmaAccumulator)
          access.mapping.push_back(-1);
      }
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

bool ThreadMapper::isVectorCopy(linalg::CopyOp copy) {
  Value src = copy.getInputs()[0], dst = copy.getOutputs()[0];
  auto srcType = cast<MemRefType>(src.getType());
  auto dstType = cast<MemRefType>(dst.getType());
  if (privates.count(src) || privates.count(dst) ||
      srcType.getElementType() != dstType.getElementType() ||
      !srcType.hasStaticShape() || srcType.getRank() == 0)
    return false;
  Type element = srcType.getElementType();
  int64_t width = kVectorBytes / (element.getIntOrFloatBitWidth() / 8);
  if (srcType.getShape().back() % width != 0)
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
  return true;
}

bool ThreadMapper::lowerVectorCopy(linalg::CopyOp copy) {
  if (!isVectorCopy(copy))
    return false;
  Value src = copy.getInputs()[0], dst = copy.getOutputs()[0];
  auto srcType = cast<MemRefType>(src.getType());
  Type element = srcType.getElementType();
  int64_t width = kVectorBytes / (element.getIntOrFloatBitWidth() / 8);
  ArrayRef<int64_t> shape = srcType.getShape();
  Location loc = copy.getLoc();
  // A tile kept swizzled for warpgroup MMA: each 16-byte chunk goes to its
  // place in the blocked, swizzled layout, and each thread ends its writes
  // with a proxy fence, since the tensor cores read the tile through the
  // async proxy (PTX ISA, "Memory Consistency Model", proxies; the barrier
  // before the read follows).
  auto dstView = dst.getDefiningOp<memref::ViewOp>();
  bool swizzled = dstView && swizzledViews.contains(dstView);
  Value dstBuffer = swizzled ? getBlockedView(dstView) : dst;
  auto dstIndices = [&](OpBuilder &b, ValueRange idx) -> SmallVector<Value> {
    if (swizzled)
      return getSwizzledIndices(b, loc, idx);
    return SmallVector<Value>(idx);
  };
  auto fenceProxy = [&](OpBuilder &b) {
    if (swizzled)
      createAsyncProxyFence(b, loc);
  };
  SmallVector<int64_t> chunks(shape.begin(), shape.end());
  chunks.back() /= width;
  int64_t n = product(chunks);
  auto vectorType = VectorType::get({width}, element);
  int64_t steps = (n + threads - 1) / threads;
  bool guarded = n % threads != 0;

  // Emits, for each of the thread's chunks, `body(builder, indices, step)`
  // (guarded when the chunks do not divide evenly); unrolled when `unroll`.
  auto forEachChunk =
      [&](OpBuilder &b, bool unroll,
          function_ref<void(OpBuilder &, ValueRange, Value)> body) {
        auto emit = [&](OpBuilder &sb, Value step) {
          Value p = arith::AddIOp::create(
              sb, loc, tid,
              arith::MulIOp::create(sb, loc, step, constant(sb, threads)));
          OpBuilder nb = sb;
          if (guarded) {
            Value inBounds = arith::CmpIOp::create(
                sb, loc, arith::CmpIPredicate::ult, p, constant(sb, n));
            auto guard =
                scf::IfOp::create(sb, loc, inBounds, /*withElse=*/false);
            nb = OpBuilder::atBlockBegin(guard.thenBlock());
          }
          SmallVector<Value> idx = delinearize(nb, loc, p, chunks);
          idx.back() =
              arith::MulIOp::create(nb, loc, idx.back(), constant(nb, width));
          body(nb, idx, step);
        };
        if (unroll) {
          for (int64_t step = 0; step < steps; ++step)
            emit(b, constant(b, step));
          return;
        }
        auto loop = scf::ForOp::create(b, loc, constant(b, 0),
                                       constant(b, steps), constant(b, 1));
        OpBuilder lb(loop.getBody()->getTerminator());
        emit(lb, loop.getInductionVar());
      };
  auto load = [&](OpBuilder &b, Value from, ValueRange idx) {
    return vector::LoadOp::create(b, loc, vectorType, from, idx,
                                  /*nontemporal=*/false,
                                  llvm::MaybeAlign(kVectorBytes))
        .getResult();
  };
  auto store = [&](OpBuilder &b, Value v, Value to, ValueRange idx) {
    vector::StoreOp::create(b, loc, v, to, idx, /*nontemporal=*/false,
                            llvm::MaybeAlign(kVectorBytes));
  };

  // The next iteration's tile into a double buffer's free slot: cp.async,
  // 16 bytes a thread and step, bypassing L1 (.cg), committed as a group
  // that the next iteration waits for (insertAsyncCopyWaits).
  if (copy->hasAttr(tile::kAsyncCopyAttrName) && !isWorkgroup(src) &&
      isWorkgroup(dst)) {
    OpBuilder b(copy);
    forEachChunk(b, /*unroll=*/false,
                 [&](OpBuilder &nb, ValueRange idx, Value) {
                   nvgpu::DeviceAsyncCopyOp::create(
                       nb, loc, dstBuffer, dstIndices(nb, idx), src, idx,
                       nb.getIndexAttr(width),
                       /*srcElements=*/Value(), nb.getUnitAttr());
                 });
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
    copy.erase();
    return true;
  }

  // Software pipelining of the for-loop's copies from device memory: the
  // next iteration's tile is loaded into registers while this iteration
  // computes, so the loads' latency overlaps the compute.
  if (std::optional<Prefetch> prefetch = getPrefetch(copy, steps)) {
    OpBuilder entry(func.getContext());
    entry.setInsertionPointAfter(tid.getDefiningOp());
    Value stage = memref::AllocaOp::create(
        entry, loc, MemRefType::get({steps}, vectorType));
    stagedRegisters += steps * (kVectorBytes / 4);
    auto fetch = [&](OpBuilder &b, Value from) {
      forEachChunk(
          b, /*unroll=*/true, [&](OpBuilder &nb, ValueRange idx, Value step) {
            memref::StoreOp::create(nb, loc, load(nb, from, idx), stage, step);
          });
    };
    // Iteration 0's tile before the loop.
    {
      OpBuilder pb(prefetch->loop);
      fetch(pb, prefetch->sourceAt(pb, prefetch->loop.getLowerBound()));
    }
    // This iteration's tile from registers into shared memory, then the
    // next one's into registers.
    OpBuilder b(copy);
    forEachChunk(b, /*unroll=*/true,
                 [&](OpBuilder &nb, ValueRange idx, Value step) {
                   store(nb, memref::LoadOp::create(nb, loc, stage, step),
                         dstBuffer, dstIndices(nb, idx));
                 });
    fenceProxy(b);
    Value next = arith::AddIOp::create(b, loc, prefetch->loop.getInductionVar(),
                                       prefetch->loop.getStep());
    Value more = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, next,
                                       prefetch->loop.getUpperBound());
    auto ifMore = scf::IfOp::create(b, loc, more, /*withElse=*/false);
    OpBuilder nb = OpBuilder::atBlockBegin(ifMore.thenBlock());
    fetch(nb, prefetch->sourceAt(nb, next));
    copy.erase();
    return true;
  }

  OpBuilder b(copy);
  forEachChunk(b, /*unroll=*/false, [&](OpBuilder &nb, ValueRange idx, Value) {
    store(nb, load(nb, src, idx), dstBuffer, dstIndices(nb, idx));
  });
  fenceProxy(b);
  copy.erase();
  return true;
}

std::optional<ThreadMapper::Prefetch>
ThreadMapper::getPrefetch(linalg::CopyOp copy, int64_t steps) {
  if (!prefetch || steps > kMaxPrefetchSteps)
    return std::nullopt;
  // The staged chunks stay live through the iteration's compute: only when
  // the thread's private arrays leave room for them (a FlashAttention block
  // on sm_80 is at 218 of 255 registers without them, and spills with).
  int64_t privateRegisters = 0;
  for (auto &[value, buffer] : privates) {
    auto type = cast<MemRefType>(buffer.perThread.getType());
    privateRegisters +=
        type.getNumElements() * type.getElementTypeBitWidth() / 32;
  }
  if (privateRegisters + stagedRegisters + steps * (kVectorBytes / 4) >
      kMaxRegistersWithPrefetch)
    return std::nullopt;
  auto loop = dyn_cast<scf::ForOp>(copy->getParentOp());
  Value src = copy.getInputs()[0], dst = copy.getOutputs()[0];
  if (!loop || !isWorkgroup(dst) || isWorkgroup(src))
    return std::nullopt;
  // The source: a subview, computed in the loop body from its induction
  // variable and values defined outside, of a kernel argument nothing in
  // the kernel writes.
  auto subview = src.getDefiningOp<memref::SubViewOp>();
  if (!subview)
    return std::nullopt;
  auto arg = dyn_cast<BlockArgument>(subview.getSource());
  if (!arg || arg.getOwner() != &func.getBody().front())
    return std::nullopt;
  for (Operation *user : arg.getUsers()) {
    auto view = dyn_cast<memref::SubViewOp>(user);
    if (!view)
      return std::nullopt;
    for (OpOperand &use : view->getUses()) {
      auto reader = dyn_cast<linalg::CopyOp>(use.getOwner());
      if (!reader || use.getOperandNumber() != 0)
        return std::nullopt;
    }
  }
  // The ops the subview needs from the loop body, in order.
  SetVector<Operation *> slice;
  std::function<bool(Value)> collect = [&](Value v) -> bool {
    if (v == loop.getInductionVar())
      return true;
    Operation *def = v.getDefiningOp();
    if (!def || !loop->isAncestor(def))
      return true; // defined outside the loop
    if (def->getBlock() != loop.getBody() || !isPure(def) ||
        def->getNumRegions() != 0)
      return false;
    for (Value operand : def->getOperands())
      if (!collect(operand))
        return false;
    slice.insert(def);
    return true;
  };
  if (!collect(src))
    return std::nullopt;
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  Prefetch result;
  result.loop = loop;
  Value inductionVar = loop.getInductionVar();
  result.sourceAt = [inductionVar, ordered, src](OpBuilder &b,
                                                 Value iv) -> Value {
    IRMapping mapping;
    mapping.map(inductionVar, iv);
    for (Operation *op : ordered)
      b.clone(*op, mapping);
    return mapping.lookup(src);
  };
  return result;
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

  // The ownership of the op's points: that of its private operands when
  // tensor cores produce them, else cyclic.
  const MmaLayout *layout = nullptr;
  for (Value v : op->getOperands()) {
    auto it = privates.find(v);
    if (it != privates.end() && it->second.mma)
      layout = &*it->second.mma;
  }
  std::optional<MmaMatmul> mma;
  if (layout) {
    mma = matchMmaMatmul(op);
    if (!mma && !reductionDims.empty())
      return op.emitOpError("reduces into an mma.sync accumulator; only "
                            "matmuls can");
  }

  int64_t n = product(parallelExtents);
  int64_t steps =
      layout ? 4 * layout->tilesPerWarp : (n + threads - 1) / threads;
  bool guarded = !layout && n % threads != 0;
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
  // Iteration-space indices of the thread's point at `step` (reduction dims
  // filled by loops).
  auto dimsAt = [&](OpBuilder &b, Value step, bool clamp) {
    SmallVector<Value> dims(iterators.size());
    SmallVector<Value> point =
        layout ? mmaDims(b, loc, step, *layout)
               : delinearize(b, loc, pointOf(b, step, clamp), parallelExtents);
    for (auto [d, v] : llvm::zip(parallelDims, point))
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

  if (mma) {
    EpilogueFn atStep;
    if (epilogue)
      atStep = [&](OpBuilder &eb, Value step, Value result) {
        return runEpilogue(eb, dimsAt(eb, step, false), step, result);
      };
    return lowerMma(op, *mma, *layout, fusedInit, atStep);
  }

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
          SmallVector<Value> dims = dimsAt(nb, s, /*clamp=*/true);
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
        SmallVector<Value> dims = dimsAt(eb, s, false);
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
    SmallVector<Value> dims = dimsAt(body, step, false);
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

/// Whether ldmatrix can load fragments of the 16-bit tile `memref`: every
/// 8-element row it reads starts 16-byte aligned (PTX ISA, ldmatrix: "each
/// row address must be aligned to 16 bytes"). Fragment rows start at
/// multiples of 8 elements along the inner dim, so the outer strides and
/// the offset must be multiples of 8 elements.
static bool isLdMatrixAligned(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (type.getElementTypeBitWidth() != 16 ||
      failed(type.getStridesAndOffset(strides, offset)) ||
      strides.back() != 1 || ShapedType::isDynamic(offset) || offset % 8 != 0)
    return false;
  return llvm::all_of(ArrayRef<int64_t>(strides).drop_back(), [](int64_t s) {
    return !ShapedType::isDynamic(s) && s % 8 == 0;
  });
}

std::optional<MmaMatmul> ThreadMapper::matchMmaMatmul(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 || op.getNumParallelLoops() < 2)
    return std::nullopt;
  OpOperand *out = op.getDpsInitOperand(0);
  auto outType = dyn_cast<MemRefType>(out->get().getType());
  if (!privates.count(out->get()) || !outType ||
      !outType.getElementType().isF32())
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> parallelDims;
  MmaMatmul mma;
  for (unsigned d = 0; d < iterators.size(); ++d) {
    if (iterators[d] == utils::IteratorType::parallel)
      parallelDims.push_back(d);
    else
      mma.k = d;
  }
  mma.m = parallelDims[parallelDims.size() - 2];
  mma.n = parallelDims.back();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  mma.extentK = ranges[mma.k];
  if (ranges[mma.m] % 16 != 0 || ranges[mma.n] % 8 != 0 ||
      mma.extentK % 16 != 0)
    return std::nullopt;
  // A's map ends in (m, k), B's in (k, n); other results are batch dims.
  auto endsIn = [&](AffineMap map, unsigned first, unsigned second) {
    ArrayRef<AffineExpr> r = map.getResults();
    if (r.size() < 2)
      return false;
    for (AffineExpr e : r.drop_back(2)) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      if (!dim || dim.getPosition() == mma.m || dim.getPosition() == mma.n ||
          dim.getPosition() == mma.k)
        return false;
    }
    auto x = dyn_cast<AffineDimExpr>(r[r.size() - 2]);
    auto y = dyn_cast<AffineDimExpr>(r.back());
    return x && y && x.getPosition() == first && y.getPosition() == second;
  };
  mma.a = op.getDpsInputOperand(0);
  mma.b = op.getDpsInputOperand(1);
  if (!endsIn(op.getMatchingIndexingMap(mma.a), mma.m, mma.k))
    std::swap(mma.a, mma.b);
  if (!endsIn(op.getMatchingIndexingMap(mma.a), mma.m, mma.k) ||
      !endsIn(op.getMatchingIndexingMap(mma.b), mma.k, mma.n))
    return std::nullopt;
  // f16 or bf16 tiles in shared memory (the same fragment layouts; a bf16
  // mma.sync reaches NVVM through mirage-legalize-mma-for-nvvm).
  for (OpOperand *in : {mma.a, mma.b}) {
    if (!isWorkgroup(in->get()))
      return std::nullopt;
    Type element = cast<MemRefType>(in->get().getType()).getElementType();
    if (!element.isF16() && !element.isBF16())
      return std::nullopt;
    if (in == mma.a)
      mma.elementType = element;
    else if (element != mma.elementType)
      return std::nullopt;
  }
  // The payload is out + ext(a) · ext(b).
  Block *payload = op.getBlock();
  auto yield = cast<linalg::YieldOp>(payload->getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value outArg = payload->getArgument(2);
  Value product = add.getLhs() == outArg   ? add.getRhs()
                  : add.getRhs() == outArg ? add.getLhs()
                                           : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : nullptr;
  if (!mul)
    return std::nullopt;
  auto lhs = mul.getLhs().getDefiningOp<arith::ExtFOp>();
  auto rhs = mul.getRhs().getDefiningOp<arith::ExtFOp>();
  if (!lhs || !rhs)
    return std::nullopt;
  llvm::SmallDenseSet<Value, 2> factors = {lhs.getIn(), rhs.getIn()};
  if (factors != llvm::SmallDenseSet<Value, 2>{payload->getArgument(0),
                                               payload->getArgument(1)})
    return std::nullopt;
  if (payload->getOperations().size() != 5) // 2 extf, mulf, addf, yield
    return std::nullopt;
  return mma;
}

/// The byte offsets a view of dynamic shared memory may start at: its
/// constant shift, or both constants a double buffer selects between;
/// empty when unknown.
static SmallVector<int64_t, 2> getPossibleShifts(memref::ViewOp view) {
  Value shift = view.getByteShift();
  SmallVector<Value, 2> candidates = {shift};
  if (auto select = shift.getDefiningOp<arith::SelectOp>())
    candidates = {select.getTrueValue(), select.getFalseValue()};
  SmallVector<int64_t, 2> shifts;
  for (Value v : candidates) {
    std::optional<int64_t> c = getConstantIntValue(v);
    if (!c)
      return {};
    shifts.push_back(*c);
  }
  return shifts;
}

/// Whether every place `view` may start at is 1024-byte aligned: where
/// the 128-byte swizzle pattern starts (MatrixDescriptor.h).
static bool isSwizzleAligned(memref::ViewOp view) {
  SmallVector<int64_t, 2> shifts = getPossibleShifts(view);
  return !shifts.empty() && llvm::all_of(shifts, [](int64_t shift) {
    return shift % (8 * kSwizzleRowBytes) == 0;
  });
}

memref::ViewOp ThreadMapper::getWarpgroupMmaOperand(linalg::LinalgOp op,
                                                    const MmaMatmul &mma) {
  if (!warpgroupMma)
    return nullptr;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t batch = 1;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (d != mma.m && d != mma.n && d != mma.k)
      batch *= ranges[d];
  // Whole 64-row blocks, split evenly over the warpgroups.
  int64_t blocks = batch * ranges[mma.m] / 64;
  if (ranges[mma.m] % 64 != 0 || ranges[mma.n] % kSwizzleBlockColumns != 0 ||
      blocks % (threads / 128) != 0)
    return nullptr;
  // B: a whole, unpadded [1..., K, N] view, 1024-byte aligned.
  auto view = mma.b->get().getDefiningOp<memref::ViewOp>();
  if (!view)
    return nullptr;
  MemRefType type = view.getType();
  if (!type.getLayout().isIdentity() || type.getElementTypeBitWidth() != 16)
    return nullptr;
  for (int64_t d : type.getShape().drop_back(2))
    if (d != 1)
      return nullptr;
  if (!isSwizzleAligned(view))
    return nullptr;
  return view;
}

void ThreadMapper::findSwizzledViews(ArrayRef<linalg::LinalgOp> ops) {
  if (!warpgroupMma)
    return;
  // B views of candidates, and the candidates reading each.
  llvm::DenseSet<Operation *> candidates;
  llvm::DenseSet<std::pair<Operation *, Operation *>> readers; // (op, view)
  for (linalg::LinalgOp op : ops)
    if (std::optional<MmaMatmul> mma = matchMmaMatmul(op))
      if (memref::ViewOp view = getWarpgroupMmaOperand(op, *mma)) {
        candidates.insert(view);
        readers.insert({op, view});
      }
  for (Operation *candidate : candidates) {
    auto view = cast<memref::ViewOp>(candidate);
    if (!view->hasAttr(tile::kSwizzledAttrName))
      continue;
    bool eligible = true;
    SmallVector<memref::ViewOp> family = getSwizzledFamily(view);
    for (memref::ViewOp other : family) {
      if (other.getType() != view.getType() || !isSwizzleAligned(other)) {
        eligible = false;
        break;
      }
      for (OpOperand &use : other->getUses()) {
        auto copy = dyn_cast<linalg::CopyOp>(use.getOwner());
        if (copy && copy.getOutputs()[0] == other.getResult() &&
            !isWorkgroup(copy.getInputs()[0]) && isVectorCopy(copy))
          continue;
        if (readers.contains({use.getOwner(), other}))
          continue;
        eligible = false;
      }
    }
    if (eligible)
      for (memref::ViewOp other : family)
        swizzledViews.insert(other);
  }
}

SmallVector<memref::ViewOp>
ThreadMapper::getSwizzledFamily(memref::ViewOp view) {
  auto [begin, end] = getByteRange(view);
  SmallVector<memref::ViewOp> family;
  func.walk([&](memref::ViewOp other) {
    auto [otherBegin, otherEnd] = getByteRange(other);
    if (other->hasAttr(tile::kSwizzledAttrName) &&
        other.getSource() == view.getSource() && otherBegin < end &&
        begin < otherEnd)
      family.push_back(other);
  });
  return family;
}

Value ThreadMapper::getBlockedView(memref::ViewOp view) {
  Value &blocked = blockedViews[view];
  if (blocked)
    return blocked;
  ArrayRef<int64_t> shape = view.getType().getShape();
  int64_t rows = shape[shape.size() - 2], columns = shape.back();
  OpBuilder b(view->getContext());
  b.setInsertionPointAfter(view);
  auto type = MemRefType::get(
      {columns / kSwizzleBlockColumns, rows, kSwizzleBlockColumns},
      view.getType().getElementType(), MemRefLayoutAttrInterface(),
      view.getType().getMemorySpace());
  blocked = memref::ViewOp::create(b, view.getLoc(), type, view.getSource(),
                                   view.getByteShift(), ValueRange());
  return blocked;
}

SmallVector<Value> ThreadMapper::getSwizzledIndices(OpBuilder &b, Location loc,
                                                    ValueRange idx) {
  // Element (k, n) at [n / 64, k, ((n mod 64) / 8 XOR k mod 8) · 8 +
  // n mod 8] (MatrixDescriptor.h); chunks start at n mod 8 = 0.
  Value k = idx[idx.size() - 2], n = idx.back();
  Value blockColumns = constant(b, kSwizzleBlockColumns);
  Value eight = constant(b, 8);
  Value chunk = arith::DivUIOp::create(
      b, loc, arith::RemUIOp::create(b, loc, n, blockColumns), eight);
  Value swizzled = arith::XOrIOp::create(
      b, loc, chunk, arith::RemUIOp::create(b, loc, k, eight));
  return {arith::DivUIOp::create(b, loc, n, blockColumns), k,
          arith::AddIOp::create(b, loc,
                                arith::MulIOp::create(b, loc, swizzled, eight),
                                arith::RemUIOp::create(b, loc, n, eight))};
}

void ThreadMapper::assignMmaLayouts(ArrayRef<linalg::LinalgOp> ops) {
  if (threads % 32 != 0)
    return;
  int64_t warps = threads / 32;
  // Private buffers one op accesses together share their ownership.
  llvm::EquivalenceClasses<Value> classes;
  for (auto &[value, buffer] : privates)
    classes.insert(value);
  for (linalg::LinalgOp op : ops) {
    Value first;
    for (Value v : op->getOperands())
      if (privates.count(v)) {
        if (first)
          classes.unionSets(first, v);
        else
          first = v;
      }
  }
  llvm::DenseMap<Value, MmaLayout> candidates; // class leader -> layout
  llvm::DenseSet<Value> rejected;
  for (linalg::LinalgOp op : ops) {
    Value out;
    for (Value v : op->getOperands())
      if (privates.count(v))
        out = classes.getLeaderValue(v);
    if (!out)
      continue;
    if (op.getNumReductionLoops() == 0)
      continue; // elementwise: follows the class's ownership
    std::optional<MmaMatmul> mma = matchMmaMatmul(op);
    Value buffer = op.getDpsInitOperand(0)->get();
    if (!mma) {
      rejected.insert(out); // another reduction into the class: SIMT
      continue;
    }
    MmaLayout layout;
    layout.shape = privates[buffer].shape;
    int64_t tiles = layout.batch() * layout.rowTiles() * layout.colTiles();
    layout.tilesPerWarp = tiles / warps;
    auto bView = mma->b->get().getDefiningOp<memref::ViewOp>();
    layout.warpgroup = bView && swizzledViews.contains(bView);
    // An accumulator kept across ops must fit in registers; one that only
    // feeds an epilogue is produced chunk by chunk (lowerMma).
    bool fitsRegisters = 4 * layout.tilesPerWarp <= kMaxUnrolledSteps;
    if (tiles % warps != 0 || (!fitsRegisters && !getFusableNeighbours(op))) {
      rejected.insert(out);
      continue;
    }
    auto [it, inserted] = candidates.try_emplace(out, layout);
    if (!inserted && it->second.shape != layout.shape)
      rejected.insert(out);
    // Warpgroup MMA only where every matmul into the class can use it.
    it->second.warpgroup &= layout.warpgroup;
  }
  for (auto &[value, buffer] : privates) {
    Value leader = classes.getLeaderValue(value);
    auto it = candidates.find(leader);
    if (it == candidates.end() || rejected.contains(leader))
      continue;
    if (buffer.shape != it->second.shape) {
      rejected.insert(leader);
      continue;
    }
  }
  for (auto &[value, buffer] : privates) {
    Value leader = classes.getLeaderValue(value);
    auto it = candidates.find(leader);
    if (it != candidates.end() && !rejected.contains(leader))
      buffer.mma = it->second;
  }
  // A swizzled tile must only be read by warpgroup MMA: where a matmul
  // reading one did not get a warpgroup layout, its views go back to the
  // plain layout, and so do the layouts of the other matmuls reading them
  // (until nothing changes).
  for (bool changed = true; changed;) {
    changed = false;
    for (linalg::LinalgOp op : ops) {
      std::optional<MmaMatmul> mma = matchMmaMatmul(op);
      if (!mma)
        continue;
      auto bView = mma->b->get().getDefiningOp<memref::ViewOp>();
      if (!bView || !swizzledViews.contains(bView))
        continue;
      auto out = privates.find(op.getDpsInitOperand(0)->get());
      if (out != privates.end() && out->second.mma &&
          out->second.mma->warpgroup)
        continue;
      // The tile's views all leave the swizzled set.
      for (memref::ViewOp view : getSwizzledFamily(bView))
        swizzledViews.erase(view);
      changed = true;
    }
    // Layouts of matmuls whose B is no longer swizzled: plain mma.sync,
    // for their whole class.
    for (linalg::LinalgOp op : ops) {
      std::optional<MmaMatmul> mma = matchMmaMatmul(op);
      if (!mma)
        continue;
      auto out = privates.find(op.getDpsInitOperand(0)->get());
      if (out == privates.end() || !out->second.mma ||
          !out->second.mma->warpgroup)
        continue;
      auto bView = mma->b->get().getDefiningOp<memref::ViewOp>();
      if (bView && swizzledViews.contains(bView))
        continue;
      Value leader = classes.getLeaderValue(out->first);
      for (auto &[value, buffer] : privates)
        if (classes.getLeaderValue(value) == leader && buffer.mma)
          buffer.mma->warpgroup = false;
      changed = true;
    }
  }
}

std::array<Value, 3> ThreadMapper::mmaTile(OpBuilder &b, Location loc, Value s,
                                           const MmaLayout &layout) {
  Value warp = arith::DivUIOp::create(b, loc, tid, constant(b, 32));
  if (layout.warpgroup) {
    // Block G·B + s / (N/8) of warpgroup G, column tile s mod (N/8), row
    // tile w mod 4 of the block.
    int64_t blockRows = layout.rowTiles() / 4;
    int64_t perGroup =
        layout.batch() * blockRows / (threads / 128); // blocks per warpgroup
    Value group = arith::DivUIOp::create(b, loc, warp, constant(b, 4));
    Value colTiles = constant(b, layout.colTiles());
    Value block = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, group, constant(b, perGroup)),
        arith::DivUIOp::create(b, loc, s, colTiles));
    Value rowTile = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(
            b, loc,
            arith::RemUIOp::create(b, loc, block, constant(b, blockRows)),
            constant(b, 4)),
        arith::RemUIOp::create(b, loc, warp, constant(b, 4)));
    return {arith::DivUIOp::create(b, loc, block, constant(b, blockRows)),
            rowTile, arith::RemUIOp::create(b, loc, s, colTiles)};
  }
  Value linear = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, warp, constant(b, layout.tilesPerWarp)), s);
  SmallVector<Value> t = delinearize(
      b, loc, linear, {layout.batch(), layout.rowTiles(), layout.colTiles()});
  return {t[0], t[1], t[2]};
}

SmallVector<Value> ThreadMapper::mmaDims(OpBuilder &b, Location loc, Value step,
                                         const MmaLayout &layout) {
  Value four = constant(b, 4);
  Value s = arith::DivUIOp::create(b, loc, step, four);
  Value e = arith::RemUIOp::create(b, loc, step, four);
  auto [batch, rowTile, colTile] = mmaTile(b, loc, s, layout);
  Value lane = arith::RemUIOp::create(b, loc, tid, constant(b, 32));
  Value g = arith::DivUIOp::create(b, loc, lane, four);
  Value q = arith::RemUIOp::create(b, loc, lane, four);
  auto add = [&](Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  };
  auto mul = [&](Value x, int64_t c) {
    return arith::MulIOp::create(b, loc, x, constant(b, c)).getResult();
  };
  // Row g (+ 8 for c2, c3), column 2q (+ 1 for c1, c3).
  Value row = add(add(mul(rowTile, 16), g),
                  mul(arith::DivUIOp::create(b, loc, e, constant(b, 2)), 8));
  Value col = add(add(mul(colTile, 8), mul(q, 2)),
                  arith::RemUIOp::create(b, loc, e, constant(b, 2)));
  SmallVector<Value> dims =
      delinearize(b, loc, batch, ArrayRef<int64_t>(layout.shape).drop_back(2));
  if (layout.shape.size() == 2)
    dims.clear();
  dims.push_back(row);
  dims.push_back(col);
  return dims;
}

LogicalResult ThreadMapper::lowerMma(linalg::LinalgOp op, const MmaMatmul &mma,
                                     const MmaLayout &layout, Value fusedInit,
                                     const EpilogueFn &epilogue) {
  Location loc = op.getLoc();
  int64_t tilesPerWarp = layout.tilesPerWarp;
  int64_t colTiles = layout.colTiles(), rowTiles = layout.rowTiles();
  // Tiles go in chunks of `chunk` (all of them unless fused: then at most
  // 16 tiles, 64 f32 registers, at a time).
  int64_t chunk = tilesPerWarp;
  if (epilogue)
    while (4 * chunk > kMaxUnrolledSteps || tilesPerWarp % chunk != 0)
      --chunk;
  // Warpgroup MMA: chunks of whole 8-tile (64-column) groups that are
  // whole rows of tiles or lie in one (8 always qualifies: the column
  // tiles and the tiles per warp are multiples of 8).
  if (layout.warpgroup)
    while (tilesPerWarp % chunk != 0 || chunk % 8 != 0 ||
           (epilogue && chunk > kWarpgroupEpilogueTiles) ||
           (chunk % colTiles != 0 && colTiles % chunk != 0))
      --chunk;
  // Fragments shared by tiles of a chunk are loaded once per k-step: A's
  // by tiles in one row of tiles, B's by tiles in one column (of one
  // batch). Tile j of a chunk is the warp's tile c·chunk + j.
  enum class Sharing { None, WholeRows, OneRow };
  Sharing sharing = Sharing::None;
  if (chunk % colTiles == 0)
    sharing = Sharing::WholeRows;
  else if (colTiles % chunk == 0)
    sharing = Sharing::OneRow;
  // A chunk of whole rows of tiles starts at a multiple of its row count
  // R (tile counts are multiples of the chunk), so it stays in one batch
  // when R divides the rows of tiles per batch.
  bool oneBatch =
      sharing == Sharing::OneRow ||
      (sharing == Sharing::WholeRows && rowTiles % (chunk / colTiles) == 0);
  auto aKey = [&](int64_t j) {
    switch (sharing) {
    case Sharing::WholeRows:
      return j / colTiles;
    case Sharing::OneRow:
      return int64_t(0);
    case Sharing::None:
      break;
    }
    return j;
  };
  auto bKey = [&](int64_t j) {
    if (sharing == Sharing::OneRow)
      return j;
    return oneBatch ? j % colTiles : j;
  };
  int64_t numA = aKey(chunk - 1) + 1;
  int64_t numB = 0;
  for (int64_t j = 0; j < chunk; ++j)
    numB = std::max(numB, bKey(j) + 1);

  // Fragments live in per-thread arrays (registers once unrolled), so that
  // only they cross from the loads to the mma.sync ops.
  OpBuilder entry(func.getContext());
  entry.setInsertionPointAfter(tid.getDefiningOp());
  Value aFragments = memref::AllocaOp::create(
      entry, loc, MemRefType::get({numA * 8}, mma.elementType));
  // (Warpgroup MMA reads B from shared memory itself.)
  Value bFragments =
      layout.warpgroup
          ? Value()
          : memref::AllocaOp::create(
                entry, loc, MemRefType::get({numB * 4}, mma.elementType))
                .getResult();
  Value acc = epilogue ? memref::AllocaOp::create(
                             entry, loc,
                             MemRefType::get({4 * chunk}, entry.getF32Type()))
                             .getResult()
                       : privates[op.getDpsInitOperand(0)->get()].perThread;

  SmallVector<unsigned> batchDims;
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (d != mma.m && d != mma.n && d != mma.k &&
        op.getIteratorTypesArray()[d] == utils::IteratorType::parallel)
      batchDims.push_back(d);
  auto aType = VectorType::get({4, 2}, mma.elementType);
  auto bType = VectorType::get({2, 2}, mma.elementType);
  auto cType = VectorType::get({2, 2}, entry.getF32Type());

  OpBuilder b(op);
  for (int64_t first = 0; first < tilesPerWarp; first += chunk) {
    // The chunk's accumulators start at the fill value when fused.
    int64_t base = epilogue ? 0 : first * 4;
    if (epilogue)
      for (int64_t i = 0; i < 4 * chunk; ++i)
        memref::StoreOp::create(b, loc, fusedInit, acc,
                                ValueRange{constant(b, i)});
    auto loop = scf::ForOp::create(
        b, loc, constant(b, 0), constant(b, mma.extentK / 16), constant(b, 1));
    OpBuilder lb(loop.getBody()->getTerminator());
    Value k0 = arith::MulIOp::create(lb, loc, loop.getInductionVar(),
                                     constant(lb, 16));
    // Per-lane values are computed at each use (CSE merges them), so that
    // none crosses the barriers the host emulation puts around each
    // ldmatrix and mma.sync (mirage-emulate-gpu-on-host).
    auto laneDiv = [&](int64_t c) -> Value {
      Value lane = arith::RemUIOp::create(lb, loc, tid, constant(lb, 32));
      return arith::DivUIOp::create(lb, loc, lane, constant(lb, c));
    };
    auto laneRem = [&](int64_t c) -> Value {
      Value lane = arith::RemUIOp::create(lb, loc, tid, constant(lb, 32));
      return arith::RemUIOp::create(lb, loc, lane, constant(lb, c));
    };
    auto add = [&](Value x, int64_t c) {
      return arith::AddIOp::create(lb, loc, x, constant(lb, c)).getResult();
    };
    auto addv = [&](Value x, Value y) {
      return arith::AddIOp::create(lb, loc, x, y).getResult();
    };
    auto mul = [&](Value x, int64_t c) {
      return arith::MulIOp::create(lb, loc, x, constant(lb, c)).getResult();
    };
    // g = lane / 4 and 2q = 2·(lane mod 4) of the fragment layouts.
    auto g = [&] { return laneDiv(4); };
    auto q2 = [&] { return mul(laneRem(4), 2); };
    // The indices of element (row, col) of operand `in` of tile batch
    // `batch`.
    auto indicesAt = [&](OpOperand *in, Value batch, unsigned rowDim, Value row,
                         unsigned colDim,
                         Value col) -> FailureOr<SmallVector<Value>> {
      SmallVector<Value> dims(op.getNumLoops(), constant(lb, 0));
      for (auto [d, v] :
           llvm::zip(batchDims,
                     delinearize(lb, loc, batch,
                                 ArrayRef<int64_t>(layout.shape).drop_back(2))))
        dims[d] = v;
      dims[rowDim] = row;
      dims[colDim] = col;
      SmallVector<Value> idx;
      for (AffineExpr e : op.getMatchingIndexingMap(in).getResults()) {
        FailureOr<Value> v = applyExpr(lb, loc, e, dims);
        if (failed(v))
          return op.emitOpError("has an indexing map tensor cores cannot use");
        idx.push_back(*v);
      }
      return idx;
    };
    auto loadAt = [&](OpOperand *in, Value batch, unsigned rowDim, Value row,
                      unsigned colDim, Value col) -> FailureOr<Value> {
      FailureOr<SmallVector<Value>> idx =
          indicesAt(in, batch, rowDim, row, colDim, col);
      if (failed(idx))
        return failure();
      return memref::LoadOp::create(lb, loc, in->get(), *idx).getResult();
    };
    // Fills `fragments` with `count` elements of operand `in` per key: for
    // the first tile j of the chunk with that key, element i sits at the
    // (row, col) `at(tile, i)` returns, tile = (batch, row tile, col tile).
    //
    // With ldmatrix, `matrixAt(tile)` gives the (row, col) of the 16-byte
    // row this lane points ldmatrix at, and `transpose` says whether the
    // 8x8 matrices are read transposed; the matrices' registers then hold
    // the fragment's elements in order.
    auto loadFragments =
        [&](OpOperand *in, unsigned rowDim, unsigned colDim, int64_t numKeys,
            function_ref<int64_t(int64_t)> keyOf, int64_t count,
            function_ref<std::pair<Value, Value>(ArrayRef<Value>, int64_t)> at,
            function_ref<std::pair<Value, Value>(ArrayRef<Value>)> matrixAt,
            bool transpose, Value fragments) -> LogicalResult {
      // The first tile of the chunk with each key (computed at each use,
      // like the lane's values).
      SmallVector<int64_t> firstTile;
      for (int64_t key = 0, j = 0; key < numKeys; ++key) {
        while (keyOf(j) != key)
          ++j;
        firstTile.push_back(j);
      }
      auto tileOf = [&](int64_t key) {
        return mmaTile(lb, loc, constant(lb, first + firstTile[key]), layout);
      };
      if (ldMatrix && isLdMatrixAligned(in->get())) {
        // One ldmatrix.x4 per key (A), or per two keys (B: lanes 0-15
        // point at the first key's tile, 16-31 at the second's).
        int64_t keysPerLoad = 8 / count;
        for (int64_t key = 0; key < numKeys; key += keysPerLoad) {
          int64_t keys = std::min(keysPerLoad, numKeys - key);
          SmallVector<Value> idx;
          for (int64_t k = 0; k < keys; ++k) {
            std::array<Value, 3> tile = tileOf(key + k);
            auto [row, col] = matrixAt(tile);
            FailureOr<SmallVector<Value>> at =
                indicesAt(in, tile[0], rowDim, row, colDim, col);
            if (failed(at))
              return failure();
            if (k == 0) {
              idx = *at;
              continue;
            }
            Value upper =
                arith::CmpIOp::create(lb, loc, arith::CmpIPredicate::uge,
                                      laneRem(32), constant(lb, 16));
            for (auto [x, y] : llvm::zip(idx, *at))
              x = arith::SelectOp::create(lb, loc, upper, y, x);
          }
          int64_t elements = keys * count;
          auto type = VectorType::get({elements / 2, 2}, mma.elementType);
          Value matrices = nvgpu::LdMatrixOp::create(
              lb, loc, type, in->get(), idx, transpose, elements / 2);
          for (int64_t i = 0; i < elements; ++i)
            memref::StoreOp::create(
                lb, loc,
                vector::ExtractOp::create(lb, loc, matrices,
                                          ArrayRef<int64_t>{i / 2, i % 2}),
                fragments, ValueRange{constant(lb, key * count + i)});
        }
        return success();
      }
      for (int64_t key = 0; key < numKeys; ++key) {
        std::array<Value, 3> tile = tileOf(key);
        for (int64_t i = 0; i < count; ++i) {
          auto [row, col] = at(tile, i);
          FailureOr<Value> v = loadAt(in, tile[0], rowDim, row, colDim, col);
          if (failed(v))
            return failure();
          memref::StoreOp::create(lb, loc, *v, fragments,
                                  ValueRange{constant(lb, key * count + i)});
        }
      }
      return success();
    };
    // ldmatrix: lanes 8i..8i+7 point at the rows of matrix i (PTX ISA,
    // "Warp-level matrix load instruction: ldmatrix"); lane l receives row
    // l / 4, columns 2·(l mod 4) and +1 of each matrix, or with .trans
    // column l / 4, rows 2·(l mod 4) and +1.
    // A fragment (16x16): a0..a3 hold rows g, g+8, g, g+8 and columns
    // 2q, 2q+1 (+8 for a2, a3), two halves each (PTX ISA, "Matrix
    // Fragments for mma.m16n8k16 with floating point type"): the four 8x8
    // matrices at rows 0-7 and 8-15 (lanes 0-15) of columns 0-7 and 8-15
    // (lanes 16-31), read with ldmatrix.x4.
    if (failed(loadFragments(
            mma.a, mma.m, mma.k, numA, aKey, 8,
            [&](ArrayRef<Value> tile, int64_t i) -> std::pair<Value, Value> {
              int64_t reg = i / 2, half = i % 2;
              Value rowBase = addv(mul(tile[1], 16), g());
              return {add(rowBase, 8 * (reg % 2)),
                      add(addv(k0, q2()), half + 8 * (reg / 2))};
            },
            [&](ArrayRef<Value> tile) -> std::pair<Value, Value> {
              return {addv(mul(tile[1], 16), laneRem(16)),
                      addv(k0, mul(laneDiv(16), 8))};
            },
            /*transpose=*/false, aFragments)))
      return failure();
    // B fragment (16x8): b0, b1 hold rows 2q, 2q+1 (+8 for b1) of column
    // g: the two 8x8 matrices at rows 0-7 and 8-15 of the [K, N] tile,
    // read transposed: ldmatrix.x4.trans loads those of two column tiles.
    if (!layout.warpgroup &&
        failed(loadFragments(
            mma.b, mma.k, mma.n, numB, bKey, 4,
            [&](ArrayRef<Value> tile, int64_t i) -> std::pair<Value, Value> {
              int64_t reg = i / 2, half = i % 2;
              return {add(addv(k0, q2()), half + 8 * reg),
                      addv(mul(tile[2], 8), g())};
            },
            [&](ArrayRef<Value> tile) -> std::pair<Value, Value> {
              return {addv(k0, laneRem(16)), mul(tile[2], 8)};
            },
            /*transpose=*/true, bFragments)))
      return failure();
    // One mma.sync per tile: D = A·B + C over the tile's accumulator
    // elements c0..c3.
    auto gather = [&](Value array, int64_t at, int64_t count, Type type) {
      SmallVector<Value> elements;
      for (int64_t i = 0; i < count; ++i)
        elements.push_back(memref::LoadOp::create(
            lb, loc, array, ValueRange{constant(lb, at + i)}));
      return vector::FromElementsOp::create(lb, loc, type, elements)
          .getResult();
    };
    if (layout.warpgroup) {
      // One warpgroup MMA per row of tiles of the chunk (tiles j0 .. j0 +
      // L − 1, 8·L columns from the first one's): its accumulator elements
      // 4j + e are the tiles' c_e in order (MmaLayout).
      Value blocked =
          getBlockedView(mma.b->get().getDefiningOp<memref::ViewOp>());
      int64_t rowLength = std::min(chunk, colTiles);
      auto accType = VectorType::get({4 * rowLength}, entry.getF32Type());
      for (int64_t j0 = 0; j0 < chunk; j0 += rowLength) {
        Value a = gather(aFragments, aKey(j0) * 8, 8, aType);
        Value c = gather(acc, base + j0 * 4, 4 * rowLength, accType);
        Value n0 =
            mul(mmaTile(lb, loc, constant(lb, first + j0), layout)[2], 8);
        Value d =
            WarpgroupMmaOp::create(lb, loc, accType, a, blocked, k0, n0, c);
        for (int64_t e = 0; e < 4 * rowLength; ++e)
          memref::StoreOp::create(
              lb, loc,
              vector::ExtractOp::create(lb, loc, d, ArrayRef<int64_t>{e}), acc,
              ValueRange{constant(lb, base + j0 * 4 + e)});
      }
    }
    for (int64_t j = 0; !layout.warpgroup && j < chunk; ++j) {
      Value a = gather(aFragments, aKey(j) * 8, 8, aType);
      Value bv = gather(bFragments, bKey(j) * 4, 4, bType);
      Value c = gather(acc, base + j * 4, 4, cType);
      Value d = nvgpu::MmaSyncOp::create(lb, loc, a, bv, c,
                                         ArrayRef<int64_t>{16, 8, 16});
      for (int64_t e = 0; e < 4; ++e) {
        Value x = vector::ExtractOp::create(lb, loc, d,
                                            ArrayRef<int64_t>{e / 2, e % 2});
        memref::StoreOp::create(lb, loc, x, acc,
                                ValueRange{constant(lb, base + j * 4 + e)});
      }
    }
    if (epilogue)
      for (int64_t i = 0; i < 4 * chunk; ++i) {
        Value result =
            memref::LoadOp::create(b, loc, acc, ValueRange{constant(b, i)});
        if (failed(epilogue(b, constant(b, first * 4 + i), result)))
          return failure();
      }
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

  SmallVector<linalg::LinalgOp> ops;
  func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
  if (tensorCores) {
    findSwizzledViews(ops);
    assignMmaLayouts(ops);
  }

  // Double buffers: every for-loop body that issues the next iteration's
  // copies asynchronously starts by waiting for the copies the previous
  // iteration (or the code before the loop) issued, then a barrier: after
  // it every thread's copies have landed, and every thread is done reading
  // the slot this iteration refills. The async copies themselves are left
  // out of the barrier analysis (they sit in an scf.if), which is sound
  // because nothing else touches a double buffer's slots inside the loop.
  func.walk([&](linalg::CopyOp copy) {
    if (!copy->hasAttr(tile::kAsyncCopyAttrName))
      return;
    auto loop = copy->getParentOfType<scf::ForOp>();
    if (!loop)
      return;
    Block *body = loop.getBody();
    OpBuilder lb = OpBuilder::atBlockBegin(body);
    if (body->empty() || !isa<NVVM::CpAsyncWaitGroupOp>(body->front())) {
      NVVM::CpAsyncWaitGroupOp::create(lb, loc, 0);
      gpu::BarrierOp::create(lb, loc);
    }
    // A tile kept swizzled for warpgroup MMA: cp.async writes through the
    // generic proxy, the tensor cores read through the async proxy; each
    // thread fences its landed copies before the barrier.
    auto view = copy.getOutputs()[0].getDefiningOp<memref::ViewOp>();
    if (view && swizzledViews.contains(view) &&
        !isa<NVVM::FenceProxyOp>(body->front().getNextNode())) {
      lb.setInsertionPointAfter(&body->front());
      createAsyncProxyFence(lb, loc);
    }
  });

  // Barriers, placed on the tile-level ops.
  SmallVector<SharedAccess> pending;
  placeBarriers(entry, pending);

  // Lower every linalg op, innermost first.
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
  using Base::Base;
  void runOnOperation() override {
    for (auto func : getOperation().getOps<gpu::GPUFuncOp>()) {
      if (!func.isKernel())
        continue;
      bool threadLevel = false;
      func.walk([&](gpu::ThreadIdOp) { threadLevel = true; });
      if (threadLevel)
        continue; // already mapped
      DenseI32ArrayAttr block = func.getKnownBlockSizeAttr();
      if (!block || block.size() != 3 || block[1] != 1 || block[2] != 1) {
        func.emitOpError("needs known_block_size = [threads, 1, 1] to map "
                         "tiles to threads");
        return signalPassFailure();
      }
      ThreadMapper mapper(func, block[0], tensorCores, ldMatrix, prefetch,
                          wgmma && getGpuTargetFor(func).hasWarpgroupMma);
      if (failed(mapper.run()))
        return signalPassFailure();
      // Without a bound, ptxas may cap registers to fit several blocks per
      // SM and spill (FlashAttention-sized accumulators on sm_80). Allow
      // what one block of T threads can have alone on an SM: 64K 32-bit
      // registers per SM on sm_80 and sm_90 (CUDA C++ Programming Guide,
      // "Technical Specifications per Compute Capability"), at most 255 per
      // thread, in units of 8.
      int64_t budget = std::min<int64_t>(255, 65536 / block[0] / 8 * 8);
      func->setAttr(
          kMaxRegistersAttrName,
          IntegerAttr::get(IntegerType::get(&getContext(), 32), budget));
    }
  }
};

} // namespace
