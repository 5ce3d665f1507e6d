//===- TestPackages.cpp - Kernel packages for the runtime tests -----------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TestPackages.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mirage::runtime::testing;

TempDir::TempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/mirage-runtime-XXXXXX";
  if (char *made = mkdtemp(pattern.data()))
    dir = made;
}

TempDir::~TempDir() {
  if (dir.empty())
    return;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

bool mirage::runtime::testing::writeFile(const std::string &path,
                                         const std::string &contents) {
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(),
                                      ignored);
  std::ofstream out(path, std::ios::binary);
  out << contents;
  return static_cast<bool>(out);
}

std::string mirage::runtime::testing::readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

const char mirage::runtime::testing::kSeedManifest[] = R"({
  "format": "mirage-kernel-package",
  "version": 1,
  "function": "seed_attention",
  "chip": "sm_90a",
  "ptx": "kernels.ptx",
  "cubin": "kernels.cubin",
  "inputs":  [{"shape": [64, 1, 128], "dtype": "f16"},
              {"shape": [64, 128, 4096], "dtype": "f16"},
              {"shape": [64, 4096, 128], "dtype": "f16"}],
  "outputs": [{"shape": [64, 1, 128], "dtype": "f16"}],
  "buffers": [{"shape": [64, 2, 128], "dtype": "f16"},
              {"shape": [64, 1, 2], "dtype": "f16"}],
  "kernels": [
    {"name": "seed_attention_kernel_0",
     "grid": [64, 2, 1], "block": [128, 1, 1],
     "shared_memory_bytes": 132096,
     "args": [{"kind": "input", "index": 0}, {"kind": "input", "index": 1},
              {"kind": "input", "index": 2}, {"kind": "buffer", "index": 0},
              {"kind": "buffer", "index": 1}]},
    {"name": "seed_attention_kernel_1",
     "grid": [64, 2, 1], "block": [128, 1, 1],
     "shared_memory_bytes": 1024,
     "args": [{"kind": "buffer", "index": 0}, {"kind": "buffer", "index": 1},
              {"kind": "output", "index": 0}]}
  ]
}
)";

void mirage::runtime::testing::writePackage(
    const std::string &dir, const std::string &manifest,
    const std::string &chip,
    const std::vector<std::pair<std::string, int>> &kernels, bool withCubin) {
  writeFile(dir + "/manifest.json", manifest);
  writeFile(dir + "/kernels.ptx", makeFakeModule(chip, kernels, false));
  if (withCubin)
    writeFile(dir + "/kernels.cubin", makeFakeModule(chip, kernels, true));
}

void mirage::runtime::testing::writeSeedPackage(const std::string &dir,
                                                const std::string &chip,
                                                bool withCubin) {
  std::string manifest = kSeedManifest;
  manifest.replace(manifest.find("sm_90a"), 6, chip);
  if (!withCubin)
    manifest.replace(manifest.find("  \"cubin\": \"kernels.cubin\",\n"),
                     std::strlen("  \"cubin\": \"kernels.cubin\",\n"), "");
  writePackage(dir, manifest, chip,
               {{"seed_attention_kernel_0", 5}, {"seed_attention_kernel_1", 3}},
               withCubin);
}

const char mirage::runtime::testing::kAxpyManifest[] = R"({
  "format": "mirage-kernel-package",
  "version": 1,
  "function": "axpy",
  "chip": "sm_90a",
  "ptx": "kernels.ptx",
  "cubin": "kernels.cubin",
  "inputs": [{"shape": [4], "dtype": "f32"}, {"shape": [4], "dtype": "f32"}],
  "outputs": [{"shape": [4], "dtype": "f32"}],
  "buffers": [{"shape": [4], "dtype": "f32"}],
  "kernels": [
    {"name": "axpy_scale", "grid": [1, 1, 1], "block": [4, 1, 1],
     "shared_memory_bytes": 0,
     "args": [{"kind": "input", "index": 0}, {"kind": "buffer", "index": 0}]},
    {"name": "axpy_add", "grid": [1, 1, 1], "block": [4, 1, 1],
     "shared_memory_bytes": 0,
     "args": [{"kind": "buffer", "index": 0}, {"kind": "input", "index": 1},
              {"kind": "output", "index": 0}]}
  ]
}
)";

void mirage::runtime::testing::writeAxpyPackage(const std::string &dir) {
  writePackage(dir, kAxpyManifest, "sm_90a",
               {{"axpy_scale", 2}, {"axpy_add", 3}}, true);
}

void mirage::runtime::testing::installAxpyBodies() {
  auto at = [](CUdeviceptr address) {
    return reinterpret_cast<float *>(address);
  };
  fakeGpu().kernelBodies["axpy_scale"] =
      [at](const std::vector<CUdeviceptr> &args) {
        for (int i = 0; i < 4; ++i)
          at(args[1])[i] = 2 * at(args[0])[i];
      };
  fakeGpu().kernelBodies["axpy_add"] =
      [at](const std::vector<CUdeviceptr> &args) {
        for (int i = 0; i < 4; ++i)
          at(args[2])[i] = at(args[0])[i] + at(args[1])[i];
      };
}
