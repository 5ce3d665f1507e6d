//===- Json.h - A small JSON reader -----------------------------*- C++ -*-===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A reader for RFC 8259 JSON, enough for kernel-package manifests and free of
// dependencies (the runtime must build on a GPU host with nothing but CUDA
// and a compiler). Every value remembers where it starts, so that the
// manifest reader can point at the offending line.
//
//===----------------------------------------------------------------------===//

#ifndef MIRAGE_RUNTIME_LIB_JSON_H
#define MIRAGE_RUNTIME_LIB_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mirage {
namespace runtime {
namespace detail {

struct JsonMember;

/// A parsed JSON value with its source position (1-based line and column of
/// its first character).
struct JsonValue {
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Null;
  int line = 0, column = 0;

  bool boolean = false;
  /// Every number, as a double.
  double number = 0;
  /// For a number written without fraction or exponent that fits in int64:
  /// true, and its exact value in `integer`.
  bool isInteger = false;
  int64_t integer = 0;
  /// A string's contents, unescaped, UTF-8.
  std::string string;
  std::vector<JsonValue> elements;
  /// An object's members, in source order; keys are unique.
  std::vector<JsonMember> members;

  /// The member named `key` of an object, or nullptr.
  const JsonValue *find(std::string_view key) const;
  /// "an object", "a string", "the number 3", "true"...: what a value is, for
  /// error messages.
  std::string describe() const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

/// Parses `text` (one JSON value, optional surrounding whitespace). On error
/// returns false and sets `error` to "LINE:COLUMN: what was expected and what
/// was found". Rejects duplicate keys, unescaped control characters in
/// strings, invalid escapes and unpaired surrogates, numbers JSON does not
/// allow (leading zeros, '+', bare '.', NaN), and nesting deeper than 256.
bool parseJson(std::string_view text, JsonValue &result, std::string &error);

} // namespace detail
} // namespace runtime
} // namespace mirage

#endif // MIRAGE_RUNTIME_LIB_JSON_H
