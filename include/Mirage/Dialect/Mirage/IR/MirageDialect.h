//===- MirageDialect.h - Mirage dialect -------------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGEDIALECT_H
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGEDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "Mirage/Dialect/Mirage/IR/MirageOpsDialect.h.inc"

namespace mlir {
class DialectRegistry;
namespace mirage {

/// The func argument attribute that sets the range test inputs for that
/// argument are drawn from: `{mirage.input_range = [lo, hi]}`, two floats with
/// lo < hi (checked by the dialect's verifier).
inline constexpr llvm::StringLiteral kInputRangeAttrName = "mirage.input_range";

/// Registers the mirage dialect (and the dialects it depends on) with a
/// registry, for tools and for users' own compilers.
void registerMirageDialect(DialectRegistry &registry);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGEDIALECT_H
