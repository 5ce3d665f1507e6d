//===- Equivalence.cpp - Probabilistic equivalence of kernel graphs ------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Verify/Equivalence.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Interpreter/TensorIO.h"
#include "Mirage/Verify/FieldInterpreter.h"
#include "Mirage/Verify/MemoryFootprint.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Parallel.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;

//===----------------------------------------------------------------------===//
// EquivalenceChecker
//===----------------------------------------------------------------------===//

struct EquivalenceChecker::Test {
  std::unique_ptr<FieldDomain> domain;
  std::vector<Tensor<FieldValue>> referenceOutputs;
};

EquivalenceChecker::~EquivalenceChecker() = default;

InterpreterOptions EquivalenceChecker::getInterpreterOptions() const {
  InterpreterOptions interpreterOptions;
  interpreterOptions.shouldStop = options.shouldStop;
  return interpreterOptions;
}

namespace {
/// The field test's input `arg` of a test, box by box: element i of the
/// whole tensor is domain.randomInput(arg, i).
Tensor<FieldValue> makeFieldInput(func::FuncOp func, const FieldDomain &domain,
                                  unsigned arg, const Box &box) {
  Tensor<FieldValue> tensor(box.getShape());
  forEachRowOfBox(cast<ShapedType>(func.getArgumentTypes()[arg]).getShape(),
                  box, [&](int64_t at, int64_t whole, int64_t length) {
                    for (int64_t i = 0; i < length; ++i)
                      tensor[at + i] = domain.randomInput(arg, whole + i);
                  });
  return tensor;
}

/// mirage-run's default relative tolerance of an element type.
double defaultRtol(Type type) {
  if (type.isF32())
    return 1e-4;
  if (type.isBF16())
    return 3e-2;
  return 1e-2;
}
} // namespace

FailureOr<std::unique_ptr<EquivalenceChecker>>
EquivalenceChecker::create(func::FuncOp reference,
                           const ProgramDegrees &referenceDegrees,
                           EquivalenceOptions options) {
  std::unique_ptr<EquivalenceChecker> checker(new EquivalenceChecker());
  checker->reference = reference;
  checker->referenceDegrees = referenceDegrees;
  checker->options = options;
  // Report a reference outside the fragment before any candidate.
  FieldDomain probe(options.seed);
  WalkResult walk = reference.walk([&](Operation *op) {
    return failed(probe.checkSupported(op)) ? WalkResult::interrupt()
                                            : WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return checker;
}

Tensor<float> EquivalenceChecker::makeFloatInput(func::FuncOp func,
                                                unsigned arg,
                                                const Box &box) const {
  auto shaped = cast<ShapedType>(func.getArgumentTypes()[arg]);
  double lo = kDefaultInputLow, hi = kDefaultInputHigh;
  if (auto range =
          func.getArgAttrOfType<ArrayAttr>(arg, kInputRangeAttrName)) {
    lo = cast<FloatAttr>(range[0]).getValueAsDouble();
    hi = cast<FloatAttr>(range[1]).getValueAsDouble();
  }
  return makeRandomTensor(shaped.getShape(), box,
                          *getElementKind(shaped.getElementType()),
                          options.seed, arg, lo, hi);
}

LogicalResult
EquivalenceChecker::ensureFloatReference(const EvaluationSchedule &schedule) {
  if (floatReferenceReady)
    return success();
  FloatInterpreter floats(FloatDomain(), getInterpreterOptions());
  FailureOr<SmallVector<Tensor<float>>> outputs = floats.runSchedule(
      reference, schedule, [&](unsigned arg, const Box &box) {
        return makeFloatInput(reference, arg, box);
      });
  if (failed(outputs))
    return failure();
  floatReference.assign(std::make_move_iterator(outputs->begin()),
                        std::make_move_iterator(outputs->end()));
  floatReferenceReady = true;
  return success();
}

uint64_t EquivalenceChecker::getKeptBytes(unsigned numTests) const {
  uint64_t tests = std::max<uint64_t>(numTests, this->tests.size());
  uint64_t field = estimateResultBytes(reference, sizeof(FieldValue));
  uint64_t floats = estimateResultBytes(reference, sizeof(float));
  // The reference's outputs of every test and the candidate's of one; the
  // float outputs of both.
  return llvm::SaturatingAdd(llvm::SaturatingMultiply(field, tests + 1),
                             llvm::SaturatingMultiply(floats, uint64_t(2)));
}

std::optional<EvaluationSchedule>
EquivalenceChecker::scheduleEvaluation(func::FuncOp func,
                                       uint64_t bytesPerValue,
                                       uint64_t keptBytes,
                                       EquivalenceReport &report) {
  uint64_t budget =
      options.memoryLimit > keptBytes ? options.memoryLimit - keptBytes : 0;
  uint64_t smallest = 0;
  std::optional<EvaluationSchedule> schedule =
      planEvaluation(func, bytesPerValue, budget, &smallest);
  if (!schedule) {
    report.unverifiable = true;
    report.reason = llvm::formatv(
        "checking @{0} would need at least {1} ({2} kept, and {3} to "
        "evaluate it in the smallest pieces), more than the memory limit of "
        "{4}",
        func.getName(), formatBytes(llvm::SaturatingAdd(keptBytes, smallest)),
        formatBytes(keptBytes), formatBytes(smallest),
        formatBytes(options.memoryLimit));
    return std::nullopt;
  }
  report.pieces = std::max(report.pieces, schedule->getMaxPieces());
  report.peakBytes = std::max(
      report.peakBytes, llvm::SaturatingAdd(keptBytes, schedule->peakBytes));
  return schedule;
}

FailureOr<SmallVector<Tensor<FieldValue>>>
EquivalenceChecker::runTest(unsigned index, func::FuncOp candidate,
                            const EvaluationSchedule &schedule,
                            const EvaluationSchedule &referenceSchedule,
                            bool &degenerate) {
  // Test seeds: distinct per index and redraw, derived from the user's seed.
  uint64_t seed = options.seed * 0x9e3779b97f4a7c15ull + 0x5eed;
  while (tests.size() <= index) {
    // A new test: evaluate the reference on fresh inputs (redrawing if a
    // division by zero makes it degenerate) and keep its outputs.
    std::unique_ptr<Test> test;
    // The interpreter works on a copy of the domain: its flag is the one set.
    bool degenerateReference = true;
    for (unsigned attempt = 0; attempt < 4 && degenerateReference;
         ++attempt) {
      test = std::make_unique<Test>();
      test->domain =
          std::make_unique<FieldDomain>(seed + tests.size() * 16 + attempt);
      FieldInterpreter interpreter(*test->domain, getInterpreterOptions());
      FailureOr<SmallVector<Tensor<FieldValue>>> outputs =
          interpreter.runSchedule(
              reference, referenceSchedule, [&](unsigned arg, const Box &box) {
                return makeFieldInput(reference, interpreter.getDomain(), arg,
                                      box);
              });
      if (failed(outputs))
        return failure();
      test->referenceOutputs.assign(std::make_move_iterator(outputs->begin()),
                                    std::make_move_iterator(outputs->end()));
      degenerateReference = interpreter.getDomain().isDegenerate();
    }
    if (degenerateReference) {
      emitError(reference.getLoc(),
                "every finite-field test of the reference divided "
                "by zero; its denominators vanish identically");
      return failure();
    }
    tests.push_back(std::move(test));
  }
  FieldInterpreter interpreter(*tests[index]->domain, getInterpreterOptions());
  FailureOr<SmallVector<Tensor<FieldValue>>> outputs = interpreter.runSchedule(
      candidate, schedule, [&](unsigned arg, const Box &box) {
        return makeFieldInput(candidate, interpreter.getDomain(), arg, box);
      });
  degenerate = interpreter.getDomain().isDegenerate();
  return outputs;
}

unsigned
EquivalenceChecker::getNumTests(const ProgramDegrees &candidateDegrees) const {
  double perTest = log2FalseAccept(referenceDegrees, candidateDegrees);
  // Independent tests: the bounds multiply.
  return std::max<unsigned>(
      options.minTests, static_cast<unsigned>(std::ceil(
                            options.log2Target / std::min(-1e-9, perTest))));
}

FailureOr<EquivalenceReport>
EquivalenceChecker::checkFieldTests(func::FuncOp candidate,
                                    unsigned numTests) {
  EquivalenceReport report;
  if (candidate.getFunctionType() != reference.getFunctionType()) {
    report.reason = "the signatures differ";
    return report;
  }
  uint64_t kept = getKeptBytes(numTests);
  std::optional<EvaluationSchedule> referenceSchedule =
      scheduleEvaluation(reference, sizeof(FieldValue), kept, report);
  if (!referenceSchedule)
    return report;
  std::optional<EvaluationSchedule> schedule =
      scheduleEvaluation(candidate, sizeof(FieldValue), kept, report);
  if (!schedule)
    return report;
  for (unsigned index = 0; index < numTests; ++index) {
    if (options.shouldStop && options.shouldStop())
      return failure();
    bool degenerate = false;
    FailureOr<SmallVector<Tensor<FieldValue>>> outputs =
        runTest(index, candidate, *schedule, *referenceSchedule, degenerate);
    if (failed(outputs))
      return failure();
    ++report.fieldTests;
    if (degenerate) {
      report.reason =
          llvm::formatv("finite-field test {0} divided by zero", index);
      return report;
    }
    for (auto [o, pair] :
         llvm::enumerate(llvm::zip(*outputs, tests[index]->referenceOutputs))) {
      const Tensor<FieldValue> &got = std::get<0>(pair);
      const Tensor<FieldValue> &want = std::get<1>(pair);
      for (int64_t e = 0; e < got.getNumElements(); ++e)
        if (got[e] != want[e]) {
          report.reason = llvm::formatv(
              "finite-field test {0}: output {1} differs at element {2}", index,
              o, e);
          return report;
        }
    }
  }
  report.equivalent = true;
  return report;
}

FailureOr<EquivalenceReport>
EquivalenceChecker::check(func::FuncOp candidate,
                          const ProgramDegrees &candidateDegrees) {
  unsigned numTests = getNumTests(candidateDegrees);
  FailureOr<EquivalenceReport> fieldReport =
      checkFieldTests(candidate, numTests);
  if (failed(fieldReport) || !fieldReport->equivalent)
    return fieldReport;
  EquivalenceReport report = *fieldReport;
  report.equivalent = false;
  report.log2Bound =
      log2FalseAccept(referenceDegrees, candidateDegrees) * numTests;

  // The float check, in pieces too if need be.
  uint64_t kept = getKeptBytes(numTests);
  std::optional<EvaluationSchedule> referenceSchedule =
      scheduleEvaluation(reference, sizeof(float), kept, report);
  std::optional<EvaluationSchedule> schedule =
      referenceSchedule
          ? scheduleEvaluation(candidate, sizeof(float), kept, report)
          : std::nullopt;
  if (!schedule)
    return report;
  if (failed(ensureFloatReference(*referenceSchedule)))
    return failure();
  FloatInterpreter floats(FloatDomain(), getInterpreterOptions());
  FailureOr<SmallVector<Tensor<float>>> outputs = floats.runSchedule(
      candidate, *schedule, [&](unsigned arg, const Box &box) {
        return makeFloatInput(candidate, arg, box);
      });
  if (failed(outputs))
    return failure();
  for (auto [o, pair] : llvm::enumerate(llvm::zip(*outputs, floatReference))) {
    const Tensor<float> &got = std::get<0>(pair);
    const Tensor<float> &want = std::get<1>(pair);
    Type type = reference.getFunctionType().getResult(o);
    double rtol = defaultRtol(cast<ShapedType>(type).getElementType());
    double maxRef = 0, maxErr = 0;
    bool referenceFinite = true;
    for (float x : want.getData()) {
      referenceFinite &= std::isfinite(x);
      maxRef = std::max(maxRef, static_cast<double>(std::fabs(x)));
    }
    if (!referenceFinite)
      continue; // no float evidence either way; the field tests decide
    double atol = rtol * maxRef;
    for (int64_t e = 0; e < got.getNumElements(); ++e) {
      double diff = std::fabs(static_cast<double>(got[e]) - want[e]);
      if (!std::isfinite(got[e]) ||
          !(diff <= atol + rtol * std::fabs(want[e]))) {
        report.reason = llvm::formatv(
            "the float check failed: output {0} element {1} is {2}, the "
            "reference {3}",
            o, e, got[e], want[e]);
        return report;
      }
      maxErr = std::max(maxErr, diff);
    }
    if (maxRef > 0)
      report.maxRelativeError =
          std::max(report.maxRelativeError, maxErr / maxRef);
  }
  report.equivalent = true;
  return report;
}
