//===- MatrixDescriptor.cpp - wgmma shared-memory matrix descriptors ------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/MatrixDescriptor.h"

using namespace mlir::mirage;

/// (x mod 2^18) >> 4: the 14-bit field of an address or offset.
static uint64_t field(uint64_t x) { return (x & 0x3FFFF) >> 4; }

uint64_t MatrixDescriptor::encode() const {
  return field(startAddress) | field(leadingByteOffset) << 16 |
         field(strideByteOffset) << 32 | (baseOffset & 0x7) << 49 |
         static_cast<uint64_t>(swizzle) << 62;
}

MatrixDescriptor MatrixDescriptor::decode(uint64_t bits) {
  MatrixDescriptor d;
  d.startAddress = (bits & 0x3FFF) << 4;
  d.leadingByteOffset = (bits >> 16 & 0x3FFF) << 4;
  d.strideByteOffset = (bits >> 32 & 0x3FFF) << 4;
  d.baseOffset = bits >> 49 & 0x7;
  d.swizzle = static_cast<SwizzleMode>(bits >> 62);
  return d;
}

MatrixDescriptor mlir::mirage::getSwizzledMnMajorDescriptor(uint64_t base,
                                                            int64_t rows,
                                                            int64_t kStart,
                                                            int64_t nStart) {
  MatrixDescriptor d;
  d.startAddress = base + getSwizzledMnMajorOffset(rows, kStart, nStart);
  d.leadingByteOffset = rows * kSwizzleRowBytes;
  d.strideByteOffset = 8 * kSwizzleRowBytes;
  d.swizzle = SwizzleMode::Bytes128;
  return d;
}

int64_t mlir::mirage::getSwizzledMnMajorOffset(int64_t rows, int64_t k,
                                               int64_t n) {
  int64_t block = n / kSwizzleBlockColumns, column = n % kSwizzleBlockColumns;
  int64_t chunk = (column / 8) ^ (k % 8);
  return block * rows * kSwizzleRowBytes + k * kSwizzleRowBytes + chunk * 16 +
         column % 8 * 2;
}
