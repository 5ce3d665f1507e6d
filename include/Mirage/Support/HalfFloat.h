//===- HalfFloat.h - f16 and bf16 conversions -------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Bit-exact conversions between f32 and the 16-bit float formats, with IEEE
// round-to-nearest-even, as the GPU's cvt.rn.f16.f32 / cvt.rn.bf16.f32 do.
// Header-only and free of LLVM/MLIR so that the GPU runtime can use it too.
// unittests/Support/HalfFloatTest.cpp checks them against llvm::APFloat.
//
// Formats: IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits; largest
// finite 65504) and bfloat16 (the top 16 bits of an f32: 1 sign, 8 exponent,
// 7 mantissa bits).
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_HALFFLOAT_H
#define MIRAGE_SUPPORT_HALFFLOAT_H

#include <cstdint>
#include <cstring>

namespace mlir {
namespace mirage {

namespace detail {
inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}
inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}
} // namespace detail

/// f32 -> binary16 bits, round to nearest even. Values at or above 65520 in
/// magnitude become infinity; NaN stays NaN (quiet).
inline uint16_t floatToHalfBits(float value) {
  uint32_t u = detail::floatBits(value);
  uint32_t sign = (u >> 16) & 0x8000u;
  u &= 0x7fffffffu;
  // |value| >= 2^16 (or inf/NaN): all exponent bits set in the result.
  if (u >= (127u + 16u) << 23)
    return static_cast<uint16_t>(sign | (u > 0x7f800000u ? 0x7e00u : 0x7c00u));
  // |value| < 2^-14: the result is subnormal or zero. Adding 0.5 aligns the
  // 10 result mantissa bits at the bottom of the f32 mantissa, and the FPU's
  // round-to-nearest-even does the rounding.
  if (u < 113u << 23) {
    constexpr uint32_t magic = 126u << 23; // 0.5f
    float aligned = detail::bitsFloat(u) + detail::bitsFloat(magic);
    return static_cast<uint16_t>(sign | (detail::floatBits(aligned) - magic));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to
  // nearest even; a carry out of the mantissa correctly bumps the exponent,
  // up to infinity.
  uint32_t mantissaOdd = (u >> 13) & 1u;
  u += ((15u - 127u) << 23) + 0xfffu + mantissaOdd;
  return static_cast<uint16_t>(sign | (u >> 13));
}

/// binary16 bits -> f32 (exact).
inline float halfBitsToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f) // inf or NaN
    return detail::bitsFloat(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return detail::bitsFloat(sign | detail::floatBits(magnitude));
  }
  return detail::bitsFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

/// f32 -> bfloat16 bits, round to nearest even; NaN stays NaN (quiet).
inline uint16_t floatToBFloat16Bits(float value) {
  uint32_t u = detail::floatBits(value);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

/// bfloat16 bits -> f32 (exact).
inline float bfloat16BitsToFloat(uint16_t bits) {
  return detail::bitsFloat(static_cast<uint32_t>(bits) << 16);
}

/// Rounds an f32 to the nearest f16 / bf16 value, returned as f32.
inline float roundToHalf(float value) {
  return halfBitsToFloat(floatToHalfBits(value));
}
inline float roundToBFloat16(float value) {
  return bfloat16BitsToFloat(floatToBFloat16Bits(value));
}

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_SUPPORT_HALFFLOAT_H
