//===- GpuTarget.cpp - What Mirage knows about each GPU ---------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Target/GpuTarget.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::mirage;

// CUDA C++ Programming Guide, compute capability 8.0: 163 KB of shared memory
// per block (opt-in), 164 KB per SM; 9.0: 227 KB per block, 228 KB per SM.
static constexpr int64_t kKB = 1024;

static const GpuTarget kA100 = {"sm_80",
                                "sm_80",
                                "NVIDIA A100-SXM4-80GB",
                                163 * kKB,
                                164 * kKB,
                                1024,
                                /*numSMs=*/108,
                                /*hbmBytesPerSecond=*/2.039e12,
                                /*tensorCoreFlops=*/312e12,
                                /*cudaCoreFlops=*/19.5e12,
                                /*l2Bytes=*/40 * kKB *kKB,
                                /*hasWarpgroupMma=*/false};

static const GpuTarget kH100 = {"sm_90a",
                                "sm_90a",
                                "NVIDIA H100 SXM5",
                                227 * kKB,
                                228 * kKB,
                                1024,
                                /*numSMs=*/132,
                                /*hbmBytesPerSecond=*/3.35e12,
                                /*tensorCoreFlops=*/989e12,
                                /*cudaCoreFlops=*/67e12,
                                /*l2Bytes=*/50 * kKB *kKB,
                                /*hasWarpgroupMma=*/true};

static const GpuTarget kH200 = {"h200",
                                "sm_90a",
                                "NVIDIA H200 SXM",
                                227 * kKB,
                                228 * kKB,
                                1024,
                                /*numSMs=*/132,
                                /*hbmBytesPerSecond=*/4.8e12,
                                /*tensorCoreFlops=*/989e12,
                                /*cudaCoreFlops=*/67e12,
                                /*l2Bytes=*/50 * kKB *kKB,
                                /*hasWarpgroupMma=*/true};

const GpuTarget &mlir::mirage::getDefaultGpuTarget() { return kH100; }

const GpuTarget *mlir::mirage::lookupGpuTarget(llvm::StringRef name) {
  return llvm::StringSwitch<const GpuTarget *>(name.lower())
      .Cases({"sm_80", "a100"}, &kA100)
      .Cases({"sm_90a", "sm_90", "h100"}, &kH100)
      .Case("h200", &kH200)
      .Default(nullptr);
}

std::string mlir::mirage::getGpuTargetNames() {
  return "sm_80 (a100), sm_90a (sm_90, h100), h200";
}

const GpuTarget &mlir::mirage::getGpuTargetFor(Operation *op) {
  for (; op; op = op->getParentOp())
    if (auto name = op->getAttrOfType<StringAttr>(kTargetAttrName))
      if (const GpuTarget *target = lookupGpuTarget(name.getValue()))
        return *target;
  return getDefaultGpuTarget();
}

const GpuTarget *mlir::mirage::resolveGpuTarget(Operation *op,
                                                llvm::StringRef option) {
  if (option.empty())
    return &getGpuTargetFor(op);
  const GpuTarget *target = lookupGpuTarget(option);
  if (!target)
    op->emitError() << "unknown target '" << option << "'; expected one of "
                    << getGpuTargetNames();
  return target;
}
