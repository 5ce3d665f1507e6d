//===- HostTensor.h - Host tensors for mirage-runtime-run -------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tensors in host memory, in their device dtype, with what mirage-runtime-run
// does to them: seeded random fill, .npy files (both from MirageHostSupport,
// which mirage-run uses too, so that both tools feed a program the same
// inputs and write the same files), checksums. Free of LLVM, like the rest of
// the runtime; the f16/bf16 conversions come from the header-only
// Mirage/Support/HalfFloat.h.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_TOOLS_MIRAGE_RUNTIME_RUN_HOSTTENSOR_H
#define MIRAGE_RUNTIME_TOOLS_MIRAGE_RUNTIME_RUN_HOSTTENSOR_H

#include "mirage-runtime/Runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mirage {
namespace runtime {

/// A dense row-major tensor in host memory: `desc.sizeInBytes` bytes of
/// `desc.dtype` elements (f16 and bf16 as 16-bit patterns).
struct HostTensor {
  TensorDesc desc;
  std::vector<uint8_t> data;

  /// A zero-filled tensor of the given description.
  static HostTensor zeros(const TensorDesc &desc);
  /// Element `i`, widened to f32 (exactly).
  float get(int64_t i) const;
  /// Stores `value` at `i`, rounded to nearest even for f16 and bf16.
  void set(int64_t i, float value);
};

/// Fills `tensor` as mirage-run fills argument `argIndex`: element i is
/// uniform in [low, high), from SplitMix64 of the seed, argIndex and i, then
/// rounded to the dtype.
void fillRandom(HostTensor &tensor, uint64_t seed, unsigned argIndex,
                double low, double high);

/// The checksum mirage-run prints: the sum of the finite elements (in f64),
/// their max |x|, and the count of NaN and Inf elements.
struct Summary {
  double sum = 0, maxAbs = 0;
  int64_t nans = 0, infs = 0;
};
Summary summarize(const HostTensor &tensor);

/// Loads the .npy file `path` into `tensor`, whose `desc` says the shape and
/// dtype it must have: float16, float32 and float64 arrays are accepted and
/// rounded to the dtype (NumPy has no bfloat16: bf16 inputs take float32
/// files). Errors name the file and the mismatch.
bool loadNpy(const std::string &path, HostTensor &tensor, std::string &error);

/// Writes `tensor` to `path`: f16 as float16, f32 and bf16 as float32 (bf16
/// exactly, since every bf16 value is an f32), as mirage-run does. On failure
/// `path` is left as it was (mirage::support::writeNpy).
bool saveNpy(const std::string &path, const HostTensor &tensor,
             std::string &error);

} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_TOOLS_MIRAGE_RUNTIME_RUN_HOSTTENSOR_H
