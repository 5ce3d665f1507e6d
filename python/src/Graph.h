//===- Graph.h - Kernel graphs for the Python package -----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The C++ side of `mirage.KernelGraph`: a func.func of mirage ops built one op
// at a time, each op checked by the dialect's own type inference and verifier
// (so a Python user sees the messages mirage-opt would print), plus the
// entry points the package needs: MLIR text in and out, the reference
// interpreter, the superoptimizer (run on a thread of its own so that Python
// can show progress and turn Ctrl-C into a cancellation), kernel packages and
// the GPU runtime, and a Graphviz drawing.
//
// Errors are thrown as MirageException, which the module turns into the
// Python exception classes of mirage/errors.py.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_PYTHON_GRAPH_H
#define MIRAGE_PYTHON_GRAPH_H

#include "Mirage/Interpreter/Tensor.h"
#include "Mirage/Search/SearchMonitor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mirage_python {

/// The Python exception class an error maps to (mirage/errors.py).
enum class ErrorKind {
  /// A shape, dtype or attribute rule of an op (the dialect's verifier).
  Shape,
  /// Unparsable or unsuitable MLIR text.
  Parse,
  /// A bad argument that is not about shapes (an unknown id, a bad option).
  Value,
  /// The superoptimizer failed.
  Superoptimize,
  /// Running or compiling a graph failed.
  Execution,
  /// No CUDA driver or device, or a CUDA failure.
  Cuda,
};

class MirageException : public std::runtime_error {
public:
  MirageException(ErrorKind kind, const std::string &message)
      : std::runtime_error(message), kind(kind) {}
  ErrorKind getKind() const { return kind; }

private:
  ErrorKind kind;
};

/// The MLIRContext every graph lives in (the superoptimizer uses private
/// ones). Never destroyed, so that graphs may outlive the module's teardown.
mlir::MLIRContext &getSharedContext();

/// A kernel graph: one function in a module of its own. Values (inputs and
/// op results) are named by ids, indices into `values`.
class Graph {
public:
  /// An empty graph whose function is called `name`.
  explicit Graph(const std::string &name);
  /// Takes `func` out of `module` (parsed in the shared context).
  Graph(mlir::OwningOpRef<mlir::ModuleOp> module, mlir::func::FuncOp func);

  /// Parses `text`; takes the function `entry`, or the only function with a
  /// body. Throws a Parse error.
  static std::unique_ptr<Graph> fromMlir(const std::string &text,
                                         const std::string &entry);

  /// A new argument of the given shape and dtype ("f16", "bf16", "f32").
  int newInput(const std::vector<int64_t> &shape, const std::string &dtype);

  /// Adds `mirage.<name>` on the values `operands` with `attributes` (by
  /// name: integers, floats, integer lists, "sum"/"max" for `kind`); returns
  /// the id of its result. Throws a Shape error with the verifier's message
  /// (and the operand types) if the op is not valid.
  int addOp(const std::string &name, const std::vector<int> &operands,
            const std::vector<std::pair<std::string, int64_t>> &ints,
            const std::vector<std::pair<std::string, double>> &floats,
            const std::vector<std::pair<std::string, std::vector<int64_t>>>
                &intLists,
            const std::string &reduceKind);

  void markOutput(int id);

  std::vector<int64_t> getShape(int id) const;
  std::string getDtype(int id) const;
  std::vector<int> getInputs() const;
  std::vector<int> getOutputs() const;
  std::string getName();
  /// The op that defines a value ("input" for an argument), for repr.
  std::string getProducer(int id) const;

  std::string toMlir(bool generic);
  /// Graphviz DOT text: the kernel graph and each block graph (Dot.cpp).
  std::string toDot();

  /// Runs the reference interpreter on float32 data (one buffer per input,
  /// row-major, the input's element count); values are rounded to each
  /// input's dtype first. Returns one float32 buffer per output.
  std::vector<std::vector<float>>
  runReference(const std::vector<const float *> &inputs);

  /// Compiles the graph's kernel package (PTX, manifest) for `chip` into
  /// `directory`. Throws an Execution error with the lowering's messages.
  void compilePackage(const std::string &directory, const std::string &chip);

  mlir::func::FuncOp getFunction() { return func; }
  mlir::ModuleOp getModule() { return *module; }

  /// Checks that the graph can be run or compiled: at least one output, and
  /// the function verifies.
  void checkRunnable();

private:
  mlir::Value getValue(int id) const;
  int addValue(mlir::Value value);
  mlir::func::ReturnOp getReturn();

  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  std::vector<mlir::Value> values;
};

/// Options of one superoptimizer run (the pass's options).
struct SuperoptimizeOptions {
  std::string target = "sm_90a";
  unsigned maxKernelOps = 4;
  unsigned maxBlockOps = 16;
  double timeBudget = 30;
  unsigned threads = 0;
  uint64_t seed = 0;
  std::string cacheDir;
  unsigned listCandidates = 0;
  /// MiB a candidate's verification may hold (verify-memory-limit).
  unsigned verifyMemoryLimit = 1024;
};

/// One message of a superoptimizer run.
struct JobMessage {
  std::string severity; // "error", "warning", "remark", "note"
  std::string text;
};

/// A superoptimizer run on a thread of its own, in a private MLIRContext:
/// the caller polls `wait` (which releases nothing itself: the module
/// releases the GIL around it) and may `cancel`.
class SuperoptimizeJob {
public:
  SuperoptimizeJob(Graph &graph, SuperoptimizeOptions options);
  ~SuperoptimizeJob();

  void start();
  /// Waits up to `seconds` (forever if negative); true when finished.
  bool wait(double seconds);
  /// Stops the search at its next check; the best μGraph found so far is
  /// still verified (the first Ctrl-C).
  void cancel();
  /// Stops the run as soon as it can, verification included (the second
  /// Ctrl-C); the result is then the input.
  void abort();
  /// Waits for the run's thread to end. The destructor aborts and joins, so
  /// no thread outlives the job.
  void join();
  mlir::mirage::search::SearchProgress getProgress() const;
  /// The diagnostics of the run (remarks, warnings, errors), in order.
  std::vector<JobMessage> getMessages();
  /// The optimized graph. Throws a Superoptimize error if the run failed.
  std::unique_ptr<Graph> takeResult();

private:
  struct State;
  std::shared_ptr<State> state;
  std::thread thread;
};

#if MIRAGE_HAVE_RUNTIME
/// The number of CUDA devices; throws a Cuda error without a driver.
int getCudaDeviceCount();
#endif

/// A graph compiled to a kernel package and loaded on one CUDA device.
class CudaProgram {
public:
  /// Opens device `ordinal`, compiles `graph` for its chip into `directory`
  /// and loads the package. Throws a Cuda error (no driver, no device, an
  /// unsupported GPU) or an Execution error (the lowering failed).
  CudaProgram(Graph &graph, int ordinal, const std::string &directory);
  ~CudaProgram();
  CudaProgram(const CudaProgram &) = delete;
  CudaProgram &operator=(const CudaProgram &) = delete;

  /// Enqueues the kernels on `stream` (0: the legacy default stream) with
  /// device pointers to the inputs and outputs.
  void run(const std::vector<uint64_t> &inputs,
           const std::vector<uint64_t> &outputs, uint64_t stream);
  /// Copies float32 host data in (converted to each input's dtype), runs,
  /// and copies the outputs back as float32.
  std::vector<std::vector<float>>
  runHost(const std::vector<const float *> &inputs);

  std::string getDeviceName() const;
  std::string getChip() const;
  std::string getBinaryKind() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace mirage_python

#endif // MIRAGE_PYTHON_GRAPH_H
