//===- mirage-run.cpp - Run kernel graphs on the CPU --------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Evaluates a kernel graph with the reference interpreter on random or .npy
// inputs, prints a summary of each output, and optionally checks the outputs
// against another program run on the same inputs.
//
// Exit status: 0 success; 1 outputs differ from the reference beyond the
// tolerance (or are not finite); 2 bad input (unreadable or invalid IR,
// unknown entry, bad .npy, mismatched signatures, bad options, a program
// that does not fit in memory, outputs that cannot be written): see
// docs/mirage-run.md.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Dialect/Mirage/IR/MirageDialect.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Dialect/Mirage/IR/ShapeLimits.h"
#include "Mirage/Execution/KernelPackage.h"
#include "Mirage/Execution/TileJit.h"
#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Interpreter/TensorIO.h"
#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>

#ifdef __unix__
#include <sys/resource.h>
#include <unistd.h>
#endif

#if MIRAGE_HAVE_RUNTIME
#include "mirage-runtime/mirage_runtime.h"
#endif

using namespace mlir;
using namespace mlir::mirage;

namespace {
enum ExitCode { kSuccess = 0, kMismatch = 1, kBadInput = 2 };

llvm::cl::OptionCategory category("mirage-run options");

llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                     llvm::cl::desc("<kernel graph .mlir>"),
                                     llvm::cl::Required,
                                     llvm::cl::cat(category));
llvm::cl::opt<std::string>
    entryName("entry",
              llvm::cl::desc("Function to run (default: the only function "
                             "with a body)"),
              llvm::cl::value_desc("name"), llvm::cl::cat(category));
llvm::cl::opt<uint64_t>
    seed("seed", llvm::cl::desc("Seed of the random inputs (default 0)"),
         llvm::cl::init(0), llvm::cl::cat(category));
llvm::cl::list<std::string>
    inputNpy("input",
             llvm::cl::desc("Value of the next argument, as a .npy file; give "
                            "one per argument, in order, or none for random "
                            "inputs"),
             llvm::cl::value_desc("file.npy"), llvm::cl::cat(category));
llvm::cl::opt<std::string> inputRange(
    "input-range",
    llvm::cl::desc("Range LO,HI of random inputs (default -0.5,0.5; an "
                   "argument's mirage.input_range attribute applies unless "
                   "this option is given)"),
    llvm::cl::value_desc("lo,hi"), llvm::cl::cat(category));
llvm::cl::opt<std::string> outputDir(
    "output-dir",
    llvm::cl::desc("Write each output i as DIR/output<i>.npy (f16 as float16; "
                   "f32 and bf16 as float32)"),
    llvm::cl::value_desc("dir"), llvm::cl::cat(category));
llvm::cl::opt<bool>
    saveInputs("save-inputs",
               llvm::cl::desc("Also write each input i as DIR/input<i>.npy"),
               llvm::cl::cat(category));
llvm::cl::opt<std::string> referenceSpec(
    "reference",
    llvm::cl::desc("Run FILE (function ENTRY, default as for the main file) "
                   "on the same inputs and compare the outputs"),
    llvm::cl::value_desc("file[:entry]"), llvm::cl::cat(category));
llvm::cl::opt<double> rtolOption(
    "rtol",
    llvm::cl::desc("Relative tolerance of --reference: an element passes when "
                   "|out - ref| <= atol + rtol * |ref| (default 1e-2 for f16, "
                   "3e-2 for bf16, 1e-4 for f32)"),
    llvm::cl::cat(category));
llvm::cl::opt<double> atolOption(
    "atol",
    llvm::cl::desc("Absolute tolerance of --reference (default rtol times the "
                   "reference output's max |x|, so the check is relative to "
                   "the output's scale)"),
    llvm::cl::cat(category));
enum class Engine { Interpreter, Tiles, Threads };
llvm::cl::opt<Engine> engine(
    "engine",
    llvm::cl::desc("How to run the main program (the --reference "
                   "program always runs in the interpreter):"),
    llvm::cl::values(
        clEnumValN(Engine::Interpreter, "interpreter",
                   "the reference interpreter (default)"),
        clEnumValN(Engine::Tiles, "tiles",
                   "the tile-level GPU code (mirage-lower-to-tiles), each "
                   "thread block run in turn on the CPU through MLIR's CPU "
                   "lowering and JIT"),
        clEnumValN(Engine::Threads, "threads",
                   "the thread-level GPU code (after "
                   "mirage-map-tiles-to-threads), every thread of a block "
                   "run in turn between barriers, on the CPU")),
    llvm::cl::init(Engine::Interpreter), llvm::cl::cat(category));
llvm::cl::opt<std::string> targetOption(
    "target",
    llvm::cl::desc("With --engine=tiles|threads or --export: the GPU the "
                   "code is for, whose limits the lowering checks (sm_80, "
                   "sm_86, sm_89, sm_90a, h200; default: the module's "
                   "mirage.target, else sm_90a)"),
    llvm::cl::value_desc("gpu"), llvm::cl::cat(category));
enum class Device { CPU, CUDA };
llvm::cl::opt<Device> device(
    "device", llvm::cl::desc("Where the main program runs:"),
    llvm::cl::values(
        clEnumValN(Device::CPU, "cpu",
                   "on this machine's CPU, with --engine (default)"),
        clEnumValN(Device::CUDA, "cuda",
                   "on the first CUDA GPU: compiled to PTX "
                   "(mirage-lower-to-ptx), packaged and launched through the "
                   "Mirage runtime")),
    llvm::cl::init(Device::CPU), llvm::cl::cat(category));
llvm::cl::opt<std::string> exportDir(
    "export",
    llvm::cl::desc("Compile the program to PTX for --target (default "
                   "sm_90a; with --device=cuda, the GPU's) and write its "
                   "kernel package (PTX, cubin when ptxas is found, "
                   "manifest.json) to DIR"),
    llvm::cl::value_desc("dir"), llvm::cl::cat(category));
llvm::cl::opt<bool> noRound(
    "no-round",
    llvm::cl::desc("Keep f32 precision in intermediate results instead of "
                   "rounding each op's result to its element type"),
    llvm::cl::cat(category));

/// Prints "mirage-run: error: ..." and returns the bad-input exit code.
int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "mirage-run") << message << "\n";
  return kBadInput;
}

/// A parsed program and its entry function.
struct Program {
  std::string path;
  /// Owns the file's buffer, which locations in the module refer to.
  std::unique_ptr<llvm::SourceMgr> sources;
  OwningOpRef<ModuleOp> module;
  func::FuncOp entry;
};

/// Parses `path` and finds the entry function `name` (or the only function
/// with a body). Diagnostics go to the context's handler.
FailureOr<Program> loadProgram(MLIRContext &context, StringRef path,
                               StringRef name) {
  Program program;
  program.path = path.str();
  if (!llvm::sys::fs::exists(path)) {
    fail("cannot open '" + path + "': no such file");
    return failure();
  }
  ParserConfig config(&context);
  program.sources = std::make_unique<llvm::SourceMgr>();
  program.module = parseSourceFile<ModuleOp>(path, *program.sources, config);
  if (!program.module)
    return failure();
  SmallVector<func::FuncOp> defined;
  for (auto func : program.module->getOps<func::FuncOp>())
    if (!func.isExternal())
      defined.push_back(func);
  auto names = [&] {
    return llvm::join(
        llvm::map_range(
            defined, [](func::FuncOp f) { return ("@" + f.getName()).str(); }),
        ", ");
  };
  if (!name.empty()) {
    program.entry = program.module->lookupSymbol<func::FuncOp>(name);
    if (!program.entry || program.entry.isExternal()) {
      fail("'" + path + "' has no function @" + name +
           (defined.empty() ? std::string(" (it defines no functions)")
                            : " (it defines " + names() + ")"));
      return failure();
    }
  } else if (defined.size() == 1) {
    program.entry = defined.front();
  } else {
    fail("'" + path + "' " +
         (defined.empty() ? std::string("defines no functions")
                          : "defines several functions (" + names() +
                                "); pick one with --entry"));
    return failure();
  }
  return program;
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// Parses "lo,hi".
FailureOr<std::pair<double, double>> parseRange(StringRef text) {
  auto [lo, hi] = text.split(',');
  double low, high;
  if (lo.trim().getAsDouble(low) || hi.trim().getAsDouble(high) ||
      !(low < high) || !std::isfinite(low) || !std::isfinite(high))
    return failure();
  return std::make_pair(low, high);
}

/// The range random values of argument `index` are drawn from.
std::pair<double, double> getInputRange(func::FuncOp func, unsigned index,
                                        std::pair<double, double> fallback) {
  if (inputRange.getNumOccurrences())
    return fallback;
  auto range = func.getArgAttrOfType<ArrayAttr>(index, kInputRangeAttrName);
  if (!range)
    return fallback;
  // The dialect verifier guarantees two floats, lo < hi.
  return {cast<FloatAttr>(range[0]).getValueAsDouble(),
          cast<FloatAttr>(range[1]).getValueAsDouble()};
}

struct Summary {
  double sum = 0, maxAbs = 0;
  int64_t nans = 0, infs = 0;
};

Summary summarize(const Tensor<float> &t) {
  Summary s;
  for (float x : t.getData()) {
    if (std::isnan(x)) {
      ++s.nans;
      continue;
    }
    if (std::isinf(x)) {
      ++s.infs;
      continue;
    }
    s.sum += x;
    s.maxAbs = std::max(s.maxAbs, static_cast<double>(std::fabs(x)));
  }
  return s;
}

double defaultRtol(ElementKind kind) {
  switch (kind) {
  case ElementKind::F16:
    return 1e-2;
  case ElementKind::BF16:
    return 3e-2;
  case ElementKind::F32:
    return 1e-4;
  }
  return 1e-2;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// `bytes` as "1.5 GiB".
std::string formatBytes(double bytes) {
  const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
  unsigned u = 0;
  while (bytes >= 1024 && u + 1 < std::size(units)) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? llvm::formatv("{0:f0} bytes", bytes).str()
                : llvm::formatv("{0:f1} {1}", bytes, units[u]).str();
}

/// Bytes of a tensor type's elements as the interpreter holds them (f32).
double getF32Bytes(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  double n = sizeof(float);
  for (int64_t d : shaped.getShape())
    n *= static_cast<double>(d);
  return n;
}

/// The most bytes of tensor values alive at once while the interpreter runs
/// `func`: its arguments throughout, each op's results from the op to their
/// last use (KernelGraphInterpreter::run frees them there), returned values
/// to the end. What any engine needs at least.
double estimatePeakBytes(func::FuncOp func) {
  if (func.getBody().empty())
    return 0;
  Block &body = func.getBody().front();
  double live = 0;
  for (Type type : func.getArgumentTypes())
    live += getF32Bytes(type);
  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : body)
    for (Value operand : op.getOperands())
      lastUse[operand] = &op;
  double peak = live;
  for (Operation &op : body) {
    if (isa<func::ReturnOp>(op))
      break;
    for (Value result : op.getResults())
      live += getF32Bytes(result.getType());
    peak = std::max(peak, live);
    llvm::SmallPtrSet<Value, 4> freed;
    for (Value operand : op.getOperands())
      if (lastUse.lookup(operand) == &op && operand.getDefiningOp() &&
          freed.insert(operand).second)
        live -= getF32Bytes(operand.getType());
  }
  return peak;
}

/// Bytes this process may allocate: physical memory and swap, or less under
/// a ulimit (-v, -d); 0 when unknown.
double getAvailableMemory() {
  double bytes = 0;
#ifdef __unix__
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages > 0 && pageSize > 0)
    bytes = static_cast<double>(pages) * pageSize;
  for (int resource : {RLIMIT_AS, RLIMIT_DATA}) {
    struct rlimit limit;
    if (getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      bytes = bytes > 0 ? std::min(bytes, static_cast<double>(limit.rlim_cur))
                        : static_cast<double>(limit.rlim_cur);
  }
#endif
  return bytes;
}

/// What the allocation-failure handler prints (set before any evaluation; the
/// handler must not allocate).
char outOfMemoryMessage[512] = "mirage-run: error: out of memory\n";

/// Ends the process with the bad-input status and a message, instead of
/// LLVM's "out of memory" abort, when an allocation fails despite the check
/// of checkMemory (the estimate is a lower bound).
[[noreturn]] void onBadAlloc(void *, const char *, bool) {
#ifdef __unix__
  ssize_t ignored =
      ::write(2, outOfMemoryMessage, std::strlen(outOfMemoryMessage));
  (void)ignored;
  ::_exit(kBadInput);
#else
  llvm::errs() << outOfMemoryMessage;
  std::_Exit(kBadInput);
#endif
}

/// Fails when running `what` needs more than the memory available; else
/// arms the allocation-failure handler's message with the need.
LogicalResult checkMemory(const Twine &what, double needed) {
  double available = getAvailableMemory();
  if (available > 0 && needed > available) {
    fail(what + " needs at least " + formatBytes(needed) +
         " of memory for its tensors (as f32), more than the " +
         formatBytes(available) + " available");
    return failure();
  }
  std::string message = ("mirage-run: error: out of memory: " + what +
                         " needs at least " + formatBytes(needed) +
                         " of memory for its tensors (as f32)\n")
                            .str();
  std::strncpy(outOfMemoryMessage, message.c_str(),
               sizeof(outOfMemoryMessage) - 1);
  return success();
}

FailureOr<SmallVector<Tensor<float>>>
evaluate(const Program &program, ArrayRef<Tensor<float>> inputs,
         double &seconds, Engine how = Engine::Interpreter) {
  if (how != Engine::Interpreter) {
    auto start = std::chrono::steady_clock::now();
    FailureOr<SmallVector<Tensor<float>>> outputs = runTileLevelOnHost(
        program.entry, inputs, targetOption, how == Engine::Threads);
    seconds = secondsSince(start);
    return outputs;
  }
  InterpreterOptions options;
  options.roundResults = !noRound;
  FloatInterpreter interpreter(FloatDomain(), options);
  auto start = std::chrono::steady_clock::now();
  FailureOr<SmallVector<Tensor<float>>> outputs =
      interpreter.run(program.entry, inputs);
  seconds = secondsSince(start);
  return outputs;
}

/// The PTX chip for a --target name, or empty.
StringRef chipForTarget(StringRef name) {
  const GpuTarget *target = lookupGpuTarget(name);
  if (!target)
    return "";
  return target->chip;
}

#if MIRAGE_HAVE_RUNTIME
/// Runs `program` on the first CUDA GPU: compiles it to a kernel package in
/// `packageDir` (for the GPU's chip unless --target says otherwise), loads
/// it and runs it on `inputs`. Prints why and fails when that cannot be
/// done (no driver, no GPU, a lowering error).
FailureOr<SmallVector<Tensor<float>>> runOnCuda(const Program &program,
                                                ArrayRef<Tensor<float>> inputs,
                                                StringRef packageDir,
                                                double &seconds) {
  MirageRtDevice dev = nullptr;
  if (mirageRtDeviceCreate(0, &dev) != MIRAGE_RT_SUCCESS) {
    fail(Twine("--device=cuda: ") + mirageRtGetLastError());
    return failure();
  }
  llvm::scope_exit destroyDevice([&] { mirageRtDeviceDestroy(dev); });
  std::string chip = chipForTarget(targetOption).str();
  if (targetOption.empty()) {
    int major = 0, minor = 0;
    mirageRtDeviceGetComputeCapability(dev, &major, &minor);
    chip = getChipForComputeCapability(major, minor).str();
    if (chip.empty()) {
      fail(llvm::formatv("--device=cuda: the GPU has compute capability "
                         "{0}.{1}; the lowering supports {2}",
                         major, minor, getSupportedChipNames()));
      return failure();
    }
  }
  if (failed(
          compileKernelPackage(func::FuncOp(program.entry), packageDir, chip)))
    return failure();
  MirageRtPackage package = nullptr;
  if (mirageRtPackageLoad(dev, packageDir.str().c_str(), &package) !=
      MIRAGE_RT_SUCCESS) {
    fail(Twine("--device=cuda: ") + mirageRtGetLastError());
    return failure();
  }
  llvm::scope_exit destroyPackage([&] { mirageRtPackageDestroy(package); });
  FunctionType type = func::FuncOp(program.entry).getFunctionType();
  auto kindOf = [](Type t) {
    return *getElementKind(cast<RankedTensorType>(t).getElementType());
  };
  // Raw element storage in, and out.
  std::vector<std::vector<uint8_t>> in, out;
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    in.push_back(encodeElements(inputs[i].getData(), kindOf(t)));
  for (Type t : type.getResults())
    out.emplace_back(cast<RankedTensorType>(t).getNumElements() *
                     getElementBytes(kindOf(t)));
  SmallVector<const void *> inPtrs;
  SmallVector<void *> outPtrs;
  for (auto &b : in)
    inPtrs.push_back(b.data());
  for (auto &b : out)
    outPtrs.push_back(b.data());
  auto start = std::chrono::steady_clock::now();
  if (mirageRtPackageRunHost(package, inPtrs.data(), inPtrs.size(),
                             outPtrs.data(),
                             outPtrs.size()) != MIRAGE_RT_SUCCESS) {
    fail(Twine("--device=cuda: ") + mirageRtGetLastError());
    return failure();
  }
  seconds = secondsSince(start);
  SmallVector<Tensor<float>> outputs;
  for (auto [i, t] : llvm::enumerate(type.getResults())) {
    Tensor<float> r(cast<RankedTensorType>(t).getShape());
    decodeElements(out[i].data(), kindOf(t), r.getData());
    outputs.push_back(std::move(r));
  }
  return outputs;
}
#endif

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::install_bad_alloc_error_handler(onBadAlloc);
#ifdef SIGXFSZ
  // A write past the file-size limit (ulimit -f) then fails with EFBIG and
  // is reported like a full disk, instead of killing the process through
  // the crash handler InitLLVM installed.
  std::signal(SIGXFSZ, SIG_IGN);
#endif
  llvm::cl::HideUnrelatedOptions(category);
  // Given a stream, the parser reports bad options there and returns false
  // (instead of exiting with 1, the code for "outputs differ").
  bool parsed = llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "mirage-run: evaluate a Mirage kernel graph on the CPU or a GPU\n\n"
      "Runs the reference interpreter (f32 arithmetic; each op's result "
      "rounded to its element type), or with --engine=tiles|threads the "
      "program's tile- or thread-level GPU code compiled for the CPU, or "
      "with --device=cuda its PTX on a GPU, on random inputs or .npy "
      "files, and "
      "prints each output's shape, dtype, checksum (sum of elements) and "
      "max |x|, flagging NaN and Inf. With --reference it runs a second "
      "program on the same inputs and prints, per output, the max absolute "
      "error and the max relative error max|out - ref| / max|ref|.\n\n"
      "Exit status: 0 success, 1 outputs differ beyond tolerance or are not "
      "finite, 2 bad input or options.\n",
      &llvm::errs());
  if (!parsed)
    return kBadInput;
  for (auto [name, option] : {std::pair<StringRef, llvm::cl::opt<double> *>{
                                  "rtol", &rtolOption},
                              {"atol", &atolOption}})
    if (option->getNumOccurrences() &&
        !(std::isfinite(option->getValue()) && option->getValue() >= 0))
      return fail(llvm::formatv("--{0} must be a finite number >= 0, got {1}",
                                name, llvm::format("%g", option->getValue())));

  DialectRegistry registry;
  registerMirageDialect(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Diagnostics load the file a location names on demand, so one handler
  // serves the main and the reference program.
  llvm::SourceMgr diagnosticSources;
  SourceMgrDiagnosticHandler diagnostics(diagnosticSources, &context);

  FailureOr<Program> main = loadProgram(context, inputFile, entryName);
  if (failed(main))
    return kBadInput;
  func::FuncOp entry = main->entry;
  FunctionType type = entry.getFunctionType();

  std::pair<double, double> range = {kDefaultInputLow, kDefaultInputHigh};
  if (inputRange.getNumOccurrences()) {
    FailureOr<std::pair<double, double>> parsed = parseRange(inputRange);
    if (failed(parsed))
      return fail("--input-range expects LO,HI with finite LO < HI, got '" +
                  inputRange + "'");
    range = *parsed;
  }

  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    auto tensorType = dyn_cast<RankedTensorType>(argType);
    if (!tensorType || !isKernelTensorType(tensorType))
      return fail(llvm::formatv("argument {0} of @{1} has type {2}; kernel "
                                "graphs take static tensors of f16, bf16 or "
                                "f32",
                                i, entry.getName(), typeString(argType)));
    if (std::optional<std::string> why = checkShapeLimits(
            tensorType.getShape(), tensorType.getElementType()))
      return fail(llvm::formatv("argument {0} of @{1} ({2}) is too large: {3}",
                                i, entry.getName(), typeString(argType),
                                *why));
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    if (!isKernelTensorType(resultType))
      return fail(llvm::formatv("@{0} returns {1}; kernel graphs return static "
                                "tensors of f16, bf16 or f32",
                                entry.getName(), typeString(resultType)));
    auto tensorType = cast<RankedTensorType>(resultType);
    if (std::optional<std::string> why = checkShapeLimits(
            tensorType.getShape(), tensorType.getElementType()))
      return fail(llvm::formatv("result {0} of @{1} ({2}) is too large: {3}",
                                i, entry.getName(), typeString(resultType),
                                *why));
  }
  // Refuse a program whose tensors cannot fit before allocating any.
  double mainPeakBytes = estimatePeakBytes(entry);
  if (failed(checkMemory("running @" + entry.getName(), mainPeakBytes)))
    return kBadInput;

  // Inputs.
  if (!inputNpy.empty() && inputNpy.size() != type.getNumInputs())
    return fail(llvm::formatv("@{0} takes {1} arguments but {2} --input files "
                              "were given",
                              entry.getName(), type.getNumInputs(),
                              inputNpy.size()));
  SmallVector<Tensor<float>> inputs;
  SmallVector<ElementKind> inputKinds;
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    auto tensorType = cast<RankedTensorType>(argType);
    ElementKind kind = *getElementKind(tensorType.getElementType());
    inputKinds.push_back(kind);
    if (!inputNpy.empty()) {
      llvm::Expected<Tensor<float>> loaded =
          loadTensorFromNpy(inputNpy[i], tensorType);
      if (!loaded)
        return fail(llvm::toString(loaded.takeError()));
      inputs.push_back(std::move(*loaded));
    } else {
      auto [lo, hi] = getInputRange(entry, i, range);
      inputs.push_back(
          makeRandomTensor(tensorType.getShape(), kind, seed, i, lo, hi));
    }
  }

  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    if (saveInputs)
      for (auto [i, input] : llvm::enumerate(inputs))
        if (llvm::Error err = saveTensorToNpy(
                (outputDir + "/input" + llvm::Twine(i) + ".npy").str(), input,
                inputKinds[i]))
          return fail(llvm::toString(std::move(err)));
  } else if (saveInputs) {
    return fail("--save-inputs needs --output-dir");
  }

  // The reference program, loaded before any long evaluation so that a bad
  // --reference is reported at once.
  std::optional<Program> reference;
  if (!referenceSpec.empty()) {
    // FILE[:ENTRY]; a ':' followed by a path separator belongs to the path.
    StringRef spec = referenceSpec;
    StringRef refPath = spec, refEntry = entryName;
    size_t colon = spec.rfind(':');
    if (colon != StringRef::npos && !spec.substr(colon + 1).contains('/')) {
      refPath = spec.take_front(colon);
      refEntry = spec.drop_front(colon + 1);
    }
    FailureOr<Program> loaded = loadProgram(context, refPath, refEntry);
    if (failed(loaded))
      return kBadInput;
    if (loaded->entry.getFunctionType() != type)
      return fail(llvm::formatv(
          "the reference @{0} in '{1}' has type {2} but @{3} has type {4}",
          loaded->entry.getName(), loaded->path,
          typeString(loaded->entry.getFunctionType()), entry.getName(),
          typeString(type)));
    reference = std::move(*loaded);
    // The reference runs after the main program, whose outputs stay.
    double outputBytes = 0;
    for (Type resultType : type.getResults())
      outputBytes += getF32Bytes(resultType);
    double needed = std::max(mainPeakBytes,
                             outputBytes + estimatePeakBytes(reference->entry));
    if (failed(checkMemory("running @" + entry.getName() + " and @" +
                               reference->entry.getName(),
                           needed)))
      return kBadInput;
  }

  double seconds = 0;
  if (!targetOption.empty() && chipForTarget(targetOption).empty())
    return fail("unknown --target '" + targetOption + "'; expected one of " +
                getGpuTargetNames());
  if (!exportDir.empty() && device == Device::CPU) {
    if (failed(compileKernelPackage(entry, exportDir,
                                    targetOption.empty()
                                        ? StringRef("sm_90a")
                                        : chipForTarget(targetOption))))
      return kBadInput;
    llvm::outs() << "kernel package of @" << entry.getName() << " written to "
                 << exportDir << "\n";
  }
  if (device == Device::CUDA && engine != Engine::Interpreter)
    return fail("--engine applies to --device=cpu");
  if (engine != Engine::Interpreter && noRound)
    return fail("--no-round applies to the interpreter, not to "
                "--engine=tiles or threads");
  FailureOr<SmallVector<Tensor<float>>> outputs = failure();
  if (device == Device::CUDA) {
#if MIRAGE_HAVE_RUNTIME
    SmallString<128> packageDir(exportDir);
    if (packageDir.empty() &&
        llvm::sys::fs::createUniqueDirectory("mirage-package", packageDir))
      return fail("cannot create a temporary directory for the kernel "
                  "package");
    outputs = runOnCuda(*main, inputs, packageDir, seconds);
#else
    return fail("this mirage-run was built without the GPU runtime (cuda.h "
                "was not found at configure time); --device=cuda is not "
                "available");
#endif
  } else {
    outputs = evaluate(*main, inputs, seconds, engine);
  }
  if (failed(outputs))
    return kBadInput;

  llvm::outs()
      << llvm::formatv(
             "@{0} in {1}: {2} in {3:f3} s on ", entry.getName(), main->path,
             device == Device::CUDA ? "compiled to PTX and run on the GPU"
             : engine == Engine::Tiles
                 ? "tile-level GPU code compiled and run on the CPU"
             : engine == Engine::Threads
                 ? "thread-level GPU code compiled and run on the CPU"
                 : "evaluated",
             seconds)
      << (inputNpy.empty()
              ? llvm::formatv("random inputs (seed {0})", seed.getValue()).str()
              : std::string(".npy inputs"))
      << "\n";
  for (auto [i, input] : llvm::enumerate(inputs)) {
    llvm::outs() << llvm::formatv("  input {0}: {1}", i,
                                  typeString(type.getInput(i)));
    if (inputNpy.empty()) {
      auto [lo, hi] = getInputRange(entry, i, range);
      llvm::outs() << llvm::formatv("  uniform in [{0}, {1})",
                                    llvm::format("%g", lo),
                                    llvm::format("%g", hi));
    } else {
      llvm::outs() << "  from " << inputNpy[i];
    }
    llvm::outs() << "\n";
  }
  bool nonFinite = false;
  for (auto [i, output] : llvm::enumerate(*outputs)) {
    Summary s = summarize(output);
    llvm::outs() << llvm::formatv("  output {0}: {1}  checksum {2:e6}  "
                                  "max|x| {3:e3}",
                                  i, typeString(type.getResult(i)), s.sum,
                                  s.maxAbs);
    if (s.nans || s.infs) {
      nonFinite = true;
      llvm::outs() << llvm::formatv("  WARNING: {0} NaN, {1} Inf", s.nans,
                                    s.infs);
    }
    llvm::outs() << "\n";
    if (!outputDir.empty()) {
      ElementKind kind = *getElementKind(
          cast<RankedTensorType>(type.getResult(i)).getElementType());
      if (llvm::Error err = saveTensorToNpy(
              (outputDir + "/output" + llvm::Twine(i) + ".npy").str(), output,
              kind))
        return fail(llvm::toString(std::move(err)));
    }
  }
  if (!reference)
    return kSuccess;

  FailureOr<SmallVector<Tensor<float>>> expected =
      evaluate(*reference, inputs, seconds);
  if (failed(expected))
    return kBadInput;
  llvm::outs() << llvm::formatv(
      "reference @{0} in {1}: evaluated in {2:f3} s\n",
      reference->entry.getName(), reference->path, seconds);
  bool pass = !nonFinite;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(*outputs, *expected))) {
    const Tensor<float> &out = std::get<0>(pair);
    const Tensor<float> &ref = std::get<1>(pair);
    ElementKind kind = *getElementKind(
        cast<RankedTensorType>(type.getResult(i)).getElementType());
    Summary refSummary = summarize(ref);
    double r = rtolOption.getNumOccurrences() ? rtolOption.getValue()
                                              : defaultRtol(kind);
    double a = atolOption.getNumOccurrences() ? atolOption.getValue()
                                              : r * refSummary.maxAbs;
    double maxAbsErr = 0;
    int64_t bad = 0;
    for (int64_t j = 0, e = out.getNumElements(); j < e; ++j) {
      double diff = std::fabs(static_cast<double>(out[j]) - ref[j]);
      if (!std::isfinite(out[j]) || !std::isfinite(ref[j]) ||
          !(diff <= a + r * std::fabs(ref[j]))) {
        ++bad;
        if (!std::isfinite(out[j]) || !std::isfinite(ref[j]))
          continue;
      }
      maxAbsErr = std::max(maxAbsErr, diff);
    }
    double relErr = refSummary.maxAbs > 0 ? maxAbsErr / refSummary.maxAbs
                                          : (maxAbsErr > 0 ? INFINITY : 0.0);
    llvm::outs() << llvm::formatv("  output {0}: max abs err {1:e3}  max rel "
                                  "err {2:e3}  (atol {3:e2}, rtol {4:e2}): ",
                                  i, maxAbsErr, relErr, a, r);
    if (refSummary.nans || refSummary.infs)
      llvm::outs() << llvm::formatv("reference has {0} NaN, {1} Inf; ",
                                    refSummary.nans, refSummary.infs);
    if (bad) {
      pass = false;
      llvm::outs() << llvm::formatv("{0} of {1} elements out of tolerance\n",
                                    bad, out.getNumElements());
    } else {
      llvm::outs() << "ok\n";
    }
  }
  if (nonFinite)
    llvm::outs() << "FAIL: the outputs contain NaN or Inf\n";
  else
    llvm::outs() << (pass ? "PASS" : "FAIL") << ": " << outputs->size()
                 << " output(s) compared with the reference\n";
  return pass ? kSuccess : kMismatch;
}
