//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Format (numpy/lib/format.py): the magic "\x93NUMPY", a major and minor
// version byte, the header length (little-endian uint16 for version 1, uint32
// for 2 and 3), then an ASCII (UTF-8 for 3) Python dict literal with keys
// 'descr', 'fortran_order' and 'shape', padded so that the data starts at a
// multiple of 64 bytes, then the data.
//
//===----------------------------------------------------------------------===//

#include "mirage-support/Npy.h"
#include "mirage-support/FileIO.h"

#include "Mirage/Support/HalfFloat.h"

#include <cstring>
#include <limits>

using namespace mirage::support;

static constexpr std::string_view kMagic("\x93NUMPY", 6);

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

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

std::string NpyArray::shapeString() const {
  std::string out;
  for (int64_t d : shape)
    out += (out.empty() ? "" : ", ") + std::to_string(d);
  return out;
}

namespace {
/// A recursive-descent reader for the small subset of Python literal syntax
/// that .npy headers use: a dict of string keys to strings, booleans and
/// tuples of integers.
class HeaderParser {
public:
  HeaderParser(std::string_view text, std::string &error)
      : rest(text), error(error) {}

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
  std::string_view rest;
  std::string &error;

  bool fail(const std::string &message) {
    error = message;
    return false;
  }
  void skipSpace() {
    size_t blanks = rest.find_first_not_of(" \t\r\n");
    rest.remove_prefix(blanks == std::string_view::npos ? rest.size() : blanks);
  }
  bool peek(char c) {
    skipSpace();
    return !rest.empty() && rest.front() == c;
  }
  bool consume(char c) {
    if (!peek(c))
      return false;
    rest.remove_prefix(1);
    return true;
  }
  bool consumeWord(std::string_view word) {
    if (rest.substr(0, word.size()) != word)
      return false;
    rest.remove_prefix(word.size());
    return true;
  }
  bool parseString(std::string &out) {
    skipSpace();
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
      return false;
    size_t end = rest.find(rest.front(), 1);
    if (end == std::string_view::npos)
      return false;
    out = std::string(rest.substr(1, end - 1));
    rest.remove_prefix(end + 1);
    return true;
  }
  bool parseBool(bool &out) {
    skipSpace();
    if (consumeWord("True"))
      return out = true, true;
    if (consumeWord("False"))
      return out = false, true;
    return false;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return false;
    while (!consume(')')) {
      skipSpace();
      size_t digits = 0;
      int64_t dim = 0;
      for (; digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9';
           ++digits) {
        if (dim > (std::numeric_limits<int64_t>::max() - 9) / 10)
          return false;
        dim = dim * 10 + (rest[digits] - '0');
      }
      if (digits == 0)
        return false;
      shape.push_back(dim);
      rest.remove_prefix(digits);
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

/// Parses everything before the data: fills `array` but its data, sets
/// `dataOffset` and `dataSize` (the bytes the shape requires, which fits an
/// int64).
static bool parsePreamble(std::string_view contents, NpyArray &array,
                          size_t &dataOffset, uint64_t &dataSize,
                          std::string &error) {
  if (contents.substr(0, kMagic.size()) != kMagic) {
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
  if (contents.size() - headerStart < headerLength) {
    error = "truncated .npy header";
    return false;
  }

  array = NpyArray();
  HeaderParser parser(contents.substr(headerStart, headerLength), error);
  if (!parser.parse(array))
    return false;

  // Overflow-checked, so that numElements() and the byte count both fit.
  uint64_t bytes = array.itemSize;
  const uint64_t limit = std::numeric_limits<int64_t>::max();
  for (int64_t dim : array.shape) {
    if (dim != 0 && bytes > limit / static_cast<uint64_t>(dim)) {
      error = "shape (" + array.shapeString() + ") of " + array.dtypeName() +
              " is too large: its size in bytes overflows 64 bits";
      return false;
    }
    bytes *= static_cast<uint64_t>(dim);
  }
  dataOffset = headerStart + headerLength;
  dataSize = bytes;
  return true;
}

static bool checkDataSize(size_t actual, uint64_t expected,
                          const NpyArray &array, std::string &error) {
  if (actual < expected) {
    error = "data section holds " + std::to_string(actual) +
            " bytes but shape (" + array.shapeString() + ") of " +
            array.dtypeName() + " needs " + std::to_string(expected);
    return false;
  }
  if (actual > expected) {
    error = "data section holds " + std::to_string(actual) +
            " bytes, more than the " + std::to_string(expected) +
            " its header describes";
    return false;
  }
  return true;
}

bool mirage::support::parseNpy(std::string_view contents, NpyArray &array,
                               std::string &error) {
  size_t offset;
  uint64_t size;
  if (!parsePreamble(contents, array, offset, size, error) ||
      !checkDataSize(contents.size() - offset, size, array, error))
    return false;
  std::string_view data = contents.substr(offset);
  array.data.assign(data.begin(), data.end());
  return true;
}

bool mirage::support::readNpy(const std::string &path, NpyArray &array,
                              std::string &error) {
  std::vector<uint8_t> contents;
  if (!readFile(path, contents, error))
    return false;
  size_t offset;
  uint64_t size;
  std::string_view view(reinterpret_cast<const char *>(contents.data()),
                        contents.size());
  if (!parsePreamble(view, array, offset, size, error) ||
      !checkDataSize(contents.size() - offset, size, array, error)) {
    error = "'" + path + "': " + error;
    return false;
  }
  // The data in place, without a second copy of a possibly large file.
  contents.erase(contents.begin(), contents.begin() + offset);
  array.data = std::move(contents);
  return true;
}

std::string mirage::support::npyHeader(const NpyArray &array) {
  std::string shape = array.shapeString();
  // A 1-d tuple keeps its trailing comma, as Python writes it: (5,).
  if (array.shape.size() == 1)
    shape.push_back(',');
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

  std::string out(kMagic);
  out.push_back(static_cast<char>(version2 ? 2 : 1));
  out.push_back(0);
  for (size_t i = 0; i < (version2 ? 4u : 2u); ++i)
    out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  out += header;
  return out;
}

std::string mirage::support::serializeNpy(const NpyArray &array) {
  std::string out = npyHeader(array);
  out.append(reinterpret_cast<const char *>(array.data.data()),
             array.data.size());
  return out;
}

bool mirage::support::writeNpy(const std::string &path, const NpyArray &array,
                               std::string &error) {
  std::string header = npyHeader(array);
  return writeFileAtomically(
      path,
      {header,
       std::string_view(reinterpret_cast<const char *>(array.data.data()),
                        array.data.size())},
      error);
}

bool mirage::support::npyElementsToFloat(const NpyArray &array, float *out) {
  if (array.kind != 'f' ||
      (array.itemSize != 2 && array.itemSize != 4 && array.itemSize != 8))
    return false;
  const uint8_t *bytes = array.data.data();
  for (int64_t i = 0, e = array.numElements(); i < e; ++i) {
    if (array.itemSize == 2) {
      uint16_t bits;
      std::memcpy(&bits, bytes + 2 * i, 2);
      out[i] = mlir::mirage::halfBitsToFloat(bits);
    } else if (array.itemSize == 4) {
      std::memcpy(&out[i], bytes + 4 * i, 4);
    } else {
      double wide;
      std::memcpy(&wide, bytes + 8 * i, 8);
      out[i] = static_cast<float>(wide);
    }
  }
  return true;
}
