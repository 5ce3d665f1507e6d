//===- FieldDomainTest.cpp - Arithmetic of the fingerprint domain ---------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The finite-field domain checked against independent computations: the
// primes are primes (Miller–Rabin with a deterministic base set), Montgomery
// arithmetic agrees with plain 128-bit modular arithmetic, ω has order q,
// exp is a homomorphism on the Z_p side, random functions are consistent,
// and program constants map to the rationals they denote.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Verify/FieldDomain.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::mirage;

namespace {

using u128 = unsigned __int128;

uint64_t mulMod(uint64_t a, uint64_t b, uint64_t m) {
  return static_cast<uint64_t>(static_cast<u128>(a) * b % m);
}
uint64_t powMod(uint64_t a, uint64_t e, uint64_t m) {
  uint64_t r = 1 % m;
  for (a %= m; e; e >>= 1, a = mulMod(a, a, m))
    if (e & 1)
      r = mulMod(r, a, m);
  return r;
}
/// Deterministic Miller–Rabin for n < 3.3·10^24 (bases: the first 12 primes).
bool isPrime(uint64_t n) {
  if (n < 2)
    return false;
  uint64_t d = n - 1;
  int s = 0;
  while (!(d & 1)) {
    d >>= 1;
    ++s;
  }
  for (uint64_t a : {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37}) {
    if (a % n == 0)
      continue;
    uint64_t x = powMod(a, d, n);
    if (x == 1 || x == n - 1)
      continue;
    bool composite = true;
    for (int r = 1; r < s && composite; ++r) {
      x = mulMod(x, x, n);
      composite = x != n - 1;
    }
    if (composite)
      return false;
  }
  return true;
}

TEST(FieldDomainTest, PrimesAreLargePrimesWithQDividingPMinusOne) {
  EXPECT_TRUE(isPrime(kFieldP));
  EXPECT_TRUE(isPrime(kFieldQ));
  EXPECT_EQ((kFieldP - 1) % kFieldQ, 0u);
  EXPECT_GT(kFieldQ, uint64_t(1) << 60); // Mirage used p = 227, q = 113
  EXPECT_FALSE(isPrime(kFieldP + 2));    // the test itself can say no
}

TEST(FieldDomainTest, MontgomeryArithmeticMatchesPlainModularArithmetic) {
  std::mt19937_64 rng(7);
  for (uint64_t m : {kFieldP, kFieldQ}) {
    PrimeField f(m);
    for (int i = 0; i < 2000; ++i) {
      uint64_t a = rng() % m, b = rng() % m;
      uint64_t ma = f.fromInteger(a), mb = f.fromInteger(b);
      EXPECT_EQ(f.toInteger(ma), a);
      EXPECT_EQ(f.toInteger(f.add(ma, mb)), (a + b) % m);
      EXPECT_EQ(f.toInteger(f.sub(ma, mb)), (a + m - b) % m);
      EXPECT_EQ(f.toInteger(f.mul(ma, mb)), mulMod(a, b, m));
      EXPECT_EQ(f.toInteger(f.pow(ma, b)), powMod(a, b, m));
      if (a != 0) {
        EXPECT_EQ(f.toInteger(f.mul(ma, f.inverse(ma))), 1u);
      }
    }
    // Extremes.
    EXPECT_EQ(f.toInteger(f.add(f.fromInteger(m - 1), f.one())), 0u);
    EXPECT_EQ(f.toInteger(f.mul(f.fromInteger(m - 1), f.fromInteger(m - 1))),
              1u);
  }
}

TEST(FieldDomainTest, LazyProductSumsMatchReducedSums) {
  // What the interpreter's matmul does: sum products unreduced, normalize
  // every kLazySteps terms.
  FieldDomain d(3);
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    FieldDomain::Accumulator acc;
    FieldValue expected = d.zero();
    for (unsigned k = 0; k < 100; ++k) {
      FieldValue a = d.randomInput(0, rng()), b = d.randomInput(1, rng());
      d.accumulate(acc, a, b);
      expected = d.add(expected, d.mul(a, b));
      if ((k + 1) % FieldDomain::kLazySteps == 0)
        d.normalize(acc);
    }
    EXPECT_EQ(d.finish(acc), expected);
  }
}

TEST(FieldDomainTest, OmegaHasOrderQ) {
  for (uint64_t seed : {0, 1, 2, 99}) {
    FieldDomain d(seed);
    const PrimeField &fp = d.getFieldP();
    EXPECT_NE(d.getOmega(), fp.one());
    EXPECT_EQ(fp.pow(d.getOmega(), kFieldQ), fp.one());
    // q is prime, so ω ≠ 1 with ω^q = 1 has order exactly q.
  }
}

TEST(FieldDomainTest, ExpIsAHomomorphismOnTheZpSide) {
  FieldDomain d(5);
  for (uint64_t i = 0; i < 200; ++i) {
    FieldValue a = d.randomInput(0, i), b = d.randomInput(1, i);
    FieldValue lhs = d.exp(d.add(a, b));
    FieldValue rhs = d.mul(d.exp(a), d.exp(b));
    EXPECT_EQ(lhs.p, rhs.p);
    // The Z_q side is a random function: exp(a + b) is independent of
    // exp(a)·exp(b) there (equal with probability 1/q).
    EXPECT_NE(lhs.q, rhs.q);
    // exp(0) = 1 on the Z_p side; exp(-a) = 1 / exp(a).
    EXPECT_EQ(d.mul(d.exp(a), d.exp(d.sub(d.zero(), a))).p,
              d.getFieldP().one());
  }
  EXPECT_EQ(d.exp(d.zero()).p, d.getFieldP().one());
}

TEST(FieldDomainTest, RandomFunctionsAreConsistentAndIndependent) {
  FieldDomain d(8), same(8), other(9);
  FieldValue x = d.randomInput(0, 1), y = d.randomInput(0, 2);
  EXPECT_EQ(d.sqrt(x), same.sqrt(x));
  EXPECT_EQ(d.silu(x), d.silu(x));
  EXPECT_NE(d.sqrt(x), d.sqrt(y));
  EXPECT_NE(d.sqrt(x), d.silu(x));
  EXPECT_NE(d.gelu(x), d.sigmoid(x));
  EXPECT_NE(d.relu(x), d.relu(y));
  EXPECT_NE(d.sqrt(x), other.sqrt(x));
  EXPECT_NE(d.clamp(x, -1, 1), d.clamp(x, -2, 1));
  EXPECT_NE(d.pow(x, y), d.pow(y, x));
  // rsqrt is 1/sqrt, so the two spellings agree.
  EXPECT_EQ(d.mul(d.rsqrt(x), d.sqrt(x)), d.one());
}

TEST(FieldDomainTest, ConstantsMapToTheRationalsTheyDenote) {
  FieldDomain d(1);
  auto c = [&](double v) { return d.constant(v); };
  EXPECT_EQ(c(0), d.zero());
  EXPECT_EQ(c(1), d.one());
  EXPECT_EQ(d.add(c(-2), c(2)), d.zero());
  EXPECT_EQ(d.mul(c(0.125), c(8)), d.one());
  EXPECT_EQ(d.mul(c(-2.5), c(2)), c(-5));
  // 1/k rounded to f32 or f64 maps to exactly 1/k.
  EXPECT_EQ(d.mul(c(static_cast<float>(1.0 / 3)), c(3)), d.one());
  EXPECT_EQ(d.mul(c(1.0 / 4096), c(4096)), d.one());
  EXPECT_EQ(d.mul(c(static_cast<float>(1e-6)), c(1000000)), d.one());
  EXPECT_EQ(d.mul(c(static_cast<float>(1.0 / 4096 / 3)), c(12288)), d.one());
  // Anything else: the exact dyadic value (0.3 is not 3/10 in binary).
  EXPECT_NE(d.mul(c(0.3), c(10)), c(3));
  EXPECT_EQ(d.mul(c(0.75), c(4)), c(3));
  // Distinct constants are distinct.
  EXPECT_NE(c(0.125), c(0.12500001));
}

TEST(FieldDomainTest, RandomInputsAreDeterministicAndSpread) {
  FieldDomain d(4), same(4), other(5);
  for (uint64_t i = 0; i < 100; ++i) {
    FieldValue v = d.randomInput(0, i);
    EXPECT_EQ(v, same.randomInput(0, i));
    EXPECT_NE(v, other.randomInput(0, i));
    EXPECT_NE(v, d.randomInput(1, i));
    EXPECT_NE(v, d.randomInput(0, i + 1));
    EXPECT_LT(v.p, kFieldP);
    EXPECT_LT(v.q, kFieldQ);
  }
}

TEST(FieldDomainTest, DivisionByZeroMarksTheTestDegenerate) {
  FieldDomain d(2);
  EXPECT_FALSE(d.isDegenerate());
  FieldValue x = d.randomInput(0, 0);
  EXPECT_EQ(d.mul(d.div(x, x), d.one()), d.one());
  EXPECT_FALSE(d.isDegenerate());
  d.div(x, d.zero());
  EXPECT_TRUE(d.isDegenerate());
}

} // namespace
