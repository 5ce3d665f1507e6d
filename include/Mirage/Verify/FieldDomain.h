//===- FieldDomain.h - Finite-field fingerprints of tensors -----*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The value domain of probabilistic equivalence tests (Mirage, OSDI 2025, §5,
// with larger primes): every value is a pair in Z_p × Z_q with q | p − 1.
//
//  - +, −, ·, / act on both components (division by zero marks the test
//    degenerate; it is then repeated with fresh randomness).
//  - exp(x) = ω^(x_q) in Z_p, with ω of order q, so exp(a + b) =
//    exp(a)·exp(b) there; its Z_q component is a random function of x (LAX
//    programs never take exp of an exp). The Z_q components of all values
//    thus form a random-oracle test of their own, which is what the
//    false-accept bound of docs/verification.md rests on.
//  - Every other non-polynomial function (sqrt, silu, gelu, relu, sigmoid,
//    clamp, pow) is a consistent random function of its argument pair:
//    SipHash-2-4 with a per-test key (Aumasson and Bernstein, 2012). rsqrt is
//    1/sqrt, so the two spellings agree.
//  - A program constant c (an f32 or f64 value) maps to the rational it
//    denotes: an integer, 1/k when c is the rounding of 1/k for an integer
//    k ≤ 2^24, or else the exact dyadic rational m·2^e.
//
// docs/verification.md derives the false-accept bound of a test.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_VERIFY_FIELDDOMAIN_H
#define MIRAGE_VERIFY_FIELDDOMAIN_H

#include "Mirage/Interpreter/Tensor.h"

#include "mlir/Support/LLVM.h"

#include <array>
#include <atomic>
#include <cstdint>

namespace mlir {
class Operation;
namespace mirage {

/// The primes: q = 2305843009213688669 (≈ 2^61) and p = 2q + 1 =
/// 4611686018427377339 (≈ 2^62), both prime, so q | p − 1 and the squares of
/// Z_p^* form the subgroup of order q.
inline constexpr uint64_t kFieldP = 4611686018427377339ull;
inline constexpr uint64_t kFieldQ = 2305843009213688669ull;

/// Arithmetic modulo an odd prime below 2^62, values kept in Montgomery form
/// (x·2^64 mod m) so a product needs no division.
class PrimeField {
public:
  explicit PrimeField(uint64_t modulus);

  uint64_t getModulus() const { return m; }
  uint64_t fromInteger(uint64_t x) const { return mul(x % m, r2); }
  uint64_t toInteger(uint64_t x) const { return reduce(x); }
  uint64_t zero() const { return 0; }
  uint64_t one() const { return oneMont; }

  uint64_t add(uint64_t a, uint64_t b) const {
    uint64_t s = a + b;
    return s >= m ? s - m : s;
  }
  uint64_t sub(uint64_t a, uint64_t b) const {
    return a >= b ? a - b : a + m - b;
  }
  uint64_t neg(uint64_t a) const { return a ? m - a : 0; }
  uint64_t mul(uint64_t a, uint64_t b) const {
    return reduce(static_cast<unsigned __int128>(a) * b);
  }
  /// a^e (e an ordinary integer).
  uint64_t pow(uint64_t a, uint64_t e) const;
  /// a^-1 (a ≠ 0), by Fermat's little theorem.
  uint64_t inverse(uint64_t a) const { return pow(a, m - 2); }

  /// For lazy matmul sums: `t` is a sum of at most 16 products of
  /// Montgomery-form values (each x·R · y·R) plus a previous reduced sum;
  /// returns the same sum, reduced below m, still scaled by R².
  unsigned __int128 reduceProductSum(unsigned __int128 t) const {
    return mul(redcWide(t), r2);
  }
  /// The Montgomery-form value of such a sum.
  uint64_t finishProductSum(unsigned __int128 t) const { return redcWide(t); }

private:
  /// Montgomery reduction of a value that may exceed m·2^64: the high word
  /// is reduced mod m first (t < 16·m² < 4m·2^64 for m < 2^62).
  uint64_t redcWide(unsigned __int128 t) const {
    uint64_t hi = static_cast<uint64_t>(t >> 64);
    while (hi >= m)
      hi -= m;
    return reduce((static_cast<unsigned __int128>(hi) << 64) |
                  static_cast<uint64_t>(t));
  }

  uint64_t reduce(unsigned __int128 t) const {
    uint64_t q = static_cast<uint64_t>(t) * negInv;
    unsigned __int128 u = (t + static_cast<unsigned __int128>(q) * m) >> 64;
    uint64_t r = static_cast<uint64_t>(u);
    return r >= m ? r - m : r;
  }

  uint64_t m, negInv, r2, oneMont;
};

/// A fingerprint value: components mod p and mod q, in Montgomery form.
struct FieldValue {
  uint64_t p = 0, q = 0;
  bool operator==(const FieldValue &other) const {
    return p == other.p && q == other.q;
  }
  bool operator!=(const FieldValue &other) const { return !(*this == other); }
};

/// The interpreter's value domain for one equivalence test.
class FieldDomain {
public:
  using Scalar = FieldValue;

  /// A domain whose randomness (ω, oracle key, inputs) derives from `seed`.
  explicit FieldDomain(uint64_t seed);
  FieldDomain(const FieldDomain &other);

  Scalar constant(double value) const;
  Scalar zero() const { return {}; }
  Scalar lowest() const { return {}; } // max is refused by checkSupported

  Scalar add(Scalar a, Scalar b) const {
    return {fp.add(a.p, b.p), fq.add(a.q, b.q)};
  }
  Scalar sub(Scalar a, Scalar b) const {
    return {fp.sub(a.p, b.p), fq.sub(a.q, b.q)};
  }
  Scalar mul(Scalar a, Scalar b) const {
    return {fp.mul(a.p, b.p), fq.mul(a.q, b.q)};
  }
  Scalar div(Scalar a, Scalar b) const;
  Scalar pow(Scalar a, Scalar b) const { return oracle(kPow, a, b); }
  Scalar max(Scalar a, Scalar) const { return a; }

  Scalar exp(Scalar x) const;
  Scalar sqrt(Scalar x) const { return oracle(kSqrt, x); }
  Scalar rsqrt(Scalar x) const { return div(one(), sqrt(x)); }
  Scalar square(Scalar x) const { return mul(x, x); }
  Scalar silu(Scalar x) const { return oracle(kSilu, x); }
  Scalar gelu(Scalar x) const { return oracle(kGelu, x); }
  Scalar relu(Scalar x) const { return oracle(kRelu, x); }
  Scalar sigmoid(Scalar x) const { return oracle(kSigmoid, x); }
  Scalar clamp(Scalar x, float lo, float hi) const;
  Scalar store(Scalar x, ElementKind) const { return x; }

  /// Refuses ops outside the fragment the test decides: max reductions,
  /// softmax (decompose it first), max and rescaled_sum accumulators.
  LogicalResult checkSupported(Operation *op) const;

  /// A uniformly random value (for inputs): element `i` of argument `arg`.
  Scalar randomInput(unsigned arg, uint64_t i) const;

  /// True once a division by zero happened; the test must be redone.
  bool isDegenerate() const { return degenerate.load(); }

  Scalar one() const { return {fp.one(), fq.one()}; }

  /// Lazy sums of products for matmul: products are added unreduced in 128
  /// bits and reduced every kLazySteps additions (p, q < 2^62, so 15
  /// products of values below 2^62 plus a reduced value fit in 128 bits).
  struct Accumulator {
    unsigned __int128 p = 0, q = 0;
  };
  static constexpr unsigned kLazySteps = 15;
  void accumulate(Accumulator &acc, Scalar a, Scalar b) const {
    acc.p += static_cast<unsigned __int128>(a.p) * b.p;
    acc.q += static_cast<unsigned __int128>(a.q) * b.q;
  }
  /// Reduces an accumulator, keeping it a sum of products.
  void normalize(Accumulator &acc) const {
    acc.p = fp.reduceProductSum(acc.p);
    acc.q = fq.reduceProductSum(acc.q);
  }
  /// The value of an accumulator.
  Scalar finish(const Accumulator &acc) const {
    return {fp.finishProductSum(acc.p), fq.finishProductSum(acc.q)};
  }

  const PrimeField &getFieldP() const { return fp; }
  const PrimeField &getFieldQ() const { return fq; }
  /// ω, an element of order q in Z_p^* (Montgomery form).
  uint64_t getOmega() const { return omega; }

private:
  enum Function : uint8_t {
    kExp = 1,
    kSqrt,
    kSilu,
    kGelu,
    kRelu,
    kSigmoid,
    kClamp,
    kPow
  };
  Scalar oracle(uint8_t function, Scalar x, Scalar y = {},
                uint64_t tweak = 0) const;
  /// ω^e for an exponent e in [0, q), with a table of ω^(j·256^i).
  uint64_t omegaPower(uint64_t e) const;

  PrimeField fp, fq;
  uint64_t omega;
  std::array<uint8_t, 16> key;
  uint64_t inputSeed;
  /// omegaTable[i][j] = ω^(j · 256^i), i < 8.
  std::vector<uint64_t> omegaTable;
  mutable std::atomic<bool> degenerate{false};
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_VERIFY_FIELDDOMAIN_H
