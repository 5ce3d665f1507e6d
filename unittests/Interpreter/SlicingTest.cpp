//===- SlicingTest.cpp - Evaluating kernel graphs piece by piece ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// runSchedule must give the very bits run() gives, for any schedule:
// programs with every kind of op, kernel-level and as graph-defined kernels
// (hand-written FlashDecoding with a split reduction, and every op expanded
// into block graphs with several blocks and loop steps), at budgets from
// "everything fits" down to "as small as the slices get", and with one
// piece per output element.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Interpreter/Slicing.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Interpreter/TensorIO.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "gtest/gtest.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// softmax(Q·K)·V with the sum broadcast back, 4 heads of 2 queries.
constexpr const char *kAttention = R"mlir(
func.func @f(%q: tensor<4x2x16xf16>, %k: tensor<4x16x256xf16>, %v: tensor<4x256x16xf16>) -> tensor<4x2x16xf16> {
  %s = mirage.matmul %q, %k : (tensor<4x2x16xf16>, tensor<4x16x256xf16>) -> tensor<4x2x256xf16>
  %e = mirage.exp %s : tensor<4x2x256xf16>
  %z = mirage.reduce sum %e dim = 2 : (tensor<4x2x256xf16>) -> tensor<4x2x1xf16>
  %p = mirage.div %e, %z : (tensor<4x2x256xf16>, tensor<4x2x1xf16>) -> tensor<4x2x256xf16>
  %o = mirage.matmul %p, %v : (tensor<4x2x256xf16>, tensor<4x256x16xf16>) -> tensor<4x2x16xf16>
  return %o : tensor<4x2x16xf16>
})mlir";

/// test/mugraphs/flash-decoding.mlir's μGraph: a grid over (head, key
/// chunk), partial results side by side, summed by a second kernel.
constexpr const char *kFlashDecoding = R"mlir(
func.func @f(%q: tensor<4x2x16xf16>, %k: tensor<4x16x256xf16>, %v: tensor<4x256x16xf16>) -> tensor<4x2x16xf16> {
  %partial_sum, %partial_out = mirage.graph_kernel(%q, %k, %v)
      grid = [4, 4, 1] block = [128] forloop = 4
      : (tensor<4x2x16xf16>, tensor<4x16x256xf16>, tensor<4x256x16xf16>)
        -> (tensor<4x2x4xf16>, tensor<4x2x64xf16>) {
  ^bb0(%Q: tensor<4x2x16xf16>, %K: tensor<4x16x256xf16>, %V: tensor<4x256x16xf16>):
    %qt = mirage.input_iterator %Q imap = {x = 0} : tensor<4x2x16xf16> -> !mirage.tile<1x2x16xf16>
    %z, %o = mirage.for_loop {
      %kt = mirage.input_iterator %K imap = {x = 0, y = 2} fmap = 2 : tensor<4x16x256xf16> -> !mirage.tile<1x16x16xf16>
      %vt = mirage.input_iterator %V imap = {x = 0, y = 1} fmap = 1 : tensor<4x256x16xf16> -> !mirage.tile<1x16x16xf16>
      %s = mirage.matmul %qt, %kt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
      %e = mirage.exp %s : !mirage.tile<1x2x16xf16>
      %sum = mirage.reduce sum %e dim = 2 : (!mirage.tile<1x2x16xf16>) -> !mirage.tile<1x2x1xf16>
      %pv = mirage.matmul %e, %vt : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x16x16xf16>) -> !mirage.tile<1x2x16xf16>
      mirage.accumulate sum(%sum), sum(%pv) : !mirage.tile<1x2x1xf16>, !mirage.tile<1x2x16xf16>
    }
    mirage.output_saver %z omap = {x = 0, y = 2} : !mirage.tile<1x2x1xf16>
    mirage.output_saver %o omap = {x = 0, y = 2} : !mirage.tile<1x2x16xf16>
  }
  %out = mirage.graph_kernel(%partial_sum, %partial_out)
      grid = [4, 1, 1] block = [128] forloop = 1
      : (tensor<4x2x4xf16>, tensor<4x2x64xf16>) -> tensor<4x2x16xf16> {
  ^bb0(%Z: tensor<4x2x4xf16>, %O: tensor<4x2x64xf16>):
    %zt = mirage.input_iterator %Z imap = {x = 0} : tensor<4x2x4xf16> -> !mirage.tile<1x2x4xf16>
    %ot = mirage.input_iterator %O imap = {x = 0} : tensor<4x2x64xf16> -> !mirage.tile<1x2x64xf16>
    %zsum = mirage.reduce sum %zt dim = 2 : (!mirage.tile<1x2x4xf16>) -> !mirage.tile<1x2x1xf16>
    %osum = mirage.reduce sum %ot dim = 2 size = 16 : (!mirage.tile<1x2x64xf16>) -> !mirage.tile<1x2x16xf16>
    %r = mirage.div %osum, %zsum : (!mirage.tile<1x2x16xf16>, !mirage.tile<1x2x1xf16>) -> !mirage.tile<1x2x16xf16>
    mirage.output_saver %r omap = {x = 0} : !mirage.tile<1x2x16xf16>
  }
  return %out : tensor<4x2x16xf16>
})mlir";

/// Every other kind of op: rms_norm, broadcasting binaries with a leading
/// dim missing, a reduction to a size, concat, a second result.
constexpr const char *kMixed = R"mlir(
func.func @f(%x: tensor<6x64xf32>, %w: tensor<64x32xf32>, %b: tensor<32xf32>, %a: tensor<6x8xf32>) -> (tensor<6x40xf32>, tensor<6x4xf32>) {
  %n = mirage.rms_norm %x normalized_shape = [64] eps = 1.000000e-05 : tensor<6x64xf32>
  %y = mirage.matmul %n, %w : (tensor<6x64xf32>, tensor<64x32xf32>) -> tensor<6x32xf32>
  %yb = mirage.add %y, %b : (tensor<6x32xf32>, tensor<32xf32>) -> tensor<6x32xf32>
  %s = mirage.silu %yb : tensor<6x32xf32>
  %c = mirage.concat %s, %a dim = 1 : (tensor<6x32xf32>, tensor<6x8xf32>) -> tensor<6x40xf32>
  %r = mirage.reduce sum %yb dim = 1 size = 4 : (tensor<6x32xf32>) -> tensor<6x4xf32>
  %m = mirage.mul_scalar %r, 5.000000e-01 : tensor<6x4xf32>
  return %c, %m : tensor<6x40xf32>, tensor<6x4xf32>
})mlir";

class SlicingTest : public ::testing::Test {
protected:
  SlicingTest() {
    context.loadDialect<MirageDialect, func::FuncDialect>();
  }

  func::FuncOp parse(StringRef source) {
    modules.push_back(parseSourceString<ModuleOp>(source, &context));
    EXPECT_TRUE(modules.back()) << source.str();
    return *modules.back()->getOps<func::FuncOp>().begin();
  }

  /// `source` with every pre-defined op turned into a graph-defined kernel
  /// of small tiles, so that grids and loops have several steps.
  func::FuncOp parseExpanded(StringRef source) {
    func::FuncOp func = parse(source);
    PassManager pm(&context, func::FuncOp::getOperationName());
    MirageExpandPredefinedKernelsOptions options;
    options.maxTileElements = 16;
    pm.addPass(createMirageExpandPredefinedKernels(options));
    EXPECT_TRUE(succeeded(pm.run(func)));
    return func;
  }

  static std::vector<Tensor<float>> inputs(func::FuncOp func) {
    std::vector<Tensor<float>> args;
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
      auto shaped = cast<ShapedType>(type);
      args.push_back(makeRandomTensor(shaped.getShape(), ElementKind::F32,
                                      /*seed=*/7, i, -1.0, 1.0));
    }
    return args;
  }

  /// Checks a schedule planned within `budget` bytes against run();
  /// returns its most pieces per step.
  size_t checkBudget(func::FuncOp func, uint64_t budget) {
    uint64_t peak = 0;
    std::optional<EvaluationSchedule> schedule =
        planEvaluation(func, sizeof(float), budget, &peak);
    EXPECT_TRUE(schedule.has_value()) << "smallest peak " << peak;
    if (!schedule)
      return 0;
    EXPECT_LE(schedule->peakBytes, budget);
    checkSchedule(func, *schedule);
    return schedule->getMaxPieces();
  }

  /// Checks, for each result, a schedule that computes it one element per
  /// piece (boxes nowhere aligned to tiles or blocks) from the arguments.
  void checkElementPieces(func::FuncOp func) {
    for (auto [r, type] : llvm::enumerate(func.getResultTypes())) {
      ArrayRef<int64_t> shape = cast<ShapedType>(type).getShape();
      std::vector<Box> pieces;
      for (int64_t i = 0, e = getNumElements(shape); i < e; ++i) {
        Box box = Box::whole(shape);
        int64_t rest = i;
        for (int64_t d = shape.size() - 1; d >= 0; --d) {
          box.lo[d] = rest % shape[d];
          box.hi[d] = box.lo[d] + 1;
          rest /= shape[d];
        }
        pieces.push_back(box);
      }
      checkSchedule(func, scheduleInPieces(func, pieces, r));
    }
  }

  void checkSchedule(func::FuncOp func, const EvaluationSchedule &schedule) {
    std::vector<Tensor<float>> args = inputs(func);
    FloatInterpreter interpreter;
    FailureOr<SmallVector<Tensor<float>>> expected = interpreter.run(func, args);
    EXPECT_TRUE(succeeded(expected));
    auto makeInput = [&](unsigned arg, const Box &box) {
      Tensor<float> out(box.getShape());
      const Tensor<float> &whole = args[arg];
      SmallVector<int64_t> strides = getRowMajorStrides(whole.getShape());
      SmallVector<int64_t> shape = box.getShape();
      for (int64_t i = 0; i < out.getNumElements(); ++i) {
        int64_t rest = i, offset = 0;
        for (int64_t d = shape.size() - 1; d >= 0; --d) {
          offset += (box.lo[d] + rest % shape[d]) * strides[d];
          rest /= shape[d];
        }
        out[i] = whole[offset];
      }
      return out;
    };
    FailureOr<SmallVector<Tensor<float>>> got =
        interpreter.runSchedule(func, schedule, makeInput);
    EXPECT_TRUE(succeeded(got));
    if (failed(got) || failed(expected))
      return;
    EXPECT_EQ(got->size(), expected->size());
    for (auto [g, e] : llvm::zip(*got, *expected)) {
      EXPECT_EQ(g.getShape(), e.getShape());
      EXPECT_EQ(std::memcmp(g.begin(), e.begin(),
                            sizeof(float) * e.getNumElements()),
                0)
          << "the pieces' values differ from the whole run's";
    }
  }

  /// Runs the check at budgets from "everything whole" down (by thirds) to
  /// the smallest the planner can meet, which must be smaller, with pieces.
  void checkAllBudgets(func::FuncOp func) {
    uint64_t whole = 0;
    ASSERT_TRUE(
        planEvaluation(func, sizeof(float), UINT64_MAX / 2, &whole).has_value());
    EXPECT_FALSE(planEvaluation(func, sizeof(float), /*budget=*/1).has_value());
    size_t mostPieces = 0;
    uint64_t lowest = whole;
    for (uint64_t budget = whole; budget > 0; budget = budget * 2 / 3) {
      if (!planEvaluation(func, sizeof(float), budget).has_value())
        break;
      mostPieces = std::max(mostPieces, checkBudget(func, budget));
      lowest = budget;
    }
    EXPECT_LT(lowest, whole) << "slicing saves nothing";
    EXPECT_GT(mostPieces, 1u);
    checkElementPieces(func);
  }

  /// The value `func` returns first.
  static Value firstResult(func::FuncOp func) {
    return func.getBody().front().getTerminator()->getOperand(0);
  }

  MLIRContext context;
  std::vector<OwningOpRef<ModuleOp>> modules;
};

TEST_F(SlicingTest, KernelLevelAttention) { checkAllBudgets(parse(kAttention)); }

TEST_F(SlicingTest, FlashDecodingMuGraph) {
  checkAllBudgets(parse(kFlashDecoding));
}

TEST_F(SlicingTest, ExpandedAttention) {
  checkAllBudgets(parseExpanded(kAttention));
}

TEST_F(SlicingTest, MixedOps) { checkAllBudgets(parse(kMixed)); }

TEST_F(SlicingTest, ExpandedMixedOps) {
  checkAllBudgets(parseExpanded(kMixed));
}

TEST_F(SlicingTest, AnMlpFitsInLessThanOneWeight) {
  // silu(x·W1)·W2 at decode: every output element needs all of W1, so cutting
  // the output saves nothing; storing x·W1 (small) and cutting it by its own
  // columns does.
  func::FuncOp func = parse(R"mlir(
func.func @f(%x: tensor<1x64xf32>, %w1: tensor<64x1024xf32>, %w2: tensor<1024x64xf32>) -> tensor<1x64xf32> {
  %h = mirage.matmul %x, %w1 : (tensor<1x64xf32>, tensor<64x1024xf32>) -> tensor<1x1024xf32>
  %s = mirage.silu %h : tensor<1x1024xf32>
  %y = mirage.matmul %s, %w2 : (tensor<1x1024xf32>, tensor<1024x64xf32>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
})mlir");
  uint64_t weight = 64 * 1024 * sizeof(float);
  EXPECT_GT(checkBudget(func, weight / 4), 1u);
  checkAllBudgets(func);
}

TEST_F(SlicingTest, MatmulReadsRowsAndColumns) {
  func::FuncOp func = parse(kAttention);
  // One element of the output: head 1, query 0, column 5.
  Box want;
  want.lo = {1, 0, 5};
  want.hi = {2, 1, 6};
  SlicePlan plan(func, firstResult(func), want);
  auto ops = llvm::to_vector(func.getOps<MatmulOp>());
  const OpSlice *pv = plan.getOpSlice(ops[1]);
  ASSERT_TRUE(pv);
  // P's row (query 0 of head 1), all 256 keys; V's column 5 of head 1.
  EXPECT_EQ(pv->operands[0].lo, SmallVector<int64_t>({1, 0, 0}));
  EXPECT_EQ(pv->operands[0].hi, SmallVector<int64_t>({2, 1, 256}));
  EXPECT_EQ(pv->operands[1].lo, SmallVector<int64_t>({1, 0, 5}));
  EXPECT_EQ(pv->operands[1].hi, SmallVector<int64_t>({2, 256, 6}));
  // K of head 1 only.
  const Box *k = plan.getBox(func.getArgument(1));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->lo, SmallVector<int64_t>({1, 0, 0}));
  EXPECT_EQ(k->hi, SmallVector<int64_t>({2, 16, 256}));
}

TEST_F(SlicingTest, GraphKernelRunsTheBlocksThatWriteTheBox) {
  func::FuncOp func = parse(kFlashDecoding);
  Box want;
  want.lo = {2, 0, 0};
  want.hi = {3, 2, 16};
  SlicePlan plan(func, firstResult(func), want);
  auto kernels = llvm::to_vector(func.getOps<GraphKernelOp>());
  // The second kernel: head 2's block. The first: head 2's four key chunks
  // (its y axis writes the chunks the second kernel sums).
  const OpSlice *second = plan.getOpSlice(kernels[1]);
  const OpSlice *first = plan.getOpSlice(kernels[0]);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->blockBegin[0], 2);
  EXPECT_EQ(second->blockCount[0], 1);
  EXPECT_EQ(first->blockBegin[0], 2);
  EXPECT_EQ(first->blockCount[0], 1);
  EXPECT_EQ(first->blockCount[1], 4);
  EXPECT_FALSE(first->whole);
  SlicedOp clone = cloneSlicedOp(kernels[0], *first);
  ASSERT_TRUE(clone.op);
  EXPECT_EQ(cast<GraphKernelOp>(clone.op).getGrid(),
            ArrayRef<int64_t>({1, 4, 1}));
}

} // namespace
