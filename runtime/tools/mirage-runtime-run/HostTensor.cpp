//===- HostTensor.cpp - Host tensors for mirage-runtime-run ---------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The .npy format (numpy/lib/format.py): the magic "\x93NUMPY", a major and
// minor version byte, the header length (little-endian uint16 for version 1,
// uint32 for 2 and 3), then a Python dict literal with keys 'descr',
// 'fortran_order' and 'shape', padded so that the data starts at a multiple
// of 64 bytes, then the data.
//
//===----------------------------------------------------------------------===//

#include "HostTensor.h"

#include "Mirage/Support/HalfFloat.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace mirage::runtime;
using mlir::mirage::bfloat16BitsToFloat;
using mlir::mirage::floatToBFloat16Bits;
using mlir::mirage::floatToHalfBits;
using mlir::mirage::halfBitsToFloat;

HostTensor HostTensor::zeros(const TensorDesc &desc) {
  HostTensor tensor;
  tensor.desc = desc;
  tensor.data.assign(static_cast<size_t>(desc.sizeInBytes), 0);
  return tensor;
}

float HostTensor::get(int64_t i) const {
  if (desc.dtype == MIRAGE_RT_F32) {
    float value;
    std::memcpy(&value, data.data() + 4 * i, 4);
    return value;
  }
  uint16_t bits;
  std::memcpy(&bits, data.data() + 2 * i, 2);
  return desc.dtype == MIRAGE_RT_F16 ? halfBitsToFloat(bits)
                                     : bfloat16BitsToFloat(bits);
}

void HostTensor::set(int64_t i, float value) {
  if (desc.dtype == MIRAGE_RT_F32) {
    std::memcpy(data.data() + 4 * i, &value, 4);
    return;
  }
  uint16_t bits = desc.dtype == MIRAGE_RT_F16 ? floatToHalfBits(value)
                                              : floatToBFloat16Bits(value);
  std::memcpy(data.data() + 2 * i, &bits, 2);
}

/// SplitMix64's output function (Steele, Lea and Flood 2014), as in
/// lib/Interpreter/TensorIO.cpp.
static uint64_t splitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void mirage::runtime::fillRandom(HostTensor &tensor, uint64_t seed,
                                 unsigned argIndex, double low, double high) {
  uint64_t stream = splitMix64(splitMix64(seed) ^ (uint64_t(argIndex) << 32));
  for (int64_t i = 0, e = tensor.desc.numElements; i < e; ++i) {
    // 53 random bits -> a double uniform in [0, 1).
    double u =
        static_cast<double>(splitMix64(stream + uint64_t(i)) >> 11) * 0x1.0p-53;
    tensor.set(i, static_cast<float>(low + (high - low) * u));
  }
}

Summary mirage::runtime::summarize(const HostTensor &tensor) {
  Summary s;
  for (int64_t i = 0, e = tensor.desc.numElements; i < e; ++i) {
    float x = tensor.get(i);
    if (std::isnan(x)) {
      ++s.nans;
      continue;
    }
    if (std::isinf(x)) {
      ++s.infs;
      continue;
    }
    s.sum += x;
    s.maxAbs = std::max(s.maxAbs, static_cast<double>(std::fabs(x)));
  }
  return s;
}

//===----------------------------------------------------------------------===//
// .npy files
//===----------------------------------------------------------------------===//

static const char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

std::string NpyArray::dtypeName() const {
  switch (kind) {
  case 'f':
    return "float" + std::to_string(itemSize * 8);
  case 'i':
    return "int" + std::to_string(itemSize * 8);
  case 'u':
    return "uint" + std::to_string(itemSize * 8);
  case 'b':
    return "bool";
  case 'c':
    return "complex" + std::to_string(itemSize * 8);
  default:
    return std::string("'") + kind + std::to_string(itemSize) + "'";
  }
}

namespace {
/// The subset of Python literal syntax that .npy headers use: a dict of
/// string keys to strings, booleans and tuples of integers.
class HeaderParser {
public:
  HeaderParser(const std::string &text, std::string &error)
      : text(text), error(error) {}

  bool parse(NpyArray &array) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    if (!consume('{'))
      return fail("header is not a Python dict");
    while (!consume('}')) {
      std::string key;
      if (!parseString(key))
        return fail("expected a quoted key in the header");
      if (!consume(':'))
        return fail("expected ':' after key '" + key + "'");
      if (key == "descr") {
        std::string descr;
        if (!parseString(descr))
          return fail("structured dtypes are not supported (descr is not a "
                      "plain type string)");
        if (!parseDescr(descr, array))
          return false;
        haveDescr = true;
      } else if (key == "fortran_order") {
        bool fortran;
        if (!parseBool(fortran))
          return fail("fortran_order must be True or False");
        if (fortran)
          return fail("Fortran-order arrays are not supported; save a "
                      "C-order array (numpy.ascontiguousarray)");
        haveOrder = true;
      } else if (key == "shape") {
        if (!parseShape(array.shape))
          return fail("shape must be a tuple of non-negative integers");
        haveShape = true;
      } else {
        return fail("unexpected key '" + key + "' in the header");
      }
      if (!consume(',') && !peek('}'))
        return fail("expected ',' or '}' in the header");
    }
    if (!haveDescr || !haveOrder || !haveShape)
      return fail("header lacks one of 'descr', 'fortran_order', 'shape'");
    return true;
  }

private:
  const std::string &text;
  std::string &error;
  size_t pos = 0;

  bool fail(const std::string &message) {
    error = message;
    return false;
  }
  void skipSpace() {
    while (pos < text.size() && std::strchr(" \t\r\n", text[pos]))
      ++pos;
  }
  bool peek(char c) {
    skipSpace();
    return pos < text.size() && text[pos] == c;
  }
  bool consume(char c) {
    if (!peek(c))
      return false;
    ++pos;
    return true;
  }
  bool parseString(std::string &out) {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    size_t end = text.find(text[pos], pos + 1);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    return true;
  }
  bool parseBool(bool &out) {
    skipSpace();
    if (text.compare(pos, 4, "True") == 0) {
      pos += 4;
      out = true;
      return true;
    }
    if (text.compare(pos, 5, "False") == 0) {
      pos += 5;
      out = false;
      return true;
    }
    return false;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return false;
    while (!consume(')')) {
      skipSpace();
      size_t start = pos;
      int64_t dim = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (dim > (INT64_MAX - 9) / 10)
          return false;
        dim = dim * 10 + (text[pos++] - '0');
      }
      if (pos == start)
        return false;
      shape.push_back(dim);
      if (!consume(',') && !peek(')'))
        return false;
    }
    return true;
  }
  bool parseDescr(const std::string &descr, NpyArray &array) {
    if (descr.size() < 3)
      return fail("unsupported dtype '" + descr + "'");
    char order = descr[0];
    if (order == '>')
      return fail("big-endian arrays are not supported (dtype '" + descr +
                  "'); convert with arr.astype(arr.dtype.newbyteorder('<'))");
    if (order != '<' && order != '|' && order != '=')
      return fail("unsupported dtype '" + descr + "'");
    unsigned size = 0;
    for (size_t i = 2; i < descr.size(); ++i) {
      if (descr[i] < '0' || descr[i] > '9' || size > 16)
        return fail("unsupported dtype '" + descr + "'");
      size = size * 10 + (descr[i] - '0');
    }
    if (size == 0 || size > 16)
      return fail("unsupported dtype '" + descr + "'");
    array.kind = descr[1];
    array.itemSize = size;
    return true;
  }
};
} // namespace

bool mirage::runtime::parseNpy(const std::string &contents, NpyArray &array,
                               std::string &error) {
  if (contents.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    error = "not a .npy file (bad magic string)";
    return false;
  }
  if (contents.size() < 10) {
    error = "truncated .npy header";
    return false;
  }
  unsigned major = static_cast<uint8_t>(contents[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<uint8_t>(contents[8]) |
                   static_cast<uint8_t>(contents[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (contents.size() < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength = headerLength << 8 | static_cast<uint8_t>(contents[8 + i]);
    headerStart = 12;
  } else {
    error = "unsupported .npy format version " + std::to_string(major) + "." +
            std::to_string(static_cast<uint8_t>(contents[7]));
    return false;
  }
  if (contents.size() < headerStart + headerLength) {
    error = "truncated .npy header";
    return false;
  }

  array = NpyArray();
  std::string header = contents.substr(headerStart, headerLength);
  HeaderParser parser(header, error);
  if (!parser.parse(array))
    return false;

  uint64_t expected = array.itemSize;
  for (int64_t dim : array.shape) {
    if (dim != 0 && expected > UINT64_MAX / uint64_t(dim)) {
      error = "the shape is too large";
      return false;
    }
    expected *= uint64_t(dim);
  }
  size_t dataSize = contents.size() - headerStart - headerLength;
  if (dataSize != expected) {
    std::string shape;
    for (int64_t dim : array.shape)
      shape += (shape.empty() ? "" : ", ") + std::to_string(dim);
    error = "data section holds " + std::to_string(dataSize) +
            " bytes but shape (" + shape + ") of " + array.dtypeName() +
            " needs " + std::to_string(expected);
    return false;
  }
  array.data.assign(contents.begin() + headerStart + headerLength,
                    contents.end());
  return true;
}

std::string mirage::runtime::serializeNpy(const NpyArray &array) {
  std::string shape;
  for (int64_t dim : array.shape)
    shape += std::to_string(dim) + ", ";
  // A 1-d tuple keeps its trailing comma, as Python writes it: (5,).
  if (array.shape.size() > 1)
    shape.resize(shape.size() - 2);
  else if (array.shape.size() == 1)
    shape.pop_back();
  std::string order = array.itemSize == 1 ? "|" : "<";
  std::string header = "{'descr': '" + order + array.kind +
                       std::to_string(array.itemSize) +
                       "', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Pad with spaces and a final newline so that the data is 64-byte aligned.
  bool version2 = header.size() + 1 + 10 > 65535;
  size_t prefix = version2 ? 12 : 10;
  size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header.push_back('\n');

  std::string out(kMagic, kMagicSize);
  out.push_back(static_cast<char>(version2 ? 2 : 1));
  out.push_back(0);
  for (size_t i = 0; i < (version2 ? 4u : 2u); ++i)
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  out += header;
  out.append(reinterpret_cast<const char *>(array.data.data()),
             array.data.size());
  return out;
}

static bool readWholeFile(const std::string &path, std::string &contents,
                          std::string &error) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file) {
    error = "cannot read '" + path + "': " + std::strerror(errno);
    return false;
  }
  contents.clear();
  char chunk[65536];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    contents.append(chunk, got);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    error = "cannot read '" + path + "': read error";
  return !failed;
}

bool mirage::runtime::loadNpy(const std::string &path, HostTensor &tensor,
                              std::string &error) {
  std::string contents;
  if (!readWholeFile(path, contents, error))
    return false;
  NpyArray array;
  if (!parseNpy(contents, array, error)) {
    error = "'" + path + "': " + error;
    return false;
  }
  if (array.shape != tensor.desc.shape) {
    std::string shape;
    for (int64_t dim : array.shape)
      shape += (shape.empty() ? "" : ", ") + std::to_string(dim);
    error = "'" + path + "' holds an array of shape (" + shape +
            ") but the input is " + tensor.desc.str();
    return false;
  }
  if (array.kind != 'f' ||
      (array.itemSize != 2 && array.itemSize != 4 && array.itemSize != 8)) {
    error = "'" + path + "' holds " + array.dtypeName() +
            " data; expected float16, float32 or float64";
    return false;
  }
  tensor.data.assign(static_cast<size_t>(tensor.desc.sizeInBytes), 0);
  const uint8_t *bytes = array.data.data();
  for (int64_t i = 0, e = tensor.desc.numElements; i < e; ++i) {
    float value;
    if (array.itemSize == 2) {
      uint16_t bits;
      std::memcpy(&bits, bytes + 2 * i, 2);
      value = halfBitsToFloat(bits);
    } else if (array.itemSize == 4) {
      std::memcpy(&value, bytes + 4 * i, 4);
    } else {
      double wide;
      std::memcpy(&wide, bytes + 8 * i, 8);
      value = static_cast<float>(wide);
    }
    tensor.set(i, value);
  }
  return true;
}

bool mirage::runtime::saveNpy(const std::string &path, const HostTensor &tensor,
                              std::string &error) {
  NpyArray array;
  array.kind = 'f';
  array.shape = tensor.desc.shape;
  int64_t n = tensor.desc.numElements;
  if (tensor.desc.dtype == MIRAGE_RT_BF16) {
    array.itemSize = 4;
    array.data.resize(4 * n);
    for (int64_t i = 0; i < n; ++i) {
      float value = tensor.get(i);
      std::memcpy(array.data.data() + 4 * i, &value, 4);
    }
  } else {
    array.itemSize = tensor.desc.dtype == MIRAGE_RT_F16 ? 2 : 4;
    array.data = tensor.data;
  }
  std::string contents = serializeNpy(array);
  FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok =
      std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  ok = (std::fclose(file) == 0) && ok;
  if (!ok)
    error = "cannot write '" + path + "': " + std::strerror(errno);
  return ok;
}
