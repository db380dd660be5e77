// Query parsing: SELECT clauses, FROM, joins, grouping, set operations, WITH, LIMIT.
#include <gtest/gtest.h>

#include "parser_test_util.h"

namespace shoal {
namespace {

using testing::Dump;
using testing::ParseQueryOrDie;
using testing::SelectOf;

template <typename T>
const T& As(const ast::TableRef& ref) {
  return static_cast<const T&>(ref);
}

TEST(QueryTest, SelectListAliasesAndStars) {
  auto q = ParseQueryOrDie("SELECT a, b AS x, c y, \"Z\" \"Quoted\", *, t.* EXCLUDE (p, q), "
                           "* EXCLUDE r, 1 AS 'lit' FROM t");
  ASSERT_TRUE(q);
  const auto& s = SelectOf(*q);
  ASSERT_EQ(s.select_list.size(), 8u);
  EXPECT_FALSE(s.select_list[0].alias.has_value());
  EXPECT_EQ(s.select_list[1].alias->name, "x");
  EXPECT_EQ(s.select_list[2].alias->name, "y");
  EXPECT_EQ(s.select_list[3].alias->name, "Quoted");
  EXPECT_TRUE(s.select_list[3].alias->quoted);
  EXPECT_EQ(Dump(*s.select_list[4].expr), "*");
  EXPECT_EQ(Dump(*s.select_list[5].expr), "t.* EXCLUDE(p,q)");
  EXPECT_EQ(Dump(*s.select_list[6].expr), "* EXCLUDE(r)");
  EXPECT_EQ(s.select_list[7].alias->name, "lit");
  EXPECT_FALSE(s.distinct);
  EXPECT_EQ(s.from->kind, ast::TableRefKind::kBaseTable);
}

TEST(QueryTest, DistinctAndDistinctOn) {
  auto q = ParseQueryOrDie("SELECT DISTINCT a FROM t");
  EXPECT_TRUE(SelectOf(*q).distinct);
  EXPECT_TRUE(SelectOf(*q).distinct_on.empty());
  q = ParseQueryOrDie("SELECT DISTINCT ON (a, b) a, c FROM t ORDER BY a");
  EXPECT_TRUE(SelectOf(*q).distinct);
  EXPECT_EQ(SelectOf(*q).distinct_on.size(), 2u);
  q = ParseQueryOrDie("SELECT ALL a FROM t");
  EXPECT_FALSE(SelectOf(*q).distinct);
}

TEST(QueryTest, SelectWithoutFrom) {
  auto q = ParseQueryOrDie("SELECT 1 + 1");
  EXPECT_EQ(SelectOf(*q).from, nullptr);
}

TEST(QueryTest, AllClauses) {
  auto q = ParseQueryOrDie(
      "SELECT a, sum(b) OVER w FROM t WHERE c > 1 GROUP BY a HAVING count(*) > 2 "
      "WINDOW w AS (PARTITION BY a), w2 AS (w ORDER BY b) QUALIFY rank() OVER w = 1 "
      "ORDER BY a DESC NULLS LAST, 2 LIMIT 10 OFFSET 5");
  ASSERT_TRUE(q);
  const auto& s = SelectOf(*q);
  EXPECT_EQ(Dump(*s.where), "(> c 1)");
  ASSERT_EQ(s.group_by.size(), 1u);
  EXPECT_EQ(s.group_by[0].kind, ast::GroupingKind::kPlain);
  EXPECT_EQ(Dump(*s.having), "(> count(*) 2)");
  ASSERT_EQ(s.windows.size(), 2u);
  EXPECT_EQ(s.windows[0].name.name, "w");
  EXPECT_EQ(s.windows[1].spec->name->name, "w");
  EXPECT_EQ(s.windows[1].spec->order_by.size(), 1u);
  EXPECT_EQ(Dump(*s.qualify), "(= rank(){over w} 1)");
  ASSERT_EQ(q->order_by.size(), 2u);
  EXPECT_FALSE(q->order_by[0].ascending);
  EXPECT_EQ(q->order_by[0].nulls_first, std::optional<bool>(false));
  EXPECT_TRUE(q->order_by[1].ascending);
  EXPECT_FALSE(q->order_by[1].nulls_first.has_value());
  EXPECT_EQ(Dump(*q->limit), "10");
  EXPECT_EQ(Dump(*q->offset), "5");
}

TEST(QueryTest, LimitForms) {
  auto q = ParseQueryOrDie("SELECT a FROM t LIMIT ALL");
  EXPECT_EQ(q->limit, nullptr);
  q = ParseQueryOrDie("SELECT a FROM t OFFSET 3 ROWS FETCH FIRST 7 ROWS ONLY");
  EXPECT_EQ(Dump(*q->limit), "7");
  EXPECT_EQ(Dump(*q->offset), "3");
  q = ParseQueryOrDie("SELECT a FROM t FETCH NEXT ROW ONLY");
  EXPECT_EQ(Dump(*q->limit), "1");
  q = ParseQueryOrDie("SELECT a FROM t OFFSET 2 LIMIT 4");
  EXPECT_EQ(Dump(*q->limit), "4");
  EXPECT_EQ(Dump(*q->offset), "2");
  EXPECT_NE(testing::ParseError("SELECT 1 LIMIT 1 LIMIT 2").find("LIMIT given more than once"),
            std::string::npos);
}

TEST(QueryTest, GroupingForms) {
  auto q = ParseQueryOrDie(
      "SELECT 1 FROM t GROUP BY a, ROLLUP (b, c), CUBE (d), GROUPING SETS ((a, b), (a), (), e)");
  const auto& g = SelectOf(*q).group_by;
  ASSERT_EQ(g.size(), 4u);
  EXPECT_EQ(g[0].kind, ast::GroupingKind::kPlain);
  EXPECT_EQ(g[1].kind, ast::GroupingKind::kRollup);
  EXPECT_EQ(g[1].exprs.size(), 2u);
  EXPECT_EQ(g[2].kind, ast::GroupingKind::kCube);
  EXPECT_EQ(g[3].kind, ast::GroupingKind::kGroupingSets);
  ASSERT_EQ(g[3].sets.size(), 4u);
  EXPECT_EQ(g[3].sets[0].size(), 2u);
  EXPECT_EQ(g[3].sets[1].size(), 1u);
  EXPECT_EQ(g[3].sets[2].size(), 0u);
  EXPECT_EQ(Dump(*g[3].sets[3][0]), "e");
  q = ParseQueryOrDie("SELECT a, count(*) FROM t GROUP BY ALL");
  ASSERT_EQ(SelectOf(*q).group_by.size(), 1u);
  EXPECT_EQ(SelectOf(*q).group_by[0].kind, ast::GroupingKind::kAll);
  // a column called rollup is still a column
  q = ParseQueryOrDie("SELECT 1 FROM t GROUP BY rollup");
  EXPECT_EQ(SelectOf(*q).group_by[0].kind, ast::GroupingKind::kPlain);
}

TEST(QueryTest, CommaJoinsAreCrossJoins) {
  auto q = ParseQueryOrDie("SELECT * FROM a, b AS bb, c cc");
  const auto& from = *SelectOf(*q).from;
  ASSERT_EQ(from.kind, ast::TableRefKind::kJoin);
  const auto& outer = As<ast::JoinRef>(from);
  EXPECT_EQ(outer.join_type, ast::JoinType::kCross);
  EXPECT_EQ(outer.right->alias->name, "cc");
  const auto& inner = As<ast::JoinRef>(*outer.left);
  EXPECT_EQ(inner.join_type, ast::JoinType::kCross);
  EXPECT_EQ(As<ast::BaseTableRef>(*inner.left).name.parts[0].name, "a");
  EXPECT_EQ(inner.right->alias->name, "bb");
}

TEST(QueryTest, JoinTypes) {
  struct Case {
    const char* sql;
    ast::JoinType type;
  };
  for (const auto& c : std::vector<Case>{
           {"a JOIN b ON a.x = b.x", ast::JoinType::kInner},
           {"a INNER JOIN b ON true", ast::JoinType::kInner},
           {"a LEFT JOIN b ON true", ast::JoinType::kLeft},
           {"a LEFT OUTER JOIN b ON true", ast::JoinType::kLeft},
           {"a RIGHT OUTER JOIN b ON true", ast::JoinType::kRight},
           {"a FULL JOIN b ON true", ast::JoinType::kFull},
           {"a FULL OUTER JOIN b ON true", ast::JoinType::kFull},
           {"a CROSS JOIN b", ast::JoinType::kCross},
           {"a SEMI JOIN b ON true", ast::JoinType::kSemi},
           {"a ANTI JOIN b ON true", ast::JoinType::kAnti},
           {"a LEFT SEMI JOIN b ON true", ast::JoinType::kSemi},
           {"a LEFT ANTI JOIN b ON true", ast::JoinType::kAnti},
       }) {
    auto q = ParseQueryOrDie(std::string("SELECT * FROM ") + c.sql);
    ASSERT_TRUE(q) << c.sql;
    const auto& j = As<ast::JoinRef>(*SelectOf(*q).from);
    EXPECT_EQ(j.join_type, c.type) << c.sql;
    EXPECT_EQ(j.condition != nullptr, c.type != ast::JoinType::kCross) << c.sql;
  }
}

TEST(QueryTest, JoinUsingNaturalAndNesting) {
  auto q = ParseQueryOrDie("SELECT * FROM a JOIN b USING (x, y) NATURAL LEFT JOIN c");
  const auto& outer = As<ast::JoinRef>(*SelectOf(*q).from);
  EXPECT_TRUE(outer.natural);
  EXPECT_EQ(outer.join_type, ast::JoinType::kLeft);
  EXPECT_EQ(outer.condition, nullptr);
  const auto& inner = As<ast::JoinRef>(*outer.left);
  ASSERT_EQ(inner.using_columns.size(), 2u);
  EXPECT_EQ(inner.using_columns[1].name, "y");

  q = ParseQueryOrDie("SELECT * FROM a, b JOIN c ON b.x = c.x");
  const auto& top = As<ast::JoinRef>(*SelectOf(*q).from);
  EXPECT_EQ(top.join_type, ast::JoinType::kCross);
  EXPECT_EQ(top.right->kind, ast::TableRefKind::kJoin);

  q = ParseQueryOrDie("SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) AS bc ON a.x = bc.x");
  const auto& j = As<ast::JoinRef>(*SelectOf(*q).from);
  EXPECT_EQ(j.right->kind, ast::TableRefKind::kJoin);
  EXPECT_EQ(j.right->alias->name, "bc");
  EXPECT_NE(testing::ParseError("SELECT * FROM a JOIN b").find("expected ON or USING"),
            std::string::npos);
}

TEST(QueryTest, SubqueriesLateralValuesFunctionsPaths) {
  auto q = ParseQueryOrDie(
      "SELECT * FROM (SELECT 1 AS x) AS s(y), LATERAL (SELECT s.y) l, "
      "(VALUES (1, 'a'), (2, 'b')) AS v(n, s), read_parquet('f.parquet', true) AS r, "
      "'data/x.parquet', generate_series(1, 3)");
  const ast::TableRef* ref = SelectOf(*q).from.get();
  std::vector<const ast::TableRef*> items;
  while (ref->kind == ast::TableRefKind::kJoin) {
    const auto& j = As<ast::JoinRef>(*ref);
    items.insert(items.begin(), j.right.get());
    ref = j.left.get();
  }
  items.insert(items.begin(), ref);
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0]->kind, ast::TableRefKind::kSubquery);
  EXPECT_EQ(items[0]->alias->name, "s");
  ASSERT_EQ(items[0]->column_aliases.size(), 1u);
  EXPECT_EQ(items[0]->column_aliases[0].name, "y");
  EXPECT_TRUE(As<ast::SubqueryRef>(*items[1]).lateral);
  EXPECT_EQ(items[2]->kind, ast::TableRefKind::kValues);
  EXPECT_EQ(As<ast::ValuesRef>(*items[2]).rows.size(), 2u);
  EXPECT_EQ(items[2]->column_aliases.size(), 2u);
  EXPECT_EQ(items[3]->kind, ast::TableRefKind::kTableFunction);
  EXPECT_EQ(As<ast::TableFunctionRef>(*items[3]).args.size(), 2u);
  EXPECT_EQ(items[3]->alias->name, "r");
  const auto& path = As<ast::BaseTableRef>(*items[4]);
  EXPECT_TRUE(path.is_path);
  EXPECT_EQ(path.path, "data/x.parquet");
  EXPECT_EQ(As<ast::TableFunctionRef>(*items[5]).name.parts[0].name, "generate_series");
  EXPECT_NE(testing::ParseError("SELECT * FROM LATERAL t").find("LATERAL must be followed"),
            std::string::npos);
}

TEST(QueryTest, TimeTravel) {
  auto q = ParseQueryOrDie("SELECT * FROM t VERSION AS OF 3 AS old");
  const auto& b = As<ast::BaseTableRef>(*SelectOf(*q).from);
  ASSERT_TRUE(b.time_travel.has_value());
  EXPECT_EQ(b.time_travel->kind, ast::TimeTravel::kVersion);
  EXPECT_EQ(Dump(*b.time_travel->value), "3");
  EXPECT_EQ(b.alias->name, "old");
  q = ParseQueryOrDie("SELECT * FROM db.t TIMESTAMP AS OF '2024-01-01 00:00:00'");
  const auto& c = As<ast::BaseTableRef>(*SelectOf(*q).from);
  EXPECT_EQ(c.time_travel->kind, ast::TimeTravel::kTimestamp);
  EXPECT_EQ(c.name.parts.size(), 2u);
  EXPECT_FALSE(c.alias.has_value());
}

TEST(QueryTest, SetOperationPrecedence) {
  auto q = ParseQueryOrDie("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3");
  ASSERT_EQ(q->body->kind, ast::QueryNodeKind::kSetOperation);
  const auto& u = static_cast<const ast::SetOperationNode&>(*q->body);
  EXPECT_EQ(u.op, ast::SetOpKind::kUnion);
  EXPECT_EQ(u.right->body->kind, ast::QueryNodeKind::kSetOperation);
  EXPECT_EQ(static_cast<const ast::SetOperationNode&>(*u.right->body).op,
            ast::SetOpKind::kIntersect);

  q = ParseQueryOrDie("SELECT 1 EXCEPT ALL SELECT 2 UNION ALL BY NAME SELECT 3 ORDER BY 1 LIMIT 2");
  const auto& top = static_cast<const ast::SetOperationNode&>(*q->body);
  EXPECT_EQ(top.op, ast::SetOpKind::kUnion);
  EXPECT_TRUE(top.all);
  EXPECT_TRUE(top.by_name);
  const auto& left = static_cast<const ast::SetOperationNode&>(*top.left->body);
  EXPECT_EQ(left.op, ast::SetOpKind::kExcept);
  EXPECT_TRUE(left.all);
  EXPECT_EQ(q->order_by.size(), 1u);
  EXPECT_NE(q->limit, nullptr);

  q = ParseQueryOrDie("SELECT 1 UNION (SELECT 2 UNION SELECT 3)");
  const auto& p = static_cast<const ast::SetOperationNode&>(*q->body);
  EXPECT_EQ(p.left->body->kind, ast::QueryNodeKind::kSelect);
  EXPECT_EQ(p.right->body->kind, ast::QueryNodeKind::kSetOperation);
  EXPECT_FALSE(p.all);

  q = ParseQueryOrDie("(SELECT a FROM t ORDER BY a LIMIT 3) UNION DISTINCT (SELECT b FROM u)");
  const auto& s = static_cast<const ast::SetOperationNode&>(*q->body);
  EXPECT_EQ(s.left->order_by.size(), 1u);
  EXPECT_NE(s.left->limit, nullptr);
  EXPECT_EQ(q->limit, nullptr);
}

TEST(QueryTest, ParenthesizedQueriesMergeOrWrap) {
  auto q = ParseQueryOrDie("(SELECT a FROM t) ORDER BY a LIMIT 1");
  EXPECT_EQ(q->body->kind, ast::QueryNodeKind::kSelect);
  EXPECT_EQ(q->order_by.size(), 1u);
  // The inner LIMIT must apply first, so the outer one wraps the query.
  q = ParseQueryOrDie("(SELECT a FROM t LIMIT 5) LIMIT 2");
  const auto& outer = SelectOf(*q);
  ASSERT_NE(outer.from, nullptr);
  ASSERT_EQ(outer.from->kind, ast::TableRefKind::kSubquery);
  EXPECT_EQ(Dump(*As<ast::SubqueryRef>(*outer.from).query->limit), "5");
  EXPECT_EQ(Dump(*q->limit), "2");
}

TEST(QueryTest, ValuesAsQuery) {
  auto q = ParseQueryOrDie("VALUES (1, 'a'), (2, 'b')");
  ASSERT_EQ(q->body->kind, ast::QueryNodeKind::kValues);
  EXPECT_EQ(static_cast<const ast::ValuesNode&>(*q->body).rows.size(), 2u);
  EXPECT_NE(testing::ParseError("VALUES (1, 2), (3)").find("VALUES rows must all have the same"),
            std::string::npos);
}

TEST(QueryTest, CommonTableExpressions) {
  auto q = ParseQueryOrDie(
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5), "
      "m AS MATERIALIZED (SELECT 2), nm AS NOT MATERIALIZED (SELECT 3) SELECT * FROM r");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->recursive);
  ASSERT_EQ(q->ctes.size(), 3u);
  EXPECT_EQ(q->ctes[0].name.name, "r");
  ASSERT_EQ(q->ctes[0].column_names.size(), 1u);
  EXPECT_EQ(q->ctes[0].column_names[0].name, "n");
  EXPECT_FALSE(q->ctes[0].materialized.has_value());
  EXPECT_EQ(q->ctes[1].materialized, std::optional<bool>(true));
  EXPECT_EQ(q->ctes[2].materialized, std::optional<bool>(false));
  EXPECT_EQ(q->ctes[0].query->body->kind, ast::QueryNodeKind::kSetOperation);
  // Nested WITH inside a subquery
  q = ParseQueryOrDie("SELECT * FROM (WITH x AS (SELECT 1) SELECT * FROM x) s");
  const auto& sub = As<ast::SubqueryRef>(*SelectOf(*q).from);
  EXPECT_EQ(sub.query->ctes.size(), 1u);
}

TEST(QueryTest, Locations) {
  auto q = ParseQueryOrDie("SELECT a,\n       b\nFROM t\nWHERE x");
  const auto& s = SelectOf(*q);
  EXPECT_EQ(q->loc.offset, 0);
  EXPECT_EQ(s.select_list[1].expr->loc.line, 2);
  EXPECT_EQ(s.select_list[1].expr->loc.column, 8);
  EXPECT_EQ(s.from->loc.line, 3);
  EXPECT_EQ(s.from->loc.column, 6);
  EXPECT_EQ(s.where->loc.line, 4);
  EXPECT_EQ(s.where->loc.column, 7);
}

TEST(QueryTest, KeywordsAsNames) {
  // Non-reserved words work as column, table and alias names.
  auto q = ParseQueryOrDie("SELECT year, month, name, value, key, type, first, last FROM data d");
  EXPECT_EQ(SelectOf(*q).select_list.size(), 8u);
  EXPECT_EQ(SelectOf(*q).from->alias->name, "d");
  q = ParseQueryOrDie("SELECT \"select\" FROM \"from\"");
  EXPECT_EQ(Dump(*SelectOf(*q).select_list[0].expr), "\"select\"");
}

}  // namespace
}  // namespace shoal
