//===- MirageToGPU.cpp - Graph-defined kernels to tile-level GPU code -----===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// convert-mirage-to-gpu: see its description in Passes.td. The block graph of
// each kernel is walked once to give every tile a buffer and a live interval
// (program points in block-graph order, the for-loop body counted once but
// keeping everything it reads alive to its end), the rows of tiles that the
// lowering will access with bank conflicts are padded (SharedMemoryLayout),
// the buffers are placed in shared memory (SharedMemoryPlan), and the
// kernel body is emitted op by op.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryLayout.h"
#include "Mirage/Conversion/MirageToGPU/SharedMemoryPlan.h"
#include "Mirage/Conversion/Passes.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Target/GpuTarget.h"

#include "TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Debug.h"

#include <limits>

#define DEBUG_TYPE "convert-mirage-to-gpu"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_CONVERTMIRAGETOGPU
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// Shared-memory buffers are aligned for 128-bit vector accesses and to the
/// start of a bank row (32 banks × 4 bytes).
constexpr int64_t kBufferAlignment = 128;

Attribute getWorkgroupSpace(MLIRContext *context) {
  return gpu::AddressSpaceAttr::get(context, gpu::AddressSpace::Workgroup);
}

/// A buffer of the block graph. Tiles live in shared memory. f32 values that
/// only feed accumulators, the accumulators and reduction scratch are
/// *private*: on a GPU each thread keeps the elements it owns in registers
/// (mirage-map-tiles-to-threads), so they take no shared memory; at tile
/// level they are function-local allocations.
struct Buffer {
  SmallVector<int64_t> shape;
  Type elementType;
  bool shared = true;
  unsigned start = 0, end = 0;
  /// How the thread-level code will access the tile (shared buffers).
  SmallVector<TileAccess, 2> accesses;
  /// Elements of padding after each row (the innermost dim).
  int64_t rowPadding = 0;
  /// False for the second slot of a double buffer that did not fit.
  bool used = true;
  Value view; // the memref, once built

  int64_t getElementBytes() const {
    return elementType.getIntOrFloatBitWidth() / 8;
  }
  /// The bytes the buffer takes in shared memory, rows padded.
  int64_t getSharedBytes() const {
    if (!shared || !used)
      return 0;
    int64_t elements = 1;
    for (int64_t d : ArrayRef<int64_t>(shape).drop_back())
      elements *= d;
    elements *= shape.empty() ? 1 : shape.back() + rowPadding;
    return elements * getElementBytes();
  }
};

/// Lowers one graph-defined kernel to a tile-level gpu.func.
class KernelLowering {
public:
  KernelLowering(GraphKernelOp kernel, const GpuTarget &target,
                 bool doubleBuffer)
      : kernel(kernel), target(target), context(kernel.getContext()),
        doubleBuffer(doubleBuffer) {}

  /// Builds the kernel as `name` in `module`; fails with a diagnostic.
  FailureOr<gpu::GPUFuncOp> build(gpu::GPUModuleOp module, StringRef name);

  int64_t getSharedMemoryBytes() const { return sharedMemoryBytes; }

private:
  // Analysis: buffers and live intervals.
  LogicalResult assignBuffers();
  void recordAccesses();
  LogicalResult placeBuffers();
  void addDoubleBuffers(unsigned loopStart, unsigned loopEnd);
  unsigned addBuffer(ArrayRef<int64_t> shape, Type elementType, bool shared,
                     unsigned start, unsigned end);
  unsigned lastUse(Value v, unsigned def);

  // Emission.
  LogicalResult emitOp(OpBuilder &b, Operation &op, Value iv);
  LogicalResult emitComputeOp(OpBuilder &b, Operation &op);
  /// The box of the kernel argument `it` reads at iteration `iv`.
  Value getSourceBox(OpBuilder &b, InputIteratorOp it, Value iv);
  void emitInputIterator(OpBuilder &b, InputIteratorOp it, Value iv);
  /// A view of shared buffer `index` at byte offset `shift`.
  /// `range`, if given, becomes the view's `mirage.shared_bytes`.
  Value emitView(OpBuilder &b, unsigned index, Value shift,
                 DenseI64ArrayAttr range = {});
  void emitOutputSaver(OpBuilder &b, OutputSaverOp out, unsigned index);
  void emitThreadGraph(OpBuilder &b, ThreadGraphOp tg);
  LogicalResult emitLoop(OpBuilder &b, ForLoopOp loop);
  void emitDoubleBuffers(OpBuilder &b, Value iv);
  Value viewOf(Value v) { return buffers[bufferOf.lookup(v)].view; }
  /// An index constant, created once at the top of the kernel.
  Value constantIndex(OpBuilder &, int64_t v) {
    Value &c = constants[v];
    if (!c) {
      OpBuilder b = OpBuilder::atBlockBegin(entryBlock);
      c = arith::ConstantIndexOp::create(b, kernel.getLoc(), v);
    }
    return c;
  }

  GraphKernelOp kernel;
  const GpuTarget &target;
  MLIRContext *context;
  bool doubleBuffer;

  SmallVector<Buffer> buffers;
  llvm::DenseMap<Value, unsigned> bufferOf;
  /// f32 scratch of reductions (by op), accumulators and running maxima (by
  /// accumulated value index).
  llvm::DenseMap<Operation *, unsigned> scratchOf;
  SmallVector<unsigned> accumulatorOf, runningMaxOf;
  llvm::DenseMap<Operation *, unsigned> pointOf;
  unsigned loopEndPoint = 0;
  ForLoopOp loop;
  /// Input iterators of the for-loop whose tiles are double-buffered: the
  /// next iteration's tile is copied into the second slot while the
  /// current one is read (asynchronously at thread level).
  struct DoubleBuffer {
    InputIteratorOp iterator;
    unsigned slots[2];
    unsigned start, end; // the first slot's live range without it
  };
  SmallVector<DoubleBuffer> doubleBuffers;
  SharedMemoryPlan plan;
  int64_t sharedMemoryBytes = 0;

  // Built values.
  Block *entryBlock = nullptr;
  Value smem;
  llvm::DenseMap<int64_t, Value> constants;
  SmallVector<Value> args; // the kernel's memref arguments
  Value blockIds[3];
};

/// Whether `v` only feeds accumulators: like the interpreter, the lowering
/// then keeps it in f32, unrounded.
bool onlyAccumulated(Value v) {
  return !v.use_empty() && llvm::all_of(v.getUsers(), [](Operation *user) {
    return isa<AccumulateOp>(user);
  });
}

/// Whether `v` is the running maximum of a rescaled_sum accumulator, which
/// every element of the accumulated value reads (broadcast): it must then be
/// in shared memory, not in the registers of the threads that computed it.
bool isRescaleMaximum(Value v) {
  for (OpOperand &use : v.getUses())
    if (auto acc = dyn_cast<AccumulateOp>(use.getOwner()))
      for (unsigned k = 0; k < acc.getValues().size(); ++k)
        if (std::optional<unsigned> j = acc.getRescaleIndex(k))
          if (acc.getValues()[*j] == v)
            return true;
  return false;
}

unsigned KernelLowering::addBuffer(ArrayRef<int64_t> shape, Type elementType,
                                   bool shared, unsigned start, unsigned end) {
  Buffer buffer;
  buffer.shape.assign(shape.begin(), shape.end());
  buffer.elementType = elementType;
  buffer.shared = shared;
  buffer.start = start;
  buffer.end = end;
  buffers.push_back(std::move(buffer));
  return buffers.size() - 1;
}

unsigned KernelLowering::lastUse(Value v, unsigned def) {
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

LogicalResult KernelLowering::assignBuffers() {
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
    Type element =
        accumulated ? Type(Float32Type::get(context)) : type.getElementType();
    bufferOf[v] = addBuffer(type.getShape(), element, /*shared=*/!accumulated,
                            def, lastUse(v, def));
  };
  Type f32 = Float32Type::get(context);
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

void KernelLowering::addDoubleBuffers(unsigned loopStart, unsigned loopEnd) {
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
    Buffer &slot = buffers[first];
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

void KernelLowering::recordAccesses() {
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
      // 8 start 16-byte aligned, padded or not).
      record(matmul.getLhs(), TileAccess::LdMatrix);
      record(matmul.getRhs(), TileAccess::LdMatrix);
    }
  });
}

LogicalResult KernelLowering::placeBuffers() {
  // Rows are padded where that removes bank conflicts of the tile's
  // accesses (only tiles read by tensor cores have any).
  for (Buffer &buffer : buffers)
    if (buffer.shared && buffer.shape.size() >= 2 && !buffer.accesses.empty())
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
    for (const Buffer &buffer : buffers)
      requests.push_back(BufferRequest{
          buffer.getSharedBytes(), kBufferAlignment, buffer.start, buffer.end});
    plan = planSharedMemory(requests);
    sharedMemoryBytes = plan.size;
  };
  // The superoptimizer checked the kernel against the limit with dense
  // rows and single buffers: what does not fit is dropped rather than
  // failing. Double buffers weigh more than padding (they hide
  // device-memory latency, which costs more than bank conflicts): as many
  // as fit, smallest first, padded if that still fits, else dense.
  SmallVector<int64_t> paddings;
  for (const Buffer &buffer : buffers)
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
    return sharedMemoryBytes <= target.sharedMemoryPerBlock;
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
  if (sharedMemoryBytes > target.sharedMemoryPerBlock)
    return kernel.emitOpError()
           << "needs " << sharedMemoryBytes
           << " bytes of shared memory per block once its tiles are placed, "
              "more than the "
           << target.sharedMemoryPerBlock << " bytes " << target.device
           << " allows; use smaller tiles (a larger grid or forloop)";
  return success();
}

/// The box of `memref` at `offsets` with extents `sizes` (unit strides).
static Value getBox(OpBuilder &b, Location loc, Value memref,
                    ArrayRef<OpFoldResult> offsets, ArrayRef<int64_t> sizes) {
  SmallVector<OpFoldResult> sizeAttrs, strides;
  for (int64_t e : sizes) {
    sizeAttrs.push_back(b.getIndexAttr(e));
    strides.push_back(b.getIndexAttr(1));
  }
  return memref::SubViewOp::create(b, loc, memref, offsets, sizeAttrs, strides);
}

Value KernelLowering::emitView(OpBuilder &b, unsigned index, Value shift,
                               DenseI64ArrayAttr range) {
  const Buffer &buffer = buffers[index];
  Location loc = kernel.getLoc();
  SmallVector<int64_t> padded(buffer.shape);
  padded.back() += buffer.rowPadding;
  auto type =
      MemRefType::get(padded, buffer.elementType, MemRefLayoutAttrInterface(),
                      getWorkgroupSpace(context));
  auto viewOp = memref::ViewOp::create(b, loc, type, smem, shift, ValueRange{});
  if (range)
    viewOp->setAttr(tile::kSharedBytesAttrName, range);
  Value view = viewOp;
  // A padded tile is the box of its rows' leading elements.
  if (buffer.rowPadding)
    view = getBox(b, loc, view,
                  SmallVector<OpFoldResult>(padded.size(), b.getIndexAttr(0)),
                  buffer.shape);
  return view;
}

FailureOr<gpu::GPUFuncOp> KernelLowering::build(gpu::GPUModuleOp module,
                                                StringRef name) {
  if (failed(assignBuffers()))
    return failure();
  Location loc = kernel.getLoc();
  // Arguments: the kernel's operands, then its results, as memrefs.
  SmallVector<Type> argTypes;
  for (Type t : kernel.getInputs().getTypes()) {
    auto tensor = cast<RankedTensorType>(t);
    argTypes.push_back(
        MemRefType::get(tensor.getShape(), tensor.getElementType()));
  }
  for (Type t : kernel.getResultTypes()) {
    auto tensor = cast<RankedTensorType>(t);
    argTypes.push_back(
        MemRefType::get(tensor.getShape(), tensor.getElementType()));
  }
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto func = gpu::GPUFuncOp::create(b, loc, name,
                                     FunctionType::get(context, argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  ArrayRef<int64_t> grid = kernel.getGrid();
  func.setKnownGridSizeAttr(b.getDenseI32ArrayAttr(
      {static_cast<int32_t>(grid[0]), static_cast<int32_t>(grid[1]),
       static_cast<int32_t>(grid[2])}));
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(
      {static_cast<int32_t>(kernel.getBlock()[0]), 1, 1}));
  Block &entry = func.getBody().front();
  entryBlock = &entry;
  b.setInsertionPointToStart(&entry);
  for (BlockArgument arg : entry.getArguments())
    args.push_back(arg);

  // Block ids and the buffers' views of dynamic shared memory.
  blockIds[0] = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  blockIds[1] = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  blockIds[2] = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  Attribute workgroup = getWorkgroupSpace(context);
  auto bytesType =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(context, 8),
                      MemRefLayoutAttrInterface(), workgroup);
  smem = gpu::DynamicSharedMemoryOp::create(b, loc, bytesType);
  for (auto [i, buffer] : llvm::enumerate(buffers)) {
    if (!buffer.used)
      continue;
    if (!buffer.shared) {
      buffer.view = memref::AllocaOp::create(
          b, loc, MemRefType::get(buffer.shape, buffer.elementType));
      continue;
    }
    buffer.view = emitView(b, i, constantIndex(b, plan.offsets[i]));
  }

  unsigned saver = 0;
  for (Operation &op : kernel.getBodyBlock()) {
    if (auto l = dyn_cast<ForLoopOp>(op)) {
      if (failed(emitLoop(b, l)))
        return failure();
      continue;
    }
    if (auto out = dyn_cast<OutputSaverOp>(op)) {
      emitOutputSaver(b, out, saver++);
      continue;
    }
    if (failed(emitOp(b, op, Value())))
      return failure();
  }
  gpu::ReturnOp::create(b, loc);
  return func;
}

LogicalResult KernelLowering::emitOp(OpBuilder &b, Operation &op, Value iv) {
  if (isa<BlockGraphEndOp, AccumulateOp>(op))
    return success();
  if (auto it = dyn_cast<InputIteratorOp>(op)) {
    emitInputIterator(b, it, iv);
    return success();
  }
  if (auto tg = dyn_cast<ThreadGraphOp>(op)) {
    emitThreadGraph(b, tg);
    return success();
  }
  return emitComputeOp(b, op);
}

/// Copies `from` into `to` (same shape): a plain copy when the element types
/// agree (vectorised at thread level), else a converting elementwise op.
static void copyOrConvert(OpBuilder &b, Location loc, Value from, Value to) {
  if (cast<MemRefType>(from.getType()).getElementType() ==
      cast<MemRefType>(to.getType()).getElementType())
    linalg::CopyOp::create(b, loc, ValueRange{from}, ValueRange{to});
  else
    tile::emitConvert(b, loc, from, to);
}

void KernelLowering::emitInputIterator(OpBuilder &b, InputIteratorOp it,
                                       Value iv) {
  copyOrConvert(b, it.getLoc(), getSourceBox(b, it, iv), viewOf(it.getTile()));
}

Value KernelLowering::getSourceBox(OpBuilder &b, InputIteratorOp it, Value iv) {
  Location loc = it.getLoc();
  auto arg = cast<BlockArgument>(it.getInput());
  Value source = args[arg.getArgNumber()];
  ArrayRef<int64_t> shape = cast<MemRefType>(source.getType()).getShape();
  ArrayRef<int64_t> box = it.getTile().getType().getShape();
  ArrayRef<int64_t> grid = kernel.getGrid();
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0));
  SmallVector<Value> dynamic(shape.size());
  GridMapAttr imap = it.getImap();
  for (int axis = 0; axis < GridMapAttr::kNumAxes; ++axis)
    if (std::optional<int64_t> dim = imap.getDim(axis)) {
      Value part = arith::MulIOp::create(
          b, loc, blockIds[axis], constantIndex(b, shape[*dim] / grid[axis]));
      dynamic[*dim] =
          dynamic[*dim]
              ? Value(arith::AddIOp::create(b, loc, dynamic[*dim], part))
              : part;
    }
  if (std::optional<uint64_t> fmap = it.getFmap()) {
    Value step =
        arith::MulIOp::create(b, loc, iv, constantIndex(b, box[*fmap]));
    dynamic[*fmap] =
        dynamic[*fmap]
            ? Value(arith::AddIOp::create(b, loc, dynamic[*fmap], step))
            : step;
  }
  for (size_t d = 0; d < shape.size(); ++d)
    if (dynamic[d])
      offsets[d] = dynamic[d];
  return getBox(b, loc, source, offsets, box);
}

void KernelLowering::emitOutputSaver(OpBuilder &b, OutputSaverOp out,
                                     unsigned index) {
  Location loc = out.getLoc();
  Value result = args[kernel.getInputs().size() + index];
  ArrayRef<int64_t> box = out.getTile().getType().getShape();
  SmallVector<OpFoldResult> offsets(box.size(), b.getIndexAttr(0));
  GridMapAttr omap = out.getOmap();
  for (int axis = 0; axis < GridMapAttr::kNumAxes; ++axis)
    if (std::optional<int64_t> dim = omap.getDim(axis))
      offsets[*dim] = arith::MulIOp::create(b, loc, blockIds[axis],
                                            constantIndex(b, box[*dim]))
                          .getResult();
  copyOrConvert(b, loc, viewOf(out.getTile()),
                getBox(b, loc, result, offsets, box));
}

LogicalResult KernelLowering::emitComputeOp(OpBuilder &b, Operation &op) {
  Location loc = op.getLoc();
  Value result = op.getResult(0);
  Value out = viewOf(result);
  SmallVector<Value> operands;
  for (Value v : op.getOperands())
    operands.push_back(viewOf(v));
  // Reductions accumulate in f32: into the result if it is kept in f32,
  // else into a scratch buffer that is rounded into the tile after.
  auto accumulator = [&]() -> Value {
    auto it = scratchOf.find(&op);
    return it != scratchOf.end() ? buffers[it->second].view : out;
  };
  auto finish = [&](Value acc) {
    if (acc != out)
      tile::emitConvert(b, loc, acc, out);
  };
  if (auto matmul = dyn_cast<MatmulOp>(op)) {
    Value acc = accumulator();
    tile::emitFill(b, loc, acc, 0.0);
    tile::emitMatmulAccumulate(b, loc, operands[0], operands[1], acc);
    finish(acc);
    return success();
  }
  if (auto reduce = dyn_cast<ReduceOp>(op)) {
    Value acc = accumulator();
    bool isMax = reduce.getKind() == ReduceKind::max;
    tile::emitFill(b, loc, acc,
                   isMax ? -std::numeric_limits<double>::infinity() : 0.0);
    tile::emitReduceAccumulate(b, loc, operands[0], acc, reduce.getDim(),
                               reduce.getKind());
    finish(acc);
    return success();
  }
  if (auto norm = dyn_cast<RmsNormOp>(op)) {
    tile::emitRmsNorm(b, loc, operands[0], buffers[scratchOf.lookup(&op)].view,
                      out, norm.getNormalizedShape().size(),
                      norm.getEps().convertToDouble());
    return success();
  }
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    int64_t offset = 0;
    int64_t dim = concat.getDim();
    ArrayRef<int64_t> outShape = cast<MemRefType>(out.getType()).getShape();
    for (Value in : operands) {
      ArrayRef<int64_t> inShape = cast<MemRefType>(in.getType()).getShape();
      SmallVector<OpFoldResult> offsets(outShape.size(), b.getIndexAttr(0));
      offsets[dim] = b.getIndexAttr(offset);
      tile::emitConvert(b, loc, in, getBox(b, loc, out, offsets, inShape));
      offset += inShape[dim];
    }
    return success();
  }
  // Elementwise ops.
  bool supported = true;
  tile::emitElementwise(
      b, loc, operands, out,
      [&](OpBuilder &nb, Location nloc, ValueRange f32) -> Value {
        FailureOr<Value> r = tile::emitScalarOp(nb, nloc, &op, f32);
        if (failed(r)) {
          supported = false;
          return f32.front();
        }
        return *r;
      });
  if (!supported)
    return op.emitOpError("has no GPU lowering");
  return success();
}

void KernelLowering::emitThreadGraph(OpBuilder &b, ThreadGraphOp tg) {
  Location loc = tg.getLoc();
  SmallVector<Value> inputs, outputs;
  for (Value v : tg.getInputs())
    inputs.push_back(viewOf(v));
  for (Value v : tg.getResults())
    outputs.push_back(viewOf(v));
  ArrayRef<int64_t> shape =
      cast<TileType>(tg.getResult(0).getType()).getShape();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(tile::getBroadcastMap(
        cast<MemRefType>(in.getType()).getShape(), shape, context));
  for (size_t i = 0; i < outputs.size(); ++i)
    maps.push_back(AffineMap::getMultiDimIdentityMap(shape.size(), context));
  Block &body = tg.getBody().front();
  linalg::GenericOp::create(
      b, loc, inputs, outputs, maps,
      SmallVector<utils::IteratorType>(shape.size(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange blockArgs) {
        // The chain runs on f32 registers; only its results are rounded.
        llvm::DenseMap<Value, Value> reg;
        for (auto [arg, value] : llvm::zip(body.getArguments(),
                                           blockArgs.take_front(inputs.size())))
          reg[arg] = tile::toF32(nb, nloc, value);
        for (Operation &inner : body.without_terminator()) {
          SmallVector<Value> ops;
          for (Value v : inner.getOperands())
            ops.push_back(reg.lookup(v));
          reg[inner.getResult(0)] = *tile::emitScalarOp(nb, nloc, &inner, ops);
        }
        SmallVector<Value> yields;
        for (auto [v, out] : llvm::zip(
                 cast<YieldOp>(body.getTerminator()).getValues(), outputs))
          yields.push_back(
              tile::fromF32(nb, nloc, reg.lookup(v),
                            cast<MemRefType>(out.getType()).getElementType()));
        linalg::YieldOp::create(nb, nloc, yields);
      });
}

/// At the top of iteration `iv`: each double-buffered tile is the view of
/// slot iv mod 2 (filled by the previous iteration, or before the loop), and
/// the next iteration's tile is copied into the other slot, unless this is
/// the last iteration. The copy carries `mirage.async_copy`:
/// mirage-map-tiles-to-threads issues it as cp.async, waited for at the top
/// of the next iteration. Both slots' views carry `mirage.shared_bytes`, the
/// byte range of the two slots, for the thread level's barrier analysis
/// (their offset is not a constant).
void KernelLowering::emitDoubleBuffers(OpBuilder &b, Value iv) {
  if (doubleBuffers.empty())
    return;
  Location loc = kernel.getLoc();
  Value odd = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne,
      arith::RemUIOp::create(b, loc, iv, constantIndex(b, 2)),
      constantIndex(b, 0));
  Value next = arith::AddIOp::create(b, loc, iv, constantIndex(b, 1));
  Value hasNext = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, next,
                                        constantIndex(b, kernel.getForloop()));
  for (DoubleBuffer &entry : doubleBuffers) {
    int64_t offsets[2] = {plan.offsets[entry.slots[0]],
                          plan.offsets[entry.slots[1]]};
    int64_t bytes = buffers[entry.slots[0]].getSharedBytes();
    auto range =
        b.getDenseI64ArrayAttr({std::min(offsets[0], offsets[1]),
                                std::max(offsets[0], offsets[1]) + bytes});
    auto slotView = [&](bool current) {
      Value shift = arith::SelectOp::create(
          b, loc, odd, constantIndex(b, offsets[current ? 1 : 0]),
          constantIndex(b, offsets[current ? 0 : 1]));
      return emitView(b, entry.slots[0], shift, range);
    };
    Value current = slotView(true);
    Value other = slotView(false);
    buffers[entry.slots[0]].view = current;
    auto ifOp = scf::IfOp::create(b, loc, hasNext, /*withElse=*/false);
    OpBuilder tb = OpBuilder::atBlockBegin(ifOp.thenBlock());
    auto copy = linalg::CopyOp::create(
        tb, loc, getSourceBox(tb, entry.iterator, next), other);
    copy->setAttr(tile::kAsyncCopyAttrName, b.getUnitAttr());
  }
}

LogicalResult KernelLowering::emitLoop(OpBuilder &b, ForLoopOp l) {
  Location loc = l.getLoc();
  AccumulateOp acc = l.getAccumulateOp();
  unsigned n = acc.getValues().size();
  for (unsigned k = 0; k < n; ++k) {
    Value a = buffers[accumulatorOf[k]].view;
    tile::emitFill(b, loc, a,
                   acc.getKind(k) == AccumulatorKind::max
                       ? -std::numeric_limits<double>::infinity()
                       : 0.0);
    if (runningMaxOf[k] != ~0u)
      tile::emitFill(b, loc, buffers[runningMaxOf[k]].view,
                     -std::numeric_limits<double>::infinity());
  }
  int64_t iterations = kernel.getForloop();
  // Double buffers: iteration 0's tile goes into the first slot before the
  // loop.
  for (DoubleBuffer &entry : doubleBuffers)
    linalg::CopyOp::create(b, loc,
                           getSourceBox(b, entry.iterator, constantIndex(b, 0)),
                           buffers[entry.slots[0]].view);
  auto forOp =
      scf::ForOp::create(b, loc, constantIndex(b, 0),
                         constantIndex(b, iterations), constantIndex(b, 1));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forOp.getBody()->getTerminator());
    Value iv = forOp.getInductionVar();
    emitDoubleBuffers(b, iv);
    for (Operation &op : l.getBodyBlock()) {
      if (llvm::any_of(doubleBuffers, [&](const DoubleBuffer &entry) {
            return entry.iterator == &op;
          }))
        continue;
      if (failed(emitOp(b, op, iv)))
        return failure();
    }
    for (unsigned k = 0; k < n; ++k) {
      Value a = buffers[accumulatorOf[k]].view;
      Value v = viewOf(acc.getValues()[k]);
      AccumulatorKind kind = acc.getKind(k);
      if (kind == AccumulatorKind::rescaled_sum) {
        // Online softmax: with running max M and this iteration's max m,
        // M' = max(M, m); a = a·e^(M−M') + v·e^(m−M').
        Value runMax = buffers[runningMaxOf[k]].view;
        Value m = viewOf(acc.getValues()[*acc.getRescaleIndex(k)]);
        ArrayRef<int64_t> shape = cast<MemRefType>(a.getType()).getShape();
        AffineMap id = AffineMap::getMultiDimIdentityMap(shape.size(), context);
        AffineMap mMap = tile::getBroadcastMap(
            cast<MemRefType>(m.getType()).getShape(), shape, context);
        linalg::GenericOp::create(
            b, loc, ValueRange{v, m}, ValueRange{a, runMax},
            SmallVector<AffineMap>{id, mMap, id, id},
            SmallVector<utils::IteratorType>(shape.size(),
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nloc, ValueRange x) {
              Value vv = tile::toF32(nb, nloc, x[0]);
              Value mm = tile::toF32(nb, nloc, x[1]);
              Value next = arith::MaximumFOp::create(nb, nloc, x[3], mm);
              Value old = arith::MulFOp::create(
                  nb, nloc, x[2],
                  math::ExpOp::create(
                      nb, nloc, arith::SubFOp::create(nb, nloc, x[3], next)));
              Value now = arith::MulFOp::create(
                  nb, nloc, vv,
                  math::ExpOp::create(
                      nb, nloc, arith::SubFOp::create(nb, nloc, mm, next)));
              linalg::YieldOp::create(
                  nb, nloc,
                  ValueRange{arith::AddFOp::create(nb, nloc, old, now), next});
            });
        continue;
      }
      tile::emitElementwise(
          b, loc, ValueRange{a, v}, a,
          [&](OpBuilder &nb, Location nloc, ValueRange x) -> Value {
            if (kind == AccumulatorKind::max)
              return arith::MaximumFOp::create(nb, nloc, x[0], x[1]);
            return arith::AddFOp::create(nb, nloc, x[0], x[1]);
          });
    }
  }
  // Results: mean and rms divide by the iterations (rms then takes the
  // root); all round to the result tile's type.
  for (unsigned k = 0; k < n; ++k) {
    AccumulatorKind kind = acc.getKind(k);
    Value a = buffers[accumulatorOf[k]].view;
    Value out = viewOf(l.getResult(k));
    tile::emitElementwise(
        b, loc, ValueRange{a}, out,
        [&](OpBuilder &nb, Location nloc, ValueRange x) -> Value {
          if (kind != AccumulatorKind::mean && kind != AccumulatorKind::rms)
            return x[0];
          Value mean = arith::DivFOp::create(
              nb, nloc, x[0],
              arith::ConstantOp::create(
                  nb, nloc,
                  nb.getF32FloatAttr(static_cast<float>(iterations))));
          return kind == AccumulatorKind::rms
                     ? Value(math::SqrtOp::create(nb, nloc, mean))
                     : mean;
        });
  }
  return success();
}

//===----------------------------------------------------------------------===//
// The pass: kernels and host functions
//===----------------------------------------------------------------------===//

struct ConvertMirageToGPUPass
    : mirage::impl::ConvertMirageToGPUBase<ConvertMirageToGPUPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult convertFunction(func::FuncOp func, const GpuTarget &gpu);
  /// Each function's launch plan, recorded on the module as
  /// mirage.launch_plans for mirage-export-kernel-package.
  SmallVector<NamedAttribute> plans;
};

MemRefType toMemRef(Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return MemRefType::get(tensor.getShape(), tensor.getElementType());
}

/// {shape, dtype} of a tensor type, as the launch plan records it.
DictionaryAttr describeTensor(Builder &b, Type type,
                              ArrayAttr inputRange = {}) {
  auto tensor = cast<RankedTensorType>(type);
  Type element = tensor.getElementType();
  StringRef dtype = element.isF16() ? "f16" : element.isBF16() ? "bf16" : "f32";
  SmallVector<NamedAttribute> fields = {
      b.getNamedAttr("shape", b.getDenseI64ArrayAttr(tensor.getShape())),
      b.getNamedAttr("dtype", b.getStringAttr(dtype))};
  if (inputRange)
    fields.push_back(b.getNamedAttr("input_range", inputRange));
  return b.getDictionaryAttr(fields);
}

LogicalResult ConvertMirageToGPUPass::convertFunction(func::FuncOp func,
                                                      const GpuTarget &gpu) {
  ModuleOp module = getOperation();
  Location loc = func.getLoc();
  Block &body = func.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());

  // Check the body: graph kernels only, results returned once each.
  for (Operation &op : body.without_terminator())
    if (!isa<GraphKernelOp>(op))
      return op.emitOpError()
             << "must be a graph-defined kernel to be lowered to GPU code; "
                "run mirage-expand-predefined-kernels first";
  llvm::DenseMap<Value, unsigned> returned;
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    if (isa<BlockArgument>(v))
      return ret.emitOpError()
             << "returns argument " << cast<BlockArgument>(v).getArgNumber()
             << " directly; a lowered function's results "
                "must be computed by a kernel";
    if (!returned.try_emplace(v, i).second)
      return ret.emitOpError("returns one value twice; a lowered function's "
                             "results must be distinct");
  }

  // The kernels.
  OpBuilder mb = OpBuilder::atBlockEnd(module.getBody());
  std::string moduleName = (func.getName() + "_kernels").str();
  auto kernels = gpu::GPUModuleOp::create(mb, loc, moduleName);
  SymbolTable(module).insert(kernels);

  // The host function: inputs, then one argument per result.
  SmallVector<Type> hostArgs;
  for (Type t : func.getArgumentTypes())
    hostArgs.push_back(toMemRef(t));
  for (Type t : func.getResultTypes())
    hostArgs.push_back(toMemRef(t));
  OpBuilder fb(func);
  auto host = func::FuncOp::create(
      fb, loc, func.getName(), FunctionType::get(&getContext(), hostArgs, {}));
  host.setVisibility(func.getVisibility());
  Block *hostBody = host.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockEnd(hostBody);
  llvm::DenseMap<Value, Value> memrefOf;
  for (auto [arg, hostArg] :
       llvm::zip(func.getArguments(),
                 hostBody->getArguments().take_front(func.getNumArguments())))
    memrefOf[arg] = hostArg;
  SmallVector<Value> allocated;
  // The launch plan (kernel-package.md): what runs, on which tensors.
  SmallVector<Attribute> planInputs, planOutputs, planBuffers, planKernels;
  for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
    planInputs.push_back(describeTensor(
        b, t, func.getArgAttrOfType<ArrayAttr>(i, kInputRangeAttrName)));
  for (Type t : func.getResultTypes())
    planOutputs.push_back(describeTensor(b, t));
  // Where each tensor lives: ("input" | "output" | "buffer", index).
  llvm::DenseMap<Value, std::pair<StringRef, int64_t>> placeOf;
  for (BlockArgument arg : func.getArguments())
    placeOf[arg] = {"input", arg.getArgNumber()};
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  unsigned k = 0;
  for (Operation &op : body.without_terminator()) {
    auto kernel = cast<GraphKernelOp>(op);
    KernelLowering lowering(kernel, gpu, doubleBuffer);
    std::string name = (func.getName() + "_kernel_" + Twine(k++)).str();
    FailureOr<gpu::GPUFuncOp> kernelFunc = lowering.build(kernels, name);
    if (failed(kernelFunc))
      return failure();
    SmallVector<Value> operands;
    for (Value v : kernel.getInputs())
      operands.push_back(memrefOf.lookup(v));
    for (Value r : kernel.getResults()) {
      Value m;
      auto it = returned.find(r);
      if (it != returned.end()) {
        m = hostBody->getArgument(func.getNumArguments() + it->second);
        placeOf[r] = {"output", it->second};
      } else {
        m = gpu::AllocOp::create(b, loc, toMemRef(r.getType()), Type(),
                                 ValueRange{}, ValueRange{}, ValueRange{})
                .getMemref();
        allocated.push_back(m);
        placeOf[r] = {"buffer", static_cast<int64_t>(planBuffers.size())};
        planBuffers.push_back(describeTensor(b, r.getType()));
      }
      memrefOf[r] = m;
      operands.push_back(m);
    }
    ArrayRef<int64_t> grid = kernel.getGrid();
    gpu::KernelDim3 gridSize{index(grid[0]), index(grid[1]), index(grid[2])};
    gpu::KernelDim3 blockSize{index(kernel.getBlock()[0]), index(1), index(1)};
    Value smem = arith::ConstantIntOp::create(b, loc, b.getI32Type(),
                                              lowering.getSharedMemoryBytes());
    gpu::LaunchFuncOp::create(b, loc, *kernelFunc, gridSize, blockSize, smem,
                              operands);
    SmallVector<Attribute> kernelArgs;
    for (Value v :
         llvm::concat<Value>(kernel.getInputs(), kernel.getResults())) {
      auto [kind, at] = placeOf.lookup(v);
      kernelArgs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("kind", b.getStringAttr(kind)),
           b.getNamedAttr("index", b.getI64IntegerAttr(at))}));
    }
    planKernels.push_back(b.getDictionaryAttr(
        {b.getNamedAttr("name", b.getStringAttr(name)),
         b.getNamedAttr("grid", b.getDenseI64ArrayAttr(grid)),
         b.getNamedAttr("block",
                        b.getDenseI64ArrayAttr({kernel.getBlock()[0], 1, 1})),
         b.getNamedAttr("shared_memory_bytes",
                        b.getI64IntegerAttr(lowering.getSharedMemoryBytes())),
         b.getNamedAttr("args", b.getArrayAttr(kernelArgs))}));
  }
  plans.push_back(b.getNamedAttr(
      func.getName(),
      b.getDictionaryAttr(
          {b.getNamedAttr("inputs", b.getArrayAttr(planInputs)),
           b.getNamedAttr("outputs", b.getArrayAttr(planOutputs)),
           b.getNamedAttr("buffers", b.getArrayAttr(planBuffers)),
           b.getNamedAttr("kernels", b.getArrayAttr(planKernels))})));
  for (Value m : allocated)
    gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, m);
  func::ReturnOp::create(b, loc);
  func.erase();
  return success();
}

void ConvertMirageToGPUPass::runOnOperation() {
  ModuleOp module = getOperation();
  const GpuTarget *gpu =
      target.empty() ? &getGpuTargetFor(module) : lookupGpuTarget(target);
  if (!gpu) {
    module.emitError() << "unknown target '" << target << "'; expected one of "
                       << getGpuTargetNames();
    return signalPassFailure();
  }
  SmallVector<func::FuncOp> funcs;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    // Functions of mirage ops; others are not kernel graphs.
    bool isKernelGraph = false;
    for (Operation &op : func.getBody().front())
      isKernelGraph |= isa_and_nonnull<MirageDialect>(op.getDialect());
    if (isKernelGraph)
      funcs.push_back(func);
  }
  if (funcs.empty())
    return;
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(&getContext()));
  for (func::FuncOp func : funcs)
    if (failed(convertFunction(func, *gpu)))
      return signalPassFailure();
  module->setAttr(kLaunchPlansAttrName,
                  DictionaryAttr::get(&getContext(), plans));
}

} // namespace
