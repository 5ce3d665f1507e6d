//===- MatrixDescriptor.h - wgmma shared-memory matrix descriptors -*- C++
//-*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The 64-bit descriptor through which Hopper's warpgroup MMA
// (`wgmma.mma_async`, sm_90a) reads an operand from shared memory, and the
// one layout the lowering keeps wgmma operands in.
//
// Descriptor fields (PTX ISA 8.0, "Matrix Descriptor Format" under
// "Asynchronous Warpgroup Level Matrix Multiply-Accumulate"): bits 0-13 the
// start address, 16-29 the leading dimension byte offset, 32-45 the stride
// dimension byte offset (each a shared-memory byte address or offset,
// (x mod 2^18) >> 4), bits 49-51 the matrix base offset, bits 62-63 the
// swizzle mode (0 none, 1 128-byte, 2 64-byte, 3 32-byte).
//
// The layout ("MN-major", 128-byte swizzle; PTX ISA, "Shared Memory Matrix
// Layout"; CUTLASS's make_gmma_desc<Major::MN>): a [K, N] operand whose N
// is contiguous, N a multiple of 64, is stored as N / 64 column blocks, each
// a [K, 64] array of 128-byte rows; in each, the 16-byte chunks of a row are
// permuted by the swizzle, chunk c of row k sitting at chunk c XOR (k mod 8).
// The hardware applies the swizzle to address bits (bits 4-6 XOR bits 7-9),
// so a block must start 1024-byte aligned for the two to agree. For such
// an operand the stride dimension byte offset is the step between groups of
// 8 rows along K (8 × 128 bytes) and the leading dimension byte offset the
// step between column blocks (K × 128 bytes).
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_CONVERSION_MIRAGETOGPU_MATRIXDESCRIPTOR_H
#define MIRAGE_CONVERSION_MIRAGETOGPU_MATRIXDESCRIPTOR_H

#include <cstdint>

namespace mlir {
namespace mirage {

/// Swizzle modes of a matrix descriptor, by their encoding.
enum class SwizzleMode : uint64_t {
  None = 0,
  Bytes128 = 1,
  Bytes64 = 2,
  Bytes32 = 3
};

/// Bytes of one swizzled row (and the repeat of the pattern, ×8).
constexpr int64_t kSwizzleRowBytes = 128;
/// Elements of a 16-bit operand per swizzled row: the column-block width.
constexpr int64_t kSwizzleBlockColumns = 64;

/// The fields of a wgmma matrix descriptor, in bytes.
struct MatrixDescriptor {
  uint64_t startAddress = 0;
  uint64_t leadingByteOffset = 0;
  uint64_t strideByteOffset = 0;
  uint64_t baseOffset = 0;
  SwizzleMode swizzle = SwizzleMode::None;

  /// The 64-bit encoding. Addresses and offsets keep bits 4-17 (they are
  /// 16-byte aligned and shared memory is below 256 KB).
  uint64_t encode() const;
  /// The fields of an encoding (the inverse of encode on its domain).
  static MatrixDescriptor decode(uint64_t bits);
};

/// The descriptor of rows kStart .. and columns nStart .. of a [K, N] 16-bit
/// operand in the MN-major 128-byte-swizzled layout starting at shared
/// address `base` (1024-byte aligned); kStart a multiple of 8, nStart of 64.
MatrixDescriptor getSwizzledMnMajorDescriptor(uint64_t base, int64_t rows,
                                              int64_t kStart, int64_t nStart);

/// The byte offset of element (k, n) of a [K, N] 16-bit operand in the
/// MN-major 128-byte-swizzled layout, from the layout's start.
int64_t getSwizzledMnMajorOffset(int64_t rows, int64_t k, int64_t n);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_CONVERSION_MIRAGETOGPU_MATRIXDESCRIPTOR_H
