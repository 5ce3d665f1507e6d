//===- FusionSearch.h - Kernels and block graphs of a derivation -*- C++
//-*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The second stage of the superoptimizer: for a derivation (a kernel graph
// equivalent to the target), enumerate
//
//  - partitions of its ops into kernels (each a convex, connected group), and
//  - for each group, block graphs: which indices the grid axes split and into
//    how many parts, which index the for-loop walks and in how many steps.
//    The imaps, fmaps and omaps follow from the index ids; block ops go
//    before the loop, into its body or into the epilogue by what they depend
//    on; values summed over the loop index become sum accumulators.
//
// A tiling is valid only if the block graph it gives computes the group's
// outputs: per-iteration values never leave the loop except through an
// accumulator, every grid axis of size > 1 splits each output (or the output
// holds one partial result per part of a split reduction, which the
// consuming kernel adds up: FlashDecoding's split), and partial sums only go
// through ops that are linear in them. Valid tilings are ranked with the
// cost model; the grid and loop sizes are optimized by coordinate descent
// over the divisors of each index's extent.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_FUSIONSEARCH_H
#define MIRAGE_SEARCH_FUSIONSEARCH_H

#include "Mirage/Search/AlgebraicSearch.h"
#include "Mirage/Search/CostModel.h"
#include "Mirage/Search/KernelGraph.h"

#include <array>
#include <map>
#include <mutex>
#include <string>

namespace mlir {
namespace mirage {
namespace search {

/// How one kernel's grid and for-loop cover its indices.
struct Tiling {
  /// Grid axes x, y, z: the index each splits (-1: none) and into how many
  /// parts.
  std::array<int, 3> axisIndex = {-1, -1, -1};
  std::array<int64_t, 3> axisParts = {1, 1, 1};
  /// The index the for-loop walks (-1: none) and its iterations.
  int loopIndex = -1;
  int64_t forloop = 1;
  int64_t threads = 128;

  int64_t getNumBlocks() const {
    return axisParts[0] * axisParts[1] * axisParts[2];
  }
  /// Into how many parts the grid and loop together cut `index`.
  int64_t getPartsOf(int index) const;
};

/// A tensor as kernels hold it in memory: a producer that splits a
/// reduction over `chunks` grid parts writes `chunks` partial results side by
/// side along `chunkDim` (chunks = 1: the tensor itself).
struct Layout {
  int64_t chunkDim = -1;
  int64_t chunks = 1;
  bool operator==(const Layout &other) const {
    return chunkDim == other.chunkDim && chunks == other.chunks;
  }
  bool operator<(const Layout &other) const {
    return std::tie(chunkDim, chunks) < std::tie(other.chunkDim, other.chunks);
  }
};

/// One kernel of a plan.
struct KernelPlan {
  /// Ops of the derivation (indices into KernelGraph::ops), in order.
  SmallVector<unsigned> ops;
  /// Tensors read and written (indices into KernelGraph::tensors).
  SmallVector<unsigned> inputs, outputs;
  SmallVector<Layout> inputLayouts, outputLayouts;
  Tiling tiling;
  KernelWork work;
  KernelCost cost;
};

/// A candidate μGraph: a derivation, cut into tiled kernels.
struct Plan {
  KernelGraph graph;
  std::vector<KernelPlan> kernels;
  double seconds = 0;
  /// Orders plans: by cost, then by a canonical description, so that the
  /// choice does not depend on the order candidates were found in.
  std::string key;

  /// A one-line summary per kernel, for remarks and docs.
  std::string describe() const;
};

struct FusionSearchOptions {
  /// Most kernels in a plan.
  unsigned maxKernels = 4;
  /// Most compute ops in one block graph.
  unsigned maxBlockOps = 16;
  int64_t threadsPerBlock = 128;
};

class FusionSearch {
public:
  FusionSearch(const GpuTarget &target, FusionSearchOptions options,
               SearchCounters &counters)
      : target(target), options(options), counters(counters) {}

  /// Searches the kernels and block graphs of one derivation; keeps the best
  /// plans seen. Thread-safe: derivations may be searched in parallel.
  void search(const KernelGraph &derivation, function_ref<bool()> expired);

  /// The cost of running every op of `graph` as a kernel of its own, each
  /// with its best tiling: the estimate for an unfused program. None when
  /// some op has no feasible tiling, or when `expired` (polled between
  /// tilings: the time budget) became true before every op was tiled.
  std::optional<Plan> planUnfused(const KernelGraph &graph,
                                  function_ref<bool()> expired);

  /// Adds a plan found elsewhere (the unfused one) to the candidates.
  void addPlan(Plan plan) { recordPlan(std::move(plan)); }

  /// The best plans found, cheapest first (at most `n`).
  std::vector<Plan> takeBest(unsigned n);

  /// Estimated seconds of the cheapest plan found so far (0: none yet), for
  /// progress reports. Thread-safe.
  double getBestSeconds();

private:
  void recordPlan(Plan plan);
  /// Searches partitions of `graph`'s ops into kernels; `singletons` limits
  /// it to one op per kernel without split reductions (the unfused form).
  void searchPartitions(const KernelGraph &graph, bool singletons,
                        function_ref<bool()> expired);

  const GpuTarget &target;
  FusionSearchOptions options;
  SearchCounters &counters;
  std::mutex mutex;
  std::vector<Plan> best;
  /// Plans kept: the cheapest this many (for verification fallbacks).
  static constexpr unsigned kKeep = 16;
};

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_FUSIONSEARCH_H
