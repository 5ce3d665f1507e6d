//===- RunTool.h - mirage-runtime-run, as a function ------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tool's main, callable in-process so that the unit tests can run it
// against a fake CUDA driver.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_TOOLS_MIRAGE_RUNTIME_RUN_RUNTOOL_H
#define MIRAGE_RUNTIME_TOOLS_MIRAGE_RUNTIME_RUN_RUNTOOL_H

#include <cstdio>
#include <string>
#include <vector>

namespace mirage {
namespace runtime {

/// Exit statuses of mirage-runtime-run.
enum RunToolExit {
  kRunToolSuccess = 0,
  /// No driver or device, a CUDA failure.
  kRunToolFailure = 1,
  /// A bad option, package or .npy file.
  kRunToolBadInput = 2,
};

/// Runs mirage-runtime-run with `args` (the command line without the program
/// name), printing results to `out` and errors to `err`; returns the exit
/// status.
int runMirageRuntimeRun(const std::vector<std::string> &args, FILE *out,
                        FILE *err);

} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_TOOLS_MIRAGE_RUNTIME_RUN_RUNTOOL_H
