//===- SharedMemoryLayout.h - Bank conflicts and padded tiles ---*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A model of shared-memory bank conflicts, and the row padding of a tile
// that makes the accesses the lowering emits on it conflict-free.
//
// The model (CUDA C++ Programming Guide, "Shared Memory" under compute
// capabilities 5.x and later, which sm_80 and sm_90 follow): shared memory
// has 32 banks, successive 32-bit words in successive banks. A warp's access
// is served in as many wavefronts as the most distinct words any one bank
// is asked for; lanes reading the same word share it (broadcast). Accesses
// wider than 32 bits are served in phases: 64-bit accesses per half-warp,
// 128-bit accesses per quarter-warp (8 lanes × 16 bytes = the 128 bytes of
// one row of banks), each phase counted as above. The model ignores that
// writes of one word by several lanes are serialised by the hardware in an
// unspecified order (they still take one wavefront).
//
// Tiles are row-major. Padding each row by `p` bytes changes the row stride
// from the row's bytes R to R + p and so which bank each row starts in; it
// costs p bytes per row of shared memory. Paddings are multiples of 16 bytes
// so that rows stay aligned for 128-bit accesses and ldmatrix.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYLAYOUT_H
#define MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYLAYOUT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir {
namespace mirage {

/// Shared-memory banks and the bytes of one bank word (sm_50 and later).
constexpr int64_t kSharedMemoryBanks = 32;
constexpr int64_t kBankWordBytes = 4;

/// The wavefronts one warp-wide shared-memory access takes: lane l accesses
/// `accessBytes` (1, 2, 4, 8 or 16) bytes at byte address `addresses[l]`
/// (at most 32 lanes; an address must be aligned to `accessBytes`). 1 means
/// conflict-free; k means a k-way bank conflict.
int64_t countWavefronts(ArrayRef<int64_t> addresses, int64_t accessBytes);

/// A warp-wide access pattern the lowering emits on a tile in shared memory.
enum class TileAccess {
  /// 128-bit copies (mirage-map-tiles-to-threads' vectorised copies): lane
  /// l of a warp writes or reads the l-th 16-byte chunk of the tile, chunks
  /// in row-major order.
  VectorCopy,
  /// The A fragment loads of mma.sync m16n8k16 on an f16/bf16 [M, K] tile:
  /// lane l = 4g + q reads the 32-bit word at row g, byte 4q (PTX ISA,
  /// "Matrix Fragments for mma.m16n8k16 with floating point type").
  MmaA,
  /// The B fragment loads of mma.sync m16n8k16 on a row-major [K, N] tile:
  /// lane l = 4g + q reads the 16-bit elements at rows 2q and 2q + 1,
  /// column g (one load each).
  MmaB,
  /// ldmatrix: 8 lanes a phase each give the address of a 16-byte row of an
  /// 8x8 matrix of 16-bit elements, rows 0..7 of the tile at one column.
  LdMatrix,
};

/// The wavefronts `access` takes on a tile whose rows hold `rowBytes`
/// bytes and start `rowStride` bytes apart (rowStride >= rowBytes).
int64_t countWavefronts(TileAccess access, int64_t rowBytes, int64_t rowStride);

/// The row padding in bytes (a multiple of 16, below 128) that minimises the
/// wavefronts of `accesses` on a tile with rows of `rowBytes` bytes, each
/// access pattern weighted by the warp-wide accesses one pass over the tile
/// takes with it (a 128-bit copy moves 512 bytes a warp, an A fragment load
/// 128, a B fragment load 64: so a conflict in B's loads costs 8 times one
/// in the copy that filled the tile). The smallest such padding when
/// several tie, so a tile whose accesses are conflict-free already is not
/// padded. 0 when the rows are not a multiple of 16 bytes.
int64_t chooseRowPadding(int64_t rowBytes, ArrayRef<TileAccess> accesses);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_CONVERSION_MIRAGETOGPU_SHAREDMEMORYLAYOUT_H
