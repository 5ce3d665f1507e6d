//===- FieldDomain.cpp - Finite-field fingerprints of tensors ---*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Verify/FieldDomain.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "mirage-support/RandomInputs.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/SipHash.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::mirage;
using ::mirage::support::splitMix64;

//===----------------------------------------------------------------------===//
// PrimeField
//===----------------------------------------------------------------------===//

PrimeField::PrimeField(uint64_t modulus) : m(modulus) {
  // −m^-1 mod 2^64 by Newton's iteration (each step doubles the correct
  // low bits).
  uint64_t inv = m;
  for (int i = 0; i < 6; ++i)
    inv *= 2 - m * inv;
  negInv = ~inv + 1;
  // 2^128 mod m, for conversion into Montgomery form.
  unsigned __int128 r = (static_cast<unsigned __int128>(1) << 64) % m;
  r2 = static_cast<uint64_t>((r * r) % m);
  oneMont = static_cast<uint64_t>(r);
}

uint64_t PrimeField::pow(uint64_t a, uint64_t e) const {
  uint64_t result = oneMont;
  while (e) {
    if (e & 1)
      result = mul(result, a);
    a = mul(a, a);
    e >>= 1;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// FieldDomain
//===----------------------------------------------------------------------===//

FieldDomain::FieldDomain(uint64_t seed) : fp(kFieldP), fq(kFieldQ) {
  uint64_t state = splitMix64(seed ^ 0x6d69726167652d76ull);
  for (unsigned i = 0; i < 16; i += 8) {
    state = splitMix64(state);
    std::memcpy(key.data() + i, &state, 8);
  }
  inputSeed = splitMix64(state + 1);
  // ω = g² for a random g ∉ {0, ±1}: a square other than 1 has order q,
  // since the group of squares has prime order q.
  uint64_t g;
  do {
    state = splitMix64(state + 2);
    g = state % kFieldP;
  } while (g < 2 || g == kFieldP - 1);
  uint64_t gm = fp.fromInteger(g);
  omega = fp.mul(gm, gm);
  omegaTable.resize(8 * 256);
  uint64_t base = omega;
  for (int i = 0; i < 8; ++i) {
    uint64_t power = fp.one();
    for (int j = 0; j < 256; ++j) {
      omegaTable[i * 256 + j] = power;
      power = fp.mul(power, base);
    }
    base = power; // ω^(256^(i+1))
  }
}

FieldDomain::FieldDomain(const FieldDomain &other)
    : fp(other.fp), fq(other.fq), omega(other.omega), key(other.key),
      inputSeed(other.inputSeed), omegaTable(other.omegaTable),
      degenerate(other.degenerate.load()) {}

uint64_t FieldDomain::omegaPower(uint64_t e) const {
  uint64_t result = fp.one();
  for (int i = 0; i < 8 && e; ++i, e >>= 8)
    if (e & 0xff)
      result = fp.mul(result, omegaTable[i * 256 + (e & 0xff)]);
  return result;
}

/// The p and q components of a uniform random value from two 64-bit words:
/// the top 62 (61) bits, used when below p (q). Returns false (redraw) with
/// probability below 2^-47, since 2^62 − p and 2^61 − q are about 2^13.
/// Any residue is as good as another in Montgomery form, so the bits are
/// used as Montgomery representations directly.
static bool uniformPair(uint64_t a, uint64_t b, FieldValue &out) {
  out.p = a >> 2;
  out.q = b >> 3;
  return out.p < kFieldP && out.q < kFieldQ;
}

FieldValue FieldDomain::oracle(uint8_t function, Scalar x, Scalar y,
                               uint64_t tweak) const {
  uint8_t input[42];
  input[0] = function;
  std::memcpy(input + 1, &x.p, 8);
  std::memcpy(input + 9, &x.q, 8);
  std::memcpy(input + 17, &y.p, 8);
  std::memcpy(input + 25, &y.q, 8);
  std::memcpy(input + 33, &tweak, 8);
  const uint8_t(&k)[16] = *reinterpret_cast<const uint8_t(*)[16]>(key.data());
  FieldValue result;
  for (uint8_t attempt = 0;; ++attempt) {
    input[41] = attempt;
    uint8_t out[16];
    llvm::getSipHash_2_4_128(llvm::ArrayRef<uint8_t>(input, sizeof(input)), k,
                             out);
    uint64_t words[2];
    std::memcpy(words, out, 16);
    if (uniformPair(words[0], words[1], result))
      return result;
  }
}

FieldValue FieldDomain::exp(Scalar x) const {
  FieldValue result = oracle(kExp, x);
  result.p = omegaPower(fq.toInteger(x.q));
  return result;
}

FieldValue FieldDomain::div(Scalar a, Scalar b) const {
  if (b.p == 0 || b.q == 0) {
    degenerate = true;
    return {};
  }
  return {fp.mul(a.p, fp.inverse(b.p)), fq.mul(a.q, fq.inverse(b.q))};
}

FieldValue FieldDomain::clamp(Scalar x, float lo, float hi) const {
  uint64_t tweak;
  uint32_t bits[2];
  std::memcpy(&bits[0], &lo, 4);
  std::memcpy(&bits[1], &hi, 4);
  std::memcpy(&tweak, bits, 8);
  return oracle(kClamp, x, {}, tweak);
}

/// The field element of a rational num/den (den > 0) in field `f`.
static uint64_t rational(const PrimeField &f, __int128 num, uint64_t den) {
  bool negative = num < 0;
  unsigned __int128 mag = negative ? -num : num;
  uint64_t n = f.fromInteger(static_cast<uint64_t>(mag % f.getModulus()));
  if (negative)
    n = f.neg(n);
  return f.mul(n, f.inverse(f.fromInteger(den)));
}

FieldValue FieldDomain::constant(double value) const {
  // Integers.
  if (std::nearbyint(value) == value && std::fabs(value) < 0x1p62) {
    __int128 n = static_cast<int64_t>(value);
    return {rational(fp, n, 1), rational(fq, n, 1)};
  }
  // 1/k, as a float or double rounds it.
  if (value != 0) {
    double k = std::nearbyint(1.0 / value);
    if (std::fabs(k) >= 1 && std::fabs(k) <= 0x1p24 &&
        (1.0 / k == value ||
         static_cast<float>(1.0 / k) == static_cast<float>(value))) {
      __int128 sign = k < 0 ? -1 : 1;
      uint64_t den = static_cast<uint64_t>(std::fabs(k));
      return {rational(fp, sign, den), rational(fq, sign, den)};
    }
  }
  // The exact dyadic rational m · 2^e, e < 0.
  int exponent;
  double mantissa = std::frexp(value, &exponent); // value = mantissa · 2^exp
  __int128 m = static_cast<int64_t>(std::ldexp(mantissa, 53));
  exponent -= 53;
  FieldValue result{rational(fp, m, 1), rational(fq, m, 1)};
  Scalar two = {fp.fromInteger(2), fq.fromInteger(2)};
  Scalar scale = exponent >= 0
                     ? Scalar{fp.pow(two.p, exponent), fq.pow(two.q, exponent)}
                     : Scalar{fp.inverse(fp.pow(two.p, -exponent)),
                              fq.inverse(fq.pow(two.q, -exponent))};
  return mul(result, scale);
}

FieldValue FieldDomain::randomInput(unsigned arg, uint64_t i) const {
  uint64_t stream = splitMix64(inputSeed ^ (uint64_t(arg) << 40));
  uint64_t a = splitMix64(stream + 2 * i), b = splitMix64(stream + 2 * i + 1);
  FieldValue result;
  // A redraw (probability < 2^-47) remixes the words.
  while (!uniformPair(a, b, result)) {
    a = splitMix64(a);
    b = splitMix64(b);
  }
  return result;
}

LogicalResult FieldDomain::checkSupported(Operation *op) const {
  if (auto reduce = dyn_cast<ReduceOp>(op))
    if (reduce.getKind() == ReduceKind::max)
      return emitError(op->getLoc(),
                       "the finite-field test cannot evaluate max "
                       "reductions (outside the LAX fragment)");
  if (isa<SoftmaxOp>(op))
    return emitError(op->getLoc(),
                     "the finite-field test needs softmax decomposed "
                     "(mirage-decompose)");
  if (auto kernel = dyn_cast<GraphKernelOp>(op)) {
    if (ForLoopOp loop = kernel.getForLoop()) {
      AccumulateOp acc = loop.getAccumulateOp();
      for (unsigned k = 0; k < acc.getValues().size(); ++k) {
        AccumulatorKind kind = acc.getKind(k);
        if (kind == AccumulatorKind::max ||
            kind == AccumulatorKind::rescaled_sum)
          return emitError(op->getLoc(),
                           "the finite-field test cannot evaluate max "
                           "or rescaled_sum accumulators");
      }
    }
  }
  return success();
}
