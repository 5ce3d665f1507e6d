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

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
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

/// Bumped whenever the search or the IR changes what a cached result means.
static constexpr llvm::StringLiteral kCacheVersion = "mirage-superoptimize-1";

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
  std::string cacheDirectory();
  std::string cacheKey(func::FuncOp func);
  /// Replaces `func`'s body with the cached one, if a valid entry exists.
  bool loadFromCache(func::FuncOp func, StringRef path);
  void storeInCache(func::FuncOp func, StringRef path);
};

} // namespace

std::string MirageSuperoptimizePass::cacheDirectory() {
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

std::string MirageSuperoptimizePass::cacheKey(func::FuncOp func) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << kCacheVersion << "\n"
     << lookupGpuTarget(target)->name << " " << maxKernelOps << " "
     << maxBlockOps << " " << seed << "\n";
  // The function without its name or locations, in generic form.
  OpPrintingFlags flags;
  flags.printGenericOpForm();
  func.getFunctionType().print(os);
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (DictionaryAttr attrs = func.getArgAttrDict(i))
      attrs.print(os);
  for (Operation &op : func.getBody().front())
    op.print(os, flags);
  std::array<uint8_t, 32> hash = llvm::SHA256::hash(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(text.data()), text.size()));
  return llvm::toHex(hash, /*LowerCase=*/true);
}

bool MirageSuperoptimizePass::loadFromCache(func::FuncOp func, StringRef path) {
  if (!llvm::sys::fs::exists(path))
    return false;
  auto warnCorrupt = [&](const Twine &why) {
    emitWarning(func.getLoc())
        << "ignoring corrupt cache entry '" << path << "': " << why;
    return false;
  };
  // Parse quietly: a corrupt entry is reported as a warning, not errors.
  std::string errors;
  OwningOpRef<ModuleOp> cached;
  {
    ScopedDiagnosticHandler handler(func.getContext(), [&](Diagnostic &diag) {
      errors += diag.str();
      return success();
    });
    cached = parseSourceFile<ModuleOp>(path, ParserConfig(func.getContext()));
  }
  if (!cached)
    return warnCorrupt("it does not parse" +
                       (errors.empty() ? std::string() : ": " + errors));
  auto funcs = llvm::to_vector(cached->getOps<func::FuncOp>());
  if (funcs.size() != 1 || funcs[0].isExternal())
    return warnCorrupt("it does not hold exactly one function");
  func::FuncOp entry = funcs[0];
  if (entry.getFunctionType() != func.getFunctionType())
    return warnCorrupt("its function type does not match");
  {
    ScopedDiagnosticHandler handler(func.getContext(), [&](Diagnostic &diag) {
      errors += diag.str();
      return success();
    });
    if (failed(verify(entry)))
      return warnCorrupt("it does not verify: " + errors);
  }
  // Swap the bodies, mapping the cached arguments to ours.
  Block &body = func.getBody().front();
  SmallVector<Operation *> old;
  for (Operation &op : body)
    old.push_back(&op);
  IRMapping mapping;
  mapping.map(entry.getArguments(), func.getArguments());
  OpBuilder b = OpBuilder::atBlockEnd(&body);
  for (Operation &op : entry.getBody().front())
    b.clone(op, mapping);
  for (Operation *op : llvm::reverse(old)) {
    op->dropAllUses();
    op->erase();
  }
  return true;
}

void MirageSuperoptimizePass::storeInCache(func::FuncOp func, StringRef path) {
  SmallString<256> dir = llvm::sys::path::parent_path(path);
  if (llvm::sys::fs::create_directories(dir))
    return;
  // Write to a temporary file and rename, so readers never see half an entry.
  SmallString<256> temp;
  int fd;
  if (llvm::sys::fs::createUniqueFile(Twine(path) + ".tmp-%%%%%%", fd, temp))
    return;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << "// mirage-superoptimize cache entry (" << kCacheVersion << ")\n";
    func.print(os);
    os << "\n";
  }
  if (llvm::sys::fs::rename(temp, path))
    llvm::sys::fs::remove(temp);
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
  if (timeBudget < 0) {
    emitError(func.getLoc(), "time-budget must not be negative");
    return signalPassFailure();
  }
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

  // The cache.
  std::string dir = cacheDirectory();
  std::string cachePath;
  if (!dir.empty()) {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, cacheKey(func) + ".mlir");
    cachePath = std::string(path);
    if (loadFromCache(func, cachePath)) {
      emitRemark(func.getLoc())
          << "mirage-superoptimize: @" << func.getName()
          << ": reused the μGraph cached in '" << cachePath << "' ("
          << countKernels(func) << " kernels)";
      return;
    }
  }
  int64_t inputKernels = countKernels(func);

  // Stage 1: the kernel-level ops that can compute the target.
  setStage(SearchProgress::Stage::Algebra);
  EGraph graph;
  FailureOr<KernelGraph> target = analyzeKernelGraph(func, graph);
  if (failed(target))
    return signalPassFailure();
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
  EquivalenceOptions verifyOptions;
  verifyOptions.seed = seed;
  // Built at the first candidate to verify: building it runs the input on
  // full-size tensors, which keeping the input does not need.
  std::unique_ptr<EquivalenceChecker> checker;
  const Plan *chosen = nullptr;
  EquivalenceReport chosenReport;
  for (const Plan &plan : plans) {
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
    if (!checker) {
      FailureOr<std::unique_ptr<EquivalenceChecker>> created =
          EquivalenceChecker::create(func, analyzeProgramDegrees(*target),
                                     verifyOptions);
      if (failed(created))
        return signalPassFailure();
      checker = std::move(*created);
    }
    FailureOr<EquivalenceReport> report =
        checker->check(candidate, analyzeProgramDegrees(plan.graph));
    if (failed(report))
      return signalPassFailure();
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
  if (!chosen || chosen->key == unfused->key) {
    // Nothing beats the input: keep it as it is.
    if (budgetRanOut || !chosen) {
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
        "(max rel. error {9:e1}); search {10:f2} s, total {11:f2} s{12}: {13}",
        func.getName(), chosen->kernels.size(), inputKernels,
        chosen->seconds * 1e6, unfused->seconds * 1e6, gpu->device, counts,
        chosenReport.fieldTests, chosenReport.log2Bound,
        chosenReport.maxRelativeError, searchSeconds, elapsed(),
        interrupted    ? " (the search was interrupted: best found so far)"
        : budgetRanOut ? " (the time budget ran out: best found so far)"
                       : "",
        chosen->describe());
  }
  if (budgetRanOut || interrupted)
    return; // a longer search might do better: do not cache
  if (!cachePath.empty())
    storeInCache(func, cachePath);
}
