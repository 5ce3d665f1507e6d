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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

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
  // Threads are not emulated: a tile-level kernel has none.
  WalkResult threads = func.walk([&](Operation *op) {
    if (isa<gpu::ThreadIdOp, gpu::BarrierOp, gpu::BlockDimOp, gpu::LaneIdOp>(
            op)) {
      op->emitOpError("is thread-level; the host emulation runs tile-level "
                      "kernels (before mirage-map-tiles-to-threads)");
      return WalkResult::interrupt();
    }
    if (isa<gpu::BlockIdOp, gpu::GridDimOp>(op)) {
      op->emitOpError("must be at the top level of the kernel to be emulated");
      return WalkResult::interrupt();
    }
    // Shared memory is plain host memory here.
    for (Value r : op->getResults())
      r.setType(dropWorkgroupSpace(r.getType()));
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(dropWorkgroupSpace(arg.getType()));
    return WalkResult::advance();
  });
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
