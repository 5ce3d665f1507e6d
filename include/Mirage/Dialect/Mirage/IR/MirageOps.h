//===- MirageOps.h - Mirage kernel-level ops --------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_MIRAGEOPS_H
#define MIRAGE_DIALECT_MIRAGE_IR_MIRAGEOPS_H

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Mirage/Dialect/Mirage/IR/MirageEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "Mirage/Dialect/Mirage/IR/MirageAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "Mirage/Dialect/Mirage/IR/MirageOpsTypes.h.inc"

namespace mlir {
namespace mirage {

/// True for the tensors kernel-level ops accept: a ranked tensor with a static
/// shape, rank >= 1, every dim > 0, no encoding, element type f16, bf16 or
/// f32.
bool isKernelTensorType(Type type);

/// True for the values compute ops accept: kernel tensors and tiles.
bool isComputeValueType(Type type);

/// Infers the NumPy-broadcast result type of an elementwise binary op: shapes
/// aligned at the last dim; each pair of dims equal or one of them 1. Emits an
/// error at `location` (when given), prefixed with `opName`, naming both
/// shapes if they do not broadcast.
LogicalResult inferBroadcastResultType(std::optional<Location> location,
                                       StringRef opName, Type lhs, Type rhs,
                                       SmallVectorImpl<Type> &inferred);

/// The NumPy broadcast of two shapes, or failure if some aligned pair of dims
/// differs and neither is 1.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs);

/// The shape `lhs · rhs` of a batched matmul, or failure with a message in
/// `why` (ranks differ or < 2, contraction dims differ, batch dims do not
/// broadcast).
FailureOr<SmallVector<int64_t>> inferMatmulShape(ArrayRef<int64_t> lhs,
                                                 ArrayRef<int64_t> rhs,
                                                 std::string *why = nullptr);

/// Formats a shape as `2x256x64`, as in tensor types.
std::string formatShape(ArrayRef<int64_t> shape);

namespace detail {
/// Verifies `op` against the result types `infer` computes; emits the
/// inference's own error, or a mismatch naming both types.
LogicalResult
verifyInferredType(Operation *op,
                   function_ref<LogicalResult(SmallVectorImpl<Type> &)> infer);

/// Verifies that `op`'s operands and results are all kernel tensors (outside
/// any graph-defined kernel) or all tiles (inside one).
LogicalResult verifySameLevel(Operation *op);
} // namespace detail

/// Op trait: a compute op works either on kernel tensors in a kernel graph or
/// on tiles in a block graph, never on a mix.
template <typename ConcreteType>
class SameLevel : public OpTrait::TraitBase<ConcreteType, SameLevel> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return detail::verifySameLevel(op);
  }
};

/// Op trait: run an op's type inference as its verifier, so that a shape error
/// is reported once, with the inference's specific message.
template <typename ConcreteType>
class VerifyInferredType
    : public OpTrait::TraitBase<ConcreteType, VerifyInferredType> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return detail::verifyInferredType(op, [&](SmallVectorImpl<Type> &types) {
      return ConcreteType::inferReturnTypes(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
          op->getRegions(), types);
    });
  }
};

} // namespace mirage
} // namespace mlir

#define GET_OP_CLASSES
#include "Mirage/Dialect/Mirage/IR/MirageOps.h.inc"

#endif // MIRAGE_DIALECT_MIRAGE_IR_MIRAGEOPS_H
