//===- HostTensor.cpp - Host tensors for mirage-runtime-run ---------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"

#include "Mirage/Support/HalfFloat.h"
#include "mirage-support/Npy.h"
#include "mirage-support/RandomInputs.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mirage::runtime;
using mlir::mirage::bfloat16BitsToFloat;
using mlir::mirage::floatToBFloat16Bits;
using mlir::mirage::floatToHalfBits;
using mlir::mirage::halfBitsToFloat;

HostTensor HostTensor::zeros(const TensorDesc &desc) {
  HostTensor tensor;
  tensor.desc = desc;
  tensor.data.assign(static_cast<size_t>(desc.sizeInBytes), 0);
  return tensor;
}

float HostTensor::get(int64_t i) const {
  if (desc.dtype == MIRAGE_RT_F32) {
    float value;
    std::memcpy(&value, data.data() + 4 * i, 4);
    return value;
  }
  uint16_t bits;
  std::memcpy(&bits, data.data() + 2 * i, 2);
  return desc.dtype == MIRAGE_RT_F16 ? halfBitsToFloat(bits)
                                     : bfloat16BitsToFloat(bits);
}

void HostTensor::set(int64_t i, float value) {
  if (desc.dtype == MIRAGE_RT_F32) {
    std::memcpy(data.data() + 4 * i, &value, 4);
    return;
  }
  uint16_t bits = desc.dtype == MIRAGE_RT_F16 ? floatToHalfBits(value)
                                              : floatToBFloat16Bits(value);
  std::memcpy(data.data() + 2 * i, &bits, 2);
}

void mirage::runtime::fillRandom(HostTensor &tensor, uint64_t seed,
                                 unsigned argIndex, double low, double high) {
  // In chunks, to round each value to the dtype without a full f32 copy.
  constexpr int64_t kChunk = 1 << 16;
  std::vector<float> values(
      static_cast<size_t>(std::min<int64_t>(kChunk, tensor.desc.numElements)));
  for (int64_t begin = 0, e = tensor.desc.numElements; begin < e;
       begin += kChunk) {
    int64_t count = std::min(kChunk, e - begin);
    support::fillRandomInputValues(seed, argIndex, static_cast<uint64_t>(begin),
                                   static_cast<size_t>(count), low, high,
                                   values.data());
    for (int64_t i = 0; i < count; ++i)
      tensor.set(begin + i, values[i]);
  }
}

Summary mirage::runtime::summarize(const HostTensor &tensor) {
  Summary s;
  for (int64_t i = 0, e = tensor.desc.numElements; i < e; ++i) {
    float x = tensor.get(i);
    if (std::isnan(x)) {
      ++s.nans;
      continue;
    }
    if (std::isinf(x)) {
      ++s.infs;
      continue;
    }
    s.sum += x;
    s.maxAbs = std::max(s.maxAbs, static_cast<double>(std::fabs(x)));
  }
  return s;
}

bool mirage::runtime::loadNpy(const std::string &path, HostTensor &tensor,
                              std::string &error) {
  support::NpyArray array;
  if (!support::readNpy(path, array, error))
    return false;
  if (array.shape != tensor.desc.shape) {
    error = "'" + path + "' holds an array of shape (" + array.shapeString() +
            ") but the input is " + tensor.desc.str();
    return false;
  }
  std::vector<float> values(static_cast<size_t>(tensor.desc.numElements));
  if (!support::npyElementsToFloat(array, values.data())) {
    error = "'" + path + "' holds " + array.dtypeName() +
            " data; expected float16, float32 or float64";
    return false;
  }
  tensor.data.assign(static_cast<size_t>(tensor.desc.sizeInBytes), 0);
  for (int64_t i = 0, e = tensor.desc.numElements; i < e; ++i)
    tensor.set(i, values[i]);
  return true;
}

bool mirage::runtime::saveNpy(const std::string &path, const HostTensor &tensor,
                              std::string &error) {
  support::NpyArray array;
  array.kind = 'f';
  array.shape = tensor.desc.shape;
  int64_t n = tensor.desc.numElements;
  if (tensor.desc.dtype == MIRAGE_RT_BF16) {
    array.itemSize = 4;
    array.data.resize(4 * n);
    for (int64_t i = 0; i < n; ++i) {
      float value = tensor.get(i);
      std::memcpy(array.data.data() + 4 * i, &value, 4);
    }
  } else {
    array.itemSize = tensor.desc.dtype == MIRAGE_RT_F16 ? 2 : 4;
    array.data = tensor.data;
  }
  return support::writeNpy(path, array, error);
}
