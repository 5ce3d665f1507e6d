//===- Manifest.h - Kernel package manifests --------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// manifest.json of a kernel package (docs/kernel-package.md), read into plain
// structs and checked completely before any of it reaches the driver, so that
// a bad package gives an error naming the key and line, not a CUDA failure.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_LIB_MANIFEST_H
#define MIRAGE_RUNTIME_LIB_MANIFEST_H

#include "mirage-runtime/mirage_runtime.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mirage {
namespace runtime {
namespace detail {

/// The kernel-package format version this runtime reads.
inline constexpr int64_t kManifestVersion = 1;

/// The range of random test inputs when the manifest gives none, as in
/// mirage-run.
inline constexpr double kDefaultInputLow = -0.5, kDefaultInputHigh = 0.5;

/// A dense row-major tensor: an input, an output or a buffer.
struct TensorSpec {
  /// Sizes in elements, each >= 1.
  std::vector<int64_t> shape;
  MirageRtDType dtype = MIRAGE_RT_F32;
  int64_t numElements = 1;
  int64_t sizeInBytes = 0;
  /// Optional "input_range" of an input: the range of its random test
  /// values, [low, high), low < high.
  bool hasInputRange = false;
  double inputLow = 0, inputHigh = 0;
};

enum class ArgKind { Input, Output, Buffer };

/// One kernel parameter: a device pointer to input, output or buffer
/// `index`.
struct KernelArg {
  ArgKind kind = ArgKind::Input;
  int index = 0;
};

struct KernelSpec {
  std::string name;
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  /// Dynamic shared memory per block, in bytes.
  unsigned sharedMemoryBytes = 0;
  std::vector<KernelArg> args;
};

struct Manifest {
  std::string function;
  /// The PTX target, e.g. "sm_90a".
  std::string chip;
  /// File names relative to the package directory; `cubin` is empty when
  /// the package has none.
  std::string ptx, cubin;
  std::vector<TensorSpec> inputs, outputs, buffers;
  std::vector<KernelSpec> kernels;
};

/// Parses and checks a manifest. On error returns false and sets `error` to
/// "FILE:LINE:COLUMN: KEY: what is wrong", where FILE is `fileName` and KEY
/// the path of the offending value (e.g. "kernels[1].grid"). Keys the format
/// does not define are ignored, so that later versions can add optional
/// ones.
bool parseManifest(std::string_view text, const std::string &fileName,
                   Manifest &manifest, std::string &error);

/// A PTX target: "sm_90a" is {9, 0, 'a'}, "sm_120" is {12, 0, 0}.
struct Chip {
  int major = 0, minor = 0;
  /// 'a' (architecture-specific), 'f' (family-specific) or 0.
  char suffix = 0;
};

/// Parses "sm_<major><minor>[a|f]"; false if `text` is not of that form.
bool parseChip(std::string_view text, Chip &chip);

/// Whether a cubin compiled for `chip` runs on a device of compute
/// capability major.minor: an 'a' target only on exactly that capability;
/// otherwise on the same major version with a minor version at least as
/// large (NVIDIA's binary compatibility rule).
bool chipRunsOn(const Chip &chip, int major, int minor);

/// Whether PTX for `chip` can be JIT-compiled for a device of compute
/// capability major.minor: an 'a' target only for exactly that capability,
/// an 'f' target within its major version, a plain one for any capability
/// at least as high. Only used to explain a JIT failure: the driver decides.
bool ptxRunsOn(const Chip &chip, int major, int minor);

} // namespace detail
} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_LIB_MANIFEST_H
