//===- TestFiles.h - Scratch directories for the unit tests -----*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_SUPPORT_UNITTESTS_TESTFILES_H
#define MIRAGE_SUPPORT_UNITTESTS_TESTFILES_H

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <unistd.h>

namespace mirage {
namespace support {
namespace testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with what it holds.
class TempDir {
public:
  TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/mirage-support-XXXXXX";
    if (::mkdtemp(pattern.data()))
      dir = pattern;
  }
  ~TempDir() {
    for (const std::string &name : entries())
      ::unlink((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  bool ok() const { return !dir.empty(); }
  std::string operator/(const std::string &name) const {
    return dir + "/" + name;
  }
  /// The names in the directory, but "." and "..", in no particular order.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    if (DIR *d = ::opendir(dir.c_str())) {
      while (dirent *entry = ::readdir(d))
        if (std::string(entry->d_name) != "." &&
            std::string(entry->d_name) != "..")
          names.push_back(entry->d_name);
      ::closedir(d);
    }
    return names;
  }

private:
  std::string dir;
};

inline std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void spit(const std::string &path, const std::string &contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

} // namespace testing
} // namespace support
} // namespace mirage

#endif // MIRAGE_SUPPORT_UNITTESTS_TESTFILES_H
