//===- Passes.h - Mirage dialect passes -------------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_H
#define MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_H

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace mirage {

#define GEN_PASS_DECL
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"

/// Patterns that expand composite kernel ops (softmax) into primitives; the
/// formulas are documented on the mirage-decompose pass.
void populateMirageDecomposePatterns(RewritePatternSet &patterns);

/// Patterns that rewrite each pre-defined kernel op into a graph-defined
/// kernel with a default block graph (see mirage-expand-predefined-kernels).
void populateExpandPredefinedKernelsPatterns(RewritePatternSet &patterns,
                                             int64_t threads,
                                             int64_t maxTileElements);

#define GEN_PASS_REGISTRATION
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_DIALECT_MIRAGE_TRANSFORMS_PASSES_H
