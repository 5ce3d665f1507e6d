//===- EmulateGPUOnHost.cpp - Tile-level kernels as host loops ------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-emulate-gpu-on-host: see its description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#define DEBUG_TYPE "mirage-emulate-gpu-on-host"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEEMULATEGPUONHOST
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// `type` without a workgroup memory space (other types unchanged).
Type dropWorkgroupSpace(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref ||
      !isa_and_nonnull<gpu::AddressSpaceAttr>(memref.getMemorySpace()))
    return type;
  return MemRefType::get(memref.getShape(), memref.getElementType(),
                         memref.getLayout());
}

/// Index arithmetic at a builder's insertion point: the lane, register and
/// element formulas of the emulations below.
struct IndexMath {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) const {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  }
  Value div(Value x, int64_t v) const {
    return arith::DivUIOp::create(b, loc, x, c(v)).getResult();
  }
  Value rem(Value x, int64_t v) const {
    return arith::RemUIOp::create(b, loc, x, c(v)).getResult();
  }
  Value mul(Value x, int64_t v) const {
    return arith::MulIOp::create(b, loc, x, c(v)).getResult();
  }
  Value add(Value x, Value y) const {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  }
};

/// Stores the elements of `vector` (row-major; register r, half h of a
/// fragment is element 2r + h) in row `tid` of `scratch`.
void spillToScratch(OpBuilder &b, Location loc, Value vector, Value scratch,
                    Value tid) {
  auto type = cast<VectorType>(vector.getType());
  IndexMath m{b, loc};
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    SmallVector<int64_t> position =
        delinearize(i, computeStrides(type.getShape()));
    Value x = vector::ExtractOp::create(b, loc, vector, position);
    memref::StoreOp::create(b, loc, x, scratch, ValueRange{tid, m.c(i)});
  }
}

/// init + Σ_{k < 16} A(k)·B(k) in f32, A(k) and B(k) the 16-bit elements
/// `operands` loads in the loop body for induction value k.
Value emitDotProduct16(
    OpBuilder &b, Location loc, Value init,
    function_ref<std::pair<Value, Value>(OpBuilder &, Value)> operands) {
  IndexMath m{b, loc};
  auto loop = scf::ForOp::create(b, loc, m.c(0), m.c(16), m.c(1), init);
  OpBuilder body = OpBuilder::atBlockBegin(loop.getBody());
  auto [a, bk] = operands(body, loop.getInductionVar());
  Type f32 = b.getF32Type();
  Value x = arith::ExtFOp::create(body, loc, f32, a);
  Value y = arith::ExtFOp::create(body, loc, f32, bk);
  Value sum = arith::AddFOp::create(body, loc, loop.getRegionIterArgs()[0],
                                    arith::MulFOp::create(body, loc, x, y));
  scf::YieldOp::create(body, loc, sum);
  return loop.getResult(0);
}

/// After a barrier (every thread has written its row of `scratch`),
/// replaces `op`'s result of type `type` by the elements of row `tid`, and
/// erases `op`.
void replaceFromScratch(OpBuilder &b, Location loc, Operation *op,
                        VectorType type, Value scratch, Value tid) {
  IndexMath m{b, loc};
  gpu::BarrierOp::create(b, loc);
  SmallVector<Value> elements;
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i)
    elements.push_back(
        memref::LoadOp::create(b, loc, scratch, ValueRange{tid, m.c(i)}));
  op->getResult(0).replaceAllUsesWith(
      vector::FromElementsOp::create(b, loc, type, elements).getResult());
  op->erase();
}

/// Rewrites every warp-level `nvgpu.mma.sync` m16n8k16 (f16 or bf16 inputs,
/// f32 accumulators) into per-thread code the stretches of emulateThreads
/// can run: each lane stores its A, B and C fragments in scratch rows of
/// its own; after a barrier, each lane computes its D elements from the
/// fragments of the 32 lanes of its warp, where the PTX ISA places them
/// ("Matrix Fragments for mma.m16n8k16 with floating point type"), into a
/// scratch row; after another barrier it reads them back. The layout here is
/// written from the ISA independently of the lowering's, so a wrong lane or
/// register in either shows as wrong results.
LogicalResult emulateMmaSync(func::FuncOp func, gpu::ThreadIdOp threadId,
                             int64_t threads) {
  SmallVector<nvgpu::MmaSyncOp> mmas;
  func.walk([&](nvgpu::MmaSyncOp op) { mmas.push_back(op); });
  if (mmas.empty())
    return success();
  if (threads % 32 != 0)
    return mmas.front().emitOpError("needs whole warps to be emulated");
  Location loc = func.getLoc();
  OpBuilder eb(threadId);
  eb.setInsertionPointAfter(threadId);
  Type f32 = eb.getF32Type();
  DenseMap<Type, std::pair<Value, Value>> inputScratch; // element -> A, B
  Value cScratch =
      memref::AllocaOp::create(eb, loc, MemRefType::get({threads, 4}, f32));
  Value dScratch =
      memref::AllocaOp::create(eb, loc, MemRefType::get({threads, 4}, f32));
  for (nvgpu::MmaSyncOp mma : mmas) {
    auto aType = cast<VectorType>(mma.getMatrixA().getType());
    auto bType = cast<VectorType>(mma.getMatrixB().getType());
    auto cType = cast<VectorType>(mma.getMatrixC().getType());
    Type element = aType.getElementType();
    if (mma.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16} ||
        aType.getShape() != ArrayRef<int64_t>{4, 2} ||
        bType.getShape() != ArrayRef<int64_t>{2, 2} ||
        cType.getShape() != ArrayRef<int64_t>{2, 2} ||
        !cType.getElementType().isF32() || bType.getElementType() != element ||
        !(element.isF16() || element.isBF16()))
      return mma.emitOpError("is not an m16n8k16 f16/bf16 mma with f32 "
                             "accumulators; the host emulation has no other");
    auto [it, inserted] = inputScratch.try_emplace(element);
    if (inserted)
      it->second = {memref::AllocaOp::create(
                        eb, loc, MemRefType::get({threads, 8}, element)),
                    memref::AllocaOp::create(
                        eb, loc, MemRefType::get({threads, 4}, element))};
    auto [aScratch, bScratch] = it->second;
    OpBuilder b(mma);
    IndexMath m{b, loc};
    Value tid = threadId.getResult();
    spillToScratch(b, loc, mma.getMatrixA(), aScratch, tid);
    spillToScratch(b, loc, mma.getMatrixB(), bScratch, tid);
    spillToScratch(b, loc, mma.getMatrixC(), cScratch, tid);
    gpu::BarrierOp::create(b, loc);
    // D element e of lane l: row g + 8·(e / 2), column 2q + e mod 2, with
    // g = l / 4, q = l mod 4, summed over k < 16. A(row, k) is held by lane
    // 4·(row mod 8) + (k mod 8) / 2 in register (row / 8) + 2·(k / 8),
    // half k mod 2; B(k, col) by lane 4·col + (k mod 8) / 2 in register
    // k / 8, half k mod 2.
    Value warpBase = m.mul(m.div(tid, 32), 32);
    Value lane = m.rem(tid, 32);
    Value g = m.div(lane, 4), q = m.rem(lane, 4);
    for (int64_t e = 0; e < 4; ++e) {
      Value row = m.add(g, m.c(8 * (e / 2)));
      Value col = m.add(m.mul(q, 2), m.c(e % 2));
      Value init =
          memref::LoadOp::create(b, loc, cScratch, ValueRange{tid, m.c(e)});
      Value sum = emitDotProduct16(
          b, loc, init, [&](OpBuilder &lb, Value k) -> std::pair<Value, Value> {
            IndexMath l{lb, loc};
            Value kHalf = l.div(l.rem(k, 8), 2);
            Value aLane =
                l.add(warpBase, l.add(l.mul(l.rem(row, 8), 4), kHalf));
            Value aIndex =
                l.add(l.mul(l.add(l.div(row, 8), l.mul(l.div(k, 8), 2)), 2),
                      l.rem(k, 2));
            Value bLane = l.add(warpBase, l.add(l.mul(col, 4), kHalf));
            Value bIndex = l.add(l.mul(l.div(k, 8), 2), l.rem(k, 2));
            return {memref::LoadOp::create(lb, loc, aScratch,
                                           ValueRange{aLane, aIndex}),
                    memref::LoadOp::create(lb, loc, bScratch,
                                           ValueRange{bLane, bIndex})};
          });
      memref::StoreOp::create(b, loc, sum, dScratch, ValueRange{tid, m.c(e)});
    }
    replaceFromScratch(b, loc, mma, cType, dScratch, tid);
  }
  return success();
}

/// Rewrites every `mirage.warpgroup_mma` into per-thread code the stretches
/// of emulateThreads can run, as emulateMmaSync does for mma.sync: each
/// thread stores its A fragment and accumulators in scratch rows of its
/// own; after a barrier, each computes its D elements from the fragments of
/// the 128 threads of its warpgroup and from B in the swizzled layout; after
/// another barrier it reads them back. Written from the PTX ISA (wgmma
/// .m64nNk16 register fragments: per warp the mma.m16n8k16 A layout over
/// rows 16·(w mod 4) .. + 15, accumulator element 4j + e at row
/// 16·(w mod 4) + g + 8·(e / 2), column 8j + 2q + e mod 2) and the op's
/// documented B layout, independently of the lowering.
LogicalResult emulateWarpgroupMma(func::FuncOp func, gpu::ThreadIdOp threadId,
                                  int64_t threads) {
  SmallVector<WarpgroupMmaOp> mmas;
  func.walk([&](WarpgroupMmaOp op) { mmas.push_back(op); });
  if (mmas.empty())
    return success();
  if (threads % 128 != 0)
    return mmas.front().emitOpError("needs whole warpgroups (128 threads) "
                                    "to be emulated");
  Location loc = func.getLoc();
  OpBuilder eb(threadId);
  eb.setInsertionPointAfter(threadId);
  Type f32 = eb.getF32Type();
  DenseMap<Type, Value> aScratches;                        // element -> [T, 8]
  DenseMap<int64_t, std::pair<Value, Value>> accScratches; // N/2 -> C, D
  for (WarpgroupMmaOp mma : mmas) {
    auto aType = cast<VectorType>(mma.getA().getType());
    auto accType = cast<VectorType>(mma.getAcc().getType());
    int64_t count = accType.getNumElements();
    Value &aScratch = aScratches[aType.getElementType()];
    if (!aScratch)
      aScratch = memref::AllocaOp::create(
          eb, loc, MemRefType::get({threads, 8}, aType.getElementType()));
    auto &[cScratch, dScratch] = accScratches[count];
    if (!cScratch) {
      cScratch = memref::AllocaOp::create(
          eb, loc, MemRefType::get({threads, count}, f32));
      dScratch = memref::AllocaOp::create(
          eb, loc, MemRefType::get({threads, count}, f32));
    }
    OpBuilder b(mma);
    IndexMath m{b, loc};
    Value tid = threadId.getResult();
    spillToScratch(b, loc, mma.getA(), aScratch, tid);
    spillToScratch(b, loc, mma.getAcc(), cScratch, tid);
    gpu::BarrierOp::create(b, loc);
    // Thread t computes its D elements i: row 16r + g + 8·((i / 2) mod 2),
    // column 8·(i / 4) + 2q + i mod 2 (r = warp mod 4, g = lane / 4,
    // q = lane mod 4). A(row, k) is held by warp row / 16 of the warpgroup,
    // lane 4·(row mod 8) + (k mod 8) / 2, register (row mod 16) / 8 +
    // 2·(k / 8), half k mod 2; B(k, col) is b[n / 64][kStart + k][((n mod
    // 64) / 8 XOR (kStart + k) mod 8)·8 + n mod 8], n = nStart + col.
    Value groupBase = m.mul(m.div(tid, 128), 128);
    Value r = m.rem(m.div(tid, 32), 4);
    Value lane = m.rem(tid, 32);
    Value g = m.div(lane, 4), q = m.rem(lane, 4);
    auto elements = scf::ForOp::create(b, loc, m.c(0), m.c(count), m.c(1));
    OpBuilder eachElement = OpBuilder::atBlockBegin(elements.getBody());
    IndexMath e{eachElement, loc};
    Value i = elements.getInductionVar();
    Value row = e.add(e.add(e.mul(r, 16), g), e.mul(e.rem(e.div(i, 2), 2), 8));
    Value col = e.add(e.add(e.mul(e.div(i, 4), 8), e.mul(q, 2)), e.rem(i, 2));
    Value init =
        memref::LoadOp::create(eachElement, loc, cScratch, ValueRange{tid, i});
    Value sum = emitDotProduct16(
        eachElement, loc, init,
        [&](OpBuilder &lb, Value k) -> std::pair<Value, Value> {
          IndexMath l{lb, loc};
          Value aThread = l.add(groupBase, l.add(l.mul(l.div(row, 16), 32),
                                                 l.add(l.mul(l.rem(row, 8), 4),
                                                       l.div(l.rem(k, 8), 2))));
          Value aIndex = l.add(
              l.mul(l.add(l.div(l.rem(row, 16), 8), l.mul(l.div(k, 8), 2)), 2),
              l.rem(k, 2));
          Value n = l.add(mma.getNStart(), col);
          Value kb = l.add(mma.getKStart(), k);
          Value chunk = arith::XOrIOp::create(lb, loc, l.div(l.rem(n, 64), 8),
                                              l.rem(kb, 8));
          return {memref::LoadOp::create(lb, loc, aScratch,
                                         ValueRange{aThread, aIndex}),
                  memref::LoadOp::create(
                      lb, loc, mma.getB(),
                      ValueRange{l.div(n, 64), kb,
                                 l.add(l.mul(chunk, 8), l.rem(n, 8))})};
        });
    memref::StoreOp::create(eachElement, loc, sum, dScratch,
                            ValueRange{tid, i});
    replaceFromScratch(b, loc, mma, accType, dScratch, tid);
  }
  return success();
}

/// Rewrites every warp-level `nvgpu.ldmatrix` (b16 elements) into per-thread
/// code the stretches of emulateThreads can run: each lane stores the
/// indices it points ldmatrix at in a scratch row of its own; after a
/// barrier, each lane reads its elements through the indices of the lanes
/// the PTX ISA says hold its rows ("Warp-level matrix load instruction:
/// ldmatrix": lanes 8i..8i+7 address the 8 rows of matrix i; lane l
/// receives row l / 4, elements 2·(l mod 4) and +1 of each matrix, or with
/// .trans element l / 4 of rows 2·(l mod 4) and +1) into a scratch row;
/// after another barrier it reads them back (so that no lane overwrites
/// its indices before the others have used them).
LogicalResult emulateLdMatrix(func::FuncOp func, gpu::ThreadIdOp threadId,
                              int64_t threads) {
  SmallVector<nvgpu::LdMatrixOp> loads;
  func.walk([&](nvgpu::LdMatrixOp op) { loads.push_back(op); });
  if (loads.empty())
    return success();
  if (threads % 32 != 0)
    return loads.front().emitOpError("needs whole warps to be emulated");
  Location loc = func.getLoc();
  OpBuilder eb(threadId);
  eb.setInsertionPointAfter(threadId);
  DenseMap<int64_t, Value> indexScratch; // rank -> [threads, rank]
  DenseMap<Type, Value> resultScratch;   // element -> [threads, 8]
  for (nvgpu::LdMatrixOp load : loads) {
    auto type = cast<VectorType>(load.getRes().getType());
    int64_t matrices = load.getNumTiles();
    if (type.getRank() != 2 || type.getShape()[0] != matrices ||
        type.getShape()[1] != 2 || type.getElementTypeBitWidth() != 16 ||
        matrices > 4)
      return load.emitOpError("is not an ldmatrix of up to four 8x8 b16 "
                              "matrices; the host emulation has no other");
    int64_t rank = load.getIndices().size();
    Value &indices = indexScratch[rank];
    if (!indices)
      indices = memref::AllocaOp::create(
          eb, loc, MemRefType::get({threads, rank}, eb.getIndexType()));
    Value &results = resultScratch[type.getElementType()];
    if (!results)
      results = memref::AllocaOp::create(
          eb, loc, MemRefType::get({threads, 8}, type.getElementType()));
    OpBuilder b(load);
    auto c = [&](int64_t v) {
      return arith::ConstantIndexOp::create(b, loc, v).getResult();
    };
    Value tid = threadId.getResult();
    for (auto [d, index] : llvm::enumerate(load.getIndices()))
      memref::StoreOp::create(b, loc, index, indices, ValueRange{tid, c(d)});
    gpu::BarrierOp::create(b, loc);
    Value lane = arith::RemUIOp::create(b, loc, tid, c(32));
    Value warpBase = arith::SubIOp::create(b, loc, tid, lane);
    Value g = arith::DivUIOp::create(b, loc, lane, c(4));
    Value q = arith::RemUIOp::create(b, loc, lane, c(4));
    for (int64_t i = 0; i < matrices; ++i)
      for (int64_t h = 0; h < 2; ++h) {
        // The lane holding the row, and the element's column in it.
        Value twoQ = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, q, c(2)), c(h));
        Value row = load.getTranspose() ? twoQ : g;
        Value column = load.getTranspose() ? g : twoQ;
        Value source = arith::AddIOp::create(
            b, loc, warpBase, arith::AddIOp::create(b, loc, c(8 * i), row));
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d)
          at.push_back(memref::LoadOp::create(b, loc, indices,
                                              ValueRange{source, c(d)}));
        at.back() = arith::AddIOp::create(b, loc, at.back(), column);
        Value x = memref::LoadOp::create(b, loc, load.getSrcMemref(), at);
        memref::StoreOp::create(b, loc, x, results,
                                ValueRange{tid, c(2 * i + h)});
      }
    gpu::BarrierOp::create(b, loc);
    SmallVector<Value> elements;
    for (int64_t e = 0; e < 2 * matrices; ++e)
      elements.push_back(
          memref::LoadOp::create(b, loc, results, ValueRange{tid, c(e)}));
    load.getRes().replaceAllUsesWith(
        vector::FromElementsOp::create(b, loc, type, elements).getResult());
    load.erase();
  }
  return success();
}

/// Rewrites cp.async into a copy at its place (`nvgpu.device_async_copy` of
/// n elements along the innermost dim into loads and stores) and drops the
/// commits and waits: on the host the copy has landed when it is issued.
/// A kernel that read a slot before waiting for it would still pass here;
/// the lowering places the waits structurally (mirage-map-tiles-to-threads).
LogicalResult emulateAsyncCopies(func::FuncOp func) {
  SmallVector<Operation *> toErase;
  WalkResult result = func.walk([&](Operation *op) {
    if (isa<NVVM::CpAsyncCommitGroupOp, NVVM::CpAsyncWaitGroupOp,
            NVVM::FenceProxyOp>(op)) {
      toErase.push_back(op);
      return WalkResult::advance();
    }
    auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op);
    if (!copy)
      return WalkResult::advance();
    if (copy.getSrcElements() || !copy.getAsyncToken().use_empty()) {
      copy.emitOpError("with a source element count or a used token has no "
                       "host emulation");
      return WalkResult::interrupt();
    }
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    for (int64_t i = 0; i < copy.getDstElements().getSExtValue(); ++i) {
      Value offset = arith::ConstantIndexOp::create(b, loc, i);
      SmallVector<Value> from(copy.getSrcIndices()), to(copy.getDstIndices());
      from.back() = arith::AddIOp::create(b, loc, from.back(), offset);
      to.back() = arith::AddIOp::create(b, loc, to.back(), offset);
      Value x = memref::LoadOp::create(b, loc, copy.getSrc(), from);
      memref::StoreOp::create(b, loc, x, copy.getDst(), to);
    }
    toErase.push_back(copy);
    return WalkResult::advance();
  });
  for (Operation *op : toErase)
    op->erase();
  return failure(result.wasInterrupted());
}

/// Runs a thread-level kernel body sequentially (Stratton et al., "MCUDA",
/// LCPC 2008): private per-thread arrays (entry-block memref.allocas) gain a
/// leading thread dim; each barrier-free stretch of a block becomes a loop
/// over the threads, so thread 0 runs its whole stretch before thread 1
/// starts: a barrier missing inside a stretch shows as wrong results.
/// Barriers sit at the top level of the body or of loops with uniform
/// bounds; values a stretch passes to later code must be uniform (they are
/// recomputed before the stretch).
LogicalResult emulateThreads(func::FuncOp func, gpu::ThreadIdOp threadId,
                             int64_t threads) {
  Block &entry = func.getBody().front();
  Location loc = func.getLoc();
  // Private arrays: one row per thread; thread_id is rebound per stretch,
  // so accesses index with the thread id in scope at the access.
  DenseMap<Value, Value> thread; // stretch-local thread id of a block
  for (Operation &op : llvm::make_early_inc_range(entry)) {
    auto alloca = dyn_cast<memref::AllocaOp>(op);
    if (!alloca || alloca.getType().getMemorySpace())
      continue;
    SmallVector<int64_t> shape = {threads};
    llvm::append_range(shape, alloca.getType().getShape());
    OpBuilder b(alloca);
    auto wide = memref::AllocaOp::create(
        b, loc, MemRefType::get(shape, alloca.getType().getElementType()));
    for (OpOperand &use : llvm::make_early_inc_range(alloca->getUses())) {
      Operation *user = use.getOwner();
      OpBuilder ub(user);
      if (auto load = dyn_cast<memref::LoadOp>(user)) {
        SmallVector<Value> idx = {threadId};
        llvm::append_range(idx, load.getIndices());
        load.getResult().replaceAllUsesWith(
            memref::LoadOp::create(ub, loc, wide, idx).getResult());
        load.erase();
      } else if (auto store = dyn_cast<memref::StoreOp>(user)) {
        SmallVector<Value> idx = {threadId};
        llvm::append_range(idx, store.getIndices());
        memref::StoreOp::create(ub, loc, store.getValue(), wide, idx);
        store.erase();
      } else {
        return user->emitOpError(
            "uses a private array other than by load or store; the host "
            "emulation cannot give it one row per thread");
      }
    }
    alloca.erase();
  }

  if (failed(emulateAsyncCopies(func)) ||
      failed(emulateLdMatrix(func, threadId, threads)) ||
      failed(emulateMmaSync(func, threadId, threads)) ||
      failed(emulateWarpgroupMma(func, threadId, threads)))
    return failure();

  Value zero, one, count;
  {
    OpBuilder b(threadId);
    zero = arith::ConstantIndexOp::create(b, loc, 0);
    one = arith::ConstantIndexOp::create(b, loc, 1);
    count = arith::ConstantIndexOp::create(b, loc, threads);
  }

  // Splits `block` into stretches between barriers (and between ops that
  // hold barriers, whose bodies are split in turn).
  std::function<LogicalResult(Block &)> split =
      [&](Block &block) -> LogicalResult {
    // Uniform side-effect-free ops (index math, views) move to the top of
    // the block, out of every stretch, so every stretch sees them.
    llvm::DenseSet<Operation *> uniformOps;
    {
      llvm::DenseSet<Value> varying = {threadId.getResult()};
      SmallVector<Operation *> uniform;
      for (Operation &op : block) {
        bool dependsOnThread = false;
        op.walk([&](Operation *nested) {
          for (Value v : nested->getOperands())
            dependsOnThread |= varying.contains(v);
        });
        // Private arrays are allocated once for all threads.
        bool allocation = isa<memref::AllocaOp>(op);
        if (dependsOnThread || op.getNumRegions() != 0 ||
            (!isMemoryEffectFree(&op) && !allocation) ||
            op.hasTrait<OpTrait::IsTerminator>() || &op == threadId) {
          for (Value r : op.getResults())
            varying.insert(r);
          continue;
        }
        uniform.push_back(&op);
      }
      // In order, each before the first op not moved yet.
      Operation *first = &block.front();
      for (Operation *op : uniform) {
        if (op == first)
          first = op->getNextNode();
        else
          op->moveBefore(first);
        uniformOps.insert(op);
      }
    }
    SmallVector<SmallVector<Operation *>> stretches(1);
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>())
        break;
      bool holdsBarrier = false;
      op.walk([&](gpu::BarrierOp) { holdsBarrier = true; });
      if (uniformOps.contains(&op) || &op == threadId.getOperation())
        continue;
      if (isa<gpu::BarrierOp>(op)) {
        stretches.emplace_back();
        continue;
      }
      if (holdsBarrier) {
        auto loop = dyn_cast<scf::ForOp>(op);
        if (!loop)
          return op.emitOpError("holds a barrier; the host emulation needs "
                                "barriers at the top level or in scf.for");
        if (failed(split(*loop.getBody())))
          return failure();
        stretches.emplace_back();
        continue;
      }
      stretches.back().push_back(&op);
    }
    for (SmallVector<Operation *> &stretch : stretches) {
      if (stretch.empty())
        continue;
      // Does the stretch depend on the thread (private arrays are indexed
      // by the thread id by now)?
      llvm::SetVector<Operation *> inside(stretch.begin(), stretch.end());
      bool perThread = false;
      for (Operation *op : stretch)
        op->walk([&](Operation *nested) {
          perThread |=
              llvm::is_contained(nested->getOperands(), threadId.getResult());
        });
      if (!perThread)
        continue;
      // Values the stretch passes on would differ per thread.
      OpBuilder before(stretch.front());
      for (Operation *op : stretch)
        for (Operation *user : op->getUsers()) {
          Operation *top = block.findAncestorOpInBlock(*user);
          if (!top || !inside.contains(top))
            return op->emitOpError("defines a per-thread value used after a "
                                   "barrier; the host emulation cannot "
                                   "carry it across");
        }
      auto loop = scf::ForOp::create(before, loc, zero, count, one);
      Block *body = loop.getBody();
      for (Operation *op : stretch)
        op->moveBefore(body->getTerminator());
      Value t = loop.getInductionVar();
      for (Operation *op : stretch)
        op->walk([&](Operation *nested) {
          for (OpOperand &operand : nested->getOpOperands())
            if (operand.get() == threadId.getResult())
              operand.set(t);
        });
    }
    // Barriers are implicit between the stretches now.
    for (Operation &op : llvm::make_early_inc_range(block))
      if (isa<gpu::BarrierOp>(op))
        op.erase();
    return success();
  };
  if (failed(split(entry)))
    return failure();
  if (!threadId.getResult().use_empty())
    return threadId.emitOpError("is used outside per-thread code");
  threadId.erase();
  return success();
}

struct MirageEmulateGPUOnHostPass
    : mirage::impl::MirageEmulateGPUOnHostBase<MirageEmulateGPUOnHostPass> {
  void runOnOperation() override;

private:
  /// The host copy of `kernel`: (bx, by, bz, smem, kernel args...).
  FailureOr<func::FuncOp> outline(gpu::GPUFuncOp kernel, OpBuilder &b);
};

FailureOr<func::FuncOp>
MirageEmulateGPUOnHostPass::outline(gpu::GPUFuncOp kernel, OpBuilder &b) {
  MLIRContext *context = &getContext();
  Location loc = kernel.getLoc();
  auto bytes =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(context, 8));
  IndexType index = b.getIndexType();
  SmallVector<Type> types = {index, index, index, bytes};
  for (Type t : kernel.getArgumentTypes())
    types.push_back(dropWorkgroupSpace(t));
  auto func = func::FuncOp::create(b, loc, kernel.getName(),
                                   FunctionType::get(context, types, {}));
  func.setPrivate();
  Block *entry = func.addEntryBlock();
  IRMapping mapping;
  for (auto [from, to] :
       llvm::zip(kernel.getArguments(), entry->getArguments().drop_front(4)))
    mapping.map(from, to);
  if (!kernel.getWorkgroupAttributions().empty() ||
      !kernel.getPrivateAttributions().empty())
    return kernel.emitOpError("has memory attributions, which the host "
                              "emulation does not support");
  if (!kernel.getBody().hasOneBlock())
    return kernel.emitOpError("must have a single block to be emulated");
  OpBuilder fb = OpBuilder::atBlockEnd(entry);
  for (Operation &op : kernel.getBody().front()) {
    if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
      mapping.map(id.getResult(),
                  entry->getArgument(static_cast<unsigned>(id.getDimension())));
      continue;
    }
    if (auto smem = dyn_cast<gpu::DynamicSharedMemoryOp>(op)) {
      mapping.map(smem.getResult(), entry->getArgument(3));
      continue;
    }
    if (isa<gpu::ReturnOp>(op)) {
      func::ReturnOp::create(fb, op.getLoc());
      continue;
    }
    fb.clone(op, mapping);
  }
  // Thread-level kernels: every barrier-free stretch of code runs for each
  // thread in turn (see emulateThreads).
  gpu::ThreadIdOp threadId;
  WalkResult unsupported = func.walk([&](Operation *op) {
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
      if (id.getDimension() != gpu::Dimension::x || threadId ||
          op->getBlock() != entry) {
        op->emitOpError("must be a single gpu.thread_id x at the top of the "
                        "kernel to be emulated");
        return WalkResult::interrupt();
      }
      threadId = id;
    }
    if (isa<gpu::BlockDimOp, gpu::LaneIdOp, gpu::SubgroupIdOp>(op)) {
      op->emitOpError("cannot be emulated on the host");
      return WalkResult::interrupt();
    }
    if (isa<gpu::BlockIdOp, gpu::GridDimOp>(op)) {
      op->emitOpError("must be at the top level of the kernel to be emulated");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (unsupported.wasInterrupted())
    return failure();
  bool hasBarriers = false;
  func.walk([&](gpu::BarrierOp) { hasBarriers = true; });
  if (hasBarriers && !threadId)
    return kernel.emitOpError("has barriers but no gpu.thread_id");
  if (threadId) {
    std::optional<DenseI32ArrayAttr> block = kernel.getKnownBlockSizeAttr();
    if (!block || (*block)[1] != 1 || (*block)[2] != 1)
      return kernel.emitOpError("needs known_block_size = [threads, 1, 1] to "
                                "be emulated");
    if (failed(emulateThreads(func, threadId, (*block)[0])))
      return failure();
  }
  // Shared memory is plain host memory here.
  func.walk([&](Operation *op) {
    for (Value r : op->getResults())
      r.setType(dropWorkgroupSpace(r.getType()));
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(dropWorkgroupSpace(arg.getType()));
  });
  WalkResult threads = WalkResult::advance();
  if (threads.wasInterrupted())
    return failure();
  return func;
}

void MirageEmulateGPUOnHostPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *context = &getContext();
  SymbolTable symbols(module);

  // Host copies of every kernel.
  llvm::StringMap<func::FuncOp> hostKernel;
  SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
  for (gpu::GPUModuleOp gpuModule : gpuModules) {
    OpBuilder b(gpuModule);
    for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>()) {
      FailureOr<func::FuncOp> func = outline(kernel, b);
      if (failed(func))
        return signalPassFailure();
      hostKernel[(gpuModule.getName() + "::" + kernel.getName()).str()] = *func;
    }
  }

  // Launches become loops over the grid; device allocations host ones.
  SmallVector<Operation *> toErase;
  WalkResult walk = module.walk([&](Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    if (auto alloc = dyn_cast<gpu::AllocOp>(op)) {
      if (alloc.getAsyncToken())
        return op->emitOpError("async allocations are not emulated"),
               WalkResult::interrupt();
      auto m = memref::AllocOp::create(b, loc, alloc.getMemref().getType(),
                                       alloc.getDynamicSizes(),
                                       alloc.getSymbolOperands());
      alloc.getMemref().replaceAllUsesWith(m);
      toErase.push_back(op);
      return WalkResult::advance();
    }
    if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
      memref::DeallocOp::create(b, loc, dealloc.getMemref());
      toErase.push_back(op);
      return WalkResult::advance();
    }
    auto launch = dyn_cast<gpu::LaunchFuncOp>(op);
    if (!launch)
      return WalkResult::advance();
    std::string name = (launch.getKernelModuleName().getValue() +
                        "::" + launch.getKernelName().getValue())
                           .str();
    func::FuncOp kernel = hostKernel.lookup(name);
    if (!kernel) {
      launch.emitOpError() << "launches '" << name
                           << "', which is not a gpu.func of this module";
      return WalkResult::interrupt();
    }
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value bytes =
        launch.getDynamicSharedMemorySize()
            ? arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         launch.getDynamicSharedMemorySize())
                  .getResult()
            : zero;
    auto smemType =
        MemRefType::get({ShapedType::kDynamic}, IntegerType::get(context, 8));
    Value smem = memref::AllocOp::create(b, loc, smemType, ValueRange{bytes});
    // All-ones bytes: NaN in f16, bf16 and f32, so reading shared memory no
    // thread wrote (a missing barrier, a bad offset) shows in the results.
    Value ones = arith::ConstantIntOp::create(b, loc, b.getI8Type(), -1);
    linalg::FillOp::create(b, loc, ValueRange{ones}, ValueRange{smem});
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    auto z = scf::ForOp::create(b, loc, zero, grid.z, one);
    b.setInsertionPoint(z.getBody()->getTerminator());
    auto y = scf::ForOp::create(b, loc, zero, grid.y, one);
    b.setInsertionPoint(y.getBody()->getTerminator());
    auto x = scf::ForOp::create(b, loc, zero, grid.x, one);
    b.setInsertionPoint(x.getBody()->getTerminator());
    SmallVector<Value> callArgs = {x.getInductionVar(), y.getInductionVar(),
                                   z.getInductionVar(), smem};
    callArgs.append(launch.getKernelOperands().begin(),
                    launch.getKernelOperands().end());
    func::CallOp::create(b, loc, kernel, callArgs);
    b.setInsertionPointAfter(z);
    memref::DeallocOp::create(b, loc, smem);
    toErase.push_back(op);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return signalPassFailure();
  for (Operation *op : toErase)
    op->erase();
  for (gpu::GPUModuleOp gpuModule : gpuModules)
    gpuModule.erase();
  module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
}

} // namespace
