//===- Npy.cpp - NumPy .npy files -------------------------------*- C++ -*-===//
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

#include "Mirage/Support/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::mirage;
using llvm::Expected;
using llvm::StringRef;

static constexpr StringRef kMagic("\x93NUMPY", 6);

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

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

namespace {
/// A recursive-descent reader for the small subset of Python literal syntax
/// that .npy headers use: a dict of string keys to strings, booleans and
/// tuples of integers.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : rest(text) {}

  llvm::Error parse(NpyArray &array) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    if (!consume('{'))
      return makeError("header is not a Python dict");
    while (!consume('}')) {
      std::string key;
      if (!parseString(key))
        return makeError("expected a quoted key in the header");
      if (!consume(':'))
        return makeError("expected ':' after key '" + key + "'");
      if (key == "descr") {
        std::string descr;
        if (!parseString(descr))
          return makeError("structured dtypes are not supported (descr is "
                           "not a plain type string)");
        if (llvm::Error err = parseDescr(descr, array))
          return err;
        haveDescr = true;
      } else if (key == "fortran_order") {
        bool fortran;
        if (!parseBool(fortran))
          return makeError("fortran_order must be True or False");
        if (fortran)
          return makeError("Fortran-order arrays are not supported; save a "
                           "C-order array (numpy.ascontiguousarray)");
        haveOrder = true;
      } else if (key == "shape") {
        if (!parseShape(array.shape))
          return makeError("shape must be a tuple of non-negative integers");
        haveShape = true;
      } else {
        return makeError("unexpected key '" + key + "' in the header");
      }
      if (!consume(',') && !peek('}'))
        return makeError("expected ',' or '}' in the header");
    }
    if (!haveDescr || !haveOrder || !haveShape)
      return makeError("header lacks one of 'descr', 'fortran_order', 'shape'");
    return llvm::Error::success();
  }

private:
  void skipSpace() { rest = rest.ltrim(" \t\n\r"); }
  bool peek(char c) {
    skipSpace();
    return !rest.empty() && rest.front() == c;
  }
  bool consume(char c) {
    if (!peek(c))
      return false;
    rest = rest.drop_front();
    return true;
  }
  bool parseString(std::string &out) {
    skipSpace();
    if (rest.empty() || (rest.front() != '\'' && rest.front() != '"'))
      return false;
    char quote = rest.front();
    size_t end = rest.find(quote, 1);
    if (end == StringRef::npos)
      return false;
    out = rest.slice(1, end).str();
    rest = rest.drop_front(end + 1);
    return true;
  }
  bool parseBool(bool &out) {
    skipSpace();
    if (rest.consume_front("True"))
      return out = true, true;
    if (rest.consume_front("False"))
      return out = false, true;
    return false;
  }
  bool parseShape(llvm::SmallVectorImpl<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return false;
    while (!consume(')')) {
      skipSpace();
      size_t digits = rest.find_first_not_of("0123456789");
      if (digits == 0 || digits == StringRef::npos)
        return false;
      int64_t dim;
      if (rest.take_front(digits).getAsInteger(10, dim) || dim < 0)
        return false;
      shape.push_back(dim);
      rest = rest.drop_front(digits);
      if (!consume(',') && !peek(')'))
        return false;
    }
    return true;
  }
  static llvm::Error parseDescr(StringRef descr, NpyArray &array) {
    if (descr.size() < 3)
      return makeError("unsupported dtype '" + descr + "'");
    char order = descr[0];
    if (order == '>')
      return makeError("big-endian arrays are not supported (dtype '" + descr +
                       "'); convert with arr.astype(arr.dtype.newbyteorder("
                       "'<'))");
    if (order != '<' && order != '|' && order != '=')
      return makeError("unsupported dtype '" + descr + "'");
    unsigned size;
    if (descr.drop_front(2).getAsInteger(10, size) || size == 0 || size > 16)
      return makeError("unsupported dtype '" + descr + "'");
    array.kind = descr[1];
    array.itemSize = size;
    return llvm::Error::success();
  }

  StringRef rest;
};
} // namespace

Expected<NpyArray> mlir::mirage::parseNpy(StringRef contents) {
  if (!contents.starts_with(kMagic))
    return makeError("not a .npy file (bad magic string)");
  if (contents.size() < 10)
    return makeError("truncated .npy header");
  unsigned major = static_cast<uint8_t>(contents[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = static_cast<uint8_t>(contents[8]) |
                   static_cast<uint8_t>(contents[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (contents.size() < 12)
      return makeError("truncated .npy header");
    headerLength = 0;
    for (int i = 3; i >= 0; --i)
      headerLength = headerLength << 8 | static_cast<uint8_t>(contents[8 + i]);
    headerStart = 12;
  } else {
    return makeError(llvm::formatv(
        "unsupported .npy format version {0}.{1}", major,
        static_cast<unsigned>(static_cast<uint8_t>(contents[7]))));
  }
  if (contents.size() < headerStart + headerLength)
    return makeError("truncated .npy header");

  NpyArray array;
  HeaderParser parser(contents.substr(headerStart, headerLength));
  if (llvm::Error err = parser.parse(array))
    return std::move(err);

  StringRef data = contents.drop_front(headerStart + headerLength);
  uint64_t expected = static_cast<uint64_t>(array.numElements()) *
                      static_cast<uint64_t>(array.itemSize);
  if (data.size() < expected)
    return makeError(llvm::formatv(
        "data section holds {0} bytes but shape ({1}) of {2} needs {3}",
        data.size(),
        llvm::join(llvm::map_range(array.shape,
                                   [](int64_t d) { return std::to_string(d); }),
                   ", "),
        array.dtypeName(), expected));
  if (data.size() > expected)
    return makeError(llvm::formatv(
        "data section holds {0} bytes, more than the {1} its header describes",
        data.size(), expected));
  array.data.assign(data.bytes_begin(), data.bytes_end());
  return array;
}

Expected<NpyArray> mlir::mirage::readNpy(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("cannot read '" + path +
                     "': " + buffer.getError().message());
  Expected<NpyArray> array = parseNpy((*buffer)->getBuffer());
  if (!array)
    return makeError("'" + path + "': " + llvm::toString(array.takeError()));
  return array;
}

/// The magic string, version, header length and header of a .npy file.
static std::string npyPreamble(const NpyArray &array) {
  std::string shape;
  for (int64_t d : array.shape)
    shape += std::to_string(d) + ", ";
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

  std::string out = kMagic.str();
  out.push_back(static_cast<char>(version2 ? 2 : 1));
  out.push_back(0);
  size_t length = header.size();
  for (size_t i = 0; i < (version2 ? 4u : 2u); ++i)
    out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  out += header;
  return out;
}

std::string mlir::mirage::serializeNpy(const NpyArray &array) {
  std::string out = npyPreamble(array);
  out.append(reinterpret_cast<const char *>(array.data.data()),
             array.data.size());
  return out;
}

llvm::Error mlir::mirage::writeNpy(StringRef path, const NpyArray &array) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  os << npyPreamble(array);
  os.write(reinterpret_cast<const char *>(array.data.data()),
           array.data.size());
  os.close();
  if (os.has_error())
    return makeError("cannot write '" + path + "': " + os.error().message());
  return llvm::Error::success();
}
