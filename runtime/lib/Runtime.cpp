//===- Runtime.cpp - Devices and loaded kernel packages -------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <type_traits>

using namespace mirage::runtime::detail;

// Launch parameters are the addresses of CUdeviceptr values, and the C API
// hands its MirageRtDevicePtr arrays straight through.
static_assert(std::is_same<CUdeviceptr, MirageRtDevicePtr>::value,
              "MirageRtDevicePtr must be CUdeviceptr");

/// Dynamic shared memory a kernel may use without opting in.
static constexpr unsigned kDefaultSharedMemoryLimit = 48 * 1024;

std::string mirage::runtime::detail::describeTensor(const TensorSpec &tensor) {
  std::string text = "tensor<";
  for (int64_t dim : tensor.shape)
    text += std::to_string(dim) + "x";
  return text + mirageRtDTypeName(tensor.dtype) + ">";
}

/// Reads a whole file; on failure sets `error` to the system's reason.
static bool readFile(const std::string &path, std::string &contents,
                     std::string &error) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = std::strerror(errno);
    return false;
  }
  contents.clear();
  char chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    contents.append(chunk, got);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed) {
    error = "read error";
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

/// The loaded driver after cuInit, or a NO_DRIVER / NO_DEVICE / CUDA status.
static Status initDriver(const DriverApi *&api) {
  std::string error;
  api = getDriver(error);
  if (!api)
    return Status::error(MIRAGE_RT_ERROR_NO_DRIVER, error);
  CUresult result = api->cuInit(0);
  if (result == CUDA_ERROR_NO_DEVICE)
    return Status::error(MIRAGE_RT_ERROR_NO_DEVICE,
                         "no CUDA device found (cuInit: " +
                             describeCudaError(*api, result) + ")");
  if (result != CUDA_SUCCESS)
    return Status::error(MIRAGE_RT_ERROR_CUDA,
                         "cannot initialize the CUDA driver (cuInit): " +
                             describeCudaError(*api, result));
  return Status::success();
}

Status Device::count(int &count) {
  count = 0;
  const DriverApi *api;
  Status status = initDriver(api);
  if (status.code == MIRAGE_RT_ERROR_NO_DEVICE)
    return Status::success();
  if (!status.ok())
    return status;
  CUresult result = api->cuDeviceGetCount(&count);
  if (result != CUDA_SUCCESS)
    return Status::error(MIRAGE_RT_ERROR_CUDA,
                         "cannot count the CUDA devices: " +
                             describeCudaError(*api, result));
  return Status::success();
}

Status Device::create(int ordinal, std::shared_ptr<Device> &result) {
  const DriverApi *api;
  Status status = initDriver(api);
  if (!status.ok())
    return status;
  int count = 0;
  CUresult r = api->cuDeviceGetCount(&count);
  if (r != CUDA_SUCCESS)
    return Status::error(MIRAGE_RT_ERROR_CUDA,
                         "cannot count the CUDA devices: " +
                             describeCudaError(*api, r));
  if (count == 0)
    return Status::error(MIRAGE_RT_ERROR_NO_DEVICE, "no CUDA device found");
  if (ordinal < 0 || ordinal >= count)
    return Status::error(MIRAGE_RT_ERROR_NO_DEVICE,
                         "there is no CUDA device " + std::to_string(ordinal) +
                             ": " + std::to_string(count) +
                             " found (ordinals 0 to " +
                             std::to_string(count - 1) + ")");

  // Not make_shared: the constructor is private.
  std::shared_ptr<Device> device(new Device());
  device->driver = api;
  device->ordinal = ordinal;
  std::string what = "device " + std::to_string(ordinal);
  if (Status s = device->check(api->cuDeviceGet(&device->device, ordinal),
                               "cannot get CUDA " + what);
      !s.ok())
    return s;
  char name[256] = {0};
  if (Status s = device->check(
          api->cuDeviceGetName(name, sizeof(name) - 1, device->device),
          "cannot get the name of CUDA " + what);
      !s.ok())
    return s;
  device->name = name;
  struct {
    CUdevice_attribute attribute;
    int *value;
    const char *what;
  } attributes[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &device->major,
       "compute capability"},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &device->minor,
       "compute capability"},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
       &device->maxSharedMemoryOptin, "shared memory limit"},
  };
  for (const auto &query : attributes)
    if (Status s =
            device->check(api->cuDeviceGetAttribute(
                              query.value, query.attribute, device->device),
                          std::string("cannot get the ") + query.what + " of " +
                              device->describe());
        !s.ok())
      return s;
  if (Status s = device->check(
          api->cuDevicePrimaryCtxRetain(&device->context, device->device),
          "cannot retain the primary context of " + device->describe());
      !s.ok()) {
    device->context = nullptr;
    return s;
  }
  result = std::move(device);
  return Status::success();
}

Device::~Device() {
  // Nothing to report to from a destructor; a failure here leaves the
  // context to the driver's process-exit cleanup.
  if (context)
    driver->cuDevicePrimaryCtxRelease(device);
}

std::string Device::describe() const {
  return "device " + std::to_string(ordinal) + " (" + name +
         ", compute capability " + std::to_string(major) + "." +
         std::to_string(minor) + ")";
}

Status Device::check(CUresult result, const std::string &doing) const {
  if (result == CUDA_SUCCESS)
    return Status::success();
  return Status::error(MIRAGE_RT_ERROR_CUDA,
                       doing + ": " + describeCudaError(*driver, result));
}

ContextScope::ContextScope(const Device &device) : device(device) {
  status = device.check(device.api().cuCtxPushCurrent(device.getContext()),
                        "cannot make the context of " + device.describe() +
                            " current");
}

ContextScope::~ContextScope() {
  if (status.ok()) {
    CUcontext popped;
    device.api().cuCtxPopCurrent(&popped);
  }
}

//===----------------------------------------------------------------------===//
// Package
//===----------------------------------------------------------------------===//

Status Package::load(std::shared_ptr<Device> device,
                     const std::string &directory,
                     std::unique_ptr<Package> &result) {
  std::string manifestPath = directory + "/manifest.json";
  std::string text, error;
  if (!readFile(manifestPath, text, error))
    return Status::error(MIRAGE_RT_ERROR_INVALID_PACKAGE,
                         "cannot read '" + manifestPath + "': " + error +
                             " (is '" + directory +
                             "' a kernel package directory?)");
  std::unique_ptr<Package> package(new Package(std::move(device)));
  if (!parseManifest(text, manifestPath, package->manifest, error))
    return Status::error(MIRAGE_RT_ERROR_INVALID_PACKAGE, error);

  ContextScope scope(*package->device);
  if (!scope.getStatus().ok())
    return scope.getStatus();
  if (Status s = package->loadModule(directory); !s.ok())
    return s;
  if (Status s = package->loadFunctions(); !s.ok())
    return s;
  result = std::move(package);
  return Status::success();
}

Status Package::loadModule(const std::string &directory) {
  const DriverApi &api = device->api();
  std::string ptxPath = directory + "/" + manifest.ptx;
  std::string ptx, error;
  // Read even when a cubin will do: a package without its PTX is broken, and
  // should fail here rather than on the next GPU it travels to.
  if (!readFile(ptxPath, ptx, error))
    return Status::error(MIRAGE_RT_ERROR_INVALID_PACKAGE,
                         "cannot read the PTX file '" + ptxPath +
                             "' named in " + directory +
                             "/manifest.json: " + error);

  Chip chip;
  parseChip(manifest.chip, chip); // Checked by parseManifest.
  bool deviceRunsChip =
      chipRunsOn(chip, device->getMajor(), device->getMinor());

  std::string cubinFailure;
  if (!manifest.cubin.empty() && deviceRunsChip) {
    std::string cubinPath = directory + "/" + manifest.cubin;
    std::string cubin;
    if (!readFile(cubinPath, cubin, error))
      return Status::error(MIRAGE_RT_ERROR_INVALID_PACKAGE,
                           "cannot read the cubin file '" + cubinPath +
                               "' named in " + directory +
                               "/manifest.json: " + error);
    CUresult r =
        api.cuModuleLoadDataEx(&module, cubin.data(), 0, nullptr, nullptr);
    if (r == CUDA_SUCCESS) {
      usedCubin = true;
      return Status::success();
    }
    // The PTX may still work (a driver that rejects the cubin's ELF
    // version, say); say what happened if it does not.
    module = nullptr;
    cubinFailure = "; loading the cubin '" + cubinPath +
                   "' failed before: " + describeCudaError(api, r);
  }

  // PTX is JIT-compiled by the driver; its error log is what explains a
  // failure (unsupported PTX version, instruction not available on the
  // target...).
  char errorLog[16384] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {errorLog, reinterpret_cast<void *>(
                                  static_cast<uintptr_t>(sizeof(errorLog)))};
  CUresult r = api.cuModuleLoadDataEx(&module, ptx.c_str(), 2, options, values);
  if (r == CUDA_SUCCESS)
    return Status::success();
  module = nullptr;
  errorLog[sizeof(errorLog) - 1] = 0;
  std::string message = "cannot JIT-compile the PTX '" + ptxPath +
                        "' (compiled for " + manifest.chip + ") for " +
                        device->describe() + ": " + describeCudaError(api, r);
  if (!ptxRunsOn(chip, device->getMajor(), device->getMinor()))
    message += "; code for " + manifest.chip +
               " does not run on this device: compile the package for sm_" +
               std::to_string(device->getMajor() * 10 + device->getMinor()) +
               (device->getMajor() >= 9 ? "a" : "");
  message += cubinFailure;
  if (errorLog[0])
    message += "\nJIT error log:\n" + std::string(errorLog);
  return Status::error(MIRAGE_RT_ERROR_CUDA, message);
}

Status Package::loadFunctions() {
  const DriverApi &api = device->api();
  const char *binary = usedCubin ? "cubin" : "PTX";
  // A kernel may be launched more than once: look it up once, and raise its
  // shared memory limit to the most any launch needs.
  std::map<std::string, std::pair<CUfunction, unsigned>> byName;
  for (size_t i = 0; i < manifest.kernels.size(); ++i) {
    const KernelSpec &kernel = manifest.kernels[i];
    auto it = byName.find(kernel.name);
    if (it == byName.end()) {
      CUfunction function;
      if (Status s = device->check(
              api.cuModuleGetFunction(&function, module, kernel.name.c_str()),
              "cannot find kernel '" + kernel.name + "' (kernels[" +
                  std::to_string(i) + "]) in the " + binary + " of package '" +
                  manifest.function + "'");
          !s.ok())
        return s;
      it = byName.emplace(kernel.name, std::make_pair(function, 0u)).first;
    }
    it->second.second = std::max(it->second.second, kernel.sharedMemoryBytes);
    functions.push_back(it->second.first);

    if (kernel.sharedMemoryBytes > unsigned(device->getMaxSharedMemoryOptin()))
      return Status::error(
          MIRAGE_RT_ERROR_INVALID_PACKAGE,
          "kernel '" + kernel.name + "' (kernels[" + std::to_string(i) +
              "]) needs " + std::to_string(kernel.sharedMemoryBytes) +
              " bytes of shared memory per block, but " + device->describe() +
              " allows at most " +
              std::to_string(device->getMaxSharedMemoryOptin()) +
              ": the package was compiled for " + manifest.chip);
  }
  for (const auto &[name, entry] : byName) {
    if (entry.second <= kDefaultSharedMemoryLimit)
      continue;
    if (Status s = device->check(
            api.cuFuncSetAttribute(
                entry.first, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                static_cast<int>(entry.second)),
            "cannot raise the dynamic shared memory limit of kernel '" + name +
                "' to " + std::to_string(entry.second) + " bytes");
        !s.ok())
      return s;
  }
  return Status::success();
}

Package::~Package() {
  ContextScope scope(*device);
  if (!scope.getStatus().ok())
    return; // The driver frees everything at process exit.
  free(buffers);
  free(hostInputs);
  free(hostOutputs);
  if (module)
    device->api().cuModuleUnload(module);
}

void Package::free(std::vector<CUdeviceptr> &memory) {
  for (CUdeviceptr ptr : memory)
    if (ptr)
      device->api().cuMemFree(ptr);
  memory.clear();
}

Status Package::allocate(const std::vector<TensorSpec> &tensors,
                         const char *noun, std::vector<CUdeviceptr> &memory) {
  std::lock_guard<std::mutex> lock(allocationMutex);
  if (memory.size() == tensors.size())
    return Status::success();
  std::vector<CUdeviceptr> allocated(tensors.size(), 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    CUresult r = device->api().cuMemAlloc(
        &allocated[i], static_cast<size_t>(tensors[i].sizeInBytes));
    if (r != CUDA_SUCCESS) {
      allocated[i] = 0;
      free(allocated);
      return device->check(r, std::string("cannot allocate ") + noun + " " +
                                  std::to_string(i) + " of package '" +
                                  manifest.function + "' (" +
                                  describeTensor(tensors[i]) + ", " +
                                  std::to_string(tensors[i].sizeInBytes) +
                                  " bytes) on " + device->describe());
    }
  }
  memory = std::move(allocated);
  return Status::success();
}

Status Package::checkCounts(int numInputs, int numOutputs) const {
  if (size_t(numInputs) != manifest.inputs.size() ||
      size_t(numOutputs) != manifest.outputs.size() || numInputs < 0 ||
      numOutputs < 0)
    return Status::error(
        MIRAGE_RT_ERROR_INVALID_ARGUMENT,
        "package '" + manifest.function + "' takes " +
            std::to_string(manifest.inputs.size()) + " inputs and " +
            std::to_string(manifest.outputs.size()) + " outputs, but " +
            std::to_string(numInputs) + " and " + std::to_string(numOutputs) +
            " were given");
  return Status::success();
}

Status Package::launch(const CUdeviceptr *inputs, const CUdeviceptr *outputs,
                       CUstream stream) {
  if (Status s = allocate(manifest.buffers, "buffer", buffers); !s.ok())
    return s;
  std::vector<CUdeviceptr> values;
  std::vector<void *> params;
  for (size_t k = 0; k < manifest.kernels.size(); ++k) {
    const KernelSpec &kernel = manifest.kernels[k];
    values.resize(kernel.args.size());
    params.resize(kernel.args.size());
    for (size_t i = 0; i < kernel.args.size(); ++i) {
      const KernelArg &arg = kernel.args[i];
      values[i] = arg.kind == ArgKind::Input    ? inputs[arg.index]
                  : arg.kind == ArgKind::Output ? outputs[arg.index]
                                                : buffers[arg.index];
      // The driver reads each parameter's value through this pointer.
      params[i] = &values[i];
    }
    CUresult r = device->api().cuLaunchKernel(
        functions[k], kernel.grid[0], kernel.grid[1], kernel.grid[2],
        kernel.block[0], kernel.block[1], kernel.block[2],
        kernel.sharedMemoryBytes, stream, params.data(), nullptr);
    if (r != CUDA_SUCCESS) {
      auto dims = [](const unsigned(&d)[3]) {
        return "[" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + ", " +
               std::to_string(d[2]) + "]";
      };
      return device->check(r, "cannot launch kernel '" + kernel.name +
                                  "' (kernels[" + std::to_string(k) +
                                  "] of package '" + manifest.function +
                                  "'; grid " + dims(kernel.grid) + ", block " +
                                  dims(kernel.block) + ", " +
                                  std::to_string(kernel.sharedMemoryBytes) +
                                  " bytes of dynamic shared memory)");
    }
  }
  return Status::success();
}

Status Package::run(const CUdeviceptr *inputs, int numInputs,
                    const CUdeviceptr *outputs, int numOutputs,
                    CUstream stream) {
  if (Status s = checkCounts(numInputs, numOutputs); !s.ok())
    return s;
  if ((numInputs && !inputs) || (numOutputs && !outputs))
    return Status::error(MIRAGE_RT_ERROR_INVALID_ARGUMENT,
                         "the input or output array is null");
  for (int i = 0; i < numInputs; ++i)
    if (!inputs[i])
      return Status::error(MIRAGE_RT_ERROR_INVALID_ARGUMENT,
                           "input " + std::to_string(i) +
                               " is a null device pointer");
  for (int i = 0; i < numOutputs; ++i)
    if (!outputs[i])
      return Status::error(MIRAGE_RT_ERROR_INVALID_ARGUMENT,
                           "output " + std::to_string(i) +
                               " is a null device pointer");
  ContextScope scope(*device);
  if (!scope.getStatus().ok())
    return scope.getStatus();
  return launch(inputs, outputs, stream);
}

Status Package::runHost(const void *const *inputs, int numInputs,
                        void *const *outputs, int numOutputs) {
  if (Status s = checkCounts(numInputs, numOutputs); !s.ok())
    return s;
  for (int i = 0; i < numInputs; ++i)
    if (!inputs || !inputs[i])
      return Status::error(MIRAGE_RT_ERROR_INVALID_ARGUMENT,
                           "input " + std::to_string(i) + " is a null pointer");
  for (int i = 0; i < numOutputs; ++i)
    if (!outputs || !outputs[i])
      return Status::error(MIRAGE_RT_ERROR_INVALID_ARGUMENT,
                           "output " + std::to_string(i) +
                               " is a null pointer");

  ContextScope scope(*device);
  if (!scope.getStatus().ok())
    return scope.getStatus();
  const DriverApi &api = device->api();
  if (Status s = allocate(manifest.inputs, "input", hostInputs); !s.ok())
    return s;
  if (Status s = allocate(manifest.outputs, "output", hostOutputs); !s.ok())
    return s;
  for (int i = 0; i < numInputs; ++i) {
    const TensorSpec &tensor = manifest.inputs[i];
    if (Status s = device->check(
            api.cuMemcpyHtoD(hostInputs[i], inputs[i],
                             static_cast<size_t>(tensor.sizeInBytes)),
            "cannot copy input " + std::to_string(i) + " (" +
                describeTensor(tensor) + ") to " + device->describe());
        !s.ok())
      return s;
  }
  if (Status s = launch(hostInputs.data(), hostOutputs.data(), nullptr);
      !s.ok())
    return s;
  // Kernel faults surface here, not at launch.
  if (Status s = device->check(api.cuStreamSynchronize(nullptr),
                               "the kernels of package '" + manifest.function +
                                   "' failed on " + device->describe());
      !s.ok())
    return s;
  for (int i = 0; i < numOutputs; ++i) {
    const TensorSpec &tensor = manifest.outputs[i];
    if (Status s = device->check(
            api.cuMemcpyDtoH(outputs[i], hostOutputs[i],
                             static_cast<size_t>(tensor.sizeInBytes)),
            "cannot copy output " + std::to_string(i) + " (" +
                describeTensor(tensor) + ") from " + device->describe());
        !s.ok())
      return s;
  }
  return Status::success();
}

Status Package::time(const CUdeviceptr *inputs, int numInputs,
                     const CUdeviceptr *outputs, int numOutputs,
                     CUstream stream, int warmup, int repeat,
                     float *milliseconds) {
  if (warmup < 0 || repeat < 1 || !milliseconds)
    return Status::error(MIRAGE_RT_ERROR_INVALID_ARGUMENT,
                         "timing needs warmup >= 0, repeat >= 1 and room for "
                         "`repeat` latencies");
  ContextScope scope(*device);
  if (!scope.getStatus().ok())
    return scope.getStatus();
  const DriverApi &api = device->api();

  struct Events {
    const DriverApi &api;
    CUevent start = nullptr, stop = nullptr;
    ~Events() {
      if (start)
        api.cuEventDestroy(start);
      if (stop)
        api.cuEventDestroy(stop);
    }
  } events{api};
  if (Status s = device->check(api.cuEventCreate(&events.start, 0),
                               "cannot create a CUDA event");
      !s.ok())
    return s;
  if (Status s = device->check(api.cuEventCreate(&events.stop, 0),
                               "cannot create a CUDA event");
      !s.ok())
    return s;

  for (int i = 0; i < warmup; ++i)
    if (Status s = run(inputs, numInputs, outputs, numOutputs, stream); !s.ok())
      return s;
  // Each run is bracketed and waited for on its own, so that the spread
  // (min, median, max) is visible, at the cost of the launch gap between
  // runs.
  for (int i = 0; i < repeat; ++i) {
    if (Status s = device->check(api.cuEventRecord(events.start, stream),
                                 "cannot record a CUDA event");
        !s.ok())
      return s;
    if (Status s = run(inputs, numInputs, outputs, numOutputs, stream); !s.ok())
      return s;
    if (Status s = device->check(api.cuEventRecord(events.stop, stream),
                                 "cannot record a CUDA event");
        !s.ok())
      return s;
    if (Status s =
            device->check(api.cuEventSynchronize(events.stop),
                          "the kernels of package '" + manifest.function +
                              "' failed on " + device->describe());
        !s.ok())
      return s;
    if (Status s = device->check(
            api.cuEventElapsedTime(&milliseconds[i], events.start, events.stop),
            "cannot read the time between two CUDA events");
        !s.ok())
      return s;
  }
  return Status::success();
}
