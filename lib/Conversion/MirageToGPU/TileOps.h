//===- TileOps.h - Tile ops as linalg ops on memrefs ------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The op families of block graphs at tile level: each emits linalg ops on
// memref buffers (tiles in shared memory, f32 accumulators and scratch),
// computing in f32 whatever the buffers' element types, as the reference
// interpreter does. Shared by convert-mirage-to-gpu; internal to the
// conversion library.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_LIB_CONVERSION_MIRAGETOGPU_TILEOPS_H
#define MIRAGE_LIB_CONVERSION_MIRAGETOGPU_TILEOPS_H

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "mlir/IR/Builders.h"

namespace mlir {
namespace mirage {
namespace tile {

/// `x` widened to f32 (f16 and bf16 exactly; f32 as is).
Value toF32(OpBuilder &b, Location loc, Value x);
/// An f32 `x` rounded to `type` (round to nearest even).
Value fromF32(OpBuilder &b, Location loc, Value x, Type type);

/// The f32 value of an elementwise compute op (exp, add, clamp, ...) of f32
/// operands, as the reference interpreter computes it; failure for ops that
/// are not elementwise.
FailureOr<Value> emitScalarOp(OpBuilder &b, Location loc, Operation *op,
                              ValueRange operands);

/// The indexing map that reads an operand of shape `operand` at a point of
/// the iteration space `iteration` under NumPy broadcasting (trailing dims
/// aligned; extent-1 dims read index 0).
AffineMap getBroadcastMap(ArrayRef<int64_t> operand,
                          ArrayRef<int64_t> iteration, MLIRContext *context);

/// output[i] = body(inputs broadcast to output's shape, widened to f32),
/// rounded to output's element type. Inputs may alias the output.
void emitElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, Value output,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// Fills `buffer` with `value`.
void emitFill(OpBuilder &b, Location loc, Value buffer, double value);

/// Copies `from` into `to` (same shape), converting the element type.
void emitConvert(OpBuilder &b, Location loc, Value from, Value to);

/// acc += lhs · rhs for (batched, batch-broadcast) matmul tiles; `acc` is f32
/// with the result's shape.
void emitMatmulAccumulate(OpBuilder &b, Location loc, Value lhs, Value rhs,
                          Value acc);

/// acc = combine(acc, input reduced over `dim` down to acc's extent s:
/// acc[j] ⊕= input[c·s + j] for every chunk c), ⊕ being + (sum) or max;
/// `acc` is f32.
void emitReduceAccumulate(OpBuilder &b, Location loc, Value input, Value acc,
                          int64_t dim, ReduceKind kind);

/// output = x / sqrt(Σ x² / n + eps) over the trailing `normalizedRank`
/// dims, with `sumSquares` an f32 scratch buffer of x's shape with those
/// dims of extent 1.
void emitRmsNorm(OpBuilder &b, Location loc, Value x, Value sumSquares,
                 Value output, unsigned normalizedRank, double eps);

/// Marks the tile level's copy of the next for-loop iteration's tile into
/// the free slot of a double buffer; mirage-map-tiles-to-threads issues it
/// as cp.async and waits for it at the top of the next iteration.
constexpr llvm::StringLiteral kAsyncCopyAttrName = "mirage.async_copy";
/// On a memref.view of shared memory whose byte shift is not a constant
/// (a double buffer's slot): the [begin, end) byte range it may cover.
constexpr llvm::StringLiteral kSharedBytesAttrName = "mirage.shared_bytes";
/// On each memref.view of a tile the shared-memory assignment reserved for
/// the 128-byte-swizzled layout (a warpgroup-MMA B operand: unpadded,
/// 1024-byte aligned); mirage-map-tiles-to-threads keeps the tile swizzled
/// when every access to these views allows it.
constexpr llvm::StringLiteral kSwizzledAttrName = "mirage.swizzled";

} // namespace tile
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_LIB_CONVERSION_MIRAGETOGPU_TILEOPS_H
