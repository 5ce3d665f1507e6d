//===- Pipelines.h - Mirage's lowering pipelines ----------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_CONVERSION_PIPELINES_H
#define MIRAGE_CONVERSION_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace mirage {

/// Options of the tile-level pipeline.
struct LowerToTilesOptions : public PassPipelineOptions<LowerToTilesOptions> {
  PassOptions::Option<std::string> target{
      *this, "target",
      llvm::cl::desc("GPU whose shared-memory limit applies (sm_80, sm_90a, "
                     "h200; empty: the module's mirage.target, else sm_90a)"),
      llvm::cl::init("")};
};

/// mirage-lower-to-tiles: a kernel graph (kernel-level ops or graph-defined
/// kernels) to tile-level GPU code: mirage-decompose,
/// mirage-expand-predefined-kernels, convert-mirage-to-gpu.
void buildLowerToTilesPipeline(OpPassManager &pm,
                               const LowerToTilesOptions &options);

/// mirage-lower-to-host: the tile-level GPU code of a kernel graph to the
/// LLVM dialect for the CPU (the tile-level pipeline, then
/// mirage-emulate-gpu-on-host and the upstream CPU lowering), ready for the
/// ExecutionEngine. Host functions get C interfaces (_mlir_ciface_<name>).
void buildLowerToHostPipeline(OpPassManager &pm,
                              const LowerToTilesOptions &options);

/// Registers the pipelines above with the pass registry.
void registerMiragePipelines();

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_CONVERSION_PIPELINES_H
