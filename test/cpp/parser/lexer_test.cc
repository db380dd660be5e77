#include <gtest/gtest.h>

#include "shoal/parser/lexer.h"

namespace shoal::sql {
namespace {

std::vector<Token> LexOk(std::string_view sql) {
  auto r = Lex(sql);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<Token>{};
}

std::string LexError(std::string_view sql) {
  auto r = Lex(sql);
  return r.ok() ? "" : r.status().message();
}

TEST(LexerTest, WordsNumbersOperatorsWithOffsets) {
  auto toks = LexOk("SELECT a1, 12 + .5*1e3 FROM t");
  ASSERT_EQ(toks.size(), 11u);
  EXPECT_EQ(toks[0].type, TokenType::kWord);
  EXPECT_EQ(toks[0].text, "SELECT");
  EXPECT_EQ(toks[0].offset, 0);
  EXPECT_EQ(toks[1].text, "a1");
  EXPECT_EQ(toks[1].offset, 7);
  EXPECT_EQ(toks[2].text, ",");
  EXPECT_EQ(toks[3].type, TokenType::kInteger);
  EXPECT_EQ(toks[3].offset, 11);
  EXPECT_EQ(toks[5].type, TokenType::kDecimal);
  EXPECT_EQ(toks[5].text, ".5");
  EXPECT_EQ(toks[7].type, TokenType::kDecimal);
  EXPECT_EQ(toks[7].text, "1e3");
  EXPECT_EQ(toks[9].text, "t");
  EXPECT_EQ(toks[10].type, TokenType::kEnd);
  EXPECT_EQ(toks[10].offset, 29);
}

TEST(LexerTest, NumberForms) {
  for (std::string_view n : {"1.5", "1.", "1e10", "1E-3", "2.5e+7", ".25"}) {
    auto toks = LexOk(n);
    ASSERT_EQ(toks.size(), 2u) << n;
    EXPECT_EQ(toks[0].type, TokenType::kDecimal) << n;
    EXPECT_EQ(toks[0].text, n);
  }
  auto toks = LexOk("123456789012345678901234567890");
  EXPECT_EQ(toks[0].type, TokenType::kInteger);
}

TEST(LexerTest, MultiCharOperators) {
  auto toks = LexOk("a::int || b <> c != d >= e <= f");
  std::vector<std::string_view> ops;
  for (const auto& t : toks) {
    if (t.type == TokenType::kOperator) ops.push_back(t.text);
  }
  EXPECT_EQ(ops, (std::vector<std::string_view>{"::", "||", "<>", "!=", ">=", "<="}));
}

TEST(LexerTest, StringsAndEscapes) {
  auto toks = LexOk("'it''s' E'a\\nb\\'c' e'\\\\' ''");
  ASSERT_EQ(toks.size(), 5u);
  EXPECT_EQ(toks[0].type, TokenType::kString);
  EXPECT_EQ(toks[0].value, "it's");
  EXPECT_EQ(toks[0].text, "'it''s'");
  EXPECT_EQ(toks[1].value, "a\nb'c");
  EXPECT_EQ(toks[2].value, "\\");
  EXPECT_EQ(toks[3].value, "");
  // Without E, a backslash is an ordinary character.
  EXPECT_EQ(LexOk("'a\\n'")[0].value, "a\\n");
}

TEST(LexerTest, QuotedIdentifiers) {
  auto toks = LexOk("\"My \"\"Col\"\"\" `spark col`");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].type, TokenType::kQuotedIdentifier);
  EXPECT_EQ(toks[0].value, "My \"Col\"");
  EXPECT_EQ(toks[1].value, "spark col");
}

TEST(LexerTest, CommentsAreSkipped) {
  auto toks = LexOk("SELECT -- line comment\n 1 /* block /* nested */ still */ + 2");
  ASSERT_EQ(toks.size(), 5u);
  EXPECT_EQ(toks[1].text, "1");
  EXPECT_EQ(toks[2].text, "+");
  EXPECT_EQ(toks[3].text, "2");
  EXPECT_EQ(LexOk("-- only a comment").size(), 1u);
}

TEST(LexerTest, Parameters) {
  auto toks = LexOk("$1 + ? + $12");
  EXPECT_EQ(toks[0].type, TokenType::kParameter);
  EXPECT_EQ(toks[0].value, "1");
  EXPECT_EQ(toks[2].type, TokenType::kParameter);
  EXPECT_EQ(toks[2].value, "");
  EXPECT_EQ(toks[4].value, "12");
}

TEST(LexerTest, Utf8Identifiers) {
  auto toks = LexOk("SELECT größe, 'café' FROM données");
  EXPECT_EQ(toks[1].text, "größe");
  EXPECT_EQ(toks[3].value, "café");
  EXPECT_EQ(toks[5].text, "données");
}

TEST(LexerTest, Errors) {
  EXPECT_NE(LexError("SELECT 'abc").find("unterminated string literal"), std::string::npos);
  EXPECT_NE(LexError("SELECT \"abc").find("unterminated quoted identifier"), std::string::npos);
  EXPECT_NE(LexError("SELECT 1 /* never closed").find("unterminated /* comment"),
            std::string::npos);
  EXPECT_NE(LexError("SELECT 1e").find("invalid number '1e'"), std::string::npos);
  EXPECT_NE(LexError("SELECT 1e+x").find("invalid number"), std::string::npos);
  EXPECT_NE(LexError("SELECT 12abc").find("invalid number '12abc'"), std::string::npos);
  EXPECT_NE(LexError("SELECT #").find("unexpected character '#'"), std::string::npos);
  EXPECT_NE(LexError("SELECT \"\"").find("zero-length quoted identifier"), std::string::npos);
  EXPECT_NE(LexError(std::string_view("SELECT \0 1", 10)).find("NUL byte"), std::string::npos);
  EXPECT_NE(LexError("SELECT '\xff'").find("invalid UTF-8 byte 0xFF"), std::string::npos);
  EXPECT_NE(LexError("SELECT '\xc3'").find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(LexError("SELECT '\xed\xa0\x80'").find("invalid UTF-8"), std::string::npos);
}

TEST(LexerTest, ErrorMessagesHavePositionAndCaret) {
  std::string msg = LexError("SELECT 1,\n  'abc");
  EXPECT_EQ(msg,
            "Syntax error: unterminated string literal at line 2, column 3\n"
            "    'abc\n"
            "    ^");
  // Invalid bytes are replaced in the echoed line so the message is valid UTF-8.
  std::string bad = LexError("SELECT \xff");
  EXPECT_NE(bad.find("SELECT ?"), std::string::npos) << bad;
}

TEST(LexerTest, ReservedKeywords) {
  EXPECT_TRUE(IsReservedKeyword("select"));
  EXPECT_TRUE(IsReservedKeyword("FROM"));
  EXPECT_TRUE(IsReservedKeyword("Where"));
  EXPECT_FALSE(IsReservedKeyword("date"));
  EXPECT_FALSE(IsReservedKeyword("year"));
  EXPECT_FALSE(IsReservedKeyword("name"));
  EXPECT_FALSE(IsReservedKeyword("partition"));
}

}  // namespace
}  // namespace shoal::sql
