// Syntax errors: messages with line, column and caret; hostile input never crashes.
#include <gtest/gtest.h>

#include <random>
#if defined(__linux__)
#include <pthread.h>
#endif

#include "parser_test_util.h"

namespace shoal {
namespace {

using testing::ParseError;

TEST(ErrorTest, MisspelledKeywordPointsAtToken) {
  // FORM becomes an alias of a, so the error is at t.
  EXPECT_EQ(ParseError("SELECT a FORM t"),
            "Syntax error: expected ';' or end of input, found 't' at line 1, column 15\n"
            "  SELECT a FORM t\n"
            "                ^");
}

TEST(ErrorTest, MultiLineErrorShowsTheRightLine) {
  std::string msg = ParseError("SELECT a,\n       b\nFROM t\nWHERE a = = 1");
  EXPECT_EQ(msg,
            "Syntax error: expected expression, found '=' at line 4, column 11\n"
            "  WHERE a = = 1\n"
            "            ^");
}

TEST(ErrorTest, UnexpectedEndOfInput) {
  std::string msg = ParseError("SELECT a FROM");
  EXPECT_EQ(msg,
            "Syntax error: expected table name, subquery or table function, found end of input "
            "at line 1, column 14\n"
            "  SELECT a FROM\n"
            "               ^");
  EXPECT_NE(ParseError("SELECT (1 + 2").find("expected ')', found end of input"),
            std::string::npos);
  EXPECT_NE(ParseError("SELECT * FROM t WHERE").find("expected expression, found end of input"),
            std::string::npos);
}

TEST(ErrorTest, UnknownStatement) {
  EXPECT_EQ(ParseError("SELEC 1"),
            "Syntax error: expected a statement (SELECT, INSERT, CREATE, DROP, ...), found 'SELEC' "
            "at line 1, column 1\n"
            "  SELEC 1\n"
            "  ^");
}

TEST(ErrorTest, ReservedWordAsName) {
  std::string msg = ParseError("SELECT * FROM select");
  EXPECT_NE(msg.find("expected table name, subquery or table function, found 'select'"),
            std::string::npos)
      << msg;
  msg = ParseError("CREATE TABLE t (from INT)");
  EXPECT_NE(msg.find("expected column name, found 'from' at line 1, column 17"), std::string::npos)
      << msg;
}

TEST(ErrorTest, LexerErrorsInStatements) {
  std::string msg = ParseError("SELECT 1;\nSELECT 'oops");
  EXPECT_EQ(msg,
            "Syntax error: unterminated string literal at line 2, column 8\n"
            "  SELECT 'oops\n"
            "         ^");
  EXPECT_NE(ParseError("SELECT 1 /* x").find("unterminated /* comment at line 1, column 10"),
            std::string::npos);
  EXPECT_NE(ParseError("SELECT 3e+").find("invalid number '3e+'"), std::string::npos);
  EXPECT_NE(ParseError(std::string("SELECT 1\0", 9)).find("NUL byte in SQL text"),
            std::string::npos);
  EXPECT_NE(ParseError("SELECT 'a\xc0\xaf'").find("invalid UTF-8"), std::string::npos);
}

TEST(ErrorTest, DeepNestingIsRejectedCleanly) {
  for (std::string open : {"(", "- ", "NOT ", "[", "f("}) {
    std::string sql = "SELECT ";
    for (int i = 0; i < 100000; ++i) sql += open;
    sql += "1";
    std::string msg = ParseError(sql);
    EXPECT_NE(msg.find("nested too deeply"), std::string::npos) << open << ": " << msg.substr(0, 200);
  }
  std::string sub = "SELECT ";
  for (int i = 0; i < 5000; ++i) sub += "(SELECT ";
  sub += "1";
  EXPECT_NE(ParseError(sub).find("nested too deeply"), std::string::npos);
  std::string from = "SELECT * FROM ";
  for (int i = 0; i < 5000; ++i) from += "(";
  EXPECT_NE(ParseError(from).find("nested too deeply"), std::string::npos);
  std::string types = "SELECT CAST(1 AS ";
  for (int i = 0; i < 5000; ++i) types += "LIST<";
  EXPECT_NE(ParseError(types).find("nested too deeply"), std::string::npos);
}

TEST(ErrorTest, ModerateNestingStillWorks) {
  std::string sql = "SELECT ";
  for (int i = 0; i < 150; ++i) sql += "(";
  sql += "1";
  for (int i = 0; i < 150; ++i) sql += ")";
  EXPECT_EQ(ParseError(sql), "");
  // Long flat chains are not nesting.
  std::string chain = "SELECT 1";
  for (int i = 0; i < 20000; ++i) chain += " + 1";
  EXPECT_EQ(ParseError(chain), "");
  std::string ands = "SELECT * FROM t WHERE a = 1";
  for (int i = 0; i < 20000; ++i) ands += " AND a = 1";
  EXPECT_EQ(ParseError(ands), "");
}

#if defined(__linux__)
struct ThreadArg {
  std::string sql;
  std::string error;
};

void* ParseOnThread(void* p) {
  auto* arg = static_cast<ThreadArg*>(p);
  arg->error = ParseError(arg->sql);
  return nullptr;
}

TEST(ErrorTest, NestingLimitIsSafeOnSmallThreadStacks) {
  // On a 1 MiB stack the parser stops on its stack check before the depth cap.
  for (std::string shape : {"(", "(SELECT ", "EXISTS (SELECT ", "f("}) {
    ThreadArg arg;
    arg.sql = "SELECT ";
    for (int i = 0; i < 990; ++i) arg.sql += shape;
    arg.sql += "1";
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attr, ParseOnThread, &arg), 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
    EXPECT_NE(arg.error.find("nested too deeply"), std::string::npos) << shape << arg.error;
  }
}
#endif

TEST(ErrorTest, RandomInputNeverCrashes) {
  std::mt19937 rng(42);
  const std::vector<std::string> pieces = {
      "SELECT", "FROM", "WHERE", "(", ")", ",", "'x'", "\"y\"", "1", "1.5", "a", "t.*", "*",
      "+", "-", "::", "||", "AND", "OR", "NOT", "IN", "BETWEEN", "CASE", "WHEN", "THEN", "END",
      "JOIN", "ON", "GROUP BY", "ORDER BY", "LIMIT", "UNION", "WITH", "AS", ";", "OVER", "[",
      "]", "CAST", "INTERVAL", "DATE", "EXISTS", "VALUES", "$1", "?", "--", "/*", "*/", "'",
      "\"", "IS", "NULL", "LIKE", "E'\\", "\xff", "é", "EXTRACT", "TRIM", "FILTER", "=", "<>"};
  for (int i = 0; i < 3000; ++i) {
    std::string sql;
    int n = 1 + static_cast<int>(rng() % 25);
    for (int k = 0; k < n; ++k) sql += pieces[rng() % pieces.size()] + " ";
    auto r = ParseSql(sql);
    if (r.ok()) {
      for (const auto& stmt : *r) (void)ToSql(*stmt);
    } else {
      EXPECT_FALSE(r.status().message().empty());
    }
    bool complete;
    (void)SplitStatements(sql, &complete);
  }
  // Random bytes
  for (int i = 0; i < 2000; ++i) {
    std::string sql;
    int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) sql.push_back(static_cast<char>(rng() % 256));
    auto r = ParseSql(sql);
    (void)r;
  }
}

TEST(ErrorTest, TruncatedValidQueriesFailCleanly) {
  std::string sql =
      "WITH x AS (SELECT a, sum(b) OVER (PARTITION BY c ORDER BY d ROWS BETWEEN 1 PRECEDING AND "
      "CURRENT ROW) AS s FROM t WHERE e IN (1, 2) AND f LIKE 'z%' GROUP BY ROLLUP (a)) "
      "SELECT CAST(s AS DECIMAL(10, 2)), CASE WHEN a THEN 1 ELSE 2 END FROM x JOIN y USING (a) "
      "ORDER BY 1 DESC NULLS LAST LIMIT 5";
  ASSERT_EQ(ParseError(sql), "");
  for (size_t len = 0; len < sql.size(); ++len) {
    auto r = ParseSql(sql.substr(0, len));
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("Syntax error"), std::string::npos);
      EXPECT_NE(r.status().message().find("line 1"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace shoal
