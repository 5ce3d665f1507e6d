//===- HalfFloatTest.cpp - f16/bf16 conversions against APFloat ---------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Support/HalfFloat.h"

#include "llvm/ADT/APFloat.h"
#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace mlir::mirage;

namespace {

/// The f16 (or bf16) bits LLVM's APFloat produces for `value`, with IEEE
/// round-to-nearest-even.
uint16_t apfloatBits(float value, const llvm::fltSemantics &semantics) {
  llvm::APFloat f(value);
  bool losesInfo;
  f.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

float fromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

TEST(HalfFloatTest, DecodesEveryHalfExactly) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    llvm::APFloat expected(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
    float got = halfBitsToFloat(static_cast<uint16_t>(bits));
    if (expected.isNaN()) {
      EXPECT_TRUE(std::isnan(got)) << "bits " << bits;
      continue;
    }
    EXPECT_EQ(got, expected.convertToFloat()) << "bits " << bits;
  }
}

TEST(HalfFloatTest, DecodesEveryBFloat16Exactly) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    llvm::APFloat expected(llvm::APFloat::BFloat(), llvm::APInt(16, bits));
    float got = bfloat16BitsToFloat(static_cast<uint16_t>(bits));
    if (expected.isNaN()) {
      EXPECT_TRUE(std::isnan(got)) << "bits " << bits;
      continue;
    }
    EXPECT_EQ(got, expected.convertToFloat()) << "bits " << bits;
  }
}

/// Every 4099th f32 bit pattern (about a million values, all exponents and
/// both signs), plus every value next to a half-way point between two f16
/// values, rounds exactly as APFloat rounds it.
TEST(HalfFloatTest, EncodesLikeAPFloat) {
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 4099) {
    float value = fromBits(static_cast<uint32_t>(bits));
    if (std::isnan(value))
      continue;
    ASSERT_EQ(floatToHalfBits(value),
              apfloatBits(value, llvm::APFloat::IEEEhalf()))
        << "value " << value;
    ASSERT_EQ(floatToBFloat16Bits(value),
              apfloatBits(value, llvm::APFloat::BFloat()))
        << "value " << value;
  }
}

TEST(HalfFloatTest, RoundsTiesToEven) {
  for (uint32_t bits = 0; bits < 0x7c00; ++bits) {
    // The midpoint between two consecutive halves, and its neighbours.
    float lo = halfBitsToFloat(static_cast<uint16_t>(bits));
    float hi = halfBitsToFloat(static_cast<uint16_t>(bits + 1));
    float mid = lo + (hi - lo) / 2; // exact in f32
    for (float v :
         {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, hi), -mid})
      ASSERT_EQ(floatToHalfBits(v), apfloatBits(v, llvm::APFloat::IEEEhalf()))
          << "value " << v;
  }
}

TEST(HalfFloatTest, SpecialValues) {
  float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(floatToHalfBits(65504.0f), 0x7bff); // largest finite half
  EXPECT_EQ(floatToHalfBits(65519.0f), 0x7bff); // below the half-way point
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7c00); // ties to even: infinity
  EXPECT_EQ(floatToHalfBits(inf), 0x7c00);
  EXPECT_EQ(floatToHalfBits(-inf), 0xfc00);
  EXPECT_EQ(floatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalfBits(5.9604644775390625e-8f), 0x0001); // 2^-24
  EXPECT_EQ(floatToHalfBits(2.98e-8f), 0x0000);               // below 2^-25
  EXPECT_TRUE(std::isnan(roundToHalf(std::nanf(""))));
  EXPECT_TRUE(std::isnan(roundToBFloat16(std::nanf(""))));
  EXPECT_EQ(roundToBFloat16(1.0f + 1.0f / 256), 1.0f); // tie, even mantissa
  EXPECT_EQ(roundToHalf(1.0f / 3), 0.333251953125f);
}

} // namespace
