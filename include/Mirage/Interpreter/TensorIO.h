//===- TensorIO.h - Test inputs and .npy I/O for tensors --------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_INTERPRETER_TENSORIO_H
#define MIRAGE_INTERPRETER_TENSORIO_H

#include "Mirage/Interpreter/Tensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

namespace mlir {
namespace mirage {

struct Box;

/// The default range of random test inputs.
inline constexpr double kDefaultInputLow = -0.5, kDefaultInputHigh = 0.5;

/// Random test input: element i of argument `argIndex` is uniform in
/// [low, high), from a counter-based generator (SplitMix64 of the seed, the
/// argument index and i; Steele et al., "Fast splittable pseudorandom number
/// generators", OOPSLA 2014), so the values do not depend on thread count or
/// platform. The generator is mirage-support/RandomInputs.h, which
/// mirage-runtime-run shares. Each value is rounded to `kind`, so it is
/// exactly representable in the argument's element type.
Tensor<float> makeRandomTensor(ArrayRef<int64_t> shape, ElementKind kind,
                               uint64_t seed, unsigned argIndex, double low,
                               double high);

/// The `box` of makeRandomTensor(shape, ...): the same values, made without
/// the rest of the tensor (Slicing.h).
Tensor<float> makeRandomTensor(ArrayRef<int64_t> shape, const Box &box,
                               ElementKind kind, uint64_t seed,
                               unsigned argIndex, double low, double high);

/// Loads a .npy file as the value of an argument of type `type`. float16,
/// float32 and float64 arrays are accepted and rounded to the element type
/// (NumPy has no bfloat16, so bf16 arguments take float32 or float64 files).
/// Errors name the file and the mismatch (shape, dtype).
llvm::Expected<Tensor<float>> loadTensorFromNpy(StringRef path,
                                                RankedTensorType type);

/// Writes a tensor as .npy: f16 as float16, f32 as float32, bf16 as float32
/// (exactly, since every bf16 value is an f32). All or nothing: on failure
/// (e.g. "cannot write '<path>': No space left on device") `path` keeps its
/// previous contents and no temporary file is left.
llvm::Error saveTensorToNpy(StringRef path, const Tensor<float> &tensor,
                            ElementKind kind);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_INTERPRETER_TENSORIO_H
