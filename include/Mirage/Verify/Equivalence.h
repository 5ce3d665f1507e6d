//===- Equivalence.h - Probabilistic equivalence of kernel graphs -*- C++
//-*-===//
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
//     same random inputs in Z_p × Z_q and must agree exactly. Enough
//     independent tests run that the false-accept probability, bounded per
//     test by log2FalseAccept (docs/verification.md), is at most 2^-30;
//  2. a float check: both run in f32 (results rounded to their element
//     types) on random inputs drawn as mirage-run draws them, and must agree
//     within mirage-run's default tolerance, without NaN or Inf. This rejects
//     candidates that compute the right function in a numerically unstable
//     way.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_VERIFY_EQUIVALENCE_H
#define MIRAGE_VERIFY_EQUIVALENCE_H

#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Interpreter/Tensor.h"
#include "Mirage/Verify/FieldDomain.h"
#include "Mirage/Verify/TestBound.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
namespace mirage {

struct EquivalenceOptions {
  uint64_t seed = 0;
  /// The largest acceptable false-accept probability, as log2.
  double log2Target = -30;
  /// Finite-field tests per candidate, at least.
  unsigned minTests = 1;
  /// Polled between tests and ops (InterpreterOptions::shouldStop): when it
  /// returns true, create() and the checks return failure without a
  /// diagnostic, and the caller reports the stop.
  std::function<bool()> shouldStop;
};

struct EquivalenceReport {
  bool equivalent = false;
  /// Why the candidate was rejected, if it was.
  std::string reason;
  unsigned fieldTests = 0;
  /// log2 of the false-accept bound of the tests together.
  double log2Bound = 0;
  /// The float check: max |candidate − reference| / max |reference| over the
  /// outputs.
  double maxRelativeError = 0;
};

/// Checks candidates against one reference, caching the reference's
/// fingerprints and float outputs across candidates.
class EquivalenceChecker {
public:
  /// `reference` must stay alive while the checker is used;
  /// `referenceDegrees` is its structure (analyzeProgramDegrees). Fails, with
  /// a diagnostic, if the reference cannot be evaluated in the field (ops
  /// outside the fragment).
  static FailureOr<std::unique_ptr<EquivalenceChecker>>
  create(func::FuncOp reference, const ProgramDegrees &referenceDegrees,
         EquivalenceOptions options);

  /// Compares a candidate with the reference. `candidateDegrees` is the
  /// structure of the kernel-level program the candidate implements (for a
  /// μGraph, the derivation it was built from); it decides how many tests
  /// run. Evaluation errors (unsupported ops in the candidate) emit a
  /// diagnostic and fail; a mismatch is a report with equivalent = false.
  FailureOr<EquivalenceReport> check(func::FuncOp candidate,
                                     const ProgramDegrees &candidateDegrees);

  /// Runs the first `numTests` finite-field tests only (no float check, no
  /// bound): what the superoptimizer's cache does to check a stored entry
  /// against its input. The report's `equivalent` says whether all agreed.
  /// Fails, with a diagnostic, as check() does.
  FailureOr<EquivalenceReport> checkFieldTests(func::FuncOp candidate,
                                               unsigned numTests);

  /// The finite-field tests a candidate of this structure needs.
  unsigned getNumTests(const ProgramDegrees &candidateDegrees) const;

  /// The most memory, in bytes, that checking `candidate` with `numTests`
  /// field tests (check() or checkFieldTests()) holds at once: the field
  /// test's inputs and live intermediates (16 bytes a value) of the reference
  /// or the candidate, whichever is more, the reference's outputs kept for
  /// every test, and the float check's inputs, reference outputs and
  /// intermediates (4 bytes a value). An estimate from the IR
  /// (MemoryFootprint.h); nothing is allocated.
  uint64_t estimateCheckBytes(func::FuncOp candidate, unsigned numTests) const;

  ~EquivalenceChecker();

private:
  EquivalenceChecker() = default;
  struct Test;
  /// The interpreters' options: defaults, plus the stop request.
  InterpreterOptions getInterpreterOptions() const;
  /// Runs test `index` on `candidate`: the reference's outputs are computed
  /// (on the same inputs) and kept the first time.
  FailureOr<SmallVector<Tensor<FieldValue>>>
  runTest(unsigned index, func::FuncOp candidate, bool &degenerate);
  /// Evaluates the reference in f32 on the float check's inputs, the first
  /// time a float check needs it.
  LogicalResult ensureFloatReference();

  func::FuncOp reference;
  ProgramDegrees referenceDegrees;
  EquivalenceOptions options;
  std::vector<std::unique_ptr<Test>> tests;
  std::vector<Tensor<float>> floatInputs, floatReference;
  bool floatReferenceReady = false;
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_VERIFY_EQUIVALENCE_H
