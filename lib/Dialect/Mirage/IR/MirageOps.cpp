//===- MirageOps.cpp - Mirage kernel-level ops ------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Shape inference and verification of the kernel-level ops. Every rule that a
// user can break gets a message naming the shapes involved; see
// test/Dialect/Mirage/invalid.mlir for one case per message.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/IR/ShapeLimits.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool mlir::mirage::isKernelTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getEncoding() || tensor.getRank() < 1)
    return false;
  if (!tensor.getElementType().isF16() && !tensor.getElementType().isBF16() &&
      !tensor.getElementType().isF32())
    return false;
  return llvm::all_of(tensor.getShape(), [](int64_t d) {
    return !ShapedType::isDynamic(d) && d > 0;
  });
}

bool mlir::mirage::isComputeValueType(Type type) {
  return isKernelTensorType(type) || isa<TileType>(type);
}

std::string mlir::mirage::formatShape(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s;
}

FailureOr<SmallVector<int64_t>>
mlir::mirage::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align at the last dim; a missing leading dim behaves as 1.
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1)
      return failure();
    result[i] = l == 1 ? r : l;
  }
  return result;
}

LogicalResult
mlir::mirage::inferBroadcastResultType(std::optional<Location> location,
                                       StringRef opName, Type lhs, Type rhs,
                                       SmallVectorImpl<Type> &inferred) {
  auto lhsType = dyn_cast<ShapedType>(lhs);
  auto rhsType = dyn_cast<ShapedType>(rhs);
  if (!isComputeValueType(lhs) || !isComputeValueType(rhs))
    return emitOptionalError(location, "'", opName,
                             "' op operands must be tensors or tiles");
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(lhsType.getShape(), rhsType.getShape());
  if (failed(shape))
    return emitOptionalError(location, "'", opName, "' op operand shapes ",
                             formatShape(lhsType.getShape()), " and ",
                             formatShape(rhsType.getShape()),
                             " do not broadcast");
  inferred.push_back(lhsType.clone(*shape));
  return success();
}

LogicalResult mlir::mirage::detail::verifySameLevel(Operation *op) {
  auto types =
      llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes());
  bool anyTile = llvm::any_of(types, [](Type t) { return isa<TileType>(t); });
  bool anyTensor =
      llvm::any_of(types, [](Type t) { return isa<TensorType>(t); });
  if (anyTile && anyTensor)
    return op->emitOpError("operands and results must all be kernel tensors "
                           "or all be tiles");
  bool inKernel = op->getParentOfType<GraphKernelOp>() != nullptr;
  if (anyTile && !inKernel)
    return op->emitOpError("works on tiles, which exist only inside a "
                           "mirage.graph_kernel");
  if (anyTensor && inKernel)
    return op->emitOpError("works on kernel tensors, which a block graph reads "
                           "only through mirage.input_iterator");
  return verifyShapeLimits(op);
}

LogicalResult mlir::mirage::detail::verifyInferredType(
    Operation *op, function_ref<LogicalResult(SmallVectorImpl<Type> &)> infer) {
  SmallVector<Type> inferred;
  if (failed(infer(inferred)))
    return failure();
  if (TypeRange(inferred) != op->getResultTypes())
    return op->emitOpError()
           << "result type " << op->getResultTypes()
           << " does not match the inferred type " << TypeRange(inferred);
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
mlir::mirage::inferMatmulShape(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                               std::string *why) {
  auto fail = [&](std::string message) -> FailureOr<SmallVector<int64_t>> {
    if (why)
      *why = std::move(message);
    return failure();
  };
  if (lhs.size() < 2 || rhs.size() < 2)
    return fail(llvm::formatv("operands must have rank >= 2, got {0} and {1}",
                              lhs.size(), rhs.size()));
  if (lhs.size() != rhs.size())
    return fail(llvm::formatv("operands must have the same rank, got {0} "
                              "({1}) and {2} ({3})",
                              lhs.size(), formatShape(lhs), rhs.size(),
                              formatShape(rhs)));
  size_t rank = lhs.size();
  int64_t m = lhs[rank - 2], k = lhs[rank - 1];
  int64_t k2 = rhs[rank - 2], n = rhs[rank - 1];
  if (k != k2)
    return fail(llvm::formatv("contraction dims differ: lhs is {0}x{1} (m x "
                              "k) but rhs is {2}x{3} (k x n)",
                              m, k, k2, n));
  FailureOr<SmallVector<int64_t>> batch =
      broadcastShapes(lhs.drop_back(2), rhs.drop_back(2));
  if (failed(batch))
    return fail(llvm::formatv("batch dims {0} and {1} do not broadcast",
                              formatShape(lhs.drop_back(2)),
                              formatShape(rhs.drop_back(2))));
  SmallVector<int64_t> result = *batch;
  result.push_back(m);
  result.push_back(n);
  return result;
}

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (!isComputeValueType(adaptor.getLhs().getType()) ||
      !isComputeValueType(adaptor.getRhs().getType()))
    return emitOptionalError(location, "'", getOperationName(),
                             "' op operands must be tensors or tiles");
  auto lhs = cast<ShapedType>(adaptor.getLhs().getType());
  auto rhs = cast<ShapedType>(adaptor.getRhs().getType());
  std::string why;
  FailureOr<SmallVector<int64_t>> shape =
      inferMatmulShape(lhs.getShape(), rhs.getShape(), &why);
  if (failed(shape))
    return emitOptionalError(location, "'", getOperationName(), "' op ", why);
  inferred.push_back(lhs.clone(*shape));
  return success();
}

//===----------------------------------------------------------------------===//
// MulScalarOp, ClampOp
//===----------------------------------------------------------------------===//

LogicalResult MulScalarOp::verify() {
  if (!std::isfinite(getScalar().convertToFloat()))
    return emitOpError("scalar must be finite");
  return success();
}

LogicalResult ClampOp::verify() {
  float lo = getMin().convertToFloat(), hi = getMax().convertToFloat();
  if (std::isnan(lo) || std::isnan(hi))
    return emitOpError("bounds must not be NaN");
  if (lo > hi)
    return emitOpError() << "min (" << lo << ") must not exceed max (" << hi
                         << ")";
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceOp
//===----------------------------------------------------------------------===//

/// The reduction kind prints as a bare keyword: `mirage.reduce sum %x ...`.
static ParseResult parseReduceKind(OpAsmParser &parser,
                                   ReduceKindAttr &kindAttr) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<ReduceKind> kind = symbolizeReduceKind(keyword);
  if (!kind)
    return parser.emitError(loc, "expected reduction kind 'sum' or 'max', "
                                 "got '")
           << keyword << "'";
  kindAttr = ReduceKindAttr::get(parser.getContext(), *kind);
  return success();
}

static void printReduceKind(OpAsmPrinter &printer, Operation *,
                            ReduceKindAttr kind) {
  printer << stringifyReduceKind(kind.getValue());
}

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  if (!isComputeValueType(adaptor.getInput().getType()))
    return emitOptionalError(location, "'", getOperationName(),
                             "' op operand must be a tensor or tile");
  auto input = cast<ShapedType>(adaptor.getInput().getType());
  int64_t dim = adaptor.getDim();
  int64_t size = adaptor.getSize();
  if (dim < 0 || dim >= input.getRank())
    return emitOptionalError(location, "'", getOperationName(), "' op dim ",
                             dim, " is out of range for rank ",
                             input.getRank());
  if (size <= 0 || input.getDimSize(dim) % size != 0)
    return emitOptionalError(location, "'", getOperationName(), "' op size ",
                             size, " does not divide dim ", dim, " of extent ",
                             input.getDimSize(dim));
  SmallVector<int64_t> shape(input.getShape());
  shape[dim] = size;
  inferred.push_back(input.clone(shape));
  return success();
}

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

int64_t RmsNormOp::getNormalizedSize() {
  int64_t n = 1;
  for (int64_t d : getNormalizedShape())
    n *= d;
  return n;
}

LogicalResult RmsNormOp::verify() {
  ArrayRef<int64_t> normalized = getNormalizedShape();
  ArrayRef<int64_t> shape = cast<ShapedType>(getInput().getType()).getShape();
  if (normalized.empty())
    return emitOpError("normalized_shape must not be empty");
  if (normalized.size() > shape.size() ||
      shape.take_back(normalized.size()) != normalized)
    return emitOpError() << "normalized_shape [" << formatShape(normalized)
                         << "] must equal the trailing dims of the operand ("
                         << formatShape(shape) << ")";
  float eps = getEps().convertToFloat();
  if (!std::isfinite(eps) || eps < 0)
    return emitOpError() << "eps must be finite and non-negative, got " << eps;
  return success();
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> location,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.size() < 2)
    return emitOptionalError(location, "'", getOperationName(),
                             "' op expects at least two operands, got ",
                             inputs.size());
  if (!llvm::all_of(inputs.getTypes(), isComputeValueType))
    return emitOptionalError(location, "'", getOperationName(),
                             "' op operands must be tensors or tiles");
  auto first = cast<ShapedType>(inputs.front().getType());
  int64_t dim = adaptor.getDim();
  if (dim < 0 || dim >= first.getRank())
    return emitOptionalError(location, "'", getOperationName(), "' op dim ",
                             dim, " is out of range for rank ",
                             first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  for (auto [i, input] : llvm::enumerate(inputs.drop_front())) {
    auto type = cast<ShapedType>(input.getType());
    bool compatible = type.getRank() == first.getRank();
    for (int64_t d = 0; compatible && d < first.getRank(); ++d)
      compatible = d == dim || type.getDimSize(d) == first.getDimSize(d);
    if (!compatible)
      return emitOptionalError(
          location, "'", getOperationName(), "' op operand ", i + 1,
          " has shape ", formatShape(type.getShape()),
          ", which does not match operand 0 (", formatShape(first.getShape()),
          ") outside dim ", dim);
    shape[dim] += type.getDimSize(dim);
  }
  inferred.push_back(first.clone(shape));
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t rank = cast<ShapedType>(getInput().getType()).getRank();
  int64_t dim = getDim();
  if (dim >= rank)
    return emitOpError() << "dim " << dim << " is out of range for rank "
                         << rank;
  return success();
}

#define GET_OP_CLASSES
#include "Mirage/Dialect/Mirage/IR/MirageOps.cpp.inc"
