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

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
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
} // namespace

void mlir::mirage::buildLowerToTilesPipeline(
    OpPassManager &pm, const LowerToTilesOptions &options) {
  pm.addNestedPass<func::FuncOp>(createMirageDecompose());
  pm.addNestedPass<func::FuncOp>(createMirageExpandPredefinedKernels());
  ConvertMirageToGPUOptions convert;
  convert.target = options.target;
  pm.addPass(createConvertMirageToGPU(convert));
}

void mlir::mirage::buildLowerToHostPipeline(
    OpPassManager &pm, const LowerToTilesOptions &options) {
  buildLowerToTilesPipeline(pm, options);
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
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::mirage::registerMiragePipelines() {
  PassPipelineRegistration<LowerToTilesOptions>(
      "mirage-lower-to-tiles",
      "Lower a kernel graph to tile-level GPU code (gpu.func kernels on "
      "shared-memory tiles and a host function)",
      buildLowerToTilesPipeline);
  PassPipelineRegistration<LowerToTilesOptions>(
      "mirage-lower-to-host",
      "Lower a kernel graph's tile-level GPU code to the LLVM dialect for the "
      "CPU (run by mirage-run --engine=tiles)",
      buildLowerToHostPipeline);
}
