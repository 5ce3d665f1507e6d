//===- TestPackages.h - Kernel packages for the runtime tests ---*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Temporary directories and the kernel packages the tests write into them:
// the seed-attention example of docs/kernel-package.md, and a tiny "axpy"
// package whose kernels the fake driver can run on the host.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_UNITTESTS_TESTPACKAGES_H
#define MIRAGE_RUNTIME_UNITTESTS_TESTPACKAGES_H

#include "FakeDriver.h"

#include <string>

namespace mirage {
namespace runtime {
namespace testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
/// destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return dir; }
  /// path() + "/" + name.
  std::string operator/(const std::string &name) const {
    return dir + "/" + name;
  }

private:
  std::string dir;
};

/// Writes `contents` to `path`, creating its parent directory; false on
/// failure.
bool writeFile(const std::string &path, const std::string &contents);
/// The contents of `path`, or "" if it cannot be read.
std::string readFile(const std::string &path);

/// The manifest of docs/kernel-package.md, verbatim.
extern const char kSeedManifest[];

/// Writes a package into directory `dir`: `manifest`, kernels.ptx declaring
/// `kernels` for `chip`, and, with `withCubin`, kernels.cubin (fake format).
void writePackage(const std::string &dir, const std::string &manifest,
                  const std::string &chip,
                  const std::vector<std::pair<std::string, int>> &kernels,
                  bool withCubin);

/// The seed-attention package (kSeedManifest, with `chip` substituted), with
/// a cubin unless `withCubin` is false.
void writeSeedPackage(const std::string &dir,
                      const std::string &chip = "sm_90a",
                      bool withCubin = true);

/// "axpy": out = 2 * x + y over 4 f32s, in two kernels through a buffer t:
/// axpy_scale(x, t) then axpy_add(t, y, out). installAxpyBodies() makes the
/// fake driver compute them.
extern const char kAxpyManifest[];
void writeAxpyPackage(const std::string &dir);
void installAxpyBodies();

} // namespace testing
} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_UNITTESTS_TESTPACKAGES_H
