//===- NpyTest.cpp - .npy reading and writing -----------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "mirage-support/Npy.h"

#include "TestFiles.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace mirage::support;
using namespace mirage::support::testing;

namespace {

/// A .npy file as numpy.save writes it, built by hand.
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

/// parseNpy's error for `contents`, or "<no error>".
std::string errorOf(const std::string &contents) {
  NpyArray array;
  std::string error;
  return parseNpy(contents, array, error) ? "<no error>" : error;
}

const char kF32x1[] = "{'descr': '<f4', 'fortran_order': False, "
                      "'shape': (1,), }";

TEST(NpyTest, ParsesWhatNumPyWrites) {
  std::string file =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              floats({1, 2, 3, 4, 5, 6}));
  NpyArray array;
  std::string error;
  ASSERT_TRUE(parseNpy(file, array, error)) << error;
  EXPECT_EQ(array.kind, 'f');
  EXPECT_EQ(array.itemSize, 4u);
  EXPECT_EQ(array.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array.numElements(), 6);
  EXPECT_EQ(array.shapeString(), "2, 3");
  float last;
  std::memcpy(&last, array.data.data() + 20, 4);
  EXPECT_EQ(last, 6.0f);
}

TEST(NpyTest, ParsesVersions2And3AndKeysInAnyOrder) {
  for (char major : {2, 3}) {
    std::string file =
        makeNpy("{'shape': (3,), 'fortran_order': False, 'descr': '<f2'}",
                std::string(6, '\0'), major);
    NpyArray array;
    std::string error;
    ASSERT_TRUE(parseNpy(file, array, error)) << error;
    EXPECT_EQ(array.shape, (std::vector<int64_t>{3}));
    EXPECT_EQ(array.dtypeName(), "float16");
  }
}

TEST(NpyTest, RoundTripsThroughSerialize) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{}, {5}, {2, 1, 4}, {0, 3}}) {
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
    EXPECT_EQ(npyHeader(array).size(), bytes.size() - array.data.size());
    NpyArray back;
    std::string error;
    ASSERT_TRUE(parseNpy(bytes, back, error)) << error;
    EXPECT_EQ(back.shape, array.shape);
    EXPECT_EQ(back.data, array.data);
  }
}

// The exact bytes every tool has written since the first .npy file: tests
// compare files with cmp, and users may have checked in outputs.
TEST(NpyTest, WritesTheSameBytesAsEver) {
  NpyArray array;
  array.kind = 'f';
  array.itemSize = 4;
  array.shape = {2, 3};
  std::string header("\x93NUMPY\x01\x00\x76\x00", 10);
  header += "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  header += std::string(128 - header.size() - 1, ' ') + "\n";
  EXPECT_EQ(npyHeader(array), header);

  NpyArray vector;
  vector.kind = 'f';
  vector.itemSize = 2;
  vector.shape = {5};
  // Python writes a 1-tuple with a trailing comma.
  EXPECT_NE(npyHeader(vector).find("{'descr': '<f2', 'fortran_order': False, "
                                   "'shape': (5,), }"),
            std::string::npos);
  NpyArray scalar;
  scalar.kind = 'b';
  scalar.itemSize = 1;
  EXPECT_NE(npyHeader(scalar).find("{'descr': '|b1', 'fortran_order': False, "
                                   "'shape': (), }"),
            std::string::npos);
}

// A header past 65535 bytes needs format version 2.0 (a 32-bit length).
TEST(NpyTest, LongHeadersUseVersion2) {
  NpyArray array;
  array.kind = 'u';
  array.itemSize = 1;
  array.shape.assign(25000, 1);
  array.data = {42};
  std::string bytes = serializeNpy(array);
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ((bytes.size() - 1) % 64, 0u);
  NpyArray back;
  std::string error;
  ASSERT_TRUE(parseNpy(bytes, back, error)) << error;
  EXPECT_EQ(back.shape.size(), 25000u);
  EXPECT_EQ(back.data, array.data);
}

TEST(NpyTest, RejectsBadFilesWithReasons) {
  EXPECT_EQ(errorOf("PK\x03\x04 not numpy"),
            "not a .npy file (bad magic string)");
  EXPECT_EQ(errorOf(std::string("\x93NUMPY\x01", 7)), "truncated .npy header");
  std::string version4 = makeNpy(kF32x1, floats({1}));
  version4[6] = 4;
  EXPECT_EQ(errorOf(version4), "unsupported .npy format version 4.0");
  EXPECT_EQ(errorOf(makeNpy(kF32x1, "").substr(0, 20)),
            "truncated .npy header");
  EXPECT_EQ(errorOf(makeNpy("['descr']", "")), "header is not a Python dict");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '>f4', 'fortran_order': False, "
                            "'shape': (1,), }",
                            floats({1}))),
            "big-endian arrays are not supported (dtype '>f4'); convert with "
            "arr.astype(arr.dtype.newbyteorder('<'))");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'fortran_order': True, "
                            "'shape': (1,), }",
                            floats({1}))),
            "Fortran-order arrays are not supported; save a C-order array "
            "(numpy.ascontiguousarray)");
  EXPECT_EQ(errorOf(makeNpy("{'descr': [('a', '<f4')], 'fortran_order': "
                            "False, 'shape': (1,), }",
                            floats({1}))),
            "structured dtypes are not supported (descr is not a plain type "
            "string)");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f', 'fortran_order': False, "
                            "'shape': (1,), }",
                            floats({1}))),
            "unsupported dtype '<f'");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f99999999999', 'fortran_order': "
                            "False, 'shape': (1,), }",
                            floats({1}))),
            "unsupported dtype '<f99999999999'");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (2, 2), }",
                            floats({1, 2, 3}))),
            "data section holds 12 bytes but shape (2, 2) of float32 needs 16");
  EXPECT_EQ(errorOf(makeNpy(kF32x1, floats({1, 2}))),
            "data section holds 8 bytes, more than the 4 its header "
            "describes");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'shape': (1,), }", floats({1}))),
            "header lacks one of 'descr', 'fortran_order', 'shape'");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (1,), 'extra': 1}",
                            floats({1}))),
            "unexpected key 'extra' in the header");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (-1,), }",
                            floats({1}))),
            "shape must be a tuple of non-negative integers");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (99999999999999999999,), }",
                            floats({1}))),
            "shape must be a tuple of non-negative integers");
  // Dims that fit but whose product does not: no wrap-around to a small size.
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (4611686018427387904, 4), }",
                            floats({1}))),
            "shape (4611686018427387904, 4) of float32 is too large: its size "
            "in bytes overflows 64 bits");
  EXPECT_EQ(errorOf(makeNpy("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (4611686018427387904, 4, 0), }",
                            "")),
            "shape (4611686018427387904, 4, 0) of float32 is too large: its "
            "size in bytes overflows 64 bits");
}

TEST(NpyTest, ReadAndWriteNameTheFile) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  NpyArray array;
  std::string error;
  EXPECT_FALSE(readNpy(tmp / "x.npy", array, error));
  EXPECT_EQ(error,
            "cannot read '" + tmp / "x.npy" + "': No such file or directory");
  spit(tmp / "bad.npy", "not numpy");
  EXPECT_FALSE(readNpy(tmp / "bad.npy", array, error));
  EXPECT_EQ(error,
            "'" + tmp / "bad.npy" + "': not a .npy file (bad magic string)");
  EXPECT_FALSE(writeNpy(tmp / "no/x.npy", array, error));
  EXPECT_EQ(error, "cannot write '" + tmp / "no/x.npy" +
                       "': No such file or directory");

  array.kind = 'f';
  array.itemSize = 4;
  array.shape = {2};
  array.data.assign(8, 7);
  ASSERT_TRUE(writeNpy(tmp / "ok.npy", array, error)) << error;
  EXPECT_EQ(slurp(tmp / "ok.npy"), serializeNpy(array));
  NpyArray back;
  ASSERT_TRUE(readNpy(tmp / "ok.npy", back, error)) << error;
  EXPECT_EQ(back.shape, array.shape);
  EXPECT_EQ(back.data, array.data);
}

TEST(NpyTest, ElementsToFloat) {
  NpyArray array;
  array.kind = 'f';
  array.shape = {2};
  float out[2];
  array.itemSize = 2;
  array.data = {0x55, 0x35, 0x00, 0xc1}; // float16 0.333251953125, -2.5
  ASSERT_TRUE(npyElementsToFloat(array, out));
  EXPECT_EQ(out[0], 0.333251953125f);
  EXPECT_EQ(out[1], -2.5f);
  double wide[2] = {1.0 / 3, 1e300};
  array.itemSize = 8;
  array.data.resize(16);
  std::memcpy(array.data.data(), wide, 16);
  ASSERT_TRUE(npyElementsToFloat(array, out));
  EXPECT_EQ(out[0], 1.0f / 3);
  EXPECT_EQ(out[1], INFINITY);
  array.kind = 'i';
  array.itemSize = 4;
  array.data.resize(8);
  EXPECT_FALSE(npyElementsToFloat(array, out));
}

} // namespace
