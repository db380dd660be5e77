// MERGE INTO: clause kinds, conditions, UPDATE SET * / INSERT *, printing back,
// and errors.
#include <gtest/gtest.h>

#include "parser_test_util.h"
#include "shoal/parser/printer.h"

namespace shoal {
namespace {

using testing::ParseError;
using testing::ParseOne;

TEST(MergeTest, AllClauseKinds) {
  auto stmt = ParseOne(
      "MERGE INTO db.t AS x USING (SELECT * FROM s) AS s ON x.id = s.id "
      "WHEN MATCHED AND s.v < 0 THEN DELETE "
      "WHEN MATCHED THEN UPDATE SET v = s.v, x.w = 1 "
      "WHEN NOT MATCHED BY TARGET AND s.id > 5 THEN INSERT (id, v) VALUES (s.id, s.v) "
      "WHEN NOT MATCHED THEN INSERT * "
      "WHEN NOT MATCHED BY SOURCE AND x.id < 3 THEN UPDATE SET v = 0 "
      "WHEN NOT MATCHED BY SOURCE THEN DELETE");
  ASSERT_EQ(stmt->kind, ast::StatementKind::kMerge);
  const auto& m = static_cast<const ast::MergeStatement&>(*stmt);
  EXPECT_EQ(m.target.parts.size(), 2u);
  ASSERT_TRUE(m.target_alias);
  EXPECT_EQ(m.target_alias->name, "x");
  ASSERT_TRUE(m.source->alias);
  EXPECT_EQ(m.source->alias->name, "s");
  ASSERT_EQ(m.clauses.size(), 6u);
  using C = ast::MergeClause;
  EXPECT_EQ(m.clauses[0].match, C::kMatched);
  EXPECT_EQ(m.clauses[0].action, C::kDelete);
  EXPECT_TRUE(m.clauses[0].condition);
  EXPECT_EQ(m.clauses[1].action, C::kUpdate);
  ASSERT_EQ(m.clauses[1].assignments.size(), 2u);
  EXPECT_EQ(m.clauses[1].assignments[1].first.name, "w");
  EXPECT_EQ(m.clauses[2].match, C::kNotMatched);
  EXPECT_EQ(m.clauses[2].insert_columns.size(), 2u);
  EXPECT_EQ(m.clauses[3].action, C::kInsertAll);
  EXPECT_EQ(m.clauses[4].match, C::kNotMatchedBySource);
  EXPECT_EQ(m.clauses[5].action, C::kDelete);
  // Printing gives text that parses to the same statement.
  std::string printed = ToSql(*stmt);
  EXPECT_EQ(ToSql(*ParseOne(printed)), printed);
  EXPECT_NE(printed.find("WHEN NOT MATCHED BY SOURCE AND"), std::string::npos);
}

TEST(MergeTest, UpdateSetStarAndPlainTable) {
  auto stmt = ParseOne("MERGE INTO t USING src ON t.k = src.k WHEN MATCHED THEN UPDATE SET *");
  const auto& m = static_cast<const ast::MergeStatement&>(*stmt);
  EXPECT_FALSE(m.target_alias);
  EXPECT_EQ(m.clauses[0].action, ast::MergeClause::kUpdateAll);
}

TEST(MergeTest, DeleteAndUpdateAliases) {
  auto del = ParseOne("DELETE FROM db.t AS x WHERE x.a = 1");
  const auto& d = static_cast<const ast::DeleteStatement&>(*del);
  ASSERT_TRUE(d.alias);
  EXPECT_EQ(d.alias->name, "x");
  EXPECT_EQ(ToSql(*del), "DELETE FROM db.t AS x WHERE x.a = 1");
  auto del2 = ParseOne("DELETE FROM t y");
  EXPECT_EQ(static_cast<const ast::DeleteStatement&>(*del2).alias->name, "y");
  EXPECT_FALSE(static_cast<const ast::DeleteStatement&>(*ParseOne("DELETE FROM t")).alias);

  auto upd = ParseOne("UPDATE t AS x SET a = x.a + 1 WHERE x.a = 1");
  const auto& u = static_cast<const ast::UpdateStatement&>(*upd);
  ASSERT_TRUE(u.alias);
  EXPECT_EQ(u.alias->name, "x");
  EXPECT_EQ(ToSql(*upd), "UPDATE t AS x SET a = x.a + 1 WHERE x.a = 1");
  EXPECT_EQ(static_cast<const ast::UpdateStatement&>(*ParseOne("UPDATE t x SET a = 1"))
                .alias->name,
            "x");
  // SET is not reserved but is never taken for an alias.
  auto plain_stmt = ParseOne("UPDATE t SET a = 1");
  const auto& plain = static_cast<const ast::UpdateStatement&>(*plain_stmt);
  EXPECT_FALSE(plain.alias);
  EXPECT_EQ(plain.assignments.size(), 1u);
}

TEST(MergeTest, Errors) {
  EXPECT_NE(ParseError("MERGE INTO t USING s ON t.k = s.k").find("WHEN MATCHED"),
            std::string::npos);
  EXPECT_NE(ParseError("MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED THEN DELETE")
                .find("INSERT after WHEN NOT MATCHED"),
            std::string::npos);
  EXPECT_NE(ParseError("MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED BY SOURCE THEN "
                       "UPDATE SET *")
                .find("not allowed"),
            std::string::npos);
  EXPECT_NE(ParseError("MERGE INTO t USING s ON t.k = s.k WHEN NOT MATCHED THEN INSERT (a, b) "
                       "VALUES (1)")
                .find("names 2 columns but gives 1 values"),
            std::string::npos);
}

}  // namespace
}  // namespace shoal
