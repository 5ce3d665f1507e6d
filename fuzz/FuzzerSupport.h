//===- FuzzerSupport.h - Shared parts of the libFuzzer targets --*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Each fuzz target takes its input as MLIR text, parses and verifies it in a
// fresh single-threaded context with mirage-opt's dialects, and, if that
// succeeds, runs a pass pipeline on it. Diagnostics are swallowed: a bad input
// is supposed to end in a diagnostic; what the fuzzer looks for is a crash,
// an abort ("LLVM ERROR"), a sanitizer report or a hang.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_FUZZ_FUZZERSUPPORT_H
#define MIRAGE_FUZZ_FUZZERSUPPORT_H

#include <cstddef>
#include <cstdint>

namespace mirage_fuzz {

/// Parses and verifies `data`; then, if `pipeline` is not empty, runs it (a
/// textual pass pipeline, e.g. "func.func(mirage-decompose)") on the module.
/// Returns 0, as LLVMFuzzerTestOneInput does.
int parseAndRun(const uint8_t *data, size_t size, const char *pipeline);

} // namespace mirage_fuzz

#endif // MIRAGE_FUZZ_FUZZERSUPPORT_H
