//===- Runtime.h - Devices and loaded kernel packages -----------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The implementation behind the C API (mirage_runtime.h): a Device holds a
// retained primary context, a Package the module, functions and device memory
// of one kernel package. Failures are returned as a Status; nothing throws
// (the runtime builds with -fno-exceptions) and nothing aborts.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_LIB_RUNTIME_H
#define MIRAGE_RUNTIME_LIB_RUNTIME_H

#include "Driver.h"
#include "Manifest.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mirage {
namespace runtime {
namespace detail {

/// The outcome of an operation: a code and, on failure, a message saying
/// what was being done and why it failed.
struct Status {
  MirageRtStatus code = MIRAGE_RT_SUCCESS;
  std::string message;

  static Status success() { return Status(); }
  static Status error(MirageRtStatus code, std::string message) {
    Status status;
    status.code = code;
    status.message = std::move(message);
    return status;
  }
  bool ok() const { return code == MIRAGE_RT_SUCCESS; }
};

/// "tensor<64x1x128xf16>", as MLIR prints the type.
std::string describeTensor(const TensorSpec &tensor);

/// A CUDA device with its primary context retained until destruction.
/// Shared by the C handle and the packages loaded on it.
class Device {
public:
  /// Loads the driver (getDriver), initializes it and retains the primary
  /// context of device `ordinal`.
  static Status create(int ordinal, std::shared_ptr<Device> &device);
  /// Counts devices; 0 (and success) when the driver finds none.
  static Status count(int &count);
  ~Device();

  const DriverApi &api() const { return *driver; }
  CUcontext getContext() const { return context; }
  const std::string &getName() const { return name; }
  int getMajor() const { return major; }
  int getMinor() const { return minor; }
  /// The most shared memory a block may use after opting in, in bytes.
  int getMaxSharedMemoryOptin() const { return maxSharedMemoryOptin; }

  /// "device 0 (NVIDIA H100 80GB HBM3, compute capability 9.0)".
  std::string describe() const;

  /// Success, or a MIRAGE_RT_ERROR_CUDA status "<doing>: <CUDA error name>
  /// (<description>)".
  Status check(CUresult result, const std::string &doing) const;

private:
  Device() = default;

  const DriverApi *driver = nullptr;
  int ordinal = 0;
  CUdevice device = 0;
  CUcontext context = nullptr;
  std::string name;
  int major = 0, minor = 0;
  int maxSharedMemoryOptin = 0;
};

/// Makes a device's context current on this thread for the scope, restoring
/// the previous one after, so that the runtime composes with callers (the
/// CUDA runtime, PyTorch) that have their own current context.
class ContextScope {
public:
  explicit ContextScope(const Device &device);
  ~ContextScope();
  ContextScope(const ContextScope &) = delete;
  ContextScope &operator=(const ContextScope &) = delete;

  /// The outcome of making the context current; every operation checks it
  /// first.
  const Status &getStatus() const { return status; }

private:
  const Device &device;
  Status status;
};

/// A kernel package loaded on a device.
class Package {
public:
  /// Reads `directory`, checks its manifest and loads its kernels (see
  /// mirageRtPackageLoad for the choice between cubin and PTX).
  static Status load(std::shared_ptr<Device> device,
                     const std::string &directory,
                     std::unique_ptr<Package> &package);
  ~Package();

  const Manifest &getManifest() const { return manifest; }
  /// "cubin" or "ptx".
  const char *getBinaryKind() const { return usedCubin ? "cubin" : "ptx"; }

  /// See mirageRtPackageRun, mirageRtPackageRunHost, mirageRtPackageTime.
  Status run(const CUdeviceptr *inputs, int numInputs,
             const CUdeviceptr *outputs, int numOutputs, CUstream stream);
  Status runHost(const void *const *inputs, int numInputs, void *const *outputs,
                 int numOutputs);
  Status time(const CUdeviceptr *inputs, int numInputs,
              const CUdeviceptr *outputs, int numOutputs, CUstream stream,
              int warmup, int repeat, float *milliseconds);

private:
  explicit Package(std::shared_ptr<Device> device)
      : device(std::move(device)) {}

  Status loadModule(const std::string &directory);
  Status loadFunctions();
  Status checkCounts(int numInputs, int numOutputs) const;
  /// Launches the kernels; the context must be current.
  Status launch(const CUdeviceptr *inputs, const CUdeviceptr *outputs,
                CUstream stream);
  /// Allocates `tensors` into `memory` unless done before.
  Status allocate(const std::vector<TensorSpec> &tensors, const char *noun,
                  std::vector<CUdeviceptr> &memory);
  void free(std::vector<CUdeviceptr> &memory);

  std::shared_ptr<Device> device;
  Manifest manifest;
  CUmodule module = nullptr;
  bool usedCubin = false;
  /// One function per manifest kernel, in order.
  std::vector<CUfunction> functions;
  /// Guards the lazy allocations below.
  std::mutex allocationMutex;
  std::vector<CUdeviceptr> buffers;
  /// Device copies of the inputs and outputs, for runHost.
  std::vector<CUdeviceptr> hostInputs, hostOutputs;
};

} // namespace detail
} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_LIB_RUNTIME_H
