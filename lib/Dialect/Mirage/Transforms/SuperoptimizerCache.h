//===- SuperoptimizerCache.h - mirage-superoptimize's results on disk -----===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The superoptimizer's cache: one file per function, `<key>.mlir`, holding
// the μGraph chosen for it. The key is the SHA-256 of
//   - MIRAGE_BUILD_KEY, a hash of the sources of this build (no version to
//     bump by hand: another build never reads this one's entries),
//   - the options that decide the result (target, limits, seed),
//   - the function printed on its own (local scope, generic form, without
//     its name or locations), so that the key depends on nothing else in the
//     module, which other pass threads may be rewriting meanwhile.
// An entry is used only if it parses and verifies on its own (in a private
// context, so that its diagnostics never reach other functions' handlers),
// has the function's type, and agrees with the function on one finite-field
// test. Entries are written to a temporary file and renamed; a failure to
// read or write one is a warning, never an error.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_DIALECT_MIRAGE_TRANSFORMS_SUPEROPTIMIZERCACHE_H
#define LIB_DIALECT_MIRAGE_TRANSFORMS_SUPEROPTIMIZERCACHE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace mlir {
namespace mirage {

class EquivalenceChecker;

class SuperoptimizerCache {
public:
  /// A cache in `directory` (no cache when empty); `optionsKey` is every
  /// option that decides the result, as text.
  SuperoptimizerCache(std::string directory, std::string optionsKey)
      : directory(std::move(directory)), optionsKey(std::move(optionsKey)) {}

  bool isEnabled() const { return !directory.empty(); }

  /// The path of `func`'s entry. Reads only `func`.
  std::string getEntryPath(func::FuncOp func) const;

  /// If `path` holds a usable entry for `func`, replaces `func`'s body with
  /// it and returns true. `checker` (whose reference is `func`) runs the
  /// finite-field test, within its memory limit. A missing entry returns
  /// false quietly; an unusable one (or one that cannot be checked within
  /// the limit) returns false with a warning saying why. Fails only if
  /// `checker` fails (a diagnostic was emitted, or it was asked to stop).
  FailureOr<bool> load(func::FuncOp func, StringRef path,
                       EquivalenceChecker &checker) const;

  /// Writes `func` as the entry at `path`; warns on failure.
  void store(func::FuncOp func, StringRef path) const;

private:
  std::string directory;
  std::string optionsKey;
};

} // namespace mirage
} // namespace mlir

#endif // LIB_DIALECT_MIRAGE_TRANSFORMS_SUPEROPTIMIZERCACHE_H
