//===- Graph.cpp - Kernel graphs for the Python package -------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Graph.h"

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/Transforms/Passes.h"
#include "Mirage/Execution/KernelPackage.h"
#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Support/HalfFloat.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

#if MIRAGE_HAVE_RUNTIME
#include "mirage-runtime/mirage_runtime.h"
#endif

using namespace mlir;
using namespace mlir::mirage;
using namespace mirage_python;

//===----------------------------------------------------------------------===//
// Context and diagnostics
//===----------------------------------------------------------------------===//

MLIRContext &mirage_python::getSharedContext() {
  static MLIRContext *context = [] {
    DialectRegistry registry;
    registerMirageDialect(registry);
    auto *ctx = new MLIRContext(registry);
    ctx->loadAllAvailableDialects();
    // Messages name the op and its operand types; the op's generic form
    // would only repeat them.
    ctx->printOpOnDiagnostic(false);
    return ctx;
  }();
  return *context;
}

namespace {

std::string severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "note";
}

/// "line:col: " for a location in parsed text, "" otherwise.
std::string locationPrefix(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv("line {0}:{1}: ", file.getLine(), file.getColumn());
  return "";
}

/// A diagnostic and its notes as one text; `withLocation` prefixes line and
/// column where the location is in parsed text.
std::string formatDiagnostic(Diagnostic &diag, bool withLocation = true) {
  auto prefix = [&](Location loc) {
    return withLocation ? locationPrefix(loc) : std::string();
  };
  std::string text = prefix(diag.getLocation()) + diag.str();
  for (Diagnostic &note : diag.getNotes())
    text += "\n  note: " + prefix(note.getLocation()) + note.str();
  return text;
}

/// Collects the diagnostics that this thread emits on `context` while it
/// lives; other threads' diagnostics go on to the handlers below it.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &context)
      : owner(std::this_thread::get_id()),
        handler(&context, [this](Diagnostic &diag) -> LogicalResult {
          if (std::this_thread::get_id() != owner)
            return failure();
          messages.push_back(
              {diag.getSeverity(), formatDiagnostic(diag)});
          return success();
        }) {}

  /// The errors, one per line (or every message if there is no error).
  std::string errors() const {
    std::string text;
    for (const auto &[severity, message] : messages)
      if (severity == DiagnosticSeverity::Error)
        text += (text.empty() ? "" : "\n") + message;
    if (text.empty())
      for (const auto &entry : messages)
        text += (text.empty() ? "" : "\n") + entry.second;
    return text;
  }

private:
  std::thread::id owner;
  std::vector<std::pair<DiagnosticSeverity, std::string>> messages;
  ScopedDiagnosticHandler handler;
};

[[noreturn]] void fail(ErrorKind kind, const std::string &message) {
  throw MirageException(kind, message);
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

Type parseDtype(MLIRContext &ctx, const std::string &dtype) {
  if (dtype == "f16")
    return Float16Type::get(&ctx);
  if (dtype == "bf16")
    return BFloat16Type::get(&ctx);
  if (dtype == "f32")
    return Float32Type::get(&ctx);
  fail(ErrorKind::Value,
       "unknown dtype '" + dtype + "'; expected f16, bf16 or f32");
}

ElementKind kindOf(Type type) {
  return *getElementKind(cast<RankedTensorType>(type).getElementType());
}

float roundTo(ElementKind kind, float value) {
  switch (kind) {
  case ElementKind::F16:
    return roundToHalf(value);
  case ElementKind::BF16:
    return roundToBFloat16(value);
  case ElementKind::F32:
    return value;
  }
  return value;
}

/// Erases ops whose results nothing uses (every mirage op is pure), so that
/// tensors a user built but never marked as outputs cost nothing.
void eraseDeadOps(func::FuncOp func) {
  bool changed = true;
  while (changed) {
    changed = false;
    Block &body = func.getBody().front();
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body))) {
      if (op.hasTrait<OpTrait::IsTerminator>() || !op.use_empty())
        continue;
      op.erase();
      changed = true;
    }
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Graph
//===----------------------------------------------------------------------===//

Graph::Graph(const std::string &name) {
  MLIRContext &ctx = getSharedContext();
  Location loc = UnknownLoc::get(&ctx);
  module = ModuleOp::create(loc);
  OpBuilder b = OpBuilder::atBlockEnd(module->getBody());
  func = func::FuncOp::create(b, loc, name, b.getFunctionType({}, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc);
}

Graph::Graph(OwningOpRef<ModuleOp> parsed, func::FuncOp entry)
    : module(std::move(parsed)), func(entry) {
  for (BlockArgument arg : func.getArguments())
    addValue(arg);
  for (Operation &op : func.getBody().front())
    for (Value result : op.getResults())
      addValue(result);
}

std::unique_ptr<Graph> Graph::fromMlir(const std::string &text,
                                       const std::string &entry) {
  MLIRContext &ctx = getSharedContext();
  DiagnosticCollector diags(ctx);
  ParserConfig config(&ctx);
  OwningOpRef<ModuleOp> parsed =
      parseSourceString<ModuleOp>(text, config, "<mlir>");
  if (!parsed)
    fail(ErrorKind::Parse, "cannot parse the MLIR text: " + diags.errors());
  SmallVector<func::FuncOp> defined;
  for (auto f : parsed->getOps<func::FuncOp>())
    if (!f.isExternal())
      defined.push_back(f);
  auto names = [&] {
    return llvm::join(llvm::map_range(defined,
                                      [](func::FuncOp f) {
                                        return ("@" + f.getName()).str();
                                      }),
                      ", ");
  };
  func::FuncOp chosen;
  if (!entry.empty()) {
    chosen = parsed->lookupSymbol<func::FuncOp>(entry);
    if (!chosen || chosen.isExternal())
      fail(ErrorKind::Parse,
           "the MLIR text has no function @" + entry +
               (defined.empty() ? std::string(" (it defines none)")
                                : " (it defines " + names() + ")"));
  } else if (defined.size() == 1) {
    chosen = defined.front();
  } else {
    fail(ErrorKind::Parse,
         defined.empty()
             ? std::string("the MLIR text defines no function")
             : "the MLIR text defines several functions (" + names() +
                   "); pick one with entry=");
  }
  if (!chosen.getBody().hasOneBlock())
    fail(ErrorKind::Parse, "@" + chosen.getName().str() +
                               " has more than one block; a kernel graph is "
                               "a single block of mirage ops");
  FunctionType type = chosen.getFunctionType();
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    if (!isKernelTensorType(t))
      fail(ErrorKind::Parse,
           llvm::formatv("argument {0} of @{1} has type {2}; kernel graphs "
                         "take static tensors of f16, bf16 or f32",
                         i, chosen.getName(), typeString(t)));
  for (auto [i, t] : llvm::enumerate(type.getResults()))
    if (!isKernelTensorType(t))
      fail(ErrorKind::Parse,
           llvm::formatv("result {0} of @{1} has type {2}; kernel graphs "
                         "return static tensors of f16, bf16 or f32",
                         i, chosen.getName(), typeString(t)));
  // A module of its own holding only the chosen function (and the
  // module's attributes, such as mirage.target).
  OwningOpRef<ModuleOp> own = ModuleOp::create(chosen.getLoc());
  for (NamedAttribute attr : (*parsed)->getAttrs())
    if (attr.getName() != SymbolTable::getSymbolAttrName())
      (*own)->setAttr(attr.getName(), attr.getValue());
  auto copy = cast<func::FuncOp>(chosen->clone());
  own->push_back(copy);
  return std::make_unique<Graph>(std::move(own), copy);
}

int Graph::addValue(Value value) {
  values.push_back(value);
  return static_cast<int>(values.size()) - 1;
}

Value Graph::getValue(int id) const {
  if (id < 0 || id >= static_cast<int>(values.size()))
    fail(ErrorKind::Value, llvm::formatv("no tensor {0} in this graph", id));
  return values[id];
}

func::ReturnOp Graph::getReturn() {
  return cast<func::ReturnOp>(func.getBody().front().getTerminator());
}

std::string Graph::getName() { return func.getName().str(); }

int Graph::newInput(const std::vector<int64_t> &shape,
                    const std::string &dtype) {
  MLIRContext &ctx = getSharedContext();
  Type element = parseDtype(ctx, dtype);
  if (shape.empty())
    fail(ErrorKind::Shape,
         "an input needs at least one dim (kernel graphs have no scalars)");
  for (int64_t d : shape)
    if (d <= 0)
      fail(ErrorKind::Shape,
           "input dims must be positive, got (" +
               llvm::join(llvm::map_range(
                              shape, [](int64_t x) { return std::to_string(x); }),
                          ", ") +
               ")");
  auto type = RankedTensorType::get(shape, element);
  unsigned index = func.getNumArguments();
  if (failed(func.insertArgument(index, type, {}, UnknownLoc::get(&ctx))))
    fail(ErrorKind::Value, "cannot add an input");
  return addValue(func.getArgument(index));
}

int Graph::addOp(
    const std::string &name, const std::vector<int> &operandIds,
    const std::vector<std::pair<std::string, int64_t>> &ints,
    const std::vector<std::pair<std::string, double>> &floats,
    const std::vector<std::pair<std::string, std::vector<int64_t>>> &intLists,
    const std::string &reduceKind) {
  MLIRContext &ctx = getSharedContext();
  std::string opName = "mirage." + name;
  std::optional<RegisteredOperationName> registered =
      RegisteredOperationName::lookup(opName, &ctx);
  if (!registered || !registered->hasInterface<InferTypeOpInterface>())
    fail(ErrorKind::Value, "there is no kernel-level op '" + opName + "'");
  if (operandIds.empty())
    fail(ErrorKind::Value, opName + " needs operands");
  SmallVector<Value> operands;
  for (int id : operandIds)
    operands.push_back(getValue(id));
  std::string operandTypes = llvm::join(
      llvm::map_range(operands,
                      [](Value v) { return typeString(v.getType()); }),
      ", ");

  Location loc = UnknownLoc::get(&ctx);
  OpBuilder b(&ctx);
  b.setInsertionPoint(getReturn());
  OperationState state(loc, *registered);
  state.addOperands(operands);
  // A placeholder result type, replaced by the inferred one below: building
  // through the inferring builders would abort on an invalid op.
  state.addTypes(operands.front().getType());
  Operation *op = b.create(state);
  for (const auto &[key, value] : ints)
    op->setAttr(key, b.getI64IntegerAttr(value));
  for (const auto &[key, value] : floats)
    op->setAttr(key, b.getF32FloatAttr(static_cast<float>(value)));
  for (const auto &[key, value] : intLists)
    op->setAttr(key, b.getDenseI64ArrayAttr(value));
  if (!reduceKind.empty()) {
    std::optional<ReduceKind> kind = symbolizeReduceKind(reduceKind);
    if (!kind) {
      op->erase();
      fail(ErrorKind::Value,
           "unknown reduction '" + reduceKind + "'; expected sum or max");
    }
    op->setAttr("kind", ReduceKindAttr::get(&ctx, *kind));
  }

  DiagnosticCollector diags(ctx);
  SmallVector<Type> inferred;
  bool ok = succeeded(cast<InferTypeOpInterface>(op).inferReturnTypes(
                &ctx, loc, op->getOperands(), op->getRawDictionaryAttrs(),
                op->getPropertiesStorage(), op->getRegions(), inferred)) &&
            inferred.size() == 1;
  if (ok) {
    op->getResult(0).setType(inferred.front());
    ok = succeeded(verify(op));
  }
  if (!ok) {
    op->erase();
    std::string why = diags.errors();
    // The verifier names the op ('mirage.matmul' op ...): drop the prefix,
    // the message below names it once.
    std::string prefix = "'" + opName + "' op ";
    if (llvm::StringRef(why).starts_with(prefix))
      why = why.substr(prefix.size());
    fail(ErrorKind::Shape, opName + " on (" + operandTypes + "): " + why);
  }
  return addValue(op->getResult(0));
}

void Graph::markOutput(int id) {
  Value value = getValue(id);
  if (isa<BlockArgument>(value))
    fail(ErrorKind::Value,
         "an input cannot be marked as an output: a kernel graph's outputs "
         "are computed by its ops");
  func::ReturnOp ret = getReturn();
  if (llvm::is_contained(ret.getOperands(), value))
    fail(ErrorKind::Value, "this tensor is already an output");
  ret->insertOperands(ret->getNumOperands(), value);
  func.setFunctionType(FunctionType::get(&getSharedContext(),
                                         func.getArgumentTypes(),
                                         ret.getOperandTypes()));
}

std::vector<int64_t> Graph::getShape(int id) const {
  auto type = cast<ShapedType>(getValue(id).getType());
  return std::vector<int64_t>(type.getShape().begin(), type.getShape().end());
}

std::string Graph::getDtype(int id) const {
  Type element = cast<ShapedType>(getValue(id).getType()).getElementType();
  if (element.isF16())
    return "f16";
  if (element.isBF16())
    return "bf16";
  return "f32";
}

std::string Graph::getProducer(int id) const {
  Value value = getValue(id);
  if (auto arg = dyn_cast<BlockArgument>(value))
    return "input " + std::to_string(arg.getArgNumber());
  return value.getDefiningOp()->getName().getStringRef().str();
}

std::vector<int> Graph::getInputs() const {
  std::vector<int> ids;
  for (BlockArgument arg : func::FuncOp(func).getArguments())
    for (auto [i, v] : llvm::enumerate(values))
      if (v == arg)
        ids.push_back(static_cast<int>(i));
  return ids;
}

std::vector<int> Graph::getOutputs() const {
  std::vector<int> ids;
  auto ret = cast<func::ReturnOp>(
      func::FuncOp(func).getBody().front().getTerminator());
  for (Value operand : ret.getOperands())
    for (auto [i, v] : llvm::enumerate(values))
      if (v == operand) {
        ids.push_back(static_cast<int>(i));
        break;
      }
  return ids;
}

std::string Graph::toMlir(bool generic) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  module->print(os, flags);
  return text;
}

void Graph::checkRunnable() {
  if (getReturn().getNumOperands() == 0)
    fail(ErrorKind::Value, "the graph has no outputs: call mark_output first");
  DiagnosticCollector diags(getSharedContext());
  if (failed(verify(func)))
    fail(ErrorKind::Shape, "the graph does not verify: " + diags.errors());
}

std::vector<std::vector<float>>
Graph::runReference(const std::vector<const float *> &inputs) {
  checkRunnable();
  FunctionType type = func.getFunctionType();
  if (inputs.size() != type.getNumInputs())
    fail(ErrorKind::Value,
         llvm::formatv("the graph takes {0} inputs, got {1}",
                       type.getNumInputs(), inputs.size()));
  SmallVector<Tensor<float>> args;
  for (auto [i, t] : llvm::enumerate(type.getInputs())) {
    auto tensor = cast<RankedTensorType>(t);
    ElementKind kind = kindOf(t);
    std::vector<float> data(inputs[i], inputs[i] + tensor.getNumElements());
    for (float &x : data)
      x = roundTo(kind, x);
    args.emplace_back(tensor.getShape(), std::move(data));
  }
  DiagnosticCollector diags(getSharedContext());
  FloatInterpreter interpreter{FloatDomain(), InterpreterOptions()};
  FailureOr<SmallVector<Tensor<float>>> outputs = interpreter.run(func, args);
  if (failed(outputs))
    fail(ErrorKind::Execution,
         "the reference interpreter failed: " + diags.errors());
  std::vector<std::vector<float>> result;
  for (Tensor<float> &out : *outputs)
    result.emplace_back(out.begin(), out.end());
  return result;
}

void Graph::compilePackage(const std::string &directory,
                           const std::string &chip) {
  checkRunnable();
  // The lowering works on a copy without dead ops.
  OwningOpRef<ModuleOp> copy = cast<ModuleOp>(module->getOperation()->clone());
  auto copyFunc = cast<func::FuncOp>(
      copy->lookupSymbol(func.getSymNameAttr()));
  eraseDeadOps(copyFunc);
  DiagnosticCollector diags(getSharedContext());
  if (failed(compileKernelPackage(copyFunc, directory, chip)))
    fail(ErrorKind::Execution, "cannot compile @" + getName() +
                                   " to a kernel package for " + chip + ": " +
                                   diags.errors());
}

//===----------------------------------------------------------------------===//
// SuperoptimizeJob
//===----------------------------------------------------------------------===//

struct SuperoptimizeJob::State {
  std::string input, funcName;
  SuperoptimizeOptions options;
  search::SearchMonitor monitor;

  std::mutex mutex;
  std::condition_variable finished;
  bool done = false, ok = false;
  std::string output;
  std::vector<JobMessage> messages;

  void run();
};

void SuperoptimizeJob::State::run() {
  DialectRegistry registry;
  registerMirageDialect(registry);
  // Single-threaded, so that the passes run on this thread and see the
  // monitor installed on it; the search has its own thread pool.
  MLIRContext ctx(registry, MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    std::lock_guard<std::mutex> lock(mutex);
    // Locations would point into the graph's internal text: leave them out.
    messages.push_back({severityName(diag.getSeverity()),
                        formatDiagnostic(diag, /*withLocation=*/false)});
    return success();
  });
  bool succeeded = false;
  std::string text;
  if (OwningOpRef<ModuleOp> module =
          parseSourceString<ModuleOp>(input, ParserConfig(&ctx))) {
    if (auto f = module->lookupSymbol<func::FuncOp>(funcName))
      eraseDeadOps(f);
    PassManager pm(&ctx);
    OpPassManager &fpm = pm.nest<func::FuncOp>();
    fpm.addPass(createMirageDecompose());
    MirageSuperoptimizeOptions passOptions;
    passOptions.target = options.target;
    passOptions.maxKernelOps = options.maxKernelOps;
    passOptions.maxBlockOps = options.maxBlockOps;
    passOptions.timeBudget = options.timeBudget;
    passOptions.threads = options.threads;
    passOptions.seed = options.seed;
    passOptions.cacheDir = options.cacheDir;
    passOptions.listCandidates = options.listCandidates;
    passOptions.verifyMemoryLimit = options.verifyMemoryLimit;
    fpm.addPass(createMirageSuperoptimize(passOptions));
    search::ScopedSearchMonitor watch(monitor);
    if (mlir::succeeded(pm.run(*module))) {
      llvm::raw_string_ostream os(text);
      module->print(os);
      succeeded = true;
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  ok = succeeded;
  output = std::move(text);
  done = true;
  finished.notify_all();
}

SuperoptimizeJob::SuperoptimizeJob(Graph &graph, SuperoptimizeOptions options)
    : state(std::make_shared<State>()) {
  graph.checkRunnable();
  state->input = graph.toMlir(/*generic=*/false);
  state->funcName = graph.getName();
  state->options = std::move(options);
}

SuperoptimizeJob::~SuperoptimizeJob() {
  // A run nobody waits for any more stops at once, and ends before the job
  // does: no thread outlives it.
  abort();
  join();
}

void SuperoptimizeJob::start() {
  if (thread.joinable())
    return;
  std::shared_ptr<State> s = state;
  thread = std::thread([s] { s->run(); });
}

void SuperoptimizeJob::join() {
  if (thread.joinable())
    thread.join();
}

bool SuperoptimizeJob::wait(double seconds) {
  std::unique_lock<std::mutex> lock(state->mutex);
  if (seconds < 0) {
    state->finished.wait(lock, [&] { return state->done; });
    return true;
  }
  return state->finished.wait_for(
      lock, std::chrono::duration<double>(seconds),
      [&] { return state->done; });
}

void SuperoptimizeJob::cancel() { state->monitor.cancel(); }

void SuperoptimizeJob::abort() { state->monitor.abort(); }

search::SearchProgress SuperoptimizeJob::getProgress() const {
  return state->monitor.getProgress();
}

std::vector<JobMessage> SuperoptimizeJob::getMessages() {
  std::lock_guard<std::mutex> lock(state->mutex);
  return state->messages;
}

std::unique_ptr<Graph> SuperoptimizeJob::takeResult() {
  wait(-1);
  join();
  std::lock_guard<std::mutex> lock(state->mutex);
  if (!state->ok) {
    std::string errors;
    for (const JobMessage &m : state->messages)
      if (m.severity == "error")
        errors += (errors.empty() ? "" : "\n") + m.text;
    fail(ErrorKind::Superoptimize,
         "superoptimize failed: " +
             (errors.empty() ? std::string("the pass failed") : errors));
  }
  return Graph::fromMlir(state->output, state->funcName);
}

//===----------------------------------------------------------------------===//
// CUDA
//===----------------------------------------------------------------------===//

#if MIRAGE_HAVE_RUNTIME

int mirage_python::getCudaDeviceCount() {
  int count = 0;
  if (mirageRtGetDeviceCount(&count) != MIRAGE_RT_SUCCESS)
    fail(ErrorKind::Cuda, mirageRtGetLastError());
  return count;
}

struct CudaProgram::Impl {
  MirageRtDevice device = nullptr;
  MirageRtPackage package = nullptr;
  std::vector<ElementKind> inputKinds, outputKinds;
  std::vector<int64_t> inputSizes, outputSizes;
  ~Impl() {
    if (package)
      mirageRtPackageDestroy(package);
    if (device)
      mirageRtDeviceDestroy(device);
  }
};

CudaProgram::CudaProgram(Graph &graph, int ordinal,
                         const std::string &directory)
    : impl(std::make_unique<Impl>()) {
  graph.checkRunnable();
  if (mirageRtDeviceCreate(ordinal, &impl->device) != MIRAGE_RT_SUCCESS)
    fail(ErrorKind::Cuda, mirageRtGetLastError());
  int major = 0, minor = 0;
  mirageRtDeviceGetComputeCapability(impl->device, &major, &minor);
  // The chip whose limits and instructions the kernels are compiled for
  // (sm_86 and sm_89 have less shared memory per block than sm_80).
  std::string chip = getChipForComputeCapability(major, minor).str();
  if (chip.empty())
    fail(ErrorKind::Cuda,
         llvm::formatv("CUDA device {0} ({1}) has compute capability {2}.{3}; "
                       "Mirage's kernels support {4}",
                       ordinal, mirageRtDeviceGetName(impl->device), major,
                       minor, getSupportedChipNames()));
  graph.compilePackage(directory, chip);
  if (mirageRtPackageLoad(impl->device, directory.c_str(), &impl->package) !=
      MIRAGE_RT_SUCCESS)
    fail(ErrorKind::Cuda, mirageRtGetLastError());
  FunctionType type = graph.getFunction().getFunctionType();
  for (Type t : type.getInputs()) {
    impl->inputKinds.push_back(kindOf(t));
    impl->inputSizes.push_back(cast<RankedTensorType>(t).getNumElements());
  }
  for (Type t : type.getResults()) {
    impl->outputKinds.push_back(kindOf(t));
    impl->outputSizes.push_back(cast<RankedTensorType>(t).getNumElements());
  }
}

CudaProgram::~CudaProgram() = default;

void CudaProgram::run(const std::vector<uint64_t> &inputs,
                      const std::vector<uint64_t> &outputs, uint64_t stream) {
  std::vector<MirageRtDevicePtr> in(inputs.begin(), inputs.end());
  std::vector<MirageRtDevicePtr> out(outputs.begin(), outputs.end());
  if (mirageRtPackageRun(impl->package, in.data(), static_cast<int>(in.size()),
                         out.data(), static_cast<int>(out.size()),
                         reinterpret_cast<MirageRtStream>(stream)) !=
      MIRAGE_RT_SUCCESS)
    fail(ErrorKind::Cuda, mirageRtGetLastError());
}

std::vector<std::vector<float>>
CudaProgram::runHost(const std::vector<const float *> &inputs) {
  if (inputs.size() != impl->inputKinds.size())
    fail(ErrorKind::Value, llvm::formatv("the graph takes {0} inputs, got {1}",
                                         impl->inputKinds.size(),
                                         inputs.size()));
  // Raw element storage in the tensors' dtypes.
  std::vector<std::vector<uint8_t>> in, out;
  for (size_t i = 0; i < inputs.size(); ++i)
    in.push_back(encodeElements(
        ArrayRef<float>(inputs[i], impl->inputSizes[i]), impl->inputKinds[i]));
  for (size_t i = 0; i < impl->outputKinds.size(); ++i)
    out.emplace_back(impl->outputSizes[i] *
                     getElementBytes(impl->outputKinds[i]));
  std::vector<const void *> inPtrs;
  std::vector<void *> outPtrs;
  for (auto &b : in)
    inPtrs.push_back(b.data());
  for (auto &b : out)
    outPtrs.push_back(b.data());
  if (mirageRtPackageRunHost(impl->package, inPtrs.data(),
                             static_cast<int>(inPtrs.size()), outPtrs.data(),
                             static_cast<int>(outPtrs.size())) !=
      MIRAGE_RT_SUCCESS)
    fail(ErrorKind::Cuda, mirageRtGetLastError());
  std::vector<std::vector<float>> result;
  for (size_t i = 0; i < out.size(); ++i) {
    std::vector<float> values(impl->outputSizes[i]);
    decodeElements(out[i].data(), impl->outputKinds[i], values);
    result.push_back(std::move(values));
  }
  return result;
}

std::string CudaProgram::getDeviceName() const {
  return mirageRtDeviceGetName(impl->device);
}
std::string CudaProgram::getChip() const {
  return mirageRtPackageGetChip(impl->package);
}
std::string CudaProgram::getBinaryKind() const {
  return mirageRtPackageGetBinaryKind(impl->package);
}

#else // !MIRAGE_HAVE_RUNTIME

struct CudaProgram::Impl {};

CudaProgram::CudaProgram(Graph &, int, const std::string &) {
  fail(ErrorKind::Cuda,
       "this mirage package was built without the GPU runtime (cuda.h was "
       "not found when it was built); rebuild it on a machine with the CUDA "
       "toolkit to run on CUDA devices");
}
CudaProgram::~CudaProgram() = default;
void CudaProgram::run(const std::vector<uint64_t> &,
                      const std::vector<uint64_t> &, uint64_t) {}
std::vector<std::vector<float>>
CudaProgram::runHost(const std::vector<const float *> &) {
  return {};
}
std::string CudaProgram::getDeviceName() const { return ""; }
std::string CudaProgram::getChip() const { return ""; }
std::string CudaProgram::getBinaryKind() const { return ""; }

#endif // MIRAGE_HAVE_RUNTIME
