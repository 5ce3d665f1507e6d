//===- EGraphTest.cpp - Subexpressions modulo axioms ----------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Cases that must and must not be subexpressions of a target, first on raw
// expressions, then on the abstract expressions of ops of real programs.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/EGraph.h"
#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Search/KernelGraph.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;
using K = ExprKind;

namespace {

/// Indices: i = 0 and j = 1. Inputs: a(i), b(i), c() (no index), d(j).
class EGraphTest : public ::testing::Test {
protected:
  EGraphTest() {
    graph.setVarIndices(0, 1); // a depends on i
    graph.setVarIndices(1, 1); // b depends on i
    graph.setVarIndices(2, 0); // c depends on nothing
    graph.setVarIndices(3, 2); // d depends on j
    a = graph.var(0);
    b = graph.var(1);
    c = graph.var(2);
    d = graph.var(3);
  }

  /// Whether `build` (in lookup mode) finds its expression in the graph.
  bool contains(function_ref<std::optional<EClassId>(ExprBuilder &)> build) {
    ExprBuilder lookup(graph, /*insert=*/false);
    return build(lookup).has_value();
  }

  EGraph graph;
  EClassId a, b, c, d;
};

TEST_F(EGraphTest, DistributivityBothWays) {
  // Target: a·(b + c).
  graph.binary(K::Mul, a, graph.binary(K::Add, b, c));
  graph.saturate();
  EXPECT_TRUE(contains([&](ExprBuilder &e) {
    return e.binary(K::Mul, e.var(0), e.var(1)); // a·b
  }));
  EXPECT_TRUE(contains([&](ExprBuilder &e) {
    return e.binary(K::Mul, e.var(2), e.var(0)); // c·a (commuted)
  }));
  EXPECT_FALSE(contains([&](ExprBuilder &e) {
    return e.binary(K::Mul, e.var(1), e.var(2)); // b·c is not in it
  }));
}

TEST_F(EGraphTest, SumPullsOutOnlyIndependentFactors) {
  // Target: Σ_i (a·c): c does not depend on i, so c·Σ_i a is equivalent.
  EClassId t = graph.sum(0, graph.binary(K::Mul, a, c));
  // Target 2: Σ_i (a·b): b depends on i, so a·Σ_i b is not equivalent.
  EClassId t2 = graph.sum(0, graph.binary(K::Mul, a, b));
  graph.saturate();
  ExprBuilder lookup(graph, /*insert=*/false);
  std::optional<EClassId> pulled =
      lookup.binary(K::Mul, lookup.var(2), lookup.sum(0, lookup.var(0)));
  ASSERT_TRUE(pulled.has_value());
  EXPECT_EQ(graph.find(*pulled), graph.find(t));
  // Σ_i b alone never appears: pulling a out of Σ_i a·b is unsound.
  EXPECT_FALSE(lookup.sum(0, lookup.var(1)).has_value());
  EXPECT_NE(graph.find(t), graph.find(t2));
  EXPECT_EQ(graph.getFreeIndices(t), 0u);
}

TEST_F(EGraphTest, DivisionMovesOutOfSums) {
  // Target: Σ_i (a / (Σ_i a)) · b — attention's P·V with P = E / ΣE.
  EClassId z = graph.sum(0, a);
  EClassId t =
      graph.sum(0, graph.binary(K::Mul, graph.binary(K::Div, a, z), b));
  graph.saturate();
  ExprBuilder lookup(graph, /*insert=*/false);
  // (Σ_i a·b) / (Σ_i a): the FlashAttention form.
  std::optional<EClassId> rewritten = lookup.binary(
      K::Div,
      lookup.sum(0, lookup.binary(K::Mul, lookup.var(0), lookup.var(1))),
      lookup.sum(0, lookup.var(0)));
  ASSERT_TRUE(rewritten.has_value());
  EXPECT_EQ(graph.find(*rewritten), graph.find(t));
  // Σ_i over the wrong index (j) is not a subexpression.
  EXPECT_FALSE(lookup.sum(1, lookup.var(0)).has_value());
  // Dividing by the sum first and summing products is still there.
  EXPECT_TRUE(lookup.binary(K::Div, lookup.var(0), lookup.sum(0, lookup.var(0)))
                  .has_value());
}

TEST_F(EGraphTest, ConstantsFold) {
  // Target: 0.25 · (0.5 · a).
  graph.binary(K::Mul, graph.constant(0.25),
               graph.binary(K::Mul, graph.constant(0.5), a));
  graph.saturate();
  EXPECT_TRUE(contains([&](ExprBuilder &e) {
    return e.binary(K::Mul, e.constant(0.125), e.var(0));
  }));
  EXPECT_FALSE(contains([&](ExprBuilder &e) {
    return e.binary(K::Mul, e.constant(0.25), e.var(1));
  }));
}

TEST_F(EGraphTest, FunctionsAreOpaque) {
  // exp(a + b) is not exp(a)·exp(b) for the search (no exp axioms), and
  // nothing inside exp is rewritten into it.
  graph.unary(K::Exp, graph.binary(K::Add, a, b));
  graph.saturate();
  EXPECT_TRUE(contains([&](ExprBuilder &e) {
    return e.unary(K::Exp, e.binary(K::Add, e.var(1), e.var(0)));
  }));
  EXPECT_FALSE(
      contains([&](ExprBuilder &e) { return e.unary(K::Exp, e.var(0)); }));
}

/// Abstract expressions of the ops of real programs.
class ProgramExprTest : public ::testing::Test {
protected:
  ProgramExprTest() {
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
    graph.saturate();
    return *kg;
  }

  /// The class of `spec` applied to tensors `operands` of `kg`, if the
  /// index ids fit and the expression is a subexpression of the target.
  std::optional<EClassId> candidate(KernelGraph &kg, OpSpec spec,
                                    ArrayRef<const TensorInfo *> operands) {
    SmallVector<int64_t> shape;
    SmallVector<int> indices;
    if (failed(spec.inferResult(
            operands, [](int x, int y) { return x == y; }, shape, indices)))
      return std::nullopt;
    ExprBuilder lookup(graph, /*insert=*/false);
    return spec.buildExpr(lookup, operands);
  }

  static TensorInfo result(ArrayRef<const TensorInfo *> operands, OpSpec spec,
                           EClassId expr) {
    TensorInfo t;
    (void)spec.inferResult(
        operands, [](int x, int y) { return x == y; }, t.shape, t.indices);
    t.elementType = operands[0]->elementType;
    t.expr = expr;
    return t;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  EGraph graph;
};

TEST_F(ProgramExprTest, RmsNormThenMatmul) {
  KernelGraph kg = analyze(R"mlir(
    func.func @f(%x: tensor<2x64xf16>, %w: tensor<64x32xf16>) -> tensor<2x32xf16> {
      %n = mirage.rms_norm %x normalized_shape = [64] : tensor<2x64xf16>
      %y = mirage.matmul %n, %w : (tensor<2x64xf16>, tensor<64x32xf16>) -> tensor<2x32xf16>
      return %y : tensor<2x32xf16>
    })mlir");
  const TensorInfo &x = kg.tensors[0], &w = kg.tensors[1];
  EClassId target = kg.tensors[kg.outputs[0]].expr;

  // Must be subexpressions: X·W, and the mean square decomposed.
  std::optional<EClassId> xw = candidate(kg, {OpKind::Matmul}, {&x, &w});
  ASSERT_TRUE(xw.has_value());
  std::optional<EClassId> sq = candidate(kg, {OpKind::Square}, {&x});
  ASSERT_TRUE(sq.has_value());
  TensorInfo sqT = result({&x}, {OpKind::Square}, *sq);
  OpSpec reduce{OpKind::ReduceSum};
  reduce.dim = 1;
  std::optional<EClassId> ss = candidate(kg, reduce, {&sqT});
  ASSERT_TRUE(ss.has_value());
  TensorInfo ssT = result({&sqT}, reduce, *ss);
  OpSpec scale{OpKind::MulScalar};
  scale.value = 1.0 / 64;
  std::optional<EClassId> ms = candidate(kg, scale, {&ssT});
  ASSERT_TRUE(ms.has_value());
  TensorInfo msT = result({&ssT}, scale, *ms);
  std::optional<EClassId> rms = candidate(kg, {OpKind::Sqrt}, {&msT});
  ASSERT_TRUE(rms.has_value());
  TensorInfo rmsT = result({&msT}, {OpKind::Sqrt}, *rms);
  TensorInfo xwT = result({&x, &w}, {OpKind::Matmul}, *xw);
  // (X·W) / rms(X) is the target itself.
  std::optional<EClassId> fused = candidate(kg, {OpKind::Div}, {&xwT, &rmsT});
  ASSERT_TRUE(fused.has_value());
  EXPECT_EQ(graph.find(*fused), graph.find(target));

  // Must not be: a sum over the rows (wrong index), exp of anything, a
  // scale that is not 1/64.
  OpSpec wrongReduce{OpKind::ReduceSum};
  wrongReduce.dim = 0;
  EXPECT_FALSE(candidate(kg, wrongReduce, {&sqT}).has_value());
  EXPECT_FALSE(candidate(kg, {OpKind::Exp}, {&x}).has_value());
  OpSpec wrongScale{OpKind::MulScalar};
  wrongScale.value = 1.0 / 32;
  EXPECT_FALSE(candidate(kg, wrongScale, {&ssT}).has_value());
}

TEST_F(ProgramExprTest, Attention) {
  KernelGraph kg = analyze(R"mlir(
    func.func @f(%q: tensor<2x4x16xf16>, %k: tensor<2x16x64xf16>, %v: tensor<2x64x16xf16>) -> tensor<2x4x16xf16> {
      %s = mirage.matmul %q, %k : (tensor<2x4x16xf16>, tensor<2x16x64xf16>) -> tensor<2x4x64xf16>
      %e = mirage.exp %s : tensor<2x4x64xf16>
      %z = mirage.reduce sum %e dim = 2 : (tensor<2x4x64xf16>) -> tensor<2x4x1xf16>
      %p = mirage.div %e, %z : (tensor<2x4x64xf16>, tensor<2x4x1xf16>) -> tensor<2x4x64xf16>
      %o = mirage.matmul %p, %v : (tensor<2x4x64xf16>, tensor<2x64x16xf16>) -> tensor<2x4x16xf16>
      return %o : tensor<2x4x16xf16>
    })mlir");
  const TensorInfo &q = kg.tensors[0], &k = kg.tensors[1], &v = kg.tensors[2];
  const TensorInfo &s = kg.tensors[3], &e = kg.tensors[4], &z = kg.tensors[5];
  EClassId target = kg.tensors[kg.outputs[0]].expr;
  // Q and K share the contraction index; V's rows range over the keys.
  EXPECT_EQ(q.indices[2], k.indices[1]);
  EXPECT_EQ(k.indices[2], v.indices[1]);
  EXPECT_NE(q.indices[2], v.indices[2]);

  // E·V and then (E·V)/Z: the split FlashDecoding needs.
  std::optional<EClassId> ev = candidate(kg, {OpKind::Matmul}, {&e, &v});
  ASSERT_TRUE(ev.has_value());
  TensorInfo evT = result({&e, &v}, {OpKind::Matmul}, *ev);
  std::optional<EClassId> out = candidate(kg, {OpKind::Div}, {&evT, &z});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(graph.find(*out), graph.find(target));

  // Near misses: S·V without the exp; Q·K's contraction with the wrong
  // operand order does not even fit the indices.
  EXPECT_FALSE(candidate(kg, {OpKind::Matmul}, {&s, &v}).has_value());
  EXPECT_FALSE(candidate(kg, {OpKind::Matmul}, {&k, &q}).has_value());
  // exp/div swapped: exp(S / Z) is not in the target.
  std::optional<EClassId> sz = candidate(kg, {OpKind::Div}, {&s, &z});
  EXPECT_FALSE(sz.has_value());
}

} // namespace
