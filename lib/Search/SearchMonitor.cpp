//===- SearchMonitor.cpp - Watch and stop a superoptimizer search ---------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/SearchMonitor.h"

using namespace mlir::mirage::search;

static thread_local SearchMonitor *currentMonitor = nullptr;

SearchMonitor *mlir::mirage::search::getCurrentSearchMonitor() {
  return currentMonitor;
}

ScopedSearchMonitor::ScopedSearchMonitor(SearchMonitor &monitor)
    : previous(currentMonitor) {
  currentMonitor = &monitor;
}

ScopedSearchMonitor::~ScopedSearchMonitor() { currentMonitor = previous; }
