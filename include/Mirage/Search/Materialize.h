//===- Materialize.h - Build the IR of a μGraph plan ------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_MATERIALIZE_H
#define MIRAGE_SEARCH_MATERIALIZE_H

#include "Mirage/Search/FusionSearch.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir {
namespace mirage {
namespace search {

/// Replaces the body of `func` (whose signature is the plan's inputs and
/// outputs) with the plan's μGraph: one mirage.graph_kernel per kernel, its
/// block graph built from the tiling (input iterators, ops before, in and
/// after the for-loop, sum accumulators, output savers). Fails, with a
/// diagnostic, only if the plan is inconsistent (an internal error).
LogicalResult materializePlan(const Plan &plan, func::FuncOp func);

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_MATERIALIZE_H
