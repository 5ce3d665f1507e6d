//===- CostModelTest.cpp - Monotonicity of the analytic cost model --------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The search ranks μGraphs by the cost model alone, so it must move the right
// way: more work never costs less, spreading a fixed amount of work over
// more SMs never costs more until they saturate HBM, resource limits make a
// kernel infeasible, and a faster GPU is never slower.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Search/CostModel.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;
using namespace mlir::mirage::search;

namespace {

const GpuTarget &h100() { return *lookupGpuTarget("h100"); }

/// A memory-bound kernel: 64 MiB read by 264 blocks.
KernelWork streaming() {
  KernelWork work;
  work.numBlocks = 264;
  work.threadsPerBlock = 128;
  work.forloop = 8;
  work.sharedMemoryBytes = 32 * 1024;
  work.bytesRead = 64.0 * 1024 * 1024;
  work.bytesWritten = 1024 * 1024;
  work.tensorCoreFlops = 1e9;
  return work;
}

double seconds(const KernelWork &work, const GpuTarget &target = h100()) {
  return estimateKernel(target, work).seconds;
}

TEST(CostModelTest, MoreBytesCostMore) {
  KernelWork work = streaming();
  double before = seconds(work);
  for (int i = 0; i < 5; ++i) {
    work.bytesRead *= 1.5;
    double after = seconds(work);
    EXPECT_GT(after, before);
    before = after;
  }
  work = streaming();
  before = seconds(work);
  work.bytesWritten *= 64;
  EXPECT_GT(seconds(work), before);
}

TEST(CostModelTest, MoreFlopsNeverCostLess) {
  KernelWork work = streaming();
  double before = seconds(work);
  for (double flops : {1e10, 1e11, 1e12, 1e13}) {
    work.tensorCoreFlops = flops;
    double after = seconds(work);
    EXPECT_GE(after, before);
    before = after;
  }
  // Past the memory time, compute decides and grows strictly.
  KernelWork big = work;
  big.tensorCoreFlops *= 2;
  EXPECT_GT(seconds(big), seconds(work));
  KernelWork cuda = streaming();
  cuda.cudaCoreFlops = 1e12;
  KernelWork moreCuda = cuda;
  moreCuda.cudaCoreFlops = 2e12;
  EXPECT_GT(seconds(moreCuda), seconds(cuda));
}

TEST(CostModelTest, MoreBlocksHelpUntilHbmSaturates) {
  // The same bytes over more blocks: never slower while blocks fit in one
  // wave, and strictly faster while the active SMs cannot saturate HBM.
  KernelWork work = streaming();
  double before = std::numeric_limits<double>::infinity();
  for (int64_t blocks : {1, 2, 4, 8, 16, 32, 64, 88, 132}) {
    work.numBlocks = blocks;
    double after = seconds(work);
    EXPECT_LE(after, before) << blocks << " blocks";
    if (blocks <= 64)
      EXPECT_LT(after, before) << blocks << " blocks";
    before = after;
  }
  // Saturated: 132 and 264 blocks move the bytes equally fast (one wave
  // holds both: several blocks are resident per SM).
  KernelCost one = estimateKernel(h100(), work);
  work.numBlocks = 264;
  KernelCost two = estimateKernel(h100(), work);
  EXPECT_DOUBLE_EQ(one.memorySeconds, two.memorySeconds);
}

TEST(CostModelTest, LoopIterationsAndLaunchesCost) {
  KernelWork work = streaming();
  double before = seconds(work);
  work.forloop *= 4;
  EXPECT_GT(seconds(work), before);
  // Every kernel pays the launch: two halves cost more than the whole.
  KernelWork half = streaming();
  half.bytesRead /= 2;
  half.bytesWritten /= 2;
  half.tensorCoreFlops /= 2;
  EXPECT_GT(2 * seconds(half), seconds(streaming()));
  EXPECT_GE(estimateKernel(h100(), half).launchSeconds, kLaunchSeconds);
}

TEST(CostModelTest, SharedMemoryLimitsOccupancyAndFeasibility) {
  KernelWork work = streaming();
  work.numBlocks = 132 * 8;
  work.sharedMemoryBytes = 16 * 1024;
  KernelCost small = estimateKernel(h100(), work);
  work.sharedMemoryBytes = 200 * 1024;
  KernelCost large = estimateKernel(h100(), work);
  EXPECT_GT(small.blocksPerSM, large.blocksPerSM);
  EXPECT_EQ(large.blocksPerSM, 1);
  EXPECT_GT(large.waves, small.waves);
  EXPECT_GE(large.seconds, small.seconds);

  // Over the per-block limit (227 KB on H100, 163 KB on A100): infeasible.
  work.sharedMemoryBytes = h100().sharedMemoryPerBlock + 1;
  KernelCost over = estimateKernel(h100(), work);
  EXPECT_FALSE(over.feasible);
  EXPECT_TRUE(std::isinf(over.seconds));
  work.sharedMemoryBytes = 200 * 1024;
  EXPECT_TRUE(estimateKernel(h100(), work).feasible);
  EXPECT_FALSE(estimateKernel(*lookupGpuTarget("a100"), work).feasible);

  KernelWork threads = streaming();
  threads.threadsPerBlock = 2048;
  EXPECT_FALSE(estimateKernel(h100(), threads).feasible);
}

TEST(CostModelTest, WaveQuantization) {
  // One block more than a full wave needs a second wave.
  KernelWork work = streaming();
  work.sharedMemoryBytes = 200 * 1024; // one block per SM
  work.numBlocks = 132;
  KernelCost full = estimateKernel(h100(), work);
  work.numBlocks = 133;
  KernelCost spill = estimateKernel(h100(), work);
  EXPECT_EQ(full.waves, 1);
  EXPECT_EQ(spill.waves, 2);
  EXPECT_GT(spill.seconds, full.seconds);
}

TEST(CostModelTest, FasterTargetsAreNotSlower) {
  const GpuTarget &a100 = *lookupGpuTarget("a100");
  const GpuTarget &h200 = *lookupGpuTarget("h200");
  KernelWork memory = streaming();
  KernelWork compute = streaming();
  compute.tensorCoreFlops = 1e13;
  for (const KernelWork &work : {memory, compute}) {
    EXPECT_LT(seconds(work, h100()), seconds(work, a100));
    EXPECT_LE(seconds(work, h200), seconds(work, h100()));
  }
  // H200 has the H100's SMs with faster HBM: memory-bound work gains.
  EXPECT_LT(seconds(memory, h200), seconds(memory, h100()));
}

} // namespace

namespace {

TEST(GpuTargetTest, ChipForComputeCapability) {
  EXPECT_EQ(getChipForComputeCapability(8, 0), "sm_80");
  EXPECT_EQ(getChipForComputeCapability(8, 6), "sm_86");
  EXPECT_EQ(getChipForComputeCapability(8, 7), "sm_80");
  EXPECT_EQ(getChipForComputeCapability(8, 9), "sm_89");
  EXPECT_EQ(getChipForComputeCapability(9, 0), "sm_90a");
  // sm_90a's wgmma code does not run on later chips, nor anything before 8.0.
  EXPECT_EQ(getChipForComputeCapability(10, 0), "");
  EXPECT_EQ(getChipForComputeCapability(12, 0), "");
  EXPECT_EQ(getChipForComputeCapability(7, 5), "");
}

} // namespace
