//===- Driver.cpp - CUDA driver entry points, loaded at run time ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Driver.h"

#include <atomic>
#include <dlfcn.h>

using namespace mirage::runtime::detail;

// Two levels so that the argument is macro-expanded first: cuMemAlloc becomes
// "cuMemAlloc_v2", the symbol this cuda.h's declaration refers to.
#define MIRAGE_RT_STRINGIFY_IMPL(x) #x
#define MIRAGE_RT_STRINGIFY(x) MIRAGE_RT_STRINGIFY_IMPL(x)

bool mirage::runtime::detail::loadDriverLibrary(const char *nameOrPath,
                                                DriverApi &api,
                                                std::string &error) {
  // RTLD_LOCAL: the driver's symbols must not satisfy other libraries'
  // references behind our back; RTLD_NOW: fail here, not at a first call.
  void *handle = dlopen(nameOrPath, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *reason = dlerror();
    error = std::string("cannot load the CUDA driver: ") + nameOrPath +
            " was not found (" + (reason ? reason : "dlopen failed") +
            "); running kernels needs an NVIDIA GPU and its driver "
            "(libcuda.so.1 comes with the driver, not with the CUDA toolkit)";
    return false;
  }
  DriverApi loaded;
#define MIRAGE_RT_RESOLVE(name, fallback)                                      \
  {                                                                            \
    const char *symbol = MIRAGE_RT_STRINGIFY(name);                            \
    void *address = dlsym(handle, symbol);                                     \
    const char *olderSymbol = fallback;                                        \
    if (!address && olderSymbol)                                               \
      address = dlsym(handle, olderSymbol);                                    \
    if (!address) {                                                            \
      error = std::string("the CUDA driver ") + nameOrPath + " lacks " +       \
              symbol +                                                         \
              ": it is older than this runtime needs; update the NVIDIA "      \
              "driver";                                                        \
      return false;                                                            \
    }                                                                          \
    loaded.name = reinterpret_cast<decltype(loaded.name)>(address);            \
  }
  MIRAGE_RT_DRIVER_FUNCTIONS(MIRAGE_RT_RESOLVE)
#undef MIRAGE_RT_RESOLVE
  api = loaded;
  return true;
}

namespace {
/// The real driver, loaded once per process on first use.
struct LoadedDriver {
  DriverApi api;
  std::string error;
  bool ok = false;

  LoadedDriver() { ok = loadDriverLibrary(kDriverLibraryName, api, error); }
};

std::atomic<const DriverApi *> testDriver{nullptr};
} // namespace

const DriverApi *mirage::runtime::detail::getDriver(std::string &error) {
  if (const DriverApi *fake = testDriver.load())
    return fake;
  // A function-local static: thread-safe initialization, and no dlopen at
  // all in a process that never asks for a device.
  static const LoadedDriver driver;
  if (!driver.ok) {
    error = driver.error;
    return nullptr;
  }
  return &driver.api;
}

void mirage::runtime::detail::setDriverForTesting(const DriverApi *api) {
  testDriver.store(api);
}

std::string mirage::runtime::detail::describeCudaError(const DriverApi &api,
                                                       CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (api.cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    return "CUDA error " + std::to_string(static_cast<int>(result));
  std::string description = name;
  if (api.cuGetErrorString(result, &text) == CUDA_SUCCESS && text)
    description += std::string(" (") + text + ")";
  return description;
}
