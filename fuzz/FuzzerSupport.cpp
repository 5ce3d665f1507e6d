//===- FuzzerSupport.cpp - Shared parts of the libFuzzer targets ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

#include "Mirage/Conversion/Passes.h"
#include "Mirage/Conversion/Pipelines.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include <mutex>

using namespace mlir;

/// mirage-opt's registry: the mirage dialect and passes, and what the
/// lowering to PTX needs.
static const DialectRegistry &getRegistry() {
  static DialectRegistry registry;
  static std::once_flag once;
  std::call_once(once, [] {
    mirage::registerMirageDialect(registry);
    mirage::registerMiragePasses();
    mirage::registerMirageConversionPasses();
    mirage::registerMiragePipelines();
    registerAllExtensions(registry);
    NVVM::registerNVVMTargetInterfaceExternalModels(registry);
    registerAllToLLVMIRTranslations(registry);
    registry.insert<arith::ArithDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                    math::MathDialect, memref::MemRefDialect,
                    nvgpu::NVGPUDialect, NVVM::NVVMDialect, scf::SCFDialect,
                    vector::VectorDialect>();
  });
  return registry;
}

int mirage_fuzz::parseAndRun(const uint8_t *data, size_t size,
                             const char *pipeline) {
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  StringRef text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || failed(verify(*module)) || !pipeline || !*pipeline)
    return 0;
  PassManager pm(&context);
  if (failed(parsePassPipeline(pipeline, pm)))
    __builtin_trap(); // the target's own pipeline must parse
  (void)pm.run(*module);
  return 0;
}
