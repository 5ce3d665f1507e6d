//===- Pipelines.cpp - Mirage's lowering pipelines ------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Pipelines.h"
#include "Mirage/Conversion/Passes.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::mirage;

namespace {
/// Marks every host function for a C interface (_mlir_ciface_<name>), so a
/// caller can pass memref descriptors whatever their ranks.
struct EmitCInterfacePass
    : PassWrapper<EmitCInterfacePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EmitCInterfacePass)
  StringRef getArgument() const override { return "mirage-emit-c-interface"; }
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && func.isPublic())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(&getContext()));
  }
};

/// Fails, naming the supported chips, when mirage-lower-to-ptx was given a
/// chip the lowering does not support: LLVM's NVPTX backend would otherwise
/// crash or abort on it ("Cannot select" an mma for sm_70), or compile for a
/// GPU whose limits nothing checked.
struct CheckChipPass : PassWrapper<CheckChipPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckChipPass)
  explicit CheckChipPass(std::string chip) : chip(std::move(chip)) {}
  StringRef getArgument() const override { return "mirage-check-chip"; }
  void runOnOperation() override {
    if (lookupGpuTargetForChip(chip))
      return;
    // At the module's location, without the module printed as a note.
    emitError(getOperation().getLoc())
        << "mirage-lower-to-ptx: unknown chip '" << chip
        << "'; supported chips: " << getSupportedChipNames();
    signalPassFailure();
  }
  std::string chip;
};
} // namespace

void mlir::mirage::buildLowerToTilesPipeline(
    OpPassManager &pm, const LowerToTilesOptions &options) {
  pm.addNestedPass<func::FuncOp>(createMirageDecompose());
  // The μGraph optimizer (docs/mugraph-optimizer.md): max subtraction
  // before kernels are expanded (an exp and its sum must still share a
  // kernel or a split), thread graphs after (expanded kernels have chains
  // too), both before the lowering.
  pm.addNestedPass<func::FuncOp>(createMirageSafeSoftmax());
  pm.addNestedPass<func::FuncOp>(createMirageExpandPredefinedKernels());
  pm.addNestedPass<func::FuncOp>(createMirageFormThreadGraphs());
  pm.addNestedPass<func::FuncOp>(
      createMirageScheduleBlockGraphs({options.target}));
  ConvertMirageToGPUOptions convert;
  convert.target = options.target;
  pm.addPass(createConvertMirageToGPU(convert));
}

void mlir::mirage::buildLowerToHostPipeline(OpPassManager &pm,
                                            const LowerToHostOptions &options) {
  LowerToTilesOptions tiles;
  tiles.target = options.target;
  buildLowerToTilesPipeline(pm, tiles);
  if (options.threads)
    pm.addNestedPass<gpu::GPUModuleOp>(createMirageMapTilesToThreads());
  pm.addPass(createMirageEmulateGPUOnHost());
  pm.addPass(std::make_unique<EmitCInterfacePass>());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertMathToLLVMPass());
  // What LLVM has no intrinsic for (erf) becomes a libm call.
  pm.addPass(createConvertMathToLibmPass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

StringRef mlir::mirage::getTargetForChip(StringRef chip) {
  const GpuTarget *target = lookupGpuTargetForChip(chip);
  return target ? StringRef(target->name) : StringRef();
}

void mlir::mirage::buildLowerToPTXPipeline(OpPassManager &pm,
                                           const LowerToPTXOptions &options) {
  pm.addPass(std::make_unique<CheckChipPass>(options.chip));
  LowerToTilesOptions tiles;
  tiles.target = getTargetForChip(options.chip).str();
  buildLowerToTilesPipeline(pm, tiles);
  pm.addNestedPass<gpu::GPUModuleOp>(createMirageMapTilesToThreads());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createMirageLegalizeMathForNVPTX());
  // Before convert-nvgpu-to-nvvm, which cannot lower bf16 mma.sync.
  pm.addNestedPass<gpu::GPUModuleOp>(createMirageLegalizeMmaForNVVM());
  // Declares the dynamic shared memory 1024-byte aligned, which wgmma's
  // 128-byte swizzle (applied to address bits) relies on.
  pm.addNestedPass<gpu::GPUModuleOp>(createMirageAlignDynamicSharedMemory());
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  // PTX ISA 8.0 is the first with sm_90a; it also covers sm_80.
  nvvm.cubinFeatures = "+ptx80";
  nvvm.cubinFormat = "isa";
  nvvm.optLevel = options.optLevel;
  // One device pointer per kernel argument: what kernel packages and the
  // runtime pass.
  nvvm.kernelUseBarePtrCallConv = true;
  nvvm.hostUseBarePtrCallConv = true;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

void mlir::mirage::registerMiragePipelines() {
  PassPipelineRegistration<LowerToTilesOptions>(
      "mirage-lower-to-tiles",
      "Lower a kernel graph to tile-level GPU code (gpu.func kernels on "
      "shared-memory tiles and a host function)",
      buildLowerToTilesPipeline);
  PassPipelineRegistration<LowerToHostOptions>(
      "mirage-lower-to-host",
      "Lower a kernel graph's tile-level (or thread-level) GPU code to the "
      "LLVM dialect for the CPU (run by mirage-run --engine=tiles|threads)",
      buildLowerToHostPipeline);
  PassPipelineRegistration<LowerToPTXOptions>(
      "mirage-lower-to-ptx",
      "Lower a kernel graph to PTX: tile-level kernels, mapped to threads, "
      "through gpu-lower-to-nvvm-pipeline into a gpu.binary",
      [](OpPassManager &pm, const LowerToPTXOptions &options) {
        buildLowerToPTXPipeline(pm, options);
      });
}
