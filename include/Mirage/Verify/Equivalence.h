//===- Equivalence.h - Probabilistic equivalence of kernel graphs -*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decides whether a candidate μGraph computes the same function as a
// reference kernel graph:
//
//  1. finite-field tests (FieldDomain): both programs are evaluated on the
//     same random inputs in Z_p × Z_q and must agree exactly. Tests use
//     homomorphic exp (Mirage's construction) and random-oracle exp; enough
//     of each run that the false-accept probability, bounded per test by
//     estimateTestBound (docs/verification.md), is at most 2^-30;
//  2. a float check: both run in f32 (results rounded to their element
//     types) on random inputs drawn as mirage-run draws them, and must agree
//     within mirage-run's default tolerance, without NaN or Inf. This rejects
//     candidates that compute the right function in a numerically unstable
//     way.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_VERIFY_EQUIVALENCE_H
#define MIRAGE_VERIFY_EQUIVALENCE_H

#include "Mirage/Interpreter/Tensor.h"
#include "Mirage/Verify/FieldDomain.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
namespace mirage {

/// The bound on one finite-field test of a kernel graph against an
/// equivalent-looking candidate, from the reference's structure (see
/// docs/verification.md for the derivation).
struct TestBound {
  /// Degree of an output element's numerator and denominator, as a rational
  /// function of the inputs and of the outputs of non-polynomial functions.
  int64_t numeratorDegree = 0, denominatorDegree = 0;
  /// Applications of non-polynomial functions (exp, sqrt, ...) an output
  /// element depends on, and the largest degree of their arguments.
  double functionApplications = 0;
  int64_t argumentDegree = 0;
  /// log2 of the bound on the probability that one test accepts a wrong
  /// candidate.
  double log2PerTest = 0;
};

/// Computes the per-test bound of `reference` (kernel-level ops only).
FailureOr<TestBound> estimateTestBound(func::FuncOp reference);

struct EquivalenceOptions {
  uint64_t seed = 0;
  /// The largest acceptable false-accept probability, as log2.
  double log2Target = -30;
  /// Tests of each exp mode, at least.
  unsigned minTestsPerMode = 1;
};

struct EquivalenceReport {
  bool equivalent = false;
  /// Why the candidate was rejected, if it was.
  std::string reason;
  unsigned fieldTests = 0;
  /// log2 of the false-accept bound of all tests together.
  double log2Bound = 0;
  /// The float check: max |candidate − reference| / max |reference| over the
  /// outputs.
  double maxRelativeError = 0;
};

/// Checks candidates against one reference, caching the reference's
/// fingerprints and float outputs across candidates.
class EquivalenceChecker {
public:
  /// Fails, with a diagnostic, if the reference cannot be evaluated in the
  /// field (ops outside the fragment).
  static FailureOr<std::unique_ptr<EquivalenceChecker>>
  create(func::FuncOp reference, EquivalenceOptions options);

  /// Compares a candidate with the reference signature. Evaluation errors
  /// (unsupported ops in the candidate) emit a diagnostic and fail; a
  /// mismatch is a report with equivalent = false.
  FailureOr<EquivalenceReport> check(func::FuncOp candidate);

  const TestBound &getTestBound() const { return bound; }
  /// Field tests per candidate.
  unsigned getNumTests() const { return tests.size(); }

  ~EquivalenceChecker();

private:
  EquivalenceChecker() = default;
  struct Test;
  func::FuncOp reference;
  EquivalenceOptions options;
  TestBound bound;
  std::vector<std::unique_ptr<Test>> tests;
  std::vector<Tensor<float>> floatInputs, floatReference;
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_VERIFY_EQUIVALENCE_H
