//===- SharedMemoryPlanTest.cpp - Placing tiles in shared memory ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The planner against its contract: buffers live at the same time never
// overlap, alignments hold, space is reused when lifetimes do not overlap,
// and the plan never needs less than the peak of live bytes (a lower bound
// no placement can beat) nor, on random instances, much more.
//
//===----------------------------------------------------------------------===//

#include "Mirage/Conversion/MirageToGPU/SharedMemoryPlan.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::mirage;

namespace {

/// Checks the plan's invariants; returns the peak of live bytes.
int64_t checkPlan(ArrayRef<BufferRequest> requests,
                  const SharedMemoryPlan &plan) {
  EXPECT_EQ(plan.offsets.size(), requests.size());
  unsigned lastPoint = 0;
  for (const BufferRequest &r : requests)
    lastPoint = std::max(lastPoint, r.end);
  for (size_t i = 0; i < requests.size(); ++i) {
    const BufferRequest &a = requests[i];
    if (a.bytes == 0)
      continue;
    EXPECT_EQ(plan.offsets[i] % a.alignment, 0) << "buffer " << i;
    EXPECT_LE(plan.offsets[i] + a.bytes, plan.size) << "buffer " << i;
    for (size_t j = i + 1; j < requests.size(); ++j) {
      const BufferRequest &b = requests[j];
      if (b.bytes == 0 || a.end < b.start || b.end < a.start)
        continue;
      bool disjoint = plan.offsets[i] + a.bytes <= plan.offsets[j] ||
                      plan.offsets[j] + b.bytes <= plan.offsets[i];
      EXPECT_TRUE(disjoint) << "buffers " << i << " and " << j
                            << " are live together but overlap";
    }
  }
  int64_t peak = 0;
  for (unsigned p = 0; p <= lastPoint; ++p) {
    int64_t live = 0;
    for (const BufferRequest &r : requests)
      if (r.start <= p && p <= r.end)
        live += r.bytes;
    peak = std::max(peak, live);
  }
  EXPECT_GE(plan.size, peak);
  return peak;
}

TEST(SharedMemoryPlanTest, BuffersLiveTogetherGetDisjointBytes) {
  SmallVector<BufferRequest> requests = {
      {1024, 128, 0, 3}, {512, 128, 1, 2}, {256, 128, 2, 3}};
  SharedMemoryPlan plan = planSharedMemory(requests);
  checkPlan(requests, plan);
  EXPECT_EQ(plan.size, 1024 + 512 + 256);
}

TEST(SharedMemoryPlanTest, BuffersLiveApartShareBytes) {
  // A chain a -> b -> c: a and c never live together.
  SmallVector<BufferRequest> requests = {
      {8192, 128, 0, 1}, {8192, 128, 1, 2}, {8192, 128, 2, 3}};
  SharedMemoryPlan plan = planSharedMemory(requests);
  checkPlan(requests, plan);
  EXPECT_EQ(plan.size, 16384);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
}

TEST(SharedMemoryPlanTest, AlignmentAndEmptyBuffers) {
  SmallVector<BufferRequest> requests = {
      {100, 128, 0, 5}, {0, 128, 0, 5}, {10, 16, 0, 5}, {300, 256, 0, 5}};
  SharedMemoryPlan plan = planSharedMemory(requests);
  checkPlan(requests, plan);
  EXPECT_EQ(plan.offsets[1], 0); // takes no space
  EXPECT_EQ(plan.offsets[3] % 256, 0);
}

TEST(SharedMemoryPlanTest, RandomInstancesStayCloseToThePeak) {
  std::mt19937 rng(42);
  double worst = 1;
  for (int trial = 0; trial < 200; ++trial) {
    SmallVector<BufferRequest> requests;
    int n = 2 + rng() % 12;
    for (int i = 0; i < n; ++i) {
      unsigned start = rng() % 10;
      unsigned end = start + rng() % 6;
      requests.push_back(
          {128 * static_cast<int64_t>(1 + rng() % 64), 128, start, end});
    }
    SharedMemoryPlan plan = planSharedMemory(requests);
    int64_t peak = checkPlan(requests, plan);
    worst = std::max(worst, static_cast<double>(plan.size) / peak);
  }
  // First fit by decreasing size is within a small factor of the peak on
  // interval instances (Gergov, 1999, proves 3 for a related algorithm).
  EXPECT_LE(worst, 2.0);
}

TEST(SharedMemoryPlanTest, PlansAreDeterministic) {
  SmallVector<BufferRequest> requests = {
      {512, 128, 0, 2}, {512, 128, 1, 3}, {512, 128, 2, 4}, {512, 128, 3, 5}};
  SharedMemoryPlan a = planSharedMemory(requests);
  SharedMemoryPlan b = planSharedMemory(requests);
  EXPECT_EQ(a.offsets, b.offsets);
  checkPlan(requests, a);
}

} // namespace
