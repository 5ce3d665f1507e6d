//===- MatrixDescriptorTest.cpp - wgmma matrix descriptors ----------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Descriptors checked two ways: encodings worked out by hand from the PTX
// ISA's bit fields, and the addresses the hardware reads through a
// descriptor (the ISA's canonical MN-major 128-byte-swizzled layout,
// computed here from the decoded fields) against the layout the lowering
// stores tiles in (mirage.warpgroup_mma, getSwizzledMnMajorOffset).
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/MatrixDescriptor.h"

#include "gtest/gtest.h"

using namespace mlir::mirage;

namespace {

TEST(MatrixDescriptor, EncodingByHand) {
  // A [64, N] tile at shared address 1024, rows 16.., columns 64..: start
  // 1024 + 64 · 128 (second column block) + 16 · 128 = 11264 = 704 << 4;
  // leading byte offset 64 · 128 = 8192 = 512 << 4; stride byte offset
  // 1024 = 64 << 4; 128-byte swizzle = 1 in bits 62-63.
  MatrixDescriptor d = getSwizzledMnMajorDescriptor(1024, 64, 16, 64);
  EXPECT_EQ(d.startAddress, 11264u);
  EXPECT_EQ(d.leadingByteOffset, 8192u);
  EXPECT_EQ(d.strideByteOffset, 1024u);
  EXPECT_EQ(d.encode(), 0x4000004002000000ull | 704u);
  // Fields survive a round trip; bits above 2^18 are dropped.
  MatrixDescriptor e = MatrixDescriptor::decode(d.encode());
  EXPECT_EQ(e.startAddress, d.startAddress);
  EXPECT_EQ(e.leadingByteOffset, d.leadingByteOffset);
  EXPECT_EQ(e.strideByteOffset, d.strideByteOffset);
  EXPECT_EQ(e.baseOffset, 0u);
  EXPECT_EQ(e.swizzle, SwizzleMode::Bytes128);
  MatrixDescriptor far;
  far.startAddress = (1u << 18) + 32;
  EXPECT_EQ(MatrixDescriptor::decode(far.encode()).startAddress, 32u);
}

TEST(MatrixDescriptor, SwizzledOffsetsByHand) {
  // Row 0 is unpermuted; row 1 swaps chunks pairwise (c XOR 1); row 9 of a
  // 16-row block is row 1 of the second 8-row group; column 64 starts the
  // second column block, K · 128 bytes on.
  EXPECT_EQ(getSwizzledMnMajorOffset(16, 0, 0), 0);
  EXPECT_EQ(getSwizzledMnMajorOffset(16, 0, 9), 16 + 2);
  EXPECT_EQ(getSwizzledMnMajorOffset(16, 1, 0), 128 + 16);
  EXPECT_EQ(getSwizzledMnMajorOffset(16, 1, 8), 128);
  EXPECT_EQ(getSwizzledMnMajorOffset(16, 9, 17), 9 * 128 + 3 * 16 + 2);
  EXPECT_EQ(getSwizzledMnMajorOffset(16, 7, 63), 7 * 128 + 0 * 16 + 14);
  EXPECT_EQ(getSwizzledMnMajorOffset(16, 0, 64), 16 * 128);
}

/// The shared address wgmma reads B(k, n) of a 16-bit MN-major operand at
/// through `desc` (PTX ISA, "Shared Memory Matrix Layout": 8-row groups of
/// 128-byte rows `strideByteOffset` apart along K, 64-column blocks
/// `leadingByteOffset` apart along N, the 128-byte swizzle XORing address
/// bits 7-9 into bits 4-6).
uint64_t hardwareAddress(const MatrixDescriptor &desc, int64_t k, int64_t n) {
  uint64_t linear = desc.startAddress + (n / 64) * desc.leadingByteOffset +
                    (k / 8) * desc.strideByteOffset + (k % 8) * 128 +
                    (n % 64) * 2;
  return linear ^ (((linear >> 7) & 7) << 4);
}

TEST(MatrixDescriptor, ReadsTheSwizzledLayout) {
  // Every k-step and 64-column group a wgmma m64nNk16 reads, for tiles at
  // several 1024-aligned bases: the descriptor's addresses are the
  // layout's.
  for (uint64_t base : {0u, 1024u, 35840u})
    for (int64_t rows : {16, 64, 256})
      for (int64_t blocks : {1, 2, 4})
        for (int64_t kStart = 0; kStart < rows; kStart += 16)
          for (int64_t nStart = 0; nStart < 64 * blocks; nStart += 64) {
            MatrixDescriptor desc = MatrixDescriptor::decode(
                getSwizzledMnMajorDescriptor(base, rows, kStart, nStart)
                    .encode());
            for (int64_t k = 0; k < 16; ++k)
              for (int64_t n = 0; n < 64 * blocks - nStart; ++n)
                ASSERT_EQ(hardwareAddress(desc, k, n),
                          base + getSwizzledMnMajorOffset(rows, kStart + k,
                                                          nStart + n))
                    << "base " << base << " rows " << rows << " k "
                    << kStart + k << " n " << nStart + n;
          }
}

TEST(MatrixDescriptor, MisalignedBaseBreaksTheSwizzle) {
  // The reason for the 1024-byte alignment: 512 bytes off, the hardware's
  // pattern (from address bits) and the layout's (from k) disagree.
  MatrixDescriptor desc = getSwizzledMnMajorDescriptor(512, 16, 0, 0);
  EXPECT_NE(hardwareAddress(desc, 0, 8),
            512 + getSwizzledMnMajorOffset(16, 0, 8));
}

} // namespace
