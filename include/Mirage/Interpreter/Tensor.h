//===- Tensor.h - Dense tensors for the reference interpreter ---*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_INTERPRETER_TENSOR_H
#define MIRAGE_INTERPRETER_TENSOR_H

#include "mlir/IR/Types.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cassert>
#include <cstdint>
#include <vector>

namespace mlir {
namespace mirage {

/// The element types of kernel-level tensors.
enum class ElementKind { F16, BF16, F32 };

/// The kind of `type` (f16, bf16 or f32), or failure for any other type.
FailureOr<ElementKind> getElementKind(Type type);

/// "f16", "bf16" or "f32".
StringRef stringifyElementKind(ElementKind kind);

/// Bytes per element of `kind`: 2 for f16 and bf16, 4 for f32.
inline int64_t getElementBytes(ElementKind kind) {
  return kind == ElementKind::F32 ? 4 : 2;
}

/// `values` as the raw storage of `kind` elements, in host byte order (what
/// a device buffer or a memref of that type holds): f32 as is, f16 and bf16
/// rounded to nearest even.
std::vector<uint8_t> encodeElements(ArrayRef<float> values, ElementKind kind);

/// The elements of `kind` stored in `bytes` (values.size() of them), widened
/// exactly to f32 into `values`.
void decodeElements(const uint8_t *bytes, ElementKind kind,
                    MutableArrayRef<float> values);

/// Number of elements of a shape (1 for rank 0).
inline int64_t getNumElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Row-major (C-order) strides of a shape, in elements.
inline SmallVector<int64_t> getRowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// A dense, row-major tensor of domain values `T`: f32 for float evaluation,
/// field elements for fingerprinting.
template <typename T> class Tensor {
public:
  Tensor() = default;
  explicit Tensor(ArrayRef<int64_t> shape, T fill = T())
      : shape(shape.begin(), shape.end()),
        data(mirage::getNumElements(shape), fill) {}
  // Moves must be noexcept, or std::vector<Tensor> copies whole tensors when
  // it grows (SmallVector's move constructor is not declared noexcept).
  Tensor(const Tensor &) = default;
  Tensor(Tensor &&other) noexcept
      : shape(std::move(other.shape)), data(std::move(other.data)) {}
  Tensor &operator=(const Tensor &) = default;
  Tensor &operator=(Tensor &&other) noexcept {
    shape = std::move(other.shape);
    data = std::move(other.data);
    return *this;
  }
  Tensor(ArrayRef<int64_t> shape, std::vector<T> values)
      : shape(shape.begin(), shape.end()), data(std::move(values)) {
    assert(static_cast<int64_t>(data.size()) == mirage::getNumElements(shape) &&
           "value count does not match the shape");
  }

  ArrayRef<int64_t> getShape() const { return shape; }
  int64_t getRank() const { return shape.size(); }
  int64_t getNumElements() const { return data.size(); }

  MutableArrayRef<T> getData() { return data; }
  ArrayRef<T> getData() const { return data; }
  T *begin() { return data.data(); }
  T *end() { return data.data() + data.size(); }
  const T *begin() const { return data.data(); }
  const T *end() const { return data.data() + data.size(); }

  T &operator[](int64_t i) { return data[i]; }
  const T &operator[](int64_t i) const { return data[i]; }

  /// The element at a multi-dimensional index (for tests and debugging).
  const T &at(ArrayRef<int64_t> index) const {
    assert(index.size() == shape.size() && "index rank mismatch");
    int64_t offset = 0;
    for (size_t i = 0; i < shape.size(); ++i)
      offset = offset * shape[i] + index[i];
    return data[offset];
  }

private:
  SmallVector<int64_t, 4> shape;
  std::vector<T> data;
};

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_TENSOR_H
