//===- EGraph.h - Abstract expressions and their e-graph --------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Abstract expressions describe what a tensor computes, element by element,
// with the layout abstracted away: matmul(A, B) is Σ_k A·B, a reduction over a
// dim is Σ over that dim's index, rms_norm(x) is x / √(Σ x² · 1/n). As in
// Mirage (Wu et al., OSDI 2025, §4), the superoptimizer keeps a candidate op
// only if its expression is a subexpression of the target's, modulo axioms.
//
// Unlike Mirage's, these expressions are index-aware: every Σ names the index
// it binds (an index id shared by all dims that range over it, assigned by
// analyzeKernelGraph in KernelGraph.h), and every expression knows its free
// indices. That makes the
// axioms exact rather than over-approximate (a factor leaves Σ_n only if it
// does not depend on n) and tells a reduction over the wrong dim from the
// right one.
//
// The check is done with an e-graph (Willsey et al., "egg", POPL 2021): the
// target's expression is added, the axioms are applied as rewrites until
// saturation (or a size limit), and a candidate expression is a subexpression
// iff every one of its nodes is found in the saturated graph.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SEARCH_EGRAPH_H
#define MIRAGE_SEARCH_EGRAPH_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mlir {
namespace mirage {
namespace search {

/// An e-class: a set of equivalent expressions.
using EClassId = uint32_t;

/// A set of index ids (bit i = index i). Programs use at most 64 indices.
using IndexSet = uint64_t;

enum class ExprKind : uint8_t {
  Var,     // payload: the input's number
  Const,   // payload: the bits of the double value
  Add,     // a + b
  Mul,     // a · b
  Div,     // a / b
  Sum,     // Σ_i a; payload: the index id i
  Exp,     // e^a
  Sqrt,    // √a
  Silu,    // silu(a)
  Gelu,    // gelu(a)
  Relu,    // relu(a)
  Sigmoid, // sigmoid(a)
  Clamp,   // clamp(a); payload: bounds, an index into the e-graph's table
  Pow,     // a ^ b
};

/// One operator applied to e-classes.
struct ENode {
  ExprKind kind;
  int64_t payload = 0;
  SmallVector<EClassId, 2> children;

  bool operator==(const ENode &other) const {
    return kind == other.kind && payload == other.payload &&
           children == other.children;
  }
};

struct ENodeHash {
  size_t operator()(const ENode &node) const;
};

/// Limits on equality saturation.
struct SaturationLimits {
  unsigned maxIterations = 12;
  size_t maxNodes = 40000;
};

/// An e-graph over abstract expressions with Mirage's axioms (commutativity
/// and associativity of + and ·, distributivity, x/z + y/z = (x+y)/z,
/// x·(y/z) = (x·y)/z, Σ over +, Σ over · and / for factors that do not depend
/// on the summed index, exchange of Σs, and constant folding).
class EGraph {
public:
  /// Declares the free indices of input `var`.
  void setVarIndices(int64_t var, IndexSet indices);

  /// Adds a node (children need not be canonical) and returns its class.
  EClassId add(ENode node);
  /// The class of a node already in the graph, or none. Does not insert.
  std::optional<EClassId> lookup(ENode node) const;

  /// Node builders that insert.
  EClassId var(int64_t input);
  EClassId constant(double value);
  EClassId unary(ExprKind kind, EClassId a, int64_t payload = 0);
  EClassId binary(ExprKind kind, EClassId a, EClassId b);
  EClassId sum(int index, EClassId a);
  /// The payload of a clamp with these bounds (interned).
  int64_t internClampBounds(double lo, double hi);
  /// The payload of a clamp with these bounds, if interned.
  std::optional<int64_t> findClampBounds(double lo, double hi) const;

  /// The canonical representative of a class.
  EClassId find(EClassId id) const;
  /// Merges two classes; call rebuild() before lookups.
  bool merge(EClassId a, EClassId b);
  /// Restores congruence (equal children => equal parents).
  void rebuild();

  /// Applies the axioms as rewrites until nothing changes or a limit is
  /// hit. Returns true if the graph saturated (no rewrite added anything).
  bool saturate(const SaturationLimits &limits = {});

  IndexSet getFreeIndices(EClassId id) const;
  size_t getNumNodes() const;
  size_t getNumClasses() const;

  /// The nodes of a class (canonical children).
  ArrayRef<ENode> getNodes(EClassId id) const;
  /// The constant a class holds, if it holds one.
  std::optional<double> getConstant(EClassId id) const;
  /// All constants in the graph, in order of first insertion.
  SmallVector<double> getConstants() const;
  /// The clamp bounds of a payload.
  std::pair<double, double> getClampBounds(int64_t payload) const {
    return clampBounds[payload];
  }

  /// A readable form of one expression of a class, for diagnostics.
  std::string toString(EClassId id) const;

private:
  struct EClass {
    std::vector<ENode> nodes;
    IndexSet free = 0;
  };

  ENode canonicalize(ENode node) const;
  IndexSet computeFree(const ENode &node) const;

  mutable std::vector<EClassId> parent;
  std::vector<EClass> classes;
  std::unordered_map<ENode, EClassId, ENodeHash> memo;
  llvm::DenseMap<int64_t, IndexSet> varIndices;
  std::vector<std::pair<double, double>> clampBounds;
  std::vector<double> constants;
  bool dirty = false;
};

/// Builds expressions in an e-graph either by inserting (for the target) or
/// by looking up only (for candidates: a missing node means the candidate is
/// not a subexpression of the target). A failed lookup propagates as none.
class ExprBuilder {
public:
  ExprBuilder(EGraph &graph, bool insert) : graph(graph), insert(insert) {}

  std::optional<EClassId> node(ExprKind kind, int64_t payload,
                               ArrayRef<std::optional<EClassId>> children);
  std::optional<EClassId> var(int64_t input) {
    return node(ExprKind::Var, input, {});
  }
  std::optional<EClassId> constant(double value);
  std::optional<EClassId> unary(ExprKind kind, std::optional<EClassId> a) {
    return node(kind, 0, {a});
  }
  std::optional<EClassId> binary(ExprKind kind, std::optional<EClassId> a,
                                 std::optional<EClassId> b) {
    return node(kind, 0, {a, b});
  }
  std::optional<EClassId> sum(int index, std::optional<EClassId> a) {
    return node(ExprKind::Sum, index, {a});
  }
  std::optional<EClassId> clamp(double lo, double hi,
                                std::optional<EClassId> a);

  EGraph &getGraph() { return graph; }
  bool isInserting() const { return insert; }

private:
  EGraph &graph;
  bool insert;
};

} // namespace search
} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SEARCH_EGRAPH_H
