//===- TensorIO.cpp - Test inputs and .npy I/O for tensors ------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Interpreter/TensorIO.h"
#include "Mirage/Interpreter/Slicing.h"
#include "Mirage/Dialect/Mirage/IR/MirageOps.h"
#include "Mirage/Interpreter/FloatDomain.h"
#include "Mirage/Support/HalfFloat.h"
#include "mirage-support/Npy.h"
#include "mirage-support/RandomInputs.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mirage;

Tensor<float> mlir::mirage::makeRandomTensor(ArrayRef<int64_t> shape,
                                             ElementKind kind, uint64_t seed,
                                             unsigned argIndex, double low,
                                             double high) {
  return makeRandomTensor(shape, Box::whole(shape), kind, seed, argIndex, low,
                          high);
}

Tensor<float> mlir::mirage::makeRandomTensor(ArrayRef<int64_t> shape,
                                             const Box &box, ElementKind kind,
                                             uint64_t seed, unsigned argIndex,
                                             double low, double high) {
  Tensor<float> tensor(box.getShape());
  FloatDomain domain;
  forEachRowOfBox(shape, box, [&](int64_t at, int64_t whole, int64_t length) {
    // The values of elements whole .. whole + length - 1 of the whole tensor.
    float *values = tensor.begin() + at;
    ::mirage::support::fillRandomInputValues(seed, argIndex, whole, length,
                                             low, high, values);
    for (int64_t i = 0; i < length; ++i)
      values[i] = domain.store(values[i], kind);
  });
  return tensor;
}

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

llvm::Expected<Tensor<float>>
mlir::mirage::loadTensorFromNpy(StringRef path, RankedTensorType type) {
  FailureOr<ElementKind> kind = getElementKind(type.getElementType());
  if (failed(kind))
    return makeError(
        llvm::formatv("unsupported argument type {0}", typeToString(type)));
  ::mirage::support::NpyArray array;
  std::string error;
  if (!::mirage::support::readNpy(path.str(), array, error))
    return makeError(error);
  if (ArrayRef<int64_t>(array.shape) != type.getShape())
    return makeError(llvm::formatv(
        "'{0}' holds an array of shape ({1}) but the argument is {2}", path,
        array.shapeString(), typeToString(type)));

  Tensor<float> tensor(type.getShape());
  if (!::mirage::support::npyElementsToFloat(array, tensor.begin()))
    return makeError(llvm::formatv(
        "'{0}' holds {1} data; expected float16, float32 or float64", path,
        array.dtypeName()));
  FloatDomain domain;
  for (float &value : tensor.getData())
    value = domain.store(value, *kind);
  return tensor;
}

llvm::Error mlir::mirage::saveTensorToNpy(StringRef path,
                                          const Tensor<float> &tensor,
                                          ElementKind kind) {
  ::mirage::support::NpyArray array;
  array.kind = 'f';
  array.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  int64_t n = tensor.getNumElements();
  if (kind == ElementKind::F16) {
    array.itemSize = 2;
    array.data.resize(2 * n);
    for (int64_t i = 0; i < n; ++i) {
      uint16_t bits = floatToHalfBits(tensor[i]);
      std::memcpy(array.data.data() + 2 * i, &bits, 2);
    }
  } else {
    array.itemSize = 4;
    array.data.resize(4 * n);
    std::memcpy(array.data.data(), tensor.begin(), 4 * n);
  }
  std::string error;
  if (!::mirage::support::writeNpy(path.str(), array, error))
    return makeError(error);
  return llvm::Error::success();
}
