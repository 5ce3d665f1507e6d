//===- IntegerDomain.h - An exact value domain for tests --------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An exact integer value domain, and a test fixture that parses kernel graphs
// and runs them over it.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_UNITTESTS_INTERPRETER_INTEGERDOMAIN_H
#define MIRAGE_UNITTESTS_INTERPRETER_INTEGERDOMAIN_H

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Interpreter/Interpreter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace mirage_test {

/// Exact integer arithmetic: a domain in which the expected results of the
/// polynomial ops can be worked out by hand. Non-polynomial ops are refused.
class IntegerDomain {
public:
  using Scalar = int64_t;
  Scalar constant(double value) const { return static_cast<int64_t>(value); }
  Scalar zero() const { return 0; }
  Scalar lowest() const { return std::numeric_limits<int64_t>::min(); }
  Scalar add(Scalar a, Scalar b) const { return a + b; }
  Scalar sub(Scalar a, Scalar b) const { return a - b; }
  Scalar mul(Scalar a, Scalar b) const { return a * b; }
  Scalar div(Scalar a, Scalar b) const { return a / b; }
  Scalar pow(Scalar a, Scalar b) const {
    Scalar r = 1;
    for (Scalar i = 0; i < b; ++i)
      r *= a;
    return r;
  }
  Scalar max(Scalar a, Scalar b) const { return std::max(a, b); }
  Scalar square(Scalar x) const { return x * x; }
  Scalar relu(Scalar x) const { return std::max<Scalar>(x, 0); }
  Scalar clamp(Scalar x, float lo, float hi) const {
    return std::min<Scalar>(std::max<Scalar>(x, lo), hi);
  }
  // Not polynomial: refused by checkSupported before they could be called.
  Scalar exp(Scalar) const { return 0; }
  Scalar sqrt(Scalar) const { return 0; }
  Scalar rsqrt(Scalar) const { return 0; }
  Scalar sigmoid(Scalar) const { return 0; }
  Scalar silu(Scalar) const { return 0; }
  Scalar gelu(Scalar) const { return 0; }
  Scalar store(Scalar x, mlir::mirage::ElementKind) const { return x; }

  mlir::LogicalResult checkSupported(mlir::Operation *op) const {
    namespace mm = mlir::mirage;
    if (mlir::isa<mm::ExpOp, mm::SqrtOp, mm::RsqrtOp, mm::SigmoidOp, mm::SiluOp,
                  mm::GeluOp, mm::RmsNormOp, mm::SoftmaxOp>(op))
      return op->emitError("not supported in the integer domain");
    return mlir::success();
  }
};

using IntTensor = mlir::mirage::Tensor<int64_t>;

/// Parses kernel graphs and runs them over integers.
class InterpreterFixture : public ::testing::Test {
protected:
  InterpreterFixture() {
    mlir::DialectRegistry registry;
    mlir::mirage::registerMirageDialect(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// The first function of `source`, or null if it does not parse.
  mlir::func::FuncOp parse(llvm::StringRef source) {
    module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module)
      return nullptr;
    return *module->getOps<mlir::func::FuncOp>().begin();
  }

  /// Runs `source`'s function over integers; returns the first result.
  IntTensor runInt(llvm::StringRef source, llvm::ArrayRef<IntTensor> args) {
    mlir::func::FuncOp func = parse(source);
    EXPECT_TRUE(func);
    mlir::mirage::KernelGraphInterpreter<IntegerDomain> interpreter;
    mlir::FailureOr<llvm::SmallVector<IntTensor>> results =
        interpreter.run(func, args);
    EXPECT_TRUE(mlir::succeeded(results));
    return mlir::succeeded(results) ? (*results)[0] : IntTensor();
  }

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// start, start + 1, ... in row-major order.
inline IntTensor iota(llvm::ArrayRef<int64_t> shape, int64_t start = 0) {
  std::vector<int64_t> v(mlir::mirage::getNumElements(shape));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = start + static_cast<int64_t>(i);
  return IntTensor(shape, v);
}

inline std::vector<int64_t> values(const IntTensor &t) {
  return std::vector<int64_t>(t.begin(), t.end());
}

} // namespace mirage_test

extern template class mlir::mirage::KernelGraphInterpreter<
    mirage_test::IntegerDomain>;

#endif // MIRAGE_UNITTESTS_INTERPRETER_INTEGERDOMAIN_H
