//===- SearchMonitor.h - Watch and stop a superoptimizer search -*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A hook for callers that run mirage-superoptimize on behalf of a person (the
// Python package): they need to show progress on a long search and to stop it
// on Ctrl-C, keeping the best μGraph found so far. The pass has no handle to
// its caller, so a monitor is installed for the current thread around the
// PassManager::run call; the pass reports to it and treats a cancellation like
// an expired time budget.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_SEARCHMONITOR_H
#define MIRAGE_SEARCH_SEARCHMONITOR_H

#include <atomic>
#include <cstdint>
#include <mutex>

namespace mlir {
namespace mirage {
namespace search {

/// What a superoptimizer run has done so far.
struct SearchProgress {
  enum class Stage {
    /// Not started (or the function holds nothing to search).
    Idle,
    /// Stage 1: the kernel-level closure (AlgebraicSearch).
    Algebra,
    /// Stage 2: partitions into kernels and their tilings (FusionSearch).
    Fusion,
    /// Stage 3: building and verifying the cheapest candidates.
    Verification,
    /// Finished (the μGraph is chosen, or the run failed).
    Done
  };
  Stage stage = Stage::Idle;
  /// Seconds since the pass started.
  double elapsedSeconds = 0;
  /// Candidate ops and tilings tried, and those pruned (the pass statistics).
  uint64_t explored = 0, pruned = 0;
  /// Estimated run time of the input and of the cheapest candidate found so
  /// far, in seconds; 0 while unknown.
  double inputSeconds = 0, bestSeconds = 0;
};

/// Shared between a search and whoever watches it; every member function is
/// thread-safe.
class SearchMonitor {
public:
  /// Asks the search to stop: it ends its enumeration at the next check and
  /// verifies the best candidates found so far (which it does not cache).
  void cancel() { cancelled.store(true, std::memory_order_relaxed); }
  bool isCancelled() const { return cancelled.load(std::memory_order_relaxed); }

  /// Asks the run to stop as soon as it can, verification included (a
  /// second Ctrl-C): the pass abandons its candidates and keeps the input,
  /// with a warning. Implies cancel().
  void abort() {
    aborted.store(true, std::memory_order_relaxed);
    cancel();
  }
  bool isAborted() const { return aborted.load(std::memory_order_relaxed); }

  /// The latest progress the search reported.
  SearchProgress getProgress() const {
    std::lock_guard<std::mutex> lock(mutex);
    return progress;
  }

  /// Called by the search, at each stage and every so often within one.
  void report(const SearchProgress &update) {
    std::lock_guard<std::mutex> lock(mutex);
    progress = update;
  }

private:
  std::atomic<bool> cancelled{false}, aborted{false};
  mutable std::mutex mutex;
  SearchProgress progress;
};

/// The monitor installed on this thread, or null.
SearchMonitor *getCurrentSearchMonitor();

/// Installs a monitor for the superoptimizer runs on this thread (the pass
/// runs on the thread that calls PassManager::run when the pass manager is
/// anchored on the function, or when the context is single-threaded) while it
/// lives; restores the previous one when destroyed.
class ScopedSearchMonitor {
public:
  explicit ScopedSearchMonitor(SearchMonitor &monitor);
  ~ScopedSearchMonitor();
  ScopedSearchMonitor(const ScopedSearchMonitor &) = delete;
  ScopedSearchMonitor &operator=(const ScopedSearchMonitor &) = delete;

private:
  SearchMonitor *previous;
};

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_SEARCHMONITOR_H
