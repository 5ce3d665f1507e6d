//===- SharedMemoryLayoutTest.cpp - Bank conflicts and padded tiles -------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The bank-conflict model on accesses whose conflicts are worked out by hand
// in the comments (32 banks of 4-byte words), and the padding it chooses.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryLayout.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::mirage;

namespace {

SmallVector<int64_t> lanes(function_ref<int64_t(int64_t)> address) {
  SmallVector<int64_t> addresses;
  for (int64_t l = 0; l < 32; ++l)
    addresses.push_back(address(l));
  return addresses;
}

TEST(BankConflicts, ScalarAccesses) {
  // Consecutive words: one per bank.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 4 * l; }), 4), 1);
  // Every lane the same word: a broadcast.
  EXPECT_EQ(countWavefronts(lanes([](int64_t) { return 64; }), 4), 1);
  // Halves: lanes 2i and 2i + 1 share a word; 16 words, 16 banks.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 2 * l; }), 2), 1);
  // A 128-byte stride: every lane in bank 0, 32 distinct words.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 128 * l; }), 4), 32);
  // A 64-byte stride: banks 0 and 16, 16 words each.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 64 * l; }), 4), 16);
  // An 8-byte stride on 4-byte accesses: banks 0, 2, ..., 30, two words each.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 8 * l; }), 4), 2);
}

TEST(BankConflicts, WideAccesses) {
  // 512 contiguous bytes in 16-byte accesses: four quarter-warp phases of
  // one row of banks each.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 16 * l; }), 16), 4);
  // 256 contiguous bytes in 8-byte accesses: two half-warp phases.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 8 * l; }), 8), 2);
  // 16-byte accesses 256 bytes apart: in each phase the 8 lanes ask banks
  // 0-3 for 8 different words: 8 per phase, 32 in all.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 256 * l; }), 16), 32);
  // 16-byte accesses 144 bytes apart: lane i of a phase starts at word 36i,
  // bank 4i mod 32; the 8 lanes cover the 32 banks once.
  EXPECT_EQ(countWavefronts(lanes([](int64_t l) { return 144 * l; }), 16), 4);
}

TEST(BankConflicts, MmaFragmentsOnUnpaddedTiles) {
  // A fragments of a [M, 128] f16 tile (256-byte rows): lane 4g + q reads
  // word 64g + q, bank q: banks 0-3 each asked for 8 words.
  EXPECT_EQ(countWavefronts(TileAccess::MmaA, 256, 256), 8);
  // 64-half rows (128 bytes): the same.
  EXPECT_EQ(countWavefronts(TileAccess::MmaA, 128, 128), 8);
  // 32-half rows (64 bytes): word 16g + q, banks q and 16 + q, 4 each.
  EXPECT_EQ(countWavefronts(TileAccess::MmaA, 64, 64), 4);
  // B fragments of a [K, 64] f16 tile: lane 4g + q reads the half at row
  // 2q, column g: word 64q + g/2, bank g/2; banks 0-3 are asked for the
  // 4 words of rows 0, 2, 4, 6.
  EXPECT_EQ(countWavefronts(TileAccess::MmaB, 128, 128), 4);
  // ldmatrix on 128-byte rows: the 8 row addresses of a phase all start in
  // bank 0.
  EXPECT_EQ(countWavefronts(TileAccess::LdMatrix, 128, 128), 32);
  // Vector copies of 128-byte rows: one row of banks per phase.
  EXPECT_EQ(countWavefronts(TileAccess::VectorCopy, 128, 128), 4);
}

TEST(BankConflicts, PaddingBy16BytesRemovesThem) {
  // Rows 272 bytes apart: A's lane 4g + q reads word 68g + q, bank 4g + q.
  EXPECT_EQ(countWavefronts(TileAccess::MmaA, 256, 272), 1);
  // Rows 144 bytes apart: B's lane reads word 72q + g/2, bank 8q + g/2.
  EXPECT_EQ(countWavefronts(TileAccess::MmaB, 128, 144), 1);
  // Rows 80 bytes apart: A's lane reads word 20g + q; 20g mod 32 is 0, 20,
  // 8, 28, 16, 4, 24, 12: distinct multiples of 4.
  EXPECT_EQ(countWavefronts(TileAccess::MmaA, 64, 80), 1);
  // ldmatrix: row r of a phase starts at word 36r, bank 4r.
  EXPECT_EQ(countWavefronts(TileAccess::LdMatrix, 128, 144), 4);
  // A copy phase still writes one 128-byte row.
  EXPECT_EQ(countWavefronts(TileAccess::VectorCopy, 128, 144), 4);
  // 64-byte rows: a copy phase writes two rows, bytes 0-63 (banks 0-15)
  // and 80-143 (banks 20-31, 0-3): banks 0-3 twice, in each of 4 phases.
  EXPECT_EQ(countWavefronts(TileAccess::VectorCopy, 64, 80), 8);
}

TEST(RowPadding, ChoosesTheCheapestPadding) {
  // mma operands with rows a multiple of 128 bytes: 16 bytes is enough.
  EXPECT_EQ(chooseRowPadding(256, {TileAccess::VectorCopy, TileAccess::MmaA}),
            16);
  EXPECT_EQ(chooseRowPadding(128, {TileAccess::VectorCopy, TileAccess::MmaB}),
            16);
  // 64-byte rows: unpadded, copies take 4 wavefronts and A loads 4 (four
  // times as many A loads cover the tile: 4 + 4·4 = 20); padded by 16, 8
  // and 1 (8 + 4 = 12). 48, 80 and 112 tie with 16 (A conflict-free, copies
  // 2-way); the smallest wins.
  EXPECT_EQ(chooseRowPadding(64, {TileAccess::VectorCopy, TileAccess::MmaA}),
            16);
  // Conflict-free already: no padding.
  EXPECT_EQ(chooseRowPadding(128, {TileAccess::VectorCopy}), 0);
  EXPECT_EQ(chooseRowPadding(128, {}), 0);
  // Rows that are not whole 16-byte chunks are left alone.
  EXPECT_EQ(chooseRowPadding(24, {TileAccess::MmaA}), 0);
}

} // namespace
