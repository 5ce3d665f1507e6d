//===- RunTool.cpp - mirage-runtime-run, as a function --------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs a kernel package on random or .npy inputs and prints what mirage-run
// prints for the same program on the CPU (same inputs for the same seed,
// same checksum format), so that the two can be compared line by line; with
// --repeat, also the latency measured with CUDA events.
//
//===----------------------------------------------------------------------===//

#include "RunTool.h"
#include "HostTensor.h"

#include "mirage-runtime/Runtime.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

using namespace mirage::runtime;

static const char kUsage[] =
    "usage: mirage-runtime-run PACKAGE_DIR [options]\n"
    "\n"
    "Runs a Mirage kernel package on a CUDA GPU and prints, per output, its\n"
    "type, checksum (sum of elements, in f64) and max |x|.\n"
    "\n"
    "options:\n"
    "  --device=N          CUDA device ordinal (default 0)\n"
    "  --seed=N            seed of the random inputs (default 0); input i is\n"
    "                      uniform in [-0.5, 0.5) or in the manifest's\n"
    "                      input_range, the values mirage-run uses\n"
    "  --input-range=LO,HI range of every random input instead\n"
    "  --input=FILE.npy    one per input, in order, instead of random values\n"
    "                      (float16, float32 or float64; C order)\n"
    "  --repeat=N          time N runs with CUDA events after the warm-up;\n"
    "                      prints the median, min and max latency\n"
    "  --warmup=N          untimed runs before timing (default 10)\n"
    "  --output-dir=DIR    write DIR/output<i>.npy (f16 as float16, bf16 and\n"
    "                      f32 as float32)\n"
    "  --save-inputs       also write DIR/input<i>.npy\n"
    "\n"
    "exit status: 0 success; 1 no driver or device, or a CUDA failure;\n"
    "2 bad option, package or .npy file\n";

namespace {
struct Options {
  std::string packageDir;
  int device = 0;
  uint64_t seed = 0;
  bool haveRange = false;
  double low = -0.5, high = 0.5;
  std::vector<std::string> inputs;
  int repeat = 0;
  int warmup = 10;
  std::string outputDir;
  bool saveInputs = false;
  bool help = false;
};
} // namespace

static bool parseUnsigned(const std::string &text, uint64_t max,
                          uint64_t &value) {
  if (text.empty() || text.size() > 20)
    return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    unsigned digit = c - '0';
    if (value > (max - digit) / 10)
      return false;
    value = value * 10 + digit;
  }
  return true;
}

static bool parseDouble(const std::string &text, double &value) {
  if (text.empty())
    return false;
  char *end = nullptr;
  errno = 0;
  value = std::strtod(text.c_str(), &end);
  return errno == 0 && end == text.c_str() + text.size() &&
         std::isfinite(value);
}

/// Fills `options`; on error sets `error` to a message naming the option.
static bool parseOptions(const std::vector<std::string> &args, Options &options,
                         std::string &error) {
  auto fail = [&](std::string message) {
    error = std::move(message);
    return false;
  };
  for (const std::string &arg : args) {
    auto value = [&](const char *name, std::string &out) {
      size_t length = std::strlen(name);
      if (arg.compare(0, length, name) != 0 || arg.size() <= length ||
          arg[length] != '=')
        return false;
      out = arg.substr(length + 1);
      return true;
    };
    std::string text;
    uint64_t number;
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (value("--device", text)) {
      if (!parseUnsigned(text, INT32_MAX, number))
        return fail("--device expects a device ordinal, found '" + text + "'");
      options.device = static_cast<int>(number);
    } else if (value("--seed", text)) {
      if (!parseUnsigned(text, UINT64_MAX, number))
        return fail("--seed expects a non-negative integer, found '" + text +
                    "'");
      options.seed = number;
    } else if (value("--repeat", text)) {
      if (!parseUnsigned(text, 1 << 24, number))
        return fail("--repeat expects a non-negative integer, found '" + text +
                    "'");
      options.repeat = static_cast<int>(number);
    } else if (value("--warmup", text)) {
      if (!parseUnsigned(text, 1 << 24, number))
        return fail("--warmup expects a non-negative integer, found '" + text +
                    "'");
      options.warmup = static_cast<int>(number);
    } else if (value("--input-range", text)) {
      size_t comma = text.find(',');
      if (comma == std::string::npos ||
          !parseDouble(text.substr(0, comma), options.low) ||
          !parseDouble(text.substr(comma + 1), options.high) ||
          !(options.low < options.high))
        return fail("--input-range expects LO,HI with LO < HI, found '" + text +
                    "'");
      options.haveRange = true;
    } else if (value("--input", text)) {
      options.inputs.push_back(text);
    } else if (value("--output-dir", text)) {
      options.outputDir = text;
    } else if (arg == "--save-inputs") {
      options.saveInputs = true;
    } else if (arg.compare(0, 1, "-") == 0) {
      return fail("unknown option '" + arg + "'");
    } else if (options.packageDir.empty()) {
      options.packageDir = arg;
    } else {
      return fail("more than one package directory ('" + options.packageDir +
                  "' and '" + arg + "')");
    }
  }
  if (options.help)
    return true;
  if (options.packageDir.empty())
    return fail("no package directory given");
  if (options.saveInputs && options.outputDir.empty())
    return fail("--save-inputs needs --output-dir");
  return true;
}

namespace {
/// Prints errors as "mirage-runtime-run: error: ..." and returns the exit
/// status to use.
struct Reporter {
  FILE *err;
  int fail(int exitStatus, const std::string &message) const {
    std::fprintf(err, "mirage-runtime-run: error: %s\n", message.c_str());
    return exitStatus;
  }
  int fail(const Status &status) const {
    return fail(status.code() == MIRAGE_RT_ERROR_INVALID_PACKAGE ||
                        status.code() == MIRAGE_RT_ERROR_INVALID_ARGUMENT
                    ? kRunToolBadInput
                    : kRunToolFailure,
                status.message());
  }
};
} // namespace

static std::string formatDouble(const char *format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

int mirage::runtime::runMirageRuntimeRun(const std::vector<std::string> &args,
                                         FILE *out, FILE *err) {
  Reporter report{err};
  Options options;
  std::string error;
  if (!parseOptions(args, options, error))
    return report.fail(kRunToolBadInput, error + " (see --help)");
  if (options.help) {
    std::fputs(kUsage, out);
    return kRunToolSuccess;
  }

  Device device;
  if (Status s = Device::open(options.device, device); !s.ok())
    return report.fail(s);
  Package package;
  if (Status s = Package::load(device, options.packageDir, package); !s.ok())
    return report.fail(s);

  // Inputs, on the host in their dtype.
  const std::vector<TensorDesc> &inputDescs = package.inputs();
  const std::vector<TensorDesc> &outputDescs = package.outputs();
  if (!options.inputs.empty() && options.inputs.size() != inputDescs.size())
    return report.fail(kRunToolBadInput,
                       "@" + package.functionName() + " takes " +
                           std::to_string(inputDescs.size()) + " inputs but " +
                           std::to_string(options.inputs.size()) +
                           " --input files were given");
  std::vector<HostTensor> inputs;
  std::vector<std::string> inputNotes;
  for (size_t i = 0; i < inputDescs.size(); ++i) {
    inputs.push_back(HostTensor::zeros(inputDescs[i]));
    if (!options.inputs.empty()) {
      if (!loadNpy(options.inputs[i], inputs.back(), error))
        return report.fail(kRunToolBadInput, error);
      inputNotes.push_back("from " + options.inputs[i]);
      continue;
    }
    auto [low, high] = options.haveRange
                           ? std::make_pair(options.low, options.high)
                           : package.inputRange(static_cast<int>(i));
    fillRandom(inputs.back(), options.seed, static_cast<unsigned>(i), low,
               high);
    inputNotes.push_back("uniform in [" + formatDouble("%g", low) + ", " +
                         formatDouble("%g", high) + ")");
  }

  // Device copies, run (or time), copy back.
  std::vector<DeviceBuffer> inputBuffers(inputs.size()),
      outputBuffers(outputDescs.size());
  std::vector<MirageRtDevicePtr> inputPtrs, outputPtrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (Status s = DeviceBuffer::allocate(device, inputs[i].data.size(),
                                          inputBuffers[i]);
        !s.ok())
      return report.fail(s);
    if (Status s =
            device.copyToDevice(inputBuffers[i].get(), inputs[i].data.data(),
                                inputs[i].data.size());
        !s.ok())
      return report.fail(s);
    inputPtrs.push_back(inputBuffers[i].get());
  }
  for (size_t i = 0; i < outputDescs.size(); ++i) {
    if (Status s = DeviceBuffer::allocate(
            device, static_cast<size_t>(outputDescs[i].sizeInBytes),
            outputBuffers[i]);
        !s.ok())
      return report.fail(s);
    outputPtrs.push_back(outputBuffers[i].get());
  }
  std::vector<float> latencies;
  if (options.repeat > 0) {
    if (Status s = package.time(inputPtrs, outputPtrs, nullptr, options.warmup,
                                options.repeat, latencies);
        !s.ok())
      return report.fail(s);
  } else {
    if (Status s = package.run(inputPtrs, outputPtrs); !s.ok())
      return report.fail(s);
  }
  if (Status s = device.synchronize(); !s.ok())
    return report.fail(s);
  std::vector<HostTensor> outputs;
  for (size_t i = 0; i < outputDescs.size(); ++i) {
    outputs.push_back(HostTensor::zeros(outputDescs[i]));
    if (Status s =
            device.copyToHost(outputs[i].data.data(), outputBuffers[i].get(),
                              outputs[i].data.size());
        !s.ok())
      return report.fail(s);
  }

  if (!options.outputDir.empty()) {
    if (::mkdir(options.outputDir.c_str(), 0777) != 0 && errno != EEXIST)
      return report.fail(kRunToolBadInput, "cannot create '" +
                                               options.outputDir +
                                               "': " + std::strerror(errno));
    for (size_t i = 0; i < outputs.size(); ++i)
      if (!saveNpy(options.outputDir + "/output" + std::to_string(i) + ".npy",
                   outputs[i], error))
        return report.fail(kRunToolBadInput, error);
    if (options.saveInputs)
      for (size_t i = 0; i < inputs.size(); ++i)
        if (!saveNpy(options.outputDir + "/input" + std::to_string(i) + ".npy",
                     inputs[i], error))
          return report.fail(kRunToolBadInput, error);
  }

  auto [major, minor] = device.computeCapability();
  std::fprintf(
      out,
      "@%s in %s: ran on %s (device %d, compute capability %d.%d) "
      "from the %s for %s, on %s\n",
      package.functionName().c_str(), options.packageDir.c_str(),
      device.name().c_str(), options.device, major, minor,
      package.binaryKind() == "cubin" ? "cubin" : "PTX", package.chip().c_str(),
      options.inputs.empty()
          ? ("random inputs (seed " + std::to_string(options.seed) + ")")
                .c_str()
          : ".npy inputs");
  for (size_t i = 0; i < inputs.size(); ++i)
    std::fprintf(out, "  input %zu: %s  %s\n", i, inputDescs[i].str().c_str(),
                 inputNotes[i].c_str());
  for (size_t i = 0; i < outputs.size(); ++i) {
    Summary s = summarize(outputs[i]);
    std::fprintf(out, "  output %zu: %s  checksum %.6e  max|x| %.3e", i,
                 outputDescs[i].str().c_str(), s.sum, s.maxAbs);
    if (s.nans || s.infs)
      std::fprintf(out, "  WARNING: %lld NaN, %lld Inf",
                   static_cast<long long>(s.nans),
                   static_cast<long long>(s.infs));
    std::fprintf(out, "\n");
  }
  if (!latencies.empty()) {
    std::vector<float> sorted = latencies;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double median = n % 2 ? sorted[n / 2]
                          : 0.5 * (double(sorted[n / 2 - 1]) + sorted[n / 2]);
    std::fprintf(out,
                 "  latency: median %.4g ms, min %.4g ms, max %.4g ms over %zu "
                 "runs (after %d warm-up runs)\n",
                 median, double(sorted.front()), double(sorted.back()), n,
                 options.warmup);
  }
  return kRunToolSuccess;
}
