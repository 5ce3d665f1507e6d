//===- OpSpec.cpp - Compute ops as the search sees them ---------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/OpSpec.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

int64_t TensorInfo::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorInfo::getSizeInBytes() const {
  return getNumElements() *
         static_cast<int64_t>(elementType.getIntOrFloatBitWidth() / 8);
}

std::optional<int64_t> TensorInfo::getDimOf(int index) const {
  if (index == kUnitIndex)
    return std::nullopt;
  for (auto [d, id] : llvm::enumerate(indices))
    if (id == index)
      return d;
  return std::nullopt;
}

int OpSpec::getNumOperands() const {
  switch (kind) {
  case OpKind::Matmul:
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow:
    return 2;
  default:
    return 1;
  }
}

bool OpSpec::isElementwise() const {
  return kind != OpKind::Matmul && kind != OpKind::ReduceSum &&
         kind != OpKind::RmsNorm;
}

bool OpSpec::isLinearIn(unsigned i) const {
  switch (kind) {
  case OpKind::Matmul:
  case OpKind::Mul:
  case OpKind::MulScalar:
  case OpKind::ReduceSum:
    return true;
  case OpKind::Add:
  case OpKind::Sub:
    // Linear in both together, which is what combining partials needs.
    return true;
  case OpKind::Div:
    return i == 0;
  default:
    return false;
  }
}

std::string OpSpec::getName() const {
  static const char *names[] = {
      "matmul", "exp",  "sqrt",    "rsqrt",      "square", "silu",
      "gelu",   "relu", "sigmoid", "mul_scalar", "clamp",  "add",
      "sub",    "mul",  "div",     "pow",        "reduce", "rms_norm"};
  return names[static_cast<int>(kind)];
}

// GCC 12 warns, wrongly, that TypeSwitch's optional result may be used
// uninitialized once inlined here (-Wmaybe-uninitialized false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
FailureOr<OpSpec> OpSpec::fromOperation(Operation *op) {
  auto unsupported = [&](const Twine &why) -> FailureOr<OpSpec> {
    emitError(op->getLoc()) << "the superoptimizer does not support '"
                            << op->getName() << "': " << why;
    return failure();
  };
  return llvm::TypeSwitch<Operation *, FailureOr<OpSpec>>(op)
      .Case([](MatmulOp) { return OpSpec{OpKind::Matmul}; })
      .Case([](ExpOp) { return OpSpec{OpKind::Exp}; })
      .Case([](SqrtOp) { return OpSpec{OpKind::Sqrt}; })
      .Case([](RsqrtOp) { return OpSpec{OpKind::Rsqrt}; })
      .Case([](SquareOp) { return OpSpec{OpKind::Square}; })
      .Case([](SiluOp) { return OpSpec{OpKind::Silu}; })
      .Case([](GeluOp) { return OpSpec{OpKind::Gelu}; })
      .Case([](ReluOp) { return OpSpec{OpKind::Relu}; })
      .Case([](SigmoidOp) { return OpSpec{OpKind::Sigmoid}; })
      .Case([](MulScalarOp m) {
        OpSpec spec{OpKind::MulScalar};
        spec.value = m.getScalar().convertToDouble();
        return spec;
      })
      .Case([](ClampOp c) {
        OpSpec spec{OpKind::Clamp};
        spec.value = c.getMin().convertToDouble();
        spec.value2 = c.getMax().convertToDouble();
        return spec;
      })
      .Case([](AddOp) { return OpSpec{OpKind::Add}; })
      .Case([](SubOp) { return OpSpec{OpKind::Sub}; })
      .Case([](MulOp) { return OpSpec{OpKind::Mul}; })
      .Case([](DivOp) { return OpSpec{OpKind::Div}; })
      .Case([](PowOp) { return OpSpec{OpKind::Pow}; })
      .Case([&](ReduceOp r) -> FailureOr<OpSpec> {
        if (r.getKind() == ReduceKind::max)
          return unsupported("max is outside the LAX fragment (multilinear "
                             "ops, division, exp) that the verifier decides");
        if (r.getSize() != 1)
          return unsupported("reductions to a size other than 1 are not "
                             "searched");
        OpSpec spec{OpKind::ReduceSum};
        spec.dim = r.getDim();
        return spec;
      })
      .Case([](RmsNormOp r) {
        OpSpec spec{OpKind::RmsNorm};
        spec.dim = r.getNormalizedShape().size();
        spec.value = r.getEps().convertToDouble();
        return spec;
      })
      .Case([&](SoftmaxOp) {
        return unsupported("it is a composite op; run mirage-decompose "
                           "first");
      })
      .Case([&](ConcatOp) {
        return unsupported("concatenation has no abstract expression in the "
                           "search's term language");
      })
      .Case([&](GraphKernelOp) {
        return unsupported("the function already holds graph-defined "
                           "kernels");
      })
      .Default([&](Operation *) {
        return unsupported("it is not a kernel-level mirage compute op");
      });
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

Value OpSpec::build(OpBuilder &b, Location loc, ValueRange operands) const {
  Value x = operands[0];
  Value y = operands.size() > 1 ? operands[1] : Value();
  switch (kind) {
  case OpKind::Matmul:
    return MatmulOp::create(b, loc, x, y);
  case OpKind::Exp:
    return ExpOp::create(b, loc, x);
  case OpKind::Sqrt:
    return SqrtOp::create(b, loc, x);
  case OpKind::Rsqrt:
    return RsqrtOp::create(b, loc, x);
  case OpKind::Square:
    return SquareOp::create(b, loc, x);
  case OpKind::Silu:
    return SiluOp::create(b, loc, x);
  case OpKind::Gelu:
    return GeluOp::create(b, loc, x);
  case OpKind::Relu:
    return ReluOp::create(b, loc, x);
  case OpKind::Sigmoid:
    return SigmoidOp::create(b, loc, x);
  case OpKind::MulScalar:
    return MulScalarOp::create(b, loc, x,
                               b.getF32FloatAttr(static_cast<float>(value)));
  case OpKind::Clamp:
    return ClampOp::create(b, loc, x,
                           b.getF32FloatAttr(static_cast<float>(value)),
                           b.getF32FloatAttr(static_cast<float>(value2)));
  case OpKind::Add:
    return AddOp::create(b, loc, x, y);
  case OpKind::Sub:
    return SubOp::create(b, loc, x, y);
  case OpKind::Mul:
    return MulOp::create(b, loc, x, y);
  case OpKind::Div:
    return DivOp::create(b, loc, x, y);
  case OpKind::Pow:
    return PowOp::create(b, loc, x, y);
  case OpKind::ReduceSum:
    return ReduceOp::create(b, loc, x, ReduceKind::sum, dim, /*size=*/1);
  case OpKind::RmsNorm: {
    ArrayRef<int64_t> shape = cast<ShapedType>(x.getType()).getShape();
    return RmsNormOp::create(b, loc, x,
                             b.getDenseI64ArrayAttr(shape.take_back(dim)),
                             b.getF32FloatAttr(static_cast<float>(value)));
  }
  }
  llvm_unreachable("unknown op kind");
}

/// NumPy broadcasting of two index layouts.
static LogicalResult broadcast(const TensorInfo &a, const TensorInfo &b,
                               size_t aEnd, size_t bEnd,
                               function_ref<bool(int, int)> unify,
                               SmallVectorImpl<int64_t> &shape,
                               SmallVectorImpl<int> &indices) {
  size_t rank = std::max(aEnd, bEnd);
  for (size_t i = 0; i < rank; ++i) {
    bool hasA = i >= rank - aEnd, hasB = i >= rank - bEnd;
    int64_t ea = hasA ? a.shape[i - (rank - aEnd)] : 1;
    int64_t eb = hasB ? b.shape[i - (rank - bEnd)] : 1;
    int ia = hasA ? a.indices[i - (rank - aEnd)] : kUnitIndex;
    int ib = hasB ? b.indices[i - (rank - bEnd)] : kUnitIndex;
    if (ea == eb) {
      if (ea != 1 && !unify(ia, ib))
        return failure();
      shape.push_back(ea);
      indices.push_back(ea == 1 ? kUnitIndex : ia);
    } else if (ea == 1) {
      shape.push_back(eb);
      indices.push_back(ib);
    } else if (eb == 1) {
      shape.push_back(ea);
      indices.push_back(ia);
    } else {
      return failure();
    }
  }
  return success();
}

LogicalResult OpSpec::inferResult(ArrayRef<const TensorInfo *> operands,
                                  function_ref<bool(int, int)> unify,
                                  SmallVectorImpl<int64_t> &shape,
                                  SmallVectorImpl<int> &indices) const {
  const TensorInfo &a = *operands[0];
  shape.clear();
  indices.clear();
  switch (kind) {
  case OpKind::Matmul: {
    const TensorInfo &b = *operands[1];
    size_t rank = a.getRank();
    if (rank < 2 || b.getRank() != static_cast<int64_t>(rank) ||
        a.elementType != b.elementType)
      return failure();
    int64_t k = a.shape[rank - 1];
    if (k != b.shape[rank - 2] ||
        (k != 1 && !unify(a.indices[rank - 1], b.indices[rank - 2])))
      return failure();
    if (failed(broadcast(a, b, rank - 2, rank - 2, unify, shape, indices)))
      return failure();
    shape.push_back(a.shape[rank - 2]);
    indices.push_back(a.indices[rank - 2]);
    shape.push_back(b.shape[rank - 1]);
    indices.push_back(b.indices[rank - 1]);
    return success();
  }
  case OpKind::Add:
  case OpKind::Sub:
  case OpKind::Mul:
  case OpKind::Div:
  case OpKind::Pow: {
    const TensorInfo &b = *operands[1];
    if (a.elementType != b.elementType)
      return failure();
    return broadcast(a, b, a.getRank(), b.getRank(), unify, shape, indices);
  }
  case OpKind::ReduceSum:
    if (dim >= a.getRank() || a.shape[dim] == 1)
      return failure();
    shape.assign(a.shape.begin(), a.shape.end());
    indices.assign(a.indices.begin(), a.indices.end());
    shape[dim] = 1;
    indices[dim] = kUnitIndex;
    return success();
  case OpKind::RmsNorm:
    if (dim < 1 || dim > a.getRank())
      return failure();
    [[fallthrough]];
  default:
    shape.assign(a.shape.begin(), a.shape.end());
    indices.assign(a.indices.begin(), a.indices.end());
    return success();
  }
}

std::optional<EClassId>
OpSpec::buildExpr(ExprBuilder &b, ArrayRef<const TensorInfo *> operands) const {
  using K = ExprKind;
  std::optional<EClassId> x = operands[0]->expr;
  std::optional<EClassId> y;
  if (operands.size() > 1)
    y = operands[1]->expr;
  switch (kind) {
  case OpKind::Matmul: {
    int k = operands[0]->indices.back();
    std::optional<EClassId> product = b.binary(K::Mul, x, y);
    return k == kUnitIndex ? product : b.sum(k, product);
  }
  case OpKind::Exp:
    return b.unary(K::Exp, x);
  case OpKind::Sqrt:
    return b.unary(K::Sqrt, x);
  case OpKind::Rsqrt:
    return b.binary(K::Div, b.constant(1.0), b.unary(K::Sqrt, x));
  case OpKind::Square:
    return b.binary(K::Mul, x, x);
  case OpKind::Silu:
    return b.unary(K::Silu, x);
  case OpKind::Gelu:
    return b.unary(K::Gelu, x);
  case OpKind::Relu:
    return b.unary(K::Relu, x);
  case OpKind::Sigmoid:
    return b.unary(K::Sigmoid, x);
  case OpKind::MulScalar:
    // The f32 scalar, as the op stores it.
    return b.binary(K::Mul, b.constant(static_cast<float>(value)), x);
  case OpKind::Clamp:
    return b.clamp(static_cast<float>(value), static_cast<float>(value2), x);
  case OpKind::Add:
    return b.binary(K::Add, x, y);
  case OpKind::Sub:
    return b.binary(K::Add, x, b.binary(K::Mul, b.constant(-1.0), y));
  case OpKind::Mul:
    return b.binary(K::Mul, x, y);
  case OpKind::Div:
    return b.binary(K::Div, x, y);
  case OpKind::Pow:
    return b.binary(K::Pow, x, y);
  case OpKind::ReduceSum: {
    int i = operands[0]->indices[dim];
    return i == kUnitIndex ? x : b.sum(i, x);
  }
  case OpKind::RmsNorm: {
    // x / √(Σ x² · 1/n + eps) over the trailing `dim` dims; 1/n as the f32
    // scalar a mul_scalar would hold, so the decomposed form matches.
    const TensorInfo &t = *operands[0];
    std::optional<EClassId> squares = b.binary(K::Mul, x, x);
    int64_t n = 1;
    for (int64_t d = t.getRank() - dim; d < t.getRank(); ++d) {
      n *= t.shape[d];
      if (t.indices[d] != kUnitIndex)
        squares = b.sum(t.indices[d], squares);
    }
    std::optional<EClassId> mean = b.binary(
        K::Mul, b.constant(static_cast<float>(1.0 / static_cast<double>(n))),
        squares);
    if (value != 0.0)
      mean = b.binary(K::Add, mean, b.constant(static_cast<float>(value)));
    return b.binary(K::Div, x, b.unary(K::Sqrt, mean));
  }
  }
  return std::nullopt;
}
