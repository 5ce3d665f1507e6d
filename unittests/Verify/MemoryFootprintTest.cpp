//===- MemoryFootprintTest.cpp - Address-space headroom, byte counts ------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Verify/MemoryFootprint.h"

#include "gtest/gtest.h"

#include <sys/resource.h>

using namespace mlir::mirage;

namespace {

TEST(MemoryFootprintTest, FormatsBytes) {
  EXPECT_EQ(formatBytes(0), "0 bytes");
  EXPECT_EQ(formatBytes(1000), "1000 bytes");
  EXPECT_EQ(formatBytes(1536), "1.5 KiB");
  EXPECT_EQ(formatBytes(uint64_t(320) << 20), "320 MiB");
  EXPECT_EQ(formatBytes(uint64_t(3) << 29), "1.5 GiB");
  EXPECT_EQ(formatBytes(UINT64_MAX), "more than 16 EiB");
}

TEST(MemoryFootprintTest, HeadroomFollowsTheAddressSpaceLimit) {
  struct rlimit previous;
  ASSERT_EQ(getrlimit(RLIMIT_AS, &previous), 0);
  if (previous.rlim_cur != RLIM_INFINITY)
    GTEST_SKIP() << "the address space is limited already";
  EXPECT_EQ(getAddressSpaceHeadroom(), UINT64_MAX);
  // A limit 1 GiB above what is mapped now leaves 1 GiB less the margin.
  struct rlimit limit = previous;
  limit.rlim_cur = RLIM_INFINITY - 1; // any finite limit makes it count
  ASSERT_EQ(setrlimit(RLIMIT_AS, &limit), 0);
  uint64_t unlimitedish = getAddressSpaceHeadroom();
  uint64_t mapped = limit.rlim_cur - unlimitedish - (256ull << 20);
  limit.rlim_cur = mapped + (1ull << 30);
  ASSERT_EQ(setrlimit(RLIMIT_AS, &limit), 0);
  uint64_t headroom = getAddressSpaceHeadroom();
  ASSERT_EQ(setrlimit(RLIMIT_AS, &previous), 0);
  // Within 64 MiB of 768 MiB: the mapping may move between the two reads.
  EXPECT_NEAR(static_cast<double>(headroom), double(768ull << 20),
              double(64ull << 20));
}

} // namespace
