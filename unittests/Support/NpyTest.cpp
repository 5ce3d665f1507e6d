//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Mirage/Support/Npy.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace mlir::mirage;

namespace {

/// A .npy file as numpy.save writes it (version 1.0), built by hand.
std::string makeNpy(const std::string &dict, const std::string &data,
                    char major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64)
    header.push_back(' ');
  header.push_back('\n');
  std::string out("\x93NUMPY", 6);
  out.push_back(major);
  out.push_back(0);
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + data;
}

std::string floats(std::initializer_list<float> values) {
  std::string data(values.size() * 4, '\0');
  std::memcpy(data.data(), values.begin(), data.size());
  return data;
}

std::string errorOf(llvm::Expected<NpyArray> result) {
  if (result)
    return "<no error>";
  return llvm::toString(result.takeError());
}

TEST(NpyTest, ParsesWhatNumPyWrites) {
  std::string file =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              floats({1, 2, 3, 4, 5, 6}));
  llvm::Expected<NpyArray> array = parseNpy(file);
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->kind, 'f');
  EXPECT_EQ(array->itemSize, 4u);
  EXPECT_EQ(array->shape, (llvm::SmallVector<int64_t>{2, 3}));
  float last;
  std::memcpy(&last, array->data.data() + 20, 4);
  EXPECT_EQ(last, 6.0f);
}

TEST(NpyTest, ParsesVersion2AndKeysInAnyOrder) {
  std::string file =
      makeNpy("{'shape': (3,), 'fortran_order': False, 'descr': '<f2'}",
              std::string(6, '\0'), /*major=*/2);
  llvm::Expected<NpyArray> array = parseNpy(file);
  ASSERT_TRUE(static_cast<bool>(array)) << llvm::toString(array.takeError());
  EXPECT_EQ(array->shape, (llvm::SmallVector<int64_t>{3}));
  EXPECT_EQ(array->dtypeName(), "float16");
}

TEST(NpyTest, RoundTripsThroughSerialize) {
  for (llvm::SmallVector<int64_t> shape :
       {llvm::SmallVector<int64_t>{}, {5}, {2, 1, 4}}) {
    NpyArray array;
    array.kind = 'f';
    array.itemSize = 2;
    array.shape = shape;
    array.data.resize(array.numElements() * 2);
    for (size_t i = 0; i < array.data.size(); ++i)
      array.data[i] = static_cast<uint8_t>(i * 7);
    std::string bytes = serializeNpy(array);
    // The data starts 64-byte aligned, as the format requires.
    EXPECT_EQ((bytes.size() - array.data.size()) % 64, 0u);
    llvm::Expected<NpyArray> back = parseNpy(bytes);
    ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
    EXPECT_EQ(back->shape, array.shape);
    EXPECT_EQ(back->data, array.data);
  }
  NpyArray vector;
  vector.shape = {5};
  vector.data.resize(20);
  // Python writes a 1-tuple with a trailing comma.
  EXPECT_NE(serializeNpy(vector).find("'shape': (5,)"), std::string::npos);
}

TEST(NpyTest, RejectsBadFilesWithReasons) {
  EXPECT_EQ(errorOf(parseNpy("PK\x03\x04 not numpy")),
            "not a .npy file (bad magic string)");
  EXPECT_NE(
      errorOf(parseNpy(makeNpy(
                  "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }",
                  floats({1}))))
          .find("big-endian"),
      std::string::npos);
  EXPECT_NE(
      errorOf(parseNpy(makeNpy(
                  "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }",
                  floats({1}))))
          .find("Fortran-order"),
      std::string::npos);
  EXPECT_NE(errorOf(parseNpy(makeNpy(
                        "{'descr': [('a', '<f4')], 'fortran_order': False, "
                        "'shape': (1,), }",
                        floats({1}))))
                .find("structured dtypes"),
            std::string::npos);
  EXPECT_EQ(errorOf(parseNpy(makeNpy(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                floats({1, 2, 3})))),
            "data section holds 12 bytes but shape (2, 2) of float32 needs "
            "16");
  EXPECT_NE(errorOf(parseNpy(makeNpy("{'descr': '<f4', 'shape': (1,), }",
                                     floats({1}))))
                .find("lacks"),
            std::string::npos);
  std::string truncated =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "");
  EXPECT_EQ(errorOf(parseNpy(truncated.substr(0, 20))),
            "truncated .npy header");
}

TEST(NpyTest, ReadNpyNamesTheMissingFile) {
  std::string message = errorOf(readNpy("/nonexistent/dir/x.npy"));
  EXPECT_NE(message.find("cannot read '/nonexistent/dir/x.npy'"),
            std::string::npos)
      << message;
}

} // namespace
