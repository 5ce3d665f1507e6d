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
      llvm::cl::desc("GPU whose limits apply (sm_80, sm_86, sm_89, sm_90a, "
                     "h200; empty: the module's mirage.target, else sm_90a)"),
      llvm::cl::init("")};
};

/// mirage-lower-to-tiles: a kernel graph (kernel-level ops or graph-defined
/// kernels) to tile-level GPU code: mirage-decompose,
/// mirage-expand-predefined-kernels, convert-mirage-to-gpu.
void buildLowerToTilesPipeline(OpPassManager &pm,
                               const LowerToTilesOptions &options);

/// Options of the host pipeline.
struct LowerToHostOptions : public PassPipelineOptions<LowerToHostOptions> {
  PassOptions::Option<std::string> target{
      *this, "target",
      llvm::cl::desc("GPU whose limits apply (sm_80, sm_86, sm_89, sm_90a, "
                     "h200; empty: the module's mirage.target, else sm_90a)"),
      llvm::cl::init("")};
  PassOptions::Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Emulate the thread-level code (after "
                     "mirage-map-tiles-to-threads, every thread of a block in "
                     "turn between barriers) instead of the tile-level code"),
      llvm::cl::init(false)};
};

/// mirage-lower-to-host: the GPU code of a kernel graph, at tile level or
/// thread level, to the LLVM dialect for the CPU (mirage-lower-to-tiles,
/// optionally mirage-map-tiles-to-threads, mirage-emulate-gpu-on-host and the
/// upstream CPU lowering), ready for the ExecutionEngine. Host functions get
/// C interfaces (_mlir_ciface_<name>).
void buildLowerToHostPipeline(OpPassManager &pm,
                              const LowerToHostOptions &options);

/// Options of the PTX pipeline.
struct LowerToPTXOptions : public PassPipelineOptions<LowerToPTXOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("PTX target: sm_80 (A100), sm_86 (A10, RTX 30xx), "
                     "sm_89 (L4, RTX 40xx) or sm_90a (H100, H200)"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<int> optLevel{
      *this, "opt-level",
      llvm::cl::desc("LLVM optimization level of the NVPTX code (0-3)"),
      llvm::cl::init(3)};
};

/// mirage-lower-to-ptx: a kernel graph to a module whose gpu.binary holds
/// the PTX of every kernel (mirage-lower-to-tiles,
/// mirage-map-tiles-to-threads, then upstream gpu-lower-to-nvvm-pipeline with
/// bare-pointer kernel arguments), beside host functions that launch them.
void buildLowerToPTXPipeline(OpPassManager &pm,
                             const LowerToPTXOptions &options);

/// The GPU target (GpuTarget name) whose limits apply to a PTX chip, or
/// empty for a chip the lowering does not support (lookupGpuTargetForChip).
StringRef getTargetForChip(StringRef chip);

/// Registers the pipelines above with the pass registry.
void registerMiragePipelines();

} // namespace mirage
} // namespace mlir

#endif // MIRAGE_CONVERSION_PIPELINES_H
