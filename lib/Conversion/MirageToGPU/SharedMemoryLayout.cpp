//===- SharedMemoryLayout.cpp - Bank conflicts and padded tiles -----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryLayout.h"

#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <cassert>

using namespace mlir;
using namespace mlir::mirage;

/// Bytes one phase of a warp's access covers at most: a row of banks.
static constexpr int64_t kPhaseBytes = kSharedMemoryBanks * kBankWordBytes;
static constexpr int64_t kWarpSize = 32;

int64_t mlir::mirage::countWavefronts(ArrayRef<int64_t> addresses,
                                      int64_t accessBytes) {
  assert(addresses.size() <= kWarpSize && accessBytes > 0 &&
         accessBytes <= 16 && "a warp's access of at most 16 bytes per lane");
  // Lanes per phase: all 32 up to 32-bit accesses, 128 bytes' worth above.
  int64_t lanesPerPhase = std::min<int64_t>(
      kWarpSize, kPhaseBytes / std::max(accessBytes, kBankWordBytes));
  int64_t total = 0;
  for (size_t first = 0; first < addresses.size(); first += lanesPerPhase) {
    size_t last = std::min<size_t>(addresses.size(), first + lanesPerPhase);
    // Distinct words asked of each bank in this phase.
    llvm::DenseSet<int64_t> words;
    SmallVector<int64_t> perBank(kSharedMemoryBanks, 0);
    for (size_t l = first; l < last; ++l) {
      int64_t begin = addresses[l] / kBankWordBytes;
      int64_t end =
          (addresses[l] + accessBytes + kBankWordBytes - 1) / kBankWordBytes;
      for (int64_t word = begin; word < end; ++word)
        if (words.insert(word).second)
          ++perBank[word % kSharedMemoryBanks];
    }
    total += std::max<int64_t>(1, *llvm::max_element(perBank));
  }
  return total;
}

int64_t mlir::mirage::countWavefronts(TileAccess access, int64_t rowBytes,
                                      int64_t rowStride) {
  assert(rowBytes > 0 && rowStride >= rowBytes && "a tile's rows");
  SmallVector<int64_t, 32> addresses;
  // The byte address of byte `col` of row `row`, the column wrapped into the
  // row (a pattern wider than the tile's rows reads it again).
  auto at = [&](int64_t row, int64_t col) {
    return row * rowStride + col % rowBytes;
  };
  switch (access) {
  case TileAccess::VectorCopy:
    for (int64_t l = 0; l < kWarpSize; ++l)
      addresses.push_back(at(16 * l / rowBytes, 16 * l % rowBytes));
    return countWavefronts(addresses, 16);
  case TileAccess::MmaA:
    for (int64_t l = 0; l < kWarpSize; ++l)
      addresses.push_back(at(l / 4, 4 * (l % 4)));
    return countWavefronts(addresses, 4);
  case TileAccess::MmaB:
    for (int64_t l = 0; l < kWarpSize; ++l)
      addresses.push_back(at(2 * (l % 4), 2 * (l / 4)));
    return countWavefronts(addresses, 2);
  case TileAccess::LdMatrix:
    // ldmatrix.x4 over a 16x16 block: lanes 0-15 give rows 0-15 of the
    // left 8 columns, lanes 16-31 those of the right 8.
    for (int64_t l = 0; l < kWarpSize; ++l)
      addresses.push_back(at(l % 16, 16 * (l / 16)));
    return countWavefronts(addresses, 16);
  }
  llvm_unreachable("unknown tile access");
}

/// The bytes one warp-wide `access` moves.
static int64_t getWarpBytes(TileAccess access) {
  switch (access) {
  case TileAccess::VectorCopy:
  case TileAccess::LdMatrix:
    return kWarpSize * 16;
  case TileAccess::MmaA:
    return kWarpSize * 4;
  case TileAccess::MmaB:
    return kWarpSize * 2;
  }
  llvm_unreachable("unknown tile access");
}

int64_t mlir::mirage::chooseRowPadding(int64_t rowBytes,
                                       ArrayRef<TileAccess> accesses) {
  if (rowBytes <= 0 || rowBytes % 16 != 0 || accesses.empty())
    return 0;
  int64_t best = 0, bestCost = -1;
  for (int64_t padding = 0; padding < kPhaseBytes; padding += 16) {
    int64_t cost = 0;
    for (TileAccess access : accesses)
      cost += countWavefronts(access, rowBytes, rowBytes + padding) *
              (getWarpBytes(TileAccess::VectorCopy) / getWarpBytes(access));
    if (bestCost < 0 || cost < bestCost) {
      best = padding;
      bestCost = cost;
    }
  }
  return best;
}
