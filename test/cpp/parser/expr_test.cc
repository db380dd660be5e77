// Expression parsing: precedence, every expression kind, special syntaxes, types.
#include <gtest/gtest.h>

#include "parser_test_util.h"

namespace shoal {
namespace {

using testing::DumpExpr;

TEST(ExprTest, ArithmeticPrecedence) {
  EXPECT_EQ(DumpExpr("1 + 2 * 3"), "(+ 1 (* 2 3))");
  EXPECT_EQ(DumpExpr("1 * 2 + 3"), "(+ (* 1 2) 3)");
  EXPECT_EQ(DumpExpr("1 - 2 - 3"), "(- (- 1 2) 3)");
  EXPECT_EQ(DumpExpr("8 / 4 / 2"), "(/ (/ 8 4) 2)");
  EXPECT_EQ(DumpExpr("7 % 3 * 2"), "(* (% 7 3) 2)");
  EXPECT_EQ(DumpExpr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
  EXPECT_EQ(DumpExpr("-a * b"), "(* (neg a) b)");
  EXPECT_EQ(DumpExpr("- - a"), "(neg (neg a))");
  EXPECT_EQ(DumpExpr("+a"), "(pos a)");
  EXPECT_EQ(DumpExpr("a - -1"), "(- a (neg 1))");
}

TEST(ExprTest, CastBindsTighterThanUnaryMinus) {
  EXPECT_EQ(DumpExpr("-a::int"), "(neg (:: a int))");
  EXPECT_EQ(DumpExpr("a::int::varchar"), "(:: (:: a int) varchar)");
  EXPECT_EQ(DumpExpr("a + b::bigint"), "(+ a (:: b bigint))");
  EXPECT_EQ(DumpExpr("(a + b)::double"), "(:: (+ a b) double)");
}

TEST(ExprTest, ConcatBetweenComparisonAndAdditive) {
  EXPECT_EQ(DumpExpr("a || b + c"), "(|| a (+ b c))");
  EXPECT_EQ(DumpExpr("a || b = c"), "(= (|| a b) c)");
  EXPECT_EQ(DumpExpr("'x' || 'y' || 'z'"), "(|| (|| 'x' 'y') 'z')");
}

TEST(ExprTest, BooleanPrecedence) {
  EXPECT_EQ(DumpExpr("a OR b AND c"), "(OR a (AND b c))");
  EXPECT_EQ(DumpExpr("a AND b OR c"), "(OR (AND a b) c)");
  EXPECT_EQ(DumpExpr("NOT a AND b"), "(AND (NOT a) b)");
  EXPECT_EQ(DumpExpr("NOT a = b"), "(NOT (= a b))");
  EXPECT_EQ(DumpExpr("NOT NOT a"), "(NOT (NOT a))");
  EXPECT_EQ(DumpExpr("a = 1 AND b < 2 OR NOT c >= 3"),
            "(OR (AND (= a 1) (< b 2)) (NOT (>= c 3)))");
  EXPECT_EQ(DumpExpr("a + 1 > b * 2"), "(> (+ a 1) (* b 2))");
}

TEST(ExprTest, ComparisonOperators) {
  EXPECT_EQ(DumpExpr("a <> b"), "(<> a b)");
  EXPECT_EQ(DumpExpr("a != b"), "(<> a b)");
  EXPECT_EQ(DumpExpr("a == b"), "(= a b)");
  EXPECT_EQ(DumpExpr("a <= b"), "(<= a b)");
  EXPECT_EQ(DumpExpr("a >= b"), "(>= a b)");
  EXPECT_EQ(DumpExpr("a < b"), "(< a b)");
  EXPECT_EQ(DumpExpr("a > b"), "(> a b)");
}

TEST(ExprTest, IsPredicates) {
  EXPECT_EQ(DumpExpr("a IS NULL"), "(is-null a)");
  EXPECT_EQ(DumpExpr("a IS NOT NULL AND b"), "(AND (is-not-null a) b)");
  EXPECT_EQ(DumpExpr("a IS TRUE"), "(is-true a)");
  EXPECT_EQ(DumpExpr("a IS NOT FALSE"), "(is-not-false a)");
  EXPECT_EQ(DumpExpr("a IS UNKNOWN"), "(is-unknown a)");
  EXPECT_EQ(DumpExpr("a IS DISTINCT FROM b + 1"), "(is-distinct-from a (+ b 1))");
  EXPECT_EQ(DumpExpr("a IS NOT DISTINCT FROM b"), "(is-not-distinct-from a b)");
  EXPECT_EQ(DumpExpr("a + 1 IS NULL"), "(is-null (+ a 1))");
}

TEST(ExprTest, BetweenLikeIn) {
  EXPECT_EQ(DumpExpr("a BETWEEN 1 AND 2"), "(between a 1 2)");
  EXPECT_EQ(DumpExpr("a NOT BETWEEN b - 1 AND b + 1 AND c"),
            "(AND (not-between a (- b 1) (+ b 1)) c)");
  EXPECT_EQ(DumpExpr("a LIKE 'x%'"), "(like a 'x%')");
  EXPECT_EQ(DumpExpr("a NOT LIKE 'x%' ESCAPE '\\'"), "(not-like a 'x%' escape '\\')");
  EXPECT_EQ(DumpExpr("a ILIKE 'x'"), "(ilike a 'x')");
  EXPECT_EQ(DumpExpr("a NOT ILIKE 'x' OR b"), "(OR (not-ilike a 'x') b)");
  EXPECT_EQ(DumpExpr("a IN (1, 2, 3)"), "(in a (1 2 3))");
  EXPECT_EQ(DumpExpr("a NOT IN ('x')"), "(not-in a ('x'))");
  EXPECT_EQ(DumpExpr("a IN (SELECT b FROM t)"), "(in a <SELECT b FROM t>)");
  EXPECT_EQ(DumpExpr("a NOT IN (SELECT b FROM t) AND c"),
            "(AND (not-in a <SELECT b FROM t>) c)");
  EXPECT_EQ(DumpExpr("a IN ((SELECT 1), 2)"), "(in a (<SELECT 1> 2))");
  EXPECT_EQ(DumpExpr("a IN ((SELECT 1) UNION (SELECT 2))"),
            "(in a <SELECT 1 UNION SELECT 2>)");
}

TEST(ExprTest, SubqueriesExistsQuantified) {
  EXPECT_EQ(DumpExpr("(SELECT max(x) FROM t)"), "<SELECT max(x) FROM t>");
  EXPECT_EQ(DumpExpr("EXISTS (SELECT 1)"), "(exists <SELECT 1>)");
  EXPECT_EQ(DumpExpr("NOT EXISTS (SELECT 1) AND a"), "(AND (not-exists <SELECT 1>) a)");
  EXPECT_EQ(DumpExpr("NOT EXISTS (SELECT 1) = TRUE"), "(NOT (= (exists <SELECT 1>) TRUE))");
  EXPECT_EQ(DumpExpr("a > ALL (SELECT b FROM t)"), "(> all a <SELECT b FROM t>)");
  EXPECT_EQ(DumpExpr("a = ANY (SELECT b FROM t)"), "(= any a <SELECT b FROM t>)");
  EXPECT_EQ(DumpExpr("a = SOME (SELECT b FROM t)"), "(= any a <SELECT b FROM t>)");
  EXPECT_EQ(DumpExpr("((SELECT 1) + 1) * 2"), "(* (+ <SELECT 1> 1) 2)");
  EXPECT_EQ(DumpExpr("((SELECT 1))"), "<SELECT 1>");
}

TEST(ExprTest, Literals) {
  EXPECT_EQ(DumpExpr("NULL"), "NULL");
  EXPECT_EQ(DumpExpr("true"), "TRUE");
  EXPECT_EQ(DumpExpr("FALSE"), "FALSE");
  EXPECT_EQ(DumpExpr("42"), "42");
  EXPECT_EQ(DumpExpr("99999999999999999999999"), "99999999999999999999999");
  EXPECT_EQ(DumpExpr("1.25"), "dec:1.25");
  EXPECT_EQ(DumpExpr("1e3"), "dec:1e3");
  EXPECT_EQ(DumpExpr("'it''s'"), "'it's'");
  EXPECT_EQ(DumpExpr("E'tab\\there'"), "'tab\there'");
  EXPECT_EQ(DumpExpr("DATE '2020-01-31'"), "date'2020-01-31'");
  EXPECT_EQ(DumpExpr("TIME '12:00:00'"), "time'12:00:00'");
  EXPECT_EQ(DumpExpr("TIMESTAMP '2020-01-01 10:00'"), "timestamp'2020-01-01 10:00'");
  EXPECT_EQ(DumpExpr("TIMESTAMPTZ '2020-01-01 10:00+02'"), "timestamptz'2020-01-01 10:00+02'");
  EXPECT_EQ(DumpExpr("TIMESTAMP WITH TIME ZONE '2020-01-01'"), "timestamptz'2020-01-01'");
  // date without a string is a column
  EXPECT_EQ(DumpExpr("date + 1"), "(+ date 1)");
}

TEST(ExprTest, IntervalLiterals) {
  EXPECT_EQ(DumpExpr("INTERVAL '3' DAY"), "interval'3' day");
  EXPECT_EQ(DumpExpr("INTERVAL '3' days"), "interval'3' day");
  EXPECT_EQ(DumpExpr("INTERVAL 3 MONTH"), "interval'3' month");
  EXPECT_EQ(DumpExpr("INTERVAL '1 day 2 hours'"), "interval'1 day 2 hours'");
  EXPECT_EQ(DumpExpr("INTERVAL '1-2' YEAR TO MONTH"), "interval'1-2' year to month");
  EXPECT_EQ(DumpExpr("DATE '1998-12-01' - INTERVAL '90' DAY"),
            "(- date'1998-12-01' interval'90' day)");
  EXPECT_NE(DumpExpr("INTERVAL 3").find("expected interval unit"), std::string::npos);
}

TEST(ExprTest, Parameters) {
  EXPECT_EQ(DumpExpr("$1 + $2"), "(+ $1 $2)");
  EXPECT_EQ(DumpExpr("? + ? * ?"), "(+ $1 (* $2 $3))");
  EXPECT_NE(DumpExpr("$0").find("parameter numbers start at $1"), std::string::npos);
}

TEST(ExprTest, ColumnsAndStars) {
  EXPECT_EQ(DumpExpr("a"), "a");
  EXPECT_EQ(DumpExpr("t.a"), "t.a");
  EXPECT_EQ(DumpExpr("s.t.a"), "s.t.a");
  EXPECT_EQ(DumpExpr("\"My Col\""), "\"My Col\"");
  EXPECT_EQ(DumpExpr("t.\"x\""), "t.\"x\"");
  EXPECT_EQ(DumpExpr("t.*"), "t.*");
  EXPECT_EQ(DumpExpr("year + month"), "(+ year month)");
}

TEST(ExprTest, Case) {
  EXPECT_EQ(DumpExpr("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END"),
            "(case (when a 1) (when b 2) (else 3))");
  EXPECT_EQ(DumpExpr("CASE x WHEN 1 THEN 'a' END"), "(case x (when 1 'a'))");
  EXPECT_EQ(DumpExpr("CASE (x) WHEN 1 THEN 'a' END"), "(case x (when 1 'a'))");
  EXPECT_NE(DumpExpr("CASE WHEN a THEN 1").find("expected WHEN, ELSE or END"), std::string::npos);
  EXPECT_NE(DumpExpr("CASE x END").find("expected WHEN"), std::string::npos);
}

TEST(ExprTest, Casts) {
  EXPECT_EQ(DumpExpr("CAST(a AS INTEGER)"), "(cast a integer)");
  EXPECT_EQ(DumpExpr("TRY_CAST(a AS DECIMAL(12, 2))"), "(try_cast a decimal(12,2))");
  EXPECT_EQ(DumpExpr("CAST(a AS VARCHAR(10))"), "(cast a varchar(10))");
  EXPECT_EQ(DumpExpr("CAST(a AS DOUBLE PRECISION)"), "(cast a double)");
  EXPECT_EQ(DumpExpr("CAST(a AS TIMESTAMP WITH TIME ZONE)"), "(cast a timestamptz)");
  EXPECT_EQ(DumpExpr("CAST(a AS TIMESTAMP WITHOUT TIME ZONE)"), "(cast a timestamp)");
  EXPECT_EQ(DumpExpr("CAST(a AS INT[])"), "(cast a list<int>)");
  EXPECT_EQ(DumpExpr("CAST(a AS LIST<INT>)"), "(cast a list<int>)");
  EXPECT_EQ(DumpExpr("CAST(a AS LIST<LIST<BIGINT>>)"), "(cast a list<list<bigint>>)");
  EXPECT_EQ(DumpExpr("a::INT[][]"), "(:: a list<list<int>>)");
  EXPECT_EQ(DumpExpr("CAST(a AS CHARACTER VARYING(5))"), "(cast a varchar(5))");
}

TEST(ExprTest, AllTypeNames) {
  for (std::string_view t :
       {"INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "BOOLEAN", "REAL", "FLOAT", "DOUBLE",
        "DECIMAL", "NUMERIC", "VARCHAR", "CHAR", "TEXT", "STRING", "DATE", "TIME", "TIMESTAMP",
        "TIMESTAMPTZ", "INTERVAL", "BLOB", "BYTEA"}) {
    std::string sql = "CAST(x AS " + std::string(t) + ")";
    auto r = ParseExpression(sql);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const auto& cast = static_cast<const ast::CastExpr&>(**r);
    std::string lower(t);
    for (auto& c : lower) c = static_cast<char>(std::tolower(c));
    EXPECT_EQ(cast.type.name, lower);
    EXPECT_EQ(cast.type.loc.column, 11);
  }
  auto r = ParseExpression("CAST(x AS NUMERIC(10,3))");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(static_cast<const ast::CastExpr&>(**r).type.params, (std::vector<int64_t>{10, 3}));
}

TEST(ExprTest, FunctionCalls) {
  EXPECT_EQ(DumpExpr("f()"), "f()");
  EXPECT_EQ(DumpExpr("count(*)"), "count(*)");
  EXPECT_EQ(DumpExpr("count(DISTINCT a)"), "count({distinct} a)");
  EXPECT_EQ(DumpExpr("sum(ALL a)"), "sum(a)");
  EXPECT_EQ(DumpExpr("s.f(1, 'x')"), "s.f(1 'x')");
  EXPECT_EQ(DumpExpr("string_agg(x, ',' ORDER BY y DESC)"), "string_agg(x ',' {order y desc})");
  EXPECT_EQ(DumpExpr("count(*) FILTER (WHERE a > 1)"), "count(*){filter (> a 1)}");
  EXPECT_EQ(DumpExpr("first_value(x IGNORE NULLS) OVER w"), "first_value(x){ignore_nulls}{over w}");
  EXPECT_EQ(DumpExpr("lag(x) IGNORE NULLS OVER (ORDER BY t)"),
            "lag(x){ignore_nulls}{over order t}");
  EXPECT_EQ(DumpExpr("lag(x) RESPECT NULLS"), "lag(x)");
  EXPECT_EQ(DumpExpr("percentile_cont(0.5) WITHIN GROUP (ORDER BY x)"),
            "percentile_cont(dec:0.5 {order x})");
  EXPECT_EQ(DumpExpr("left(s, 2) || right(s, 1)"), "(|| left(s 2) right(s 1))");
  EXPECT_EQ(DumpExpr("date_trunc('month', d)"), "date_trunc('month' d)");
  EXPECT_EQ(DumpExpr("CURRENT_DATE"), "current_date()");
  EXPECT_EQ(DumpExpr("coalesce(a, b)"), "coalesce(a b)");
}

TEST(ExprTest, SpecialFunctionSyntaxes) {
  EXPECT_EQ(DumpExpr("EXTRACT(YEAR FROM d)"), "date_part('year' d)");
  EXPECT_EQ(DumpExpr("extract(epoch from ts)"), "date_part('epoch' ts)");
  EXPECT_EQ(DumpExpr("SUBSTRING(s FROM 2 FOR 3)"), "substring(s 2 3)");
  EXPECT_EQ(DumpExpr("SUBSTRING(s FROM 2)"), "substring(s 2)");
  EXPECT_EQ(DumpExpr("SUBSTRING(s FOR 3)"), "substring(s 1 3)");
  EXPECT_EQ(DumpExpr("substring(s, 1, 2)"), "substring(s 1 2)");
  EXPECT_EQ(DumpExpr("POSITION('a' IN s)"), "strpos(s 'a')");
  EXPECT_EQ(DumpExpr("TRIM(s)"), "trim(s)");
  EXPECT_EQ(DumpExpr("TRIM(BOTH 'x' FROM s)"), "btrim(s 'x')");
  EXPECT_EQ(DumpExpr("TRIM(LEADING 'x' FROM s)"), "ltrim(s 'x')");
  EXPECT_EQ(DumpExpr("TRIM(TRAILING FROM s)"), "rtrim(s)");
  EXPECT_EQ(DumpExpr("TRIM('x' FROM s)"), "btrim(s 'x')");
  EXPECT_EQ(DumpExpr("TRIM(FROM s)"), "btrim(s)");
}

TEST(ExprTest, WindowSpecs) {
  auto r = ParseExpression(
      "sum(x) OVER (w PARTITION BY a, b ORDER BY c DESC NULLS FIRST "
      "ROWS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& f = static_cast<const ast::FunctionExpr&>(**r);
  ASSERT_NE(f.over, nullptr);
  ASSERT_TRUE(f.over->name.has_value());
  EXPECT_EQ(f.over->name->name, "w");
  EXPECT_EQ(f.over->partition_by.size(), 2u);
  ASSERT_EQ(f.over->order_by.size(), 1u);
  EXPECT_FALSE(f.over->order_by[0].ascending);
  EXPECT_EQ(f.over->order_by[0].nulls_first, std::optional<bool>(true));
  ASSERT_TRUE(f.over->frame.has_value());
  EXPECT_EQ(f.over->frame->unit, ast::FrameUnit::kRows);
  EXPECT_EQ(f.over->frame->start.kind, ast::FrameBoundKind::kPreceding);
  EXPECT_EQ(testing::Dump(*f.over->frame->start.offset), "2");
  EXPECT_EQ(f.over->frame->end.kind, ast::FrameBoundKind::kUnboundedFollowing);

  r = ParseExpression("avg(x) OVER (ORDER BY d RANGE BETWEEN INTERVAL '1' DAY PRECEDING AND CURRENT ROW)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& g = static_cast<const ast::FunctionExpr&>(**r);
  EXPECT_EQ(g.over->frame->unit, ast::FrameUnit::kRange);
  EXPECT_EQ(testing::Dump(*g.over->frame->start.offset), "interval'1' day");
  EXPECT_EQ(g.over->frame->end.kind, ast::FrameBoundKind::kCurrentRow);

  r = ParseExpression("row_number() OVER (GROUPS UNBOUNDED PRECEDING)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& h = static_cast<const ast::FunctionExpr&>(**r);
  EXPECT_EQ(h.over->frame->unit, ast::FrameUnit::kGroups);
  EXPECT_EQ(h.over->frame->start.kind, ast::FrameBoundKind::kUnboundedPreceding);
  EXPECT_EQ(h.over->frame->end.kind, ast::FrameBoundKind::kCurrentRow);
  EXPECT_EQ(DumpExpr("rank() OVER ()"), "rank(){over}");
}

TEST(ExprTest, Arrays) {
  EXPECT_EQ(DumpExpr("[1, 2, 3]"), "[1 2 3]");
  EXPECT_EQ(DumpExpr("ARRAY[a, b]"), "[a b]");
  EXPECT_EQ(DumpExpr("[]"), "[]");
}

TEST(ExprTest, Locations) {
  auto r = ParseExpression("a +\n  f(b)");
  ASSERT_TRUE(r.ok());
  const auto& b = static_cast<const ast::BinaryExpr&>(**r);
  EXPECT_EQ(b.loc.line, 1);
  EXPECT_EQ(b.loc.column, 1);
  EXPECT_EQ(b.right->loc.line, 2);
  EXPECT_EQ(b.right->loc.column, 3);
  EXPECT_EQ(b.right->loc.offset, 6);
  const auto& f = static_cast<const ast::FunctionExpr&>(*b.right);
  EXPECT_EQ(f.args[0]->loc.column, 5);
  EXPECT_EQ(f.name.parts[0].loc.offset, 6);
}

TEST(ExprTest, ExpressionErrors) {
  EXPECT_NE(DumpExpr("1 +").find("expected expression, found end of input"), std::string::npos);
  EXPECT_NE(DumpExpr("a b").find("expected end of expression, found 'b'"), std::string::npos);
  EXPECT_NE(DumpExpr("(1 + 2").find("expected ')'"), std::string::npos);
  EXPECT_NE(DumpExpr("a IS 3").find("expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM"),
            std::string::npos);
  EXPECT_NE(DumpExpr("a = ANY (1, 2)").find("expected a subquery after ANY"), std::string::npos);
  EXPECT_NE(DumpExpr("select").find("expected expression, found 'select'"), std::string::npos);
  EXPECT_NE(DumpExpr("").find("expected expression"), std::string::npos);
}

}  // namespace
}  // namespace shoal
