//===- TestBound.cpp - False-accept bound of a finite-field test ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Verify/TestBound.h"
#include "Mirage/Verify/FieldDomain.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

namespace {
/// The rational function one element of a tensor is, in outline.
struct ElementDegrees {
  int64_t num = 1, den = 0;
  /// The indices the denominator depends on: a sum over any other index
  /// adds fractions over one common denominator.
  IndexSet denIndices = 0;
  int64_t argDegree = 0;
  /// A tensor of function results in the element's cone: its indices, and
  /// those of them that a sum on the way ranges over (the element depends
  /// on every value along those, whatever the output fixes).
  struct Cone {
    IndexSet indices = 0, summed = 0;
  };
  std::map<unsigned, Cone> functions;
};

IndexSet indexSetOf(const TensorInfo &t) {
  IndexSet set = 0;
  for (int id : t.indices)
    if (id != kUnitIndex)
      set |= IndexSet(1) << id;
  return set;
}

void mergeCones(ElementDegrees &into, const ElementDegrees &from) {
  for (const auto &[tensor, cone] : from.functions) {
    auto [it, inserted] = into.functions.try_emplace(tensor, cone);
    // Reached along two paths: the sums of both.
    if (!inserted)
      it->second.summed |= cone.summed;
  }
  into.argDegree = std::max(into.argDegree, from.argDegree);
}

/// Σ over an index of `extent` values.
void sumOver(ElementDegrees &x, int index, int64_t extent) {
  if (index == kUnitIndex || extent <= 1)
    return;
  IndexSet bit = IndexSet(1) << index;
  // Every function value along the index now reaches the element, even if
  // the output fixes an index of the same id (softmax: e[i, j] / Σ_j e[i, j]
  // depends on the whole row of e).
  for (auto &entry : x.functions)
    if (entry.second.indices & bit)
      entry.second.summed |= bit;
  if (x.den > 0 && (x.denIndices & bit)) {
    // Distinct denominators: over their product, the numerator gains
    // (extent − 1) of them.
    x.num += (extent - 1) * x.den;
    x.den *= extent;
    x.denIndices &= ~bit;
  }
}

/// The element-wise product or quotient of a and b.
ElementDegrees product(const ElementDegrees &a, const ElementDegrees &b) {
  ElementDegrees r = a;
  mergeCones(r, b);
  r.num = a.num + b.num;
  r.den = a.den + b.den;
  r.denIndices = a.denIndices | b.denIndices;
  return r;
}

/// A fresh function value of argument(s) `args`, applied per element of
/// `result` (tensor id `resultId`).
ElementDegrees application(ArrayRef<const ElementDegrees *> args,
                           unsigned resultId, const TensorInfo &result) {
  ElementDegrees r;
  for (const ElementDegrees *arg : args) {
    mergeCones(r, *arg);
    r.argDegree = std::max(r.argDegree, arg->num + arg->den);
  }
  r.functions[resultId] = {indexSetOf(result), 0};
  return r;
}
} // namespace

ProgramDegrees mlir::mirage::analyzeProgramDegrees(const KernelGraph &graph) {
  std::vector<ElementDegrees> degrees(graph.tensors.size());
  // Function results created inside an op (rms_norm's sqrt) get ids past
  // the tensors.
  unsigned nextHidden = graph.tensors.size();
  for (const KernelGraph::Op &op : graph.ops) {
    const ElementDegrees &a = degrees[op.operands[0]];
    const TensorInfo &resultInfo = graph.tensors[op.result];
    ElementDegrees r;
    switch (op.spec.kind) {
    case OpKind::Matmul: {
      const TensorInfo &lhs = graph.tensors[op.operands[0]];
      int k = lhs.indices.back();
      r = product(a, degrees[op.operands[1]]);
      sumOver(r, k, lhs.shape.back());
      break;
    }
    case OpKind::ReduceSum: {
      const TensorInfo &in = graph.tensors[op.operands[0]];
      r = a;
      sumOver(r, in.indices[op.spec.dim], in.shape[op.spec.dim]);
      break;
    }
    case OpKind::Add:
    case OpKind::Sub: {
      const ElementDegrees &b = degrees[op.operands[1]];
      r = product(a, b);
      r.num = std::max(a.num + b.den, b.num + a.den);
      break;
    }
    case OpKind::Mul:
      r = product(a, degrees[op.operands[1]]);
      break;
    case OpKind::Div: {
      const ElementDegrees &b = degrees[op.operands[1]];
      r = product(a, b);
      r.num = a.num + b.den;
      r.den = a.den + b.num;
      // The new denominator factor is b's numerator, which varies with every
      // index of b.
      r.denIndices |= indexSetOf(graph.tensors[op.operands[1]]);
      break;
    }
    case OpKind::Square:
      r = product(a, a);
      break;
    case OpKind::MulScalar:
      r = a;
      break;
    case OpKind::Exp:
    case OpKind::Sqrt:
    case OpKind::Silu:
    case OpKind::Gelu:
    case OpKind::Relu:
    case OpKind::Sigmoid:
    case OpKind::Clamp:
      r = application({&a}, op.result, resultInfo);
      break;
    case OpKind::Rsqrt:
      // 1 / sqrt(x): the test computes it so.
      r = application({&a}, op.result, resultInfo);
      r.num = 0;
      r.den = 1;
      r.denIndices = indexSetOf(resultInfo);
      break;
    case OpKind::Pow:
      r = application({&a, &degrees[op.operands[1]]}, op.result, resultInfo);
      break;
    case OpKind::RmsNorm: {
      // x / sqrt(Σ x² / n + eps) over the trailing op.spec.dim dims.
      const TensorInfo &in = graph.tensors[op.operands[0]];
      ElementDegrees squares = product(a, a);
      IndexSet rowIndices = indexSetOf(in);
      for (int64_t d = in.getRank() - op.spec.dim; d < in.getRank(); ++d) {
        sumOver(squares, in.indices[d], in.shape[d]);
        if (in.indices[d] != kUnitIndex)
          rowIndices &= ~(IndexSet(1) << in.indices[d]);
      }
      // + eps keeps the denominator and may raise the numerator to it.
      squares.num = std::max(squares.num, squares.den);
      ElementDegrees root;
      mergeCones(root, squares);
      root.argDegree = std::max(squares.argDegree, squares.num + squares.den);
      root.functions[nextHidden++] = {rowIndices, 0};
      r = a;
      mergeCones(r, root);
      r.den = a.den + 1;
      r.denIndices = a.denIndices | rowIndices;
      break;
    }
    }
    degrees[op.result] = std::move(r);
  }

  // Inputs: degree 1, no denominator (the defaults).
  ProgramDegrees result;
  for (unsigned out : graph.outputs) {
    const ElementDegrees &d = degrees[out];
    IndexSet fixed = indexSetOf(graph.tensors[out]);
    double apps = 0;
    for (const auto &[tensor, cone] : d.functions) {
      // The values along indices the output does not fix, or that a sum
      // ranges over.
      IndexSet varying = cone.indices & (~fixed | cone.summed);
      double count = 1;
      for (unsigned id = 0; id < graph.getNumIndices(); ++id)
        if (varying >> id & 1)
          count *= static_cast<double>(graph.indexExtents[id]);
      apps += count;
    }
    result.numeratorDegree = std::max(result.numeratorDegree, d.num);
    result.denominatorDegree = std::max(result.denominatorDegree, d.den);
    result.functionApplications = std::max(result.functionApplications, apps);
    result.argumentDegree = std::max(result.argumentDegree, d.argDegree);
  }
  return result;
}

FailureOr<ProgramDegrees>
mlir::mirage::analyzeProgramDegrees(func::FuncOp func) {
  EGraph scratch;
  FailureOr<KernelGraph> graph = analyzeKernelGraph(func, scratch);
  if (failed(graph))
    return failure();
  return analyzeProgramDegrees(*graph);
}

double mlir::mirage::log2FalseAccept(const ProgramDegrees &reference,
                                     const ProgramDegrees &candidate) {
  // Two distinct function arguments collide with probability at most
  // 2d / q (their difference's numerator has degree ≤ 2d); a union bound
  // over the pairs of the A applications both programs make.
  double a = reference.functionApplications + candidate.functionApplications;
  double d = static_cast<double>(std::max<int64_t>(
      1, std::max(reference.argumentDegree, candidate.argumentDegree)));
  double collisions = a * (a - 1) / 2 * 2 * d / static_cast<double>(kFieldQ);
  // Without collisions, R − C is a nonzero rational function of independent
  // uniform values; its numerator vanishes with probability at most its
  // degree over q (Schwartz–Zippel, on the Z_q components).
  double identity =
      static_cast<double>(std::max<int64_t>(
          1,
          std::max(reference.numeratorDegree + candidate.denominatorDegree,
                   candidate.numeratorDegree + reference.denominatorDegree))) /
      static_cast<double>(kFieldQ);
  return std::log2(collisions + identity);
}
