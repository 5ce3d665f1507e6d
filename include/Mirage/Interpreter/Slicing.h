//===- Slicing.h - Evaluating part of a kernel graph's results --*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The interpreter evaluates whole tensors, so its memory grows with the
// program (moe's weights: 4.3 GB in Z_p x Z_q). A *slice* of a kernel graph
// computes only a box of some results: walking the ops backward, each op is
// asked for a box of its results and answers with the boxes it computes and
// the boxes of its operands it reads:
//
//  - elementwise ops: the same box (a broadcast operand dim reads [0, 1));
//  - matmul: rows of A and columns of B, all of k;
//  - reduce, rms_norm, softmax, concat: whole along the dims they combine;
//  - a graph-defined kernel: the thread blocks that write the box (by each
//    saver's omap), as a smaller kernel: the same block graph and tiles on a
//    grid of just those blocks, reading the parts of its operands those
//    blocks read (by each iterator's imap);
//  - anything else: whole.
//
// Evaluating the ops on those boxes gives the same values, bit for bit, as
// evaluating the whole program: every element is computed by the same
// operations in the same order. planEvaluation schedules a program within a
// memory budget: which values to store whole, and into which pieces to cut
// each; KernelGraphInterpreter::runSchedule evaluates it (InterpreterImpl.h).
// The verifier uses this to run a finite-field test of a program too large
// for memory piece by piece: the test, and so its false-accept bound, is
// unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_INTERPRETER_SLICING_H
#define MIRAGE_INTERPRETER_SLICING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <array>
#include <optional>
#include <vector>

namespace mlir {
namespace mirage {

/// A box of a tensor: [lo[d], hi[d]) along each dim d.
struct Box {
  SmallVector<int64_t> lo, hi;

  /// The whole of a tensor of `shape`.
  static Box whole(ArrayRef<int64_t> shape);
  int64_t getRank() const { return lo.size(); }
  /// Extents hi - lo.
  SmallVector<int64_t> getShape() const;
  int64_t getNumElements() const;
  bool isWhole(ArrayRef<int64_t> shape) const;
  /// The smallest box holding both (same rank).
  void unite(const Box &other);
  bool contains(const Box &other) const;
  bool operator==(const Box &other) const {
    return lo == other.lo && hi == other.hi;
  }
};

/// Calls `row(boxOffset, wholeOffset, length)` for each row (run along the
/// last dim) of `box` in a row-major tensor of `shape`: the row starts at
/// `boxOffset` in a dense tensor of the box's shape and at `wholeOffset` in
/// the whole tensor. Rows run on several threads (llvm::parallelFor) when
/// there are many: `row` must only write its own elements.
void forEachRowOfBox(ArrayRef<int64_t> shape, const Box &box,
                     llvm::function_ref<void(int64_t boxOffset,
                                             int64_t wholeOffset,
                                             int64_t length)>
                         row);

/// How one op computes its part of a slice.
struct OpSlice {
  /// The boxes of its results it computes, and of its operands it reads.
  SmallVector<Box> results, operands;
  /// For a graph-defined kernel: the first block and the number of blocks
  /// along each grid axis.
  std::array<int64_t, 3> blockBegin = {0, 0, 0}, blockCount = {1, 1, 1};
  /// True when the op runs as it is (every box whole).
  bool whole = true;
};

/// The slice of a kernel graph that computes a box of one value: the ops
/// before the value's that it needs, each on the boxes it needs. Its
/// *leaves* are what it reads instead of computing: arguments, and values
/// already computed and stored (`stored`).
class SlicePlan {
public:
  /// Never fails: an op it cannot cut runs whole.
  SlicePlan(func::FuncOp func, Value target, const Box &box,
            const llvm::DenseSet<Value> &stored = {});

  func::FuncOp getFunction() const { return func; }
  Value getTarget() const { return target; }
  /// The box of `value` the slice computes or, for a leaf, reads; null when
  /// the slice does not need the value.
  const Box *getBox(Value value) const;
  /// How `op` runs in the slice, or null when the slice does not need it.
  const OpSlice *getOpSlice(Operation *op) const;
  /// The arguments and stored values the slice reads.
  ArrayRef<Value> getLeaves() const { return leaves; }

  /// The most bytes evaluating the slice holds at once, at `bytesPerValue`
  /// bytes a value: the argument boxes (drawn for the slice), parts of
  /// stored values copied out, the live results (each freed after its last
  /// use) and operand boxes copied out of larger results. Not the stored
  /// values themselves. Saturates at UINT64_MAX.
  uint64_t estimatePeakBytes(uint64_t bytesPerValue) const;

private:
  mutable func::FuncOp func;
  Value target;
  llvm::DenseMap<Value, Box> boxes;
  llvm::DenseMap<Operation *, OpSlice> slices;
  SmallVector<Value> leaves;
};

/// A clone of `op` that computes `slice`: operands and results of the boxes'
/// shapes and, for a graph-defined kernel, the grid of the slice's blocks.
/// The clone lives in a scratch module of its own, which the result owns;
/// its operands are the arguments of a function there. Returns null, with a
/// diagnostic, if the clone does not verify (a bug in the slicing).
struct SlicedOp {
  OwningOpRef<ModuleOp> scratch;
  Operation *op = nullptr;
};
SlicedOp cloneSlicedOp(Operation *op, const OpSlice &slice);

/// How to evaluate a kernel graph within a memory budget. The values it
/// *stores* (the function's results, and the intermediates small enough)
/// are computed in program order, each piece by piece: a box of it at a
/// time, as a slice from the arguments and the values stored before it. A
/// stored value is kept whole until the last step that reads it.
struct EvaluationSchedule {
  struct Step {
    /// The op whose results the step computes and stores (all of them), or
    /// null for a returned argument.
    Operation *op = nullptr;
    Value argument;
    /// Boxes of the op's first result (or of the argument) that cover it.
    std::vector<Box> pieces;
  };
  std::vector<Step> steps;
  /// The most bytes the evaluation holds at once (estimated).
  uint64_t peakBytes = 0;

  /// The most pieces of one step (1: every value is computed whole).
  size_t getMaxPieces() const;
};

/// Plans the evaluation of `func` at `bytesPerValue` bytes a value within
/// `budget` bytes: it stores intermediates up to an eighth of the budget
/// (then a 64th, then none) and cuts each step into pieces, halving the dim
/// that shrinks its slice most, until the peak fits. Returns none if it
/// cannot; `smallestPeak`, if given, receives the peak reached (the
/// schedule's, or the smallest of the failed attempts).
std::optional<EvaluationSchedule> planEvaluation(func::FuncOp func,
                                                 uint64_t bytesPerValue,
                                                 uint64_t budget,
                                                 uint64_t *smallestPeak =
                                                     nullptr);

/// A schedule that stores only the function's results, with result
/// `result` cut into `resultPieces` and the others whole (for tests).
EvaluationSchedule scheduleInPieces(func::FuncOp func,
                                    ArrayRef<Box> resultPieces,
                                    unsigned result);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_SLICING_H
