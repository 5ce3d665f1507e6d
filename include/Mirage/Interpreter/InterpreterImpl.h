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
#include "Mirage/Interpreter/Slicing.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <type_traits>
#include <vector>

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

/// Domains with a lazy accumulator for sums of products (Domain::Accumulator,
/// accumulate, normalize every Domain::kLazySteps, finish) get a faster
/// matmul.
template <typename D, typename = void>
struct HasLazyAccumulator : std::false_type {};
template <typename D>
struct HasLazyAccumulator<D, std::void_t<typename D::Accumulator>>
    : std::true_type {};

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
  // of B is loaded once and applied to every row of the block. Lazy
  // accumulators are 32 bytes: 16 x 64 of them fill half an L1 cache.
  constexpr int64_t rowBlock = 16;
  constexpr int64_t colBlock = HasLazyAccumulator<Domain>::value ? 64 : 512;
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
        if constexpr (HasLazyAccumulator<Domain>::value) {
          // The domain sums products lazily and reduces every few steps
          // (finite fields).
          int64_t cols = j1 - j0;
          std::vector<typename Domain::Accumulator> acc((i1 - i0) * cols);
          for (int64_t kk = 0; kk < k; ++kk) {
            const Scalar *bRow = bMat + kk * n;
            for (int64_t i = i0; i < i1; ++i) {
              Scalar aik = aMat[i * k + kk];
              auto *accRow = acc.data() + (i - i0) * cols;
              for (int64_t j = j0; j < j1; ++j)
                domain.accumulate(accRow[j - j0], aik, bRow[j]);
            }
            if ((kk + 1) % Domain::kLazySteps == 0)
              for (auto &a : acc)
                domain.normalize(a);
          }
          for (int64_t i = i0; i < i1; ++i)
            for (int64_t j = j0; j < j1; ++j)
              cMat[i * n + j] = domain.finish(acc[(i - i0) * cols + (j - j0)]);
        } else {
          for (int64_t kk = 0; kk < k; ++kk) {
            const Scalar *bRow = bMat + kk * n;
            for (int64_t i = i0; i < i1; ++i) {
              Scalar aik = aMat[i * k + kk];
              Scalar *cRow = cMat + i * n;
              for (int64_t j = j0; j < j1; ++j)
                cRow[j] = domain.add(cRow[j], domain.mul(aik, bRow[j]));
            }
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
FailureOr<typename KernelGraphInterpreter<Domain>::TensorT>
KernelGraphInterpreter<Domain>::evaluateComputeOp(
    Operation *op, ArrayRef<const TensorT *> operands, bool round) const {
  if (failed(domain.checkSupported(op)))
    return failure();
  auto resultType = dyn_cast<ShapedType>(
      op->getNumResults() == 1 ? op->getResult(0).getType() : Type());
  if (!op->hasTrait<SameLevel>() || !resultType) {
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
  if (round) {
    FailureOr<ElementKind> kind = getElementKind(resultType.getElementType());
    if (failed(kind)) {
      op->emitError() << "unsupported element type "
                      << resultType.getElementType();
      return failure();
    }
    for (Scalar &x : result->getData())
      x = d.store(x, *kind);
  }
  return std::move(*result);
}

template <typename Domain>
FailureOr<SmallVector<typename KernelGraphInterpreter<Domain>::TensorT>>
KernelGraphInterpreter<Domain>::evaluate(
    Operation *op, ArrayRef<const TensorT *> operands) const {
  if (auto kernel = dyn_cast<GraphKernelOp>(op))
    return evaluateGraphKernel(kernel, operands);
  FailureOr<TensorT> result =
      evaluateComputeOp(op, operands, options.roundResults);
  if (failed(result))
    return failure();
  SmallVector<TensorT> results;
  results.push_back(std::move(*result));
  return results;
}

//===----------------------------------------------------------------------===//
// Graph-defined kernels
//===----------------------------------------------------------------------===//

namespace interp {

/// Copies the box of `box` elements at `offsets` in a row-major tensor of
/// `shape` (`whole`) to or from a dense tensor of the box's shape (`part`).
template <typename T>
void copyBox(ArrayRef<int64_t> shape, ArrayRef<int64_t> offsets,
             ArrayRef<int64_t> box, T *whole, T *part, bool toPart) {
  SmallVector<int64_t> strides = getRowMajorStrides(shape);
  int64_t rank = shape.size();
  int64_t inner = box.back();
  int64_t rows = getNumElements(box) / inner;
  SmallVector<int64_t> index(rank, 0);
  for (int64_t row = 0; row < rows; ++row) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += (offsets[d] + index[d]) * strides[d];
    T *w = whole + offset;
    T *p = part + row * inner;
    if (toPart)
      std::copy(w, w + inner, p);
    else
      std::copy(p, p + inner, w);
    // Next row: odometer over all but the last dim.
    for (int64_t d = rank - 2; d >= 0; --d) {
      if (++index[d] < box[d])
        break;
      index[d] = 0;
    }
  }
}

/// `x` broadcast (NumPy rules) to `shape`.
template <typename T>
Tensor<T> broadcastTo(const Tensor<T> &x, ArrayRef<int64_t> shape) {
  if (x.getShape() == shape)
    return x;
  Tensor<T> out(shape);
  SmallVector<int64_t> strides = getBroadcastStrides(x.getShape(), shape);
  for (int64_t i = 0, e = out.getNumElements(); i < e; ++i)
    out[i] = x[getOffset(i, shape, strides)];
  return out;
}

} // namespace interp

/// Evaluates a block graph for one thread block.
template <typename Domain>
class KernelGraphInterpreter<Domain>::BlockEvaluator {
public:
  BlockEvaluator(const KernelGraphInterpreter &interpreter,
                 GraphKernelOp kernel, ArrayRef<const TensorT *> inputs,
                 std::array<int64_t, 3> blockIndex,
                 MutableArrayRef<TensorT> results)
      : interpreter(interpreter), domain(interpreter.getDomain()),
        kernel(kernel), inputs(inputs), blockIndex(blockIndex),
        results(results) {}

  LogicalResult run() {
    unsigned saver = 0;
    for (Operation &op : kernel.getBodyBlock()) {
      if (auto loop = dyn_cast<ForLoopOp>(op)) {
        if (failed(runLoop(loop)))
          return failure();
      } else if (auto out = dyn_cast<OutputSaverOp>(op)) {
        save(out, results[saver++]);
      } else if (failed(evaluateOp(op, /*iteration=*/0))) {
        return failure();
      }
    }
    return success();
  }

private:
  /// Input iterators, compute ops and thread graphs.
  LogicalResult evaluateOp(Operation &op, int64_t iteration) {
    if (isa<BlockGraphEndOp, AccumulateOp>(op))
      return success();
    if (auto it = dyn_cast<InputIteratorOp>(op)) {
      tiles[it.getTile()] = readTile(it, iteration);
      return success();
    }
    if (auto threadGraph = dyn_cast<ThreadGraphOp>(op))
      return runThreadGraph(threadGraph);
    SmallVector<const TensorT *> operands;
    for (Value v : op.getOperands())
      operands.push_back(&tiles.find(v)->second);
    FailureOr<TensorT> result = interpreter.evaluateComputeOp(
        &op, operands,
        interpreter.getOptions().roundResults &&
            !onlyFeedsAccumulators(op.getResult(0)));
    if (failed(result))
      return failure();
    tiles[op.getResult(0)] = std::move(*result);
    return success();
  }

  /// A value that only feeds accumulators is accumulated in registers, in
  /// f32, and never stored as a tile: it is not rounded.
  static bool onlyFeedsAccumulators(Value v) {
    return !v.use_empty() && llvm::all_of(v.getUsers(), [](Operation *user) {
      return isa<AccumulateOp>(user);
    });
  }

  /// The tile of iteration `iteration` an input iterator reads.
  TensorT readTile(InputIteratorOp it, int64_t iteration) {
    auto arg = cast<BlockArgument>(it.getInput());
    const TensorT &input = *inputs[arg.getArgNumber()];
    ArrayRef<int64_t> shape = input.getShape();
    ArrayRef<int64_t> box = it.getTile().getType().getShape();
    ArrayRef<int64_t> grid = kernel.getGrid();
    SmallVector<int64_t> offsets(shape.size(), 0);
    GridMapAttr imap = it.getImap();
    for (int axis = 0; axis < GridMapAttr::kNumAxes; ++axis)
      if (std::optional<int64_t> dim = imap.getDim(axis))
        offsets[*dim] += blockIndex[axis] * (shape[*dim] / grid[axis]);
    if (std::optional<uint64_t> fmap = it.getFmap())
      offsets[*fmap] += iteration * box[*fmap];
    TensorT tile(box);
    interp::copyBox(shape, offsets, box, const_cast<Scalar *>(input.begin()),
                    tile.begin(), /*toPart=*/true);
    return tile;
  }

  void save(OutputSaverOp out, TensorT &result) {
    const TensorT &tile = tiles.find(out.getTile())->second;
    SmallVector<int64_t> offsets(result.getRank(), 0);
    GridMapAttr omap = out.getOmap();
    for (int axis = 0; axis < GridMapAttr::kNumAxes; ++axis)
      if (std::optional<int64_t> dim = omap.getDim(axis))
        offsets[*dim] = blockIndex[axis] * tile.getShape()[*dim];
    interp::copyBox(result.getShape(), offsets, tile.getShape(), result.begin(),
                    const_cast<Scalar *>(tile.begin()),
                    /*toPart=*/false);
  }

  /// Intermediates stay in registers (f32); only the results are rounded,
  /// and not those that only feed accumulators (as for any block-level op).
  LogicalResult runThreadGraph(ThreadGraphOp threadGraph) {
    Block &body = threadGraph.getBody().front();
    llvm::DenseMap<Value, TensorT> registers;
    auto lookup = [&](Value v) -> const TensorT * {
      auto it = registers.find(v);
      return it != registers.end() ? &it->second : nullptr;
    };
    for (auto [arg, operand] :
         llvm::zip(body.getArguments(), threadGraph.getInputs()))
      registers[arg] = tiles.find(operand)->second;
    for (Operation &op : body.without_terminator()) {
      SmallVector<const TensorT *> operands;
      for (Value v : op.getOperands())
        operands.push_back(lookup(v));
      FailureOr<TensorT> result =
          interpreter.evaluateComputeOp(&op, operands, /*round=*/false);
      if (failed(result))
        return failure();
      registers[op.getResult(0)] = std::move(*result);
    }
    auto yield = cast<YieldOp>(body.getTerminator());
    for (auto [result, value] :
         llvm::zip(threadGraph.getResults(), yield.getValues())) {
      TensorT out = *lookup(value);
      if (!onlyFeedsAccumulators(result))
        round(out, result.getType());
      tiles[result] = std::move(out);
    }
    return success();
  }

  LogicalResult runLoop(ForLoopOp loop) {
    int64_t iterations = kernel.getForloop();
    AccumulateOp acc = loop.getAccumulateOp();
    unsigned n = acc.getValues().size();
    SmallVector<TensorT> values(n), runningMax(n);
    for (int64_t i = 0; i < iterations; ++i) {
      for (Operation &op : loop.getBodyBlock())
        if (failed(evaluateOp(op, i)))
          return failure();
      for (unsigned k = 0; k < n; ++k) {
        const TensorT &v = tiles.find(acc.getValues()[k])->second;
        TensorT &a = values[k];
        AccumulatorKind kind = acc.getKind(k);
        if (kind == AccumulatorKind::rescaled_sum) {
          // Online softmax: keep the sum relative to the running max M;
          // when iteration i's max m_i raises M to M', rescale by e^(M−M').
          unsigned j = *acc.getRescaleIndex(k);
          TensorT m = interp::broadcastTo(
              tiles.find(acc.getValues()[j])->second, v.getShape());
          if (i == 0) {
            a = v;
            runningMax[k] = std::move(m);
            continue;
          }
          TensorT &big = runningMax[k];
          for (int64_t e = 0; e < a.getNumElements(); ++e) {
            Scalar next = domain.max(big[e], m[e]);
            a[e] = domain.add(
                domain.mul(a[e], domain.exp(domain.sub(big[e], next))),
                domain.mul(v[e], domain.exp(domain.sub(m[e], next))));
            big[e] = next;
          }
          continue;
        }
        if (i == 0) {
          a = v;
          continue;
        }
        for (int64_t e = 0; e < a.getNumElements(); ++e)
          a[e] = kind == AccumulatorKind::max ? domain.max(a[e], v[e])
                                              : domain.add(a[e], v[e]);
      }
    }
    Scalar count = domain.constant(static_cast<double>(iterations));
    for (unsigned k = 0; k < n; ++k) {
      TensorT &a = values[k];
      AccumulatorKind kind = acc.getKind(k);
      if (kind == AccumulatorKind::mean || kind == AccumulatorKind::rms)
        for (Scalar &x : a.getData()) {
          x = domain.div(x, count);
          if (kind == AccumulatorKind::rms)
            x = domain.sqrt(x);
        }
      round(a, loop.getResult(k).getType());
      tiles[loop.getResult(k)] = std::move(a);
    }
    return success();
  }

  void round(TensorT &t, Type type) {
    if (!interpreter.getOptions().roundResults)
      return;
    ElementKind kind = *getElementKind(cast<ShapedType>(type).getElementType());
    for (Scalar &x : t.getData())
      x = domain.store(x, kind);
  }

  const KernelGraphInterpreter &interpreter;
  const Domain &domain;
  GraphKernelOp kernel;
  ArrayRef<const TensorT *> inputs;
  std::array<int64_t, 3> blockIndex;
  MutableArrayRef<TensorT> results;
  llvm::DenseMap<Value, TensorT> tiles;
};

template <typename Domain>
FailureOr<SmallVector<typename KernelGraphInterpreter<Domain>::TensorT>>
KernelGraphInterpreter<Domain>::evaluateGraphKernel(
    GraphKernelOp kernel, ArrayRef<const TensorT *> inputs) const {
  if (failed(domain.checkSupported(kernel)))
    return failure();
  SmallVector<TensorT> results;
  for (Type type : kernel.getResultTypes())
    results.emplace_back(cast<ShapedType>(type).getShape(), domain.zero());
  ArrayRef<int64_t> grid = kernel.getGrid();
  auto runBlock = [&](int64_t linear) {
    std::array<int64_t, 3> index = {linear % grid[0],
                                    (linear / grid[0]) % grid[1],
                                    linear / (grid[0] * grid[1])};
    return BlockEvaluator(*this, kernel, inputs, index, results).run();
  };
  // Block 0 alone first: an unsupported op is reported once, not per block.
  if (failed(runBlock(0)))
    return failure();
  // The other blocks write disjoint parts of the results (the verifier
  // makes every omap cover the grid), so they run in any order.
  std::atomic<bool> ok(true);
  int64_t blocks = kernel.getNumBlocks();
  int64_t cost = 1;
  for (Type type : kernel.getResultTypes())
    cost += cast<ShapedType>(type).getNumElements() / blocks;
  interp::forRange(options.parallel, blocks - 1, cost * 64, [&](int64_t b) {
    if (!ok.load(std::memory_order_relaxed) || options.isStopRequested() ||
        failed(runBlock(b + 1)))
      ok = false;
  });
  if (!ok)
    return failure();
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
    if (options.isStopRequested())
      return failure();
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

template <typename Domain>
FailureOr<SmallVector<typename KernelGraphInterpreter<Domain>::TensorT>>
KernelGraphInterpreter<Domain>::runSchedule(
    func::FuncOp func, const EvaluationSchedule &schedule,
    llvm::function_ref<TensorT(unsigned argIndex, const Box &box)> makeInput)
    const {
  Block &body = func.getBody().front();
  Operation *terminator = body.getTerminator();
  // `part` of a tensor holding `box`, as a tensor of its own.
  auto extract = [](const TensorT &whole, const Box &box, const Box &part) {
    TensorT out(part.getShape());
    SmallVector<int64_t> offsets;
    for (auto [l, pl] : llvm::zip(box.lo, part.lo))
      offsets.push_back(pl - l);
    interp::copyBox(whole.getShape(), offsets, out.getShape(),
                    const_cast<Scalar *>(whole.begin()), out.begin(),
                    /*toPart=*/true);
    return out;
  };
  // `part` (a tensor of box `box`) written into `whole` at the box.
  auto insert = [](TensorT &whole, const Box &box, const TensorT &part) {
    interp::copyBox(whole.getShape(), box.lo, part.getShape(), whole.begin(),
                    const_cast<Scalar *>(part.begin()), /*toPart=*/false);
  };

  // The stored values, and the last step that reads each.
  llvm::DenseMap<Value, TensorT> stored;
  llvm::DenseSet<Value> storedSet;
  llvm::DenseMap<Value, size_t> lastRead;
  {
    llvm::DenseSet<Value> before;
    for (auto [i, step] : llvm::enumerate(schedule.steps)) {
      Value value = step.op ? step.op->getResult(0) : step.argument;
      for (const Box &box : step.pieces)
        for (Value leaf : SlicePlan(func, value, box, before).getLeaves())
          if (before.contains(leaf))
            lastRead[leaf] = i;
      if (step.op)
        for (Value result : step.op->getResults())
          before.insert(result);
    }
  }

  for (auto [i, step] : llvm::enumerate(schedule.steps)) {
    SmallVector<Value> targets;
    if (step.op)
      targets.append(step.op->getResults().begin(),
                     step.op->getResults().end());
    else
      targets.push_back(step.argument);
    for (Value target : targets)
      stored.try_emplace(target,
                         TensorT(cast<ShapedType>(target.getType()).getShape(),
                                 domain.zero()));
    Value value = targets.front();
    for (const Box &piece : step.pieces) {
      if (options.isStopRequested())
        return failure();
      SlicePlan plan(func, value, piece, storedSet);
      llvm::DenseMap<Value, std::unique_ptr<TensorT>> values;
      llvm::DenseMap<Value, const TensorT *> leafOf;
      for (Value leaf : plan.getLeaves()) {
        const Box &box = *plan.getBox(leaf);
        if (auto arg = dyn_cast<BlockArgument>(leaf)) {
          values[leaf] =
              std::make_unique<TensorT>(makeInput(arg.getArgNumber(), box));
          continue;
        }
        const TensorT &whole = stored.find(leaf)->second;
        if (box.isWhole(whole.getShape())) {
          leafOf[leaf] = &whole;
          continue;
        }
        values[leaf] = std::make_unique<TensorT>(
            extract(whole, Box::whole(whole.getShape()), box));
      }
      auto lookup = [&](Value v) -> const TensorT * {
        if (auto it = values.find(v); it != values.end())
          return it->second.get();
        return leafOf.lookup(v);
      };
      llvm::DenseMap<Value, Operation *> lastUse;
      for (Operation &op : body)
        if (plan.getOpSlice(&op))
          for (Value operand : op.getOperands())
            lastUse[operand] = &op;
      for (Operation &op : body.without_terminator()) {
        const OpSlice *slice = plan.getOpSlice(&op);
        if (!slice)
          continue;
        if (options.isStopRequested())
          return failure();
        // Operands read in part are copied out of their producer's box.
        SmallVector<TensorT> copies;
        copies.reserve(op.getNumOperands());
        SmallVector<const TensorT *> operands;
        for (auto [operand, box] :
             llvm::zip(op.getOperands(), slice->operands)) {
          const TensorT *tensor = lookup(operand);
          const Box &produced = *plan.getBox(operand);
          if (produced == box) {
            operands.push_back(tensor);
            continue;
          }
          copies.push_back(extract(*tensor, produced, box));
          operands.push_back(&copies.back());
        }
        FailureOr<SmallVector<TensorT>> results = failure();
        if (slice->whole) {
          results = evaluate(&op, operands);
        } else {
          SlicedOp sliced = cloneSlicedOp(&op, *slice);
          if (!sliced.op)
            return failure();
          results = evaluate(sliced.op, operands);
        }
        if (failed(results))
          return failure();
        for (auto [result, tensor, box] :
             llvm::zip(op.getResults(), *results, slice->results)) {
          if (&op == step.op)
            insert(stored.find(result)->second, box, tensor);
          else if (lastUse.count(result))
            values[result] = std::make_unique<TensorT>(std::move(tensor));
        }
        for (Value operand : op.getOperands())
          if (lastUse.lookup(operand) == &op &&
              plan.getOpSlice(operand.getDefiningOp())) {
            values.erase(operand);
            lastUse.erase(operand);
          }
      }
      // A returned argument: its piece is the leaf itself.
      if (!step.op)
        insert(stored.find(value)->second, piece, *lookup(value));
    }
    for (Value target : targets)
      storedSet.insert(target);
    // Free what no later step reads and the function does not return.
    SmallVector<Value> done;
    for (Value v : storedSet)
      if (lastRead.lookup(v) <= i &&
          !llvm::is_contained(terminator->getOperands(), v))
        done.push_back(v);
    for (Value v : done) {
      storedSet.erase(v);
      stored.erase(v);
    }
  }
  SmallVector<TensorT> outputs;
  for (Value v : terminator->getOperands())
    outputs.push_back(stored.find(v)->second);
  return outputs;
}

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_INTERPRETERIMPL_H
