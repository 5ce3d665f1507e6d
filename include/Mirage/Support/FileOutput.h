//===- FileOutput.h - Writing files without leaving half of one -*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// llvm::raw_fd_ostream ends the process ("LLVM ERROR: IO failure on output
// stream") when it is destroyed with a write error pending, e.g. on a full
// disk, and a file written in place is left half written when that happens.
// writeFileAtomically writes to a temporary file beside the target, renames
// it over the target only when every byte was written, and turns every
// failure into an llvm::Error.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_FILEOUTPUT_H
#define MIRAGE_SUPPORT_FILEOUTPUT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir {
namespace mirage {

/// Writes the file at `path` with what `write` prints to the stream it is
/// given: into `path` + ".tmp-XXXXXX" in the same directory, then renamed to
/// `path`. On any failure (the directory does not exist or is not writable,
/// the disk is full, the rename fails) returns an error naming the path and
/// the cause, and leaves neither a temporary file nor a partial `path`; an
/// existing `path` is then unchanged.
llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::function_ref<void(llvm::raw_ostream &)> write);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SUPPORT_FILEOUTPUT_H
