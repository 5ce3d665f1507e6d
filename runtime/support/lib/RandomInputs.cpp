//===- RandomInputs.cpp - The seeded test inputs of every tool ------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Out of line, and compiled with -ffp-contract=off (runtime/support/
// CMakeLists.txt), on purpose: `low + (high - low) * u` must be a multiply
// then an add, each rounded, as NumPy computes it. GCC contracts it into one
// fused multiply-add wherever the target has FMA (aarch64 hosts such as
// Grace, x86 with -march=native), which would change the last bit of some
// inputs if this were an inline function in each caller's translation unit.
//
//===----------------------------------------------------------------------===//

#include "mirage-support/RandomInputs.h"

using namespace mirage::support;

/// One element from its stream; `u` is 53 random bits, exactly a double in
/// [0, 1).
static float valueAt(uint64_t stream, uint64_t index, double low, double high) {
  double u = static_cast<double>(splitMix64(stream + index) >> 11) * 0x1.0p-53;
  return static_cast<float>(low + (high - low) * u);
}

float mirage::support::randomInputValue(uint64_t seed, unsigned argIndex,
                                        uint64_t index, double low,
                                        double high) {
  return valueAt(randomInputStream(seed, argIndex), index, low, high);
}

void mirage::support::fillRandomInputValues(uint64_t seed, unsigned argIndex,
                                            uint64_t begin, size_t count,
                                            double low, double high,
                                            float *out) {
  uint64_t stream = randomInputStream(seed, argIndex);
  for (size_t i = 0; i < count; ++i)
    out[i] = valueAt(stream, begin + i, low, high);
}
