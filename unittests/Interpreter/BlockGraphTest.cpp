//===- BlockGraphTest.cpp - Running graph-defined kernels -----------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Block graphs evaluated by the interpreter against results worked out
// independently: a tiled matmul against a plain triple loop, each
// accumulator kind against its formula, and the precision rules (thread-graph
// intermediates and accumulated values stay in f32).
//
//===----------------------------------------------------------------------===//

#include "IntegerDomain.h"

#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Support/HalfFloat.h"

#include "mlir/IR/Diagnostics.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;
using mirage_test::IntegerDomain;
using mirage_test::IntTensor;
using mirage_test::iota;
using mirage_test::values;

namespace {

using BlockGraphTest = mirage_test::InterpreterFixture;

TEST_F(BlockGraphTest, TiledMatmulMatchesTripleLoop) {
  // 2x2 blocks of a 4x4 result; each walks k = 6 in 3 steps of 2.
  IntTensor a = iota({4, 6}), b = iota({6, 4}, 7);
  IntTensor c = runInt(R"mlir(
    func.func @f(%a: tensor<4x6xf32>, %b: tensor<6x4xf32>) -> tensor<4x4xf32> {
      %c = mirage.graph_kernel(%a, %b) grid = [2, 2, 1] block = [32] forloop = 3
          : (tensor<4x6xf32>, tensor<6x4xf32>) -> tensor<4x4xf32> {
      ^bb0(%A: tensor<4x6xf32>, %B: tensor<6x4xf32>):
        %acc = mirage.for_loop {
          %at = mirage.input_iterator %A imap = {y = 0} fmap = 1 : tensor<4x6xf32> -> !mirage.tile<2x2xf32>
          %bt = mirage.input_iterator %B imap = {x = 1} fmap = 0 : tensor<6x4xf32> -> !mirage.tile<2x2xf32>
          %p = mirage.matmul %at, %bt : (!mirage.tile<2x2xf32>, !mirage.tile<2x2xf32>) -> !mirage.tile<2x2xf32>
          mirage.accumulate sum(%p) : !mirage.tile<2x2xf32>
        }
        mirage.output_saver %acc omap = {x = 1, y = 0} : !mirage.tile<2x2xf32>
      }
      return %c : tensor<4x4xf32>
    })mlir",
                       {a, b});
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      int64_t expected = 0;
      for (int64_t k = 0; k < 6; ++k)
        expected += a.at({i, k}) * b.at({k, j});
      EXPECT_EQ(c.at({i, j}), expected) << "at " << i << ", " << j;
    }
}

TEST_F(BlockGraphTest, ReplicatedInputsAndTwoOutputs) {
  // Each of 3 blocks adds the same (replicated) row to its row of x, and also
  // writes that row's sum into a column of a second result.
  IntTensor x = iota({3, 4}), r = iota({1, 4}, 100);
  func::FuncOp f = parse(R"mlir(
    func.func @f(%x: tensor<3x4xf32>, %r: tensor<1x4xf32>) -> (tensor<3x4xf32>, tensor<3x1xf32>) {
      %y, %s = mirage.graph_kernel(%x, %r) grid = [1, 3, 1] block = [32] forloop = 1
          : (tensor<3x4xf32>, tensor<1x4xf32>) -> (tensor<3x4xf32>, tensor<3x1xf32>) {
      ^bb0(%X: tensor<3x4xf32>, %R: tensor<1x4xf32>):
        %xt = mirage.input_iterator %X imap = {y = 0} : tensor<3x4xf32> -> !mirage.tile<1x4xf32>
        %rt = mirage.input_iterator %R imap = {} : tensor<1x4xf32> -> !mirage.tile<1x4xf32>
        %sum = mirage.add %xt, %rt : (!mirage.tile<1x4xf32>, !mirage.tile<1x4xf32>) -> !mirage.tile<1x4xf32>
        %row = mirage.reduce sum %xt dim = 1 : (!mirage.tile<1x4xf32>) -> !mirage.tile<1x1xf32>
        mirage.output_saver %sum omap = {y = 0} : !mirage.tile<1x4xf32>
        mirage.output_saver %row omap = {y = 0} : !mirage.tile<1x1xf32>
      }
      return %y, %s : tensor<3x4xf32>, tensor<3x1xf32>
    })mlir");
  ASSERT_TRUE(f);
  KernelGraphInterpreter<IntegerDomain> interpreter;
  FailureOr<SmallVector<IntTensor>> out = interpreter.run(f, {x, r});
  ASSERT_TRUE(succeeded(out));
  for (int64_t i = 0; i < 3; ++i) {
    int64_t rowSum = 0;
    for (int64_t j = 0; j < 4; ++j) {
      EXPECT_EQ((*out)[0].at({i, j}), x.at({i, j}) + r.at({0, j}));
      rowSum += x.at({i, j});
    }
    EXPECT_EQ((*out)[1].at({i, 0}), rowSum);
  }
}

/// Runs `f` (one tensor<1x8xf32> argument) on `x` and returns its result.
Tensor<float> accumulate(func::FuncOp f, ArrayRef<float> x) {
  FloatInterpreter interpreter;
  FailureOr<SmallVector<Tensor<float>>> out = interpreter.run(
      f, {Tensor<float>(SmallVector<int64_t>{1, 8},
                        std::vector<float>(x.begin(), x.end()))});
  EXPECT_TRUE(succeeded(out));
  return succeeded(out) ? (*out)[0] : Tensor<float>();
}

TEST_F(BlockGraphTest, AccumulatorsFollowTheirFormulas) {
  const char *kinds[] = {"sum", "mean", "rms", "max"};
  float x[] = {1, 2, 3, 4, 5, 6, 7, 8};
  // Iteration i sees (x[2i], x[2i+1]).
  double expected[4][2] = {{16, 20}, {4, 5}, {2, std::sqrt(5.0)}, {7, 8}};
  for (int k = 0; k < 4; ++k) {
    std::string source = std::string(R"mlir(
      func.func @f(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
        %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [32] forloop = 4
            : (tensor<1x8xf32>) -> tensor<1x2xf32> {
        ^bb0(%X: tensor<1x8xf32>):
          %a = mirage.for_loop {
            %t = mirage.input_iterator %X imap = {} fmap = 1 : tensor<1x8xf32> -> !mirage.tile<1x2xf32>
            mirage.accumulate )mlir") +
                         kinds[k] + R"mlir((%t) : !mirage.tile<1x2xf32>
          }
          mirage.output_saver %a omap = {} : !mirage.tile<1x2xf32>
        }
        return %y : tensor<1x2xf32>
      })mlir";
    func::FuncOp f = parse(source);
    ASSERT_TRUE(f) << kinds[k];
    Tensor<float> out = accumulate(f, x);
    EXPECT_FLOAT_EQ(out[0], expected[k][0]) << kinds[k];
    EXPECT_FLOAT_EQ(out[1], expected[k][1]) << kinds[k];
  }
}

TEST_F(BlockGraphTest, RescaledSumIsRelativeToTheFinalMax) {
  // rescaled_sum(v by max(m)) = Σ_i v_i · e^(m_i − M), with v = x's slice
  // and m_i = the slice's max.
  func::FuncOp f = parse(R"mlir(
    func.func @f(%x: tensor<1x8xf32>) -> tensor<1x2xf32> {
      %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [32] forloop = 4
          : (tensor<1x8xf32>) -> tensor<1x2xf32> {
      ^bb0(%X: tensor<1x8xf32>):
        %m, %r = mirage.for_loop {
          %t = mirage.input_iterator %X imap = {} fmap = 1 : tensor<1x8xf32> -> !mirage.tile<1x2xf32>
          %mi = mirage.reduce max %t dim = 1 : (!mirage.tile<1x2xf32>) -> !mirage.tile<1x1xf32>
          mirage.accumulate max(%mi), rescaled_sum(%t, by = 0) : !mirage.tile<1x1xf32>, !mirage.tile<1x2xf32>
        }
        mirage.output_saver %r omap = {} : !mirage.tile<1x2xf32>
      }
      return %y : tensor<1x2xf32>
    })mlir");
  ASSERT_TRUE(f);
  float x[] = {3, -1, 0.5f, 2, 6, 4, -2, 1};
  Tensor<float> out = accumulate(f, x);
  // m_i is the max of each slice: 3, 2, 6, 1; M = 6.
  double m[] = {3, 2, 6, 1}, big = 6;
  for (int col = 0; col < 2; ++col) {
    double expected = 0;
    for (int i = 0; i < 4; ++i)
      expected += x[2 * i + col] * std::exp(m[i] - big);
    EXPECT_NEAR(out[col], expected, 1e-5) << "column " << col;
  }
}

TEST_F(BlockGraphTest, ThreadGraphIntermediatesStayInRegisters) {
  // 100 * 1000 = 1e5 overflows f16; inside a thread graph it is never stored.
  func::FuncOp f = parse(R"mlir(
    func.func @f(%x: tensor<4xf16>) -> tensor<4xf16> {
      %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [32] forloop = 1
          : (tensor<4xf16>) -> tensor<4xf16> {
      ^bb0(%X: tensor<4xf16>):
        %t = mirage.input_iterator %X imap = {} : tensor<4xf16> -> !mirage.tile<4xf16>
        %u = mirage.thread_graph(%t) : (!mirage.tile<4xf16>) -> !mirage.tile<4xf16> {
        ^bb0(%a: !mirage.tile<4xf16>):
          %big = mirage.mul_scalar %a, 1000.0 : !mirage.tile<4xf16>
          %back = mirage.mul_scalar %big, 1.0e-3 : !mirage.tile<4xf16>
          mirage.yield %back : !mirage.tile<4xf16>
        }
        mirage.output_saver %u omap = {} : !mirage.tile<4xf16>
      }
      return %y : tensor<4xf16>
    })mlir");
  ASSERT_TRUE(f);
  FloatInterpreter interpreter;
  Tensor<float> x(SmallVector<int64_t>{4}, 100.0f);
  Tensor<float> out = (*interpreter.run(f, {x}))[0];
  for (float v : out.getData())
    EXPECT_EQ(v, 100.0f);
}

TEST_F(BlockGraphTest, AccumulatedValuesAreNotStoredAsTiles) {
  // p = 1e5 would overflow f16 if stored; rms(p) = √1e5 ≈ 316 fits.
  func::FuncOp f = parse(R"mlir(
    func.func @f(%x: tensor<2xf16>) -> tensor<1xf16> {
      %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [32] forloop = 2
          : (tensor<2xf16>) -> tensor<1xf16> {
      ^bb0(%X: tensor<2xf16>):
        %r = mirage.for_loop {
          %t = mirage.input_iterator %X imap = {} fmap = 0 : tensor<2xf16> -> !mirage.tile<1xf16>
          %p = mirage.mul_scalar %t, 1000.0 : !mirage.tile<1xf16>
          mirage.accumulate rms(%p) : !mirage.tile<1xf16>
        }
        mirage.output_saver %r omap = {} : !mirage.tile<1xf16>
      }
      return %y : tensor<1xf16>
    })mlir");
  ASSERT_TRUE(f);
  FloatInterpreter interpreter;
  Tensor<float> x(SmallVector<int64_t>{2}, 100.0f);
  Tensor<float> out = (*interpreter.run(f, {x}))[0];
  EXPECT_EQ(out[0], roundToHalf(std::sqrt(1e5f)));
}

TEST_F(BlockGraphTest, UnsupportedOpIsReportedOnce) {
  func::FuncOp f = parse(R"mlir(
    func.func @f(%x: tensor<64xf32>) -> tensor<64xf32> {
      %y = mirage.graph_kernel(%x) grid = [16, 1, 1] block = [32] forloop = 1
          : (tensor<64xf32>) -> tensor<64xf32> {
      ^bb0(%X: tensor<64xf32>):
        %t = mirage.input_iterator %X imap = {x = 0} : tensor<64xf32> -> !mirage.tile<4xf32>
        %e = mirage.exp %t : !mirage.tile<4xf32>
        mirage.output_saver %e omap = {x = 0} : !mirage.tile<4xf32>
      }
      return %y : tensor<64xf32>
    })mlir");
  ASSERT_TRUE(f);
  int errors = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &) {
    ++errors;
    return success();
  });
  KernelGraphInterpreter<IntegerDomain> interpreter;
  EXPECT_TRUE(failed(interpreter.run(f, {iota({64})})));
  EXPECT_EQ(errors, 1);
}

} // namespace
