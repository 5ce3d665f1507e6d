//===- AlgebraicSearch.cpp - Kernel-level bottom-up search ------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/AlgebraicSearch.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <functional>
#include <set>

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

size_t AlgebraicSearch::NodeKeyHash::operator()(const NodeKey &key) const {
  return llvm::hash_combine(
      key.expr, llvm::hash_combine_range(key.shape.begin(), key.shape.end()),
      llvm::hash_combine_range(key.indices.begin(), key.indices.end()));
}

AlgebraicSearch::AlgebraicSearch(const KernelGraph &target, EGraph &graph,
                                 SearchCounters &counters,
                                 AlgebraicSearchLimits limits)
    : target(target), graph(graph), counters(counters), limits(limits) {
  // Unary ops, in a fixed order. Scalars and bounds come from the target;
  // the decomposed rms_norm needs the f32 scalar 1/n of each rms_norm.
  for (OpKind kind :
       {OpKind::Exp, OpKind::Sqrt, OpKind::Rsqrt, OpKind::Square, OpKind::Silu,
        OpKind::Gelu, OpKind::Relu, OpKind::Sigmoid})
    unarySpecs.push_back(OpSpec{kind});
  auto addUnique = [](SmallVectorImpl<OpSpec> &specs, const OpSpec &spec) {
    if (!llvm::is_contained(specs, spec))
      specs.push_back(spec);
  };
  for (const KernelGraph::Op &op : target.ops) {
    if (op.spec.kind == OpKind::MulScalar || op.spec.kind == OpKind::Clamp)
      addUnique(unarySpecs, op.spec);
    if (op.spec.kind == OpKind::RmsNorm) {
      addUnique(normSpecs, op.spec);
      const TensorInfo &x = target.tensors[op.operands[0]];
      int64_t n = 1;
      for (int64_t d = x.getRank() - op.spec.dim; d < x.getRank(); ++d)
        n *= x.shape[d];
      OpSpec scale{OpKind::MulScalar};
      scale.value = static_cast<float>(1.0 / static_cast<double>(n));
      addUnique(unarySpecs, scale);
    }
  }
  for (OpKind kind : {OpKind::Matmul, OpKind::Add, OpKind::Sub, OpKind::Mul,
                      OpKind::Div, OpKind::Pow})
    binarySpecs.push_back(OpSpec{kind});

  for (unsigned i = 0; i < target.numInputs; ++i) {
    Node node;
    node.info = target.tensors[i];
    node.input = i;
    NodeKey key{node.info.expr, node.info.shape, node.info.indices};
    nodeOf.emplace(key, nodes.size());
    nodes.push_back(std::move(node));
  }
}

void AlgebraicSearch::tryOp(const OpSpec &spec, ArrayRef<unsigned> operands) {
  ++counters.explored;
  SmallVector<const TensorInfo *, 2> infos;
  for (unsigned n : operands)
    infos.push_back(&nodes[n].info);
  TensorInfo result;
  // Indices must already agree: the search never identifies two indices the
  // target keeps apart.
  if (failed(spec.inferResult(
          infos, [](int a, int b) { return a == b; }, result.shape,
          result.indices))) {
    ++counters.pruned;
    return;
  }
  ExprBuilder lookup(graph, /*insert=*/false);
  std::optional<EClassId> expr = spec.buildExpr(lookup, infos);
  if (!expr) {
    ++counters.pruned;
    return;
  }
  result.expr = graph.find(*expr);
  result.elementType = infos[0]->elementType;
  // An op that gives back one of its operands computes nothing new.
  for (const TensorInfo *operand : infos)
    if (graph.find(operand->expr) == result.expr &&
        operand->shape == result.shape && operand->indices == result.indices)
      return;

  NodeKey key{result.expr, result.shape, result.indices};
  auto it = nodeOf.find(key);
  if (it != nodeOf.end()) {
    Node &node = nodes[it->second];
    if (node.input >= 0)
      return;
    // One edge per multiset of operands: square(x) and mul(x, x) are one way.
    SmallVector<unsigned, 2> sorted(operands.begin(), operands.end());
    llvm::sort(sorted);
    for (const Edge &edge : node.producers) {
      SmallVector<unsigned, 2> other(edge.operands.begin(),
                                     edge.operands.end());
      llvm::sort(other);
      if (other == sorted)
        return;
    }
    // No edge through the node itself.
    if (llvm::is_contained(operands, it->second))
      return;
    node.producers.push_back(
        Edge{spec, SmallVector<unsigned, 2>(operands.begin(), operands.end())});
    return;
  }
  if (nodes.size() >= limits.maxNodes)
    return;
  Node node;
  node.info = std::move(result);
  node.producers.push_back(
      Edge{spec, SmallVector<unsigned, 2>(operands.begin(), operands.end())});
  nodeOf.emplace(std::move(key), nodes.size());
  nodes.push_back(std::move(node));
}

void AlgebraicSearch::run(function_ref<bool()> expired) {
  // Each round tries every op with at least one operand from the previous
  // round's new nodes.
  unsigned frontierBegin = 0;
  for (unsigned round = 0; round < limits.maxRounds; ++round) {
    if (expired())
      return;
    unsigned end = nodes.size();
    if (frontierBegin == end)
      return;
    for (unsigned a = frontierBegin; a < end; ++a) {
      for (const OpSpec &spec : unarySpecs)
        tryOp(spec, {a});
      for (const OpSpec &spec : normSpecs)
        tryOp(spec, {a});
      for (int64_t d = 0; d < nodes[a].info.getRank(); ++d) {
        OpSpec reduce{OpKind::ReduceSum};
        reduce.dim = d;
        tryOp(reduce, {a});
      }
    }
    for (const OpSpec &spec : binarySpecs) {
      for (unsigned a = 0; a < end; ++a) {
        // A round is quadratic in the nodes: poll within it too.
        if (expired())
          return;
        for (unsigned b = 0; b < end; ++b) {
          if (a < frontierBegin && b < frontierBegin)
            continue;
          if (spec.isCommutative() && b < a)
            continue;
          tryOp(spec, {a, b});
        }
      }
    }
    frontierBegin = end;
  }
}

SmallVector<std::optional<unsigned>> AlgebraicSearch::getOutputNodes() const {
  SmallVector<std::optional<unsigned>> outputs;
  for (unsigned t : target.outputs) {
    const TensorInfo &info = target.tensors[t];
    NodeKey key{graph.find(info.expr), info.shape, info.indices};
    auto it = nodeOf.find(key);
    outputs.push_back(it == nodeOf.end() ? std::nullopt
                                         : std::optional<unsigned>(it->second));
  }
  return outputs;
}

std::vector<KernelGraph>
AlgebraicSearch::enumerateDerivations(unsigned maxOps,
                                      unsigned maxCount) const {
  SmallVector<std::optional<unsigned>> outputs = getOutputNodes();
  std::vector<KernelGraph> result;
  if (llvm::any_of(outputs, [](auto o) { return !o.has_value(); }))
    return result;

  // Depth-first: choose an edge for each needed node, in order of first
  // need; a chosen edge may not lead back to its own node.
  std::vector<int> chosen(nodes.size(), -1);
  std::set<std::vector<int>> seen;
  std::vector<std::vector<int>> found;
  SmallVector<unsigned> needed;
  for (auto o : outputs)
    needed.push_back(*o);

  std::function<bool(unsigned, unsigned, unsigned)> dependsOn =
      [&](unsigned node, unsigned on, unsigned depth) -> bool {
    if (node == on)
      return true;
    if (depth > nodes.size() || chosen[node] < 0)
      return false;
    for (unsigned operand : nodes[node].producers[chosen[node]].operands)
      if (dependsOn(operand, on, depth + 1))
        return true;
    return false;
  };

  // Found derivations are collected up to a multiple of maxCount, then the
  // smallest are kept.
  unsigned collectLimit = maxCount * 4;
  std::function<void(unsigned, unsigned)> visit = [&](unsigned next,
                                                      unsigned numOps) {
    if (found.size() >= collectLimit || numOps > maxOps)
      return;
    // The next needed node without an edge.
    while (next < needed.size() &&
           (nodes[needed[next]].input >= 0 || chosen[needed[next]] >= 0))
      ++next;
    if (next == needed.size()) {
      if (seen.insert(chosen).second)
        found.push_back(chosen);
      return;
    }
    unsigned node = needed[next];
    const Node &n = nodes[node];
    for (unsigned e = 0; e < n.producers.size(); ++e) {
      chosen[node] = e;
      bool cyclic = false;
      for (unsigned operand : n.producers[e].operands)
        cyclic |= dependsOn(operand, node, 0);
      if (!cyclic) {
        size_t mark = needed.size();
        for (unsigned operand : n.producers[e].operands)
          needed.push_back(operand);
        visit(next + 1, numOps + 1);
        needed.resize(mark);
      }
      chosen[node] = -1;
    }
  };
  visit(0, 0);

  // Build kernel graphs, fewest ops first (ties in discovery order).
  auto countOps = [](const std::vector<int> &c) {
    return llvm::count_if(c, [](int e) { return e >= 0; });
  };
  std::stable_sort(
      found.begin(), found.end(),
      [&](const auto &a, const auto &b) { return countOps(a) < countOps(b); });
  for (const std::vector<int> &edges : found) {
    if (result.size() >= maxCount)
      break;
    KernelGraph kg;
    kg.numInputs = target.numInputs;
    kg.inputArguments = target.inputArguments;
    kg.indexExtents = target.indexExtents;
    for (unsigned i = 0; i < target.numInputs; ++i)
      kg.tensors.push_back(target.tensors[i]);
    llvm::DenseMap<unsigned, unsigned> tensorOf;
    for (unsigned i = 0; i < target.numInputs; ++i)
      tensorOf[i] = i;
    // Emit in dependence order.
    std::function<unsigned(unsigned)> emit = [&](unsigned node) -> unsigned {
      auto it = tensorOf.find(node);
      if (it != tensorOf.end())
        return it->second;
      const Edge &edge = nodes[node].producers[edges[node]];
      KernelGraph::Op op;
      op.spec = edge.spec;
      for (unsigned operand : edge.operands)
        op.operands.push_back(emit(operand));
      kg.tensors.push_back(nodes[node].info);
      op.result = kg.tensors.size() - 1;
      tensorOf[node] = op.result;
      kg.ops.push_back(std::move(op));
      return kg.ops.back().result;
    };
    for (auto o : outputs)
      kg.outputs.push_back(emit(*o));
    result.push_back(std::move(kg));
  }
  return result;
}
