//===- Decompose.cpp - Expand composite Mirage ops --------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#define DEBUG_TYPE "mirage-decompose"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEDECOMPOSE
#include "Mirage/Dialect/Mirage/Transforms/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// softmax(x) along d  ->  exp(x) / reduce_sum(exp(x), d, size = 1).
struct DecomposeSoftmax : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value exp = ExpOp::create(rewriter, loc, op.getInput());
    Value sum = ReduceOp::create(rewriter, loc, exp, ReduceKind::sum,
                                 op.getDim(), /*size=*/1);
    rewriter.replaceOpWithNewOp<DivOp>(op, exp, sum);
    return success();
  }
};

struct MirageDecomposePass
    : mirage::impl::MirageDecomposeBase<MirageDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMirageDecomposePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::mirage::populateMirageDecomposePatterns(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeSoftmax>(patterns.getContext());
}
