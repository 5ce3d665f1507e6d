//===- Runtime.h - Mirage GPU runtime, C++ API ------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Move-only RAII wrappers over the C API (mirage_runtime.h), header-only so
// that the shared library exports nothing but C symbols. No exceptions:
// operations return a Status, factories fill an out-parameter.
//
//   mirage::runtime::Device device;
//   if (Status s = Device::open(0, device); !s.ok()) ...
//   mirage::runtime::Package package;
//   if (Status s = Package::load(device, "out/gqa", package); !s.ok()) ...
//   std::vector<uint16_t> q(...), k(...), v(...), o(...);   // f16 bits
//   Status s = package.runHost({q.data(), k.data(), v.data()}, {o.data()});
//
// Shapes, dtypes, threading and the meaning of each status are those of the
// C functions named in each comment.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_RUNTIME_H
#define MIRAGE_RUNTIME_RUNTIME_H

#include "mirage-runtime/mirage_runtime.h"

#include <string>
#include <utility>
#include <vector>

namespace mirage {
namespace runtime {

/// The outcome of an operation: MIRAGE_RT_SUCCESS, or an error code and its
/// message.
class Status {
public:
  Status() = default;
  Status(MirageRtStatus code, std::string message)
      : statusCode(code), text(std::move(message)) {}
  /// Wraps the result of a C call, taking the message from
  /// mirageRtGetLastError().
  static Status fromC(MirageRtStatus code) {
    return code == MIRAGE_RT_SUCCESS ? Status()
                                     : Status(code, mirageRtGetLastError());
  }

  bool ok() const { return statusCode == MIRAGE_RT_SUCCESS; }
  MirageRtStatus code() const { return statusCode; }
  /// What failed and why; empty on success.
  const std::string &message() const { return text; }

private:
  MirageRtStatus statusCode = MIRAGE_RT_SUCCESS;
  std::string text;
};

/// A dense row-major tensor of a package.
struct TensorDesc {
  /// Sizes in elements; empty for a scalar.
  std::vector<int64_t> shape;
  MirageRtDType dtype = MIRAGE_RT_F32;
  int64_t numElements = 1;
  int64_t sizeInBytes = 0;

  /// "tensor<64x1x128xf16>", as MLIR prints the type.
  std::string str() const {
    std::string text = "tensor<";
    for (int64_t dim : shape)
      text += std::to_string(dim) + "x";
    return text + mirageRtDTypeName(dtype) + ">";
  }
};

/// A CUDA device with its primary context retained (mirageRtDeviceCreate).
class Device {
public:
  Device() = default;
  Device(Device &&other) noexcept : handle(other.handle) {
    other.handle = nullptr;
  }
  Device &operator=(Device &&other) noexcept {
    std::swap(handle, other.handle);
    return *this;
  }
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;
  ~Device() { mirageRtDeviceDestroy(handle); }

  /// Opens device `ordinal` into `device` (mirageRtDeviceCreate).
  static Status open(int ordinal, Device &device) {
    MirageRtDevice handle = nullptr;
    Status status = Status::fromC(mirageRtDeviceCreate(ordinal, &handle));
    if (status.ok())
      device = Device(handle);
    return status;
  }

  /// The number of CUDA devices; 0 without one (mirageRtGetDeviceCount).
  static Status count(int &count) {
    return Status::fromC(mirageRtGetDeviceCount(&count));
  }

  bool valid() const { return handle != nullptr; }
  MirageRtDevice get() const { return handle; }
  std::string name() const { return mirageRtDeviceGetName(handle); }
  /// Compute capability, e.g. {9, 0} on an H100.
  std::pair<int, int> computeCapability() const {
    int major = 0, minor = 0;
    mirageRtDeviceGetComputeCapability(handle, &major, &minor);
    return {major, minor};
  }

  Status alloc(size_t bytes, MirageRtDevicePtr &ptr) const {
    return Status::fromC(mirageRtDeviceAlloc(handle, bytes, &ptr));
  }
  Status free(MirageRtDevicePtr ptr) const {
    return Status::fromC(mirageRtDeviceFree(handle, ptr));
  }
  Status copyToDevice(MirageRtDevicePtr dst, const void *src,
                      size_t bytes) const {
    return Status::fromC(mirageRtCopyHostToDevice(handle, dst, src, bytes));
  }
  Status copyToHost(void *dst, MirageRtDevicePtr src, size_t bytes) const {
    return Status::fromC(mirageRtCopyDeviceToHost(handle, dst, src, bytes));
  }
  Status synchronize() const {
    return Status::fromC(mirageRtDeviceSynchronize(handle));
  }

private:
  explicit Device(MirageRtDevice handle) : handle(handle) {}
  MirageRtDevice handle = nullptr;
};

/// Device memory freed on destruction.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer &&other) noexcept
      : device(other.device), address(other.address), bytes(other.bytes) {
    other.address = 0;
  }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept {
    std::swap(device, other.device);
    std::swap(address, other.address);
    std::swap(bytes, other.bytes);
    return *this;
  }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() {
    if (address)
      mirageRtDeviceFree(device, address);
  }

  /// Allocates `bytes` (> 0) on `device`, which must outlive the buffer.
  static Status allocate(const Device &device, size_t bytes,
                         DeviceBuffer &buffer) {
    MirageRtDevicePtr address = 0;
    Status status = device.alloc(bytes, address);
    if (status.ok()) {
      DeviceBuffer allocated;
      allocated.device = device.get();
      allocated.address = address;
      allocated.bytes = bytes;
      buffer = std::move(allocated);
    }
    return status;
  }

  MirageRtDevicePtr get() const { return address; }
  size_t size() const { return bytes; }

private:
  MirageRtDevice device = nullptr;
  MirageRtDevicePtr address = 0;
  size_t bytes = 0;
};

/// A kernel package loaded on a device (mirageRtPackageLoad).
class Package {
public:
  Package() = default;
  Package(Package &&other) noexcept
      : handle(other.handle), inputDescs(std::move(other.inputDescs)),
        outputDescs(std::move(other.outputDescs)) {
    other.handle = nullptr;
  }
  Package &operator=(Package &&other) noexcept {
    std::swap(handle, other.handle);
    std::swap(inputDescs, other.inputDescs);
    std::swap(outputDescs, other.outputDescs);
    return *this;
  }
  Package(const Package &) = delete;
  Package &operator=(const Package &) = delete;
  ~Package() { mirageRtPackageDestroy(handle); }

  /// Loads the package in `directory` onto `device` (mirageRtPackageLoad).
  /// The package keeps the device's context alive on its own.
  static Status load(const Device &device, const std::string &directory,
                     Package &package) {
    MirageRtPackage handle = nullptr;
    Status status = Status::fromC(
        mirageRtPackageLoad(device.get(), directory.c_str(), &handle));
    if (!status.ok())
      return status;
    Package loaded;
    loaded.handle = handle;
    loaded.inputDescs = describe(handle, mirageRtPackageGetNumInputs(handle),
                                 mirageRtPackageGetInput);
    loaded.outputDescs = describe(handle, mirageRtPackageGetNumOutputs(handle),
                                  mirageRtPackageGetOutput);
    package = std::move(loaded);
    return status;
  }

  bool valid() const { return handle != nullptr; }
  MirageRtPackage get() const { return handle; }
  std::string functionName() const {
    return mirageRtPackageGetFunctionName(handle);
  }
  /// The target the kernels were compiled for, e.g. "sm_90a".
  std::string chip() const { return mirageRtPackageGetChip(handle); }
  /// "cubin" or "ptx": what was loaded.
  std::string binaryKind() const {
    return mirageRtPackageGetBinaryKind(handle);
  }
  int numKernels() const { return mirageRtPackageGetNumKernels(handle); }
  const std::vector<TensorDesc> &inputs() const { return inputDescs; }
  const std::vector<TensorDesc> &outputs() const { return outputDescs; }
  /// The range of random test values for input `index`
  /// (mirageRtPackageGetInputRange).
  std::pair<double, double> inputRange(int index) const {
    double low = -0.5, high = 0.5;
    mirageRtPackageGetInputRange(handle, index, &low, &high);
    return {low, high};
  }

  /// Enqueues a run on `stream` (mirageRtPackageRun): one device address
  /// per input and per output.
  Status run(const std::vector<MirageRtDevicePtr> &inputs,
             const std::vector<MirageRtDevicePtr> &outputs,
             MirageRtStream stream = nullptr) const {
    return Status::fromC(mirageRtPackageRun(
        handle, inputs.data(), static_cast<int>(inputs.size()), outputs.data(),
        static_cast<int>(outputs.size()), stream));
  }

  /// Runs on host memory and waits (mirageRtPackageRunHost).
  Status runHost(const std::vector<const void *> &inputs,
                 const std::vector<void *> &outputs) const {
    return Status::fromC(mirageRtPackageRunHost(
        handle, inputs.data(), static_cast<int>(inputs.size()), outputs.data(),
        static_cast<int>(outputs.size())));
  }

  /// Times `repeat` runs after `warmup` (mirageRtPackageTime); fills
  /// `milliseconds` with one latency per timed run.
  Status time(const std::vector<MirageRtDevicePtr> &inputs,
              const std::vector<MirageRtDevicePtr> &outputs,
              MirageRtStream stream, int warmup, int repeat,
              std::vector<float> &milliseconds) const {
    milliseconds.assign(repeat > 0 ? repeat : 0, 0.0f);
    return Status::fromC(mirageRtPackageTime(
        handle, inputs.data(), static_cast<int>(inputs.size()), outputs.data(),
        static_cast<int>(outputs.size()), stream, warmup, repeat,
        milliseconds.data()));
  }

private:
  static std::vector<TensorDesc>
  describe(MirageRtPackage handle, int count,
           MirageRtStatus (*get)(MirageRtPackage, int, MirageRtTensorDesc *)) {
    std::vector<TensorDesc> descs(count);
    for (int i = 0; i < count; ++i) {
      MirageRtTensorDesc desc;
      if (get(handle, i, &desc) != MIRAGE_RT_SUCCESS)
        continue; // Cannot happen: i is in range.
      descs[i].shape.assign(desc.shape, desc.shape + desc.rank);
      descs[i].dtype = desc.dtype;
      descs[i].numElements = desc.numElements;
      descs[i].sizeInBytes = desc.sizeInBytes;
    }
    return descs;
  }

  MirageRtPackage handle = nullptr;
  std::vector<TensorDesc> inputDescs, outputDescs;
};

} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_RUNTIME_H
