//===- KernelGraphTest.cpp - Index ids of kernel graphs -------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// analyzeKernelGraph keeps the dims of every tensor on distinct index ids,
// also where a program uses a value in two roles (a residual around a square
// weight, a self product): that use gets an instance of its own.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/KernelGraph.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

namespace {

class KernelGraphTest : public ::testing::Test {
protected:
  KernelGraphTest() {
    DialectRegistry registry;
    registerMirageDialect(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  KernelGraph analyze(StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module);
    func::FuncOp func = *module->getOps<func::FuncOp>().begin();
    FailureOr<KernelGraph> kg = analyzeKernelGraph(func, graph);
    EXPECT_TRUE(succeeded(kg));
    checkDistinctDims(*kg);
    return *kg;
  }

  /// No tensor has two dims on one index id.
  static void checkDistinctDims(const KernelGraph &kg) {
    for (auto [t, info] : llvm::enumerate(kg.tensors)) {
      SmallVector<int> ids;
      for (int id : info.indices)
        if (id != kUnitIndex)
          ids.push_back(id);
      llvm::sort(ids);
      EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end())
          << "tensor " << t << " has two dims on one index";
    }
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  EGraph graph;
};

TEST_F(KernelGraphTest, IndependentUsesShareTheInput) {
  KernelGraph kg = analyze(R"mlir(
    func.func @f(%x: tensor<2x64xf16>, %w: tensor<64x32xf16>) -> tensor<2x32xf16> {
      %n = mirage.rms_norm %x normalized_shape = [64] : tensor<2x64xf16>
      %y = mirage.matmul %n, %w : (tensor<2x64xf16>, tensor<64x32xf16>) -> tensor<2x32xf16>
      return %y : tensor<2x32xf16>
    })mlir");
  EXPECT_EQ(kg.numInputs, 2u);
  EXPECT_EQ(kg.inputArguments, SmallVector<unsigned>({0, 1}));
  EXPECT_EQ(kg.ops.size(), 2u);
}

TEST_F(KernelGraphTest, ResidualAroundASquareWeight) {
  // x + x·W: x's columns are W's rows (the matmul) and the sum's columns
  // (the add), which are W's columns. The add reads an instance of x.
  KernelGraph kg = analyze(R"mlir(
    func.func @f(%x: tensor<8x64xf16>, %w: tensor<64x64xf16>) -> tensor<8x64xf16> {
      %y = mirage.matmul %x, %w : (tensor<8x64xf16>, tensor<64x64xf16>) -> tensor<8x64xf16>
      %o = mirage.add %x, %y : (tensor<8x64xf16>, tensor<8x64xf16>) -> tensor<8x64xf16>
      return %o : tensor<8x64xf16>
    })mlir");
  EXPECT_EQ(kg.numInputs, 3u);
  EXPECT_EQ(kg.inputArguments, SmallVector<unsigned>({0, 1, 0}));
  ASSERT_EQ(kg.ops.size(), 2u);
  const TensorInfo &x = kg.tensors[0], &w = kg.tensors[1],
                   &xAgain = kg.tensors[2];
  // The matmul contracts x's columns with W's rows; the add aligns the
  // instance's columns with W's columns.
  EXPECT_EQ(x.indices[1], w.indices[0]);
  EXPECT_EQ(xAgain.indices[1], w.indices[1]);
  EXPECT_EQ(x.indices[0], xAgain.indices[0]);
  EXPECT_EQ(kg.ops[1].operands[0], 2u);
  EXPECT_EQ(kg.getNumIndices(), 3u);
}

TEST_F(KernelGraphTest, SelfProduct) {
  KernelGraph kg = analyze(R"mlir(
    func.func @f(%x: tensor<64x64xf16>) -> tensor<64x64xf16> {
      %y = mirage.matmul %x, %x : (tensor<64x64xf16>, tensor<64x64xf16>) -> tensor<64x64xf16>
      return %y : tensor<64x64xf16>
    })mlir");
  EXPECT_EQ(kg.inputArguments, SmallVector<unsigned>({0, 0}));
  // The matmul contracts one instance's columns with the other's rows.
  ASSERT_EQ(kg.ops.size(), 1u);
  const TensorInfo &lhs = kg.tensors[kg.ops[0].operands[0]];
  const TensorInfo &rhs = kg.tensors[kg.ops[0].operands[1]];
  EXPECT_NE(kg.ops[0].operands[0], kg.ops[0].operands[1]);
  EXPECT_EQ(lhs.indices[1], rhs.indices[0]);
  EXPECT_EQ(kg.getNumIndices(), 3u);
}

TEST_F(KernelGraphTest, ResidualOfAnIntermediateCopiesItsOps) {
  // t + t·W with t = exp(x): the add reads a copy of exp on an instance of x.
  KernelGraph kg = analyze(R"mlir(
    func.func @f(%x: tensor<8x64xf16>, %w: tensor<64x64xf16>) -> tensor<8x64xf16> {
      %t = mirage.exp %x : tensor<8x64xf16>
      %y = mirage.matmul %t, %w : (tensor<8x64xf16>, tensor<64x64xf16>) -> tensor<8x64xf16>
      %o = mirage.add %t, %y : (tensor<8x64xf16>, tensor<8x64xf16>) -> tensor<8x64xf16>
      return %o : tensor<8x64xf16>
    })mlir");
  EXPECT_EQ(kg.inputArguments, SmallVector<unsigned>({0, 1, 0}));
  ASSERT_EQ(kg.ops.size(), 4u);
  unsigned exps = 0;
  for (const KernelGraph::Op &op : kg.ops)
    exps += op.spec.kind == OpKind::Exp;
  EXPECT_EQ(exps, 2u);
}

TEST_F(KernelGraphTest, SquareAttention) {
  // Sequence length = head dim: equal extents are not one index.
  KernelGraph kg = analyze(R"mlir(
    func.func @f(%q: tensor<4x64x64xf16>, %k: tensor<4x64x64xf16>, %v: tensor<4x64x64xf16>) -> tensor<4x64x64xf16> {
      %s = mirage.matmul %q, %k : (tensor<4x64x64xf16>, tensor<4x64x64xf16>) -> tensor<4x64x64xf16>
      %e = mirage.exp %s : tensor<4x64x64xf16>
      %z = mirage.reduce sum %e dim = 2 : (tensor<4x64x64xf16>) -> tensor<4x64x1xf16>
      %p = mirage.div %e, %z : (tensor<4x64x64xf16>, tensor<4x64x1xf16>) -> tensor<4x64x64xf16>
      %o = mirage.matmul %p, %v : (tensor<4x64x64xf16>, tensor<4x64x64xf16>) -> tensor<4x64x64xf16>
      return %o : tensor<4x64x64xf16>
    })mlir");
  EXPECT_EQ(kg.numInputs, 3u);
  // Heads, queries, head dim, keys, value dim.
  EXPECT_EQ(kg.getNumIndices(), 5u);
}

} // namespace
