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
// operations in the same order. planPieces cuts a program's results into
// pieces whose slices fit a memory budget; KernelGraphInterpreter::
// runInPieces evaluates them (InterpreterImpl.h). The verifier uses this to
// run a finite-field test of a program too large for memory piece by piece:
// the test, and so its false-accept bound, is unchanged.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_INTERPRETER_SLICING_H
#define MIRAGE_INTERPRETER_SLICING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/DenseMap.h"
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

/// The slice of a kernel graph that computes given boxes of its results.
class SlicePlan {
public:
  /// `demand[i]` is the box of result `i` to compute, or none. Never fails:
  /// an op it cannot cut runs whole.
  SlicePlan(func::FuncOp func, ArrayRef<std::optional<Box>> demand);

  func::FuncOp getFunction() const { return func; }
  /// The box of `value` the slice computes (of an argument: reads), or none
  /// when the slice does not need the value.
  const Box *getBox(Value value) const;
  /// How `op` runs in the slice, or null when the slice does not need it.
  const OpSlice *getOpSlice(Operation *op) const;

  /// The most bytes evaluating the slice holds at once, at `bytesPerValue`
  /// bytes a value: the argument boxes, the live results (each freed after
  /// its last use) and the operand boxes copied out of larger results.
  /// Saturates at UINT64_MAX.
  uint64_t estimatePeakBytes(uint64_t bytesPerValue) const;

private:
  mutable func::FuncOp func;
  llvm::DenseMap<Value, Box> boxes;
  llvm::DenseMap<Operation *, OpSlice> slices;
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

/// One piece of a program's results: a box of result `result`.
struct Piece {
  unsigned result = 0;
  Box box;
};

/// Cuts the results of `func` into pieces whose slices each hold at most
/// `budget` bytes at `bytesPerValue` bytes a value, halving the result dim
/// that shrinks the slice most until they fit. The whole results, one piece
/// each, when they fit as they are. Returns none if halving stops helping
/// before the slices fit; `smallestPeak`, if given, receives the smallest
/// peak reached either way.
std::optional<std::vector<Piece>> planPieces(func::FuncOp func,
                                             uint64_t bytesPerValue,
                                             uint64_t budget,
                                             uint64_t *smallestPeak = nullptr);

/// The peak of the largest piece's slice (estimatePeakBytes).
uint64_t estimatePiecesPeakBytes(func::FuncOp func, ArrayRef<Piece> pieces,
                                 uint64_t bytesPerValue);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_SLICING_H
