//===- InterpreterTest.cpp - Kernel-graph interpreter tests ---------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Hand-worked cases over an exact integer domain (which also shows that the
// interpreter runs over domains other than floats), and properties of float
// evaluation. Every op is also checked against NumPy in
// test/Interpreter/ops_vs_numpy.py.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Interpreter/TensorIO.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

#include "IntegerDomain.h"

using namespace mlir;
using namespace mlir::mirage;
using mirage_test::IntegerDomain;

namespace {

using mirage_test::iota;
using mirage_test::values;
using IntTensor = mirage_test::IntTensor;
using InterpreterTest = mirage_test::InterpreterFixture;

TEST_F(InterpreterTest, MatmulBroadcastsBatchDims) {
  // lhs batch 1 broadcasts against rhs batch 2.
  IntTensor result = runInt(R"mlir(
    func.func @f(%a: tensor<1x2x3xf32>, %b: tensor<2x3x2xf32>) -> tensor<2x2x2xf32> {
      %c = mirage.matmul %a, %b : (tensor<1x2x3xf32>, tensor<2x3x2xf32>) -> tensor<2x2x2xf32>
      return %c : tensor<2x2x2xf32>
    })mlir",
                            {iota({1, 2, 3}), iota({2, 3, 2})});
  // a = [[0 1 2] [3 4 5]]; b0 = [[0 1] [2 3] [4 5]]; b1 = b0 + 6.
  EXPECT_EQ(result.getShape(), ArrayRef<int64_t>({2, 2, 2}));
  EXPECT_EQ(values(result),
            (std::vector<int64_t>{10, 13, 28, 40, 28, 31, 100, 112}));
}

TEST_F(InterpreterTest, ReduceToSizeSumsChunks) {
  // dim 1 of extent 6 down to size 2: result[o, j, i] = Σ_c x[o, 2c + j, i].
  IntTensor result = runInt(R"mlir(
    func.func @f(%x: tensor<2x6x2xf32>) -> tensor<2x2x2xf32> {
      %r = mirage.reduce sum %x dim = 1 size = 2 : (tensor<2x6x2xf32>) -> tensor<2x2x2xf32>
      return %r : tensor<2x2x2xf32>
    })mlir",
                            {iota({2, 6, 2})});
  // Batch 0 rows are [0 1] [2 3] [4 5] [6 7] [8 9] [10 11]:
  // j = 0 sums rows 0, 2, 4 -> [12 15]; j = 1 sums rows 1, 3, 5 -> [18 21].
  EXPECT_EQ(values(result),
            (std::vector<int64_t>{12, 15, 18, 21, 48, 51, 54, 57}));
}

TEST_F(InterpreterTest, ReduceMaxOnLeadingDim) {
  IntTensor x({3, 2}, {5, -1, 7, -4, 2, 9});
  IntTensor result = runInt(R"mlir(
    func.func @f(%x: tensor<3x2xf32>) -> tensor<1x2xf32> {
      %r = mirage.reduce max %x dim = 0 : (tensor<3x2xf32>) -> tensor<1x2xf32>
      return %r : tensor<1x2xf32>
    })mlir",
                            {x});
  EXPECT_EQ(values(result), (std::vector<int64_t>{7, 9}));
}

TEST_F(InterpreterTest, BinaryOpsBroadcastLikeNumPy) {
  // (2,1,3) - (4,1) -> (2,4,3): result[b, i, j] = x[b, 0, j] - y[i, 0].
  IntTensor result = runInt(R"mlir(
    func.func @f(%x: tensor<2x1x3xf32>, %y: tensor<4x1xf32>) -> tensor<2x4x3xf32> {
      %r = mirage.sub %x, %y : (tensor<2x1x3xf32>, tensor<4x1xf32>) -> tensor<2x4x3xf32>
      return %r : tensor<2x4x3xf32>
    })mlir",
                            {iota({2, 1, 3}), iota({4, 1}, 10)});
  EXPECT_EQ(result.getShape(), ArrayRef<int64_t>({2, 4, 3}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = 0; j < 3; ++j)
        EXPECT_EQ(result.at({b, i, j}), (3 * b + j) - (10 + i));
}

TEST_F(InterpreterTest, ConcatAlongMiddleDim) {
  IntTensor result = runInt(R"mlir(
    func.func @f(%a: tensor<2x1x2xf32>, %b: tensor<2x2x2xf32>) -> tensor<2x3x2xf32> {
      %c = mirage.concat %a, %b dim = 1 : (tensor<2x1x2xf32>, tensor<2x2x2xf32>) -> tensor<2x3x2xf32>
      return %c : tensor<2x3x2xf32>
    })mlir",
                            {iota({2, 1, 2}, 100), iota({2, 2, 2})});
  EXPECT_EQ(values(result),
            (std::vector<int64_t>{100, 101, 0, 1, 2, 3, 102, 103, 4, 5, 6, 7}));
}

TEST_F(InterpreterTest, ChainsOpsAndFreesIntermediates) {
  // square(x) * 3 + relu(x - 2), pow and clamp: a chain through several ops,
  // with an intermediate used twice.
  IntTensor result =
      runInt(R"mlir(
    func.func @f(%x: tensor<4xf32>, %two: tensor<1xf32>) -> tensor<4xf32> {
      %s = mirage.square %x : tensor<4xf32>
      %t = mirage.mul_scalar %s, 3.0 : tensor<4xf32>
      %d = mirage.sub %x, %two : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
      %r = mirage.relu %d : tensor<4xf32>
      %u = mirage.add %t, %r : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      %p = mirage.pow %u, %two : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
      %c = mirage.clamp %p min = 0.0 max = 1000.0 : tensor<4xf32>
      %v = mirage.add %c, %u : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      return %v : tensor<4xf32>
    })mlir",
             {IntTensor({4}, {-1, 0, 3, 5}), IntTensor({1}, {2})});
  // u = [3, 0, 28, 78]; p = [9, 0, 784, 6084]; c = [9, 0, 784, 1000].
  EXPECT_EQ(values(result), (std::vector<int64_t>{12, 0, 812, 1078}));
}

TEST_F(InterpreterTest, DomainRefusesOpsItCannotExpress) {
  func::FuncOp func = parse(R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %e = mirage.exp %x : tensor<4xf32>
      return %e : tensor<4xf32>
    })mlir");
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  KernelGraphInterpreter<IntegerDomain> interpreter;
  EXPECT_TRUE(failed(interpreter.run(func, {iota({4})})));
  EXPECT_EQ(message, "not supported in the integer domain");
}

TEST_F(InterpreterTest, ReportsArgumentMismatches) {
  func::FuncOp func = parse(R"mlir(
    func.func @f(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
      return %x : tensor<4x2xf32>
    })mlir");
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    messages.push_back(diag.str());
    return success();
  });
  FloatInterpreter interpreter;
  EXPECT_TRUE(failed(interpreter.run(func, {})));
  EXPECT_TRUE(failed(
      interpreter.run(func, {Tensor<float>(SmallVector<int64_t>{2, 4})})));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], "@f takes 1 arguments but 0 were given");
  EXPECT_EQ(messages[1], "argument 0 of @f has type 'tensor<4x2xf32>' but the "
                         "value given has shape 2x4");
}

TEST_F(InterpreterTest, RejectsOpsOutsideTheDialect) {
  DialectRegistry registry;
  func::FuncOp func = parse(R"mlir(
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %y = "test.unknown"(%x) : (tensor<4xf32>) -> tensor<4xf32>
      return %y : tensor<4xf32>
    })mlir");
  // Unregistered ops do not parse unless allowed; allow them to reach the
  // interpreter's own check.
  if (!func) {
    context.allowUnregisteredDialects();
    func = parse(R"mlir(
      func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
        %y = "test.unknown"(%x) : (tensor<4xf32>) -> tensor<4xf32>
        return %y : tensor<4xf32>
      })mlir");
  }
  ASSERT_TRUE(func);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  FloatInterpreter interpreter;
  EXPECT_TRUE(
      failed(interpreter.run(func, {Tensor<float>(SmallVector<int64_t>{4})})));
  EXPECT_EQ(message, "the interpreter does not support 'test.unknown' "
                     "(expected a kernel-level mirage op)");
}

TEST_F(InterpreterTest, ResultsAreRoundedToTheirElementType) {
  func::FuncOp func = parse(R"mlir(
    func.func @f(%x: tensor<1xf16>, %y: tensor<1xf16>) -> tensor<1xf16> {
      %d = mirage.div %x, %y : (tensor<1xf16>, tensor<1xf16>) -> tensor<1xf16>
      return %d : tensor<1xf16>
    })mlir");
  Tensor<float> one({1}, 1.0f), three({1}, 3.0f);
  FloatInterpreter rounding;
  EXPECT_EQ((*rounding.run(func, {one, three}))[0][0], 0.333251953125f);
  InterpreterOptions options;
  options.roundResults = false;
  FloatInterpreter exact(FloatDomain(), options);
  EXPECT_EQ((*exact.run(func, {one, three}))[0][0], 1.0f / 3.0f);
}

TEST_F(InterpreterTest, ThreadsDoNotChangeResults) {
  func::FuncOp func = parse(R"mlir(
    func.func @f(%q: tensor<4x64x128xf16>, %k: tensor<4x128x512xf16>,
                 %v: tensor<4x512x128xf16>) -> tensor<4x64x128xf16> {
      %s = mirage.matmul %q, %k : (tensor<4x64x128xf16>, tensor<4x128x512xf16>) -> tensor<4x64x512xf16>
      %p = mirage.softmax %s dim = 2 : tensor<4x64x512xf16>
      %g = mirage.gelu %p : tensor<4x64x512xf16>
      %o = mirage.matmul %g, %v : (tensor<4x64x512xf16>, tensor<4x512x128xf16>) -> tensor<4x64x128xf16>
      %n = mirage.rms_norm %o normalized_shape = [128] : tensor<4x64x128xf16>
      return %n : tensor<4x64x128xf16>
    })mlir");
  ASSERT_TRUE(func);
  SmallVector<Tensor<float>> args;
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    args.push_back(makeRandomTensor(cast<RankedTensorType>(type).getShape(),
                                    ElementKind::F16, /*seed=*/7, i, -1, 1));
  InterpreterOptions serialOptions;
  serialOptions.parallel = false;
  FloatInterpreter serial(FloatDomain(), serialOptions), parallel;
  Tensor<float> a = (*serial.run(func, args))[0];
  Tensor<float> b = (*parallel.run(func, args))[0];
  ASSERT_EQ(a.getNumElements(), b.getNumElements());
  EXPECT_EQ(std::memcmp(a.begin(), b.begin(), a.getNumElements() * 4), 0);
}

} // namespace
