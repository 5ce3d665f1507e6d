//===- KernelPackage.cpp - Compile a kernel graph to a kernel package -----===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Execution/KernelPackage.h"
#include "FunctionModule.h"
#include "Mirage/Conversion/Passes.h"
#include "Mirage/Conversion/Pipelines.h"

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

using namespace mlir;
using namespace mlir::mirage;

LogicalResult mlir::mirage::compileKernelPackage(func::FuncOp func,
                                                 StringRef directory,
                                                 StringRef chip) {
  if (!lookupGpuTargetForChip(chip))
    return func.emitError() << "unknown chip '" << chip
                            << "'; supported chips: "
                            << getSupportedChipNames();
  // The lowering runs in a context of its own, with the conversion
  // interfaces, the NVVM target and the translation to LLVM IR registered
  // before any dialect loads (extensions registered later do not reach
  // dialects already loaded, and the math lowering would differ).
  DialectRegistry registry;
  registry.insert<MirageDialect, func::FuncDialect>();
  registerAllExtensions(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext context(registry);
  std::string text;
  {
    llvm::raw_string_ostream os(text);
    copyIntoOwnModule(func)->print(os, OpPrintingFlags().printGenericOpForm());
  }
  // Diagnostics of the lowering go to the caller's context.
  ScopedDiagnosticHandler forward(&context, [&](Diagnostic &diag) {
    switch (diag.getSeverity()) {
    case DiagnosticSeverity::Error:
      emitError(func.getLoc()) << diag.str();
      break;
    case DiagnosticSeverity::Warning:
      emitWarning(func.getLoc()) << diag.str();
      break;
    default:
      emitRemark(func.getLoc()) << diag.str();
      break;
    }
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&context));
  if (!module)
    return func.emitError("could not copy the function for lowering");

  PassManager pm(&context);
  LowerToPTXOptions options;
  options.chip = chip.str();
  buildLowerToPTXPipeline(pm, options);
  MirageExportKernelPackageOptions exportOptions;
  exportOptions.outputDir = directory.str();
  pm.addPass(createMirageExportKernelPackage(exportOptions));
  return pm.run(*module);
}
