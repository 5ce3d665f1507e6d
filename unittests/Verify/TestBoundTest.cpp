//===- TestBoundTest.cpp - Degrees and applications of programs -----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The structure analysis behind the false-accept bound, on programs whose
// degrees and function applications are worked out by hand in the comments.
//
//===----------------------------------------------------------------------===//

#include "VerifyTestUtils.h"

#include "Mirage/Verify/FieldDomain.h"
#include "Mirage/Verify/TestBound.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;

namespace {

using TestBoundTest = mirage_test::ProgramFixture;

ProgramDegrees degreesOf(func::FuncOp f) {
  FailureOr<ProgramDegrees> d = analyzeProgramDegrees(f);
  EXPECT_TRUE(succeeded(d));
  return succeeded(d) ? *d : ProgramDegrees();
}

TEST_F(TestBoundTest, MatmulIsAPolynomialOfDegreeTwo) {
  ProgramDegrees d = degreesOf(parse(R"mlir(
    func.func @f(%x: tensor<4x64xf16>, %w: tensor<64x8xf16>) -> tensor<4x8xf16> {
      %y = mirage.matmul %x, %w : (tensor<4x64xf16>, tensor<64x8xf16>) -> tensor<4x8xf16>
      return %y : tensor<4x8xf16>
    })mlir"));
  EXPECT_EQ(d.numeratorDegree, 2);
  EXPECT_EQ(d.denominatorDegree, 0);
  EXPECT_EQ(d.functionApplications, 0);
  // Only Schwartz–Zippel remains: R − C has degree 2, so 2 / q.
  EXPECT_NEAR(log2FalseAccept(d, d), std::log2(2.0 / kFieldQ), 1e-9);
}

TEST_F(TestBoundTest, AttentionCountsEachExpOncePerOutputElement) {
  // O[h, 0, d] = Σ_k e[h,k]·V[h,k,d] / Σ_k e[h,k], e = exp(Q·K): the
  // numerator has degree 2 (e·v), one denominator (Σ e, shared by all k), and
  // each output element depends on the 32 exps of its head, whose arguments
  // have degree 2.
  ProgramDegrees d = degreesOf(parse(R"mlir(
    func.func @f(%q: tensor<4x1x16xf16>, %k: tensor<4x16x32xf16>, %v: tensor<4x32x16xf16>) -> tensor<4x1x16xf16> {
      %s = mirage.matmul %q, %k : (tensor<4x1x16xf16>, tensor<4x16x32xf16>) -> tensor<4x1x32xf16>
      %e = mirage.exp %s : tensor<4x1x32xf16>
      %z = mirage.reduce sum %e dim = 2 : (tensor<4x1x32xf16>) -> tensor<4x1x1xf16>
      %p = mirage.div %e, %z : (tensor<4x1x32xf16>, tensor<4x1x1xf16>) -> tensor<4x1x32xf16>
      %o = mirage.matmul %p, %v : (tensor<4x1x32xf16>, tensor<4x32x16xf16>) -> tensor<4x1x16xf16>
      return %o : tensor<4x1x16xf16>
    })mlir"));
  EXPECT_EQ(d.numeratorDegree, 2);
  EXPECT_EQ(d.denominatorDegree, 1);
  EXPECT_EQ(d.functionApplications, 32);
  EXPECT_EQ(d.argumentDegree, 2);
  // C(64, 2)·4/q + 3/q.
  EXPECT_NEAR(log2FalseAccept(d, d),
              std::log2((64.0 * 63 / 2 * 4 + 3) / kFieldQ), 1e-9);
}

TEST_F(TestBoundTest, SoftmaxCountsTheWholeRow) {
  // p[i, j] = e[i, j] / Σ_j' e[i, j']: the output fixes j, but the sum
  // ranges over it, so each element depends on the row's 32768 exps, not on
  // one (which printed 2^-59 for a bound of about 2^-29).
  ProgramDegrees d = degreesOf(parse(R"mlir(
    func.func @f(%x: tensor<4x32768xf32>) -> tensor<4x32768xf32> {
      %e = mirage.exp %x : tensor<4x32768xf32>
      %z = mirage.reduce sum %e dim = 1 : (tensor<4x32768xf32>) -> tensor<4x1xf32>
      %p = mirage.div %e, %z : (tensor<4x32768xf32>, tensor<4x1xf32>) -> tensor<4x32768xf32>
      return %p : tensor<4x32768xf32>
    })mlir"));
  EXPECT_EQ(d.functionApplications, 32768);
  EXPECT_EQ(d.argumentDegree, 1);
  // C(65536, 2)·2/q + 2/q: about 2^-29 for one test.
  double bound = log2FalseAccept(d, d);
  EXPECT_NEAR(bound, std::log2((65536.0 * 65535 / 2 * 2 + 2) / kFieldQ),
              1e-9);
  EXPECT_GT(bound, -30);
  EXPECT_LT(bound, -28);
}

TEST_F(TestBoundTest, RmsNormHasOneRootPerRow) {
  // y = x / sqrt(Σ x² / n): one sqrt per row, of an argument of degree 2.
  ProgramDegrees d = degreesOf(parse(R"mlir(
    func.func @f(%x: tensor<4x64xf16>, %w: tensor<64x8xf16>) -> tensor<4x8xf16> {
      %n = mirage.rms_norm %x normalized_shape = [64] : tensor<4x64xf16>
      %y = mirage.matmul %n, %w : (tensor<4x64xf16>, tensor<64x8xf16>) -> tensor<4x8xf16>
      return %y : tensor<4x8xf16>
    })mlir"));
  EXPECT_EQ(d.functionApplications, 1);
  EXPECT_EQ(d.argumentDegree, 2);
  EXPECT_EQ(d.numeratorDegree, 2);
  EXPECT_EQ(d.denominatorDegree, 1);
}

TEST_F(TestBoundTest, SumsOfDistinctDenominatorsMultiplyThem) {
  // Σ_k a[k] / b[k] over 8 terms: the common denominator is Π b[k] (degree
  // 8) and the numerator has degree 1 + 7.
  ProgramDegrees d = degreesOf(parse(R"mlir(
    func.func @f(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x1xf32> {
      %q = mirage.div %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
      %s = mirage.reduce sum %q dim = 1 : (tensor<4x8xf32>) -> tensor<4x1xf32>
      return %s : tensor<4x1xf32>
    })mlir"));
  EXPECT_EQ(d.numeratorDegree, 8);
  EXPECT_EQ(d.denominatorDegree, 8);
}

TEST_F(TestBoundTest, MoreApplicationsOrDegreeLoosenTheBound) {
  ProgramDegrees small;
  small.functionApplications = 10;
  small.argumentDegree = 2;
  small.numeratorDegree = 2;
  ProgramDegrees moreApps = small, moreDegree = small;
  moreApps.functionApplications = 1000;
  moreDegree.argumentDegree = 20;
  double base = log2FalseAccept(small, small);
  EXPECT_LT(base, log2FalseAccept(small, moreApps));
  EXPECT_LT(base, log2FalseAccept(small, moreDegree));
  EXPECT_LT(base, -50);
}

TEST_F(TestBoundTest, OpsOutsideTheFragmentAreDiagnosed) {
  func::FuncOp f = parse(R"mlir(
    func.func @f(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
      %m = mirage.reduce max %x dim = 1 : (tensor<4x8xf32>) -> tensor<4x1xf32>
      return %m : tensor<4x1xf32>
    })mlir");
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  EXPECT_TRUE(failed(analyzeProgramDegrees(f)));
  EXPECT_NE(message.find("does not support 'mirage.reduce'"), std::string::npos)
      << message;
}

} // namespace
