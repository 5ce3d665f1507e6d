//===- ShapeLimits.h - Largest tensors and tiles Mirage accepts -*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Bounds on the shapes of kernel tensors and tiles, checked by the dialect's
// verifier, so that every element count, byte size and index computed from a
// verified shape fits in int64 (docs/dialect.md, "Limits").
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_DIALECT_MIRAGE_IR_SHAPELIMITS_H
#define MIRAGE_DIALECT_MIRAGE_IR_SHAPELIMITS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir {
namespace mirage {

/// Largest extent of one dim: 2^31 - 1, CUDA's largest grid extent (x), so a
/// dim cut into one-element tiles still has a launchable grid.
inline constexpr int64_t kMaxDimExtent = (int64_t(1) << 31) - 1;

/// Largest tensor (or tile), in bytes of its element type: 2^40 (1 TiB),
/// over five times the memory of the largest GPU (192 GB); every element
/// count and byte offset of a verified shape is then below 2^41.
inline constexpr int64_t kMaxTensorBytes = int64_t(1) << 40;

/// The number of elements of `shape` (1 for rank 0), or nullopt when a dim
/// is negative or the product overflows int64.
std::optional<int64_t> getCheckedNumElements(ArrayRef<int64_t> shape);

/// The size in bytes of `shape` with `elementBytes`-byte elements, or
/// nullopt on overflow (as getCheckedNumElements).
std::optional<int64_t> getCheckedSizeInBytes(ArrayRef<int64_t> shape,
                                             int64_t elementBytes);

/// Why `shape` of `elementType` elements is past the limits above ("dim 1
/// has extent ..., more than ..."), or nullopt when it is within them.
std::optional<std::string> checkShapeLimits(ArrayRef<int64_t> shape,
                                            Type elementType);

/// Checks every ranked tensor and tile among `op`'s operands and results
/// against the limits; emits "'op' op operand #i (type) is too large: why"
/// at the first one past them.
LogicalResult verifyShapeLimits(Operation *op);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_DIALECT_MIRAGE_IR_SHAPELIMITS_H
