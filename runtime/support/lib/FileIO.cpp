//===- FileIO.cpp - Whole-file reads and all-or-nothing writes ------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "mirage-support/FileIO.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mirage::support;

/// strerror's text for `err`, without strerror's shared buffer (the tools
/// write files from several threads).
static std::string describe(int err) {
  return std::error_code(err, std::generic_category()).message();
}

bool mirage::support::readFile(const std::string &path,
                               std::vector<uint8_t> &contents,
                               std::string &error) {
  auto fail = [&](int err) {
    error = "cannot read '" + path + "': " + describe(err);
    return false;
  };
  int fd;
  do
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return fail(errno);
  // Room for the whole file plus the byte that finds its end, when it has a
  // size: a .npy input can be hundreds of MiB, and growing the vector would
  // copy it. Pipes and the like grow by doubling.
  struct stat info;
  bool sized = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
  contents.resize(sized ? static_cast<size_t>(info.st_size) + 1 : 65536);
  size_t size = 0;
  while (true) {
    if (size == contents.size())
      contents.resize(2 * size);
    ssize_t got = ::read(fd, contents.data() + size, contents.size() - size);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      int err = errno;
      ::close(fd);
      contents.clear();
      return fail(err);
    }
    if (got == 0)
      break;
    size += static_cast<size_t>(got);
  }
  ::close(fd);
  contents.resize(size);
  return true;
}

/// Writes all of `bytes` to `fd`, through short writes and signals; returns 0
/// or the errno of the failure.
static int writeAll(int fd, const char *bytes, size_t size) {
  while (size > 0) {
    ssize_t done = ::write(fd, bytes, size);
    if (done < 0 && errno == EINTR)
      continue;
    if (done < 0)
      return errno;
    if (done == 0)
      return EIO;
    bytes += done;
    size -= static_cast<size_t>(done);
  }
  return 0;
}

bool mirage::support::writeFileAtomically(
    const std::string &path, std::initializer_list<std::string_view> pieces,
    std::string &error) {
  auto fail = [&](int err) {
    error = "cannot write '" + path + "': " + describe(err);
    return false;
  };
  size_t slash = path.rfind('/');
  std::string directory =
      slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string name = path.substr(directory.size());
  if (name.empty() || name == "." || name == "..")
    return fail(EISDIR);

  // O_EXCL makes the name ours alone, even against another process or
  // thread writing the same path; a stale name (a killed writer's) is skipped.
  static std::atomic<unsigned> counter{0};
  std::string temporary;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temporary = directory + "." + name + ".tmp" + std::to_string(::getpid()) +
                "." + std::to_string(counter++);
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                0666);
    if (fd < 0 && errno != EEXIST && errno != EINTR)
      return fail(errno);
  }
  if (fd < 0)
    return fail(EEXIST);

  int err = 0;
  for (std::string_view piece : pieces)
    if ((err = writeAll(fd, piece.data(), piece.size())) != 0)
      break;
  // close() can be the first to report a failed write (NFS, quotas).
  if (::close(fd) != 0 && err == 0)
    err = errno;
  if (err == 0 && ::rename(temporary.c_str(), path.c_str()) != 0)
    err = errno;
  if (err != 0) {
    ::unlink(temporary.c_str());
    return fail(err);
  }
  return true;
}
