//===- FakeDriver.h - A fake CUDA driver for the runtime tests --*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A DriverApi table whose entry points record what the runtime asks of the
// driver, so that the tests check the launch sequence on a machine without a
// GPU. Device memory is host memory (a CUdeviceptr is a malloc'd address), so
// copies really copy, and a kernel can be given a host "body" that computes
// its outputs. Modules are parsed for ".entry name(.param ..., ...)" so that
// a launch knows how many parameters to read; a cubin is told from PTX by the
// first line "FAKE-CUBIN".
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_UNITTESTS_FAKEDRIVER_H
#define MIRAGE_RUNTIME_UNITTESTS_FAKEDRIVER_H

#include "Driver.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mirage {
namespace runtime {
namespace testing {

struct FakeModule {
  bool cubin = false;
  std::string image;
  /// Kernel name -> number of parameters.
  std::map<std::string, int> kernels;
  bool unloaded = false;
};

struct FakeFunction {
  FakeModule *module = nullptr;
  std::string name;
  int numParams = 0;
};

struct FakeLaunch {
  std::string kernel;
  unsigned grid[3], block[3];
  unsigned sharedMemoryBytes;
  CUstream stream;
  /// The parameter values, read through the kernelParams pointers.
  std::vector<CUdeviceptr> args;
};

/// The fake GPU's configuration (set by a test before use) and what it saw.
struct FakeGpu {
  // Configuration.
  int deviceCount = 1;
  int major = 9, minor = 0;
  std::string name = "Fake GPU";
  int maxSharedMemoryOptin = 232448; // An H100's.
  CUresult initResult = CUDA_SUCCESS;
  /// Entry point -> result to return instead of working; module loads are
  /// keyed "cuModuleLoadDataEx(cubin)" and "cuModuleLoadDataEx(ptx)".
  std::map<std::string, CUresult> failures;
  /// Written to the JIT error log buffer when a PTX load is made to fail.
  std::string jitErrorLog = "ptxas application ptx input, line 12; fatal : "
                            "fake JIT failure";
  /// Kernel name -> host code run at launch, given the parameter values.
  std::map<std::string, std::function<void(const std::vector<CUdeviceptr> &)>>
      kernelBodies;
  /// Simulated time each launch takes, for event timing.
  float launchMilliseconds = 0.25f;

  // Observations.
  std::vector<std::string> calls;
  std::vector<FakeLaunch> launches;
  std::vector<std::unique_ptr<FakeModule>> modules;
  std::vector<std::unique_ptr<FakeFunction>> functions;
  /// Live allocations: address -> size.
  std::map<CUdeviceptr, size_t> allocations;
  int numAllocs = 0, numFrees = 0;
  int numHostToDevice = 0, numDeviceToHost = 0;
  int retained = 0, released = 0;
  /// Current context stack depth; 0 outside runtime calls.
  int contextDepth = 0;
  /// (kernel, bytes) of each CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.
  std::vector<std::pair<std::string, int>> sharedMemoryAttributes;
  /// Set when a copy or kernel touches memory outside any allocation.
  bool badAccess = false;
  double clockMilliseconds = 0;

  /// The number of calls to `entryPoint`.
  int count(const std::string &entryPoint) const;
};

/// The fake's state, reset by resetFakeDriver.
FakeGpu &fakeGpu();

/// Frees the previous fake state's memory and starts afresh.
void resetFakeDriver();

/// The table of fake entry points.
const detail::DriverApi &fakeDriverApi();

/// PTX text declaring `kernels` (name, number of .u64 parameters), for
/// `chip`; with `cubin`, the fake's cubin format instead.
std::string
makeFakeModule(const std::string &chip,
               const std::vector<std::pair<std::string, int>> &kernels,
               bool cubin);

} // namespace testing
} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_UNITTESTS_FAKEDRIVER_H
