//===- LegalizeMmaForNVVM.cpp - bf16 mma.sync as nvvm.mma.sync ------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-legalize-mma-for-nvvm: see its description in Passes.td.
//
// MLIR 22's `convert-nvgpu-to-nvvm` maps the element type of an
// `nvgpu.mma.sync` operand to its PTX type with a table that has f16, tf32,
// f64, s8 and s4 but not bf16, and fails with "failed to deduce operand PTX
// types". `nvvm.mma.sync` itself supports bf16 (NVVMOps.td, MmaOp: A and B as
// i32 registers of two bf16 each, C and D four f32), given the PTX types
// explicitly. This pass writes that op for every bf16 `nvgpu.mma.sync`, so the
// upstream conversion only ever sees the f16 ones it handles.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#define DEBUG_TYPE "mirage-legalize-mma-for-nvvm"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGELEGALIZEMMAFORNVVM
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {
/// Replaces a bf16 `nvgpu.mma.sync` (A vector<Rx2xbf16>, B vector<Sx2xbf16>,
/// C and D vector<Tx2xf32>) by `nvvm.mma.sync` on R + S i32 registers and
/// 2T f32 scalars. Register and element order are those of the nvgpu op:
/// row r of A is PTX register a_r, element (r, c) of C is c_{2r+c}.
void lowerBf16MmaSync(RewriterBase &rewriter, nvgpu::MmaSyncOp op) {
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  Type i32 = rewriter.getI32Type();
  // Each row of A or B is one 32-bit register holding two bf16, the first
  // in the low half: the bit pattern of vector<2xbf16>.
  auto registers = [&](Value fragment) {
    SmallVector<Value> words;
    int64_t rows = cast<VectorType>(fragment.getType()).getDimSize(0);
    for (int64_t r = 0; r < rows; ++r) {
      Value row = vector::ExtractOp::create(rewriter, loc, fragment, r);
      words.push_back(LLVM::BitcastOp::create(rewriter, loc, i32, row));
    }
    return words;
  };
  SmallVector<Value> a = registers(op.getMatrixA());
  SmallVector<Value> b = registers(op.getMatrixB());
  VectorType cType = op.getMatrixC().getType();
  SmallVector<Value> c;
  for (int64_t r = 0; r < cType.getDimSize(0); ++r)
    for (int64_t col = 0; col < cType.getDimSize(1); ++col)
      c.push_back(vector::ExtractOp::create(rewriter, loc, op.getMatrixC(),
                                            ArrayRef<int64_t>{r, col}));

  auto resultType = LLVM::LLVMStructType::getLiteral(
      rewriter.getContext(),
      SmallVector<Type>(c.size(), rewriter.getF32Type()));
  Value mma = NVVM::MmaOp::create(
      rewriter, loc, resultType, a, b, c, op.getMmaShapeAsArray(),
      /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
      std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> d;
  for (int64_t i = 0, e = c.size(); i < e; ++i)
    d.push_back(LLVM::ExtractValueOp::create(rewriter, loc, mma, i));
  rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, cType, d);
}

struct MirageLegalizeMmaForNVVMPass
    : mirage::impl::MirageLegalizeMmaForNVVMBase<MirageLegalizeMmaForNVVMPass> {
  void runOnOperation() override {
    SmallVector<nvgpu::MmaSyncOp> bf16Ops;
    WalkResult walk = getOperation().walk([&](nvgpu::MmaSyncOp op) {
      // The nvgpu verifier has checked that A and B share an element type
      // and that the fragment shapes fit the mma shape.
      if (!op.getMatrixA().getType().getElementType().isBF16())
        return WalkResult::advance();
      // PTX has bf16 mma.sync with f32 accumulators only.
      if (!op.getMatrixC().getType().getElementType().isF32()) {
        op.emitOpError("with bf16 operands must accumulate in f32");
        return WalkResult::interrupt();
      }
      bf16Ops.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (nvgpu::MmaSyncOp op : bf16Ops)
      lowerBf16MmaSync(rewriter, op);
  }
};
} // namespace
