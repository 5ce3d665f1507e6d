//===- TileJit.h - Run tile-level GPU code on the CPU -----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiles a kernel graph through the tile-level GPU lowering
// (mirage-lower-to-host: convert-mirage-to-gpu, mirage-emulate-gpu-on-host,
// the upstream CPU lowering) and runs it with MLIR's ExecutionEngine, so the
// code a GPU kernel will run per thread block is checked on a machine with no
// GPU, against the reference interpreter.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_EXECUTION_TILEJIT_H
#define MIRAGE_EXECUTION_TILEJIT_H

#include "Mirage/Interpreter/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir {
namespace mirage {

/// Runs `func` (a kernel graph of static f16/bf16/f32 tensors) through the
/// tile-level lowering on the CPU. Inputs and outputs hold f32 values;
/// inputs are rounded to the argument's element type on the way in. Emits a
/// diagnostic and fails if the program does not lower or the JIT fails.
/// `target` names the GPU whose limits the lowering checks (empty: the
/// module's mirage.target, else sm_90a).
/// With `threadLevel`, the code run is the thread-level code
/// (mirage-map-tiles-to-threads), each block's threads emulated in turn
/// between barriers.
FailureOr<SmallVector<Tensor<float>>>
runTileLevelOnHost(func::FuncOp func, ArrayRef<Tensor<float>> inputs,
                   StringRef target = "", bool threadLevel = false);

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_EXECUTION_TILEJIT_H
