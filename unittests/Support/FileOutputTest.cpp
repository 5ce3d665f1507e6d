//===- FileOutputTest.cpp - writeFileAtomically ---------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Support/FileOutput.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <csignal>
#include <sys/resource.h>

using namespace llvm;
using namespace mlir::mirage;

namespace {

/// A fresh temporary directory, removed with everything in it.
class ScratchDirectory {
public:
  ScratchDirectory() {
    EXPECT_FALSE(sys::fs::createUniqueDirectory("mirage-file-output", path));
  }
  ~ScratchDirectory() { sys::fs::remove_directories(path); }
  std::string file(StringRef name) const {
    SmallString<256> p(path);
    sys::path::append(p, name);
    return std::string(p);
  }
  /// The names of the entries of the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (sys::fs::directory_iterator it(path, ec), end; !ec && it != end;
         it.increment(ec))
      names.push_back(sys::path::filename(it->path()).str());
    llvm::sort(names);
    return names;
  }

private:
  SmallString<256> path;
};

std::string readFile(StringRef path) {
  auto buffer = MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : "<unreadable>";
}

TEST(FileOutputTest, WritesTheFile) {
  ScratchDirectory dir;
  std::string path = dir.file("out.txt");
  ASSERT_FALSE(errorToBool(
      writeFileAtomically(path, [](raw_ostream &os) { os << "hello\n"; })));
  EXPECT_EQ(readFile(path), "hello\n");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.txt"});
  // A second write replaces the file.
  ASSERT_FALSE(errorToBool(
      writeFileAtomically(path, [](raw_ostream &os) { os << "again\n"; })));
  EXPECT_EQ(readFile(path), "again\n");
}

TEST(FileOutputTest, MissingDirectoryIsAnError) {
  ScratchDirectory dir;
  std::string path = dir.file("missing/out.txt");
  Error error = writeFileAtomically(path, [](raw_ostream &os) { os << "x"; });
  ASSERT_TRUE(bool(error));
  std::string message = toString(std::move(error));
  EXPECT_NE(message.find("missing/out.txt"), std::string::npos) << message;
  EXPECT_TRUE(dir.entries().empty());
}

/// A full disk, as far as this process can tell: RLIMIT_FSIZE makes writes
/// past the limit fail (EFBIG) once SIGXFSZ is ignored, which needs no
/// privileges, unlike mounting a small file system. (A tool cannot be tested
/// this way: LLVM's signal handlers take SIGXFSZ back.)
class FileSizeLimit {
public:
  explicit FileSizeLimit(rlim_t bytes) {
    previousHandler = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous);
    struct rlimit limit = previous;
    limit.rlim_cur = bytes;
    active = setrlimit(RLIMIT_FSIZE, &limit) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous);
    std::signal(SIGXFSZ, previousHandler);
  }
  bool isActive() const { return active; }

private:
  struct rlimit previous;
  void (*previousHandler)(int);
  bool active = false;
};

TEST(FileOutputTest, FullDiskLeavesTheOldFileAndNoTemporary) {
  ScratchDirectory dir;
  std::string path = dir.file("out.txt");
  ASSERT_FALSE(errorToBool(
      writeFileAtomically(path, [](raw_ostream &os) { os << "old\n"; })));
  Error error = Error::success();
  {
    FileSizeLimit limit(/*bytes=*/1024);
    ASSERT_TRUE(limit.isActive());
    error = writeFileAtomically(path, [](raw_ostream &os) {
      for (int i = 0; i < 100000; ++i)
        os << "0123456789";
    });
  }
  ASSERT_TRUE(bool(error));
  std::string message = toString(std::move(error));
  EXPECT_NE(message.find("cannot write"), std::string::npos) << message;
  EXPECT_NE(message.find("out.txt"), std::string::npos) << message;
  EXPECT_EQ(readFile(path), "old\n");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.txt"});
}

} // namespace
