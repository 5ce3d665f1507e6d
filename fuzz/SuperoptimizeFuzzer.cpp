//===- SuperoptimizeFuzzer.cpp - Fuzzing the superoptimizer ---------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// MLIR text -> mirage-decompose -> mirage-superoptimize with a small time
// budget and memory limit, one search thread and no cache: the search, the
// cost model, building μGraphs and verifying them, on whatever kernel graphs
// the fuzzer makes (odd shapes, huge dims, ops the search does not know).
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return mirage_fuzz::parseAndRun(
      data, size,
      "builtin.module(func.func(mirage-decompose,mirage-superoptimize{"
      "time-budget=0.5 threads=1 cache-dir=none verify-memory-limit=256}))");
}
