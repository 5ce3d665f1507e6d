//===- MirageToGPU.cpp - Graph-defined kernels to tile-level GPU code -----===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// convert-mirage-to-gpu: see its description in Passes.td. Each kernel's
// buffers are assigned and placed (SharedMemoryAssignment.h), then its body
// is emitted op by op on views of them.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryAssignment.h"
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

Attribute getWorkgroupSpace(MLIRContext *context) {
  return gpu::AddressSpaceAttr::get(context, gpu::AddressSpace::Workgroup);
}

/// Lowers one graph-defined kernel to a tile-level gpu.func.
class KernelLowering {
public:
  KernelLowering(GraphKernelOp kernel, const GpuTarget &target,
                 bool doubleBuffer)
      : kernel(kernel), target(target), context(kernel.getContext()),
        doubleBuffer(doubleBuffer) {}

  /// Builds the kernel as `name` in `module`; fails with a diagnostic.
  FailureOr<gpu::GPUFuncOp> build(gpu::GPUModuleOp module, StringRef name);

  int64_t getSharedMemoryBytes() const { return memory.plan.size; }

private:
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
  Value viewOf(Value v) { return views[memory.bufferOf.lookup(v)]; }
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

  SharedMemoryAssignment memory;

  // Built values.
  Block *entryBlock = nullptr;
  Value smem;
  llvm::DenseMap<int64_t, Value> constants;
  SmallVector<Value> args;  // the kernel's memref arguments
  SmallVector<Value> views; // of the buffers, by index
  Value blockIds[3];
};

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
  const TileBuffer &buffer = memory.buffers[index];
  Location loc = kernel.getLoc();
  SmallVector<int64_t> padded(buffer.shape);
  padded.back() += buffer.rowPadding;
  auto type =
      MemRefType::get(padded, buffer.elementType, MemRefLayoutAttrInterface(),
                      getWorkgroupSpace(context));
  auto viewOp = memref::ViewOp::create(b, loc, type, smem, shift, ValueRange{});
  if (range)
    viewOp->setAttr(tile::kSharedBytesAttrName, range);
  if (buffer.swizzled)
    viewOp->setAttr(tile::kSwizzledAttrName, b.getUnitAttr());
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
  if (failed(memory.run(kernel, target, doubleBuffer)))
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
  views.assign(memory.buffers.size(), Value());
  for (auto [i, buffer] : llvm::enumerate(memory.buffers)) {
    if (!buffer.used)
      continue;
    if (!buffer.shared) {
      views[i] = memref::AllocaOp::create(
          b, loc, MemRefType::get(buffer.shape, buffer.elementType));
      continue;
    }
    views[i] = emitView(b, i, constantIndex(b, memory.plan.offsets[i]));
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
    auto it = memory.scratchOf.find(&op);
    return it != memory.scratchOf.end() ? views[it->second] : out;
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
    tile::emitRmsNorm(b, loc, operands[0], views[memory.scratchOf.lookup(&op)],
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
  if (memory.doubleBuffers.empty())
    return;
  Location loc = kernel.getLoc();
  Value odd = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne,
      arith::RemUIOp::create(b, loc, iv, constantIndex(b, 2)),
      constantIndex(b, 0));
  Value next = arith::AddIOp::create(b, loc, iv, constantIndex(b, 1));
  Value hasNext = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, next,
                                        constantIndex(b, kernel.getForloop()));
  for (DoubleBuffer &entry : memory.doubleBuffers) {
    int64_t offsets[2] = {memory.plan.offsets[entry.slots[0]],
                          memory.plan.offsets[entry.slots[1]]};
    int64_t bytes = memory.buffers[entry.slots[0]].getSharedBytes();
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
    views[entry.slots[0]] = current;
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
    Value a = views[memory.accumulatorOf[k]];
    tile::emitFill(b, loc, a,
                   acc.getKind(k) == AccumulatorKind::max
                       ? -std::numeric_limits<double>::infinity()
                       : 0.0);
    if (memory.runningMaxOf[k] != ~0u)
      tile::emitFill(b, loc, views[memory.runningMaxOf[k]],
                     -std::numeric_limits<double>::infinity());
  }
  int64_t iterations = kernel.getForloop();
  // Double buffers: iteration 0's tile goes into the first slot before the
  // loop.
  for (DoubleBuffer &entry : memory.doubleBuffers)
    linalg::CopyOp::create(b, loc,
                           getSourceBox(b, entry.iterator, constantIndex(b, 0)),
                           views[entry.slots[0]]);
  auto forOp =
      scf::ForOp::create(b, loc, constantIndex(b, 0),
                         constantIndex(b, iterations), constantIndex(b, 1));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forOp.getBody()->getTerminator());
    Value iv = forOp.getInductionVar();
    emitDoubleBuffers(b, iv);
    for (Operation &op : l.getBodyBlock()) {
      if (llvm::any_of(memory.doubleBuffers, [&](const DoubleBuffer &entry) {
            return entry.iterator == &op;
          }))
        continue;
      if (failed(emitOp(b, op, iv)))
        return failure();
    }
    for (unsigned k = 0; k < n; ++k) {
      Value a = views[memory.accumulatorOf[k]];
      Value v = viewOf(acc.getValues()[k]);
      AccumulatorKind kind = acc.getKind(k);
      if (kind == AccumulatorKind::rescaled_sum) {
        // Online softmax: with running max M and this iteration's max m,
        // M' = max(M, m); a = a·e^(M−M') + v·e^(m−M').
        Value runMax = views[memory.runningMaxOf[k]];
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
    Value a = views[memory.accumulatorOf[k]];
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
  // The target travels with the kernels: the thread-level stage picks
  // instructions by it (wgmma on sm_90a).
  kernels->setAttr(kTargetAttrName, mb.getStringAttr(gpu.name));
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
  const GpuTarget *gpu = resolveGpuTarget(module, target);
  if (!gpu)
    return signalPassFailure();
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
