//===- TensorIOTest.cpp - Random inputs and .npy tensors -----------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Interpreter/TensorIO.h"
#include "Mirage/Interpreter/Slicing.h"
#include "Mirage/Support/HalfFloat.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mirage;

namespace {

TEST(TensorIOTest, RandomInputsAreInRangeAndRepresentable) {
  Tensor<float> t =
      makeRandomTensor({64, 100}, ElementKind::F16, 3, 1, -0.25, 0.75);
  double sum = 0;
  for (float x : t.getData()) {
    EXPECT_GE(x, -0.25f);
    EXPECT_LE(x, 0.75f); // rounding to f16 may reach the upper bound
    EXPECT_EQ(x, roundToHalf(x));
    sum += x;
  }
  // Mean of U(-0.25, 0.75) is 0.25; 6400 samples give a std. error of 0.0036.
  EXPECT_NEAR(sum / t.getNumElements(), 0.25, 0.02);
}

TEST(TensorIOTest, ABoxOfRandomInputsIsThatBoxOfTheWhole) {
  // What the verifier's pieces rely on (Slicing.h).
  Tensor<float> whole =
      makeRandomTensor({4, 6, 10}, ElementKind::BF16, 9, 2, -1, 1);
  Box box;
  box.lo = {1, 2, 3};
  box.hi = {3, 5, 9};
  Tensor<float> part =
      makeRandomTensor({4, 6, 10}, box, ElementKind::BF16, 9, 2, -1, 1);
  ASSERT_EQ(part.getShape(), ArrayRef<int64_t>({2, 3, 6}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t k = 0; k < 6; ++k)
        EXPECT_EQ(part[(i * 3 + j) * 6 + k],
                  whole[((i + 1) * 6 + j + 2) * 10 + k + 3]);
}

TEST(TensorIOTest, RandomInputsDependOnSeedAndArgumentOnly) {
  Tensor<float> a = makeRandomTensor({1000}, ElementKind::F32, 5, 0, -1, 1);
  Tensor<float> b = makeRandomTensor({1000}, ElementKind::F32, 5, 0, -1, 1);
  Tensor<float> c = makeRandomTensor({1000}, ElementKind::F32, 6, 0, -1, 1);
  Tensor<float> d = makeRandomTensor({1000}, ElementKind::F32, 5, 1, -1, 1);
  // A longer tensor starts with the same values: element i depends on i only.
  Tensor<float> e = makeRandomTensor({2000}, ElementKind::F32, 5, 0, -1, 1);
  EXPECT_EQ(a.getData(), b.getData());
  EXPECT_NE(a.getData(), c.getData());
  EXPECT_NE(a.getData(), d.getData());
  EXPECT_EQ(a.getData(), e.getData().take_front(1000));
}

class TensorFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(
        llvm::sys::fs::createUniqueDirectory("mirage-tensorio", directory));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(directory); }
  std::string path(StringRef name) {
    SmallString<128> p(directory);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  SmallString<128> directory;
  MLIRContext context;
};

TEST_F(TensorFileTest, RoundTripsEveryElementType) {
  Type types[] = {Float16Type::get(&context), BFloat16Type::get(&context),
                  Float32Type::get(&context)};
  ElementKind kinds[] = {ElementKind::F16, ElementKind::BF16, ElementKind::F32};
  for (int i = 0; i < 3; ++i) {
    Tensor<float> t = makeRandomTensor({3, 5}, kinds[i], 1, 0, -2, 2);
    ASSERT_FALSE(
        static_cast<bool>(saveTensorToNpy(path("t.npy"), t, kinds[i])));
    auto type = RankedTensorType::get({3, 5}, types[i]);
    llvm::Expected<Tensor<float>> back = loadTensorFromNpy(path("t.npy"), type);
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->getData(), t.getData());
  }
}

TEST_F(TensorFileTest, RejectsMismatchedFiles) {
  Tensor<float> t({2, 3}, 1.0f);
  ASSERT_FALSE(
      static_cast<bool>(saveTensorToNpy(path("t.npy"), t, ElementKind::F32)));
  auto wrongShape = RankedTensorType::get({3, 2}, Float16Type::get(&context));
  llvm::Expected<Tensor<float>> result =
      loadTensorFromNpy(path("t.npy"), wrongShape);
  ASSERT_FALSE(static_cast<bool>(result));
  EXPECT_EQ(llvm::toString(result.takeError()),
            "'" + path("t.npy") +
                "' holds an array of shape (2, 3) but the argument is "
                "tensor<3x2xf16>");
}

} // namespace

namespace {

// Raw element storage: f16 1.0 is 0x3C00 and bf16 1.0 is 0x3F80 (IEEE 754
// binary16; bfloat16 is the top half of binary32), little-endian on the
// hosts we build for; f32 is stored as is.
TEST(ElementStorageTest, EncodesTheBitsOfEachKind) {
  std::vector<float> values = {1.0f, -2.0f};
  std::vector<uint8_t> f16 = encodeElements(values, ElementKind::F16);
  EXPECT_EQ(f16, (std::vector<uint8_t>{0x00, 0x3C, 0x00, 0xC0}));
  std::vector<uint8_t> bf16 = encodeElements(values, ElementKind::BF16);
  EXPECT_EQ(bf16, (std::vector<uint8_t>{0x80, 0x3F, 0x00, 0xC0}));
  std::vector<uint8_t> f32 = encodeElements(values, ElementKind::F32);
  EXPECT_EQ(f32, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00,
                                       0xC0}));
  EXPECT_EQ(getElementBytes(ElementKind::F16), 2);
  EXPECT_EQ(getElementBytes(ElementKind::F32), 4);
}

TEST(ElementStorageTest, DecodingWidensExactlyAndEncodingRounds) {
  // 1 + 2^-11 is halfway between two f16 values: it rounds to even (1.0);
  // 3.140625 is exact in f16 and bf16.
  std::vector<float> values = {1.0f + 0x1p-11f, 3.140625f, -0.0f};
  for (ElementKind kind : {ElementKind::F16, ElementKind::BF16}) {
    std::vector<uint8_t> bytes = encodeElements(values, kind);
    std::vector<float> back(values.size());
    decodeElements(bytes.data(), kind, back);
    EXPECT_EQ(back[0], 1.0f);
    EXPECT_EQ(back[1], 3.140625f);
    EXPECT_TRUE(std::signbit(back[2]));
  }
  std::vector<uint8_t> bytes = encodeElements(values, ElementKind::F32);
  std::vector<float> back(values.size());
  decodeElements(bytes.data(), ElementKind::F32, back);
  EXPECT_EQ(back, values);
}

} // namespace
