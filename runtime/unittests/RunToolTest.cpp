//===- RunToolTest.cpp - mirage-runtime-run -------------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tool in-process against the fake driver (outputs, checksums, latency,
// .npy files, bad options), and the real binary on this machine.
//
//===----------------------------------------------------------------------===//

#include "RunTool.h"
#include "Driver.h"
#include "FakeDriver.h"
#include "HostTensor.h"
#include "TestPackages.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <dlfcn.h>
#include <sys/wait.h>

using namespace mirage::runtime;
using namespace mirage::runtime::testing;

namespace {

struct ToolResult {
  int exitStatus;
  std::string out, err;
};

std::string readAll(FILE *file) {
  std::rewind(file);
  std::string text;
  char chunk[4096];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    text.append(chunk, got);
  std::fclose(file);
  return text;
}

ToolResult runTool(const std::vector<std::string> &args) {
  FILE *out = std::tmpfile(), *err = std::tmpfile();
  ToolResult result;
  result.exitStatus = runMirageRuntimeRun(args, out, err);
  result.out = readAll(out);
  result.err = readAll(err);
  return result;
}

std::string format(const char *pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), pattern, value);
  return buffer;
}

class RunToolTest : public ::testing::Test {
protected:
  void SetUp() override {
    resetFakeDriver();
    detail::setDriverForTesting(&fakeDriverApi());
    writeAxpyPackage(tmp / "axpy");
    installAxpyBodies();
  }
  void TearDown() override {
    EXPECT_TRUE(fakeGpu().allocations.empty());
    EXPECT_EQ(fakeGpu().contextDepth, 0);
    detail::setDriverForTesting(nullptr);
  }

  /// The checksum line of axpy's output for random inputs of `seed`.
  static std::string expectedOutputLine(uint64_t seed) {
    TensorDesc desc;
    desc.shape = {4};
    desc.numElements = 4;
    desc.sizeInBytes = 16;
    HostTensor x = HostTensor::zeros(desc), y = HostTensor::zeros(desc);
    fillRandom(x, seed, 0, -0.5, 0.5);
    fillRandom(y, seed, 1, -0.5, 0.5);
    double sum = 0, maxAbs = 0;
    for (int i = 0; i < 4; ++i) {
      float value = 2 * x.get(i) + y.get(i);
      sum += value;
      maxAbs = std::max(maxAbs, double(std::fabs(value)));
    }
    return "  output 0: tensor<4xf32>  checksum " + format("%.6e", sum) +
           "  max|x| " + format("%.3e", maxAbs) + "\n";
  }

  TempDir tmp;
};

TEST_F(RunToolTest, RandomInputs) {
  std::string dir = tmp / "axpy";
  ToolResult r = runTool({dir, "--seed=5"});
  ASSERT_EQ(r.exitStatus, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "@axpy in " + dir +
                       ": ran on Fake GPU (device 0, compute capability 9.0) "
                       "from the cubin for sm_90a, on random inputs (seed 5)\n"
                       "  input 0: tensor<4xf32>  uniform in [-0.5, 0.5)\n"
                       "  input 1: tensor<4xf32>  uniform in [-0.5, 0.5)\n" +
                       expectedOutputLine(5));
  EXPECT_EQ(fakeGpu().launches.size(), 2u);
}

TEST_F(RunToolTest, InputRangeFromTheManifestOrTheCommandLine) {
  std::string manifest = kAxpyManifest;
  std::string from = "{\"shape\": [4], \"dtype\": \"f32\"}, {";
  manifest.replace(manifest.find(from), from.size(),
                   "{\"shape\": [4], \"dtype\": \"f32\", \"input_range\": "
                   "[0, 0.25]}, {");
  writeFile(tmp / "axpy/manifest.json", manifest);
  ToolResult r = runTool({tmp / "axpy"});
  ASSERT_EQ(r.exitStatus, 0) << r.err;
  EXPECT_NE(r.out.find("  input 0: tensor<4xf32>  uniform in [0, 0.25)\n"
                       "  input 1: tensor<4xf32>  uniform in [-0.5, 0.5)\n"),
            std::string::npos)
      << r.out;
  r = runTool({tmp / "axpy", "--input-range=1,2"});
  ASSERT_EQ(r.exitStatus, 0) << r.err;
  EXPECT_NE(r.out.find("  input 0: tensor<4xf32>  uniform in [1, 2)\n"
                       "  input 1: tensor<4xf32>  uniform in [1, 2)\n"),
            std::string::npos)
      << r.out;
}

TEST_F(RunToolTest, LatencyWithRepeat) {
  ToolResult r = runTool({tmp / "axpy", "--repeat=5", "--warmup=2"});
  ASSERT_EQ(r.exitStatus, 0) << r.err;
  EXPECT_NE(r.out.find("  latency: median 0.5 ms, min 0.5 ms, max 0.5 ms over "
                       "5 runs (after 2 warm-up runs)\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(fakeGpu().launches.size(), 14u);
  // The outputs are those of the last run.
  EXPECT_NE(r.out.find(expectedOutputLine(0)), std::string::npos) << r.out;
}

TEST_F(RunToolTest, NpyInputsAndOutputs) {
  TensorDesc desc;
  desc.shape = {4};
  desc.numElements = 4;
  desc.sizeInBytes = 16;
  HostTensor x = HostTensor::zeros(desc), y = HostTensor::zeros(desc);
  for (int i = 0; i < 4; ++i) {
    x.set(i, float(i));
    y.set(i, 100.0f);
  }
  std::string error;
  ASSERT_TRUE(saveNpy(tmp / "x.npy", x, error)) << error;
  ASSERT_TRUE(saveNpy(tmp / "y.npy", y, error)) << error;
  std::string outDir = tmp / "out";
  ToolResult r = runTool({tmp / "axpy", "--input=" + tmp / "x.npy",
                          "--input=" + tmp / "y.npy", "--output-dir=" + outDir,
                          "--save-inputs"});
  ASSERT_EQ(r.exitStatus, 0) << r.err;
  EXPECT_NE(r.out.find("on .npy inputs\n  input 0: tensor<4xf32>  from " +
                       tmp / "x.npy"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  output 0: tensor<4xf32>  checksum 4.120000e+02  "
                       "max|x| 1.060e+02\n"),
            std::string::npos)
      << r.out;
  HostTensor out = HostTensor::zeros(desc), in = HostTensor::zeros(desc);
  ASSERT_TRUE(loadNpy(outDir + "/output0.npy", out, error)) << error;
  EXPECT_EQ(out.get(3), 106.0f);
  ASSERT_TRUE(loadNpy(outDir + "/input1.npy", in, error)) << error;
  EXPECT_EQ(in.data, y.data);
}

TEST_F(RunToolTest, BadInputs) {
  std::string dir = tmp / "axpy";
  struct Case {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{}, "no package directory given (see --help)"},
      {{dir, "--seed=x"},
       "--seed expects a non-negative integer, found 'x' (see --help)"},
      {{dir, "--repeat=-1"},
       "--repeat expects a non-negative integer, found '-1' (see --help)"},
      {{dir, "--input-range=1,0"},
       "--input-range expects LO,HI with LO < HI, found '1,0' (see --help)"},
      {{dir, "--frobnicate"}, "unknown option '--frobnicate' (see --help)"},
      {{dir, dir},
       "more than one package directory ('" + dir + "' and '" + dir +
           "') (see --help)"},
      {{dir, "--save-inputs"}, "--save-inputs needs --output-dir (see --help)"},
      {{dir, "--input=" + tmp / "x.npy"},
       "@axpy takes 2 inputs but 1 --input files were given"},
      {{dir, "--input=" + tmp / "x.npy", "--input=" + tmp / "y.npy"},
       "cannot read '" + tmp / "x.npy" + "': No such file or directory"},
      {{tmp / "nothing"},
       "cannot read '" + tmp / "nothing" +
           "/manifest.json': No such file or directory "
           "(is '" +
           tmp / "nothing" + "' a kernel package directory?)"},
  };
  for (const Case &c : cases) {
    ToolResult r = runTool(c.args);
    EXPECT_EQ(r.exitStatus, kRunToolBadInput);
    EXPECT_EQ(r.err, "mirage-runtime-run: error: " + c.error + "\n");
    EXPECT_EQ(r.out, "");
  }
  ToolResult help = runTool({"--help"});
  EXPECT_EQ(help.exitStatus, 0);
  EXPECT_EQ(help.out.rfind("usage: mirage-runtime-run PACKAGE_DIR", 0), 0u);
}

TEST_F(RunToolTest, CudaFailuresExitWithOne) {
  fakeGpu().failures["cuLaunchKernel"] = CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
  ToolResult r = runTool({tmp / "axpy"});
  EXPECT_EQ(r.exitStatus, kRunToolFailure);
  EXPECT_EQ(r.err.rfind("mirage-runtime-run: error: cannot launch kernel "
                        "'axpy_scale'",
                        0),
            0u)
      << r.err;
  fakeGpu().deviceCount = 0;
  r = runTool({tmp / "axpy"});
  EXPECT_EQ(r.exitStatus, kRunToolFailure);
  EXPECT_EQ(r.err, "mirage-runtime-run: error: no CUDA device found\n");
}

// The real binary, linked with the shared library, on this machine: without
// a GPU driver it must say so and exit with 1.
TEST(RunToolBinaryTest, WithoutADriverItExitsWithOne) {
  if (dlopen(detail::kDriverLibraryName, RTLD_NOW | RTLD_LOCAL))
    GTEST_SKIP() << "this machine has libcuda.so.1";
  TempDir tmp;
  writeAxpyPackage(tmp / "axpy");
  std::string command = std::string("'") + MIRAGE_RUNTIME_RUN_PATH + "' '" +
                        tmp / "axpy" + "' 2>&1";
  FILE *pipe = popen(command.c_str(), "r");
  ASSERT_TRUE(pipe);
  std::string output;
  char chunk[4096];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0)
    output.append(chunk, got);
  int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;
  EXPECT_EQ(output.rfind("mirage-runtime-run: error: cannot load the CUDA "
                         "driver: libcuda.so.1 was not found (",
                         0),
            0u)
      << output;
  EXPECT_NE(output.find("running kernels needs an NVIDIA GPU and its driver"),
            std::string::npos)
      << output;
}

} // namespace
