//===- Json.cpp - A small JSON reader -------------------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include <cstdio>
#include <locale>
#include <sstream>

using namespace mirage::runtime::detail;

const JsonValue *JsonValue::find(std::string_view key) const {
  for (const JsonMember &member : members)
    if (member.key == key)
      return &member.value;
  return nullptr;
}

std::string JsonValue::describe() const {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return boolean ? "true" : "false";
  case Kind::Number: {
    if (isInteger)
      return "the number " + std::to_string(integer);
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%g", number);
    return std::string("the number ") + buffer;
  }
  case Kind::String:
    return "the string \"" + string + "\"";
  case Kind::Array:
    return "an array";
  case Kind::Object:
    return "an object";
  }
  return "a value";
}

namespace {
/// Recursive descent over the RFC 8259 grammar, tracking line and column.
class Parser {
public:
  explicit Parser(std::string_view text) : text(text) {}

  bool parseDocument(JsonValue &result) {
    skipSpace();
    if (!parseValue(result, 0))
      return false;
    skipSpace();
    if (pos != text.size())
      return fail("unexpected " + describeHere() + " after the JSON value");
    return true;
  }

  std::string error;

private:
  // Deep enough for any manifest, shallow enough that recursion cannot
  // overflow the stack on hostile input.
  static constexpr int kMaxDepth = 256;

  std::string_view text;
  size_t pos = 0;
  int line = 1;
  size_t lineStart = 0;

  int column() const { return static_cast<int>(pos - lineStart) + 1; }
  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return text[pos]; }

  bool fail(const std::string &message) {
    error =
        std::to_string(line) + ":" + std::to_string(column()) + ": " + message;
    return false;
  }

  void advance() {
    if (text[pos] == '\n') {
      ++line;
      lineStart = pos + 1;
    }
    ++pos;
  }

  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' ||
                        peek() == '\r'))
      advance();
  }

  /// What is at the current position, for "found ..." in messages.
  std::string describeHere() const {
    if (atEnd())
      return "end of input";
    unsigned char c = static_cast<unsigned char>(peek());
    if (c >= 0x20 && c < 0x7f)
      return std::string("'") + static_cast<char>(c) + "'";
    char buffer[16];
    std::snprintf(buffer, sizeof(buffer), "byte 0x%02x", c);
    return buffer;
  }

  bool parseValue(JsonValue &value, int depth) {
    if (depth > kMaxDepth)
      return fail("values nested deeper than 256 levels");
    value.line = line;
    value.column = column();
    if (atEnd())
      return fail("expected a value, found end of input");
    switch (peek()) {
    case '{':
      return parseObject(value, depth);
    case '[':
      return parseArray(value, depth);
    case '"':
      value.kind = JsonValue::Kind::String;
      return parseString(value.string);
    case 't':
      value.kind = JsonValue::Kind::Bool;
      value.boolean = true;
      return parseLiteral("true");
    case 'f':
      value.kind = JsonValue::Kind::Bool;
      value.boolean = false;
      return parseLiteral("false");
    case 'n':
      value.kind = JsonValue::Kind::Null;
      return parseLiteral("null");
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        return parseNumber(value);
      return fail("expected a value, found " + describeHere());
    }
  }

  bool parseLiteral(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return fail("expected a value, found " + describeHere() +
                  " (JSON literals are true, false and null)");
    for (size_t i = 0; i < word.size(); ++i)
      advance();
    return true;
  }

  bool parseObject(JsonValue &value, int depth) {
    value.kind = JsonValue::Kind::Object;
    advance(); // '{'
    skipSpace();
    if (!atEnd() && peek() == '}') {
      advance();
      return true;
    }
    while (true) {
      skipSpace();
      if (atEnd() || peek() != '"')
        return fail("expected a string key, found " + describeHere());
      int keyLine = line, keyColumn = column();
      JsonMember member;
      if (!parseString(member.key))
        return false;
      for (const JsonMember &other : value.members)
        if (other.key == member.key) {
          line = keyLine; // Point at the duplicate, not past it.
          pos = lineStart + keyColumn - 1;
          return fail("duplicate key \"" + member.key + "\" (first at line " +
                      std::to_string(other.value.line) + ")");
        }
      skipSpace();
      if (atEnd() || peek() != ':')
        return fail("expected ':' after the key \"" + member.key +
                    "\", found " + describeHere());
      advance();
      skipSpace();
      if (!parseValue(member.value, depth + 1))
        return false;
      value.members.push_back(std::move(member));
      skipSpace();
      if (!atEnd() && peek() == ',') {
        advance();
        continue;
      }
      if (!atEnd() && peek() == '}') {
        advance();
        return true;
      }
      return fail("expected ',' or '}' after the value of \"" +
                  value.members.back().key + "\", found " + describeHere());
    }
  }

  bool parseArray(JsonValue &value, int depth) {
    value.kind = JsonValue::Kind::Array;
    advance(); // '['
    skipSpace();
    if (!atEnd() && peek() == ']') {
      advance();
      return true;
    }
    while (true) {
      skipSpace();
      JsonValue element;
      if (!parseValue(element, depth + 1))
        return false;
      value.elements.push_back(std::move(element));
      skipSpace();
      if (!atEnd() && peek() == ',') {
        advance();
        continue;
      }
      if (!atEnd() && peek() == ']') {
        advance();
        return true;
      }
      return fail("expected ',' or ']' after an array element, found " +
                  describeHere());
    }
  }

  bool parseHex4(unsigned &code) {
    code = 0;
    for (int i = 0; i < 4; ++i) {
      if (atEnd())
        return fail("expected 4 hex digits after \\u, found end of input");
      char c = peek();
      unsigned digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return fail("expected 4 hex digits after \\u, found " + describeHere());
      code = code * 16 + digit;
      advance();
    }
    return true;
  }

  static void appendUtf8(std::string &out, unsigned code) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3f)));
    }
  }

  bool parseString(std::string &out) {
    int startLine = line, startColumn = column();
    advance(); // '"'
    while (true) {
      if (atEnd())
        return fail("unterminated string (it starts at line " +
                    std::to_string(startLine) + ", column " +
                    std::to_string(startColumn) + ")");
      unsigned char c = static_cast<unsigned char>(peek());
      if (c == '"') {
        advance();
        return true;
      }
      if (c < 0x20) {
        char buffer[96];
        std::snprintf(buffer, sizeof(buffer),
                      "control character 0x%02x in a string (a string that "
                      "is not terminated, or a character to escape)",
                      c);
        return fail(buffer);
      }
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        advance();
        continue;
      }
      advance(); // '\\'
      if (atEnd())
        return fail("unterminated escape sequence");
      char escape = peek();
      switch (escape) {
      case '"':
      case '\\':
      case '/':
        out.push_back(escape);
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        advance();
        unsigned code;
        if (!parseHex4(code))
          return false;
        if (code >= 0xdc00 && code <= 0xdfff)
          return fail("unpaired low surrogate in a \\u escape");
        if (code >= 0xd800 && code <= 0xdbff) {
          // A high surrogate must be followed by an escaped low surrogate.
          if (text.substr(pos, 2) != "\\u")
            return fail("unpaired high surrogate in a \\u escape");
          advance();
          advance();
          unsigned low;
          if (!parseHex4(low))
            return false;
          if (low < 0xdc00 || low > 0xdfff)
            return fail("unpaired high surrogate in a \\u escape");
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        }
        appendUtf8(out, code);
        continue; // parseHex4 already advanced past the digits.
      }
      default:
        if (escape > 0x20 && escape < 0x7f)
          return fail(std::string("invalid escape sequence '\\") + escape +
                      "' in a string");
        return fail("invalid escape sequence: a backslash before " +
                    describeHere());
      }
      advance();
    }
  }

  bool parseDigits() {
    if (atEnd() || peek() < '0' || peek() > '9')
      return fail("expected a digit, found " + describeHere());
    while (!atEnd() && peek() >= '0' && peek() <= '9')
      advance();
    return true;
  }

  bool parseNumber(JsonValue &value) {
    value.kind = JsonValue::Kind::Number;
    size_t start = pos;
    bool integral = true;
    if (peek() == '-')
      advance();
    if (!atEnd() && peek() == '0' && pos + 1 < text.size() &&
        text[pos + 1] >= '0' && text[pos + 1] <= '9')
      return fail("leading zeros are not allowed in JSON numbers");
    if (!parseDigits())
      return false;
    if (!atEnd() && peek() == '.') {
      integral = false;
      advance();
      if (!parseDigits())
        return false;
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      advance();
      if (!atEnd() && (peek() == '+' || peek() == '-'))
        advance();
      if (!parseDigits())
        return false;
    }
    std::string lexeme(text.substr(start, pos - start));
    // The classic locale: the host program (Python, say) may have set one
    // whose decimal point is ','.
    std::istringstream stream(lexeme);
    stream.imbue(std::locale::classic());
    stream >> value.number;
    if (integral) {
      bool negative = lexeme[0] == '-';
      uint64_t magnitude = 0;
      bool overflow = false;
      for (size_t i = negative ? 1 : 0; i < lexeme.size(); ++i) {
        unsigned digit = lexeme[i] - '0';
        if (magnitude > (UINT64_MAX - digit) / 10) {
          overflow = true;
          break;
        }
        magnitude = magnitude * 10 + digit;
      }
      uint64_t limit = negative ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
      if (!overflow && magnitude <= limit) {
        value.isInteger = true;
        value.integer = negative ? static_cast<int64_t>(0 - magnitude)
                                 : static_cast<int64_t>(magnitude);
      }
    }
    return true;
  }
};
} // namespace

bool mirage::runtime::detail::parseJson(std::string_view text,
                                        JsonValue &result, std::string &error) {
  Parser parser(text);
  result = JsonValue();
  if (!parser.parseDocument(result)) {
    error = parser.error;
    return false;
  }
  return true;
}
