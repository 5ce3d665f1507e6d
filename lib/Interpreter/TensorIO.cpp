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
#include "Mirage/Support/FileOutput.h"
#include "Mirage/Support/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mirage;

/// SplitMix64's output function (Steele, Lea and Flood 2014).
static uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

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
  uint64_t stream = splitMix64(splitMix64(seed) ^ (uint64_t(argIndex) << 32));
  FloatDomain domain;
  forEachRowOfBox(shape, box, [&](int64_t at, int64_t whole, int64_t length) {
    for (int64_t i = 0; i < length; ++i) {
      // 53 random bits of element `whole + i` -> a double uniform in [0, 1).
      double u =
          static_cast<double>(splitMix64(stream + uint64_t(whole + i)) >> 11) *
          0x1.0p-53;
      tensor[at + i] =
          domain.store(static_cast<float>(low + (high - low) * u), kind);
    }
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
  llvm::Expected<NpyArray> array = readNpy(path);
  if (!array)
    return array.takeError();
  if (ArrayRef<int64_t>(array->shape) != type.getShape())
    return makeError(llvm::formatv(
        "'{0}' holds an array of shape ({1}) but the argument is {2}", path,
        llvm::join(llvm::map_range(array->shape,
                                   [](int64_t d) { return std::to_string(d); }),
                   ", "),
        typeToString(type)));
  if (array->kind != 'f' ||
      (array->itemSize != 2 && array->itemSize != 4 && array->itemSize != 8))
    return makeError(llvm::formatv(
        "'{0}' holds {1} data; expected float16, float32 or float64", path,
        array->dtypeName()));

  Tensor<float> tensor(type.getShape());
  FloatDomain domain;
  const uint8_t *bytes = array->data.data();
  for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i) {
    float value;
    if (array->itemSize == 2) {
      uint16_t bits;
      std::memcpy(&bits, bytes + 2 * i, 2);
      value = halfBitsToFloat(bits);
    } else if (array->itemSize == 4) {
      std::memcpy(&value, bytes + 4 * i, 4);
    } else {
      double wide;
      std::memcpy(&wide, bytes + 8 * i, 8);
      value = static_cast<float>(wide);
    }
    tensor[i] = domain.store(value, *kind);
  }
  return tensor;
}

llvm::Error mlir::mirage::saveTensorToNpy(StringRef path,
                                          const Tensor<float> &tensor,
                                          ElementKind kind) {
  NpyArray array;
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
  std::string contents = serializeNpy(array);
  array.data = {};
  // Beside `path`, then renamed over it: a failed write (a full disk) leaves
  // no half-written .npy and is an error, not raw_fd_ostream's fatal one.
  return writeFileAtomically(path, [&](llvm::raw_ostream &os) { os << contents; });
}
