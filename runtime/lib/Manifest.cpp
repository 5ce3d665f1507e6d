//===- Manifest.cpp - Kernel package manifests ----------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"
#include "Json.h"

#include <cmath>

using namespace mirage::runtime::detail;

bool mirage::runtime::detail::parseChip(std::string_view text, Chip &chip) {
  if (text.substr(0, 3) != "sm_")
    return false;
  text.remove_prefix(3);
  chip.suffix = 0;
  if (!text.empty() && (text.back() == 'a' || text.back() == 'f')) {
    chip.suffix = text.back();
    text.remove_suffix(1);
  }
  // Two or three digits: sm_80, sm_90, sm_100, sm_120.
  if (text.size() < 2 || text.size() > 3)
    return false;
  int number = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    number = number * 10 + (c - '0');
  }
  chip.major = number / 10;
  chip.minor = number % 10;
  return chip.major > 0;
}

bool mirage::runtime::detail::chipRunsOn(const Chip &chip, int major,
                                         int minor) {
  if (chip.suffix == 'a')
    return chip.major == major && chip.minor == minor;
  return chip.major == major && minor >= chip.minor;
}

bool mirage::runtime::detail::ptxRunsOn(const Chip &chip, int major,
                                        int minor) {
  if (chip.suffix)
    return chipRunsOn(chip, major, minor);
  return major > chip.major || (major == chip.major && minor >= chip.minor);
}

namespace {
/// Reads the manifest's JSON tree into a Manifest; the first problem found
/// becomes the error, pointing at the offending value.
class ManifestReader {
public:
  ManifestReader(const std::string &fileName, std::string &error)
      : fileName(fileName), error(error) {}

  bool read(const JsonValue &root, Manifest &manifest);

private:
  const std::string &fileName;
  std::string &error;

  bool fail(const JsonValue &at, const std::string &path,
            const std::string &message) {
    error = fileName + ":" + std::to_string(at.line) + ":" +
            std::to_string(at.column) + ": " +
            (path.empty() ? "" : path + ": ") + message;
    return false;
  }

  /// The member `key` of `object` (whose path is `path`), or nullptr after
  /// reporting that it is missing.
  const JsonValue *require(const JsonValue &object, const std::string &path,
                           const char *key) {
    if (const JsonValue *value = object.find(key))
      return value;
    fail(object, path,
         std::string("missing key \"") + key + "\"" +
             (path.empty() ? " in the manifest" : ""));
    return nullptr;
  }

  static std::string join(const std::string &path, const char *key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string index(const std::string &path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  bool readObject(const JsonValue &value, const std::string &path) {
    if (value.kind != JsonValue::Kind::Object)
      return fail(value, path, "expected an object, found " + value.describe());
    return true;
  }

  bool readArray(const JsonValue &value, const std::string &path) {
    if (value.kind != JsonValue::Kind::Array)
      return fail(value, path, "expected an array, found " + value.describe());
    return true;
  }

  bool readString(const JsonValue &value, const std::string &path,
                  std::string &out) {
    if (value.kind != JsonValue::Kind::String || value.string.empty())
      return fail(value, path,
                  "expected a non-empty string, found " + value.describe());
    out = value.string;
    return true;
  }

  bool readFileName(const JsonValue &value, const std::string &path,
                    std::string &out) {
    if (!readString(value, path, out))
      return false;
    if (out.front() == '/')
      return fail(value, path,
                  "expected a path relative to the package directory, "
                  "found \"" +
                      out + "\"");
    return true;
  }

  bool readInteger(const JsonValue &value, const std::string &path, int64_t min,
                   int64_t max, int64_t &out) {
    if (value.kind != JsonValue::Kind::Number || !value.isInteger ||
        value.integer < min || value.integer > max)
      return fail(value, path,
                  "expected an integer in [" + std::to_string(min) + ", " +
                      std::to_string(max) + "], found " + value.describe());
    out = value.integer;
    return true;
  }

  bool readDType(const JsonValue &value, const std::string &path,
                 MirageRtDType &dtype) {
    static const struct {
      const char *name;
      MirageRtDType dtype;
    } kDTypes[] = {{"f16", MIRAGE_RT_F16},
                   {"bf16", MIRAGE_RT_BF16},
                   {"f32", MIRAGE_RT_F32}};
    if (value.kind == JsonValue::Kind::String)
      for (const auto &known : kDTypes)
        if (value.string == known.name) {
          dtype = known.dtype;
          return true;
        }
    return fail(value, path,
                "expected \"f16\", \"bf16\" or \"f32\", found " +
                    value.describe());
  }

  bool readTensor(const JsonValue &value, const std::string &path, bool isInput,
                  TensorSpec &tensor);
  bool readTensors(const JsonValue &value, const std::string &path,
                   bool isInput, std::vector<TensorSpec> &tensors);
  bool readDims(const JsonValue &value, const std::string &path,
                const int64_t (&max)[3], unsigned (&dims)[3]);
  bool readKernel(const JsonValue &value, const std::string &path,
                  const Manifest &manifest, KernelSpec &kernel);
};
} // namespace

bool ManifestReader::readTensor(const JsonValue &value, const std::string &path,
                                bool isInput, TensorSpec &tensor) {
  if (!readObject(value, path))
    return false;
  const JsonValue *shape = require(value, path, "shape");
  if (!shape)
    return false;
  const JsonValue *dtype = require(value, path, "dtype");
  if (!dtype || !readDType(*dtype, join(path, "dtype"), tensor.dtype))
    return false;
  std::string shapePath = join(path, "shape");
  if (!readArray(*shape, shapePath))
    return false;
  // Sizes stay far below 2^62 bytes, so no product below can overflow.
  constexpr int64_t kMaxBytes = int64_t(1) << 62;
  int64_t elementSize = static_cast<int64_t>(mirageRtDTypeSize(tensor.dtype));
  tensor.numElements = 1;
  for (size_t i = 0; i < shape->elements.size(); ++i) {
    int64_t dim;
    if (!readInteger(shape->elements[i], index(shapePath, i), 1,
                     int64_t(1) << 40, dim))
      return false;
    if (tensor.numElements > kMaxBytes / elementSize / dim)
      return fail(*shape, shapePath, "the tensor is too large");
    tensor.numElements *= dim;
    tensor.shape.push_back(dim);
  }
  tensor.sizeInBytes = tensor.numElements * elementSize;

  if (const JsonValue *range = isInput ? value.find("input_range") : nullptr) {
    std::string rangePath = join(path, "input_range");
    if (range->kind != JsonValue::Kind::Array || range->elements.size() != 2 ||
        range->elements[0].kind != JsonValue::Kind::Number ||
        range->elements[1].kind != JsonValue::Kind::Number ||
        !(range->elements[0].number < range->elements[1].number) ||
        !std::isfinite(range->elements[0].number) ||
        !std::isfinite(range->elements[1].number))
      return fail(*range, rangePath,
                  "expected [low, high], two finite numbers with low < high");
    tensor.hasInputRange = true;
    tensor.inputLow = range->elements[0].number;
    tensor.inputHigh = range->elements[1].number;
  }
  return true;
}

bool ManifestReader::readTensors(const JsonValue &value,
                                 const std::string &path, bool isInput,
                                 std::vector<TensorSpec> &tensors) {
  if (!readArray(value, path))
    return false;
  tensors.resize(value.elements.size());
  for (size_t i = 0; i < tensors.size(); ++i)
    if (!readTensor(value.elements[i], index(path, i), isInput, tensors[i]))
      return false;
  return true;
}

bool ManifestReader::readDims(const JsonValue &value, const std::string &path,
                              const int64_t (&max)[3], unsigned (&dims)[3]) {
  if (value.kind != JsonValue::Kind::Array || value.elements.size() != 3)
    return fail(
        value, path,
        "expected an array of 3 positive integers (x, y, z), found " +
            (value.kind == JsonValue::Kind::Array
                 ? "an array of " + std::to_string(value.elements.size())
                 : value.describe()));
  for (size_t i = 0; i < 3; ++i) {
    int64_t dim;
    if (!readInteger(value.elements[i], index(path, i), 1, max[i], dim))
      return false;
    dims[i] = static_cast<unsigned>(dim);
  }
  return true;
}

bool ManifestReader::readKernel(const JsonValue &value, const std::string &path,
                                const Manifest &manifest, KernelSpec &kernel) {
  if (!readObject(value, path))
    return false;
  const JsonValue *name = require(value, path, "name");
  if (!name || !readString(*name, join(path, "name"), kernel.name))
    return false;

  // CUDA's launch limits (all compute capabilities since 3.0).
  const JsonValue *grid = require(value, path, "grid");
  if (!grid || !readDims(*grid, join(path, "grid"),
                         {(int64_t(1) << 31) - 1, 65535, 65535}, kernel.grid))
    return false;
  const JsonValue *block = require(value, path, "block");
  if (!block ||
      !readDims(*block, join(path, "block"), {1024, 1024, 64}, kernel.block))
    return false;
  int64_t threads =
      int64_t(kernel.block[0]) * kernel.block[1] * kernel.block[2];
  if (threads > 1024)
    return fail(*block, join(path, "block"),
                std::to_string(threads) +
                    " threads per block; CUDA allows at most 1024");

  const JsonValue *shared = require(value, path, "shared_memory_bytes");
  int64_t bytes;
  if (!shared || !readInteger(*shared, join(path, "shared_memory_bytes"), 0,
                              UINT32_MAX, bytes))
    return false;
  kernel.sharedMemoryBytes = static_cast<unsigned>(bytes);

  const JsonValue *args = require(value, path, "args");
  std::string argsPath = join(path, "args");
  if (!args || !readArray(*args, argsPath))
    return false;
  for (size_t i = 0; i < args->elements.size(); ++i) {
    const JsonValue &arg = args->elements[i];
    std::string argPath = index(argsPath, i);
    if (!readObject(arg, argPath))
      return false;
    const JsonValue *kind = require(arg, argPath, "kind");
    if (!kind)
      return false;
    const JsonValue *argIndex = require(arg, argPath, "index");
    if (!argIndex)
      return false;
    KernelArg parsed;
    size_t count;
    const char *noun;
    if (kind->kind == JsonValue::Kind::String && kind->string == "input") {
      parsed.kind = ArgKind::Input;
      count = manifest.inputs.size();
      noun = "input";
    } else if (kind->kind == JsonValue::Kind::String &&
               kind->string == "output") {
      parsed.kind = ArgKind::Output;
      count = manifest.outputs.size();
      noun = "output";
    } else if (kind->kind == JsonValue::Kind::String &&
               kind->string == "buffer") {
      parsed.kind = ArgKind::Buffer;
      count = manifest.buffers.size();
      noun = "buffer";
    } else {
      return fail(*kind, join(argPath, "kind"),
                  "expected \"input\", \"output\" or \"buffer\", found " +
                      kind->describe());
    }
    std::string indexPath = join(argPath, "index");
    if (argIndex->kind != JsonValue::Kind::Number || !argIndex->isInteger ||
        argIndex->integer < 0)
      return fail(*argIndex, indexPath,
                  "expected a non-negative integer, found " +
                      argIndex->describe());
    if (static_cast<uint64_t>(argIndex->integer) >= count)
      return fail(*argIndex, indexPath,
                  "there is no " + std::string(noun) + " " +
                      std::to_string(argIndex->integer) + ": the package has " +
                      std::to_string(count) + " " + noun +
                      (count == 1 ? "" : "s"));
    parsed.index = static_cast<int>(argIndex->integer);
    kernel.args.push_back(parsed);
  }
  return true;
}

bool ManifestReader::read(const JsonValue &root, Manifest &manifest) {
  if (root.kind != JsonValue::Kind::Object)
    return fail(root, "",
                "the manifest must be a JSON object, found " + root.describe());

  const JsonValue *format = require(root, "", "format");
  if (!format)
    return false;
  if (format->kind != JsonValue::Kind::String ||
      format->string != "mirage-kernel-package")
    return fail(*format, "format",
                "expected \"mirage-kernel-package\", found " +
                    format->describe() +
                    ": this is not a Mirage kernel "
                    "package");
  const JsonValue *version = require(root, "", "version");
  if (!version)
    return false;
  if (version->kind != JsonValue::Kind::Number || !version->isInteger)
    return fail(*version, "version",
                "expected an integer, found " + version->describe());
  if (version->integer != kManifestVersion)
    return fail(*version, "version",
                "this runtime reads version " +
                    std::to_string(kManifestVersion) +
                    " kernel packages, found version " +
                    std::to_string(version->integer));

  const JsonValue *function = require(root, "", "function");
  if (!function || !readString(*function, "function", manifest.function))
    return false;
  const JsonValue *chip = require(root, "", "chip");
  if (!chip || !readString(*chip, "chip", manifest.chip))
    return false;
  Chip parsedChip;
  if (!parseChip(manifest.chip, parsedChip))
    return fail(*chip, "chip",
                "expected a target such as \"sm_80\" or \"sm_90a\", found " +
                    chip->describe());
  const JsonValue *ptx = require(root, "", "ptx");
  if (!ptx || !readFileName(*ptx, "ptx", manifest.ptx))
    return false;
  // No cubin: the key is absent (or null, which a writer may find simpler).
  const JsonValue *cubin = root.find("cubin");
  if (cubin && cubin->kind != JsonValue::Kind::Null &&
      !readFileName(*cubin, "cubin", manifest.cubin))
    return false;

  const JsonValue *inputs = require(root, "", "inputs");
  if (!inputs || !readTensors(*inputs, "inputs", true, manifest.inputs))
    return false;
  const JsonValue *outputs = require(root, "", "outputs");
  if (!outputs || !readTensors(*outputs, "outputs", false, manifest.outputs))
    return false;
  // A package whose kernels need no intermediate tensor may omit "buffers".
  if (const JsonValue *buffers = root.find("buffers"))
    if (!readTensors(*buffers, "buffers", false, manifest.buffers))
      return false;

  const JsonValue *kernels = require(root, "", "kernels");
  if (!kernels || !readArray(*kernels, "kernels"))
    return false;
  if (kernels->elements.empty())
    return fail(*kernels, "kernels", "a package needs at least one kernel");
  manifest.kernels.resize(kernels->elements.size());
  for (size_t i = 0; i < manifest.kernels.size(); ++i)
    if (!readKernel(kernels->elements[i], index("kernels", i), manifest,
                    manifest.kernels[i]))
      return false;

  // An output that no kernel takes would come back uninitialized.
  std::vector<bool> written(manifest.outputs.size(), false);
  for (const KernelSpec &kernel : manifest.kernels)
    for (const KernelArg &arg : kernel.args)
      if (arg.kind == ArgKind::Output)
        written[arg.index] = true;
  for (size_t i = 0; i < written.size(); ++i)
    if (!written[i])
      return fail(outputs->elements[i], index("outputs", i),
                  "no kernel takes this output as an argument, so nothing "
                  "would write it");
  return true;
}

bool mirage::runtime::detail::parseManifest(std::string_view text,
                                            const std::string &fileName,
                                            Manifest &manifest,
                                            std::string &error) {
  JsonValue root;
  std::string jsonError;
  if (!parseJson(text, root, jsonError)) {
    error = fileName + ":" + jsonError;
    return false;
  }
  manifest = Manifest();
  ManifestReader reader(fileName, error);
  return reader.read(root, manifest);
}
