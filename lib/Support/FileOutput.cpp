//===- FileOutput.cpp - Writing files without leaving half of one ---------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Support/FileOutput.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"

using namespace llvm;

Error mlir::mirage::writeFileAtomically(
    StringRef path, function_ref<void(raw_ostream &)> write) {
  SmallString<256> temp;
  int fd;
  if (std::error_code ec =
          sys::fs::createUniqueFile(Twine(path) + ".tmp-%%%%%%", fd, temp))
    return createStringError(ec, "cannot create a file beside '%s': %s",
                             path.str().c_str(), ec.message().c_str());
  std::error_code writeError;
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    write(os);
    os.close();
    writeError = os.error();
    // Handled here: a stream destroyed with an error pending aborts.
    os.clear_error();
  }
  if (writeError) {
    sys::fs::remove(temp);
    return createStringError(writeError, "cannot write '%s': %s",
                             path.str().c_str(), writeError.message().c_str());
  }
  if (std::error_code ec = sys::fs::rename(temp, path)) {
    sys::fs::remove(temp);
    return createStringError(ec, "cannot write '%s': %s", path.str().c_str(),
                             ec.message().c_str());
  }
  return Error::success();
}
