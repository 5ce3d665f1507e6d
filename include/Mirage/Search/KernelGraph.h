//===- KernelGraph.h - A kernel graph for the search ------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_KERNELGRAPH_H
#define MIRAGE_SEARCH_KERNELGRAPH_H

#include "Mirage/Search/EGraph.h"
#include "Mirage/Search/OpSpec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
namespace mirage {
namespace search {

/// A kernel graph of pre-defined compute ops in the search's representation:
/// tensors (the inputs first), ops in program order, and the returned
/// tensors.
///
/// Every dim of every tensor carries an *index id*: dims that must range over
/// the same values (a matmul's contraction dims, dims aligned by an
/// elementwise op, the dims a result inherits) share one id. Extent-1 dims
/// carry kUnitIndex. Index ids are what lets tiles of different tensors line
/// up in a block graph, and what sums in abstract expressions bind.
///
/// Distinct dims of one tensor always carry distinct ids. Where a program
/// uses a value in two roles that would tie two of its dims (X·X, or x + x·W
/// with W square: x's columns are both W's rows and the sum's columns), the
/// analysis gives that use its own *instance* of the value: another input
/// reading the same function argument, or a copy of the ops that compute an
/// intermediate, with fresh ids. A program may thus hold more inputs than
/// the function has arguments (`inputArguments`).
struct KernelGraph {
  struct Op {
    OpSpec spec;
    SmallVector<unsigned, 2> operands;
    unsigned result;
  };

  SmallVector<TensorInfo> tensors;
  unsigned numInputs = 0;
  /// The function argument each input tensor reads (inputs are tensors
  /// [0, numInputs)).
  SmallVector<unsigned> inputArguments;
  SmallVector<Op> ops;
  SmallVector<unsigned> outputs;
  /// Extent of each index id.
  SmallVector<int64_t> indexExtents;

  unsigned getNumIndices() const { return indexExtents.size(); }
};

/// Analyses a function of kernel-level compute ops: assigns index ids (by
/// unifying the dims each op identifies) and builds every tensor's abstract
/// expression in `graph`. Emits a diagnostic naming any op or type the
/// superoptimizer does not support, and fails.
FailureOr<KernelGraph> analyzeKernelGraph(func::FuncOp func, EGraph &graph);

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_KERNELGRAPH_H
