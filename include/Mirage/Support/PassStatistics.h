//===- PassStatistics.h - Pass statistics in release LLVM builds -*- C++
//-*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An LLVM built without statistics (LLVM_ENABLE_STATS = 0: release builds,
// Debian's llvm-22 packages among them) turns every Pass::Statistic into a
// no-op, and -mlir-pass-statistics prints an empty report. Mirage's passes
// declare their statistics in ODS as usual and also record the values here;
// mirage-opt prints them after MLIR's report when -mlir-pass-statistics is
// given and LLVM's own statistics are off.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_PASSSTATISTICS_H
#define MIRAGE_SUPPORT_PASSSTATISTICS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/Statistic.h"

#include <cstdint>

namespace mlir {
namespace mirage {

/// True when Pass::Statistic counts (LLVM built with statistics).
inline constexpr bool kLLVMStatisticsEnabled = LLVM_ENABLE_STATS;

/// Adds `value` to statistic `name` of pass `pass` (thread-safe; values of
/// several runs, e.g. one per function, are summed).
void recordPassStatistic(StringRef pass, StringRef name, StringRef description,
                         uint64_t value);

/// Prints the recorded statistics in the layout of MLIR's list report;
/// prints nothing if none were recorded.
void printRecordedPassStatistics(raw_ostream &os);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SUPPORT_PASSSTATISTICS_H
