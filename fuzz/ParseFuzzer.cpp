//===- ParseFuzzer.cpp - Fuzzing the parser and the verifiers -------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// MLIR text -> parse -> verify: the mirage dialect's custom parsers and
// printers (grid maps, accumulators, tile types) and every verifier rule.
//
//===----------------------------------------------------------------------===//

#include "FuzzerSupport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return mirage_fuzz::parseAndRun(data, size, /*pipeline=*/nullptr);
}
