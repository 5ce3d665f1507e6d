//===- LegalizeMathForNVPTX.cpp - Math ops without libdevice --------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-legalize-math-for-nvptx: see its description in Passes.td.
//
// `convert-gpu-to-nvvm` marks the LLVM math intrinsics (llvm.exp, llvm.sqrt,
// ...) illegal for f32 and turns math ops into libdevice calls. This pass
// instead calls the NVVM intrinsics the PTX instructions correspond to, through
// `llvm.call_intrinsic`, which that conversion leaves alone:
//   exp(x)   = ex2.approx(x · log2 e)     (PTX ISA 9.7.3.x ex2: max rel. error
//   log(x)   = lg2.approx(x) · ln 2        2^-22 on normal inputs; what CUDA's
//   sqrt(x)  = sqrt.rn(x)                  __expf does)
//   rsqrt(x) = rsqrt.approx(x)
// f16/bf16 operands are computed in f32; vectors element by element.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#define DEBUG_TYPE "mirage-legalize-math-for-nvptx"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGELEGALIZEMATHFORNVPTX
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {
/// Builds the f32 result of a math op from its f32 operands.
using ScalarBuilder =
    std::function<Value(OpBuilder &, Location, ArrayRef<Value>)>;

Value callIntrinsic(OpBuilder &b, Location loc, StringRef name,
                    ArrayRef<Value> args) {
  return LLVM::CallIntrinsicOp::create(b, loc, b.getF32Type(),
                                       b.getStringAttr(name), ValueRange(args))
      .getResult(0);
}

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// The f32 implementation of `op`, or null when the pass has none.
ScalarBuilder scalarBuilderFor(Operation *op) {
  auto intrinsic = [](StringRef name) -> ScalarBuilder {
    return [name](OpBuilder &b, Location loc, ArrayRef<Value> x) {
      return callIntrinsic(b, loc, name, x);
    };
  };
  return TypeSwitch<Operation *, ScalarBuilder>(op)
      .Case([](math::ExpOp) -> ScalarBuilder {
        return [](OpBuilder &b, Location loc, ArrayRef<Value> x) -> Value {
          Value scaled = arith::MulFOp::create(
              b, loc, x[0], f32Constant(b, loc, llvm::numbers::log2e));
          return callIntrinsic(b, loc, "llvm.nvvm.ex2.approx.f32", scaled);
        };
      })
      .Case([&](math::Exp2Op) { return intrinsic("llvm.nvvm.ex2.approx.f32"); })
      .Case([](math::LogOp) -> ScalarBuilder {
        return [](OpBuilder &b, Location loc, ArrayRef<Value> x) -> Value {
          Value log2 = callIntrinsic(b, loc, "llvm.nvvm.lg2.approx.f", x);
          return arith::MulFOp::create(b, loc, log2,
                                       f32Constant(b, loc, llvm::numbers::ln2));
        };
      })
      .Case([&](math::Log2Op) { return intrinsic("llvm.nvvm.lg2.approx.f"); })
      .Case([&](math::SqrtOp) { return intrinsic("llvm.nvvm.sqrt.rn.f"); })
      .Case(
          [&](math::RsqrtOp) { return intrinsic("llvm.nvvm.rsqrt.approx.f"); })
      .Case([&](math::AbsFOp) { return intrinsic("llvm.fabs.f32"); })
      .Case([&](math::CopySignOp) { return intrinsic("llvm.copysign.f32"); })
      .Case([&](math::FmaOp) { return intrinsic("llvm.fma.f32"); })
      .Case([&](math::FloorOp) { return intrinsic("llvm.floor.f32"); })
      .Case([&](math::CeilOp) { return intrinsic("llvm.ceil.f32"); })
      .Default([](Operation *) { return ScalarBuilder(); });
}

/// Applies `build` to f32 scalars: extends narrower floats, unrolls vectors.
Value buildElementwise(OpBuilder &b, Location loc, Type resultType,
                       ArrayRef<Value> operands, const ScalarBuilder &build) {
  if (auto vectorType = dyn_cast<VectorType>(resultType)) {
    SmallVector<Value> elements;
    for (int64_t i = 0, e = vectorType.getNumElements(); i < e; ++i) {
      SmallVector<Value> scalars;
      for (Value operand : operands) {
        Value flat = vector::ShapeCastOp::create(
            b, loc,
            VectorType::get(
                {e}, cast<VectorType>(operand.getType()).getElementType()),
            operand);
        scalars.push_back(vector::ExtractOp::create(b, loc, flat, i));
      }
      elements.push_back(buildElementwise(b, loc, vectorType.getElementType(),
                                          scalars, build));
    }
    Value flat = vector::FromElementsOp::create(
        b, loc,
        VectorType::get({vectorType.getNumElements()},
                        vectorType.getElementType()),
        elements);
    return vector::ShapeCastOp::create(b, loc, vectorType, flat);
  }
  Type f32 = b.getF32Type();
  SmallVector<Value> wide;
  for (Value operand : operands)
    wide.push_back(operand.getType() == f32
                       ? operand
                       : arith::ExtFOp::create(b, loc, f32, operand));
  Value result = build(b, loc, wide);
  if (resultType != f32)
    result = arith::TruncFOp::create(b, loc, resultType, result);
  return result;
}
} // namespace

namespace {
struct MirageLegalizeMathForNVPTXPass
    : mirage::impl::MirageLegalizeMathForNVPTXBase<
          MirageLegalizeMathForNVPTXPass> {
  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    // Ops NVPTX has no instruction for, in terms of ones it has.
    {
      RewritePatternSet patterns(&getContext());
      populatePolynomialApproximateErfPattern(patterns);
      math::populateExpansionPatterns(
          patterns, {"powf", "fpowi", "tanh", "sinh", "cosh"});
      if (failed(applyPatternsGreedily(module, std::move(patterns))))
        return signalPassFailure();
    }
    SmallVector<Operation *> mathOps;
    module.walk([&](Operation *op) {
      if (isa<math::MathDialect>(op->getDialect()))
        mathOps.push_back(op);
    });
    OpBuilder builder(&getContext());
    for (Operation *op : mathOps) {
      ScalarBuilder build = scalarBuilderFor(op);
      Type resultType =
          op->getNumResults() == 1 ? op->getResult(0).getType() : Type();
      if (!build || !resultType ||
          !isa<FloatType>(getElementTypeOrSelf(resultType))) {
        op->emitError() << "'" << op->getName()
                        << "' has no NVPTX lowering without libdevice";
        return signalPassFailure();
      }
      builder.setInsertionPoint(op);
      SmallVector<Value> operands(op->getOperands());
      Value result =
          buildElementwise(builder, op->getLoc(), resultType, operands, build);
      op->getResult(0).replaceAllUsesWith(result);
      op->erase();
    }
  }
};
} // namespace
