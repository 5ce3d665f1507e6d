//===- Driver.h - CUDA driver entry points, loaded at run time --*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The runtime never links libcuda: a host without a GPU must still be able to
// load libMirageRuntime.so (from Python, say) and get a clear error. Every
// driver entry point it uses is resolved from libcuda.so.1 with dlsym into a
// DriverApi table, and every call goes through that table, which also lets
// the unit tests install a fake driver.
//
// cuda.h renames many entry points with macros (cuMemAlloc is cuMemAlloc_v2,
// cuEventElapsedTime is cuEventElapsedTime_v2 since CUDA 12.8...). The table's
// members are spelled with the plain names, so they go through the same
// macros: each member has the type and the symbol name of the version this
// cuda.h declares, and code reads `api.cuMemAlloc(...)` as it would with the
// driver linked.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_LIB_DRIVER_H
#define MIRAGE_RUNTIME_LIB_DRIVER_H

#include <cuda.h>

#include <string>

namespace mirage {
namespace runtime {
namespace detail {

/// X(name, fallback): every driver entry point the runtime uses. `fallback`
/// is an older symbol with the same signature to use when the driver lacks
/// the one this cuda.h names, or nullptr. Only cuEventElapsedTime has one:
/// cuEventElapsedTime_v2 appeared in CUDA 12.8, and older drivers are common.
#define MIRAGE_RT_DRIVER_FUNCTIONS(X)                                          \
  X(cuInit, nullptr)                                                           \
  X(cuDriverGetVersion, nullptr)                                               \
  X(cuGetErrorName, nullptr)                                                   \
  X(cuGetErrorString, nullptr)                                                 \
  X(cuDeviceGetCount, nullptr)                                                 \
  X(cuDeviceGet, nullptr)                                                      \
  X(cuDeviceGetName, nullptr)                                                  \
  X(cuDeviceGetAttribute, nullptr)                                             \
  X(cuDevicePrimaryCtxRetain, nullptr)                                         \
  X(cuDevicePrimaryCtxRelease, nullptr)                                        \
  X(cuCtxPushCurrent, nullptr)                                                 \
  X(cuCtxPopCurrent, nullptr)                                                  \
  X(cuCtxSynchronize, nullptr)                                                 \
  X(cuModuleLoadDataEx, nullptr)                                               \
  X(cuModuleUnload, nullptr)                                                   \
  X(cuModuleGetFunction, nullptr)                                              \
  X(cuFuncSetAttribute, nullptr)                                               \
  X(cuMemAlloc, nullptr)                                                       \
  X(cuMemFree, nullptr)                                                        \
  X(cuMemcpyHtoD, nullptr)                                                     \
  X(cuMemcpyDtoH, nullptr)                                                     \
  X(cuStreamSynchronize, nullptr)                                              \
  X(cuLaunchKernel, nullptr)                                                   \
  X(cuEventCreate, nullptr)                                                    \
  X(cuEventRecord, nullptr)                                                    \
  X(cuEventSynchronize, nullptr)                                               \
  X(cuEventElapsedTime, "cuEventElapsedTime")                                  \
  X(cuEventDestroy, nullptr)

/// The driver entry points, as function pointers. A table is complete (every
/// member non-null) once loaded; a fake must fill every member too.
struct DriverApi {
#define MIRAGE_RT_DECLARE_MEMBER(name, fallback)                               \
  decltype(&::name) name = nullptr;
  MIRAGE_RT_DRIVER_FUNCTIONS(MIRAGE_RT_DECLARE_MEMBER)
#undef MIRAGE_RT_DECLARE_MEMBER
};

/// The soname of the driver library, as the NVIDIA driver installs it.
inline constexpr const char *kDriverLibraryName = "libcuda.so.1";

/// Opens the driver library `nameOrPath` (dlopen's search rules) and resolves
/// every entry point into `api`. On failure returns false and sets `error`:
/// the library is missing (the message says a GPU driver is needed), or it
/// lacks an entry point (the message names it: the driver is too old). The
/// library stays loaded for the life of the process. Does not call cuInit.
bool loadDriverLibrary(const char *nameOrPath, DriverApi &api,
                       std::string &error);

/// The table every runtime call uses: the fake installed with
/// setDriverForTesting, or else libcuda.so.1, loaded on first use (once per
/// process; a failure is remembered). Returns nullptr and sets `error` when
/// the driver cannot be loaded.
const DriverApi *getDriver(std::string &error);

/// Makes getDriver return `api` (nullptr: back to libcuda.so.1). For tests;
/// `api` must outlive its use, and no runtime call may run concurrently.
void setDriverForTesting(const DriverApi *api);

/// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)", or "CUDA error 2" when the
/// driver cannot name the code.
std::string describeCudaError(const DriverApi &api, CUresult result);

} // namespace detail
} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_LIB_DRIVER_H
