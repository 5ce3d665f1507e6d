//===- FileIO.h - Whole-file reads and all-or-nothing writes ----*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// POSIX file I/O for the .npy reader and writer, and for any other file a
// tool must never leave half-written. Every function reports failure as
// `false` with a message in `error`; none throws or aborts.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_FILEIO_H
#define MIRAGE_SUPPORT_FILEIO_H

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace mirage {
namespace support {

/// Reads the whole file `path` into `contents`. Error: "cannot read '<path>':
/// <reason>".
bool readFile(const std::string &path, std::vector<uint8_t> &contents,
              std::string &error);

/// Writes the concatenation of `pieces` to `path` so that `path` holds either
/// its previous contents or all of the new ones, never a prefix: the bytes go
/// to a temporary file beside it (".<name>.tmp<pid>.<n>", in the same
/// directory so that the rename cannot cross file systems), which is renamed
/// over `path` once fully written and closed, and removed on any failure.
/// The file gets the permissions a new file gets (0666 less the umask). No
/// fsync: a failed write, a full disk or a killed process cannot leave a
/// partial file, but a power cut may lose the new contents. Error: "cannot
/// write '<path>': <reason>", e.g. "No space left on device".
bool writeFileAtomically(const std::string &path,
                         std::initializer_list<std::string_view> pieces,
                         std::string &error);

} // namespace support
} // namespace mirage

#endif // MIRAGE_SUPPORT_FILEIO_H
