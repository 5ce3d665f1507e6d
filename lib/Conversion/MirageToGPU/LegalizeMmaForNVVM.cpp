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
// MLIR 22's `nvvm.wgmma.mma_async` takes A only as a shared-memory
// descriptor, and `nvvm.inline_ptx` cannot return read-write operands, so
// `mirage.warpgroup_mma` (A from registers) becomes `llvm.inline_asm`.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/Passes.h"

#include "Mirage/Conversion/MirageToGPU/MatrixDescriptor.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/FormatVariadic.h"

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

/// Replaces a `mirage.warpgroup_mma` by one `llvm.inline_asm` holding
///   wgmma.fence; wgmma.mma_async (A from registers, B through its
///   descriptor); wgmma.commit_group; wgmma.wait_group 0
/// so that the accumulators are complete when the statement ends and LLVM
/// cannot move their uses, or the A registers' definitions, across the
/// asynchronous part (PTX ISA, wgmma: registers an in-flight wgmma reads or
/// writes must not be accessed before wgmma.wait_group). The B descriptor
/// is MatrixDescriptor's, its start address the shared-window address of
/// the tile (the ptrtoint of its workgroup pointer) plus the offset of
/// (kStart, nStart).
void lowerWarpgroupMma(RewriterBase &rewriter, WarpgroupMmaOp op) {
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  Type i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
  auto i64Constant = [&](uint64_t v) {
    return arith::ConstantOp::create(rewriter, loc, i64,
                                     rewriter.getI64IntegerAttr(v))
        .getResult();
  };
  auto toI64 = [&](Value index) {
    return arith::IndexCastUIOp::create(rewriter, loc, i64, index).getResult();
  };
  MemRefType bType = op.getB().getType();
  int64_t rows = bType.getDimSize(1);
  // Start: base + nStart / 64 · K · 128 + kStart · 128 (MatrixDescriptor.h;
  // nStart is a multiple of 64, kStart of 8, so no chunk is permuted).
  Value base = toI64(
      memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, op.getB()));
  Value offset = arith::AddIOp::create(
      rewriter, loc,
      arith::MulIOp::create(
          rewriter, loc,
          arith::DivUIOp::create(rewriter, loc, toI64(op.getNStart()),
                                 i64Constant(kSwizzleBlockColumns)),
          i64Constant(rows * kSwizzleRowBytes)),
      arith::MulIOp::create(rewriter, loc, toI64(op.getKStart()),
                            i64Constant(kSwizzleRowBytes)));
  Value start = arith::AddIOp::create(rewriter, loc, base, offset);
  // The start field: (start mod 2^18) >> 4; the other fields are constant.
  Value startField = arith::ShRUIOp::create(
      rewriter, loc,
      arith::AndIOp::create(rewriter, loc, start, i64Constant(0x3FFFF)),
      i64Constant(4));
  MatrixDescriptor fields = getSwizzledMnMajorDescriptor(0, rows, 0, 0);
  Value descriptor = arith::OrIOp::create(rewriter, loc, startField,
                                          i64Constant(fields.encode()));

  // A: four registers of two elements (the first in the low half).
  SmallVector<Value> operands;
  for (int64_t r = 0; r < 4; ++r)
    operands.push_back(LLVM::BitcastOp::create(
        rewriter, loc, i32,
        vector::ExtractOp::create(rewriter, loc, op.getA(), r)));
  operands.push_back(descriptor);
  VectorType accType = op.getAcc().getType();
  int64_t count = accType.getNumElements();
  for (int64_t i = 0; i < count; ++i)
    operands.push_back(vector::ExtractOp::create(rewriter, loc, op.getAcc(),
                                                 ArrayRef<int64_t>{i}));

  // $0 .. $count-1: D (tied to the C operands after A and the descriptor);
  // A in $count .. $count+3, the descriptor in $count+4. Scale-d 1 (D = A·B
  // + D), A and B not negated, B transposed (MN-major: imm-trans-b 1).
  std::string d, constraints;
  llvm::raw_string_ostream ds(d), cs(constraints);
  for (int64_t i = 0; i < count; ++i) {
    ds << (i ? ", " : "") << "$" << i;
    cs << "=f,";
  }
  cs << "r,r,r,r,l";
  for (int64_t i = 0; i < count; ++i)
    cs << "," << i;
  StringRef element =
      cast<VectorType>(op.getA().getType()).getElementType().isBF16() ? "bf16"
                                                                      : "f16";
  std::string asmString =
      llvm::formatv("wgmma.fence.sync.aligned;\n"
                    "wgmma.mma_async.sync.aligned.m64n{0}k16.f32.{1}.{1} "
                    "{{{2}}, {{${3}, ${4}, ${5}, ${6}}, ${7}, 1, 1, 1, 1;\n"
                    "wgmma.commit_group.sync.aligned;\n"
                    "wgmma.wait_group.sync.aligned 0;",
                    op.getNumColumns(), element, d, count, count + 1, count + 2,
                    count + 3, count + 4)
          .str();
  auto resultType = LLVM::LLVMStructType::getLiteral(
      rewriter.getContext(), SmallVector<Type>(count, rewriter.getF32Type()));
  MLIRContext *context = rewriter.getContext();
  auto inlineAsm = LLVM::InlineAsmOp::create(
      rewriter, loc, resultType, operands, rewriter.getStringAttr(asmString),
      rewriter.getStringAttr(constraints),
      /*has_side_effects=*/rewriter.getUnitAttr(),
      /*is_align_stack=*/UnitAttr(),
      LLVM::TailCallKindAttr::get(context, LLVM::TailCallKind::None),
      LLVM::AsmDialectAttr::get(context, LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  SmallVector<Value> results;
  for (int64_t i = 0; i < count; ++i)
    results.push_back(
        LLVM::ExtractValueOp::create(rewriter, loc, inlineAsm.getRes(), i));
  rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, accType, results);
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
    SmallVector<WarpgroupMmaOp> warpgroupOps;
    getOperation().walk([&](WarpgroupMmaOp op) { warpgroupOps.push_back(op); });
    for (WarpgroupMmaOp op : warpgroupOps)
      lowerWarpgroupMma(rewriter, op);
  }
};
} // namespace
