// Binder tests: plans for representative queries, result names/types, errors.
#include <cstdlib>
#include <iostream>

#include <gtest/gtest.h>

#include "binder_test_util.h"

namespace shoal {
namespace {



class BinderTest : public testing::BinderFixture {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_
                    .RegisterTable({"t"}, testing::MakeTable({
                                              arrow::field("a", arrow::int32()),
                                              arrow::field("b", arrow::int64()),
                                              arrow::field("s", arrow::utf8()),
                                              arrow::field("d", arrow::date32()),
                                              arrow::field("x", arrow::decimal128(15, 2)),
                                          }))
                    .ok());
    ASSERT_TRUE(catalog_
                    .RegisterTable({"u"}, testing::MakeTable({
                                              arrow::field("a", arrow::int32()),
                                              arrow::field("c", arrow::utf8()),
                                          }))
                    .ok());
    ASSERT_TRUE(catalog_
                    .RegisterTable({"Mixed"}, testing::MakeTable({
                                                  arrow::field("CamelCol", arrow::int32()),
                                                  arrow::field("camelcol2", arrow::int32()),
                                              }))
                    .ok());
    ASSERT_TRUE(catalog_
                    .RegisterTable({"dup"}, testing::MakeTable({
                                                arrow::field("Val", arrow::int32()),
                                                arrow::field("VAL", arrow::int32()),
                                            }))
                    .ok());
  }
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_TRUE(Contains(haystack, needle)) << "missing '" << (needle) << "' in:\n" << (haystack)

TEST_F(BinderTest, SimpleSelectWhere) {
  EXPECT_EQ(Plan("SELECT a, b AS c FROM t WHERE a > 5"),
            "Projection: a@1 AS a@6, b@2 AS c@7\n"
            "  Filter: (a@1 > 5)\n"
            "    Get: t [a@1, b@2, s@3, d@4, x@5]\n");
}

TEST_F(BinderTest, ResultNamesAndLiteralTypes) {
  EXPECT_EQ(Columns("SELECT a, b + 1, a AS \"Alias\", a AS Folded, 0.06, 00012.50, 1, "
                    "12345678901, 123456789012345678901234, 1e3, 'x', DATE '2020-01-01', "
                    "TIMESTAMP '2020-01-01 10:00:00', -5, NULL FROM t"),
            "a:int32, (b + 1):int64, Alias:int32, folded:int32, 0.06:decimal128(3, 2), "
            "00012.50:decimal128(7, 2), 1:int32, 12345678901:int64, "
            "123456789012345678901234:decimal128(24, 0), 1e3:double, 'x':string, "
            "DATE '2020-01-01':date32[day], TIMESTAMP '2020-01-01 10:00:00':timestamp[us], "
            "(-5):int32, NULL:null");
  EXPECT_EQ(Columns("SELECT sum(a), count(*), count(DISTINCT s), min(s) AS m FROM t"),
            "sum(a):int64, count_star():int64, count(DISTINCT s):int64, m:string");
}

TEST_F(BinderTest, IdentifierFolding) {
  EXPECT_EQ(Columns("SELECT CAMELCOL, CamelCol2 FROM MIXED"), "CamelCol:int32, camelcol2:int32");
  EXPECT_EQ(Columns("SELECT \"CamelCol\" FROM \"Mixed\""), "CamelCol:int32");
  EXPECT_CONTAINS(Error("SELECT \"camelcol\" FROM mixed"), "column 'camelcol' not found");
  EXPECT_CONTAINS(Error("SELECT val FROM dup"), "column reference 'val' is ambiguous");
  EXPECT_EQ(Columns("SELECT \"Val\", \"VAL\" FROM dup"), "Val:int32, VAL:int32");
  EXPECT_EQ(Columns("SELECT A FROM T"), "a:int32");
}

TEST_F(BinderTest, IdentifierFoldingOff) {
  ASSERT_TRUE(settings_.Set("shoal.sql.enable_ident_normalization", "false").ok());
  EXPECT_EQ(Columns("SELECT CamelCol FROM Mixed"), "CamelCol:int32");
  EXPECT_CONTAINS(Error("SELECT camelcol FROM Mixed"), "column 'camelcol' not found");
}

TEST_F(BinderTest, UnknownNamesSuggestAndPoint) {
  std::string e = Error("SELECT a,\n  bb FROM t");
  EXPECT_CONTAINS(e, "column 'bb' not found; did you mean 'b'");
  EXPECT_CONTAINS(e, "line 2, column 3");
  EXPECT_CONTAINS(Error("SELECT a FROM tt"), "table 'tt' not found");
  EXPECT_CONTAINS(Error("SELECT a FROM tt"), "'t'");
  EXPECT_CONTAINS(Error("SELECT summ(a) FROM t"), "function 'summ' not found; did you mean");
  EXPECT_CONTAINS(Error("SELECT v.a FROM t"), "table 'v' not found in FROM clause");
  EXPECT_CONTAINS(Error("SELECT q FROM t"), "column 'q' not found");
}

TEST_F(BinderTest, QualifiedReferences) {
  EXPECT_EQ(Columns("SELECT t.a, public.t.b, shoal.public.t.s FROM t"),
            "a:int32, b:int64, s:string");
  EXPECT_EQ(Columns("SELECT x.a FROM t AS x"), "a:int32");
  EXPECT_CONTAINS(Error("SELECT t.a FROM t AS x"), "table 't' not found in FROM clause");
  EXPECT_CONTAINS(Error("SELECT a FROM t JOIN u ON t.a = u.a"),
                  "column reference 'a' is ambiguous; it could be 't.a' or 'u.a'");
  EXPECT_EQ(Columns("SELECT t.a, u.a FROM t, u"), "a:int32, a:int32");
  EXPECT_EQ(Columns("SELECT p, q FROM t AS x(p, q)"), "p:int32, q:int64");
  EXPECT_CONTAINS(Error("SELECT * FROM u AS x(p, q, r)"), "has 2 columns but 3 column aliases");
}

TEST_F(BinderTest, JoinUsingAndNatural) {
  EXPECT_EQ(Columns("SELECT * FROM t JOIN u USING (a)"),
            "a:int32, b:int64, s:string, d:date32[day], x:decimal128(15, 2), c:string");
  EXPECT_EQ(Columns("SELECT * FROM t NATURAL JOIN u"),
            "a:int32, b:int64, s:string, d:date32[day], x:decimal128(15, 2), c:string");
  EXPECT_EQ(Columns("SELECT t.a, u.a, a FROM t LEFT JOIN u USING (a)"),
            "a:int32, a:int32, a:int32");
  std::string full = Plan("SELECT a FROM t FULL JOIN u USING (a)");
  EXPECT_CONTAINS(full, "coalesce");
  EXPECT_CONTAINS(full, "Join: FULL ON (a@1 = a@6)");
  EXPECT_CONTAINS(Error("SELECT * FROM t JOIN u USING (zz)"),
                  "column 'zz' specified in USING does not exist in the left side");
  std::string p = Plan("SELECT t.a FROM t LEFT JOIN u ON t.a = u.a AND u.c = 'x'");
  EXPECT_CONTAINS(p, "Join: LEFT ON (a@1 = a@6) AND (c@7 = 'x')");
}

TEST_F(BinderTest, AggregatePlan) {
  EXPECT_EQ(Plan("SELECT a, sum(b) AS total FROM t GROUP BY a HAVING sum(b) > 10 "
                 "ORDER BY 2 DESC"),
            "Sort: total@9 DESC NULLS FIRST\n"
            "  Projection: a@6 AS a@8, sum(b@2)@7 AS total@9\n"
            "    Filter: (sum(b@2)@7 > CAST(10 AS int64))\n"
            "      Aggregate: groups=[a@1] aggregates=[sum(b@2)]\n"
            "        Get: t [a@1, b@2, s@3, d@4, x@5]\n");
}

TEST_F(BinderTest, AggregateErrors) {
  EXPECT_CONTAINS(Error("SELECT a FROM t WHERE sum(b) > 1"),
                  "aggregate function 'sum' is not allowed in WHERE");
  EXPECT_CONTAINS(Error("SELECT a, sum(b) FROM t"),
                  "column 't.a' must appear in the GROUP BY clause");
  EXPECT_CONTAINS(Error("SELECT sum(sum(b)) FROM t"), "aggregate function calls cannot be nested");
  EXPECT_CONTAINS(Error("SELECT a FROM t WHERE row_number() OVER () > 1"),
                  "window function 'row_number' is not allowed in WHERE");
  EXPECT_CONTAINS(Error("SELECT a FROM t GROUP BY row_number() OVER ()"),
                  "not allowed in GROUP BY");
  EXPECT_CONTAINS(Error("SELECT a FROM t ORDER BY 5"),
                  "ORDER BY position 5 is not in the select list");
  EXPECT_CONTAINS(Error("SELECT a FROM t GROUP BY 0"), "GROUP BY position 0");
  EXPECT_CONTAINS(Error("SELECT sum(b) FROM t GROUP BY 1"), "refers to an aggregate");
  EXPECT_CONTAINS(Error("SELECT a FROM t GROUP BY a ORDER BY s"),
                  "column 't.s' must appear in the GROUP BY clause");
}

TEST_F(BinderTest, GroupByAliasOrdinalAll) {
  std::string by_alias = Plan("SELECT a + 1 AS k, count(*) FROM t GROUP BY k");
  std::string by_ordinal = Plan("SELECT a + 1 AS k, count(*) FROM t GROUP BY 1");
  std::string by_all = Plan("SELECT a + 1 AS k, count(*) FROM t GROUP BY ALL");
  EXPECT_CONTAINS(by_alias, "Aggregate: groups=[(a@1 + 1)]");
  EXPECT_EQ(by_alias, by_ordinal);
  EXPECT_EQ(by_alias, by_all);
  // An expression matching a group expression is allowed.
  EXPECT_EQ(Columns("SELECT a + 1, count(*) FROM t GROUP BY a + 1"),
            "(a + 1):int32, count_star():int64");
}

TEST_F(BinderTest, GroupingSets) {
  std::string p = Plan("SELECT a, b, GROUPING(a, b) AS g, sum(x) FROM t GROUP BY ROLLUP (a, b)");
  EXPECT_CONTAINS(p, "sets=[(0, 1), (0), ()]");
  EXPECT_CONTAINS(p, "shift_right");
  EXPECT_CONTAINS(Plan("SELECT a, b FROM t GROUP BY CUBE (a, b)"),
                  "sets=[(0, 1), (0), (1), ()]");
  EXPECT_CONTAINS(Plan("SELECT a, b FROM t GROUP BY GROUPING SETS ((a), (b), ())"),
                  "sets=[(0), (1), ()]");
  EXPECT_CONTAINS(Plan("SELECT a, b FROM t GROUP BY a, ROLLUP (b)"), "sets=[(0, 1), (0)]");
  EXPECT_CONTAINS(Error("SELECT GROUPING(s) FROM t GROUP BY ROLLUP (a)"),
                  "arguments of GROUPING() must be GROUP BY expressions");
  EXPECT_CONTAINS(Error("SELECT a FROM t WHERE GROUPING(a) = 0"), "not allowed in WHERE");
}

TEST_F(BinderTest, WindowsAndQualify) {
  std::string p = Plan(
      "SELECT a, row_number() OVER (PARTITION BY b ORDER BY a) AS rn, sum(x) OVER w "
      "FROM t WINDOW w AS (PARTITION BY s) QUALIFY rn = 1");
  EXPECT_CONTAINS(p, "Window: ");
  EXPECT_CONTAINS(p, "row_number");
  EXPECT_CONTAINS(p, "Filter: ");
  // Windows over aggregates sit above the Aggregate.
  std::string q = Plan("SELECT a, sum(sum(b)) OVER (ORDER BY a) FROM t GROUP BY a");
  EXPECT_LT(q.find("Window"), q.find("Aggregate"));
  EXPECT_CONTAINS(Error("SELECT sum(x) OVER v FROM t"), "window 'v' is not defined");
  EXPECT_CONTAINS(Error("SELECT rank() FROM t"), "requires an OVER clause");
}

TEST_F(BinderTest, WindowFrames) {
  auto r = Bind("SELECT sum(a) OVER (ORDER BY a), sum(a) OVER (), "
                "sum(a) OVER (ORDER BY a ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto op = *r;
  while (op && op->kind != plan::LogicalOpKind::kWindow) op = op->children[0];
  ASSERT_TRUE(op);
  const auto& exprs = op->As<plan::LogicalWindow>().window_exprs;
  ASSERT_EQ(exprs.size(), 3u);
  const auto& w0 = static_cast<const plan::WindowExpr&>(*exprs[0]);
  const auto& w1 = static_cast<const plan::WindowExpr&>(*exprs[1]);
  const auto& w2 = static_cast<const plan::WindowExpr&>(*exprs[2]);
  EXPECT_EQ(w0.frame.unit, plan::FrameUnit::kRange);
  EXPECT_EQ(w0.frame.end.kind, plan::FrameBoundKind::kCurrentRow);
  EXPECT_FALSE(w0.has_frame);
  EXPECT_EQ(w1.frame.end.kind, plan::FrameBoundKind::kUnboundedFollowing);
  EXPECT_TRUE(w2.has_frame);
  EXPECT_EQ(w2.frame.unit, plan::FrameUnit::kRows);
  EXPECT_EQ(w2.frame.start.kind, plan::FrameBoundKind::kPreceding);
  ASSERT_TRUE(w2.frame.start.offset);
  EXPECT_EQ(w2.frame.start.offset->ToString(), "2");
}

TEST_F(BinderTest, OrderByHiddenColumnsAndNulls) {
  EXPECT_EQ(Plan("SELECT a FROM t ORDER BY b, a DESC"),
            "Projection: a@6 AS a@8\n"
            "  Sort: __hidden1@7 ASC NULLS LAST, a@6 DESC NULLS FIRST\n"
            "    Projection: a@1 AS a@6, b@2 AS __hidden1@7\n"
            "      Get: t [a@1, b@2, s@3, d@4, x@5]\n");
  EXPECT_EQ(Columns("SELECT a AS k FROM t ORDER BY k NULLS FIRST"), "k:int32");
  EXPECT_CONTAINS(Error("SELECT DISTINCT a FROM t ORDER BY b"),
                  "for SELECT DISTINCT, ORDER BY expressions must appear in the select list");
}

TEST_F(BinderTest, DistinctAndDistinctOn) {
  EXPECT_EQ(Plan("SELECT DISTINCT a, s FROM t"),
            "Aggregate: groups=[a@6, s@7] aggregates=[]\n"
            "  Projection: a@1 AS a@6, s@3 AS s@7\n"
            "    Get: t [a@1, b@2, s@3, d@4, x@5]\n");
  std::string p = Plan("SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b DESC");
  EXPECT_CONTAINS(p, "row_number");
  EXPECT_EQ(Columns("SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b DESC"),
            "a:int32, b:int64");
}

TEST_F(BinderTest, StarExcludeAndQualifiedStar) {
  EXPECT_EQ(Columns("SELECT * EXCLUDE (b, s) FROM t"), "a:int32, d:date32[day], x:decimal128(15, 2)");
  EXPECT_EQ(Columns("SELECT u.*, t.a FROM t JOIN u ON t.a = u.a"), "a:int32, c:string, a:int32");
  EXPECT_CONTAINS(Error("SELECT * EXCLUDE (zz) FROM t"), "column 'zz' in EXCLUDE not found");
  EXPECT_CONTAINS(Error("SELECT *"), "SELECT * needs a FROM clause");
}

TEST_F(BinderTest, SetOperations) {
  EXPECT_EQ(Columns("SELECT a FROM t UNION ALL SELECT b FROM t"), "a:int64");
  EXPECT_CONTAINS(Plan("SELECT a FROM t UNION SELECT b FROM t"), "CAST");
  EXPECT_CONTAINS(Error("SELECT a, b FROM t UNION SELECT a FROM t"),
                  "each UNION query must have the same number of columns");
  EXPECT_EQ(Columns("SELECT a, s FROM t UNION ALL BY NAME SELECT c, a FROM u"),
            "a:int32, s:string, c:string");
  EXPECT_EQ(Columns("SELECT a FROM t INTERSECT SELECT a FROM u ORDER BY 1 LIMIT 3"), "a:int32");
  EXPECT_EQ(Columns("SELECT a FROM t EXCEPT ALL SELECT a FROM u ORDER BY a"), "a:int32");
}

TEST_F(BinderTest, Values) {
  EXPECT_EQ(Columns("SELECT * FROM (VALUES (1, 'a'), (2, NULL)) v(x, y)"), "x:int32, y:string");
  EXPECT_EQ(Columns("VALUES (1), (12345678901)"), "column1:int64");
  EXPECT_CONTAINS(Error("VALUES (1, 2), (3)"), "same");
  EXPECT_EQ(Plan("SELECT 1 + 2 AS three"),
            "Projection: (1 + 2) AS three@1\n"
            "  Values: 1 rows ()\n");
}

TEST_F(BinderTest, CommonTableExpressions) {
  std::string p = Plan("WITH c AS (SELECT a FROM t) SELECT * FROM c JOIN c AS c2 USING (a)");
  // Each reference is bound separately (inlined): two scans with distinct ids.
  EXPECT_CONTAINS(p, "Get: t [a@1,");
  EXPECT_CONTAINS(p, "Get: t [a@7,");
  EXPECT_EQ(Columns("WITH t AS (SELECT 1 AS z) SELECT * FROM t"), "z:int32");
  EXPECT_EQ(Columns("WITH c(k) AS (SELECT a FROM t) SELECT k FROM c"), "k:int32");
  EXPECT_CONTAINS(Error("WITH c AS (SELECT 1), c AS (SELECT 2) SELECT 1"),
                  "specified more than once");
}

TEST_F(BinderTest, RecursiveCte) {
  std::string p = Plan(
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
      "SELECT n FROM r");
  EXPECT_CONTAINS(p, "RecursiveCte: r #0 UNION ALL");
  EXPECT_CONTAINS(p, "CteRef");
  // WITH RECURSIVE without self reference is an ordinary CTE.
  EXPECT_EQ(Plan("WITH RECURSIVE c AS (SELECT 1 AS z) SELECT z FROM c").find("Recursive"),
            std::string::npos);
}

TEST_F(BinderTest, Subqueries) {
  auto r = Bind("SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a) "
                "AND b IN (SELECT a FROM u) AND x > (SELECT avg(x) FROM t AS t2)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto op = *r;
  while (op && op->kind != plan::LogicalOpKind::kFilter) op = op->children[0];
  ASSERT_TRUE(op);
  const auto& conds = op->As<plan::LogicalFilter>().conditions;
  ASSERT_EQ(conds.size(), 3u);
  ASSERT_EQ(conds[0]->kind, plan::ExprKind::kSubquery);
  const auto& exists = static_cast<const plan::SubqueryExpr&>(*conds[0]);
  EXPECT_EQ(exists.subquery_kind, plan::SubqueryKind::kExists);
  EXPECT_EQ(exists.correlated_columns, std::vector<plan::ColumnId>{1});  // t.a
  ASSERT_EQ(conds[1]->kind, plan::ExprKind::kSubquery);
  const auto& in = static_cast<const plan::SubqueryExpr&>(*conds[1]);
  EXPECT_EQ(in.subquery_kind, plan::SubqueryKind::kIn);
  EXPECT_TRUE(in.correlated_columns.empty());
  EXPECT_TRUE(in.operand->type->Equals(*in.plan->output[0].type));
  EXPECT_CONTAINS(Error("SELECT (SELECT a, c FROM u) FROM t"),
                  "subquery must return exactly one column");
  // A correlated subquery above an aggregate reads the group column.
  EXPECT_EQ(Columns("SELECT a, (SELECT count(*) FROM u WHERE u.a = t.a) AS n FROM t GROUP BY a"),
            "a:int32, n:int64");
  EXPECT_CONTAINS(Error("SELECT a, (SELECT count(*) FROM u WHERE u.c = t.s) FROM t GROUP BY a"),
                  "ungrouped column 't.s'");
}

TEST_F(BinderTest, ViewsAndRecursion) {
  ViewDefinition v;
  v.sql = "SELECT a, s FROM t WHERE a > 1";
  v.column_names = {"k", "name"};
  ASSERT_TRUE(catalog_.RegisterView({"v"}, v).ok());
  EXPECT_EQ(Columns("SELECT k, v.name FROM v"), "k:int32, name:string");
  ASSERT_TRUE(catalog_.RegisterView({"v1"}, ViewDefinition{"SELECT * FROM v2", {}}).ok());
  ASSERT_TRUE(catalog_.RegisterView({"v2"}, ViewDefinition{"SELECT * FROM v1", {}}).ok());
  EXPECT_CONTAINS(Error("SELECT * FROM v1"), "is defined recursively");
  ASSERT_TRUE(catalog_.RegisterView({"bad"}, ViewDefinition{"SELECT nope FROM t", {}}).ok());
  EXPECT_CONTAINS(Error("SELECT * FROM bad"), "column 'nope' not found");
}

TEST_F(BinderTest, PathsAndTableFunctions) {
  EXPECT_CONTAINS(Error("SELECT * FROM 'data/x.parquet'"), "shoal.runtime.allow_url_tables");
  allow_paths_ = true;
  EXPECT_EQ(Columns("SELECT x, y, data.x FROM 'dir/data.parquet'"), "x:int64, y:string, x:int64");
  EXPECT_CONTAINS(Error("SELECT * FROM 'missing.parquet'"), "file not found");
  EXPECT_EQ(Columns("SELECT n FROM read_test('a', 1)"), "n:int32");
  EXPECT_CONTAINS(Error("SELECT * FROM read_nope(1)"), "table function 'read_nope' not found");
  EXPECT_CONTAINS(Error("SELECT * FROM read_test(a)"), "column 'a' not found");
}

TEST_F(BinderTest, Intervals) {
  auto r = Bind("SELECT INTERVAL '1 day 2 hours', INTERVAL '3' DAY, "
                "INTERVAL '1-2' YEAR TO MONTH, INTERVAL '1 year 2 months 3 days'");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& proj = (*r)->As<plan::LogicalProjection>();
  auto value = [&](int i) {
    auto lit = std::static_pointer_cast<const plan::LiteralExpr>(proj.exprs[i]);
    return std::static_pointer_cast<arrow::MonthDayNanoIntervalScalar>(lit->value)->value;
  };
  EXPECT_EQ(value(0).days, 1);
  EXPECT_EQ(value(0).nanoseconds, 2LL * 3600 * 1000000000LL);
  EXPECT_EQ(value(1).days, 3);
  EXPECT_EQ(value(2).months, 14);
  EXPECT_EQ(value(3).months, 14);
  EXPECT_EQ(value(3).days, 3);
  EXPECT_CONTAINS(Error("SELECT INTERVAL '1 fortnight'"), "unknown interval unit 'fortnight'");
}

TEST_F(BinderTest, LimitOffset) {
  EXPECT_EQ(Plan("SELECT a FROM t LIMIT 10 OFFSET 5"),
            "Limit: limit=10 offset=5\n"
            "  Projection: a@1 AS a@6\n"
            "    Get: t [a@1, b@2, s@3, d@4, x@5]\n");
  EXPECT_CONTAINS(Plan("SELECT a FROM t LIMIT 2 * 5"), "Limit: limit=10");
  EXPECT_CONTAINS(Error("SELECT a FROM t LIMIT -1"), "LIMIT must not be negative");
  EXPECT_CONTAINS(Error("SELECT a FROM t LIMIT a"), "column 'a' not found");
  EXPECT_CONTAINS(Error("SELECT a FROM t LIMIT 'x'"), "LIMIT must be an integer");
}

TEST_F(BinderTest, TypeErrors) {
  EXPECT_CONTAINS(Error("SELECT * FROM t WHERE d > 5"), "cannot compare DATE and INTEGER in '(d > 5)'");
  EXPECT_CONTAINS(Error("SELECT * FROM t WHERE a"), "WHERE condition must be boolean");
  EXPECT_CONTAINS(Error("SELECT CASE WHEN a THEN 1 END FROM t"), "CASE WHEN condition must be boolean");
}

TEST_F(BinderTest, ExpressionForms) {
  EXPECT_EQ(Columns("SELECT a BETWEEN 1 AND 2, a NOT IN (1, 2), a IN (b, 3), s LIKE 'x%', "
                    "s NOT ILIKE 'y', a IS NULL, (a > 1) IS TRUE, a IS DISTINCT FROM b, "
                    "CASE a WHEN 1 THEN 'one' ELSE 'other' END AS c, CAST(a AS BIGINT), "
                    "TRY_CAST(s AS INTEGER), a::VARCHAR, coalesce(a, b) FROM t"),
            "(a BETWEEN 1 AND 2):bool, (a NOT IN (1, 2)):bool, (a IN (b, 3)):bool, "
            "(s LIKE 'x%'):bool, (s NOT ILIKE 'y'):bool, (a IS NULL):bool, "
            "((a > 1) IS TRUE):bool, (a IS DISTINCT FROM b):bool, c:string, "
            "CAST(a AS BIGINT):int64, TRY_CAST(s AS INTEGER):int32, CAST(a AS VARCHAR):string, "
            "coalesce(a, b):int64");
}

TEST_F(BinderTest, DeepExpressionsDoNotCrash) {
  std::string sql = "SELECT ";
  for (int i = 0; i < 3000; ++i) sql += "(";
  sql += "1";
  for (int i = 0; i < 3000; ++i) sql += ")";
  auto r = Bind(sql);  // the parser or the binder may refuse; neither may crash
  (void)r;
  std::string ors = "SELECT a FROM t WHERE a = 0";
  for (int i = 1; i < 2000; ++i) ors += " OR a = " + std::to_string(i);
  auto r2 = Bind(ors);
  EXPECT_TRUE(r2.ok()) << r2.status().ToString();
}

TEST_F(BinderTest, StandaloneExpressionAndTypes) {
  auto base = Bind("SELECT a, s FROM t");
  ASSERT_TRUE(base.ok());
  auto expr = ParseExpression("a + 1 > 3 AND s LIKE 'x%'");
  ASSERT_TRUE(expr.ok());
  Binder binder(BinderContext{&catalog_, &settings_, "", nullptr, nullptr});
  auto bound = binder.BindStandaloneExpression(**expr, *base);
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  EXPECT_TRUE((*bound)->type->Equals(*arrow::boolean()));
  auto agg = ParseExpression("sum(a)");
  ASSERT_TRUE(agg.ok());
  EXPECT_FALSE(binder.BindStandaloneExpression(**agg, *base).ok());
  ast::TypeName tn;
  tn.name = "decimal";
  tn.params = {10, 3};
  auto type = binder.BindType(tn);
  ASSERT_TRUE(type.ok());
  EXPECT_TRUE((*type)->Equals(*arrow::decimal128(10, 3)));
}

TEST_F(BinderTest, OddQueriesGiveErrorsNotCrashes) {
  const char* queries[] = {
      "SELECT count(*) FROM t",
      "SELECT 1 FROM t HAVING count(*) > 0",
      "SELECT a FROM t GROUP BY ()",
      "SELECT sum(a) FILTER (WHERE b > 1) FROM t",
      "SELECT string_agg(s, ',' ORDER BY a) FROM t",
      "SELECT * FROM t WHERE a = ANY (SELECT a FROM u)",
      "SELECT * FROM t WHERE a > ALL (SELECT a FROM u WHERE u.c = t.s)",
      "SELECT (SELECT max(b) FROM t AS t2 WHERE t2.a = t.a) FROM t ORDER BY 1",
      "SELECT a, rank() OVER (ORDER BY sum(b)) FROM t GROUP BY a",
      "SELECT * FROM t, LATERAL (SELECT t.a) AS l",
      "SELECT * FROM t SEMI JOIN u ON t.a = u.a",
      "SELECT * FROM t ANTI JOIN u USING (a)",
      "SELECT [1, 2, 3], [a, 2] FROM t",
      "SELECT $1",
      "SELECT a FROM t GROUP BY a ORDER BY count(*) DESC, a",
      "SELECT DISTINCT ON (s) s, a FROM t",
      "WITH RECURSIVE r AS (SELECT 1 AS n UNION SELECT n + 1 FROM r) SELECT * FROM r, r AS r2",
      "SELECT CAST('1 day' AS INTERVAL)",
      "SELECT * FROM (SELECT a FROM t) ORDER BY a",
      "SELECT a FROM t UNION SELECT a FROM u ORDER BY a + 1",
      "SELECT x FROM (SELECT 1 AS x) q WHERE x IN (SELECT x)",
      "SELECT ntile(4) OVER (PARTITION BY a ORDER BY b RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM t",
      "SELECT sum(a) OVER (ORDER BY a, b RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
      "SELECT a FROM t WHERE NULL",
      "SELECT CASE WHEN NULL THEN 1 END",
      "SELECT a FROM t LIMIT NULL",
  };
  for (const char* q : queries) {
    auto r = Bind(q);
    if (r.ok()) {
      EXPECT_FALSE((*r)->output.empty()) << q;
      EXPECT_FALSE(plan::PlanToString(*r).empty()) << q;
    } else {
      EXPECT_FALSE(r.status().message().empty()) << q;
      if (getenv("SHOAL_BINDER_VERBOSE")) std::cerr << q << "\n  -> " << r.status().message() << "\n";
    }
  }
  EXPECT_CONTAINS(Error("SELECT * FROM t, LATERAL (SELECT t.a) AS l"),
                  "LATERAL subqueries are not supported");
  EXPECT_CONTAINS(Error("SELECT $1"), "parameters");
  EXPECT_CONTAINS(Error("SELECT sum(a) OVER (ORDER BY a, b RANGE BETWEEN 1 PRECEDING AND "
                        "CURRENT ROW) FROM t"),
                  "RANGE with an offset needs exactly one ORDER BY column");
  EXPECT_EQ(Error("SELECT a, rank() OVER (ORDER BY sum(b)) FROM t GROUP BY a"), "");
  EXPECT_EQ(Error("SELECT a FROM t GROUP BY a ORDER BY count(*) DESC, a"), "");
}

}  // namespace
}  // namespace shoal
