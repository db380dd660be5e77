// Printing: exact output for key cases and the round-trip property on a corpus.
#include <gtest/gtest.h>

#include "parser_test_util.h"

namespace shoal {
namespace {

using testing::CheckRoundTrip;

std::string PrintExpr(std::string_view sql, SqlDialect d = SqlDialect::kShoal) {
  auto r = ParseExpression(sql);
  if (!r.ok()) return "ERROR: " + r.status().message();
  return ToSql(**r, d);
}

std::string PrintStmt(std::string_view sql, SqlDialect d = SqlDialect::kShoal) {
  auto s = testing::ParseOne(sql);
  return s ? ToSql(*s, d) : "";
}

TEST(PrinterTest, ParenthesizesOnlyWhereNeeded) {
  EXPECT_EQ(PrintExpr("(1 + 2) * 3"), "(1 + 2) * 3");
  EXPECT_EQ(PrintExpr("1 + (2 * 3)"), "1 + 2 * 3");
  EXPECT_EQ(PrintExpr("1 - (2 - 3)"), "1 - (2 - 3)");
  EXPECT_EQ(PrintExpr("(1 - 2) - 3"), "1 - 2 - 3");
  EXPECT_EQ(PrintExpr("a AND (b OR c)"), "a AND (b OR c)");
  EXPECT_EQ(PrintExpr("NOT (a AND b)"), "NOT (a AND b)");
  EXPECT_EQ(PrintExpr("(NOT a) = b"), "(NOT a) = b");
  EXPECT_EQ(PrintExpr("-(a + b)"), "-(a + b)");
  EXPECT_EQ(PrintExpr("- -a"), "-(-a)");
  EXPECT_EQ(PrintExpr("(-a)::int"), "(-a)::INT");
  EXPECT_EQ(PrintExpr("-a::int"), "-a::INT");
  EXPECT_EQ(PrintExpr("(a = b) IS TRUE"), "(a = b) IS TRUE");
  EXPECT_EQ(PrintExpr("(a || b) LIKE 'x'"), "a || b LIKE 'x'");
  EXPECT_EQ(PrintExpr("(NOT EXISTS (SELECT 1)) = TRUE"), "(NOT EXISTS (SELECT 1)) = TRUE");
}

TEST(PrinterTest, ExpressionForms) {
  EXPECT_EQ(PrintExpr("CAST(a AS decimal(10,2))"), "CAST(a AS DECIMAL(10, 2))");
  EXPECT_EQ(PrintExpr("TRY_CAST(a AS int[])"), "TRY_CAST(a AS INT[])");
  EXPECT_EQ(PrintExpr("x BETWEEN 1 AND 2"), "x BETWEEN 1 AND 2");
  EXPECT_EQ(PrintExpr("x NOT IN (1, 2)"), "x NOT IN (1, 2)");
  EXPECT_EQ(PrintExpr("s NOT ILIKE 'a!%' ESCAPE '!'"), "s NOT ILIKE 'a!%' ESCAPE '!'");
  EXPECT_EQ(PrintExpr("'it''s'"), "'it''s'");
  EXPECT_EQ(PrintExpr("date '2020-01-01' + interval '3' day"),
            "DATE '2020-01-01' + INTERVAL '3' DAY");
  EXPECT_EQ(PrintExpr("INTERVAL '1-2' YEAR TO MONTH"), "INTERVAL '1-2' YEAR TO MONTH");
  EXPECT_EQ(PrintExpr("count(distinct x) filter (where y > 0)"),
            "count(DISTINCT x) FILTER (WHERE y > 0)");
  EXPECT_EQ(PrintExpr("sum(x) over (partition by a order by b rows 3 preceding)"),
            "sum(x) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)");
  EXPECT_EQ(PrintExpr("extract(year from d)"), "date_part('year', d)");
  EXPECT_EQ(PrintExpr("\"Weird \"\"Name\"\"\" + \"select\""), "\"Weird \"\"Name\"\"\" + \"select\"");
  EXPECT_EQ(PrintExpr("left(s, 2)"), "left(s, 2)");
  EXPECT_EQ(PrintExpr("current_date"), "CURRENT_DATE");
  EXPECT_EQ(PrintExpr("? + $3"), "$1 + $3");
  EXPECT_EQ(PrintExpr("[1, 2]"), "[1, 2]");
  EXPECT_EQ(PrintExpr("[1, 2]", SqlDialect::kPostgres), "ARRAY[1, 2]");
}

TEST(PrinterTest, Dialects) {
  EXPECT_EQ(PrintExpr("\"My Col\" + \"from\"", SqlDialect::kSpark), "`My Col` + `from`");
  EXPECT_EQ(PrintExpr("CAST(a AS INT[])", SqlDialect::kSpark), "CAST(a AS ARRAY<INT>)");
  EXPECT_EQ(PrintStmt("SELECT * FROM a SEMI JOIN b ON a.x = b.x", SqlDialect::kSpark),
            "SELECT * FROM a LEFT SEMI JOIN b ON a.x = b.x");
  EXPECT_EQ(PrintStmt("COPY t TO 'x' STORED AS PARQUET PARTITIONED BY (p)", SqlDialect::kDuckDB),
            "COPY t TO 'x' (FORMAT parquet, PARTITION_BY (p))");
  // Spark output parses back (backticks are accepted).
  CheckRoundTrip("SELECT `a b`, \"c\" FROM t", SqlDialect::kSpark);
}

TEST(PrinterTest, Statements) {
  EXPECT_EQ(PrintStmt("select a x, b from t, u where a=1 group by all order by 1 desc limit 3"),
            "SELECT a AS x, b FROM t CROSS JOIN u WHERE a = 1 GROUP BY ALL ORDER BY 1 DESC LIMIT 3");
  EXPECT_EQ(PrintStmt("select * from a, b join c on true"),
            "SELECT * FROM a CROSS JOIN (b JOIN c ON TRUE)");
  EXPECT_EQ(PrintStmt("select 1 union all (select 2 union select 3)"),
            "SELECT 1 UNION ALL (SELECT 2 UNION SELECT 3)");
  EXPECT_EQ(PrintStmt("select 1 union select 2 intersect select 3"),
            "SELECT 1 UNION SELECT 2 INTERSECT SELECT 3");
  EXPECT_EQ(PrintStmt("(select 1 union select 2) intersect select 3"),
            "(SELECT 1 UNION SELECT 2) INTERSECT SELECT 3");
  EXPECT_EQ(PrintStmt("create table t (a int not null default 1, check (a > 0)) as select 1"),
            "CREATE TABLE t (a INT NOT NULL DEFAULT 1, CHECK (a > 0)) AS SELECT 1");
  EXPECT_EQ(PrintStmt("create external table t stored as csv options ('a' 'b') location 'p'"),
            "CREATE EXTERNAL TABLE t STORED AS CSV OPTIONS ('a' 'b') LOCATION 'p'");
  EXPECT_EQ(PrintStmt("set x to 'abc'"), "SET x = 'abc'");
  EXPECT_EQ(PrintStmt("set x to 10"), "SET x = 10");
  EXPECT_EQ(PrintStmt("explain analyze select 1"), "EXPLAIN ANALYZE SELECT 1");
  EXPECT_EQ(PrintStmt("show columns from t"), "DESCRIBE t");
  EXPECT_EQ(PrintStmt("select * from 'x.parquet' p"), "SELECT * FROM 'x.parquet' AS p");
}

TEST(PrinterTest, RoundTripCorpus) {
  for (const std::string& sql : testing::SqlCorpus()) {
    SCOPED_TRACE(sql);
    CheckRoundTrip(sql);
    for (auto d : {SqlDialect::kDuckDB, SqlDialect::kPostgres, SqlDialect::kDataFusion,
                   SqlDialect::kSpark, SqlDialect::kSQLite}) {
      CheckRoundTrip(sql, d);
    }
  }
}

TEST(PrinterTest, ParametersPrintStably) {
  // ? parameters print as $n so the numbering survives re-parsing.
  EXPECT_EQ(CheckRoundTrip("SELECT ?, ?"), "SELECT $1, $2");
}

}  // namespace
}  // namespace shoal
