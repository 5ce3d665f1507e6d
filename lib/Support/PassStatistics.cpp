//===- PassStatistics.cpp - Pass statistics in release LLVM builds --------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Support/PassStatistics.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <mutex>
#include <string>

using namespace mlir;

namespace {
struct Entry {
  std::string description;
  uint64_t value = 0;
};
struct Registry {
  std::mutex mutex;
  /// pass → statistic name → entry, in name order (as MLIR prints them).
  std::map<std::string, std::map<std::string, Entry>> passes;
};
Registry &getRegistry() {
  static Registry registry;
  return registry;
}
} // namespace

void mlir::mirage::recordPassStatistic(StringRef pass, StringRef name,
                                       StringRef description, uint64_t value) {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  Entry &entry = registry.passes[pass.str()][name.str()];
  entry.description = description.str();
  entry.value += value;
}

void mlir::mirage::printRecordedPassStatistics(raw_ostream &os) {
  Registry &registry = getRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  if (registry.passes.empty())
    return;
  os << "===" << std::string(73, '-') << "===\n"
     << "        ... Pass statistics report (recorded by Mirage; this LLVM "
        "counts none) ...\n"
     << "===" << std::string(73, '-') << "===\n";
  for (const auto &[pass, stats] : registry.passes) {
    os << pass << "\n";
    size_t width = 0;
    for (const auto &[name, entry] : stats)
      width = std::max(width, std::to_string(entry.value).size());
    for (const auto &[name, entry] : stats)
      os << "  (S) " << llvm::right_justify(std::to_string(entry.value), width)
         << " " << name << " - " << entry.description << "\n";
  }
  os.flush();
}
