//===- RuntimeTest.cpp - Devices, packages and launches -------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The C and C++ APIs against the fake driver (FakeDriver.h), and the real
// driver path: on a machine without libcuda.so.1 it must fail with a clear
// message; the CUDA toolkit's stub libcuda.so checks that every entry point
// resolves.
//
//===----------------------------------------------------------------------===//

#include "Driver.h"
#include "FakeDriver.h"
#include "TestPackages.h"

#include "mirage-runtime/Runtime.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <dlfcn.h>

using namespace mirage::runtime;
using namespace mirage::runtime::testing;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// Installs a fresh fake driver for each test, and checks afterwards that
/// the runtime left no context pushed.
class FakeDriverTest : public ::testing::Test {
protected:
  void SetUp() override {
    resetFakeDriver();
    detail::setDriverForTesting(&fakeDriverApi());
  }
  void TearDown() override {
    EXPECT_EQ(fakeGpu().contextDepth, 0);
    EXPECT_FALSE(fakeGpu().badAccess);
    detail::setDriverForTesting(nullptr);
  }

  /// Opens device 0; fails the test if it cannot.
  MirageRtDevice openDevice() {
    MirageRtDevice device = nullptr;
    EXPECT_EQ(mirageRtDeviceCreate(0, &device), MIRAGE_RT_SUCCESS)
        << mirageRtGetLastError();
    return device;
  }

  /// Loads `dir` on `device`, expecting success.
  MirageRtPackage loadPackage(MirageRtDevice device, const std::string &dir) {
    MirageRtPackage package = nullptr;
    EXPECT_EQ(mirageRtPackageLoad(device, dir.c_str(), &package),
              MIRAGE_RT_SUCCESS)
        << mirageRtGetLastError();
    return package;
  }

  /// Loads `dir` on `device`, expecting `status`; returns the message.
  std::string loadError(MirageRtDevice device, const std::string &dir,
                        MirageRtStatus status) {
    MirageRtPackage package = nullptr;
    EXPECT_EQ(mirageRtPackageLoad(device, dir.c_str(), &package), status);
    EXPECT_EQ(package, nullptr);
    return mirageRtGetLastError();
  }

  TempDir tmp;
};

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

TEST_F(FakeDriverTest, DeviceRetainsAndReleasesThePrimaryContext) {
  MirageRtDevice device = openDevice();
  ASSERT_TRUE(device);
  EXPECT_STREQ(mirageRtGetLastError(), "");
  EXPECT_STREQ(mirageRtDeviceGetName(device), "Fake GPU");
  int major, minor;
  mirageRtDeviceGetComputeCapability(device, &major, &minor);
  EXPECT_EQ(major, 9);
  EXPECT_EQ(minor, 0);
  EXPECT_EQ(fakeGpu().count("cuInit"), 1);
  EXPECT_EQ(fakeGpu().retained, 1);
  EXPECT_EQ(fakeGpu().released, 0);
  mirageRtDeviceDestroy(device);
  EXPECT_EQ(fakeGpu().released, 1);
  mirageRtDeviceDestroy(nullptr);
}

TEST_F(FakeDriverTest, NoDevice) {
  fakeGpu().deviceCount = 0;
  MirageRtDevice device = nullptr;
  EXPECT_EQ(mirageRtDeviceCreate(0, &device), MIRAGE_RT_ERROR_NO_DEVICE);
  EXPECT_EQ(device, nullptr);
  EXPECT_STREQ(mirageRtGetLastError(), "no CUDA device found");
  int count = -1;
  EXPECT_EQ(mirageRtGetDeviceCount(&count), MIRAGE_RT_SUCCESS);
  EXPECT_EQ(count, 0);

  // Without a device, cuInit itself fails.
  fakeGpu().initResult = CUDA_ERROR_NO_DEVICE;
  EXPECT_EQ(mirageRtDeviceCreate(0, &device), MIRAGE_RT_ERROR_NO_DEVICE);
  EXPECT_STREQ(mirageRtGetLastError(),
               "no CUDA device found (cuInit: CUDA_ERROR_NO_DEVICE (no "
               "CUDA-capable device is detected))");
  EXPECT_EQ(mirageRtGetDeviceCount(&count), MIRAGE_RT_SUCCESS);
  EXPECT_EQ(count, 0);
}

TEST_F(FakeDriverTest, DeviceOrdinalOutOfRange) {
  fakeGpu().deviceCount = 2;
  MirageRtDevice device = nullptr;
  EXPECT_EQ(mirageRtDeviceCreate(2, &device), MIRAGE_RT_ERROR_NO_DEVICE);
  EXPECT_STREQ(mirageRtGetLastError(),
               "there is no CUDA device 2: 2 found (ordinals 0 to 1)");
  EXPECT_EQ(mirageRtDeviceCreate(-1, &device), MIRAGE_RT_ERROR_NO_DEVICE);
}

TEST_F(FakeDriverTest, InitFailureNamesTheCudaError) {
  fakeGpu().initResult = CUDA_ERROR_NOT_INITIALIZED;
  MirageRtDevice device = nullptr;
  EXPECT_EQ(mirageRtDeviceCreate(0, &device), MIRAGE_RT_ERROR_CUDA);
  EXPECT_STREQ(mirageRtGetLastError(),
               "cannot initialize the CUDA driver (cuInit): "
               "CUDA_ERROR_NOT_INITIALIZED (initialization error)");
}

TEST_F(FakeDriverTest, ContextRetainFailure) {
  fakeGpu().failures["cuDevicePrimaryCtxRetain"] = CUDA_ERROR_OUT_OF_MEMORY;
  MirageRtDevice device = nullptr;
  EXPECT_EQ(mirageRtDeviceCreate(0, &device), MIRAGE_RT_ERROR_CUDA);
  EXPECT_STREQ(mirageRtGetLastError(),
               "cannot retain the primary context of device 0 (Fake GPU, "
               "compute capability 9.0): CUDA_ERROR_OUT_OF_MEMORY (out of "
               "memory)");
  EXPECT_EQ(fakeGpu().released, 0);
}

TEST_F(FakeDriverTest, DeviceMemory) {
  MirageRtDevice device = openDevice();
  MirageRtDevicePtr ptr = 0;
  ASSERT_EQ(mirageRtDeviceAlloc(device, 16, &ptr), MIRAGE_RT_SUCCESS);
  float in[4] = {1, 2, 3, 4}, out[4] = {0};
  EXPECT_EQ(mirageRtCopyHostToDevice(device, ptr, in, 16), MIRAGE_RT_SUCCESS);
  EXPECT_EQ(mirageRtCopyDeviceToHost(device, out, ptr, 16), MIRAGE_RT_SUCCESS);
  EXPECT_EQ(out[3], 4.0f);
  EXPECT_EQ(mirageRtDeviceSynchronize(device), MIRAGE_RT_SUCCESS);
  EXPECT_EQ(mirageRtDeviceFree(device, ptr), MIRAGE_RT_SUCCESS);
  EXPECT_TRUE(fakeGpu().allocations.empty());
  EXPECT_EQ(mirageRtDeviceAlloc(device, 0, &ptr),
            MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  fakeGpu().failures["cuMemAlloc"] = CUDA_ERROR_OUT_OF_MEMORY;
  EXPECT_EQ(mirageRtDeviceAlloc(device, 1 << 20, &ptr), MIRAGE_RT_ERROR_CUDA);
  EXPECT_STREQ(mirageRtGetLastError(),
               "cannot allocate 1048576 bytes on device 0 (Fake GPU, compute "
               "capability 9.0): CUDA_ERROR_OUT_OF_MEMORY (out of memory)");
  mirageRtDeviceDestroy(device);
}

//===----------------------------------------------------------------------===//
// Loading packages
//===----------------------------------------------------------------------===//

TEST_F(FakeDriverTest, LoadsTheSeedPackage) {
  writeSeedPackage(tmp.path());
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  ASSERT_TRUE(package);
  EXPECT_STREQ(mirageRtPackageGetFunctionName(package), "seed_attention");
  EXPECT_STREQ(mirageRtPackageGetChip(package), "sm_90a");
  EXPECT_STREQ(mirageRtPackageGetBinaryKind(package), "cubin");
  EXPECT_EQ(mirageRtPackageGetNumInputs(package), 3);
  EXPECT_EQ(mirageRtPackageGetNumOutputs(package), 1);
  EXPECT_EQ(mirageRtPackageGetNumKernels(package), 2);

  MirageRtTensorDesc desc;
  ASSERT_EQ(mirageRtPackageGetInput(package, 2, &desc), MIRAGE_RT_SUCCESS);
  ASSERT_EQ(desc.rank, 3);
  EXPECT_EQ(desc.shape[0], 64);
  EXPECT_EQ(desc.shape[1], 4096);
  EXPECT_EQ(desc.shape[2], 128);
  EXPECT_EQ(desc.dtype, MIRAGE_RT_F16);
  EXPECT_EQ(desc.numElements, 64 * 4096 * 128);
  EXPECT_EQ(desc.sizeInBytes, 2 * 64 * 4096 * 128);
  ASSERT_EQ(mirageRtPackageGetOutput(package, 0, &desc), MIRAGE_RT_SUCCESS);
  EXPECT_EQ(desc.numElements, 64 * 128);
  EXPECT_EQ(mirageRtPackageGetInput(package, 3, &desc),
            MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mirageRtGetLastError(),
               "there is no input 3: the package has 3");
  double low, high;
  ASSERT_EQ(mirageRtPackageGetInputRange(package, 0, &low, &high),
            MIRAGE_RT_SUCCESS);
  EXPECT_EQ(low, -0.5);
  EXPECT_EQ(high, 0.5);

  // One cubin module, both kernels found, and only the kernel above 48 KiB
  // of dynamic shared memory opted in, to exactly what it needs.
  ASSERT_EQ(fakeGpu().modules.size(), 1u);
  EXPECT_TRUE(fakeGpu().modules[0]->cubin);
  EXPECT_EQ(fakeGpu().count("cuModuleGetFunction"), 2);
  ASSERT_EQ(fakeGpu().sharedMemoryAttributes.size(), 1u);
  EXPECT_EQ(fakeGpu().sharedMemoryAttributes[0].first,
            "seed_attention_kernel_0");
  EXPECT_EQ(fakeGpu().sharedMemoryAttributes[0].second, 132096);
  // Buffers wait for the first run.
  EXPECT_EQ(fakeGpu().numAllocs, 0);

  mirageRtPackageDestroy(package);
  EXPECT_TRUE(fakeGpu().modules[0]->unloaded);
  mirageRtDeviceDestroy(device);
  EXPECT_EQ(fakeGpu().released, 1);
}

struct BinaryChoice {
  const char *chip;
  bool withCubin;
  int major, minor;
  const char *expected;
};

class BinaryChoiceTest : public FakeDriverTest,
                         public ::testing::WithParamInterface<BinaryChoice> {};

TEST_P(BinaryChoiceTest, CubinOnlyWhenTheDeviceRunsItsChip) {
  const BinaryChoice &choice = GetParam();
  fakeGpu().major = choice.major;
  fakeGpu().minor = choice.minor;
  writeSeedPackage(tmp.path(), choice.chip, choice.withCubin);
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  ASSERT_TRUE(package);
  EXPECT_STREQ(mirageRtPackageGetBinaryKind(package), choice.expected);
  ASSERT_EQ(fakeGpu().modules.size(), 1u);
  EXPECT_EQ(fakeGpu().modules[0]->cubin,
            std::string(choice.expected) == "cubin");
  // The PTX is always read; the cubin only when it is used.
  EXPECT_EQ(fakeGpu().count("cuModuleLoadDataEx(cubin)"),
            std::string(choice.expected) == "cubin" ? 1 : 0);
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

INSTANTIATE_TEST_SUITE_P(
    FakeDriver, BinaryChoiceTest,
    ::testing::Values(BinaryChoice{"sm_90a", true, 9, 0, "cubin"},
                      BinaryChoice{"sm_90a", true, 10, 0, "ptx"},
                      BinaryChoice{"sm_90", true, 9, 0, "cubin"},
                      BinaryChoice{"sm_80", true, 8, 0, "cubin"},
                      BinaryChoice{"sm_80", true, 8, 6, "cubin"},
                      BinaryChoice{"sm_80", true, 9, 0, "ptx"},
                      BinaryChoice{"sm_86", true, 8, 0, "ptx"},
                      BinaryChoice{"sm_80", false, 8, 0, "ptx"},
                      BinaryChoice{"sm_90a", false, 9, 0, "ptx"}));

TEST_F(FakeDriverTest, CubinThatFailsToLoadFallsBackToPtx) {
  writeSeedPackage(tmp.path());
  fakeGpu().failures["cuModuleLoadDataEx(cubin)"] =
      CUDA_ERROR_NO_BINARY_FOR_GPU;
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  EXPECT_STREQ(mirageRtPackageGetBinaryKind(package), "ptx");
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, PtxJitFailureShowsTheLogAndTheChipMismatch) {
  writeSeedPackage(tmp.path());
  fakeGpu().major = 8;
  fakeGpu().failures["cuModuleLoadDataEx(ptx)"] = CUDA_ERROR_INVALID_PTX;
  MirageRtDevice device = openDevice();
  std::string error = loadError(device, tmp.path(), MIRAGE_RT_ERROR_CUDA);
  EXPECT_EQ(error, "cannot JIT-compile the PTX '" + tmp.path() +
                       "/kernels.ptx' (compiled for sm_90a) for device 0 "
                       "(Fake GPU, compute capability 8.0): "
                       "CUDA_ERROR_INVALID_PTX (a PTX JIT compilation "
                       "failed); code for sm_90a does not run on this "
                       "device: compile the package for sm_80\n"
                       "JIT error log:\n" +
                       fakeGpu().jitErrorLog);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, CubinAndPtxFailuresAreBothReported) {
  writeSeedPackage(tmp.path());
  fakeGpu().failures["cuModuleLoadDataEx(cubin)"] =
      CUDA_ERROR_NO_BINARY_FOR_GPU;
  fakeGpu().failures["cuModuleLoadDataEx(ptx)"] = CUDA_ERROR_INVALID_PTX;
  fakeGpu().jitErrorLog = "";
  MirageRtDevice device = openDevice();
  std::string error = loadError(device, tmp.path(), MIRAGE_RT_ERROR_CUDA);
  EXPECT_TRUE(contains(error, "CUDA_ERROR_INVALID_PTX")) << error;
  EXPECT_TRUE(contains(error, "; loading the cubin '" + tmp.path() +
                                  "/kernels.cubin' failed before: "
                                  "CUDA_ERROR_NO_BINARY_FOR_GPU"))
      << error;
  EXPECT_FALSE(contains(error, "JIT error log")) << error;
  EXPECT_FALSE(contains(error, "does not run on this device")) << error;
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, MissingKernel) {
  writePackage(tmp.path(), kSeedManifest, "sm_90a",
               {{"seed_attention_kernel_0", 5}}, true);
  MirageRtDevice device = openDevice();
  EXPECT_EQ(loadError(device, tmp.path(), MIRAGE_RT_ERROR_CUDA),
            "cannot find kernel 'seed_attention_kernel_1' (kernels[1]) in the "
            "cubin of package 'seed_attention': CUDA_ERROR_NOT_FOUND (named "
            "symbol not found)");
  // The module loaded before the failure is unloaded.
  ASSERT_EQ(fakeGpu().modules.size(), 1u);
  EXPECT_TRUE(fakeGpu().modules[0]->unloaded);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, MoreSharedMemoryThanTheDeviceHas) {
  writeSeedPackage(tmp.path(), "sm_80");
  fakeGpu().major = 8;
  fakeGpu().minor = 6;
  fakeGpu().maxSharedMemoryOptin = 101376;
  MirageRtDevice device = openDevice();
  EXPECT_EQ(loadError(device, tmp.path(), MIRAGE_RT_ERROR_INVALID_PACKAGE),
            "kernel 'seed_attention_kernel_0' (kernels[0]) needs 132096 bytes "
            "of shared memory per block, but device 0 (Fake GPU, compute "
            "capability 8.6) allows at most 101376: the package was compiled "
            "for sm_80");
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, SharedMemoryLimitIsTheLargestLaunchOfAKernel) {
  // The same kernel launched twice, with 50000 and 60000 bytes; another
  // with exactly 48 KiB, which needs no opt-in.
  std::string manifest = R"({"format": "mirage-kernel-package", "version": 1,
    "function": "twice", "chip": "sm_90a", "ptx": "kernels.ptx",
    "inputs": [{"shape": [2], "dtype": "f32"}],
    "outputs": [{"shape": [2], "dtype": "f32"}],
    "kernels": [
      {"name": "k", "grid": [1, 1, 1], "block": [32, 1, 1],
       "shared_memory_bytes": 50000,
       "args": [{"kind": "input", "index": 0}, {"kind": "output", "index": 0}]},
      {"name": "k", "grid": [1, 1, 1], "block": [32, 1, 1],
       "shared_memory_bytes": 60000,
       "args": [{"kind": "output", "index": 0},
                {"kind": "output", "index": 0}]},
      {"name": "m", "grid": [1, 1, 1], "block": [32, 1, 1],
       "shared_memory_bytes": 49152,
       "args": [{"kind": "input", "index": 0}, {"kind": "output", "index": 0}]}
    ]})";
  writePackage(tmp.path(), manifest, "sm_90a", {{"k", 2}, {"m", 2}}, false);
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  EXPECT_EQ(fakeGpu().count("cuModuleGetFunction"), 2);
  ASSERT_EQ(fakeGpu().sharedMemoryAttributes.size(), 1u);
  EXPECT_EQ(fakeGpu().sharedMemoryAttributes[0],
            std::make_pair(std::string("k"), 60000));
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, SharedMemoryAttributeFailure) {
  writeSeedPackage(tmp.path());
  fakeGpu().failures["cuFuncSetAttribute"] = CUDA_ERROR_INVALID_VALUE;
  MirageRtDevice device = openDevice();
  EXPECT_EQ(loadError(device, tmp.path(), MIRAGE_RT_ERROR_CUDA),
            "cannot raise the dynamic shared memory limit of kernel "
            "'seed_attention_kernel_0' to 132096 bytes: "
            "CUDA_ERROR_INVALID_VALUE (invalid argument)");
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, UnreadablePackages) {
  MirageRtDevice device = openDevice();
  std::string missing = tmp / "missing";
  EXPECT_EQ(loadError(device, missing, MIRAGE_RT_ERROR_INVALID_PACKAGE),
            "cannot read '" + missing +
                "/manifest.json': No such file or directory (is '" + missing +
                "' a kernel package directory?)");

  std::string bad = tmp / "bad";
  writeFile(bad + "/manifest.json", "{\"format\": \"mirage-kernel-package\",\n"
                                    " \"version\": 7}");
  EXPECT_EQ(loadError(device, bad, MIRAGE_RT_ERROR_INVALID_PACKAGE),
            bad + "/manifest.json:2:13: version: this runtime reads version 1 "
                  "kernel packages, found version 7");

  std::string noPtx = tmp / "no-ptx";
  writeSeedPackage(noPtx);
  std::remove((noPtx + "/kernels.ptx").c_str());
  EXPECT_EQ(loadError(device, noPtx, MIRAGE_RT_ERROR_INVALID_PACKAGE),
            "cannot read the PTX file '" + noPtx + "/kernels.ptx' named in " +
                noPtx + "/manifest.json: No such file or directory");

  std::string noCubin = tmp / "no-cubin";
  writeSeedPackage(noCubin);
  std::remove((noCubin + "/kernels.cubin").c_str());
  EXPECT_EQ(loadError(device, noCubin, MIRAGE_RT_ERROR_INVALID_PACKAGE),
            "cannot read the cubin file '" + noCubin +
                "/kernels.cubin' named in " + noCubin +
                "/manifest.json: No such file or directory");
  EXPECT_TRUE(fakeGpu().modules.empty());
  mirageRtDeviceDestroy(device);
}

//===----------------------------------------------------------------------===//
// Running packages
//===----------------------------------------------------------------------===//

TEST_F(FakeDriverTest, LaunchSequenceFollowsTheManifest) {
  writeSeedPackage(tmp.path());
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  ASSERT_TRUE(package);
  const MirageRtDevicePtr inputs[] = {0x1000, 0x2000, 0x3000};
  const MirageRtDevicePtr outputs[] = {0x4000};
  auto stream = reinterpret_cast<MirageRtStream>(0x77);
  ASSERT_EQ(mirageRtPackageRun(package, inputs, 3, outputs, 1, stream),
            MIRAGE_RT_SUCCESS)
      << mirageRtGetLastError();

  // Both buffers allocated, with their sizes in bytes.
  ASSERT_EQ(fakeGpu().allocations.size(), 2u);
  std::vector<size_t> sizes;
  for (const auto &[address, size] : fakeGpu().allocations)
    sizes.push_back(size);
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{64 * 1 * 2 * 2, 64 * 2 * 128 * 2}));

  ASSERT_EQ(fakeGpu().launches.size(), 2u);
  const FakeLaunch &k0 = fakeGpu().launches[0];
  const FakeLaunch &k1 = fakeGpu().launches[1];
  EXPECT_EQ(k0.kernel, "seed_attention_kernel_0");
  EXPECT_EQ(k1.kernel, "seed_attention_kernel_1");
  for (const FakeLaunch *launch : {&k0, &k1}) {
    EXPECT_EQ(launch->grid[0], 64u);
    EXPECT_EQ(launch->grid[1], 2u);
    EXPECT_EQ(launch->grid[2], 1u);
    EXPECT_EQ(launch->block[0], 128u);
    EXPECT_EQ(launch->block[1], 1u);
    EXPECT_EQ(launch->block[2], 1u);
    EXPECT_EQ(launch->stream, stream);
  }
  EXPECT_EQ(k0.sharedMemoryBytes, 132096u);
  EXPECT_EQ(k1.sharedMemoryBytes, 1024u);
  // Arguments in manifest order: inputs and outputs as given, buffers as
  // allocated (the same buffer in both kernels).
  ASSERT_EQ(k0.args.size(), 5u);
  ASSERT_EQ(k1.args.size(), 3u);
  EXPECT_EQ(k0.args[0], 0x1000u);
  EXPECT_EQ(k0.args[1], 0x2000u);
  EXPECT_EQ(k0.args[2], 0x3000u);
  CUdeviceptr buffer0 = k0.args[3], buffer1 = k0.args[4];
  EXPECT_EQ(fakeGpu().allocations.at(buffer0), 64u * 2 * 128 * 2);
  EXPECT_EQ(fakeGpu().allocations.at(buffer1), 64u * 1 * 2 * 2);
  EXPECT_EQ(k1.args[0], buffer0);
  EXPECT_EQ(k1.args[1], buffer1);
  EXPECT_EQ(k1.args[2], 0x4000u);
  // Asynchronous: nothing waited for.
  EXPECT_EQ(fakeGpu().count("cuStreamSynchronize"), 0);
  EXPECT_EQ(fakeGpu().count("cuCtxSynchronize"), 0);

  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, BuffersAreAllocatedOnceAndFreed) {
  writeSeedPackage(tmp.path());
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  const MirageRtDevicePtr inputs[] = {0x1000, 0x2000, 0x3000};
  const MirageRtDevicePtr outputs[] = {0x4000};
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(mirageRtPackageRun(package, inputs, 3, outputs, 1, nullptr),
              MIRAGE_RT_SUCCESS);
  EXPECT_EQ(fakeGpu().launches.size(), 6u);
  EXPECT_EQ(fakeGpu().numAllocs, 2);
  EXPECT_EQ(fakeGpu().launches[0].args[3], fakeGpu().launches[4].args[3]);
  // The device handle can go first: the package keeps the context.
  mirageRtDeviceDestroy(device);
  EXPECT_EQ(fakeGpu().released, 0);
  mirageRtPackageDestroy(package);
  EXPECT_EQ(fakeGpu().numFrees, 2);
  EXPECT_TRUE(fakeGpu().allocations.empty());
  EXPECT_EQ(fakeGpu().released, 1);
}

TEST_F(FakeDriverTest, BadRunArguments) {
  writeSeedPackage(tmp.path());
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  const MirageRtDevicePtr inputs[] = {0x1000, 0, 0x3000};
  const MirageRtDevicePtr outputs[] = {0x4000};
  EXPECT_EQ(mirageRtPackageRun(package, inputs, 2, outputs, 1, nullptr),
            MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mirageRtGetLastError(),
               "package 'seed_attention' takes 3 inputs and 1 outputs, but 2 "
               "and 1 were given");
  EXPECT_EQ(mirageRtPackageRun(package, inputs, 3, outputs, 1, nullptr),
            MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mirageRtGetLastError(), "input 1 is a null device pointer");
  EXPECT_EQ(mirageRtPackageRun(package, nullptr, 3, outputs, 1, nullptr),
            MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(mirageRtPackageRun(nullptr, inputs, 3, outputs, 1, nullptr),
            MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mirageRtGetLastError(), "mirageRtPackageRun: package is null");
  EXPECT_TRUE(fakeGpu().launches.empty());
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, LaunchFailureNamesTheKernel) {
  writeSeedPackage(tmp.path());
  fakeGpu().failures["cuLaunchKernel"] = CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  const MirageRtDevicePtr inputs[] = {0x1000, 0x2000, 0x3000};
  const MirageRtDevicePtr outputs[] = {0x4000};
  EXPECT_EQ(mirageRtPackageRun(package, inputs, 3, outputs, 1, nullptr),
            MIRAGE_RT_ERROR_CUDA);
  EXPECT_STREQ(mirageRtGetLastError(),
               "cannot launch kernel 'seed_attention_kernel_0' (kernels[0] of "
               "package 'seed_attention'; grid [64, 2, 1], block [128, 1, 1], "
               "132096 bytes of dynamic shared memory): "
               "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES (too many resources "
               "requested for launch)");
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, BufferAllocationFailure) {
  writeSeedPackage(tmp.path());
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  const MirageRtDevicePtr inputs[] = {0x1000, 0x2000, 0x3000};
  const MirageRtDevicePtr outputs[] = {0x4000};
  fakeGpu().failures["cuMemAlloc"] = CUDA_ERROR_OUT_OF_MEMORY;
  EXPECT_EQ(mirageRtPackageRun(package, inputs, 3, outputs, 1, nullptr),
            MIRAGE_RT_ERROR_CUDA);
  EXPECT_STREQ(mirageRtGetLastError(),
               "cannot allocate buffer 0 of package 'seed_attention' "
               "(tensor<64x2x128xf16>, 32768 bytes) on device 0 (Fake GPU, "
               "compute capability 9.0): CUDA_ERROR_OUT_OF_MEMORY (out of "
               "memory)");
  EXPECT_TRUE(fakeGpu().launches.empty());
  // Memory comes back: the next run allocates and runs.
  fakeGpu().failures.clear();
  EXPECT_EQ(mirageRtPackageRun(package, inputs, 3, outputs, 1, nullptr),
            MIRAGE_RT_SUCCESS);
  EXPECT_EQ(fakeGpu().launches.size(), 2u);
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
  EXPECT_TRUE(fakeGpu().allocations.empty());
}

TEST_F(FakeDriverTest, HostRunCopiesInAndOut) {
  writeAxpyPackage(tmp.path());
  installAxpyBodies();
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  float x[4] = {1, 2, 3, 4}, y[4] = {10, 20, 30, 40}, out[4] = {0};
  const void *inputs[] = {x, y};
  void *outputs[] = {out};
  ASSERT_EQ(mirageRtPackageRunHost(package, inputs, 2, outputs, 1),
            MIRAGE_RT_SUCCESS)
      << mirageRtGetLastError();
  EXPECT_EQ(out[0], 12.0f);
  EXPECT_EQ(out[3], 48.0f);
  EXPECT_EQ(fakeGpu().numHostToDevice, 2);
  EXPECT_EQ(fakeGpu().numDeviceToHost, 1);
  EXPECT_EQ(fakeGpu().count("cuStreamSynchronize"), 1);
  // A buffer, two inputs and an output, allocated once.
  EXPECT_EQ(fakeGpu().numAllocs, 4);
  // The launch used the device copies.
  ASSERT_EQ(fakeGpu().launches.size(), 2u);
  EXPECT_EQ(fakeGpu().allocations.count(fakeGpu().launches[0].args[0]), 1u);
  EXPECT_EQ(fakeGpu().launches[0].stream, nullptr);

  y[0] = -2;
  ASSERT_EQ(mirageRtPackageRunHost(package, inputs, 2, outputs, 1),
            MIRAGE_RT_SUCCESS);
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_EQ(fakeGpu().numAllocs, 4);

  void *nullOutputs[] = {nullptr};
  EXPECT_EQ(mirageRtPackageRunHost(package, inputs, 2, nullOutputs, 1),
            MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(mirageRtGetLastError(), "output 0 is a null pointer");
  mirageRtPackageDestroy(package);
  EXPECT_TRUE(fakeGpu().allocations.empty());
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, HostRunReportsKernelFaults) {
  writeAxpyPackage(tmp.path());
  fakeGpu().failures["cuStreamSynchronize"] = CUDA_ERROR_ILLEGAL_ADDRESS;
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  float x[4] = {0}, y[4] = {0}, out[4] = {0};
  const void *inputs[] = {x, y};
  void *outputs[] = {out};
  EXPECT_EQ(mirageRtPackageRunHost(package, inputs, 2, outputs, 1),
            MIRAGE_RT_ERROR_CUDA);
  EXPECT_STREQ(mirageRtGetLastError(),
               "the kernels of package 'axpy' failed on device 0 (Fake GPU, "
               "compute capability 9.0): CUDA_ERROR_ILLEGAL_ADDRESS (an "
               "illegal memory access was encountered)");
  EXPECT_EQ(fakeGpu().numDeviceToHost, 0);
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, TimingBracketsEachRunWithEvents) {
  writeAxpyPackage(tmp.path());
  MirageRtDevice device = openDevice();
  MirageRtPackage package = loadPackage(device, tmp.path());
  MirageRtDevicePtr x, y, out;
  ASSERT_EQ(mirageRtDeviceAlloc(device, 16, &x), MIRAGE_RT_SUCCESS);
  ASSERT_EQ(mirageRtDeviceAlloc(device, 16, &y), MIRAGE_RT_SUCCESS);
  ASSERT_EQ(mirageRtDeviceAlloc(device, 16, &out), MIRAGE_RT_SUCCESS);
  const MirageRtDevicePtr inputs[] = {x, y};
  const MirageRtDevicePtr outputs[] = {out};
  float ms[3] = {0};
  ASSERT_EQ(
      mirageRtPackageTime(package, inputs, 2, outputs, 1, nullptr, 2, 3, ms),
      MIRAGE_RT_SUCCESS)
      << mirageRtGetLastError();
  // Two kernels of 0.25 ms each per run.
  EXPECT_EQ(fakeGpu().launches.size(), 10u);
  for (float m : ms)
    EXPECT_FLOAT_EQ(m, 0.5f);
  EXPECT_EQ(fakeGpu().count("cuEventRecord"), 6);
  EXPECT_EQ(fakeGpu().count("cuEventSynchronize"), 3);
  EXPECT_EQ(fakeGpu().count("cuEventDestroy"), 2);
  EXPECT_EQ(
      mirageRtPackageTime(package, inputs, 2, outputs, 1, nullptr, 0, 0, ms),
      MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  for (MirageRtDevicePtr ptr : {x, y, out})
    mirageRtDeviceFree(device, ptr);
  mirageRtPackageDestroy(package);
  mirageRtDeviceDestroy(device);
}

TEST_F(FakeDriverTest, CppApi) {
  writeAxpyPackage(tmp.path());
  installAxpyBodies();
  int count = 0;
  ASSERT_TRUE(Device::count(count).ok());
  EXPECT_EQ(count, 1);
  Device device;
  Status status = Device::open(0, device);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(device.name(), "Fake GPU");
  EXPECT_EQ(device.computeCapability(), std::make_pair(9, 0));
  Package package;
  status = Package::load(device, tmp.path(), package);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(package.functionName(), "axpy");
  EXPECT_EQ(package.binaryKind(), "cubin");
  EXPECT_EQ(package.numKernels(), 2);
  ASSERT_EQ(package.inputs().size(), 2u);
  EXPECT_EQ(package.inputs()[1].str(), "tensor<4xf32>");
  EXPECT_EQ(package.outputs()[0].sizeInBytes, 16);
  EXPECT_EQ(package.inputRange(0), std::make_pair(-0.5, 0.5));

  std::vector<float> x = {1, 2, 3, 4}, y = {0, 0, 0, 1}, out(4);
  status = package.runHost({x.data(), y.data()}, {out.data()});
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(out, (std::vector<float>{2, 4, 6, 9}));

  status = package.runHost({x.data()}, {out.data()});
  EXPECT_EQ(status.code(), MIRAGE_RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(status.message(), "package 'axpy' takes 2 inputs and 1 outputs, "
                              "but 1 and 1 were given");

  DeviceBuffer a, b, c;
  ASSERT_TRUE(DeviceBuffer::allocate(device, 16, a).ok());
  ASSERT_TRUE(DeviceBuffer::allocate(device, 16, b).ok());
  ASSERT_TRUE(DeviceBuffer::allocate(device, 16, c).ok());
  ASSERT_TRUE(device.copyToDevice(a.get(), x.data(), 16).ok());
  ASSERT_TRUE(device.copyToDevice(b.get(), y.data(), 16).ok());
  ASSERT_TRUE(package.run({a.get(), b.get()}, {c.get()}).ok());
  std::vector<float> latencies;
  ASSERT_TRUE(
      package.time({a.get(), b.get()}, {c.get()}, nullptr, 1, 4, latencies)
          .ok());
  EXPECT_EQ(latencies.size(), 4u);
  std::vector<float> back(4);
  ASSERT_TRUE(device.copyToHost(back.data(), c.get(), 16).ok());
  EXPECT_EQ(back, out);

  Package moved = std::move(package);
  EXPECT_FALSE(package.valid());
  EXPECT_TRUE(moved.valid());
  EXPECT_EQ(moved.inputs().size(), 2u);
}

TEST_F(FakeDriverTest, CppApiFailures) {
  fakeGpu().deviceCount = 0;
  Device device;
  Status status = Device::open(0, device);
  EXPECT_EQ(status.code(), MIRAGE_RT_ERROR_NO_DEVICE);
  EXPECT_EQ(status.message(), "no CUDA device found");
  EXPECT_FALSE(device.valid());
}

TEST(StatusNamesTest, NamesAndSizes) {
  EXPECT_STREQ(mirageRtStatusName(MIRAGE_RT_ERROR_NO_DRIVER),
               "MIRAGE_RT_ERROR_NO_DRIVER");
  EXPECT_STREQ(mirageRtDTypeName(MIRAGE_RT_BF16), "bf16");
  EXPECT_EQ(mirageRtDTypeSize(MIRAGE_RT_F16), 2u);
  EXPECT_EQ(mirageRtDTypeSize(MIRAGE_RT_F32), 4u);
}

//===----------------------------------------------------------------------===//
// The real driver
//===----------------------------------------------------------------------===//

bool haveRealDriver() {
  void *handle = dlopen(detail::kDriverLibraryName, RTLD_NOW | RTLD_NOLOAD);
  if (!handle)
    handle = dlopen(detail::kDriverLibraryName, RTLD_NOW | RTLD_LOCAL);
  return handle != nullptr;
}

TEST(RealDriverTest, WithoutADriverTheErrorSaysSo) {
  if (haveRealDriver())
    GTEST_SKIP() << "this machine has libcuda.so.1";
  detail::setDriverForTesting(nullptr);
  MirageRtDevice device = nullptr;
  EXPECT_EQ(mirageRtDeviceCreate(0, &device), MIRAGE_RT_ERROR_NO_DRIVER);
  EXPECT_EQ(device, nullptr);
  std::string error = mirageRtGetLastError();
  EXPECT_EQ(error.rfind("cannot load the CUDA driver: libcuda.so.1 was not "
                        "found (",
                        0),
            0u)
      << error;
  EXPECT_TRUE(contains(error, "running kernels needs an NVIDIA GPU and its "
                              "driver (libcuda.so.1 comes with the driver, "
                              "not with the CUDA toolkit)"))
      << error;
  int count = -1;
  EXPECT_EQ(mirageRtGetDeviceCount(&count), MIRAGE_RT_ERROR_NO_DRIVER);
  EXPECT_EQ(mirageRtGetLastError(), error);

  Device cppDevice;
  Status status = Device::open(0, cppDevice);
  EXPECT_EQ(status.code(), MIRAGE_RT_ERROR_NO_DRIVER);
  EXPECT_EQ(status.message(), error);
}

TEST(RealDriverTest, MissingLibraryNamesIt) {
  detail::DriverApi api;
  std::string error;
  EXPECT_FALSE(
      detail::loadDriverLibrary("/nonexistent/libcuda.so.1", api, error));
  EXPECT_EQ(error.rfind("cannot load the CUDA driver: /nonexistent/"
                        "libcuda.so.1 was not found (",
                        0),
            0u)
      << error;
}

// The toolkit's stub libcuda.so exports every driver entry point and fails
// each call with CUDA_ERROR_STUB_LIBRARY: resolving the table against it
// checks the symbol names (the _v2 variants cuda.h selects) without a GPU.
// Returns the exit status for the death test below.
int resolveStubDriver(const char *path) {
  detail::DriverApi api;
  std::string error;
  if (!detail::loadDriverLibrary(path, api, error)) {
    std::fprintf(stderr, "load failed: %s\n", error.c_str());
    return 1;
  }
#define MIRAGE_RT_CHECK_MEMBER(name, fallback)                                 \
  if (!api.name) {                                                             \
    std::fprintf(stderr, "unresolved: %s\n", #name);                           \
    return 2;                                                                  \
  }
  MIRAGE_RT_DRIVER_FUNCTIONS(MIRAGE_RT_CHECK_MEMBER)
#undef MIRAGE_RT_CHECK_MEMBER
  CUresult result = api.cuInit(0);
  std::fprintf(stderr, "cuInit: %s\n",
               detail::describeCudaError(api, result).c_str());
  return result == CUDA_SUCCESS ? 3 : 0;
}

// In a child process, because the stub's soname is libcuda.so.1: once
// loaded, it would stand in for the real driver in later tests.
TEST(RealDriverDeathTest, StubDriverResolvesEveryEntryPoint) {
  const char *stub = MIRAGE_CUDA_STUB_LIBRARY;
  if (!*stub)
    GTEST_SKIP() << "no stub libcuda.so in the CUDA toolkit";
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(std::exit(resolveStubDriver(stub)), ::testing::ExitedWithCode(0),
              "cuInit: CUDA error 34");
}

} // namespace
