//===- Superoptimize.cpp - The μGraph superoptimizer pass -------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Drives the search (AlgebraicSearch, FusionSearch), the verifier
// (EquivalenceChecker) and the cache; the parts live in MirageSearch and
// MirageVerify.
//
//===----------------------------------------------------------------------===//

#include "SuperoptimizerCache.h"

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Search/AlgebraicSearch.h"
#include "Mirage/Search/FusionSearch.h"
#include "Mirage/Search/KernelGraph.h"
#include "Mirage/Search/Materialize.h"
#include "Mirage/Search/SearchMonitor.h"
#include "Mirage/Support/PassStatistics.h"
#include "Mirage/Target/GpuTarget.h"
#include "Mirage/Verify/Equivalence.h"
#include "Mirage/Verify/MemoryFootprint.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>

#define DEBUG_TYPE "mirage-superoptimize"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGESUPEROPTIMIZE
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

namespace {

int64_t countKernels(func::FuncOp func) {
  int64_t n = 0;
  for (Operation &op : func.getBody().front())
    n += !isa<func::ReturnOp>(op);
  return n;
}

struct MirageSuperoptimizePass
    : mirage::impl::MirageSuperoptimizeBase<MirageSuperoptimizePass> {
  using Base::Base;

  void runOnOperation() override;

private:
  /// The cache directory the options name: "" for none.
  std::string getCacheDirectory();
  /// The options that decide the result, as text (part of the cache key).
  std::string getOptionsKey(const GpuTarget &gpu);
  /// Checks option values that the option parser accepts but the pass
  /// cannot use; emits an error for the first bad one.
  LogicalResult validateOptions(func::FuncOp func);
};

} // namespace

std::string MirageSuperoptimizePass::getCacheDirectory() {
  if (cacheDir == "none")
    return "";
  if (!cacheDir.empty())
    return cacheDir;
  SmallString<256> dir;
  if (!llvm::sys::path::cache_directory(dir))
    return "";
  llvm::sys::path::append(dir, "mirage-mlir");
  return std::string(dir);
}

std::string MirageSuperoptimizePass::getOptionsKey(const GpuTarget &gpu) {
  return llvm::formatv("target={0} max-kernel-ops={1} max-block-ops={2} "
                       "seed={3}",
                       gpu.name, maxKernelOps, maxBlockOps, seed)
      .str();
}

LogicalResult MirageSuperoptimizePass::validateOptions(func::FuncOp func) {
  // `!(x >= 0)` also catches NaN, which compares false with everything.
  if (!(timeBudget >= 0))
    return emitError(func.getLoc())
           << "time-budget must be a non-negative number of seconds, got "
           << timeBudget;
  return success();
}

void MirageSuperoptimizePass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (func.isExternal() || !func.getBody().hasOneBlock())
    return;
  bool hasMirage = false;
  for (Operation &op : func.getBody().front())
    hasMirage |= isa_and_nonnull<MirageDialect>(op.getDialect());
  if (!hasMirage)
    return;
  const GpuTarget *gpu = lookupGpuTarget(target);
  if (!gpu) {
    emitError(func.getLoc()) << "unknown target '" << target
                             << "'; expected one of " << getGpuTargetNames();
    return signalPassFailure();
  }
  if (failed(validateOptions(func)))
    return signalPassFailure();
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  // A caller that watches the run (the Python package) sees progress and
  // may cancel it; a cancelled search ends like one whose budget ran out.
  SearchMonitor *monitor = getCurrentSearchMonitor();
  SearchProgress progress;
  SearchCounters counters;
  FusionSearch *fusionSoFar = nullptr;
  std::mutex reportMutex;
  std::atomic<double> lastReport{-1.0};
  auto report = [&](SearchProgress::Stage stage, double now) {
    std::lock_guard<std::mutex> lock(reportMutex);
    progress.stage = stage;
    progress.elapsedSeconds = now;
    progress.explored = counters.explored.load();
    progress.pruned = counters.pruned.load();
    if (fusionSoFar)
      progress.bestSeconds = fusionSoFar->getBestSeconds();
    monitor->report(progress);
    lastReport.store(now, std::memory_order_relaxed);
  };
  SearchProgress::Stage stage = SearchProgress::Stage::Algebra;
  auto expired = [&] {
    double now = elapsed();
    if (monitor) {
      // Reports are throttled: this runs for every candidate.
      if (now - lastReport.load(std::memory_order_relaxed) > 0.1)
        report(stage, now);
      if (monitor->isCancelled())
        return true;
    }
    return now > timeBudget;
  };
  auto cancelled = [&] { return monitor && monitor->isCancelled(); };
  // An abort (Ctrl-C twice) also stops the verification; the input is kept.
  auto aborted = [monitor] { return monitor && monitor->isAborted(); };
  auto keepInputAborted = [&] {
    emitWarning(func.getLoc())
        << "mirage-superoptimize: @" << func.getName()
        << ": aborted; keeping the input";
  };
  auto setStage = [&](SearchProgress::Stage next) {
    stage = next;
    if (monitor)
      report(next, elapsed());
  };
  // Whatever way the pass ends, a watcher learns that it did.
  // (`fusionSoFar` dies before this runs; the last best cost stays.)
  llvm::scope_exit finish([&] {
    fusionSoFar = nullptr;
    setStage(SearchProgress::Stage::Done);
  });

  // Stage 1 analyses the input before the cache may replace it: the
  // cache's check and the verification both compare with it.
  setStage(SearchProgress::Stage::Algebra);
  EGraph graph;
  FailureOr<KernelGraph> target = analyzeKernelGraph(func, graph);
  if (failed(target))
    return signalPassFailure();
  // What a verification may hold at once: the option, and what the
  // address-space limit (ulimit -v) leaves.
  uint64_t addressSpace = getAddressSpaceHeadroom();
  uint64_t memoryLimit =
      std::min<uint64_t>(uint64_t(verifyMemoryLimit) << 20, addressSpace);
  auto describeMemoryLimit = [&] {
    if (addressSpace < (uint64_t(verifyMemoryLimit) << 20))
      return "the " + formatBytes(addressSpace) +
             " that the address-space limit (ulimit -v) leaves";
    return llvm::formatv("the {0} MiB that verify-memory-limit allows",
                         verifyMemoryLimit.getValue())
        .str();
  };

  EquivalenceOptions verifyOptions;
  verifyOptions.seed = seed;
  verifyOptions.memoryLimit = memoryLimit;
  verifyOptions.shouldStop = aborted;
  FailureOr<std::unique_ptr<EquivalenceChecker>> checker =
      EquivalenceChecker::create(func, analyzeProgramDegrees(*target),
                                 verifyOptions);
  if (failed(checker))
    return signalPassFailure();

  // The cache.
  SuperoptimizerCache cache(getCacheDirectory(), getOptionsKey(*gpu));
  std::string cachePath;
  if (cache.isEnabled()) {
    cachePath = cache.getEntryPath(func);
    FailureOr<bool> reused = cache.load(func, cachePath, **checker);
    if (failed(reused))
      return aborted() ? keepInputAborted() : signalPassFailure();
    if (*reused) {
      emitRemark(func.getLoc())
          << "mirage-superoptimize: @" << func.getName()
          << ": reused the μGraph cached in '" << cachePath << "' ("
          << countKernels(func) << " kernels)";
      return;
    }
  }
  int64_t inputKernels = countKernels(func);

  // Stage 1: the kernel-level ops that can compute the target.
  graph.saturate();
  AlgebraicSearch algebra(*target, graph, counters);
  algebra.run(expired);
  unsigned maxOps = std::max<unsigned>(12, target->ops.size() + 4);
  std::vector<KernelGraph> derivations =
      algebra.enumerateDerivations(maxOps, /*maxCount=*/48);

  // Stage 2: kernels and block graphs of each, in parallel.
  FusionSearchOptions fusionOptions;
  fusionOptions.maxKernels = maxKernelOps;
  fusionOptions.maxBlockOps = maxBlockOps;
  FusionSearch fusion(*gpu, fusionOptions, counters);
  // The input as it stands: every op a kernel of its own, best tiled.
  std::optional<Plan> unfused = fusion.planUnfused(*target, expired);
  if (!unfused && expired()) {
    emitWarning(func.getLoc()) << llvm::formatv(
        "mirage-superoptimize: @{0}: {1} before the input was costed; keeping "
        "the input ({2} kernel(s))",
        func.getName(),
        cancelled() ? std::string("the search was interrupted")
                    : llvm::formatv("the time budget of {0:f1} s ran out",
                                    timeBudget.getValue())
                          .str(),
        inputKernels);
    return;
  }
  if (!unfused) {
    emitError(func.getLoc(),
              "mirage-superoptimize: the cost model found no feasible "
              "kernel for some op of the input");
    return signalPassFailure();
  }
  fusion.addPlan(*unfused);
  progress.inputSeconds = unfused->seconds;
  fusionSoFar = &fusion;
  setStage(SearchProgress::Stage::Fusion);
  {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
    for (const KernelGraph &derivation : derivations)
      pool.async([&] { fusion.search(derivation, expired); });
    pool.wait();
  }
  bool budgetRanOut = expired();
  std::vector<Plan> plans =
      fusion.takeBest(std::max<unsigned>(8, listCandidates));
  for (auto [i, plan] : llvm::enumerate(plans)) {
    if (i >= listCandidates)
      break;
    emitRemark(func.getLoc()) << llvm::formatv(
        "mirage-superoptimize: candidate {0}: {1} kernel(s), estimated "
        "{2:f2} us: {3}",
        i, plan.kernels.size(), plan.seconds * 1e6, plan.describe());
  }
  double searchSeconds = elapsed();
  bool interrupted = cancelled();
  setStage(SearchProgress::Stage::Verification);

  // Stage 3: verify, cheapest first. The unfused plan is the input itself
  // and needs no verification.
  uint64_t verified = 0, rejected = 0;
  auto publishStatistics = [&](const Plan *chosen) {
    // Names and descriptions as in Passes.td: an LLVM without statistics
    // keeps neither, so they are repeated for the recorded report.
    struct Figure {
      Pass::Statistic &statistic;
      const char *name, *description;
      uint64_t value;
    } figures[] = {
        {candidatesExplored, "candidates-explored",
         "Candidate ops and block-graph tilings the search tried",
         counters.explored.load()},
        {candidatesPruned, "candidates-pruned",
         "Candidates rejected by abstract expressions, indices or tiling "
         "rules",
         counters.pruned.load()},
        {candidatesVerified, "candidates-verified",
         "μGraphs that passed verification", verified},
        {candidatesRejected, "candidates-rejected",
         "μGraphs that failed verification", rejected},
        {inputCostNs, "input-cost-ns",
         "Estimated run time of the input, in nanoseconds",
         static_cast<uint64_t>(std::llround(unfused->seconds * 1e9))},
        {chosenCostNs, "chosen-cost-ns",
         "Estimated run time of the chosen μGraph, in nanoseconds",
         static_cast<uint64_t>(
             std::llround((chosen ? chosen : &*unfused)->seconds * 1e9))}};
    for (Figure &f : figures) {
      f.statistic += f.value;
      if (!kLLVMStatisticsEnabled)
        recordPassStatistic(getName(), f.name, f.description, f.value);
    }
  };
  const Plan *chosen = nullptr;
  EquivalenceReport chosenReport;
  // Candidates whose verification cannot be made to fit the memory limit,
  // even in pieces, are skipped (and a result chosen without them is not
  // cached).
  uint64_t overMemory = 0;
  for (const Plan &plan : plans) {
    if (aborted())
      return keepInputAborted();
    if (plan.key == unfused->key) {
      chosen = &plan;
      break;
    }
    OwningOpRef<ModuleOp> scratch = ModuleOp::create(func.getLoc());
    auto candidate = cast<func::FuncOp>(func->clone());
    scratch->push_back(candidate);
    if (failed(materializePlan(plan, candidate)) || failed(verify(candidate))) {
      ++rejected;
      emitRemark(func.getLoc())
          << "mirage-superoptimize: rejected a candidate that could not be "
             "built ("
          << plan.describe() << ")";
      continue;
    }
    FailureOr<EquivalenceReport> report =
        (*checker)->check(candidate, analyzeProgramDegrees(plan.graph));
    if (failed(report))
      return aborted() ? keepInputAborted() : signalPassFailure();
    if (report->unverifiable) {
      ++overMemory;
      emitRemark(func.getLoc())
          << "mirage-superoptimize: did not verify a candidate ("
          << plan.describe() << "): " << report->reason << " ("
          << describeMemoryLimit() << ")";
      continue;
    }
    if (!report->equivalent) {
      ++rejected;
      emitRemark(func.getLoc())
          << "mirage-superoptimize: rejected a candidate (" << plan.describe()
          << "): " << report->reason;
      continue;
    }
    ++verified;
    chosen = &plan;
    chosenReport = *report;
    break;
  }
  publishStatistics(chosen);

  std::string counts = llvm::formatv(
      "{0} derivation(s), {1} candidates explored, {2} pruned, {3} rejected "
      "by verification",
      derivations.size(), counters.explored.load(), counters.pruned.load(),
      rejected);
  if (overMemory)
    counts += llvm::formatv(", {0} not verified: they would need more than {1}",
                            overMemory, describeMemoryLimit())
                  .str();
  if (!chosen || chosen->key == unfused->key) {
    // Nothing beats the input: keep it as it is.
    if (budgetRanOut || !chosen || overMemory) {
      emitWarning(func.getLoc()) << llvm::formatv(
          "mirage-superoptimize: @{0}: {1}; keeping the input ({2} "
          "kernel(s), estimated {3:f1} us on {4}); {5}",
          func.getName(),
          interrupted
              ? std::string("the search was interrupted before any μGraph "
                            "beat the input")
          : budgetRanOut
              ? llvm::formatv("the time budget of {0:f1} s ran out before any "
                              "μGraph beat the input",
                              timeBudget.getValue())
                    .str()
          : overMemory
              ? std::string("no μGraph that beats the input could be "
                            "verified within the memory limit")
              : std::string("no candidate passed verification"),
          inputKernels, unfused->seconds * 1e6, gpu->device, counts);
      return;
    }
    emitRemark(func.getLoc()) << llvm::formatv(
        "mirage-superoptimize: @{0}: no μGraph beats the input ({1} "
        "kernel(s), estimated {2:f1} us on {3}); keeping it; {4}; search "
        "{5:f2} s",
        func.getName(), inputKernels, unfused->seconds * 1e6, gpu->device,
        counts, searchSeconds);
  } else {
    if (failed(materializePlan(*chosen, func)))
      return signalPassFailure();
    emitRemark(func.getLoc()) << llvm::formatv(
        "mirage-superoptimize: @{0}: {1} kernel(s) instead of {2}, estimated "
        "{3:f1} us instead of {4:f1} us on {5}; {6}; verified by {7} "
        "finite-field test(s) (false accept <= 2^{8:f0}) and a float check "
        "(max rel. error {9:e1}){14}; search {10:f2} s, total {11:f2} s{12}: "
        "{13}",
        func.getName(), chosen->kernels.size(), inputKernels,
        chosen->seconds * 1e6, unfused->seconds * 1e6, gpu->device, counts,
        chosenReport.fieldTests, chosenReport.log2Bound,
        chosenReport.maxRelativeError, searchSeconds, elapsed(),
        interrupted    ? " (the search was interrupted: best found so far)"
        : budgetRanOut ? " (the time budget ran out: best found so far)"
                       : "",
        chosen->describe(),
        chosenReport.pieces > 1
            ? llvm::formatv(", evaluated in {0} pieces within {1}",
                            chosenReport.pieces,
                            formatBytes(chosenReport.peakBytes))
                  .str()
            : std::string());
  }
  if (budgetRanOut || interrupted || overMemory)
    return; // a longer search, or more memory, might do better: no cache
  if (cache.isEnabled())
    cache.store(func, cachePath);
}
