//===- PrintSharedMemoryPlan.cpp - Report the shared-memory assignment ----===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mirage-print-shared-memory-plan: see its description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryAssignment.h"
#include "Mirage/Conversion/Passes.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir {
namespace mirage {
#define GEN_PASS_DEF_MIRAGEPRINTSHAREDMEMORYPLAN
#include "Mirage/Conversion/Passes.h.inc"
} // namespace mirage
} // namespace mlir

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// Reports `memory`, the assignment of `kernel`, as remarks.
void report(GraphKernelOp kernel, const SharedMemoryAssignment &memory,
            const GpuTarget &gpu) {
  const SmallVector<TileBuffer> &buffers = memory.buffers;
  // Tiles, not slots: a second slot repeats its first slot's padding.
  llvm::DenseSet<unsigned> secondSlots;
  for (const DoubleBuffer &entry : memory.doubleBuffers)
    secondSlots.insert(entry.slots[1]);
  unsigned padded = 0;
  for (auto [i, buffer] : llvm::enumerate(buffers))
    padded += buffer.shared && buffer.used && buffer.rowPadding &&
              !secondSlots.contains(i);
  kernel.emitRemark() << "shared memory: " << memory.plan.size << " bytes of "
                      << gpu.sharedMemoryPerBlock << " (" << gpu.device << "), "
                      << padded << " tiles padded, "
                      << memory.doubleBuffers.size() << " double-buffered";
  auto describe = [&](Value tile) {
    auto it = memory.bufferOf.find(tile);
    if (it == memory.bufferOf.end())
      return;
    const TileBuffer &buffer = buffers[it->second];
    auto type = cast<TileType>(tile.getType());
    Operation *at = tile.getDefiningOp();
    std::string shape;
    llvm::raw_string_ostream os(shape);
    for (int64_t d : type.getShape())
      os << d << "x";
    os << type.getElementType();
    InFlightDiagnostic remark = at->emitRemark() << "tile " << shape << ": ";
    if (!buffer.shared) {
      remark << "private (f32 registers)";
      return;
    }
    int64_t offset = memory.plan.offsets[it->second];
    remark << "bytes [" << offset << ", " << offset + buffer.getSharedBytes()
           << "), live at points " << buffer.start << "-" << buffer.end;
    if (buffer.rowPadding)
      remark << ", rows padded by " << buffer.rowPadding << " elements";
    for (const DoubleBuffer &entry : memory.doubleBuffers)
      if (entry.slots[0] == it->second) {
        int64_t second = memory.plan.offsets[entry.slots[1]];
        remark << ", second slot at bytes [" << second << ", "
               << second + buffer.getSharedBytes() << ")";
      }
  };
  kernel.getBodyBlock().walk([&](Operation *op) {
    for (Value result : op->getResults())
      if (isa<TileType>(result.getType()))
        describe(result);
  });
}

struct MiragePrintSharedMemoryPlanPass
    : mirage::impl::MiragePrintSharedMemoryPlanBase<
          MiragePrintSharedMemoryPlanPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    const GpuTarget *gpu = resolveGpuTarget(module, target);
    if (!gpu)
      return signalPassFailure();
    WalkResult result = module.walk([&](GraphKernelOp kernel) {
      SharedMemoryAssignment memory;
      if (failed(memory.run(kernel, *gpu, doubleBuffer)))
        return WalkResult::interrupt();
      report(kernel, memory, *gpu);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
