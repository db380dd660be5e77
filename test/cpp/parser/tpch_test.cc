// The 22 TPC-H queries in bench/tpch/queries parse, and print back stably.
#include <gtest/gtest.h>

#include <cstdio>

#include "parser_test_util.h"

namespace shoal {
namespace {

class TpchQueryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TpchQueryTest, ParsesAndRoundTrips) {
  std::string dir = testing::FindTpchQueryDir();
  if (dir.empty()) GTEST_SKIP() << "bench/tpch/queries not found from the current directory";
  std::string path = dir + "/" + GetParam() + ".sql";
  std::string sql = testing::ReadFile(path);
  ASSERT_FALSE(sql.empty()) << "cannot read " << path;
  auto r = ParseSql(sql);
  ASSERT_TRUE(r.ok()) << path << ": " << r.status().ToString();
  if (GetParam() == "q15_view") {
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0]->kind, ast::StatementKind::kCreateView);
    EXPECT_EQ((*r)[1]->kind, ast::StatementKind::kSelect);
    EXPECT_EQ((*r)[2]->kind, ast::StatementKind::kDrop);
    const auto& view = static_cast<const ast::CreateViewStatement&>(*(*r)[0]);
    EXPECT_EQ(view.columns.size(), 2u);
    EXPECT_EQ(view.query_text.rfind("SELECT", 0), 0u);
    EXPECT_EQ(view.query_text.back(), 'y');  // ends with "l_suppkey", not the ';'
  } else {
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0]->kind, ast::StatementKind::kSelect);
  }
  testing::CheckRoundTrip(sql);
  testing::CheckRoundTrip(sql, SqlDialect::kDuckDB);
}

std::vector<std::string> QueryNames() {
  std::vector<std::string> names;
  for (int i = 1; i <= 22; ++i) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "q%02d", i);
    names.push_back(buf);
  }
  names.push_back("q15_view");
  return names;
}

INSTANTIATE_TEST_SUITE_P(Tpch, TpchQueryTest, ::testing::ValuesIn(QueryNames()),
                         [](const auto& info) { return info.param; });

TEST(TpchShapeTest, SpotChecks) {
  std::string dir = testing::FindTpchQueryDir();
  if (dir.empty()) GTEST_SKIP() << "bench/tpch/queries not found";
  // Q1: the DELTA parameter became a date minus a 90 day interval.
  auto q1 = ParseSql(testing::ReadFile(dir + "/q01.sql"));
  ASSERT_TRUE(q1.ok());
  const auto& s1 = static_cast<const ast::SelectStatement&>(*(*q1)[0]);
  const auto& sel = testing::SelectOf(*s1.query);
  EXPECT_EQ(testing::Dump(*sel.where),
            "(<= l_shipdate (- date'1998-12-01' interval'90' day))");
  EXPECT_EQ(sel.group_by.size(), 2u);
  EXPECT_EQ(sel.select_list.size(), 10u);
  // Q22: SUBSTRING(x FROM 1 FOR 2) became substring(x, 1, 2).
  auto q22 = ParseSql(testing::ReadFile(dir + "/q22.sql"));
  ASSERT_TRUE(q22.ok());
  std::string printed = ToSql(*(*q22)[0]);
  EXPECT_NE(printed.find("substring(c_phone, 1, 2)"), std::string::npos) << printed;
}

}  // namespace
}  // namespace shoal
