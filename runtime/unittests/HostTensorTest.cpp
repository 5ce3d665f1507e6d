//===- HostTensorTest.cpp - mirage-runtime-run's host tensors -------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"
#include "TestPackages.h"

#include "mirage-support/Npy.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace mirage::runtime;
using namespace mirage::runtime::testing;
using mirage::support::NpyArray;
using mirage::support::parseNpy;
using mirage::support::serializeNpy;

namespace {

TensorDesc makeDesc(std::vector<int64_t> shape, MirageRtDType dtype) {
  TensorDesc desc;
  desc.shape = std::move(shape);
  desc.dtype = dtype;
  desc.numElements = 1;
  for (int64_t dim : desc.shape)
    desc.numElements *= dim;
  desc.sizeInBytes = desc.numElements * mirageRtDTypeSize(dtype);
  return desc;
}

TEST(HostTensorTest, ElementsRoundToTheDType) {
  HostTensor f16 = HostTensor::zeros(makeDesc({3}, MIRAGE_RT_F16));
  f16.set(0, 1.0f / 3);
  EXPECT_EQ(f16.get(0), 0.333251953125f); // nearest f16
  f16.set(1, 70000.0f);
  EXPECT_TRUE(std::isinf(f16.get(1)));
  HostTensor bf16 = HostTensor::zeros(makeDesc({1}, MIRAGE_RT_BF16));
  bf16.set(0, 1.0f / 3);
  EXPECT_EQ(bf16.get(0), 0.333984375f); // nearest bf16
  HostTensor f32 = HostTensor::zeros(makeDesc({1}, MIRAGE_RT_F32));
  f32.set(0, 1.0f / 3);
  EXPECT_EQ(f32.get(0), 1.0f / 3);
}

TEST(HostTensorTest, RandomInputsAreSeededAndInRange) {
  TensorDesc desc = makeDesc({1000}, MIRAGE_RT_F16);
  HostTensor a = HostTensor::zeros(desc), b = HostTensor::zeros(desc),
             c = HostTensor::zeros(desc), d = HostTensor::zeros(desc);
  fillRandom(a, 0, 0, -0.5, 0.5);
  fillRandom(b, 0, 0, -0.5, 0.5);
  fillRandom(c, 1, 0, -0.5, 0.5);
  fillRandom(d, 0, 1, -0.5, 0.5);
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(a.data, c.data);
  EXPECT_NE(a.data, d.data);
  double sum = 0;
  for (int64_t i = 0; i < desc.numElements; ++i) {
    EXPECT_GE(a.get(i), -0.5f);
    EXPECT_LE(a.get(i), 0.5f); // Rounding to f16 may reach the bound.
    sum += a.get(i);
  }
  EXPECT_LT(std::fabs(sum / desc.numElements), 0.05);

  HostTensor narrow = HostTensor::zeros(makeDesc({100}, MIRAGE_RT_F32));
  fillRandom(narrow, 7, 2, 2.0, 2.5);
  for (int64_t i = 0; i < 100; ++i) {
    EXPECT_GE(narrow.get(i), 2.0f);
    EXPECT_LT(narrow.get(i), 2.5f);
  }
}

TEST(HostTensorTest, SummaryCountsNonFiniteValues) {
  HostTensor t = HostTensor::zeros(makeDesc({5}, MIRAGE_RT_F32));
  t.set(0, 1.5f);
  t.set(1, -3.0f);
  t.set(2, NAN);
  t.set(3, INFINITY);
  Summary s = summarize(t);
  EXPECT_EQ(s.sum, -1.5);
  EXPECT_EQ(s.maxAbs, 3.0);
  EXPECT_EQ(s.nans, 1);
  EXPECT_EQ(s.infs, 1);
}

TEST(HostTensorTest, NpyRoundTrip) {
  TempDir tmp;
  HostTensor f16 = HostTensor::zeros(makeDesc({2, 3}, MIRAGE_RT_F16));
  HostTensor bf16 = HostTensor::zeros(makeDesc({4}, MIRAGE_RT_BF16));
  HostTensor f32 = HostTensor::zeros(makeDesc({}, MIRAGE_RT_F32));
  fillRandom(f16, 3, 0, -1, 1);
  fillRandom(bf16, 3, 1, -1, 1);
  fillRandom(f32, 3, 2, -1, 1);
  std::string error;
  for (HostTensor *t : {&f16, &bf16, &f32}) {
    std::string path = tmp / (t->desc.str() + ".npy");
    ASSERT_TRUE(saveNpy(path, *t, error)) << error;
    HostTensor back = HostTensor::zeros(t->desc);
    ASSERT_TRUE(loadNpy(path, back, error)) << error;
    EXPECT_EQ(back.data, t->data) << t->desc.str();
  }

  // What NumPy sees: float16 for f16, float32 for bf16; 64-byte aligned
  // data; a 1-d shape with its trailing comma.
  NpyArray array;
  ASSERT_TRUE(parseNpy(readFile(tmp / "tensor<2x3xf16>.npy"), array, error))
      << error;
  EXPECT_EQ(array.dtypeName(), "float16");
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
  std::string bf16File = readFile(tmp / "tensor<4xbf16>.npy");
  ASSERT_TRUE(parseNpy(bf16File, array, error)) << error;
  EXPECT_EQ(array.dtypeName(), "float32");
  EXPECT_EQ(bf16File.size(), 128u + 16u);
  EXPECT_NE(bf16File.find("'shape': (4,)"), std::string::npos);
}

TEST(HostTensorTest, NpyInputsConvertToTheDType) {
  TempDir tmp;
  NpyArray wide;
  wide.kind = 'f';
  wide.itemSize = 8;
  wide.shape = {2};
  double values[2] = {1.0 / 3, -2.5};
  wide.data.resize(16);
  std::memcpy(wide.data.data(), values, 16);
  ASSERT_TRUE(writeFile(tmp / "wide.npy", serializeNpy(wide)));
  HostTensor f16 = HostTensor::zeros(makeDesc({2}, MIRAGE_RT_F16));
  std::string error;
  ASSERT_TRUE(loadNpy(tmp / "wide.npy", f16, error)) << error;
  EXPECT_EQ(f16.get(0), 0.333251953125f);
  EXPECT_EQ(f16.get(1), -2.5f);
}

TEST(HostTensorTest, NpyErrors) {
  TempDir tmp;
  HostTensor f32 = HostTensor::zeros(makeDesc({2}, MIRAGE_RT_F32));
  std::string error;
  EXPECT_FALSE(loadNpy(tmp / "missing.npy", f32, error));
  EXPECT_EQ(error, "cannot read '" + tmp / "missing.npy" +
                       "': No such file or directory");

  NpyArray array;
  array.kind = 'f';
  array.itemSize = 4;
  array.shape = {3};
  array.data.resize(12);
  ASSERT_TRUE(writeFile(tmp / "shape.npy", serializeNpy(array)));
  EXPECT_FALSE(loadNpy(tmp / "shape.npy", f32, error));
  EXPECT_EQ(error, "'" + tmp / "shape.npy" +
                       "' holds an array of shape (3) but the input is "
                       "tensor<2xf32>");

  array.kind = 'i';
  array.shape = {2};
  array.data.resize(8);
  ASSERT_TRUE(writeFile(tmp / "int.npy", serializeNpy(array)));
  EXPECT_FALSE(loadNpy(tmp / "int.npy", f32, error));
  EXPECT_EQ(error, "'" + tmp / "int.npy" +
                       "' holds int32 data; expected float16, float32 or "
                       "float64");

  // The reader's own errors (mirage::support::parseNpy, tested in
  // runtime/support/unittests) come prefixed with the path.
  std::string truncated = serializeNpy(array);
  truncated.pop_back();
  ASSERT_TRUE(writeFile(tmp / "short.npy", truncated));
  EXPECT_FALSE(loadNpy(tmp / "short.npy", f32, error));
  EXPECT_EQ(error, "'" + tmp / "short.npy" +
                       "': data section holds 7 bytes but shape (2) of int32 "
                       "needs 8");
}

// saveNpy writes all or nothing: into a missing directory it fails with a
// message and creates nothing.
TEST(HostTensorTest, SaveNpyReportsFailure) {
  TempDir tmp;
  HostTensor f32 = HostTensor::zeros(makeDesc({2}, MIRAGE_RT_F32));
  std::string error;
  EXPECT_FALSE(saveNpy(tmp / "missing/out.npy", f32, error));
  EXPECT_EQ(error, "cannot write '" + tmp / "missing/out.npy" +
                       "': No such file or directory");
}

} // namespace
