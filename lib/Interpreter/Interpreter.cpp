//===- Interpreter.cpp - Float reference interpreter ------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Interpreter/Interpreter.h"
#include "Mirage/Interpreter/InterpreterImpl.h"

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

template class mlir::mirage::KernelGraphInterpreter<FloatDomain>;
