//===- OpSpec.h - Compute ops as the search sees them -----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The superoptimizer works on its own light representation of tensors and
// ops, so that it can enumerate millions of candidates without creating MLIR
// operations; OpSpec is one compute op (kind and attributes), TensorInfo one
// tensor (shape, element type, index ids, abstract expression). Both map back
// to MLIR when the chosen μGraph is built.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_OPSPEC_H
#define MIRAGE_SEARCH_OPSPEC_H

#include "Mirage/Search/EGraph.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace mlir {
namespace mirage {
namespace search {

/// The compute ops the search enumerates (the LAX fragment of the dialect
/// plus elementwise functions checked as random functions; see
/// docs/verification.md).
enum class OpKind : uint8_t {
  Matmul,
  Exp,
  Sqrt,
  Rsqrt,
  Square,
  Silu,
  Gelu,
  Relu,
  Sigmoid,
  MulScalar,
  Clamp,
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  ReduceSum,
  RmsNorm,
};

/// Index id of an extent-1 dim: it ranges over nothing.
inline constexpr int kUnitIndex = -1;

/// A tensor (or the full tensor a tile is part of): shape, one index id per
/// dim (kUnitIndex for extent-1 dims) and its abstract expression.
struct TensorInfo {
  SmallVector<int64_t, 4> shape;
  SmallVector<int, 4> indices;
  Type elementType;
  EClassId expr = 0;

  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const;
  int64_t getSizeInBytes() const;
  /// The dim ranging over `index`, if any.
  std::optional<int64_t> getDimOf(int index) const;
};

/// One compute op: kind and attributes.
struct OpSpec {
  OpKind kind = OpKind::Matmul;
  /// MulScalar: the scalar; Clamp: the lower bound; RmsNorm: eps.
  double value = 0;
  /// Clamp: the upper bound.
  double value2 = 0;
  /// ReduceSum: the reduced dim; RmsNorm: the number of normalized dims.
  int64_t dim = 0;

  int getNumOperands() const;
  bool isElementwise() const;
  bool isCommutative() const {
    return kind == OpKind::Add || kind == OpKind::Mul;
  }
  /// Whether the op is linear in operand `i` (the others fixed): such ops
  /// may be applied to partial sums before they are combined.
  bool isLinearIn(unsigned i) const;
  std::string getName() const;
  bool operator==(const OpSpec &other) const {
    return kind == other.kind && value == other.value &&
           value2 == other.value2 && dim == other.dim;
  }

  /// The spec of a kernel-level compute op, or a diagnostic explaining why
  /// the superoptimizer does not support it.
  static FailureOr<OpSpec> fromOperation(Operation *op);

  /// Creates the mirage op on `operands` (tensors or tiles; the result type
  /// is inferred).
  Value build(OpBuilder &builder, Location loc, ValueRange operands) const;

  /// The result's shape and index ids for operands `operands`, or failure if
  /// the shapes or indices do not fit. `unify(a, b)` is asked whether two
  /// index ids that the op identifies (a contraction, aligned dims) may be
  /// the same; the target analysis merges them, the search only accepts
  /// equal ones.
  LogicalResult inferResult(ArrayRef<const TensorInfo *> operands,
                            function_ref<bool(int, int)> unify,
                            SmallVectorImpl<int64_t> &shape,
                            SmallVectorImpl<int> &indices) const;

  /// The op's abstract expression, built (or, in lookup mode, looked up)
  /// with `builder`; none if a node is missing in lookup mode.
  std::optional<EClassId>
  buildExpr(ExprBuilder &builder, ArrayRef<const TensorInfo *> operands) const;
};

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_OPSPEC_H
