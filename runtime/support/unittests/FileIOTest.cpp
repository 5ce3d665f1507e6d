//===- FileIOTest.cpp - Whole-file reads and all-or-nothing writes --------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "mirage-support/FileIO.h"

#include "TestFiles.h"

#include "gtest/gtest.h"

#include <csignal>
#include <cstdio>

#include <sys/resource.h>
#include <sys/stat.h>

using namespace mirage::support;
using namespace mirage::support::testing;

namespace {

TEST(FileIOTest, WritesReplacesAndLeavesNothingElse) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string error;
  ASSERT_TRUE(writeFileAtomically(tmp / "a.bin", {"head", "", "tail"}, error))
      << error;
  EXPECT_EQ(slurp(tmp / "a.bin"), "headtail");
  ASSERT_TRUE(writeFileAtomically(tmp / "a.bin", {"new"}, error)) << error;
  EXPECT_EQ(slurp(tmp / "a.bin"), "new");
  EXPECT_EQ(tmp.entries(), std::vector<std::string>{"a.bin"});

  std::vector<uint8_t> contents;
  ASSERT_TRUE(readFile(tmp / "a.bin", contents, error)) << error;
  EXPECT_EQ(std::string(contents.begin(), contents.end()), "new");
  ASSERT_TRUE(writeFileAtomically(tmp / "empty", {}, error)) << error;
  ASSERT_TRUE(readFile(tmp / "empty", contents, error)) << error;
  EXPECT_TRUE(contents.empty());
}

TEST(FileIOTest, ErrorsNameTheFileAndTheReason) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string error;
  EXPECT_FALSE(writeFileAtomically(tmp / "no/such/dir.bin", {"x"}, error));
  EXPECT_EQ(error, "cannot write '" + tmp / "no/such/dir.bin" +
                       "': No such file or directory");
  ASSERT_EQ(::mkdir((tmp / "sub").c_str(), 0777), 0);
  EXPECT_FALSE(writeFileAtomically(tmp / "sub", {"x"}, error));
  EXPECT_EQ(error, "cannot write '" + tmp / "sub" + "': Is a directory");
  EXPECT_FALSE(writeFileAtomically(tmp / "sub/", {"x"}, error));
  EXPECT_EQ(error, "cannot write '" + tmp / "sub/" + "': Is a directory");
  ::rmdir((tmp / "sub").c_str());
  EXPECT_TRUE(tmp.entries().empty());

  std::vector<uint8_t> contents;
  EXPECT_FALSE(readFile(tmp / "missing", contents, error));
  EXPECT_EQ(error,
            "cannot read '" + tmp / "missing" + "': No such file or directory");
}

/// In a child process (the file-size limit is per process): writes 64 KiB to
/// `path` under a 4 KiB limit, then exits 0 if the write failed as it should
/// have, 1 otherwise, printing the error.
[[noreturn]] void writePastTheLimit(const TempDir &tmp,
                                    const std::string &path) {
  rlimit limit;
  limit.rlim_cur = limit.rlim_max = 4096;
  // Past the limit write() fails with EFBIG instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
    std::_Exit(3);
  std::string big(1 << 16, 'x'), error;
  bool wrote = writeFileAtomically(path, {big}, error);
  bool ok = !wrote && error == "cannot write '" + path + "': File too large" &&
            slurp(path) == "old contents" &&
            tmp.entries() == std::vector<std::string>{"out.bin"};
  std::fprintf(stderr, "%s\n", error.c_str());
  std::_Exit(ok ? 0 : 1);
}

// A write that fails halfway (here: past the file-size limit, as on a full
// disk) reports the error and leaves the old file whole and no temporary
// file. The old writers truncated the file first and left a prefix of the
// new one.
TEST(FileIOTest, FailedWriteKeepsThePreviousFile) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string path = tmp / "out.bin", error;
  ASSERT_TRUE(writeFileAtomically(path, {"old contents"}, error)) << error;
  EXPECT_EXIT(writePastTheLimit(tmp, path), ::testing::ExitedWithCode(0),
              "File too large");
}

} // namespace
