//===- LowerFuzzer.cpp - Fuzzing the lowering to PTX ----------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// MLIR text (kernel graphs and μGraphs) -> mirage-lower-to-ptx for sm_90a:
// the μGraph optimizer passes, convert-mirage-to-gpu, the thread mapping
// (tensor cores, wgmma, cp.async) and the upstream NVVM pipeline.
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return mirage_fuzz::parseAndRun(
      data, size, "builtin.module(mirage-lower-to-ptx{chip=sm_90a})");
}
