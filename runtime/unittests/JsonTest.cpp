//===- JsonTest.cpp - The runtime's JSON reader ---------------------------===//
//
// Part of the Mirage for MLIR project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Json.h"

#include "gtest/gtest.h"

using namespace mirage::runtime::detail;

namespace {

JsonValue parseOk(const std::string &text) {
  JsonValue value;
  std::string error;
  EXPECT_TRUE(parseJson(text, value, error)) << error;
  return value;
}

std::string parseError(const std::string &text) {
  JsonValue value;
  std::string error;
  EXPECT_FALSE(parseJson(text, value, error)) << "parsed: " << text;
  return error;
}

TEST(JsonTest, ObjectsAndArraysKeepOrderAndPositions) {
  JsonValue value = parseOk("{\n  \"b\": [1, 2],\n  \"a\": {\"c\": null}\n}");
  ASSERT_EQ(value.kind, JsonValue::Kind::Object);
  ASSERT_EQ(value.members.size(), 2u);
  EXPECT_EQ(value.members[0].key, "b");
  EXPECT_EQ(value.members[1].key, "a");
  const JsonValue *b = value.find("b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->kind, JsonValue::Kind::Array);
  EXPECT_EQ(b->line, 2);
  EXPECT_EQ(b->column, 8);
  ASSERT_EQ(b->elements.size(), 2u);
  EXPECT_EQ(b->elements[1].integer, 2);
  EXPECT_EQ(b->elements[1].column, 12);
  const JsonValue *a = value.find("a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->find("c")->kind, JsonValue::Kind::Null);
  EXPECT_EQ(value.find("missing"), nullptr);
  EXPECT_TRUE(parseOk("{}").members.empty());
  EXPECT_TRUE(parseOk(" [ ] ").elements.empty());
}

TEST(JsonTest, Literals) {
  EXPECT_EQ(parseOk("true").kind, JsonValue::Kind::Bool);
  EXPECT_TRUE(parseOk("true").boolean);
  EXPECT_FALSE(parseOk("false").boolean);
  EXPECT_EQ(parseOk("null").kind, JsonValue::Kind::Null);
}

TEST(JsonTest, Numbers) {
  JsonValue value = parseOk("[0, -7, 132096, 9223372036854775807, "
                            "-9223372036854775808, 1.5, -2e3, 1E-2, "
                            "9223372036854775808]");
  const std::vector<JsonValue> &e = value.elements;
  ASSERT_EQ(e.size(), 9u);
  EXPECT_TRUE(e[0].isInteger);
  EXPECT_EQ(e[0].integer, 0);
  EXPECT_EQ(e[1].integer, -7);
  EXPECT_EQ(e[2].integer, 132096);
  EXPECT_EQ(e[3].integer, INT64_MAX);
  EXPECT_EQ(e[4].integer, INT64_MIN);
  EXPECT_FALSE(e[5].isInteger);
  EXPECT_DOUBLE_EQ(e[5].number, 1.5);
  EXPECT_FALSE(e[6].isInteger);
  EXPECT_DOUBLE_EQ(e[6].number, -2000);
  EXPECT_DOUBLE_EQ(e[7].number, 0.01);
  // Out of int64's range: a number, but not an integer.
  EXPECT_FALSE(e[8].isInteger);
  EXPECT_DOUBLE_EQ(e[8].number, 9223372036854775808.0);
}

TEST(JsonTest, StringEscapes) {
  JsonValue value = parseOk(R"(["a\"b\\c\/d", "\b\f\n\r\t", "\u00e9\u4e2d",
                                "\ud83d\ude00", "plain é"])");
  const std::vector<JsonValue> &e = value.elements;
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[0].string, "a\"b\\c/d");
  EXPECT_EQ(e[1].string, "\b\f\n\r\t");
  EXPECT_EQ(e[2].string, "\xc3\xa9\xe4\xb8\xad");
  EXPECT_EQ(e[3].string, "\xf0\x9f\x98\x80"); // U+1F600 from a surrogate pair
  EXPECT_EQ(e[4].string, "plain \xc3\xa9");
}

TEST(JsonTest, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(parseError(""), "1:1: expected a value, found end of input");
  EXPECT_EQ(parseError("{\"a\": 1,}"), "1:9: expected a string key, found '}'");
  EXPECT_EQ(parseError("[1, 2,]"), "1:7: expected a value, found ']'");
  EXPECT_EQ(parseError("{\n  \"a\": 1\n  \"b\": 2\n}"),
            "3:3: expected ',' or '}' after the value of \"a\", found '\"'");
  EXPECT_EQ(parseError("[1 2]"),
            "1:4: expected ',' or ']' after an array element, found '2'");
  EXPECT_EQ(parseError("{\"a\" 1}"),
            "1:6: expected ':' after the key \"a\", found '1'");
  EXPECT_EQ(parseError("{\"a\": 1,\n \"a\": 2}"),
            "2:2: duplicate key \"a\" (first at line 1)");
  EXPECT_EQ(parseError("\"abc"),
            "1:5: unterminated string (it starts at line 1, column 1)");
  EXPECT_EQ(parseError("\"a\nb\""),
            "1:3: control character 0x0a in a string (a string that is not "
            "terminated, or a character to escape)");
  EXPECT_EQ(parseError("\"\\x\""),
            "1:3: invalid escape sequence '\\x' in a string");
  EXPECT_EQ(parseError("\"\\u12G4\""),
            "1:6: expected 4 hex digits after \\u, found 'G'");
  EXPECT_EQ(parseError("\"\\ud83d\""),
            "1:8: unpaired high surrogate in a \\u escape");
  EXPECT_EQ(parseError("\"\\ude00\""),
            "1:8: unpaired low surrogate in a \\u escape");
  EXPECT_EQ(parseError("01"),
            "1:1: leading zeros are not allowed in JSON numbers");
  EXPECT_EQ(parseError("-"), "1:2: expected a digit, found end of input");
  EXPECT_EQ(parseError("1."), "1:3: expected a digit, found end of input");
  EXPECT_EQ(parseError("+1"), "1:1: expected a value, found '+'");
  EXPECT_EQ(parseError("True"), "1:1: expected a value, found 'T'");
  EXPECT_EQ(parseError("nul"), "1:1: expected a value, found 'n' (JSON "
                               "literals are true, false and null)");
  EXPECT_EQ(parseError("{} x"), "1:4: unexpected 'x' after the JSON value");
  EXPECT_EQ(parseError("[\x01]"), "1:2: expected a value, found byte 0x01");
}

TEST(JsonTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  EXPECT_EQ(parseError(deep), "1:258: values nested deeper than 256 levels");
  std::string ok = std::string(200, '[') + std::string(200, ']');
  parseOk(ok);
}

TEST(JsonTest, Describe) {
  JsonValue value = parseOk(R"([null, true, 3, 2.5, "s", [], {}])");
  const char *expected[] = {"null",
                            "true",
                            "the number 3",
                            "the number 2.5",
                            "the string \"s\"",
                            "an array",
                            "an object"};
  for (size_t i = 0; i < value.elements.size(); ++i)
    EXPECT_EQ(value.elements[i].describe(), expected[i]);
}

} // namespace
