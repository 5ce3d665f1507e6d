//===- FloatDomain.h - Floating-point value domain --------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_INTERPRETER_FLOATDOMAIN_H
#define MIRAGE_INTERPRETER_FLOATDOMAIN_H

#include "Mirage/Interpreter/Tensor.h"
#include "Mirage/Support/HalfFloat.h"
#include "mlir/Support/LLVM.h"

#include <cmath>
#include <limits>

namespace mlir {
class Operation;
namespace mirage {

/// The value domain of reference (float) evaluation.
///
/// Every element is an f32 and all arithmetic is f32, whatever the tensors'
/// element type: f16 and bf16 values are widened exactly, computed on in f32
/// (matmul and reductions accumulate in f32, as tensor cores and Mirage's
/// kernels do), and each kernel-level result is rounded to its element type
/// by store(), round-to-nearest-even, as a GPU kernel writes it to memory.
///
/// A value domain is any class with this interface (the interpreter is a
/// template over it): a Scalar type, the constants and the arithmetic below,
/// store(), and checkSupported() to refuse ops the domain cannot express.
class FloatDomain {
public:
  using Scalar = float;

  /// A literal from the program (mul_scalar's scalar, rms_norm's eps and
  /// element count).
  Scalar constant(double value) const { return static_cast<float>(value); }
  Scalar zero() const { return 0.0f; }
  /// The identity of max: -inf.
  Scalar lowest() const { return -std::numeric_limits<float>::infinity(); }

  Scalar add(Scalar a, Scalar b) const { return a + b; }
  Scalar sub(Scalar a, Scalar b) const { return a - b; }
  Scalar mul(Scalar a, Scalar b) const { return a * b; }
  Scalar div(Scalar a, Scalar b) const { return a / b; }
  Scalar pow(Scalar a, Scalar b) const { return std::pow(a, b); }
  /// NaN-propagating maximum (as torch.max and numpy.maximum).
  Scalar max(Scalar a, Scalar b) const {
    return (a > b || std::isnan(a)) ? a : b;
  }

  Scalar exp(Scalar x) const { return std::exp(x); }
  Scalar sqrt(Scalar x) const { return std::sqrt(x); }
  Scalar rsqrt(Scalar x) const { return 1.0f / std::sqrt(x); }
  Scalar square(Scalar x) const { return x * x; }
  Scalar sigmoid(Scalar x) const { return 1.0f / (1.0f + std::exp(-x)); }
  Scalar silu(Scalar x) const { return x / (1.0f + std::exp(-x)); }
  /// Exact (erf) GELU, PyTorch's default.
  Scalar gelu(Scalar x) const {
    return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  }
  Scalar relu(Scalar x) const { return x > 0.0f ? x : (x == x ? 0.0f : x); }
  Scalar clamp(Scalar x, float lo, float hi) const {
    return std::isnan(x) ? x : std::fmin(std::fmax(x, lo), hi);
  }

  /// Rounds a result to the element type it is stored in.
  Scalar store(Scalar x, ElementKind kind) const {
    switch (kind) {
    case ElementKind::F16:
      return roundToHalf(x);
    case ElementKind::BF16:
      return roundToBFloat16(x);
    case ElementKind::F32:
      return x;
    }
    return x;
  }

  /// Float evaluation supports every kernel-level op.
  LogicalResult checkSupported(Operation *) const { return success(); }
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_FLOATDOMAIN_H
