//===- EGraph.cpp - Abstract expressions and their e-graph ------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/EGraph.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <functional>

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

size_t ENodeHash::operator()(const ENode &node) const {
  return llvm::hash_combine(
      static_cast<unsigned>(node.kind), node.payload,
      llvm::hash_combine_range(node.children.begin(), node.children.end()));
}

static int64_t doubleBits(double value) {
  int64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

static double bitsDouble(int64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

//===----------------------------------------------------------------------===//
// Core e-graph
//===----------------------------------------------------------------------===//

void EGraph::setVarIndices(int64_t var, IndexSet indices) {
  varIndices[var] = indices;
}

EClassId EGraph::find(EClassId id) const {
  while (parent[id] != id) {
    parent[id] = parent[parent[id]];
    id = parent[id];
  }
  return id;
}

ENode EGraph::canonicalize(ENode node) const {
  for (EClassId &child : node.children)
    child = find(child);
  return node;
}

IndexSet EGraph::computeFree(const ENode &node) const {
  switch (node.kind) {
  case ExprKind::Var:
    return varIndices.lookup(node.payload);
  case ExprKind::Const:
    return 0;
  case ExprKind::Sum:
    return classes[find(node.children[0])].free &
           ~(IndexSet(1) << node.payload);
  default: {
    IndexSet free = 0;
    for (EClassId child : node.children)
      free |= classes[find(child)].free;
    return free;
  }
  }
}

EClassId EGraph::add(ENode node) {
  node = canonicalize(std::move(node));
  auto it = memo.find(node);
  if (it != memo.end())
    return find(it->second);
  EClassId id = classes.size();
  parent.push_back(id);
  classes.emplace_back();
  classes.back().free = computeFree(node);
  if (node.kind == ExprKind::Const)
    constants.push_back(bitsDouble(node.payload));
  classes.back().nodes.push_back(node);
  memo.emplace(std::move(node), id);
  return id;
}

std::optional<EClassId> EGraph::lookup(ENode node) const {
  node = canonicalize(std::move(node));
  auto it = memo.find(node);
  if (it == memo.end())
    return std::nullopt;
  return find(it->second);
}

EClassId EGraph::var(int64_t input) {
  return add(ENode{ExprKind::Var, input, {}});
}

EClassId EGraph::constant(double value) {
  if (value == 0.0)
    value = 0.0; // one zero
  return add(ENode{ExprKind::Const, doubleBits(value), {}});
}

EClassId EGraph::unary(ExprKind kind, EClassId a, int64_t payload) {
  return add(ENode{kind, payload, {a}});
}

EClassId EGraph::binary(ExprKind kind, EClassId a, EClassId b) {
  return add(ENode{kind, 0, {a, b}});
}

EClassId EGraph::sum(int index, EClassId a) {
  return add(ENode{ExprKind::Sum, index, {a}});
}

int64_t EGraph::internClampBounds(double lo, double hi) {
  for (auto [i, bounds] : llvm::enumerate(clampBounds))
    if (bounds.first == lo && bounds.second == hi)
      return i;
  clampBounds.push_back({lo, hi});
  return clampBounds.size() - 1;
}

std::optional<int64_t> EGraph::findClampBounds(double lo, double hi) const {
  for (auto [i, bounds] : llvm::enumerate(clampBounds))
    if (bounds.first == lo && bounds.second == hi)
      return i;
  return std::nullopt;
}

bool EGraph::merge(EClassId a, EClassId b) {
  a = find(a);
  b = find(b);
  if (a == b)
    return false;
  if (classes[a].nodes.size() < classes[b].nodes.size())
    std::swap(a, b);
  parent[b] = a;
  auto &into = classes[a].nodes;
  auto &from = classes[b].nodes;
  into.insert(into.end(), from.begin(), from.end());
  from.clear();
  from.shrink_to_fit();
  classes[a].free |= classes[b].free;
  dirty = true;
  return true;
}

void EGraph::rebuild() {
  if (!dirty)
    return;
  // Re-canonicalize every node and merge classes that now hold the same
  // node, until no merge happens (congruence closure).
  bool changed = true;
  while (changed) {
    changed = false;
    memo.clear();
    for (EClassId id = 0; id < classes.size(); ++id) {
      if (find(id) != id)
        continue;
      for (ENode &node : classes[id].nodes) {
        node = canonicalize(node);
        auto [it, inserted] = memo.emplace(node, id);
        if (!inserted && find(it->second) != find(id)) {
          merge(it->second, id);
          changed = true;
        }
      }
    }
  }
  for (EClassId id = 0; id < classes.size(); ++id) {
    if (find(id) != id)
      continue;
    auto &nodes = classes[id].nodes;
    std::vector<ENode> unique;
    for (ENode &node : nodes)
      if (!llvm::is_contained(unique, node))
        unique.push_back(std::move(node));
    nodes = std::move(unique);
  }
  // The memo maps to classes that may since have been merged; find() fixes
  // that on lookup.
  dirty = false;
}

IndexSet EGraph::getFreeIndices(EClassId id) const {
  return classes[find(id)].free;
}

size_t EGraph::getNumNodes() const { return memo.size(); }

size_t EGraph::getNumClasses() const {
  size_t n = 0;
  for (EClassId id = 0; id < classes.size(); ++id)
    n += find(id) == id;
  return n;
}

ArrayRef<ENode> EGraph::getNodes(EClassId id) const {
  return classes[find(id)].nodes;
}

std::optional<double> EGraph::getConstant(EClassId id) const {
  for (const ENode &node : getNodes(id))
    if (node.kind == ExprKind::Const)
      return bitsDouble(node.payload);
  return std::nullopt;
}

SmallVector<double> EGraph::getConstants() const {
  return SmallVector<double>(constants.begin(), constants.end());
}

std::string EGraph::toString(EClassId id) const {
  // Print the first node of each class, depth-limited.
  std::function<void(llvm::raw_ostream &, EClassId, int)> print =
      [&](llvm::raw_ostream &os, EClassId c, int depth) {
        const ENode &node = getNodes(c).front();
        if (depth > 8) {
          os << "…";
          return;
        }
        auto args = [&] {
          os << "(";
          llvm::interleaveComma(node.children, os, [&](EClassId child) {
            print(os, child, depth + 1);
          });
          os << ")";
        };
        switch (node.kind) {
        case ExprKind::Var:
          os << "x" << node.payload;
          return;
        case ExprKind::Const:
          os << bitsDouble(node.payload);
          return;
        case ExprKind::Sum:
          os << "sum[i" << node.payload << "]";
          args();
          return;
        default:
          break;
        }
        static const char *names[] = {
            "var",  "const", "add",  "mul",  "div",     "sum",   "exp",
            "sqrt", "silu",  "gelu", "relu", "sigmoid", "clamp", "pow"};
        os << names[static_cast<int>(node.kind)];
        args();
      };
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os, id, 0);
  return s;
}

//===----------------------------------------------------------------------===//
// Axioms
//===----------------------------------------------------------------------===//

namespace {
/// A rewrite found during a pass: build `term` and merge it into `target`.
struct Rewrite {
  EClassId target;
  std::function<EClassId(EGraph &)> term;
};
} // namespace

bool EGraph::saturate(const SaturationLimits &limits) {
  rebuild();
  for (unsigned iteration = 0; iteration < limits.maxIterations; ++iteration) {
    std::vector<Rewrite> rewrites;
    auto nodesOf = [&](EClassId c) { return getNodes(c); };
    auto isNot = [&](int index, EClassId c) {
      return !(getFreeIndices(c) & (IndexSet(1) << index));
    };
    for (EClassId id = 0; id < classes.size(); ++id) {
      if (find(id) != id)
        continue;
      // Copy: rewrites are applied after the scan.
      std::vector<ENode> nodes = classes[id].nodes;
      for (const ENode &n : nodes) {
        using K = ExprKind;
        EClassId a = n.children.size() > 0 ? n.children[0] : 0;
        EClassId b = n.children.size() > 1 ? n.children[1] : 0;
        switch (n.kind) {
        case K::Add:
        case K::Mul: {
          K op = n.kind;
          // Commutativity.
          rewrites.push_back(
              {id, [=](EGraph &g) { return g.binary(op, b, a); }});
          // Associativity, both ways.
          for (const ENode &m : nodesOf(a))
            if (m.kind == op) {
              EClassId x = m.children[0], y = m.children[1];
              rewrites.push_back({id, [=](EGraph &g) {
                                    return g.binary(op, x, g.binary(op, y, b));
                                  }});
            }
          for (const ENode &m : nodesOf(b))
            if (m.kind == op) {
              EClassId x = m.children[0], y = m.children[1];
              rewrites.push_back({id, [=](EGraph &g) {
                                    return g.binary(op, g.binary(op, a, x), y);
                                  }});
            }
          // Constant folding.
          std::optional<double> ca = getConstant(a), cb = getConstant(b);
          if (ca && cb) {
            double value = op == K::Add ? *ca + *cb : *ca * *cb;
            rewrites.push_back(
                {id, [=](EGraph &g) { return g.constant(value); }});
          }
          if (op == K::Mul && ca && *ca == 1.0)
            rewrites.push_back({id, [=](EGraph &) { return b; }});
          if (op == K::Add && ca && *ca == 0.0)
            rewrites.push_back({id, [=](EGraph &) { return b; }});
          if (op == K::Mul) {
            for (const ENode &m : nodesOf(b)) {
              // a·(x + y) -> a·x + a·y.
              if (m.kind == K::Add) {
                EClassId x = m.children[0], y = m.children[1];
                rewrites.push_back({id, [=](EGraph &g) {
                                      return g.binary(K::Add,
                                                      g.binary(K::Mul, a, x),
                                                      g.binary(K::Mul, a, y));
                                    }});
              }
              // a·(x / y) -> (a·x) / y.
              if (m.kind == K::Div) {
                EClassId x = m.children[0], y = m.children[1];
                rewrites.push_back({id, [=](EGraph &g) {
                                      return g.binary(
                                          K::Div, g.binary(K::Mul, a, x), y);
                                    }});
              }
              // a·Σ_i x -> Σ_i a·x when a does not depend on i.
              if (m.kind == K::Sum && isNot(m.payload, a)) {
                int i = m.payload;
                EClassId x = m.children[0];
                rewrites.push_back({id, [=](EGraph &g) {
                                      return g.sum(i, g.binary(K::Mul, a, x));
                                    }});
              }
            }
          }
          if (op == K::Add) {
            for (const ENode &m1 : nodesOf(a))
              for (const ENode &m2 : nodesOf(b)) {
                if (m1.kind != m2.kind)
                  continue;
                // a·x + a·y -> a·(x + y).
                if (m1.kind == K::Mul &&
                    find(m1.children[0]) == find(m2.children[0])) {
                  EClassId f = m1.children[0], x = m1.children[1],
                           y = m2.children[1];
                  rewrites.push_back({id, [=](EGraph &g) {
                                        return g.binary(K::Mul, f,
                                                        g.binary(K::Add, x, y));
                                      }});
                }
                // x/c + y/c -> (x + y)/c.
                if (m1.kind == K::Div &&
                    find(m1.children[1]) == find(m2.children[1])) {
                  EClassId c = m1.children[1], x = m1.children[0],
                           y = m2.children[0];
                  rewrites.push_back({id, [=](EGraph &g) {
                                        return g.binary(
                                            K::Div, g.binary(K::Add, x, y), c);
                                      }});
                }
                // Σ_i x + Σ_i y -> Σ_i (x + y).
                if (m1.kind == K::Sum && m1.payload == m2.payload) {
                  int i = m1.payload;
                  EClassId x = m1.children[0], y = m2.children[0];
                  rewrites.push_back({id, [=](EGraph &g) {
                                        return g.sum(i, g.binary(K::Add, x, y));
                                      }});
                }
              }
          }
          break;
        }
        case K::Div: {
          std::optional<double> cb = getConstant(b);
          if (cb && *cb != 0.0) {
            double inverse = 1.0 / *cb;
            rewrites.push_back({id, [=](EGraph &g) {
                                  return g.binary(K::Mul, g.constant(inverse),
                                                  a);
                                }});
          }
          for (const ENode &m : nodesOf(a)) {
            EClassId x = m.children.size() > 0 ? m.children[0] : 0;
            EClassId y = m.children.size() > 1 ? m.children[1] : 0;
            // (x + y)/b -> x/b + y/b.
            if (m.kind == K::Add)
              rewrites.push_back({id, [=](EGraph &g) {
                                    return g.binary(K::Add,
                                                    g.binary(K::Div, x, b),
                                                    g.binary(K::Div, y, b));
                                  }});
            // (x·y)/b -> x·(y/b).
            if (m.kind == K::Mul)
              rewrites.push_back({id, [=](EGraph &g) {
                                    return g.binary(K::Mul, x,
                                                    g.binary(K::Div, y, b));
                                  }});
            // (Σ_i x)/b -> Σ_i x/b when b does not depend on i.
            if (m.kind == K::Sum && isNot(m.payload, b)) {
              int i = m.payload;
              rewrites.push_back({id, [=](EGraph &g) {
                                    return g.sum(i, g.binary(K::Div, x, b));
                                  }});
            }
          }
          break;
        }
        case K::Sum: {
          int i = n.payload;
          for (const ENode &m : nodesOf(a)) {
            EClassId x = m.children.size() > 0 ? m.children[0] : 0;
            EClassId y = m.children.size() > 1 ? m.children[1] : 0;
            switch (m.kind) {
            case K::Add: // Σ(x + y) -> Σx + Σy
              rewrites.push_back({id, [=](EGraph &g) {
                                    return g.binary(K::Add, g.sum(i, x),
                                                    g.sum(i, y));
                                  }});
              break;
            case K::Mul: // Σ x·y -> x·Σy (x independent of i)
              if (isNot(i, x))
                rewrites.push_back({id, [=](EGraph &g) {
                                      return g.binary(K::Mul, x, g.sum(i, y));
                                    }});
              break;
            case K::Div: // Σ x/y -> (Σx)/y (y independent of i)
              if (isNot(i, y))
                rewrites.push_back({id, [=](EGraph &g) {
                                      return g.binary(K::Div, g.sum(i, x), y);
                                    }});
              break;
            case K::Sum: { // Σ_i Σ_j x -> Σ_j Σ_i x
              int j = m.payload;
              rewrites.push_back(
                  {id, [=](EGraph &g) { return g.sum(j, g.sum(i, x)); }});
              break;
            }
            default:
              break;
            }
          }
          break;
        }
        default:
          break;
        }
      }
    }

    size_t nodesBefore = getNumNodes(), classesBefore = getNumClasses();
    for (Rewrite &rewrite : rewrites) {
      merge(rewrite.target, rewrite.term(*this));
      if (getNumNodes() > limits.maxNodes)
        break;
    }
    rebuild();
    if (getNumNodes() == nodesBefore && getNumClasses() == classesBefore)
      return true;
    if (getNumNodes() > limits.maxNodes)
      return false;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// ExprBuilder
//===----------------------------------------------------------------------===//

std::optional<EClassId>
ExprBuilder::node(ExprKind kind, int64_t payload,
                  ArrayRef<std::optional<EClassId>> children) {
  ENode n{kind, payload, {}};
  for (std::optional<EClassId> child : children) {
    if (!child)
      return std::nullopt;
    n.children.push_back(*child);
  }
  if (insert)
    return graph.add(std::move(n));
  return graph.lookup(std::move(n));
}

std::optional<EClassId> ExprBuilder::constant(double value) {
  if (value == 0.0)
    value = 0.0;
  return node(ExprKind::Const, doubleBits(value), {});
}

std::optional<EClassId> ExprBuilder::clamp(double lo, double hi,
                                           std::optional<EClassId> a) {
  std::optional<int64_t> payload =
      insert ? graph.internClampBounds(lo, hi) : graph.findClampBounds(lo, hi);
  if (!payload)
    return std::nullopt;
  return node(ExprKind::Clamp, *payload, {a});
}
