//===- mirage-runtime-run.cpp - Run a kernel package on a GPU -------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-runtime-run PACKAGE_DIR [--seed=N] [--repeat=N] [--warmup=N]
//                    [--input=file.npy ...] [--output-dir=DIR] ...
// Needs no LLVM or MLIR: it builds with the runtime alone on a GPU host. See
// docs/runtime.md.
//
//===----------------------------------------------------------------------===//

#include "RunTool.h"

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return mirage::runtime::runMirageRuntimeRun(args, stdout, stderr);
}
