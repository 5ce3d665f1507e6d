//===- EquivalenceTest.cpp - Accepting equals, rejecting near misses ------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The verifier on equivalent programs (reassociated, rewritten as graph-
// defined kernels) and on near misses a search bug could produce: swapped
// operands of a matmul, a reduction over the wrong dim, a missing or slightly
// wrong scale, exp and div applied in the wrong order.
//
//===----------------------------------------------------------------------===//

#include "VerifyTestUtils.h"

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Verify/Equivalence.h"

#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::mirage;

namespace {

class EquivalenceTest : public mirage_test::ProgramFixture {
protected:
  /// Checks `candidate` against `reference`, both kernel-level programs
  /// given as MLIR; `candidateDegrees` defaults to the candidate's own.
  EquivalenceReport check(StringRef reference, StringRef candidate) {
    func::FuncOp ref = parse(reference), cand = parse(candidate);
    FailureOr<ProgramDegrees> candDegrees = analyzeProgramDegrees(cand);
    EXPECT_TRUE(succeeded(candDegrees));
    return check(ref, cand, *candDegrees);
  }

  EquivalenceReport check(func::FuncOp ref, func::FuncOp cand,
                          const ProgramDegrees &candDegrees) {
    FailureOr<ProgramDegrees> refDegrees = analyzeProgramDegrees(ref);
    EXPECT_TRUE(succeeded(refDegrees));
    FailureOr<std::unique_ptr<EquivalenceChecker>> checker =
        EquivalenceChecker::create(ref, *refDegrees, EquivalenceOptions());
    EXPECT_TRUE(succeeded(checker));
    FailureOr<EquivalenceReport> report = (*checker)->check(cand, candDegrees);
    EXPECT_TRUE(succeeded(report));
    return *report;
  }
};

/// softmax(Q·K / 4)·V over 4 heads of 32 keys.
constexpr const char *kAttention = R"mlir(
  func.func @f(%q: tensor<4x1x16xf16>, %k: tensor<4x16x32xf16>, %v: tensor<4x32x16xf16>) -> tensor<4x1x16xf16> {
    %s = mirage.matmul %q, %k : (tensor<4x1x16xf16>, tensor<4x16x32xf16>) -> tensor<4x1x32xf16>
    %t = mirage.mul_scalar %s, 2.500000e-01 : tensor<4x1x32xf16>
    %e = mirage.exp %t : tensor<4x1x32xf16>
    %z = mirage.reduce sum %e dim = 2 : (tensor<4x1x32xf16>) -> tensor<4x1x1xf16>
    %p = mirage.div %e, %z : (tensor<4x1x32xf16>, tensor<4x1x1xf16>) -> tensor<4x1x32xf16>
    %o = mirage.matmul %p, %v : (tensor<4x1x32xf16>, tensor<4x32x16xf16>) -> tensor<4x1x16xf16>
    return %o : tensor<4x1x16xf16>
  })mlir";

/// kAttention with its middle replaced by `body` (which defines %p from %t).
std::string attentionWith(StringRef scale, StringRef body) {
  return (Twine(R"mlir(
  func.func @f(%q: tensor<4x1x16xf16>, %k: tensor<4x16x32xf16>, %v: tensor<4x32x16xf16>) -> tensor<4x1x16xf16> {
    %s = mirage.matmul %q, %k : (tensor<4x1x16xf16>, tensor<4x16x32xf16>) -> tensor<4x1x32xf16>
    )mlir") +
          scale + body + R"mlir(
    %o = mirage.matmul %p, %v : (tensor<4x1x32xf16>, tensor<4x32x16xf16>) -> tensor<4x1x16xf16>
    return %o : tensor<4x1x16xf16>
  })mlir")
      .str();
}

constexpr const char *kScale =
    "%t = mirage.mul_scalar %s, 2.500000e-01 : tensor<4x1x32xf16>\n";
constexpr const char *kSoftmax = R"mlir(
    %e = mirage.exp %t : tensor<4x1x32xf16>
    %z = mirage.reduce sum %e dim = 2 : (tensor<4x1x32xf16>) -> tensor<4x1x1xf16>
    %p = mirage.div %e, %z : (tensor<4x1x32xf16>, tensor<4x1x1xf16>) -> tensor<4x1x32xf16>
)mlir";

TEST_F(EquivalenceTest, AcceptsTheSameProgram) {
  EquivalenceReport r = check(kAttention, attentionWith(kScale, kSoftmax));
  EXPECT_TRUE(r.equivalent) << r.reason;
  EXPECT_GE(r.fieldTests, 1u);
  EXPECT_LE(r.log2Bound, -30);
}

TEST_F(EquivalenceTest, AcceptsDivisionAfterTheMatmul) {
  // (exp(t)·V) / Σ exp(t): the FlashAttention order.
  std::string candidate = R"mlir(
  func.func @f(%q: tensor<4x1x16xf16>, %k: tensor<4x16x32xf16>, %v: tensor<4x32x16xf16>) -> tensor<4x1x16xf16> {
    %s = mirage.matmul %q, %k : (tensor<4x1x16xf16>, tensor<4x16x32xf16>) -> tensor<4x1x32xf16>
    %t = mirage.mul_scalar %s, 2.500000e-01 : tensor<4x1x32xf16>
    %e = mirage.exp %t : tensor<4x1x32xf16>
    %n = mirage.matmul %e, %v : (tensor<4x1x32xf16>, tensor<4x32x16xf16>) -> tensor<4x1x16xf16>
    %z = mirage.reduce sum %e dim = 2 : (tensor<4x1x32xf16>) -> tensor<4x1x1xf16>
    %o = mirage.div %n, %z : (tensor<4x1x16xf16>, tensor<4x1x1xf16>) -> tensor<4x1x16xf16>
    return %o : tensor<4x1x16xf16>
  })mlir";
  EquivalenceReport r = check(kAttention, candidate);
  EXPECT_TRUE(r.equivalent) << r.reason;
  // Scaling inside the matmul instead of after it.
  std::string scaledQ = R"mlir(
  func.func @f(%q: tensor<4x1x16xf16>, %k: tensor<4x16x32xf16>, %v: tensor<4x32x16xf16>) -> tensor<4x1x16xf16> {
    %qs = mirage.mul_scalar %q, 2.500000e-01 : tensor<4x1x16xf16>
    %t = mirage.matmul %qs, %k : (tensor<4x1x16xf16>, tensor<4x16x32xf16>) -> tensor<4x1x32xf16>
    %e = mirage.exp %t : tensor<4x1x32xf16>
    %z = mirage.reduce sum %e dim = 2 : (tensor<4x1x32xf16>) -> tensor<4x1x1xf16>
    %p = mirage.div %e, %z : (tensor<4x1x32xf16>, tensor<4x1x1xf16>) -> tensor<4x1x32xf16>
    %o = mirage.matmul %p, %v : (tensor<4x1x32xf16>, tensor<4x32x16xf16>) -> tensor<4x1x16xf16>
    return %o : tensor<4x1x16xf16>
  })mlir";
  r = check(kAttention, scaledQ);
  EXPECT_TRUE(r.equivalent) << r.reason;
}

TEST_F(EquivalenceTest, AcceptsGraphDefinedKernels) {
  // The same program as block graphs (mirage-expand-predefined-kernels with
  // small tiles, so grids and for-loops have several steps).
  func::FuncOp ref = parse(kAttention);
  func::FuncOp cand = parse(kAttention);
  PassManager pm(&context, func::FuncOp::getOperationName());
  MirageExpandPredefinedKernelsOptions options;
  options.maxTileElements = 16;
  pm.addPass(createMirageExpandPredefinedKernels(options));
  ASSERT_TRUE(succeeded(pm.run(cand)));
  bool anyGraphKernel = false;
  cand.walk([&](GraphKernelOp) { anyGraphKernel = true; });
  ASSERT_TRUE(anyGraphKernel);
  FailureOr<ProgramDegrees> degrees = analyzeProgramDegrees(ref);
  ASSERT_TRUE(succeeded(degrees));
  EquivalenceReport r = check(ref, cand, *degrees);
  EXPECT_TRUE(r.equivalent) << r.reason;
}

TEST_F(EquivalenceTest, RejectsAMissingScale) {
  EquivalenceReport r = check(
      kAttention,
      attentionWith("%t = mirage.mul_scalar %s, 1.0 : tensor<4x1x32xf16>\n",
                    kSoftmax));
  EXPECT_FALSE(r.equivalent);
  EXPECT_NE(r.reason.find("finite-field test 0"), std::string::npos)
      << r.reason;
}

TEST_F(EquivalenceTest, RejectsASlightlyWrongScaleTheFloatCheckWouldPass) {
  // 0.2500001 instead of 0.25: within f16 tolerance, but another function.
  EquivalenceReport r = check(
      kAttention,
      attentionWith(
          "%t = mirage.mul_scalar %s, 2.500001e-01 : tensor<4x1x32xf16>\n",
          kSoftmax));
  EXPECT_FALSE(r.equivalent);
  EXPECT_NE(r.reason.find("finite-field"), std::string::npos) << r.reason;
}

TEST_F(EquivalenceTest, RejectsExpAndDivInTheWrongOrder) {
  // exp(t / Σ exp(t)) instead of exp(t) / Σ exp(t).
  EquivalenceReport r = check(kAttention, attentionWith(kScale, R"mlir(
    %e = mirage.exp %t : tensor<4x1x32xf16>
    %z = mirage.reduce sum %e dim = 2 : (tensor<4x1x32xf16>) -> tensor<4x1x1xf16>
    %d = mirage.div %t, %z : (tensor<4x1x32xf16>, tensor<4x1x1xf16>) -> tensor<4x1x32xf16>
    %p = mirage.exp %d : tensor<4x1x32xf16>
)mlir"));
  EXPECT_FALSE(r.equivalent);
}

TEST_F(EquivalenceTest, RejectsAReductionOverTheWrongDim) {
  // Softmax over rows of a square tile, normalized along dim 1 instead of 2.
  const char *reference = R"mlir(
  func.func @f(%x: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
    %e = mirage.exp %x : tensor<4x8x8xf32>
    %z = mirage.reduce sum %e dim = 2 : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
    %p = mirage.div %e, %z : (tensor<4x8x8xf32>, tensor<4x8x1xf32>) -> tensor<4x8x8xf32>
    return %p : tensor<4x8x8xf32>
  })mlir";
  const char *candidate = R"mlir(
  func.func @f(%x: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
    %e = mirage.exp %x : tensor<4x8x8xf32>
    %z = mirage.reduce sum %e dim = 1 : (tensor<4x8x8xf32>) -> tensor<4x1x8xf32>
    %p = mirage.div %e, %z : (tensor<4x8x8xf32>, tensor<4x1x8xf32>) -> tensor<4x8x8xf32>
    return %p : tensor<4x8x8xf32>
  })mlir";
  EquivalenceReport r = check(reference, candidate);
  EXPECT_FALSE(r.equivalent);
  EXPECT_TRUE(check(reference, reference).equivalent);
}

TEST_F(EquivalenceTest, RejectsSwappedMatmulOperands) {
  // B·A for A·B: the transpose of the product, with square operands.
  const char *reference = R"mlir(
  func.func @f(%a: tensor<8x8xf16>, %b: tensor<8x8xf16>) -> tensor<8x8xf16> {
    %y = mirage.matmul %a, %b : (tensor<8x8xf16>, tensor<8x8xf16>) -> tensor<8x8xf16>
    return %y : tensor<8x8xf16>
  })mlir";
  const char *candidate = R"mlir(
  func.func @f(%a: tensor<8x8xf16>, %b: tensor<8x8xf16>) -> tensor<8x8xf16> {
    %y = mirage.matmul %b, %a : (tensor<8x8xf16>, tensor<8x8xf16>) -> tensor<8x8xf16>
    return %y : tensor<8x8xf16>
  })mlir";
  EquivalenceReport r = check(reference, candidate);
  EXPECT_FALSE(r.equivalent);
  EXPECT_NE(r.reason.find("output 0 differs at element"), std::string::npos)
      << r.reason;
}

TEST_F(EquivalenceTest, RejectsADifferentSignature) {
  const char *reference = R"mlir(
  func.func @f(%a: tensor<8x8xf16>) -> tensor<8x8xf16> {
    %y = mirage.exp %a : tensor<8x8xf16>
    return %y : tensor<8x8xf16>
  })mlir";
  const char *candidate = R"mlir(
  func.func @f(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
    %y = mirage.exp %a : tensor<8x8xf32>
    return %y : tensor<8x8xf32>
  })mlir";
  EquivalenceReport r = check(reference, candidate);
  EXPECT_FALSE(r.equivalent);
  EXPECT_EQ(r.reason, "the signatures differ");
}

TEST_F(EquivalenceTest, ReportsAReferenceThatAlwaysDividesByZero) {
  // x / (x − x): every test's denominator is 0, however often it is drawn.
  func::FuncOp ref = parse(R"mlir(
  func.func @f(%a: tensor<8x8xf32>) -> tensor<8x8xf32> {
    %z = mirage.sub %a, %a : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
    %y = mirage.div %a, %z : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
    return %y : tensor<8x8xf32>
  })mlir");
  std::string errors;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    errors += diag.str();
    return success();
  });
  FailureOr<std::unique_ptr<EquivalenceChecker>> checker =
      EquivalenceChecker::create(ref, ProgramDegrees(), EquivalenceOptions());
  ASSERT_TRUE(succeeded(checker));
  EXPECT_TRUE(failed((*checker)->checkFieldTests(ref, 1)));
  EXPECT_NE(errors.find("every finite-field test of the reference divided by "
                        "zero"),
            std::string::npos)
      << errors;
}

TEST_F(EquivalenceTest, StopsWhenAsked) {
  // A stop request ends the checks with failure and no diagnostic.
  func::FuncOp ref = parse(kAttention);
  std::string errors;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    errors += diag.str();
    return success();
  });
  EquivalenceOptions options;
  bool stop = false;
  options.shouldStop = [&] { return stop; };
  FailureOr<std::unique_ptr<EquivalenceChecker>> checker =
      EquivalenceChecker::create(ref, ProgramDegrees(), options);
  ASSERT_TRUE(succeeded(checker));
  EXPECT_TRUE((*checker)->checkFieldTests(ref, 1)->equivalent);
  stop = true;
  EXPECT_TRUE(failed((*checker)->checkFieldTests(ref, 2)));
  EXPECT_TRUE(failed((*checker)->check(ref, ProgramDegrees())));
  EXPECT_EQ(errors, "");
}

} // namespace
