//===- SharedMemoryAssignment.cpp - Buffers of a block graph --------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryAssignment.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "mirage-shared-memory-assignment"

using namespace mlir;
using namespace mlir::mirage;

LogicalResult SharedMemoryAssignment::run(GraphKernelOp kernel,
                                          const GpuTarget &target,
                                          bool doubleBuffer) {
  this->kernel = kernel;
  this->target = &target;
  this->doubleBuffer = doubleBuffer;
  return assignBuffers();
}

/// Whether `v` only feeds accumulators: like the interpreter, the lowering
/// then keeps it in f32, unrounded.
static bool onlyAccumulated(Value v) {
  return !v.use_empty() && llvm::all_of(v.getUsers(), [](Operation *user) {
    return isa<AccumulateOp>(user);
  });
}

/// Whether `v` is the running maximum of a rescaled_sum accumulator, which
/// every element of the accumulated value reads (broadcast): it must then be
/// in shared memory, not in the registers of the threads that computed it.
static bool isRescaleMaximum(Value v) {
  for (OpOperand &use : v.getUses())
    if (auto acc = dyn_cast<AccumulateOp>(use.getOwner()))
      for (unsigned k = 0; k < acc.getValues().size(); ++k)
        if (std::optional<unsigned> j = acc.getRescaleIndex(k))
          if (acc.getValues()[*j] == v)
            return true;
  return false;
}

unsigned SharedMemoryAssignment::addBuffer(ArrayRef<int64_t> shape,
                                           Type elementType, bool shared,
                                           unsigned start, unsigned end) {
  TileBuffer buffer;
  buffer.shape.assign(shape.begin(), shape.end());
  buffer.elementType = elementType;
  buffer.shared = shared;
  buffer.start = start;
  buffer.end = end;
  buffers.push_back(std::move(buffer));
  return buffers.size() - 1;
}

unsigned SharedMemoryAssignment::lastUse(Value v, unsigned def) {
  unsigned end = def;
  bool definedInLoop =
      loop && loop->isAncestor(v.getParentBlock()->getParentOp());
  for (Operation *user : v.getUsers()) {
    // Uses inside thread graphs are operands of the thread graph itself.
    Operation *at = user;
    while (!pointOf.count(at) && at->getParentOp())
      at = at->getParentOp();
    unsigned p = pointOf.lookup(at);
    // A value from before the loop, read in it, lives through every
    // iteration.
    if (loop && !definedInLoop && loop->isAncestor(user))
      p = std::max(p, loopEndPoint);
    end = std::max(end, p);
  }
  return end;
}

LogicalResult SharedMemoryAssignment::assignBuffers() {
  // Program points, in block-graph order.
  unsigned point = 0;
  unsigned loopStartPoint = 0, finalizePoint = 0;
  for (Operation &op : kernel.getBodyBlock()) {
    if (auto l = dyn_cast<ForLoopOp>(op)) {
      loop = l;
      loopStartPoint = point;
      pointOf[l] = point;
      for (Operation &inner : l.getBodyBlock())
        pointOf[&inner] = point++;
      loopEndPoint = point - 1; // the accumulate step
      finalizePoint = point++;
      continue;
    }
    pointOf[&op] = point++;
  }

  auto tileOf = [](Value v) { return cast<TileType>(v.getType()); };
  auto addValue = [&](Value v, unsigned def) {
    TileType type = tileOf(v);
    bool accumulated = onlyAccumulated(v) && !isRescaleMaximum(v);
    Type element = accumulated ? Type(Float32Type::get(kernel.getContext()))
                               : type.getElementType();
    bufferOf[v] = addBuffer(type.getShape(), element, /*shared=*/!accumulated,
                            def, lastUse(v, def));
  };
  Type f32 = Float32Type::get(kernel.getContext());
  auto visit = [&](Operation &op) -> LogicalResult {
    unsigned p = pointOf.lookup(&op);
    if (isa<AccumulateOp, BlockGraphEndOp, OutputSaverOp>(op))
      return success();
    if (auto it = dyn_cast<InputIteratorOp>(op)) {
      addValue(it.getTile(), p);
      return success();
    }
    if (auto tg = dyn_cast<ThreadGraphOp>(op)) {
      for (Value r : tg.getResults())
        addValue(r, p);
      return success();
    }
    if (isa<SoftmaxOp>(op))
      return op.emitOpError(
          "is a composite op; run mirage-decompose before lowering");
    if (op.getNumResults() != 1 || !isa<TileType>(op.getResult(0).getType()))
      return op.emitOpError("cannot be lowered to GPU code");
    Value result = op.getResult(0);
    addValue(result, p);
    TileType type = tileOf(result);
    bool needsScratch = isa<MatmulOp, ReduceOp>(op) &&
                        !buffers[bufferOf[result]].elementType.isF32();
    if (needsScratch)
      scratchOf[&op] = addBuffer(type.getShape(), f32, /*shared=*/false, p, p);
    if (auto norm = dyn_cast<RmsNormOp>(op)) {
      SmallVector<int64_t> rows(type.getShape());
      for (size_t d = rows.size() - norm.getNormalizedShape().size();
           d < rows.size(); ++d)
        rows[d] = 1;
      // Shared: every element of a row reads the row's sum.
      scratchOf[&op] = addBuffer(rows, f32, /*shared=*/true, p, p);
    }
    return success();
  };

  for (Operation &op : kernel.getBodyBlock()) {
    if (auto l = dyn_cast<ForLoopOp>(op)) {
      AccumulateOp acc = l.getAccumulateOp();
      for (auto [k, v] : llvm::enumerate(acc.getValues())) {
        ArrayRef<int64_t> shape = tileOf(v).getShape();
        accumulatorOf.push_back(addBuffer(shape, f32, /*shared=*/false,
                                          loopStartPoint, finalizePoint));
        runningMaxOf.push_back(acc.getKind(k) == AccumulatorKind::rescaled_sum
                                   ? addBuffer(shape, f32, /*shared=*/false,
                                               loopStartPoint, finalizePoint)
                                   : ~0u);
      }
      for (Operation &inner : l.getBodyBlock())
        if (failed(visit(inner)))
          return failure();
      for (Value r : l.getResults())
        bufferOf[r] = addBuffer(tileOf(r).getShape(),
                                tileOf(r).getElementType(), /*shared=*/true,
                                finalizePoint, lastUse(r, finalizePoint));
      continue;
    }
    if (failed(visit(op)))
      return failure();
  }

  if (loop && doubleBuffer)
    addDoubleBuffers(loopStartPoint, loopEndPoint);
  recordAccesses();
  return placeBuffers();
}

void SharedMemoryAssignment::addDoubleBuffers(unsigned loopStart,
                                              unsigned loopEnd) {
  if (kernel.getForloop() < 2)
    return;
  for (Operation &op : loop.getBodyBlock()) {
    auto it = dyn_cast<InputIteratorOp>(op);
    if (!it || !it.getFmap())
      continue;
    // Copies without conversion (cp.async moves bytes).
    auto tensor = cast<RankedTensorType>(it.getInput().getType());
    if (tensor.getElementType() != it.getTile().getType().getElementType())
      continue;
    unsigned first = bufferOf.lookup(it.getTile());
    TileBuffer &slot = buffers[first];
    if (!slot.shared)
      continue;
    DoubleBuffer entry{it, {first, 0}, slot.start, slot.end};
    // Both slots live through the loop: the first is filled before it.
    slot.start = loopStart;
    slot.end = loopEnd;
    entry.slots[1] = addBuffer(slot.shape, slot.elementType,
                               /*shared=*/true, loopStart, loopEnd);
    doubleBuffers.push_back(entry);
  }
}

/// Whether tensor cores can run `matmul` at thread level
/// (mirage-map-tiles-to-threads decides; this predicts it from the shapes
/// and element types): f16 or bf16 operands, M a multiple of 16, N of 8, K
/// of 16.
static bool mayUseTensorCores(MatmulOp matmul) {
  auto lhs = cast<TileType>(matmul.getLhs().getType());
  auto rhs = cast<TileType>(matmul.getRhs().getType());
  Type element = lhs.getElementType();
  if (element != rhs.getElementType() || !(element.isF16() || element.isBF16()))
    return false;
  ArrayRef<int64_t> a = lhs.getShape(), b = rhs.getShape();
  return a.size() >= 2 && b.size() >= 2 && a[a.size() - 2] % 16 == 0 &&
         a.back() % 16 == 0 && b.back() % 8 == 0;
}

/// Whether `matmul` may run on warpgroup MMA at thread level with its rhs
/// in the 128-byte-swizzled layout (mirage-map-tiles-to-threads decides;
/// this predicts it): tensor cores apply, M is a multiple of 64, N of 64,
/// and the rhs is one [K, N] matrix (batch dims of extent 1) that an input
/// iterator copies in unconverted and only such matmuls read.
static bool mayUseWarpgroupMma(MatmulOp matmul) {
  if (!mayUseTensorCores(matmul))
    return false;
  auto lhs = cast<TileType>(matmul.getLhs().getType());
  auto rhs = cast<TileType>(matmul.getRhs().getType());
  ArrayRef<int64_t> a = lhs.getShape(), b = rhs.getShape();
  if (a[a.size() - 2] % 64 != 0 || b.back() % 64 != 0)
    return false;
  for (int64_t d : b.drop_back(2))
    if (d != 1)
      return false;
  auto it = matmul.getRhs().getDefiningOp<InputIteratorOp>();
  if (!it || cast<RankedTensorType>(it.getInput().getType()).getElementType() !=
                 rhs.getElementType())
    return false;
  return llvm::all_of(matmul.getRhs().getUses(), [](OpOperand &use) {
    auto user = dyn_cast<MatmulOp>(use.getOwner());
    return user && use.get() == user.getRhs() && user.getLhs() != user.getRhs();
  });
}

void SharedMemoryAssignment::recordAccesses() {
  auto record = [&](Value tile, TileAccess access) {
    auto it = bufferOf.find(tile);
    if (it == bufferOf.end() || !buffers[it->second].shared)
      return;
    SmallVector<TileAccess, 2> &accesses = buffers[it->second].accesses;
    if (!llvm::is_contained(accesses, access))
      accesses.push_back(access);
  };
  kernel.getBodyBlock().walk([&](Operation *op) {
    if (auto it = dyn_cast<InputIteratorOp>(op))
      record(it.getTile(), TileAccess::VectorCopy);
    else if (auto out = dyn_cast<OutputSaverOp>(op))
      record(out.getTile(), TileAccess::VectorCopy);
    else if (auto matmul = dyn_cast<MatmulOp>(op);
             matmul && mayUseTensorCores(matmul)) {
      // mirage-map-tiles-to-threads loads both operands' fragments with
      // ldmatrix (rows of 16-bit tiles whose inner extent is a multiple of
      // 8 start 16-byte aligned, padded or not), except a warpgroup MMA's
      // B, which the tensor cores read in the swizzled layout.
      record(matmul.getLhs(), TileAccess::LdMatrix);
      auto rhs = bufferOf.find(matmul.getRhs());
      if (target->hasWarpgroupMma && mayUseWarpgroupMma(matmul) &&
          rhs != bufferOf.end() && buffers[rhs->second].shared) {
        buffers[rhs->second].swizzled = true;
        return;
      }
      record(matmul.getRhs(), TileAccess::LdMatrix);
    }
  });
  // A double buffer's slots are views of one type and layout.
  for (DoubleBuffer &entry : doubleBuffers)
    buffers[entry.slots[1]].swizzled = buffers[entry.slots[0]].swizzled;
}

LogicalResult SharedMemoryAssignment::placeBuffers() {
  // Rows are padded where that removes bank conflicts of the tile's
  // accesses (only tiles read by tensor cores have any).
  for (TileBuffer &buffer : buffers)
    if (buffer.shared && !buffer.swizzled && buffer.shape.size() >= 2 &&
        !buffer.accesses.empty())
      buffer.rowPadding =
          chooseRowPadding(buffer.shape.back() * buffer.getElementBytes(),
                           buffer.accesses) /
          buffer.getElementBytes();
  // A double buffer's slots are views of one type.
  for (DoubleBuffer &entry : doubleBuffers)
    buffers[entry.slots[1]].rowPadding = buffers[entry.slots[0]].rowPadding;
  // Place the shared buffers; private ones take no shared memory (a
  // request of 0 bytes).
  auto place = [&] {
    SmallVector<BufferRequest> requests;
    for (const TileBuffer &buffer : buffers)
      requests.push_back(BufferRequest{
          buffer.getSharedBytes(),
          buffer.swizzled ? kSwizzledBufferAlignment : kSharedBufferAlignment,
          buffer.start, buffer.end});
    plan = planSharedMemory(requests);
    sharedMemoryBytes = plan.size;
  };
  // The superoptimizer checked the kernel against the limit with dense
  // rows and single buffers: what does not fit is dropped rather than
  // failing. Double buffers weigh more than padding (they hide
  // device-memory latency, which costs more than bank conflicts): as many
  // as fit, smallest first, padded if that still fits, else dense.
  SmallVector<int64_t> paddings;
  for (const TileBuffer &buffer : buffers)
    paddings.push_back(buffer.rowPadding);
  auto setPadding = [&](bool padded) {
    for (auto [buffer, padding] : llvm::zip(buffers, paddings))
      buffer.rowPadding = padded ? padding : 0;
  };
  // The `count` smallest double buffers get their second slot.
  llvm::stable_sort(doubleBuffers,
                    [&](const DoubleBuffer &a, const DoubleBuffer &b) {
                      return buffers[a.slots[0]].getSharedBytes() <
                             buffers[b.slots[0]].getSharedBytes();
                    });
  auto setDoubleBuffers = [&](size_t count) {
    for (auto [i, entry] : llvm::enumerate(doubleBuffers)) {
      bool enabled = i < count;
      buffers[entry.slots[1]].used = enabled;
      buffers[entry.slots[0]].start =
          enabled ? buffers[entry.slots[1]].start : entry.start;
      buffers[entry.slots[0]].end =
          enabled ? buffers[entry.slots[1]].end : entry.end;
    }
  };
  auto tryPlan = [&](bool padded, size_t count) {
    setPadding(padded);
    setDoubleBuffers(count);
    place();
    LLVM_DEBUG(llvm::dbgs()
               << "padded=" << padded << " double buffers=" << count << ": "
               << sharedMemoryBytes << " bytes\n");
    return sharedMemoryBytes <= target->sharedMemoryPerBlock;
  };
  size_t doubled = doubleBuffers.size();
  bool fits = false;
  for (; doubled > 0 && !fits; --doubled)
    fits =
        tryPlan(/*padded=*/true, doubled) || tryPlan(/*padded=*/false, doubled);
  if (fits)
    ++doubled; // the loop counted past the fitting count
  else
    fits = tryPlan(/*padded=*/true, 0) || tryPlan(/*padded=*/false, 0);
  doubleBuffers.resize(fits ? doubled : 0);
  if (sharedMemoryBytes > target->sharedMemoryPerBlock)
    return kernel.emitOpError()
           << "needs " << sharedMemoryBytes
           << " bytes of shared memory per block once its tiles are placed, "
              "more than the "
           << target->sharedMemoryPerBlock << " bytes " << target->device
           << " allows; use smaller tiles (a larger grid or forloop)";
  return success();
}
