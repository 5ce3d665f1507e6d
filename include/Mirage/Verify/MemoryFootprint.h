//===- MemoryFootprint.h - How much memory a verification needs -*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the verifier needs to keep within a memory bound (its
// verify-memory-limit option, and what RLIMIT_AS leaves) instead of running
// out of memory, which in an LLVM tool is an abort ("LLVM ERROR: out of
// memory"), not an error. The peak of an evaluation itself comes from
// SlicePlan::estimatePeakBytes (Interpreter/Slicing.h).
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_VERIFY_MEMORYFOOTPRINT_H
#define MIRAGE_VERIFY_MEMORYFOOTPRINT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>

namespace mlir {
namespace mirage {

/// Bytes of `func`'s results at `bytesPerValue` bytes per element
/// (saturating).
uint64_t estimateResultBytes(func::FuncOp func, uint64_t bytesPerValue);

/// The bytes this process may still allocate under its address-space limit
/// (RLIMIT_AS, `ulimit -v`), less a margin for everything else, or
/// UINT64_MAX when there is no limit or it cannot be read.
uint64_t getAddressSpaceHeadroom();

/// `bytes` for people: "1.5 GiB", "320 MiB", "12 KiB".
std::string formatBytes(uint64_t bytes);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_VERIFY_MEMORYFOOTPRINT_H
