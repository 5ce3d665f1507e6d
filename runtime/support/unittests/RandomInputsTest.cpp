//===- RandomInputsTest.cpp - The seeded test inputs of every tool --------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "mirage-support/RandomInputs.h"

#include "gtest/gtest.h"

#include <cstring>
#include <vector>

using namespace mirage::support;

namespace {

// The reference SplitMix64 (Vigna's splitmix64.c) from state 0 outputs
// e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f.
static_assert(splitMix64(0) == 0xe220a8397b1dcdafull);
static_assert(splitMix64(0x9e3779b97f4a7c15ull) == 0x6e789e6aa1b965f4ull);
static_assert(splitMix64(2 * 0x9e3779b97f4a7c15ull) == 0x06c45d188009454full);

uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

// Pinned values: a change here changes every checksum that mirage-run and
// mirage-runtime-run print, and breaks agreement with the NumPy generator
// (benchmarks/harness/inputs.py), whose test pins the same values
// (benchmarks/tests/test_inputs.py).
TEST(RandomInputsTest, PinnedValues) {
  EXPECT_EQ(randomInputStream(0, 0), 0xa706dd2f4d197e6full);
  EXPECT_EQ(randomInputStream(3, 1), 0x68878205e7330a4cull);
  EXPECT_EQ(randomInputStream(~0ull, 7), 0xc664503fff2b9f07ull);
  EXPECT_EQ(bitsOf(randomInputValue(0, 0, 0, -0.5, 0.5)), 0xbeb8fb15u);
  EXPECT_EQ(bitsOf(randomInputValue(3, 1, 12345, -0.5, 0.5)), 0x3e3941adu);
  EXPECT_EQ(bitsOf(randomInputValue(~0ull, 7, 1ull << 40, -0.5, 0.5)),
            0xbe948a6eu);
  EXPECT_EQ(bitsOf(randomInputValue(5, 2, 1, -2.0, 3.0)), 0xbf987aa3u);
}

TEST(RandomInputsTest, FillIsElementwise) {
  // Any split of the indices gives the same values, which is what lets the
  // interpreter fill a tensor in parallel chunks.
  std::vector<float> values(1000);
  fillRandomInputValues(9, 4, 123456789, values.size(), -1.0, 2.0,
                        values.data());
  for (size_t i = 0; i < values.size(); ++i)
    ASSERT_EQ(bitsOf(values[i]),
              bitsOf(randomInputValue(9, 4, 123456789 + i, -1.0, 2.0)))
        << i;
  // The counter wraps around 2^64 without a seam.
  fillRandomInputValues(1, 0, ~0ull - 1, 4, 0.0, 1.0, values.data());
  EXPECT_EQ(bitsOf(values[3]), bitsOf(randomInputValue(1, 0, 1, 0.0, 1.0)));
}

TEST(RandomInputsTest, UniformInTheRange) {
  std::vector<float> values(10000);
  fillRandomInputValues(0, 0, 0, values.size(), 2.0, 2.5, values.data());
  double sum = 0;
  for (float x : values) {
    ASSERT_GE(x, 2.0f);
    ASSERT_LE(x, 2.5f); // The rounding to float may reach the bound.
    sum += x;
  }
  // U(2, 2.5): mean 2.25, standard error 0.0014 for 10,000 samples.
  EXPECT_NEAR(sum / values.size(), 2.25, 0.01);
  EXPECT_NE(randomInputValue(0, 0, 0, 0, 1), randomInputValue(1, 0, 0, 0, 1));
  EXPECT_NE(randomInputValue(0, 0, 0, 0, 1), randomInputValue(0, 1, 0, 0, 1));
}

} // namespace
