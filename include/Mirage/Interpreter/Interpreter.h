//===- Interpreter.h - Reference interpreter for kernel graphs --*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Evaluates a kernel graph (a func.func of mirage ops) on the CPU over a value
// domain. FloatDomain gives reference results; other domains (finite fields for
// verification) reuse the same op semantics by instantiating the template:
//
//   #include "Mirage/Interpreter/InterpreterImpl.h"
//   template class mlir::mirage::KernelGraphInterpreter<MyDomain>;
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_INTERPRETER_INTERPRETER_H
#define MIRAGE_INTERPRETER_INTERPRETER_H

#include "Mirage/Interpreter/FloatDomain.h"
#include "Mirage/Interpreter/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <functional>

namespace mlir {
namespace mirage {

class GraphKernelOp;
struct Box;
struct EvaluationSchedule;

struct InterpreterOptions {
  /// Round every kernel-level result to its tensor's element type (what a GPU
  /// kernel stores to memory). When false, nothing is rounded and every value
  /// keeps the domain's full precision.
  bool roundResults = true;
  /// Split large ops (matmul, elementwise) across threads with
  /// llvm::parallelFor. Every element is still computed by one thread in a
  /// fixed order, so results are bit-identical with and without it.
  bool parallel = true;
  /// Polled before each op and each thread block (from several threads);
  /// when it returns true, run() stops and returns failure *without* a
  /// diagnostic: the caller asked for the stop and says why. Used to abandon
  /// a verification when the user aborts (Ctrl-C twice in Python).
  std::function<bool()> shouldStop;

  bool isStopRequested() const { return shouldStop && shouldStop(); }
};

/// Evaluates kernel graphs over the value domain `Domain` (see FloatDomain for
/// the interface a domain provides).
template <typename Domain> class KernelGraphInterpreter {
public:
  using Scalar = typename Domain::Scalar;
  using TensorT = Tensor<Scalar>;

  explicit KernelGraphInterpreter(Domain domain = Domain(),
                                  InterpreterOptions options = {})
      : domain(std::move(domain)), options(options) {}

  /// Runs `func` on `args` (one tensor per argument, shapes matching the
  /// argument types) and returns one tensor per result. Emits a diagnostic
  /// and returns failure on an argument mismatch, an op outside the mirage
  /// dialect, or an op the domain does not support.
  FailureOr<SmallVector<TensorT>> run(func::FuncOp func,
                                      ArrayRef<TensorT> args) const;

  /// Evaluates one op of a kernel graph (a pre-defined kernel or a
  /// graph-defined kernel) on its operand values. Emits a diagnostic and
  /// returns failure for unsupported ops.
  FailureOr<SmallVector<TensorT>>
  evaluate(Operation *op, ArrayRef<const TensorT *> operands) const;

  /// Evaluates one compute op (on kernel tensors or on tiles) and, when
  /// `round`, rounds its result to the result's element type.
  FailureOr<TensorT> evaluateComputeOp(Operation *op,
                                       ArrayRef<const TensorT *> operands,
                                       bool round) const;

  /// Runs a graph-defined kernel: its block graph once per thread block of
  /// the grid (the for-loop, accumulators, epilogue, thread graphs), each
  /// block's output savers writing its tiles of the results.
  FailureOr<SmallVector<TensorT>>
  evaluateGraphKernel(GraphKernelOp kernel,
                      ArrayRef<const TensorT *> inputs) const;

  /// Evaluates `func` by `schedule` (planEvaluation, Slicing.h): each
  /// stored value piece by piece, each piece only the ops it needs on the
  /// boxes it needs, with the arguments' boxes made by
  /// `makeInput(argIndex, box)`. Returns the results, equal bit for bit to
  /// run() on whole inputs. Fails as run() does (a diagnostic, or a stop
  /// request without one).
  FailureOr<SmallVector<TensorT>> runSchedule(
      func::FuncOp func, const EvaluationSchedule &schedule,
      llvm::function_ref<TensorT(unsigned argIndex, const Box &box)>
          makeInput) const;

  const Domain &getDomain() const { return domain; }
  const InterpreterOptions &getOptions() const { return options; }

private:
  class BlockEvaluator;

  Domain domain;
  InterpreterOptions options;
};

extern template class KernelGraphInterpreter<FloatDomain>;

/// The float reference interpreter.
using FloatInterpreter = KernelGraphInterpreter<FloatDomain>;

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_INTERPRETER_H
