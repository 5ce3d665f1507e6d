//===- CAPI.cpp - The C API over Device and Package -----------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The C API is the library's only exported interface (the C++ API in
// Runtime.h is inline over it), so that Python's ctypes and C callers see a
// stable ABI, free of C++ name mangling and standard-library versions.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

using namespace mirage::runtime::detail;

struct MirageRtDeviceImpl {
  std::shared_ptr<Device> device;
};

struct MirageRtPackageImpl {
  std::unique_ptr<Package> package;
};

/// The message of the last status-returning call on this thread.
static std::string &lastError() {
  static thread_local std::string message;
  return message;
}

static MirageRtStatus finish(const Status &status) {
  lastError() = status.message;
  return status.code;
}

static MirageRtStatus invalidArgument(const std::string &message) {
  return finish(Status::error(MIRAGE_RT_ERROR_INVALID_ARGUMENT, message));
}

const char *mirageRtGetLastError(void) { return lastError().c_str(); }

const char *mirageRtStatusName(MirageRtStatus status) {
  switch (status) {
  case MIRAGE_RT_SUCCESS:
    return "MIRAGE_RT_SUCCESS";
  case MIRAGE_RT_ERROR_INVALID_ARGUMENT:
    return "MIRAGE_RT_ERROR_INVALID_ARGUMENT";
  case MIRAGE_RT_ERROR_NO_DRIVER:
    return "MIRAGE_RT_ERROR_NO_DRIVER";
  case MIRAGE_RT_ERROR_NO_DEVICE:
    return "MIRAGE_RT_ERROR_NO_DEVICE";
  case MIRAGE_RT_ERROR_INVALID_PACKAGE:
    return "MIRAGE_RT_ERROR_INVALID_PACKAGE";
  case MIRAGE_RT_ERROR_CUDA:
    return "MIRAGE_RT_ERROR_CUDA";
  }
  return "MIRAGE_RT_ERROR_UNKNOWN";
}

const char *mirageRtDTypeName(MirageRtDType dtype) {
  switch (dtype) {
  case MIRAGE_RT_F16:
    return "f16";
  case MIRAGE_RT_BF16:
    return "bf16";
  case MIRAGE_RT_F32:
    return "f32";
  }
  return "?";
}

size_t mirageRtDTypeSize(MirageRtDType dtype) {
  switch (dtype) {
  case MIRAGE_RT_F16:
  case MIRAGE_RT_BF16:
    return 2;
  case MIRAGE_RT_F32:
    return 4;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

MirageRtStatus mirageRtGetDeviceCount(int *count) {
  if (!count)
    return invalidArgument("mirageRtGetDeviceCount: count is null");
  return finish(Device::count(*count));
}

MirageRtStatus mirageRtDeviceCreate(int ordinal, MirageRtDevice *device) {
  if (!device)
    return invalidArgument("mirageRtDeviceCreate: device is null");
  *device = nullptr;
  std::shared_ptr<Device> created;
  Status status = Device::create(ordinal, created);
  if (status.ok())
    *device = new MirageRtDeviceImpl{std::move(created)};
  return finish(status);
}

void mirageRtDeviceDestroy(MirageRtDevice device) { delete device; }

const char *mirageRtDeviceGetName(MirageRtDevice device) {
  return device ? device->device->getName().c_str() : "";
}

void mirageRtDeviceGetComputeCapability(MirageRtDevice device, int *major,
                                        int *minor) {
  if (major)
    *major = device ? device->device->getMajor() : 0;
  if (minor)
    *minor = device ? device->device->getMinor() : 0;
}

MirageRtStatus mirageRtDeviceAlloc(MirageRtDevice device, size_t bytes,
                                   MirageRtDevicePtr *ptr) {
  if (!device || !ptr || bytes == 0)
    return invalidArgument(
        "mirageRtDeviceAlloc: needs a device, a result pointer and bytes > 0");
  *ptr = 0;
  const Device &d = *device->device;
  ContextScope scope(d);
  if (!scope.getStatus().ok())
    return finish(scope.getStatus());
  return finish(d.check(d.api().cuMemAlloc(ptr, bytes),
                        "cannot allocate " + std::to_string(bytes) +
                            " bytes on " + d.describe()));
}

MirageRtStatus mirageRtDeviceFree(MirageRtDevice device,
                                  MirageRtDevicePtr ptr) {
  if (!device)
    return invalidArgument("mirageRtDeviceFree: device is null");
  if (!ptr)
    return finish(Status::success());
  const Device &d = *device->device;
  ContextScope scope(d);
  if (!scope.getStatus().ok())
    return finish(scope.getStatus());
  return finish(
      d.check(d.api().cuMemFree(ptr), "cannot free memory on " + d.describe()));
}

MirageRtStatus mirageRtCopyHostToDevice(MirageRtDevice device,
                                        MirageRtDevicePtr dst, const void *src,
                                        size_t bytes) {
  if (!device || (bytes && (!dst || !src)))
    return invalidArgument(
        "mirageRtCopyHostToDevice: null device or null address");
  const Device &d = *device->device;
  ContextScope scope(d);
  if (!scope.getStatus().ok())
    return finish(scope.getStatus());
  return finish(d.check(d.api().cuMemcpyHtoD(dst, src, bytes),
                        "cannot copy " + std::to_string(bytes) + " bytes to " +
                            d.describe()));
}

MirageRtStatus mirageRtCopyDeviceToHost(MirageRtDevice device, void *dst,
                                        MirageRtDevicePtr src, size_t bytes) {
  if (!device || (bytes && (!dst || !src)))
    return invalidArgument(
        "mirageRtCopyDeviceToHost: null device or null address");
  const Device &d = *device->device;
  ContextScope scope(d);
  if (!scope.getStatus().ok())
    return finish(scope.getStatus());
  return finish(d.check(d.api().cuMemcpyDtoH(dst, src, bytes),
                        "cannot copy " + std::to_string(bytes) +
                            " bytes from " + d.describe()));
}

MirageRtStatus mirageRtDeviceSynchronize(MirageRtDevice device) {
  if (!device)
    return invalidArgument("mirageRtDeviceSynchronize: device is null");
  const Device &d = *device->device;
  ContextScope scope(d);
  if (!scope.getStatus().ok())
    return finish(scope.getStatus());
  return finish(d.check(d.api().cuCtxSynchronize(),
                        "work on " + d.describe() + " failed"));
}

//===----------------------------------------------------------------------===//
// Packages
//===----------------------------------------------------------------------===//

MirageRtStatus mirageRtPackageLoad(MirageRtDevice device, const char *directory,
                                   MirageRtPackage *package) {
  if (!device || !directory || !package)
    return invalidArgument(
        "mirageRtPackageLoad: needs a device, a directory and a result");
  *package = nullptr;
  std::unique_ptr<Package> loaded;
  Status status = Package::load(device->device, directory, loaded);
  if (status.ok())
    *package = new MirageRtPackageImpl{std::move(loaded)};
  return finish(status);
}

void mirageRtPackageDestroy(MirageRtPackage package) { delete package; }

const char *mirageRtPackageGetFunctionName(MirageRtPackage package) {
  return package ? package->package->getManifest().function.c_str() : "";
}

const char *mirageRtPackageGetChip(MirageRtPackage package) {
  return package ? package->package->getManifest().chip.c_str() : "";
}

const char *mirageRtPackageGetBinaryKind(MirageRtPackage package) {
  return package ? package->package->getBinaryKind() : "";
}

int mirageRtPackageGetNumInputs(MirageRtPackage package) {
  return package ? int(package->package->getManifest().inputs.size()) : 0;
}

int mirageRtPackageGetNumOutputs(MirageRtPackage package) {
  return package ? int(package->package->getManifest().outputs.size()) : 0;
}

int mirageRtPackageGetNumKernels(MirageRtPackage package) {
  return package ? int(package->package->getManifest().kernels.size()) : 0;
}

static MirageRtStatus describe(const std::vector<TensorSpec> *tensors,
                               const char *noun, int index,
                               MirageRtTensorDesc *desc) {
  if (!tensors || !desc)
    return invalidArgument("null package or descriptor");
  if (index < 0 || size_t(index) >= tensors->size())
    return invalidArgument("there is no " + std::string(noun) + " " +
                           std::to_string(index) + ": the package has " +
                           std::to_string(tensors->size()));
  const TensorSpec &tensor = (*tensors)[index];
  desc->rank = static_cast<int32_t>(tensor.shape.size());
  desc->shape = tensor.shape.data();
  desc->dtype = tensor.dtype;
  desc->numElements = tensor.numElements;
  desc->sizeInBytes = tensor.sizeInBytes;
  return finish(Status::success());
}

MirageRtStatus mirageRtPackageGetInput(MirageRtPackage package, int index,
                                       MirageRtTensorDesc *desc) {
  return describe(package ? &package->package->getManifest().inputs : nullptr,
                  "input", index, desc);
}

MirageRtStatus mirageRtPackageGetOutput(MirageRtPackage package, int index,
                                        MirageRtTensorDesc *desc) {
  return describe(package ? &package->package->getManifest().outputs : nullptr,
                  "output", index, desc);
}

MirageRtStatus mirageRtPackageGetInputRange(MirageRtPackage package, int index,
                                            double *low, double *high) {
  if (!package || !low || !high)
    return invalidArgument(
        "mirageRtPackageGetInputRange: null package or result");
  const std::vector<TensorSpec> &inputs =
      package->package->getManifest().inputs;
  if (index < 0 || size_t(index) >= inputs.size())
    return invalidArgument("there is no input " + std::to_string(index) +
                           ": the package has " +
                           std::to_string(inputs.size()));
  const TensorSpec &input = inputs[index];
  *low = input.hasInputRange ? input.inputLow : kDefaultInputLow;
  *high = input.hasInputRange ? input.inputHigh : kDefaultInputHigh;
  return finish(Status::success());
}

MirageRtStatus mirageRtPackageRun(MirageRtPackage package,
                                  const MirageRtDevicePtr *inputs,
                                  int numInputs,
                                  const MirageRtDevicePtr *outputs,
                                  int numOutputs, MirageRtStream stream) {
  if (!package)
    return invalidArgument("mirageRtPackageRun: package is null");
  return finish(
      package->package->run(inputs, numInputs, outputs, numOutputs, stream));
}

MirageRtStatus mirageRtPackageRunHost(MirageRtPackage package,
                                      const void *const *inputs, int numInputs,
                                      void *const *outputs, int numOutputs) {
  if (!package)
    return invalidArgument("mirageRtPackageRunHost: package is null");
  return finish(
      package->package->runHost(inputs, numInputs, outputs, numOutputs));
}

MirageRtStatus
mirageRtPackageTime(MirageRtPackage package, const MirageRtDevicePtr *inputs,
                    int numInputs, const MirageRtDevicePtr *outputs,
                    int numOutputs, MirageRtStream stream, int warmup,
                    int repeat, float *milliseconds) {
  if (!package)
    return invalidArgument("mirageRtPackageTime: package is null");
  return finish(package->package->time(inputs, numInputs, outputs, numOutputs,
                                       stream, warmup, repeat, milliseconds));
}
