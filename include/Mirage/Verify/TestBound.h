//===- TestBound.h - False-accept bound of a finite-field test --*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// How likely one finite-field test is to accept a candidate that differs from
// the reference. The Z_q components of a test form a random-oracle test over
// Z_q, and docs/verification.md derives
//
//   P[accept | R ≠ C] ≤ C(A, 2) · 2d / q + max(n_R + d_C, n_C + d_R) / q,
//
// with, per output element, A the distinct function applications of both
// programs together, d the largest degree of a function argument, and n, d
// the degrees of the numerator and denominator of the output as a rational
// function of the inputs and the function values. ProgramDegrees measures one
// program; log2FalseAccept combines two.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_VERIFY_TESTBOUND_H
#define MIRAGE_VERIFY_TESTBOUND_H

#include "Mirage/Search/KernelGraph.h"

namespace mlir {
namespace mirage {

/// The structure of one program, maximized over its output elements.
struct ProgramDegrees {
  /// Degrees of an output element's numerator and denominator.
  int64_t numeratorDegree = 0, denominatorDegree = 0;
  /// Distinct applications of non-polynomial functions (exp, sqrt, silu, ...)
  /// one output element depends on.
  double functionApplications = 0;
  /// The largest degree (numerator + denominator) of a function argument.
  int64_t argumentDegree = 0;
};

/// Measures a kernel graph. Applications are counted per output element
/// with the index ids: a function result F contributes the product of the
/// extents of F's indices that the output does not fix. Sums over an index
/// that a denominator does not depend on keep that denominator.
ProgramDegrees analyzeProgramDegrees(const search::KernelGraph &graph);

/// Measures a function of kernel-level ops (through analyzeKernelGraph);
/// emits a diagnostic and fails on ops outside the search's fragment.
FailureOr<ProgramDegrees> analyzeProgramDegrees(func::FuncOp func);

/// log2 of the bound on the probability that one finite-field test accepts
/// `candidate` although it differs from `reference`.
double log2FalseAccept(const ProgramDegrees &reference,
                       const ProgramDegrees &candidate);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_VERIFY_TESTBOUND_H
