//===- Interpreter.cpp - Float reference interpreter ------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Interpreter/InterpreterImpl.h"
#include "Mirage/Support/HalfFloat.h"

#include <cstring>

using namespace mlir;
using namespace mlir::mirage;

FailureOr<ElementKind> mlir::mirage::getElementKind(Type type) {
  if (type.isF16())
    return ElementKind::F16;
  if (type.isBF16())
    return ElementKind::BF16;
  if (type.isF32())
    return ElementKind::F32;
  return failure();
}

StringRef mlir::mirage::stringifyElementKind(ElementKind kind) {
  switch (kind) {
  case ElementKind::F16:
    return "f16";
  case ElementKind::BF16:
    return "bf16";
  case ElementKind::F32:
    return "f32";
  }
  return "?";
}

std::vector<uint8_t> mlir::mirage::encodeElements(ArrayRef<float> values,
                                                  ElementKind kind) {
  std::vector<uint8_t> bytes(values.size() * getElementBytes(kind));
  if (kind == ElementKind::F32) {
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t h = kind == ElementKind::F16 ? floatToHalfBits(values[i])
                                          : floatToBFloat16Bits(values[i]);
    std::memcpy(bytes.data() + 2 * i, &h, 2);
  }
  return bytes;
}

void mlir::mirage::decodeElements(const uint8_t *bytes, ElementKind kind,
                                  MutableArrayRef<float> values) {
  if (kind == ElementKind::F32) {
    std::memcpy(values.data(), bytes, values.size() * 4);
    return;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    uint16_t h;
    std::memcpy(&h, bytes + 2 * i, 2);
    values[i] =
        kind == ElementKind::F16 ? halfBitsToFloat(h) : bfloat16BitsToFloat(h);
  }
}

template class mlir::mirage::KernelGraphInterpreter<FloatDomain>;
