//===- RandomInputs.h - The seeded test inputs of every tool ----*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The random test inputs that mirage-run, the superoptimizer's float check,
// the Python package (through the interpreter) and mirage-runtime-run all
// feed a program, so that their checksums and .npy files agree bit for bit.
// Element i of argument a for seed s is
//
//   stream = splitMix64(splitMix64(s) ^ (a << 32))
//   u      = (splitMix64(stream + i) >> 11) * 2^-53          uniform in [0, 1)
//   value  = float(low + (high - low) * u)
//
// then rounded to the argument's element type by the caller. The generator is
// counter-based, so a value depends on (seed, argument, index) only, never on
// the number of threads or on how the caller splits the work.
//
// benchmarks/harness/inputs.py computes the same values in NumPy, for GPU
// hosts that have neither this library nor a compiler; the values pinned in
// runtime/support/unittests/RandomInputsTest.cpp and
// benchmarks/tests/test_inputs.py keep the two in step.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_RANDOMINPUTS_H
#define MIRAGE_SUPPORT_RANDOMINPUTS_H

#include <cstddef>
#include <cstdint>

namespace mirage {
namespace support {

/// SplitMix64's output function (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014): the generator's state
/// advanced by the golden gamma, then mixed. splitMix64(0) is
/// 0xe220a8397b1dcdaf, the reference generator's first output for state 0.
constexpr uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// The counter base of argument `argIndex`'s input for `seed`.
constexpr uint64_t randomInputStream(uint64_t seed, unsigned argIndex) {
  return splitMix64(splitMix64(seed) ^ (uint64_t(argIndex) << 32));
}

/// Element `index` of argument `argIndex`'s input for `seed`: uniform in
/// [low, high) before the rounding to float (which may reach `high`), and
/// before any rounding to f16 or bf16, which is the caller's.
float randomInputValue(uint64_t seed, unsigned argIndex, uint64_t index,
                       double low, double high);

/// Elements [begin, begin + count) of the same input, into `out[0..count)`:
/// what randomInputValue gives for each index, without the per-element call.
void fillRandomInputValues(uint64_t seed, unsigned argIndex, uint64_t begin,
                           size_t count, double low, double high, float *out);

} // namespace support
} // namespace mirage

#endif // MIRAGE_SUPPORT_RANDOMINPUTS_H
