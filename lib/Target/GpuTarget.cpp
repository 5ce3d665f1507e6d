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

// CUDA C++ Programming Guide, "Technical Specifications per Compute
// Capability": shared memory per block (opt-in) and per SM: 8.0: 163 KB and
// 164 KB; 8.6 and 8.9: 99 KB and 100 KB; 9.0: 227 KB and 228 KB. Every
// compute capability since 3.0 allows blocks of up to 1024 threads
// (1024 x 1024 x 64) and grids of up to 2^31 - 1 x 65535 x 65535 blocks.
static constexpr int64_t kKB = 1024;
static constexpr std::array<int64_t, 3> kMaxBlockSize = {1024, 1024, 64};
static constexpr std::array<int64_t, 3> kMaxGridSize = {(int64_t(1) << 31) - 1,
                                                        65535, 65535};

static const GpuTarget kA100 = {"sm_80",
                                "sm_80",
                                "NVIDIA A100-SXM4-80GB",
                                163 * kKB,
                                164 * kKB,
                                1024,
                                kMaxBlockSize,
                                kMaxGridSize,
                                /*numSMs=*/108,
                                /*hbmBytesPerSecond=*/2.039e12,
                                /*tensorCoreFlops=*/312e12,
                                /*cudaCoreFlops=*/19.5e12,
                                /*l2Bytes=*/40 * kKB * kKB,
                                /*hasWarpgroupMma=*/false};

static const GpuTarget kA10 = {"sm_86",
                               "sm_86",
                               "NVIDIA A10",
                               99 * kKB,
                               100 * kKB,
                               1024,
                               kMaxBlockSize,
                               kMaxGridSize,
                               /*numSMs=*/72,
                               /*hbmBytesPerSecond=*/600e9,
                               /*tensorCoreFlops=*/125e12,
                               /*cudaCoreFlops=*/31.2e12,
                               /*l2Bytes=*/6 * kKB * kKB,
                               /*hasWarpgroupMma=*/false};

static const GpuTarget kL4 = {"sm_89",
                              "sm_89",
                              "NVIDIA L4",
                              99 * kKB,
                              100 * kKB,
                              1024,
                              kMaxBlockSize,
                              kMaxGridSize,
                              /*numSMs=*/58,
                              /*hbmBytesPerSecond=*/300e9,
                              /*tensorCoreFlops=*/121e12,
                              /*cudaCoreFlops=*/30.3e12,
                              /*l2Bytes=*/48 * kKB * kKB,
                              /*hasWarpgroupMma=*/false};

static const GpuTarget kH100 = {"sm_90a",
                                "sm_90a",
                                "NVIDIA H100 SXM5",
                                227 * kKB,
                                228 * kKB,
                                1024,
                                kMaxBlockSize,
                                kMaxGridSize,
                                /*numSMs=*/132,
                                /*hbmBytesPerSecond=*/3.35e12,
                                /*tensorCoreFlops=*/989e12,
                                /*cudaCoreFlops=*/67e12,
                                /*l2Bytes=*/50 * kKB * kKB,
                                /*hasWarpgroupMma=*/true};

static const GpuTarget kH200 = {"h200",
                                "sm_90a",
                                "NVIDIA H200 SXM",
                                227 * kKB,
                                228 * kKB,
                                1024,
                                kMaxBlockSize,
                                kMaxGridSize,
                                /*numSMs=*/132,
                                /*hbmBytesPerSecond=*/4.8e12,
                                /*tensorCoreFlops=*/989e12,
                                /*cudaCoreFlops=*/67e12,
                                /*l2Bytes=*/50 * kKB * kKB,
                                /*hasWarpgroupMma=*/true};

const GpuTarget &mlir::mirage::getDefaultGpuTarget() { return kH100; }

const GpuTarget *mlir::mirage::lookupGpuTarget(llvm::StringRef name) {
  return llvm::StringSwitch<const GpuTarget *>(name.lower())
      .Cases({"sm_80", "a100"}, &kA100)
      .Cases({"sm_86", "a10"}, &kA10)
      .Cases({"sm_89", "l4"}, &kL4)
      .Cases({"sm_90a", "sm_90", "h100"}, &kH100)
      .Case("h200", &kH200)
      .Default(nullptr);
}

std::string mlir::mirage::getGpuTargetNames() {
  return "sm_80 (a100), sm_86 (a10), sm_89 (l4), sm_90a (sm_90, h100), h200";
}

const GpuTarget *mlir::mirage::lookupGpuTargetForChip(llvm::StringRef chip) {
  // Exact names: the chip goes to LLVM's NVPTX backend as it is written.
  return llvm::StringSwitch<const GpuTarget *>(chip)
      .Case("sm_80", &kA100)
      .Case("sm_86", &kA10)
      .Case("sm_89", &kL4)
      .Case("sm_90a", &kH100)
      .Default(nullptr);
}

std::string mlir::mirage::getSupportedChipNames() {
  return "sm_80, sm_86, sm_89, sm_90a";
}

llvm::StringRef mlir::mirage::getChipForComputeCapability(int major,
                                                          int minor) {
  if (major == 8)
    return minor == 6 ? "sm_86" : minor == 9 ? "sm_89" : "sm_80";
  // sm_90a's wgmma is specific to 9.0: its PTX does not run on 10.x and
  // later, for which the lowering has no target yet.
  return major == 9 ? "sm_90a" : "";
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
