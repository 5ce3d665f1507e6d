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

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;

//===----------------------------------------------------------------------===//
// The per-test bound
//===----------------------------------------------------------------------===//

namespace {
/// Per output element of a tensor: degrees of its numerator and denominator
/// (as a rational function of the inputs and of the outputs of
/// non-polynomial functions), how many function applications it depends on,
/// and the largest degree of a function argument.
struct Degrees {
  double num = 0, den = 0;
  double apps = 0;
  double argDegree = 0;
};

Degrees sumOver(const Degrees &x, double extent) {
  // Σ of `extent` terms: over a common denominator, the numerator gains
  // (extent − 1) denominator factors.
  Degrees r = x;
  if (x.den > 0) {
    r.num = x.num + (extent - 1) * x.den;
    r.den = extent * x.den;
  }
  r.apps = extent * x.apps;
  return r;
}

Degrees combine(const Degrees &a, const Degrees &b) {
  Degrees r;
  r.apps = a.apps + b.apps;
  r.argDegree = std::max(a.argDegree, b.argDegree);
  return r;
}

Degrees function(const Degrees &x) {
  // A fresh value (degree 1) per application.
  Degrees r;
  r.num = 1;
  r.apps = x.apps + 1;
  r.argDegree = std::max(x.argDegree, x.num + x.den);
  return r;
}
} // namespace

FailureOr<TestBound> mlir::mirage::estimateTestBound(func::FuncOp reference) {
  llvm::DenseMap<Value, Degrees> degrees;
  for (BlockArgument arg : reference.getArguments())
    degrees[arg] = Degrees{1, 0, 0, 0};
  TestBound bound;
  for (Operation &op : reference.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands()) {
        const Degrees &d = degrees[v];
        bound.numeratorDegree =
            std::max<int64_t>(bound.numeratorDegree, d.num);
        bound.denominatorDegree =
            std::max<int64_t>(bound.denominatorDegree, d.den);
        bound.functionApplications =
            std::max(bound.functionApplications, d.apps);
        bound.argumentDegree =
            std::max<int64_t>(bound.argumentDegree, d.argDegree);
      }
      break;
    }
    auto operand = [&](unsigned i) { return degrees[op.getOperand(i)]; };
    auto extentOf = [](Value v, int64_t dim) {
      return static_cast<double>(
          cast<ShapedType>(v.getType()).getDimSize(dim));
    };
    std::optional<Degrees> result =
        llvm::TypeSwitch<Operation *, std::optional<Degrees>>(&op)
            .Case([&](MatmulOp m) {
              Degrees a = operand(0), b = operand(1);
              Degrees product = combine(a, b);
              product.num = a.num + b.num;
              product.den = a.den + b.den;
              auto lhs = cast<ShapedType>(m.getLhs().getType());
              return sumOver(product, static_cast<double>(
                                          lhs.getDimSize(lhs.getRank() - 1)));
            })
            .Case<AddOp, SubOp>([&](Operation *) {
              Degrees a = operand(0), b = operand(1);
              Degrees r = combine(a, b);
              r.num = std::max(a.num + b.den, b.num + a.den);
              r.den = a.den + b.den;
              return r;
            })
            .Case([&](MulOp) {
              Degrees a = operand(0), b = operand(1);
              Degrees r = combine(a, b);
              r.num = a.num + b.num;
              r.den = a.den + b.den;
              return r;
            })
            .Case([&](DivOp) {
              Degrees a = operand(0), b = operand(1);
              Degrees r = combine(a, b);
              r.num = a.num + b.den;
              r.den = a.den + b.num;
              return r;
            })
            .Case([&](SquareOp) {
              Degrees a = operand(0);
              a.num *= 2;
              a.den *= 2;
              return a;
            })
            .Case([&](MulScalarOp) { return operand(0); })
            .Case([&](RsqrtOp) {
              Degrees r = function(operand(0));
              std::swap(r.num, r.den);
              return r;
            })
            .Case<ExpOp, SqrtOp, SiluOp, GeluOp, ReluOp, SigmoidOp, ClampOp>(
                [&](Operation *) { return function(operand(0)); })
            .Case([&](PowOp) {
              Degrees a = operand(0), b = operand(1);
              Degrees arg = combine(a, b);
              arg.num = a.num + b.num;
              arg.den = a.den + b.den;
              return function(arg);
            })
            .Case([&](ReduceOp r) -> std::optional<Degrees> {
              if (r.getKind() != ReduceKind::sum)
                return std::nullopt;
              int64_t extent = extentOf(r.getInput(), r.getDim());
              return sumOver(operand(0),
                             static_cast<double>(extent / r.getSize()));
            })
            .Case([&](RmsNormOp r) {
              // x / sqrt(Σ x² / n + eps).
              Degrees x = operand(0);
              Degrees squares = x;
              squares.num *= 2;
              squares.den *= 2;
              Degrees rms = function(
                  sumOver(squares, static_cast<double>(r.getNormalizedSize())));
              Degrees out = combine(x, rms);
              out.num = x.num + rms.den;
              out.den = x.den + rms.num;
              return out;
            })
            .Default([](Operation *) { return std::nullopt; });
    if (!result) {
      op.emitError() << "cannot bound the finite-field test of '"
                     << op.getName() << "'";
      return failure();
    }
    degrees[op.getResult(0)] = *result;
  }

  // One test accepts a wrong candidate (docs/verification.md) only if
  //  - two formally different function arguments collide: at most
  //    C(2A, 2) · 2d / q over the 2A applications of both programs, or
  //  - the output difference, a nonzero polynomial of degree at most
  //    N + D once denominators are cleared, vanishes at the random point, or
  //    a denominator does: at most (N + 3D) / p.
  double a = 2 * bound.functionApplications;
  double collisions = a * (a - 1) / 2 * 2 * std::max<int64_t>(1, bound.argumentDegree) /
                      static_cast<double>(kFieldQ);
  double identity = static_cast<double>(bound.numeratorDegree +
                                        3 * bound.denominatorDegree + 1) /
                    static_cast<double>(kFieldP);
  bound.log2PerTest = std::log2(collisions + identity);
  return bound;
}

//===----------------------------------------------------------------------===//
// EquivalenceChecker
//===----------------------------------------------------------------------===//

struct EquivalenceChecker::Test {
  ExpMode mode;
  std::unique_ptr<FieldDomain> domain;
  std::vector<Tensor<FieldValue>> referenceOutputs;
};

EquivalenceChecker::~EquivalenceChecker() = default;

namespace {
std::vector<Tensor<FieldValue>> fieldInputs(func::FuncOp func,
                                            const FieldDomain &domain) {
  std::vector<Tensor<FieldValue>> inputs;
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
    inputs.push_back(makeRandomTensor(
        shaped.getShape(), *getElementKind(shaped.getElementType()), seed, i,
        lo, hi));
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
EquivalenceChecker::create(func::FuncOp reference, EquivalenceOptions options) {
  std::unique_ptr<EquivalenceChecker> checker(new EquivalenceChecker());
  checker->reference = reference;
  checker->options = options;
  FailureOr<TestBound> bound = estimateTestBound(reference);
  if (failed(bound))
    return failure();
  checker->bound = *bound;
  // Tests per exp mode so that the random-oracle tests alone reach the
  // target bound.
  unsigned perMode = std::max<unsigned>(
      options.minTestsPerMode,
      static_cast<unsigned>(
          std::ceil(options.log2Target / std::min(-1e-9, bound->log2PerTest))));
  uint64_t seed = options.seed * 0x9e3779b97f4a7c15ull + 0x5eed;
  for (ExpMode mode : {ExpMode::Homomorphic, ExpMode::RandomOracle}) {
    for (unsigned t = 0; t < perMode; ++t) {
      // Redraw if a division by zero makes the test degenerate.
      for (int attempt = 0;; ++attempt) {
        auto test = std::make_unique<Test>();
        test->mode = mode;
        test->domain = std::make_unique<FieldDomain>(seed++, mode);
        FieldInterpreter interpreter(*test->domain);
        std::vector<Tensor<FieldValue>> inputs =
            fieldInputs(reference, *test->domain);
        FailureOr<SmallVector<Tensor<FieldValue>>> outputs =
            interpreter.run(reference, inputs);
        if (failed(outputs))
          return failure();
        if (interpreter.getDomain().isDegenerate() && attempt < 3)
          continue;
        test->referenceOutputs.assign(
            std::make_move_iterator(outputs->begin()),
            std::make_move_iterator(outputs->end()));
        checker->tests.push_back(std::move(test));
        break;
      }
    }
  }
  checker->floatInputs = floatInputsFor(reference, options.seed);
  FloatInterpreter floats;
  FailureOr<SmallVector<Tensor<float>>> outputs =
      floats.run(reference, checker->floatInputs);
  if (failed(outputs))
    return failure();
  checker->floatReference.assign(std::make_move_iterator(outputs->begin()),
                                 std::make_move_iterator(outputs->end()));
  return checker;
}

FailureOr<EquivalenceReport>
EquivalenceChecker::check(func::FuncOp candidate) {
  EquivalenceReport report;
  if (candidate.getFunctionType() != reference.getFunctionType()) {
    report.reason = "the signatures differ";
    return report;
  }
  for (auto [k, test] : llvm::enumerate(tests)) {
    FieldInterpreter interpreter(*test->domain);
    const FieldDomain &domain = interpreter.getDomain();
    std::vector<Tensor<FieldValue>> inputs = fieldInputs(candidate, domain);
    FailureOr<SmallVector<Tensor<FieldValue>>> outputs =
        interpreter.run(candidate, inputs);
    if (failed(outputs))
      return failure();
    ++report.fieldTests;
    const char *mode =
        test->mode == ExpMode::Homomorphic ? "homomorphic" : "random-oracle";
    if (domain.isDegenerate()) {
      report.reason = llvm::formatv("finite-field test {0} ({1} exp) divided "
                                    "by zero",
                                    k, mode);
      return report;
    }
    for (auto [o, pair] :
         llvm::enumerate(llvm::zip(*outputs, test->referenceOutputs))) {
      const Tensor<FieldValue> &got = std::get<0>(pair);
      const Tensor<FieldValue> &want = std::get<1>(pair);
      for (int64_t e = 0; e < got.getNumElements(); ++e)
        if (got[e] != want[e]) {
          report.reason = llvm::formatv(
              "finite-field test {0} ({1} exp): output {2} differs at "
              "element {3}",
              k, mode, o, e);
          return report;
        }
    }
  }
  // Tests are independent: the bounds multiply. Only the random-oracle tests
  // are counted (the rigorous half; docs/verification.md).
  report.log2Bound = bound.log2PerTest * (tests.size() / 2);

  FloatInterpreter floats;
  FailureOr<SmallVector<Tensor<float>>> outputs =
      floats.run(candidate, floatInputs);
  if (failed(outputs))
    return failure();
  for (auto [o, pair] :
       llvm::enumerate(llvm::zip(*outputs, floatReference))) {
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
      if (!std::isfinite(got[e]) || !(diff <= atol + rtol * std::fabs(want[e]))) {
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
