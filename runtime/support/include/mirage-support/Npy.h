//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Single arrays in NumPy's .npy format (versions 1.0, 2.0 and 3.0, as
// numpy/lib/format.py specifies them), the one reader and writer of
// mirage-run, the interpreter's tensor I/O and mirage-runtime-run. Free of
// LLVM, like the rest of runtime/. Every function reports failure as `false`
// with a message in `error` that names the problem; none throws or aborts.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_NPY_H
#define MIRAGE_SUPPORT_NPY_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mirage {
namespace support {

/// One .npy array: element kind and size from the dtype descriptor, the
/// shape, and the raw little-endian, C-order (row-major) data.
struct NpyArray {
  /// NumPy's kind character: 'f' float, 'i' signed, 'u' unsigned, 'b' bool.
  char kind = 'f';
  /// Bytes per element (2 for float16, 4 for float32, ...).
  unsigned itemSize = 4;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  /// The product of the shape (1 for a 0-d array). Arrays that parseNpy
  /// returns have one that fits; for others it is the caller's to check.
  int64_t numElements() const;
  /// The dtype as NumPy names it, e.g. "float16".
  std::string dtypeName() const;
  /// The shape as Python prints the tuple's contents, e.g. "2, 3" or "5".
  std::string shapeString() const;
};

/// Parses a .npy file held in memory. Errors name the problem: bad magic,
/// unsupported version, truncated or malformed header, big-endian or
/// Fortran-order data, structured dtypes, a shape whose size overflows, or a
/// data section shorter or longer than the shape requires.
bool parseNpy(std::string_view contents, NpyArray &array, std::string &error);

/// Reads and parses the .npy file `path`. Errors: "cannot read '<path>':
/// <reason>", or "'<path>': <what parseNpy reports>".
bool readNpy(const std::string &path, NpyArray &array, std::string &error);

/// The magic string, version, header length and header of `array`'s file:
/// format version 1.0, or 2.0 if the header needs more than 65535 bytes; the
/// header padded with spaces and a newline so that the data starts 64-byte
/// aligned.
std::string npyHeader(const NpyArray &array);

/// The whole file: npyHeader(array) followed by `array.data`.
std::string serializeNpy(const NpyArray &array);

/// Writes `array` to `path` (npyHeader then the data) with
/// writeFileAtomically: on failure `path` keeps its previous contents, if
/// any, and no temporary file is left. `array.data` must hold exactly
/// numElements() * itemSize bytes. Error: "cannot write '<path>': <reason>".
bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error);

/// The elements of a float16, float32 or float64 array as float, `out`
/// holding numElements() of them (float64 rounds to nearest; float16 widens
/// exactly). Returns false, writing nothing, for any other dtype.
bool npyElementsToFloat(const NpyArray &array, float *out);

} // namespace support
} // namespace mirage

#endif // MIRAGE_SUPPORT_NPY_H
