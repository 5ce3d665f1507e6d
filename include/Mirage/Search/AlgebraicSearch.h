//===- AlgebraicSearch.h - Kernel-level bottom-up search --------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The first stage of the superoptimizer: bottom-up enumeration of the
// kernel-level ops that compute the target.
//
// Starting from the inputs, every compute op is tried on every fitting tuple
// of tensors found so far (each op kind in a fixed order, commutative ops on
// ordered pairs only, so permutations are not revisited). A result is kept if
// its index ids fit the target's and its abstract expression is a
// subexpression of the target's (the e-graph check); results with the same
// expression and layout are one node, so the enumeration is a closure over a
// finite set of nodes rather than a tree of op sequences. Every way a node
// can be computed is kept as an edge.
//
// A *derivation* picks one edge per needed node: a kernel graph equivalent
// (modulo the axioms) to the target. The second stage (FusionSearch) groups
// the ops of each derivation into kernels and tiles them.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_ALGEBRAICSEARCH_H
#define MIRAGE_SEARCH_ALGEBRAICSEARCH_H

#include "Mirage/Search/KernelGraph.h"

#include "llvm/ADT/DenseMap.h"

#include <atomic>

namespace mlir {
namespace mirage {
namespace search {

struct AlgebraicSearchLimits {
  /// Most nodes (distinct tensors) the closure may create.
  unsigned maxNodes = 256;
  /// Most rounds of the closure (the depth of a derivation is at most this).
  unsigned maxRounds = 16;
};

/// Counters the pass reports as statistics.
struct SearchCounters {
  std::atomic<uint64_t> explored{0};
  std::atomic<uint64_t> pruned{0};
};

class AlgebraicSearch {
public:
  struct Edge {
    OpSpec spec;
    SmallVector<unsigned, 2> operands;
  };
  struct Node {
    TensorInfo info;
    /// For an input: its number; otherwise -1.
    int input = -1;
    /// The ways the node can be computed (empty for inputs).
    SmallVector<Edge, 2> producers;
  };

  AlgebraicSearch(const KernelGraph &target, EGraph &graph,
                  SearchCounters &counters, AlgebraicSearchLimits limits = {});

  /// Runs the closure. `expired` is polled between rounds and within them
  /// (time budget).
  void run(function_ref<bool()> expired);

  ArrayRef<Node> getNodes() const { return nodes; }
  /// The nodes of the target's outputs (equal expression and layout), or
  /// none for an output the closure did not reach.
  SmallVector<std::optional<unsigned>> getOutputNodes() const;

  /// Kernel graphs computing the target's outputs: one edge per needed node,
  /// at most `maxOps` ops each, at most `maxCount` of them, the ones with
  /// fewer ops first. The target's own graph is always among them when the
  /// closure reached it.
  std::vector<KernelGraph> enumerateDerivations(unsigned maxOps,
                                                unsigned maxCount) const;

private:
  struct NodeKey {
    EClassId expr;
    SmallVector<int64_t, 4> shape;
    SmallVector<int, 4> indices;
    bool operator==(const NodeKey &other) const {
      return expr == other.expr && shape == other.shape &&
             indices == other.indices;
    }
  };
  struct NodeKeyHash {
    size_t operator()(const NodeKey &key) const;
  };

  /// Tries `spec` on `operands`; adds a node or an edge if it qualifies.
  void tryOp(const OpSpec &spec, ArrayRef<unsigned> operands);

  const KernelGraph &target;
  EGraph &graph;
  SearchCounters &counters;
  AlgebraicSearchLimits limits;
  std::vector<Node> nodes;
  std::unordered_map<NodeKey, unsigned, NodeKeyHash> nodeOf;
  /// The candidate op specs with attributes taken from the target (scalars,
  /// clamp bounds, rms_norm extents).
  SmallVector<OpSpec> unarySpecs, binarySpecs, normSpecs;
};

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_ALGEBRAICSEARCH_H
