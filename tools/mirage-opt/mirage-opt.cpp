//===- mirage-opt.cpp - The Mirage optimizer driver ---------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An mlir-opt with the mirage dialect and passes, plus the upstream dialects
// and passes the Mirage pipeline uses (and nothing else, to keep it small).
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"
#include "Mirage/Conversion/Pipelines.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Support/PassStatistics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::mirage::registerMirageDialect(registry);
  mlir::mirage::registerMiragePasses();
  mlir::mirage::registerMirageConversionPasses();
  mlir::mirage::registerMiragePipelines();
  // What the PTX pipeline needs: conversion interfaces to LLVM, the NVVM
  // target and translation to LLVM IR.
  mlir::registerAllExtensions(registry);
  mlir::NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  // The dialects the lowering produces, so that its output parses.
  registry.insert<mlir::arith::ArithDialect, mlir::gpu::GPUDialect,
                  mlir::linalg::LinalgDialect, mlir::LLVM::LLVMDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::nvgpu::NVGPUDialect, mlir::NVVM::NVVMDialect,
                  mlir::scf::SCFDialect, mlir::ub::UBDialect,
                  mlir::vector::VectorDialect>();
  // Generic cleanups users expect from an opt tool.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  // This LLVM may count no pass statistics (see PassStatistics.h): then
  // -mlir-pass-statistics shows the ones Mirage's passes recorded.
  bool wantStatistics = false;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    wantStatistics |= arg == "-mlir-pass-statistics" ||
                      arg == "--mlir-pass-statistics" ||
                      arg == "-mlir-pass-statistics=true" ||
                      arg == "--mlir-pass-statistics=true";
  }
  mlir::LogicalResult result = mlir::MlirOptMain(
      argc, argv, "Mirage for MLIR: superoptimizer driver\n", registry);
  if (wantStatistics && !mlir::mirage::kLLVMStatisticsEnabled)
    mlir::mirage::printRecordedPassStatistics(llvm::errs());
  return mlir::asMainReturnCode(result);
}
