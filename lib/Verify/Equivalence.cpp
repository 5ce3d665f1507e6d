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
std::vector<Tensor<FieldValue>> fieldInputs(func::FuncOp func,
                                            const FieldDomain &domain) {
  std::vector<Tensor<FieldValue>> inputs;
  inputs.reserve(func.getNumArguments());
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
    Tensor<FieldValue> t(cast<ShapedType>(type).getShape());
    int64_t n = t.getNumElements();
    constexpr int64_t chunk = 1 << 16;
    llvm::parallelFor(0, (n + chunk - 1) / chunk, [&](size_t c) {
      int64_t begin = c * chunk, end = std::min(n, begin + chunk);
      for (int64_t e = begin; e < end; ++e)
        t[e] = domain.randomInput(i, e);
    });
    inputs.push_back(std::move(t));
  }
  return inputs;
}

std::vector<Tensor<float>> floatInputsFor(func::FuncOp func, uint64_t seed) {
  std::vector<Tensor<float>> inputs;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
    auto shaped = cast<ShapedType>(type);
    double lo = kDefaultInputLow, hi = kDefaultInputHigh;
    if (auto range = func.getArgAttrOfType<ArrayAttr>(i, kInputRangeAttrName)) {
      lo = cast<FloatAttr>(range[0]).getValueAsDouble();
      hi = cast<FloatAttr>(range[1]).getValueAsDouble();
    }
    inputs.push_back(makeRandomTensor(shaped.getShape(),
                                      *getElementKind(shaped.getElementType()),
                                      seed, i, lo, hi));
  }
  return inputs;
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

LogicalResult EquivalenceChecker::ensureFloatReference() {
  if (floatReferenceReady)
    return success();
  floatInputs = floatInputsFor(reference, options.seed);
  FloatInterpreter floats(FloatDomain(), getInterpreterOptions());
  FailureOr<SmallVector<Tensor<float>>> outputs =
      floats.run(reference, floatInputs);
  if (failed(outputs))
    return failure();
  floatReference.assign(std::make_move_iterator(outputs->begin()),
                        std::make_move_iterator(outputs->end()));
  floatReferenceReady = true;
  return success();
}

FailureOr<SmallVector<Tensor<FieldValue>>>
EquivalenceChecker::runTest(unsigned index, func::FuncOp candidate,
                            bool &degenerate) {
  // Test seeds: distinct per index and redraw, derived from the user's seed.
  uint64_t seed = options.seed * 0x9e3779b97f4a7c15ull + 0x5eed;
  std::vector<Tensor<FieldValue>> inputs;
  while (tests.size() <= index) {
    // A new test: draw inputs, evaluate the reference (redrawing if a
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
      inputs = fieldInputs(reference, *test->domain);
      FailureOr<SmallVector<Tensor<FieldValue>>> outputs =
          interpreter.run(reference, inputs);
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
    if (tests.size() <= index)
      inputs.clear();
  }
  // The inputs are drawn again unless the reference was just run on them.
  FieldInterpreter interpreter(*tests[index]->domain, getInterpreterOptions());
  if (inputs.empty())
    inputs = fieldInputs(candidate, interpreter.getDomain());
  FailureOr<SmallVector<Tensor<FieldValue>>> outputs =
      interpreter.run(candidate, inputs);
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

uint64_t EquivalenceChecker::estimateCheckBytes(func::FuncOp candidate,
                                                unsigned numTests) const {
  auto add = [](uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
  };
  constexpr uint64_t fieldBytes = sizeof(FieldValue), floatBytes = 4;
  uint64_t keptOutputs = llvm::SaturatingMultiply(
      estimateResultBytes(reference, fieldBytes),
      std::max<uint64_t>(numTests, tests.size()));
  uint64_t fieldPeak =
      std::max(estimateInterpreterPeakBytes(reference, fieldBytes),
               estimateInterpreterPeakBytes(candidate, fieldBytes));
  uint64_t floatKept = add(estimateArgumentBytes(reference, floatBytes),
                           estimateResultBytes(reference, floatBytes));
  uint64_t floatPeak =
      std::max(estimateInterpreterPeakBytes(reference, floatBytes),
               estimateInterpreterPeakBytes(candidate, floatBytes));
  return add(add(keptOutputs, floatKept), std::max(fieldPeak, floatPeak));
}

FailureOr<EquivalenceReport>
EquivalenceChecker::checkFieldTests(func::FuncOp candidate,
                                    unsigned numTests) {
  EquivalenceReport report;
  if (candidate.getFunctionType() != reference.getFunctionType()) {
    report.reason = "the signatures differ";
    return report;
  }
  for (unsigned index = 0; index < numTests; ++index) {
    if (options.shouldStop && options.shouldStop())
      return failure();
    bool degenerate = false;
    FailureOr<SmallVector<Tensor<FieldValue>>> outputs =
        runTest(index, candidate, degenerate);
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

  if (failed(ensureFloatReference()))
    return failure();
  FloatInterpreter floats(FloatDomain(), getInterpreterOptions());
  FailureOr<SmallVector<Tensor<float>>> outputs =
      floats.run(candidate, floatInputs);
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
