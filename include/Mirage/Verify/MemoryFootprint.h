//===- MemoryFootprint.h - How much memory a verification needs -*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The verifier evaluates whole programs in the interpreter, so its memory
// grows with the program's tensors: moe's two 8 x 4096 x 4096 weights take
// 4.3 GB per finite-field test. These estimates, computed from the IR before
// anything is allocated, let the superoptimizer keep a verification within a
// bound (its verify-memory-limit option, and what RLIMIT_AS leaves) and keep
// the input with a remark instead of running out of memory, which in an LLVM
// tool is an abort ("LLVM ERROR: out of memory"), not an error.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_VERIFY_MEMORYFOOTPRINT_H
#define MIRAGE_VERIFY_MEMORYFOOTPRINT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>

namespace mlir {
namespace mirage {

/// Bytes the interpreter holds at its peak while running `func` over values
/// of `bytesPerValue` bytes: the arguments (which the caller holds
/// throughout) plus the results of the top-level ops that are live at once,
/// counting an op's operands and results together while it runs (the
/// interpreter frees each result after its last use). Thread blocks' tiles
/// are not counted: they are a few KB each. Saturates at UINT64_MAX.
uint64_t estimateInterpreterPeakBytes(func::FuncOp func,
                                      uint64_t bytesPerValue);

/// Bytes of `func`'s arguments, or of its results, at `bytesPerValue` bytes
/// per element (saturating).
uint64_t estimateArgumentBytes(func::FuncOp func, uint64_t bytesPerValue);
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
