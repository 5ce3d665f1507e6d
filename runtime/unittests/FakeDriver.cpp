//===- FakeDriver.cpp - A fake CUDA driver for the runtime tests ----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "FakeDriver.h"

#include <cstdlib>
#include <cstring>

using namespace mirage::runtime::testing;
using mirage::runtime::detail::DriverApi;

namespace {
std::unique_ptr<FakeGpu> state(new FakeGpu());

struct FakeEvent {
  double time = 0;
};

/// Records the call and returns the failure injected for `name`, if any.
CUresult enter(const std::string &name) {
  state->calls.push_back(name);
  auto it = state->failures.find(name);
  return it == state->failures.end() ? CUDA_SUCCESS : it->second;
}

/// Whether [address, address + bytes) lies inside one allocation.
bool inAllocation(CUdeviceptr address, size_t bytes) {
  auto it = state->allocations.upper_bound(address);
  if (it == state->allocations.begin())
    return false;
  --it;
  return address >= it->first && address + bytes <= it->first + it->second;
}

const struct {
  CUresult code;
  const char *name, *text;
} kErrors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED",
     "initialization error"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE",
     "no CUDA-capable device is detected"},
    {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX",
     "a PTX JIT compilation failed"},
    {CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU",
     "no kernel image is available for execution on the device"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
     "too many resources requested for launch"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
};

CUresult fakeGetErrorName(CUresult error, const char **name) {
  for (const auto &known : kErrors)
    if (known.code == error) {
      *name = known.name;
      return CUDA_SUCCESS;
    }
  *name = nullptr;
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult fakeGetErrorString(CUresult error, const char **text) {
  for (const auto &known : kErrors)
    if (known.code == error) {
      *text = known.text;
      return CUDA_SUCCESS;
    }
  *text = nullptr;
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult fakeInit(unsigned flags) {
  state->calls.push_back("cuInit");
  return state->initResult;
}

CUresult fakeDriverGetVersion(int *version) {
  *version = 13000;
  return enter("cuDriverGetVersion");
}

CUresult fakeDeviceGetCount(int *count) {
  *count = state->deviceCount;
  return enter("cuDeviceGetCount");
}

CUresult fakeDeviceGet(CUdevice *device, int ordinal) {
  *device = ordinal;
  return enter("cuDeviceGet");
}

CUresult fakeDeviceGetName(char *name, int length, CUdevice device) {
  std::strncpy(name, state->name.c_str(), length);
  return enter("cuDeviceGetName");
}

CUresult fakeDeviceGetAttribute(int *value, CUdevice_attribute attribute,
                                CUdevice device) {
  switch (attribute) {
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
    *value = state->major;
    break;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
    *value = state->minor;
    break;
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
    *value = state->maxSharedMemoryOptin;
    break;
  default:
    return CUDA_ERROR_INVALID_VALUE;
  }
  return enter("cuDeviceGetAttribute");
}

// Any non-null pointer will do as the context handle.
int fakeContextObject;

CUresult fakeDevicePrimaryCtxRetain(CUcontext *context, CUdevice device) {
  if (CUresult r = enter("cuDevicePrimaryCtxRetain"))
    return r;
  *context = reinterpret_cast<CUcontext>(&fakeContextObject);
  ++state->retained;
  return CUDA_SUCCESS;
}

CUresult fakeDevicePrimaryCtxRelease(CUdevice device) {
  ++state->released;
  return enter("cuDevicePrimaryCtxRelease");
}

CUresult fakeCtxPushCurrent(CUcontext context) {
  if (CUresult r = enter("cuCtxPushCurrent"))
    return r;
  ++state->contextDepth;
  return CUDA_SUCCESS;
}

CUresult fakeCtxPopCurrent(CUcontext *context) {
  --state->contextDepth;
  *context = reinterpret_cast<CUcontext>(&fakeContextObject);
  return enter("cuCtxPopCurrent");
}

CUresult fakeCtxSynchronize() { return enter("cuCtxSynchronize"); }

/// Kernel name -> parameter count, from ".entry name(.param ..., ...)".
std::map<std::string, int> parseEntries(const std::string &image) {
  std::map<std::string, int> kernels;
  size_t pos = 0;
  while ((pos = image.find(".entry ", pos)) != std::string::npos) {
    pos += 7;
    size_t open = image.find('(', pos), close = image.find(')', open);
    std::string name = image.substr(pos, open - pos);
    int params = 0;
    for (size_t p = image.find(".param", open); p < close;
         p = image.find(".param", p + 1))
      ++params;
    kernels[name] = params;
    pos = close;
  }
  return kernels;
}

CUresult fakeModuleLoadDataEx(CUmodule *module, const void *image,
                              unsigned numOptions, CUjit_option *options,
                              void **values) {
  std::string text(static_cast<const char *>(image));
  bool cubin = text.rfind("FAKE-CUBIN", 0) == 0;
  if (CUresult r = enter(cubin ? "cuModuleLoadDataEx(cubin)"
                               : "cuModuleLoadDataEx(ptx)")) {
    // Fill the error log as the driver does.
    char *log = nullptr;
    size_t size = 0;
    for (unsigned i = 0; i < numOptions; ++i) {
      if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
        log = static_cast<char *>(values[i]);
      if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
        size = reinterpret_cast<uintptr_t>(values[i]);
    }
    if (log && size) {
      std::strncpy(log, state->jitErrorLog.c_str(), size - 1);
      log[size - 1] = 0;
    }
    return r;
  }
  auto fake = std::make_unique<FakeModule>();
  fake->cubin = cubin;
  fake->image = text;
  fake->kernels = parseEntries(text);
  *module = reinterpret_cast<CUmodule>(fake.get());
  state->modules.push_back(std::move(fake));
  return CUDA_SUCCESS;
}

CUresult fakeModuleUnload(CUmodule module) {
  reinterpret_cast<FakeModule *>(module)->unloaded = true;
  return enter("cuModuleUnload");
}

CUresult fakeModuleGetFunction(CUfunction *function, CUmodule module,
                               const char *name) {
  if (CUresult r = enter("cuModuleGetFunction"))
    return r;
  auto *fakeModule = reinterpret_cast<FakeModule *>(module);
  auto it = fakeModule->kernels.find(name);
  if (it == fakeModule->kernels.end())
    return CUDA_ERROR_NOT_FOUND;
  auto fake = std::make_unique<FakeFunction>();
  fake->module = fakeModule;
  fake->name = name;
  fake->numParams = it->second;
  *function = reinterpret_cast<CUfunction>(fake.get());
  state->functions.push_back(std::move(fake));
  return CUDA_SUCCESS;
}

CUresult fakeFuncSetAttribute(CUfunction function,
                              CUfunction_attribute attribute, int value) {
  if (CUresult r = enter("cuFuncSetAttribute"))
    return r;
  if (attribute == CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)
    state->sharedMemoryAttributes.emplace_back(
        reinterpret_cast<FakeFunction *>(function)->name, value);
  return CUDA_SUCCESS;
}

CUresult fakeMemAlloc(CUdeviceptr *address, size_t bytes) {
  if (CUresult r = enter("cuMemAlloc"))
    return r;
  // Poisoned, as device memory is not zeroed either.
  void *memory = std::malloc(bytes);
  std::memset(memory, 0xcd, bytes);
  *address = reinterpret_cast<CUdeviceptr>(memory);
  state->allocations[*address] = bytes;
  ++state->numAllocs;
  return CUDA_SUCCESS;
}

CUresult fakeMemFree(CUdeviceptr address) {
  if (CUresult r = enter("cuMemFree"))
    return r;
  if (!state->allocations.erase(address))
    return CUDA_ERROR_INVALID_VALUE;
  std::free(reinterpret_cast<void *>(address));
  ++state->numFrees;
  return CUDA_SUCCESS;
}

CUresult fakeMemcpyHtoD(CUdeviceptr dst, const void *src, size_t bytes) {
  if (CUresult r = enter("cuMemcpyHtoD"))
    return r;
  if (!inAllocation(dst, bytes)) {
    state->badAccess = true;
    return CUDA_ERROR_INVALID_VALUE;
  }
  std::memcpy(reinterpret_cast<void *>(dst), src, bytes);
  ++state->numHostToDevice;
  return CUDA_SUCCESS;
}

CUresult fakeMemcpyDtoH(void *dst, CUdeviceptr src, size_t bytes) {
  if (CUresult r = enter("cuMemcpyDtoH"))
    return r;
  if (!inAllocation(src, bytes)) {
    state->badAccess = true;
    return CUDA_ERROR_INVALID_VALUE;
  }
  std::memcpy(dst, reinterpret_cast<const void *>(src), bytes);
  ++state->numDeviceToHost;
  return CUDA_SUCCESS;
}

CUresult fakeStreamSynchronize(CUstream stream) {
  return enter("cuStreamSynchronize");
}

CUresult fakeLaunchKernel(CUfunction function, unsigned gridX, unsigned gridY,
                          unsigned gridZ, unsigned blockX, unsigned blockY,
                          unsigned blockZ, unsigned sharedMemoryBytes,
                          CUstream stream, void **params, void **extra) {
  if (CUresult r = enter("cuLaunchKernel"))
    return r;
  auto *fake = reinterpret_cast<FakeFunction *>(function);
  FakeLaunch launch;
  launch.kernel = fake->name;
  launch.grid[0] = gridX;
  launch.grid[1] = gridY;
  launch.grid[2] = gridZ;
  launch.block[0] = blockX;
  launch.block[1] = blockY;
  launch.block[2] = blockZ;
  launch.sharedMemoryBytes = sharedMemoryBytes;
  launch.stream = stream;
  for (int i = 0; i < fake->numParams; ++i)
    launch.args.push_back(*static_cast<CUdeviceptr *>(params[i]));
  auto body = state->kernelBodies.find(fake->name);
  if (body != state->kernelBodies.end())
    body->second(launch.args);
  state->launches.push_back(std::move(launch));
  state->clockMilliseconds += state->launchMilliseconds;
  return CUDA_SUCCESS;
}

CUresult fakeEventCreate(CUevent *event, unsigned flags) {
  if (CUresult r = enter("cuEventCreate"))
    return r;
  *event = reinterpret_cast<CUevent>(new FakeEvent());
  return CUDA_SUCCESS;
}

CUresult fakeEventRecord(CUevent event, CUstream stream) {
  reinterpret_cast<FakeEvent *>(event)->time = state->clockMilliseconds;
  return enter("cuEventRecord");
}

CUresult fakeEventSynchronize(CUevent event) {
  return enter("cuEventSynchronize");
}

CUresult fakeEventElapsedTime(float *milliseconds, CUevent start,
                              CUevent stop) {
  *milliseconds =
      static_cast<float>(reinterpret_cast<FakeEvent *>(stop)->time -
                         reinterpret_cast<FakeEvent *>(start)->time);
  return enter("cuEventElapsedTime");
}

CUresult fakeEventDestroy(CUevent event) {
  delete reinterpret_cast<FakeEvent *>(event);
  return enter("cuEventDestroy");
}

DriverApi makeTable() {
  DriverApi api;
  api.cuInit = fakeInit;
  api.cuDriverGetVersion = fakeDriverGetVersion;
  api.cuGetErrorName = fakeGetErrorName;
  api.cuGetErrorString = fakeGetErrorString;
  api.cuDeviceGetCount = fakeDeviceGetCount;
  api.cuDeviceGet = fakeDeviceGet;
  api.cuDeviceGetName = fakeDeviceGetName;
  api.cuDeviceGetAttribute = fakeDeviceGetAttribute;
  api.cuDevicePrimaryCtxRetain = fakeDevicePrimaryCtxRetain;
  api.cuDevicePrimaryCtxRelease = fakeDevicePrimaryCtxRelease;
  api.cuCtxPushCurrent = fakeCtxPushCurrent;
  api.cuCtxPopCurrent = fakeCtxPopCurrent;
  api.cuCtxSynchronize = fakeCtxSynchronize;
  api.cuModuleLoadDataEx = fakeModuleLoadDataEx;
  api.cuModuleUnload = fakeModuleUnload;
  api.cuModuleGetFunction = fakeModuleGetFunction;
  api.cuFuncSetAttribute = fakeFuncSetAttribute;
  api.cuMemAlloc = fakeMemAlloc;
  api.cuMemFree = fakeMemFree;
  api.cuMemcpyHtoD = fakeMemcpyHtoD;
  api.cuMemcpyDtoH = fakeMemcpyDtoH;
  api.cuStreamSynchronize = fakeStreamSynchronize;
  api.cuLaunchKernel = fakeLaunchKernel;
  api.cuEventCreate = fakeEventCreate;
  api.cuEventRecord = fakeEventRecord;
  api.cuEventSynchronize = fakeEventSynchronize;
  api.cuEventElapsedTime = fakeEventElapsedTime;
  api.cuEventDestroy = fakeEventDestroy;
  return api;
}
} // namespace

int FakeGpu::count(const std::string &entryPoint) const {
  int n = 0;
  for (const std::string &call : calls)
    n += call == entryPoint;
  return n;
}

FakeGpu &mirage::runtime::testing::fakeGpu() { return *state; }

void mirage::runtime::testing::resetFakeDriver() {
  for (const auto &[address, size] : state->allocations)
    std::free(reinterpret_cast<void *>(address));
  state.reset(new FakeGpu());
}

const DriverApi &mirage::runtime::testing::fakeDriverApi() {
  static const DriverApi api = makeTable();
  return api;
}

std::string mirage::runtime::testing::makeFakeModule(
    const std::string &chip,
    const std::vector<std::pair<std::string, int>> &kernels, bool cubin) {
  std::string text = cubin ? "FAKE-CUBIN " + chip + "\n" : "";
  text += "//\n// Generated for the runtime's unit tests\n//\n\n"
          ".version 8.0\n.target " +
          chip + "\n.address_size 64\n\n";
  for (const auto &[name, params] : kernels) {
    text += ".visible .entry " + name + "(";
    for (int i = 0; i < params; ++i)
      text += std::string(i ? ",\n" : "\n") + "\t.param .u64 " + name +
              "_param_" + std::to_string(i);
    text += "\n)\n{\n\tret;\n}\n\n";
  }
  return text;
}
