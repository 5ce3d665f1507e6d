//===- ShapeLimits.cpp - Largest tensors and tiles Mirage accepts ---------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/ShapeLimits.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/Operation.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::mirage;

std::optional<int64_t>
mlir::mirage::getCheckedNumElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::nullopt;
  return n;
}

std::optional<int64_t>
mlir::mirage::getCheckedSizeInBytes(ArrayRef<int64_t> shape,
                                    int64_t elementBytes) {
  std::optional<int64_t> n = getCheckedNumElements(shape);
  int64_t bytes;
  if (!n || llvm::MulOverflow(*n, elementBytes, bytes))
    return std::nullopt;
  return bytes;
}

std::optional<std::string>
mlir::mirage::checkShapeLimits(ArrayRef<int64_t> shape, Type elementType) {
  for (auto [d, extent] : llvm::enumerate(shape))
    if (extent > kMaxDimExtent)
      return llvm::formatv("dim {0} has extent {1}, more than {2} (2^31 - 1)",
                           d, extent, kMaxDimExtent)
          .str();
  int64_t elementBytes =
      std::max<int64_t>(1, elementType.getIntOrFloatBitWidth() / 8);
  std::optional<int64_t> bytes = getCheckedSizeInBytes(shape, elementBytes);
  if (!bytes)
    return llvm::formatv("its size overflows 64-bit integers; a tensor takes "
                         "at most {0} bytes (2^40)",
                         kMaxTensorBytes)
        .str();
  if (*bytes > kMaxTensorBytes)
    return llvm::formatv("it takes {0} bytes, more than {1} (2^40)", *bytes,
                         kMaxTensorBytes)
        .str();
  return std::nullopt;
}

LogicalResult mlir::mirage::verifyShapeLimits(Operation *op) {
  auto check = [&](Type type, StringRef what, unsigned index) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasStaticShape() ||
        !shaped.getElementType().isIntOrFloat())
      return success();
    std::optional<std::string> why =
        checkShapeLimits(shaped.getShape(), shaped.getElementType());
    if (!why)
      return success();
    // Printed by hand: a diagnostic would quote the type.
    std::string text;
    llvm::raw_string_ostream os(text);
    os << type;
    return op->emitOpError() << what << " #" << index << " (" << text
                             << ") is too large: " << *why;
  };
  for (auto [i, type] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(type, "operand", i)))
      return failure();
  for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(type, "result", i)))
      return failure();
  return success();
}
