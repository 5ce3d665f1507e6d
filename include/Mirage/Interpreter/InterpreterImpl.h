//===- InterpreterImpl.h - Kernel-graph interpreter body --------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The definitions of KernelGraphInterpreter, written once over a value domain.
// Include this only where the interpreter is instantiated for a new domain.
//
// The semantics of each op are those documented in MirageOps.td. Every output
// element is computed by exactly one thread, in a fixed order (sums run over
// increasing index), so results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_INTERPRETER_INTERPRETERIMPL_H
#define MIRAGE_INTERPRETER_INTERPRETERIMPL_H

#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Interpreter/Interpreter.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <memory>

namespace mlir {
namespace mirage {
namespace interp {

/// Runs body(i) for i in [0, n), on several threads when `parallel` and the
/// work (n * costPerItem) is large enough to pay for it.
template <typename Fn>
void forRange(bool parallel, int64_t n, int64_t costPerItem, Fn body) {
  if (parallel && n > 1 && n * costPerItem >= (int64_t(1) << 16))
    llvm::parallelFor(0, n, [&](size_t i) { body(static_cast<int64_t>(i)); });
  else
    for (int64_t i = 0; i < n; ++i)
      body(i);
}

/// Strides for reading a tensor of `shape` broadcast to `outShape` (aligned at
/// the last dim): the row-major stride, or 0 where the dim is broadcast.
inline SmallVector<int64_t> getBroadcastStrides(ArrayRef<int64_t> shape,
                                                ArrayRef<int64_t> outShape) {
  SmallVector<int64_t> own = getRowMajorStrides(shape);
  SmallVector<int64_t> strides(outShape.size(), 0);
  size_t offset = outShape.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    strides[offset + i] = shape[i] == 1 ? 0 : own[i];
  return strides;
}

/// Offset into a tensor with `strides` of the row-major linear index `linear`
/// of `outShape`.
inline int64_t getOffset(int64_t linear, ArrayRef<int64_t> outShape,
                         ArrayRef<int64_t> strides) {
  int64_t offset = 0;
  for (int64_t d = static_cast<int64_t>(outShape.size()) - 1; d >= 0; --d) {
    offset += (linear % outShape[d]) * strides[d];
    linear /= outShape[d];
  }
  return offset;
}

template <typename Domain, typename Fn>
Tensor<typename Domain::Scalar>
mapUnary(bool parallel, const Tensor<typename Domain::Scalar> &x, Fn fn) {
  Tensor<typename Domain::Scalar> out(x.getShape());
  int64_t n = x.getNumElements();
  constexpr int64_t chunk = 4096;
  forRange(parallel, (n + chunk - 1) / chunk, chunk, [&](int64_t c) {
    for (int64_t i = c * chunk, e = std::min(n, i + chunk); i < e; ++i)
      out[i] = fn(x[i]);
  });
  return out;
}

template <typename Domain, typename Fn>
Tensor<typename Domain::Scalar>
mapBinary(bool parallel, const Tensor<typename Domain::Scalar> &a,
          const Tensor<typename Domain::Scalar> &b, ArrayRef<int64_t> outShape,
          Fn fn) {
  Tensor<typename Domain::Scalar> out(outShape);
  SmallVector<int64_t> aStrides = getBroadcastStrides(a.getShape(), outShape);
  SmallVector<int64_t> bStrides = getBroadcastStrides(b.getShape(), outShape);
  // Walk rows of the last dim; within a row both operands step by their
  // (possibly zero) last-dim stride.
  int64_t inner = outShape.back();
  int64_t rows = out.getNumElements() / inner;
  int64_t aStep = aStrides.back(), bStep = bStrides.back();
  forRange(parallel, rows, inner, [&](int64_t row) {
    int64_t aOff = getOffset(row * inner, outShape, aStrides);
    int64_t bOff = getOffset(row * inner, outShape, bStrides);
    auto *o = out.begin() + row * inner;
    for (int64_t j = 0; j < inner; ++j)
      o[j] = fn(a[aOff + j * aStep], b[bOff + j * bStep]);
  });
  return out;
}

/// Batched matmul with broadcast batch dims; f32 (domain) accumulation in
/// increasing k.
template <typename Domain>
Tensor<typename Domain::Scalar> matmul(const Domain &domain, bool parallel,
                                       const Tensor<typename Domain::Scalar> &a,
                                       const Tensor<typename Domain::Scalar> &b,
                                       ArrayRef<int64_t> outShape) {
  using Scalar = typename Domain::Scalar;
  Tensor<Scalar> out(outShape, domain.zero());
  int64_t rank = outShape.size();
  int64_t m = outShape[rank - 2], n = outShape[rank - 1];
  int64_t k = a.getShape()[rank - 1];
  ArrayRef<int64_t> batchShape = outShape.drop_back(2);
  int64_t batches = getNumElements(batchShape);
  // Batch strides in units of whole matrices.
  SmallVector<int64_t> aBatchStrides =
      getBroadcastStrides(a.getShape().drop_back(2), batchShape);
  SmallVector<int64_t> bBatchStrides =
      getBroadcastStrides(b.getShape().drop_back(2), batchShape);

  // Tasks: (batch, block of rows, block of columns). Within a task, each row
  // of B is loaded once and applied to every row of the block.
  constexpr int64_t rowBlock = 16, colBlock = 512;
  int64_t rowBlocks = (m + rowBlock - 1) / rowBlock;
  int64_t colBlocks = (n + colBlock - 1) / colBlock;
  forRange(
      parallel, batches * rowBlocks * colBlocks,
      std::min(m, rowBlock) * std::min(n, colBlock) * k, [&](int64_t task) {
        int64_t cb = task % colBlocks;
        int64_t rb = (task / colBlocks) % rowBlocks;
        int64_t batch = task / (colBlocks * rowBlocks);
        const Scalar *aMat =
            a.begin() + getOffset(batch, batchShape, aBatchStrides) * m * k;
        const Scalar *bMat =
            b.begin() + getOffset(batch, batchShape, bBatchStrides) * k * n;
        Scalar *cMat = out.begin() + batch * m * n;
        int64_t i0 = rb * rowBlock, i1 = std::min(m, i0 + rowBlock);
        int64_t j0 = cb * colBlock, j1 = std::min(n, j0 + colBlock);
        for (int64_t kk = 0; kk < k; ++kk) {
          const Scalar *bRow = bMat + kk * n;
          for (int64_t i = i0; i < i1; ++i) {
            Scalar aik = aMat[i * k + kk];
            Scalar *cRow = cMat + i * n;
            for (int64_t j = j0; j < j1; ++j)
              cRow[j] = domain.add(cRow[j], domain.mul(aik, bRow[j]));
          }
        }
      });
  return out;
}

/// View of a tensor around one dim: [outer, extent, inner].
struct DimView {
  int64_t outer, extent, inner;
};
inline DimView viewAround(ArrayRef<int64_t> shape, int64_t dim) {
  return {getNumElements(shape.take_front(dim)), shape[dim],
          getNumElements(shape.drop_front(dim + 1))};
}

/// reduce: result[o, j, i] = ⊕_c input[o, c * size + j, i].
template <typename Domain>
Tensor<typename Domain::Scalar>
reduce(const Domain &domain, const Tensor<typename Domain::Scalar> &x,
       ReduceKind kind, int64_t dim, int64_t size) {
  using Scalar = typename Domain::Scalar;
  SmallVector<int64_t> outShape(x.getShape());
  outShape[dim] = size;
  bool isMax = kind == ReduceKind::max;
  Tensor<Scalar> out(outShape, isMax ? domain.lowest() : domain.zero());
  DimView v = viewAround(x.getShape(), dim);
  int64_t chunks = v.extent / size;
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < chunks; ++c)
      for (int64_t j = 0; j < size; ++j) {
        const Scalar *in = x.begin() + (o * v.extent + c * size + j) * v.inner;
        Scalar *acc = out.begin() + (o * size + j) * v.inner;
        for (int64_t i = 0; i < v.inner; ++i)
          acc[i] =
              isMax ? domain.max(acc[i], in[i]) : domain.add(acc[i], in[i]);
      }
  return out;
}

/// rms_norm: y = x / sqrt(Σx² / n + eps) over rows of n trailing elements.
template <typename Domain>
Tensor<typename Domain::Scalar>
rmsNorm(const Domain &domain, bool parallel,
        const Tensor<typename Domain::Scalar> &x, int64_t n, double eps) {
  using Scalar = typename Domain::Scalar;
  Tensor<Scalar> out(x.getShape());
  Scalar count = domain.constant(static_cast<double>(n));
  Scalar epsilon = domain.constant(eps);
  forRange(parallel, x.getNumElements() / n, n, [&](int64_t row) {
    const Scalar *in = x.begin() + row * n;
    Scalar sumSquares = domain.zero();
    for (int64_t i = 0; i < n; ++i)
      sumSquares = domain.add(sumSquares, domain.mul(in[i], in[i]));
    Scalar rms =
        domain.sqrt(domain.add(domain.div(sumSquares, count), epsilon));
    Scalar *o = out.begin() + row * n;
    for (int64_t i = 0; i < n; ++i)
      o[i] = domain.div(in[i], rms);
  });
  return out;
}

/// softmax along `dim`, with max subtraction: e^(x−m) / Σ e^(x−m).
template <typename Domain>
Tensor<typename Domain::Scalar>
softmax(const Domain &domain, const Tensor<typename Domain::Scalar> &x,
        int64_t dim) {
  using Scalar = typename Domain::Scalar;
  Tensor<Scalar> out(x.getShape());
  DimView v = viewAround(x.getShape(), dim);
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t i = 0; i < v.inner; ++i) {
      int64_t base = o * v.extent * v.inner + i;
      Scalar m = domain.lowest();
      for (int64_t c = 0; c < v.extent; ++c)
        m = domain.max(m, x[base + c * v.inner]);
      Scalar sum = domain.zero();
      for (int64_t c = 0; c < v.extent; ++c) {
        Scalar e = domain.exp(domain.sub(x[base + c * v.inner], m));
        out[base + c * v.inner] = e;
        sum = domain.add(sum, e);
      }
      for (int64_t c = 0; c < v.extent; ++c)
        out[base + c * v.inner] = domain.div(out[base + c * v.inner], sum);
    }
  return out;
}

template <typename Scalar>
Tensor<Scalar> concat(ArrayRef<const Tensor<Scalar> *> inputs, int64_t dim,
                      ArrayRef<int64_t> outShape) {
  Tensor<Scalar> out(outShape);
  DimView ov = viewAround(outShape, dim);
  int64_t start = 0;
  for (const Tensor<Scalar> *input : inputs) {
    DimView v = viewAround(input->getShape(), dim);
    int64_t slab = v.extent * v.inner;
    for (int64_t o = 0; o < v.outer; ++o)
      std::copy(input->begin() + o * slab, input->begin() + (o + 1) * slab,
                out.begin() + o * ov.extent * ov.inner + start * v.inner);
    start += v.extent;
  }
  return out;
}

} // namespace interp

template <typename Domain>
FailureOr<SmallVector<typename KernelGraphInterpreter<Domain>::TensorT>>
KernelGraphInterpreter<Domain>::evaluate(
    Operation *op, ArrayRef<const TensorT *> operands) const {
  if (failed(domain.checkSupported(op)))
    return failure();
  auto resultType = dyn_cast<RankedTensorType>(
      op->getNumResults() == 1 ? op->getResult(0).getType() : Type());
  if (op->getDialect() == nullptr || !isa<MirageDialect>(op->getDialect()) ||
      !resultType) {
    op->emitError() << "the interpreter does not support '" << op->getName()
                    << "' (expected a kernel-level mirage op)";
    return failure();
  }
  bool par = options.parallel;
  const Domain &d = domain;
  auto unary = [&](auto fn) {
    return interp::mapUnary<Domain>(par, *operands[0], fn);
  };
  auto binary = [&](auto fn) {
    return interp::mapBinary<Domain>(par, *operands[0], *operands[1],
                                     resultType.getShape(), fn);
  };

  std::optional<TensorT> result =
      llvm::TypeSwitch<Operation *, std::optional<TensorT>>(op)
          .Case([&](MatmulOp) {
            return interp::matmul(d, par, *operands[0], *operands[1],
                                  resultType.getShape());
          })
          .Case(
              [&](ExpOp) { return unary([&](Scalar x) { return d.exp(x); }); })
          .Case([&](SqrtOp) {
            return unary([&](Scalar x) { return d.sqrt(x); });
          })
          .Case([&](RsqrtOp) {
            return unary([&](Scalar x) { return d.rsqrt(x); });
          })
          .Case([&](SquareOp) {
            return unary([&](Scalar x) { return d.square(x); });
          })
          .Case([&](SiluOp) {
            return unary([&](Scalar x) { return d.silu(x); });
          })
          .Case([&](GeluOp) {
            return unary([&](Scalar x) { return d.gelu(x); });
          })
          .Case([&](ReluOp) {
            return unary([&](Scalar x) { return d.relu(x); });
          })
          .Case([&](SigmoidOp) {
            return unary([&](Scalar x) { return d.sigmoid(x); });
          })
          .Case([&](MulScalarOp op) {
            Scalar s = d.constant(op.getScalar().convertToDouble());
            return unary([&](Scalar x) { return d.mul(x, s); });
          })
          .Case([&](ClampOp op) {
            float lo = op.getMin().convertToFloat();
            float hi = op.getMax().convertToFloat();
            return unary([&](Scalar x) { return d.clamp(x, lo, hi); });
          })
          .Case([&](AddOp) {
            return binary([&](Scalar a, Scalar b) { return d.add(a, b); });
          })
          .Case([&](SubOp) {
            return binary([&](Scalar a, Scalar b) { return d.sub(a, b); });
          })
          .Case([&](MulOp) {
            return binary([&](Scalar a, Scalar b) { return d.mul(a, b); });
          })
          .Case([&](DivOp) {
            return binary([&](Scalar a, Scalar b) { return d.div(a, b); });
          })
          .Case([&](PowOp) {
            return binary([&](Scalar a, Scalar b) { return d.pow(a, b); });
          })
          .Case([&](ReduceOp op) {
            return interp::reduce(d, *operands[0], op.getKind(),
                                  static_cast<int64_t>(op.getDim()),
                                  static_cast<int64_t>(op.getSize()));
          })
          .Case([&](RmsNormOp op) {
            return interp::rmsNorm(d, par, *operands[0], op.getNormalizedSize(),
                                   op.getEps().convertToDouble());
          })
          .Case([&](SoftmaxOp op) {
            return interp::softmax(d, *operands[0],
                                   static_cast<int64_t>(op.getDim()));
          })
          .Case([&](ConcatOp op) {
            return interp::concat<Scalar>(operands,
                                          static_cast<int64_t>(op.getDim()),
                                          resultType.getShape());
          })
          .Default([](Operation *) { return std::nullopt; });
  if (!result) {
    op->emitError() << "the interpreter does not support '" << op->getName()
                    << "'";
    return failure();
  }
  if (options.roundResults) {
    FailureOr<ElementKind> kind = getElementKind(resultType.getElementType());
    if (failed(kind)) {
      op->emitError() << "unsupported element type "
                      << resultType.getElementType();
      return failure();
    }
    for (Scalar &x : result->getData())
      x = d.store(x, *kind);
  }
  SmallVector<TensorT> results;
  results.push_back(std::move(*result));
  return results;
}

template <typename Domain>
FailureOr<SmallVector<typename KernelGraphInterpreter<Domain>::TensorT>>
KernelGraphInterpreter<Domain>::run(func::FuncOp func,
                                    ArrayRef<TensorT> args) const {
  if (func.isExternal()) {
    func.emitError() << "cannot evaluate @" << func.getName()
                     << ": it is a declaration without a body";
    return failure();
  }
  if (!func.getBody().hasOneBlock()) {
    func.emitError() << "cannot evaluate @" << func.getName()
                     << ": a kernel graph has a single block";
    return failure();
  }
  FunctionType type = func.getFunctionType();
  if (args.size() != type.getNumInputs()) {
    func.emitError() << "@" << func.getName() << " takes "
                     << type.getNumInputs() << " arguments but " << args.size()
                     << " were given";
    return failure();
  }
  Block &body = func.getBody().front();

  // Values: arguments are borrowed; op results are owned and freed after
  // their last use, which keeps peak memory near the live set.
  llvm::DenseMap<Value, const TensorT *> env;
  llvm::DenseMap<Value, std::unique_ptr<TensorT>> owned;
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    auto argType = dyn_cast<RankedTensorType>(arg.getType());
    if (!argType) {
      func.emitError() << "argument " << i << " of @" << func.getName()
                       << " has type " << arg.getType()
                       << "; kernel graphs take ranked tensors";
      return failure();
    }
    if (argType.getShape() != args[i].getShape()) {
      func.emitError() << "argument " << i << " of @" << func.getName()
                       << " has type " << argType << " but the value given "
                       << "has shape " << formatShape(args[i].getShape());
      return failure();
    }
    env[arg] = &args[i];
  }

  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;

  for (Operation &op : body) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      SmallVector<TensorT> results;
      for (Value v : ret.getOperands()) {
        auto it = owned.find(v);
        // Move a result out unless a later operand of the return uses it too.
        if (it != owned.end() && llvm::count(ret.getOperands(), v) == 1)
          results.push_back(std::move(*it->second));
        else
          results.push_back(*env.lookup(v));
      }
      return results;
    }
    SmallVector<const TensorT *> operands;
    for (Value operand : op.getOperands()) {
      const TensorT *value = env.lookup(operand);
      if (!value) {
        op.emitError("operand is not defined in the kernel graph");
        return failure();
      }
      operands.push_back(value);
    }
    FailureOr<SmallVector<TensorT>> results = evaluate(&op, operands);
    if (failed(results))
      return failure();
    for (auto [value, tensor] : llvm::zip(op.getResults(), *results)) {
      auto storage = std::make_unique<TensorT>(std::move(tensor));
      env[value] = storage.get();
      owned[value] = std::move(storage);
    }
    for (Value operand : op.getOperands()) {
      if (lastUse.lookup(operand) == &op && owned.count(operand)) {
        env.erase(operand);
        owned.erase(operand);
      }
    }
  }
  func.emitError() << "@" << func.getName() << " does not end with func.return";
  return failure();
}

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_INTERPRETERIMPL_H
