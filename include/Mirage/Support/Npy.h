//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reading and writing single arrays in NumPy's .npy format (versions 1.0, 2.0
// and 3.0, as specified in numpy/lib/format.py), so that mirage-run's inputs
// and outputs can be produced and checked with NumPy.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_NPY_H
#define MIRAGE_SUPPORT_NPY_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace mirage {

/// One .npy array: element kind and size from the dtype descriptor, the
/// shape, and the raw little-endian, C-order (row-major) data.
struct NpyArray {
  /// NumPy's kind character: 'f' float, 'i' signed, 'u' unsigned, 'b' bool.
  char kind = 'f';
  /// Bytes per element (2 for float16, 4 for float32, ...).
  unsigned itemSize = 4;
  llvm::SmallVector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
  /// The dtype as NumPy names it, e.g. "float16".
  std::string dtypeName() const;
};

/// Parses a .npy file held in memory. Errors name the problem: bad magic,
/// unsupported version, malformed header, big-endian or Fortran-order data,
/// structured dtypes, or a data section shorter than the shape requires.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef contents);

/// Reads and parses a .npy file; errors are prefixed with the path.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Serialises an array in .npy format version 1.0 (2.0 if the header needs
/// it). `array.data` must hold exactly numElements() * itemSize bytes.
std::string serializeNpy(const NpyArray &array);

/// Writes an array to a .npy file.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SUPPORT_NPY_H
