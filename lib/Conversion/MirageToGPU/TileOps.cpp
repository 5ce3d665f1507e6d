//===- TileOps.cpp - Tile ops as linalg ops on memrefs --------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace mlir::mirage;

namespace {
MemRefType memrefType(Value v) { return cast<MemRefType>(v.getType()); }

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

SmallVector<utils::IteratorType> parallel(unsigned n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}
} // namespace

Value tile::toF32(OpBuilder &b, Location loc, Value x) {
  if (x.getType().isF32())
    return x;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), x);
}

Value tile::fromF32(OpBuilder &b, Location loc, Value x, Type type) {
  if (type.isF32())
    return x;
  return arith::TruncFOp::create(b, loc, type, x);
}

FailureOr<Value> tile::emitScalarOp(OpBuilder &b, Location loc, Operation *op,
                                    ValueRange operands) {
  Value x = operands.empty() ? Value() : operands[0];
  auto one = [&] { return f32Constant(b, loc, 1.0); };
  // 1 / (1 + e^(−x)).
  auto sigmoid = [&](Value v) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, v));
    return arith::DivFOp::create(b, loc, one(),
                                 arith::AddFOp::create(b, loc, one(), e));
  };
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](ExpOp) -> Value { return math::ExpOp::create(b, loc, x); })
      .Case([&](SqrtOp) -> Value { return math::SqrtOp::create(b, loc, x); })
      .Case([&](RsqrtOp) -> Value {
        // 1/√x, as the interpreter computes it (not the approximate rsqrt).
        return arith::DivFOp::create(b, loc, one(),
                                     math::SqrtOp::create(b, loc, x));
      })
      .Case([&](SquareOp) -> Value {
        return arith::MulFOp::create(b, loc, x, x);
      })
      .Case([&](SiluOp) -> Value {
        return arith::MulFOp::create(b, loc, x, sigmoid(x));
      })
      .Case([&](SigmoidOp) -> Value { return sigmoid(x); })
      .Case([&](GeluOp) -> Value {
        // x/2 · (1 + erf(x/√2)).
        Value scaled = arith::MulFOp::create(
            b, loc, x, f32Constant(b, loc, 0.70710678118654752));
        Value erf = math::ErfOp::create(b, loc, scaled);
        Value half = arith::MulFOp::create(b, loc, f32Constant(b, loc, 0.5), x);
        return arith::MulFOp::create(b, loc, half,
                                     arith::AddFOp::create(b, loc, one(), erf));
      })
      .Case([&](ReluOp) -> Value {
        // NaN-propagating, as torch.relu.
        return arith::MaximumFOp::create(b, loc, x, f32Constant(b, loc, 0.0));
      })
      .Case([&](MulScalarOp s) -> Value {
        return arith::MulFOp::create(
            b, loc, x, f32Constant(b, loc, s.getScalar().convertToDouble()));
      })
      .Case([&](ClampOp c) -> Value {
        Value lo = arith::MaximumFOp::create(
            b, loc, x, f32Constant(b, loc, c.getMin().convertToDouble()));
        return arith::MinimumFOp::create(
            b, loc, lo, f32Constant(b, loc, c.getMax().convertToDouble()));
      })
      .Case([&](AddOp) -> Value {
        return arith::AddFOp::create(b, loc, operands[0], operands[1]);
      })
      .Case([&](SubOp) -> Value {
        return arith::SubFOp::create(b, loc, operands[0], operands[1]);
      })
      .Case([&](MulOp) -> Value {
        return arith::MulFOp::create(b, loc, operands[0], operands[1]);
      })
      .Case([&](DivOp) -> Value {
        return arith::DivFOp::create(b, loc, operands[0], operands[1]);
      })
      .Case([&](PowOp) -> Value {
        return math::PowFOp::create(b, loc, operands[0], operands[1]);
      })
      .Default([](Operation *) { return failure(); });
}

AffineMap tile::getBroadcastMap(ArrayRef<int64_t> operand,
                                ArrayRef<int64_t> iteration,
                                MLIRContext *context) {
  SmallVector<AffineExpr> exprs;
  size_t lead = iteration.size() - operand.size();
  for (size_t d = 0; d < operand.size(); ++d) {
    if (operand[d] == 1 && iteration[lead + d] != 1)
      exprs.push_back(getAffineConstantExpr(0, context));
    else
      exprs.push_back(getAffineDimExpr(lead + d, context));
  }
  return AffineMap::get(iteration.size(), 0, exprs, context);
}

void tile::emitElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, Value output,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *context = b.getContext();
  ArrayRef<int64_t> shape = memrefType(output).getShape();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(getBroadcastMap(memrefType(in).getShape(), shape, context));
  maps.push_back(AffineMap::getMultiDimIdentityMap(shape.size(), context));
  Type outType = memrefType(output).getElementType();
  linalg::GenericOp::create(
      b, loc, inputs, ValueRange{output}, maps, parallel(shape.size()),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> f32;
        for (Value a : args.drop_back())
          f32.push_back(toF32(nb, nloc, a));
        Value r = body(nb, nloc, f32);
        linalg::YieldOp::create(nb, nloc, fromF32(nb, nloc, r, outType));
      });
}

void tile::emitFill(OpBuilder &b, Location loc, Value buffer, double value) {
  Type type = memrefType(buffer).getElementType();
  Value v = arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  linalg::FillOp::create(b, loc, ValueRange{v}, ValueRange{buffer});
}

void tile::emitConvert(OpBuilder &b, Location loc, Value from, Value to) {
  emitElementwise(
      b, loc, ValueRange{from}, to,
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
}

void tile::emitMatmulAccumulate(OpBuilder &b, Location loc, Value lhs,
                                Value rhs, Value acc) {
  MLIRContext *context = b.getContext();
  ArrayRef<int64_t> out = memrefType(acc).getShape();
  ArrayRef<int64_t> a = memrefType(lhs).getShape();
  ArrayRef<int64_t> bShape = memrefType(rhs).getShape();
  unsigned rank = out.size(); // batch dims, m, n
  unsigned batch = rank - 2;
  // Iteration dims: batch..., m, n, k.
  AffineExpr m = getAffineDimExpr(batch, context);
  AffineExpr n = getAffineDimExpr(batch + 1, context);
  AffineExpr k = getAffineDimExpr(batch + 2, context);
  auto batchExprs = [&](ArrayRef<int64_t> operand) {
    SmallVector<AffineExpr> exprs;
    unsigned operandBatch = operand.size() - 2;
    unsigned lead = batch - operandBatch;
    for (unsigned d = 0; d < operandBatch; ++d)
      exprs.push_back(operand[d] == 1 && out[lead + d] != 1
                          ? getAffineConstantExpr(0, context)
                          : getAffineDimExpr(lead + d, context));
    return exprs;
  };
  SmallVector<AffineExpr> lhsExprs = batchExprs(a);
  lhsExprs.append({m, k});
  SmallVector<AffineExpr> rhsExprs = batchExprs(bShape);
  rhsExprs.append({k, n});
  SmallVector<AffineExpr> accExprs;
  for (unsigned d = 0; d < batch; ++d)
    accExprs.push_back(getAffineDimExpr(d, context));
  accExprs.append({m, n});
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank + 1, 0, lhsExprs, context),
      AffineMap::get(rank + 1, 0, rhsExprs, context),
      AffineMap::get(rank + 1, 0, accExprs, context)};
  SmallVector<utils::IteratorType> iterators = parallel(rank);
  iterators.push_back(utils::IteratorType::reduction);
  linalg::GenericOp::create(
      b, loc, ValueRange{lhs, rhs}, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value p = arith::MulFOp::create(nb, nloc, toF32(nb, nloc, args[0]),
                                        toF32(nb, nloc, args[1]));
        Value sum = arith::AddFOp::create(nb, nloc, args[2], p);
        linalg::YieldOp::create(nb, nloc, sum);
      });
}

void tile::emitReduceAccumulate(OpBuilder &b, Location loc, Value input,
                                Value acc, int64_t dim, ReduceKind kind) {
  MLIRContext *context = b.getContext();
  ArrayRef<int64_t> in = memrefType(input).getShape();
  ArrayRef<int64_t> out = memrefType(acc).getShape();
  unsigned rank = out.size();
  int64_t chunks = in[dim] / out[dim];
  // Iteration dims: the result's, then the chunk c being reduced. A
  // reduction to size s > 1 reads the input as [.., chunks, s, ..]
  // (result[j] = ⊕_c input[c·s + j]; linalg needs every loop bound readable
  // off an operand's shape).
  SmallVector<AffineExpr> inExprs;
  if (out[dim] > 1) {
    SmallVector<int64_t> expanded(in.begin(), in.end());
    expanded[dim] = chunks;
    expanded.insert(expanded.begin() + dim + 1, out[dim]);
    SmallVector<ReassociationIndices> groups;
    for (int64_t d = 0; d < static_cast<int64_t>(rank); ++d) {
      if (d < dim)
        groups.push_back({d});
      else if (d == dim)
        groups.push_back({d, d + 1});
      else
        groups.push_back({d + 1});
    }
    // The result type is inferred: a tile with padded rows is strided.
    input = memref::ExpandShapeOp::create(b, loc, expanded, input, groups);
    for (unsigned d = 0; d < rank; ++d) {
      if (d == dim)
        inExprs.push_back(getAffineDimExpr(rank, context));
      inExprs.push_back(getAffineDimExpr(d, context));
    }
  } else {
    for (unsigned d = 0; d < rank; ++d)
      inExprs.push_back(getAffineDimExpr(d == dim ? rank : d, context));
  }
  SmallVector<AffineMap> maps = {
      AffineMap::get(rank + 1, 0, inExprs, context),
      AffineMap::getMultiDimIdentityMap(rank + 1, context)
          .getMajorSubMap(rank)};
  SmallVector<utils::IteratorType> iterators = parallel(rank);
  iterators.push_back(utils::IteratorType::reduction);
  linalg::GenericOp::create(
      b, loc, ValueRange{input}, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = toF32(nb, nloc, args[0]);
        Value r = kind == ReduceKind::max
                      ? Value(arith::MaximumFOp::create(nb, nloc, args[1], x))
                      : Value(arith::AddFOp::create(nb, nloc, args[1], x));
        linalg::YieldOp::create(nb, nloc, r);
      });
}

void tile::emitRmsNorm(OpBuilder &b, Location loc, Value x, Value sumSquares,
                       Value output, unsigned normalizedRank, double eps) {
  MLIRContext *context = b.getContext();
  ArrayRef<int64_t> shape = memrefType(x).getShape();
  unsigned rank = shape.size();
  int64_t n = 1;
  for (unsigned d = rank - normalizedRank; d < rank; ++d)
    n *= shape[d];
  emitFill(b, loc, sumSquares, 0.0);
  SmallVector<utils::IteratorType> iterators = parallel(rank);
  for (unsigned d = rank - normalizedRank; d < rank; ++d)
    iterators[d] = utils::IteratorType::reduction;
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
  AffineMap rows =
      getBroadcastMap(memrefType(sumSquares).getShape(), shape, context);
  linalg::GenericOp::create(b, loc, ValueRange{x}, ValueRange{sumSquares},
                            SmallVector<AffineMap>{identity, rows}, iterators,
                            [&](OpBuilder &nb, Location nloc, ValueRange args) {
                              Value v = toF32(nb, nloc, args[0]);
                              Value sq = arith::MulFOp::create(nb, nloc, v, v);
                              Value sum =
                                  arith::AddFOp::create(nb, nloc, args[1], sq);
                              linalg::YieldOp::create(nb, nloc, sum);
                            });
  emitElementwise(
      b, loc, ValueRange{x, sumSquares}, output,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value mean = arith::DivFOp::create(
            nb, nloc, args[1], f32Constant(nb, nloc, static_cast<double>(n)));
        Value shifted =
            arith::AddFOp::create(nb, nloc, mean, f32Constant(nb, nloc, eps));
        return arith::DivFOp::create(nb, nloc, args[0],
                                     math::SqrtOp::create(nb, nloc, shifted));
      });
}
