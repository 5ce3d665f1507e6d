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
#include "Mirage/Interpreter/Slicing.h"
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
  /// The most bytes a check may hold at once: the inputs, intermediates and
  /// outputs of its evaluations (16 bytes a value in Z_p x Z_q, 4 in f32)
  /// and the reference's outputs it keeps. A program too large for it is
  /// evaluated piece by piece (Slicing.h), which computes the very same
  /// test; a candidate whose pieces cannot be made small enough is reported
  /// unverifiable.
  uint64_t memoryLimit = UINT64_MAX;
  /// Polled between tests and ops (InterpreterOptions::shouldStop): when it
  /// returns true, the checks return failure without a diagnostic, and the
  /// caller reports the stop.
  std::function<bool()> shouldStop;
};

struct EquivalenceReport {
  bool equivalent = false;
  /// True when the candidate could not be checked within the memory limit
  /// (`reason` says what it needs); `equivalent` is then false.
  bool unverifiable = false;
  /// Why the candidate was rejected or not checked, if it was.
  std::string reason;
  unsigned fieldTests = 0;
  /// log2 of the false-accept bound of the tests together.
  double log2Bound = 0;
  /// The float check: max |candidate − reference| / max |reference| over the
  /// outputs.
  double maxRelativeError = 0;
  /// The most pieces one evaluation was cut into (1: whole programs), and
  /// the most bytes the check was estimated to hold at once.
  size_t pieces = 1;
  uint64_t peakBytes = 0;
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

  ~EquivalenceChecker();

private:
  EquivalenceChecker() = default;
  struct Test;
  /// The interpreters' options: defaults, plus the stop request.
  InterpreterOptions getInterpreterOptions() const;
  /// Bytes kept across evaluations while checking with `numTests` tests: the
  /// reference's field outputs of every test, the candidate's, and the
  /// float outputs of both.
  uint64_t getKeptBytes(unsigned numTests) const;
  /// Schedules an evaluation of `func` at `bytesPerValue` within what the
  /// memory limit leaves beside `keptBytes` (planEvaluation, Slicing.h); on
  /// failure, sets the report's `unverifiable` and `reason`.
  std::optional<EvaluationSchedule>
  scheduleEvaluation(func::FuncOp func, uint64_t bytesPerValue,
                     uint64_t keptBytes, EquivalenceReport &report);
  /// Runs test `index` on `candidate` (by `schedule`): the reference's
  /// outputs are computed (by `referenceSchedule`) and kept the first time.
  FailureOr<SmallVector<Tensor<FieldValue>>>
  runTest(unsigned index, func::FuncOp candidate,
          const EvaluationSchedule &schedule,
          const EvaluationSchedule &referenceSchedule, bool &degenerate);
  /// Evaluates the reference in f32 on the float check's inputs, the first
  /// time a float check needs it.
  LogicalResult ensureFloatReference(const EvaluationSchedule &schedule);
  /// The float check's inputs of `func`, box by box.
  Tensor<float> makeFloatInput(func::FuncOp func, unsigned arg,
                               const Box &box) const;

  func::FuncOp reference;
  ProgramDegrees referenceDegrees;
  EquivalenceOptions options;
  std::vector<std::unique_ptr<Test>> tests;
  std::vector<Tensor<float>> floatReference;
  bool floatReferenceReady = false;
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_VERIFY_EQUIVALENCE_H
