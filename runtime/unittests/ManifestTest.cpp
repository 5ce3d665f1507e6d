//===- ManifestTest.cpp - Kernel package manifests ------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"
#include "TestPackages.h"

#include "gtest/gtest.h"

using namespace mirage::runtime::detail;
using mirage::runtime::testing::kSeedManifest;

namespace {

/// kSeedManifest with the first occurrence of `from` replaced by `to`.
std::string mutate(const std::string &from, const std::string &to) {
  std::string text = kSeedManifest;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the manifest: " << from;
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

std::string parseError(const std::string &text) {
  Manifest manifest;
  std::string error;
  EXPECT_FALSE(parseManifest(text, "manifest.json", manifest, error));
  return error;
}

TEST(ManifestTest, DocumentedExampleParses) {
  Manifest m;
  std::string error;
  ASSERT_TRUE(parseManifest(kSeedManifest, "manifest.json", m, error)) << error;
  EXPECT_EQ(m.function, "seed_attention");
  EXPECT_EQ(m.chip, "sm_90a");
  EXPECT_EQ(m.ptx, "kernels.ptx");
  EXPECT_EQ(m.cubin, "kernels.cubin");
  ASSERT_EQ(m.inputs.size(), 3u);
  EXPECT_EQ(m.inputs[1].shape, (std::vector<int64_t>{64, 128, 4096}));
  EXPECT_EQ(m.inputs[1].dtype, MIRAGE_RT_F16);
  EXPECT_EQ(m.inputs[1].numElements, 64 * 128 * 4096);
  EXPECT_EQ(m.inputs[1].sizeInBytes, 2 * 64 * 128 * 4096);
  EXPECT_FALSE(m.inputs[0].hasInputRange);
  ASSERT_EQ(m.outputs.size(), 1u);
  ASSERT_EQ(m.buffers.size(), 2u);
  EXPECT_EQ(m.buffers[1].shape, (std::vector<int64_t>{64, 1, 2}));
  ASSERT_EQ(m.kernels.size(), 2u);
  const KernelSpec &k0 = m.kernels[0];
  EXPECT_EQ(k0.name, "seed_attention_kernel_0");
  EXPECT_EQ(k0.grid[0], 64u);
  EXPECT_EQ(k0.grid[1], 2u);
  EXPECT_EQ(k0.grid[2], 1u);
  EXPECT_EQ(k0.block[0], 128u);
  EXPECT_EQ(k0.sharedMemoryBytes, 132096u);
  ASSERT_EQ(k0.args.size(), 5u);
  EXPECT_EQ(k0.args[2].kind, ArgKind::Input);
  EXPECT_EQ(k0.args[2].index, 2);
  EXPECT_EQ(k0.args[4].kind, ArgKind::Buffer);
  EXPECT_EQ(k0.args[4].index, 1);
  EXPECT_EQ(m.kernels[1].args[2].kind, ArgKind::Output);
  EXPECT_EQ(m.kernels[1].sharedMemoryBytes, 1024u);
}

TEST(ManifestTest, OptionalAndUnknownKeys) {
  Manifest m;
  std::string error;
  // No cubin and no buffers; a scalar input with an input_range; unknown
  // keys (a later version's optional fields) are ignored.
  const char *text = R"({"format": "mirage-kernel-package", "version": 1,
    "function": "f", "chip": "sm_80", "ptx": "k.ptx", "cubin": null,
    "compiler": "mirage-opt 0.1",
    "inputs": [{"shape": [], "dtype": "f32", "input_range": [0, 1.5]},
               {"shape": [8], "dtype": "bf16", "note": "ignored"}],
    "outputs": [{"shape": [8], "dtype": "bf16"}],
    "kernels": [{"name": "k", "grid": [1, 1, 1], "block": [32, 1, 1],
                 "shared_memory_bytes": 0, "args": [
                   {"kind": "input", "index": 0}, {"kind": "input", "index": 1},
                   {"kind": "output", "index": 0}]}]})";
  ASSERT_TRUE(parseManifest(text, "manifest.json", m, error)) << error;
  EXPECT_TRUE(m.cubin.empty());
  EXPECT_TRUE(m.buffers.empty());
  EXPECT_TRUE(m.inputs[0].shape.empty());
  EXPECT_EQ(m.inputs[0].numElements, 1);
  EXPECT_EQ(m.inputs[0].sizeInBytes, 4);
  EXPECT_TRUE(m.inputs[0].hasInputRange);
  EXPECT_EQ(m.inputs[0].inputLow, 0.0);
  EXPECT_EQ(m.inputs[0].inputHigh, 1.5);
  EXPECT_EQ(m.inputs[1].sizeInBytes, 16);
}

struct BadManifest {
  const char *from, *to, *error;
};

// Each kind of malformed manifest, made from the documented example by one
// replacement, with the full message it must give.
const BadManifest kBadManifests[] = {
    {"\"version\": 1,", "\"version\": 1",
     "manifest.json:4:3: expected ',' or '}' after the value of \"version\", "
     "found '\"'"},
    {"\"format\": \"mirage-kernel-package\"", "\"format\": \"onnx\"",
     "manifest.json:2:13: format: expected \"mirage-kernel-package\", found "
     "the string \"onnx\": this is not a Mirage kernel package"},
    {"\"version\": 1", "\"version\": 2",
     "manifest.json:3:14: version: this runtime reads version 1 kernel "
     "packages, found version 2"},
    {"\"version\": 1", "\"version\": \"1\"",
     "manifest.json:3:14: version: expected an integer, found the string "
     "\"1\""},
    {"  \"function\": \"seed_attention\",\n", "",
     "manifest.json:1:1: missing key \"function\" in the manifest"},
    {"\"function\": \"seed_attention\"", "\"function\": \"\"",
     "manifest.json:4:15: function: expected a non-empty string, found the "
     "string \"\""},
    {"\"function\": \"seed_attention\",",
     "\"function\": \"seed_attention\", \"function\": \"x\",",
     "manifest.json:4:33: duplicate key \"function\" (first at line 4)"},
    {"\"chip\": \"sm_90a\"", "\"chip\": \"gfx90a\"",
     "manifest.json:5:11: chip: expected a target such as \"sm_80\" or "
     "\"sm_90a\", found the string \"gfx90a\""},
    {"\"ptx\": \"kernels.ptx\"", "\"ptx\": \"/abs/kernels.ptx\"",
     "manifest.json:6:10: ptx: expected a path relative to the package "
     "directory, found \"/abs/kernels.ptx\""},
    {"\"cubin\": \"kernels.cubin\"", "\"cubin\": 3",
     "manifest.json:7:12: cubin: expected a non-empty string, found the "
     "number 3"},
    {"\"inputs\":  [", "\"inputs\":  {\"a\": 1}, \"x\": [",
     "manifest.json:8:14: inputs: expected an array, found an object"},
    {"{\"shape\": [64, 128, 4096], \"dtype\": \"f16\"}",
     "{\"shape\": [64, 128, 4096], \"dtype\": \"f64\"}",
     "manifest.json:9:51: inputs[1].dtype: expected \"f16\", \"bf16\" or "
     "\"f32\", found the string \"f64\""},
    {"[64, 1, 128], \"dtype\": \"f16\"},", "[0, 1, 128], \"dtype\": \"f16\"},",
     "manifest.json:8:26: inputs[0].shape[0]: expected an integer in [1, "
     "1099511627776], found the number 0"},
    {"{\"shape\": [64, 1, 2], \"dtype\": \"f16\"}",
     "{\"shape\": [64, 1.5, 2], \"dtype\": \"f16\"}",
     "manifest.json:13:30: buffers[1].shape[1]: expected an integer in [1, "
     "1099511627776], found the number 1.5"},
    {"\"outputs\": [{\"shape\": [64, 1, 128], \"dtype\": \"f16\"}]",
     "\"outputs\": [{\"dtype\": \"f16\"}]",
     "manifest.json:11:15: outputs[0]: missing key \"shape\""},
    {"{\"shape\": [64, 1, 128], \"dtype\": \"f16\"},",
     "{\"shape\": [64, 1, 128], \"dtype\": \"f16\", \"input_range\": [1, 0]},",
     "manifest.json:8:70: inputs[0].input_range: expected [low, high], two "
     "finite numbers with low < high"},
    {"\"grid\": [64, 2, 1]", "\"grid\": [64, 2]",
     "manifest.json:16:14: kernels[0].grid: expected an array of 3 positive "
     "integers (x, y, z), found an array of 2"},
    {"\"grid\": [64, 2, 1]", "\"grid\": [64, 70000, 1]",
     "manifest.json:16:19: kernels[0].grid[1]: expected an integer in [1, "
     "65535], found the number 70000"},
    {"\"block\": [128, 1, 1]", "\"block\": [1024, 2, 1]",
     "manifest.json:16:35: kernels[0].block: 2048 threads per block; CUDA "
     "allows at most 1024"},
    {"\"shared_memory_bytes\": 1024", "\"shared_memory_bytes\": -1",
     "manifest.json:23:29: kernels[1].shared_memory_bytes: expected an "
     "integer in [0, 4294967295], found the number -1"},
    {"     \"shared_memory_bytes\": 1024,\n", "",
     "manifest.json:21:5: kernels[1]: missing key \"shared_memory_bytes\""},
    {"{\"kind\": \"input\", \"index\": 0}",
     "{\"kind\": \"weight\", \"index\": 0}",
     "manifest.json:18:24: kernels[0].args[0].kind: expected \"input\", "
     "\"output\" or \"buffer\", found the string \"weight\""},
    {"{\"kind\": \"output\", \"index\": 0}",
     "{\"kind\": \"output\", \"index\": 1}",
     "manifest.json:25:43: kernels[1].args[2].index: there is no output 1: "
     "the package has 1 output"},
    {"{\"kind\": \"output\", \"index\": 0}",
     "{\"kind\": \"buffer\", \"index\": 0}",
     "manifest.json:11:15: outputs[0]: no kernel takes this output as an "
     "argument, so nothing would write it"},
};

TEST(ManifestTest, EachMalformedManifestHasItsOwnError) {
  for (const BadManifest &bad : kBadManifests)
    EXPECT_EQ(parseError(mutate(bad.from, bad.to)), bad.error)
        << "replacing " << bad.from;
}

TEST(ManifestTest, StructuralErrors) {
  EXPECT_EQ(parseError("[1]"), "manifest.json:1:1: the manifest must be a "
                               "JSON object, found an array");
  EXPECT_EQ(parseError(""),
            "manifest.json:1:1: expected a value, found end of input");
  std::string text = kSeedManifest;
  text = text.substr(0, text.find("\"kernels\": [")) + "\"kernels\": []\n}\n";
  EXPECT_EQ(
      parseError(text),
      "manifest.json:14:14: kernels: a package needs at least one kernel");
}

TEST(ManifestTest, Chips) {
  Chip chip;
  ASSERT_TRUE(parseChip("sm_90a", chip));
  EXPECT_EQ(chip.major, 9);
  EXPECT_EQ(chip.minor, 0);
  EXPECT_EQ(chip.suffix, 'a');
  ASSERT_TRUE(parseChip("sm_86", chip));
  EXPECT_EQ(chip.major, 8);
  EXPECT_EQ(chip.minor, 6);
  EXPECT_EQ(chip.suffix, 0);
  ASSERT_TRUE(parseChip("sm_120", chip));
  EXPECT_EQ(chip.major, 12);
  EXPECT_EQ(chip.minor, 0);
  ASSERT_TRUE(parseChip("sm_100f", chip));
  EXPECT_EQ(chip.suffix, 'f');
  for (const char *bad :
       {"sm_9", "sm_1000", "sm_", "compute_90", "sm_9x", "sm_05", "gfx90a", ""})
    EXPECT_FALSE(parseChip(bad, chip)) << bad;
}

TEST(ManifestTest, WhichCodeRunsWhere) {
  Chip sm90a, sm80, sm86, sm100f;
  parseChip("sm_90a", sm90a);
  parseChip("sm_80", sm80);
  parseChip("sm_86", sm86);
  parseChip("sm_100f", sm100f);
  // Cubins: 'a' exactly; otherwise the same major, minor at least as high.
  EXPECT_TRUE(chipRunsOn(sm90a, 9, 0));
  EXPECT_FALSE(chipRunsOn(sm90a, 10, 0));
  EXPECT_FALSE(chipRunsOn(sm90a, 8, 0));
  EXPECT_TRUE(chipRunsOn(sm80, 8, 0));
  EXPECT_TRUE(chipRunsOn(sm80, 8, 9));
  EXPECT_FALSE(chipRunsOn(sm80, 9, 0));
  EXPECT_FALSE(chipRunsOn(sm86, 8, 0));
  EXPECT_TRUE(chipRunsOn(sm100f, 10, 3));
  EXPECT_FALSE(chipRunsOn(sm100f, 12, 0));
  // PTX of a plain target also JIT-compiles for later majors.
  EXPECT_TRUE(ptxRunsOn(sm80, 9, 0));
  EXPECT_FALSE(ptxRunsOn(sm86, 8, 0));
  EXPECT_FALSE(ptxRunsOn(sm90a, 10, 0));
}

} // namespace
