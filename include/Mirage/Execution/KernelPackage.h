//===- KernelPackage.h - Compile a kernel graph to a kernel package -*- C++
//-*-//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_EXECUTION_KERNELPACKAGE_H
#define MIRAGE_EXECUTION_KERNELPACKAGE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir {
namespace mirage {

/// Compiles `func` (a kernel graph) with mirage-lower-to-ptx for `chip`
/// (sm_80, sm_86, sm_89 or sm_90a; another is an error naming them) and
/// writes its kernel package (docs/kernel-package.md) to `directory`: PTX,
/// a cubin when ptxas is found, the manifest. The
/// function's module is not changed. Emits a diagnostic and fails if the
/// program does not lower or the files cannot be written.
LogicalResult compileKernelPackage(func::FuncOp func, StringRef directory,
                                   StringRef chip);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_EXECUTION_KERNELPACKAGE_H
