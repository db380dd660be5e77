#include "shoal/optimizer/join_reorder.h"

#include <gtest/gtest.h>

#include "optimizer_test_util.h"
#include "shoal/optimizer/cardinality.h"

namespace shoal::opt::testing {
namespace {

using B = PlanBuilder;

class JoinReorderTest : public OptimizerTestBase {};

TEST_F(JoinReorderTest, Name) { EXPECT_EQ(JoinReorder().name(), "join_reorder"); }

/// Return the set of table names under `op`.
std::string Tables(const LogicalOpPtr& op) {
  if (op->kind == LogicalOpKind::kGet) return op->As<LogicalGet>().table_name;
  std::string out;
  for (const auto& c : op->children) {
    if (!out.empty()) out += ",";
    out += Tables(c);
  }
  return out;
}

TEST_F(JoinReorderTest, AvoidsCrossProductsAndBuildsOnSmallSide) {
  // fact(1e6) - dim1(100) - dim2(1000) written as (dim1 x dim2) join fact: the
  // original order starts with a cross product.
  auto fact = b.Get("fact", {{"d1", arrow::int64()}, {"d2", arrow::int64()}, {"v", arrow::int64()}},
                    1000000);
  auto dim1 = b.Get("dim1", {{"k1", arrow::int64()}, {"n1", arrow::utf8()}}, 100);
  auto dim2 = b.Get("dim2", {{"k2", arrow::int64()}, {"n2", arrow::utf8()}}, 1000);
  auto cross = b.Join(JoinType::kInner, dim1, dim2, {});
  auto top = b.Join(JoinType::kInner, cross, fact,
                    {B::Eq(B::Col(fact, "d1"), B::Col(dim1, "k1")),
                     B::Eq(B::Col(fact, "d2"), B::Col(dim2, "k2"))});
  LogicalOpPtr plan = top;
  const auto before_output = plan->OutputIds();
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  EXPECT_TRUE(changed);
  // Same columns in the same order (a projection restores the order).
  EXPECT_EQ(plan->OutputIds(), before_output);
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  ASSERT_EQ(joins.size(), 2u);
  for (const auto& j : joins) {
    EXPECT_FALSE(j->conditions.empty()) << PlanToString(plan);  // no cross product
    EXPECT_TRUE(j->build_right);
    EXPECT_LE(*j->children[1]->estimated_rows, *j->children[0]->estimated_rows);
  }
  // fact is joined with the smaller dimension first and probes.
  EXPECT_EQ(Tables(joins[1]), "fact,dim1") << PlanToString(plan);
  EXPECT_TRUE(plan->estimated_rows.has_value());
}

TEST_F(JoinReorderTest, LeftJoinIsMirroredWhenTheRightSideIsBigger) {
  auto small = b.Get("small", {{"k", arrow::int64()}}, 10);
  auto big = b.Get("big", {{"k", arrow::int64()}, {"v", arrow::int64()}}, 100000);
  LogicalOpPtr plan = b.Join(JoinType::kLeft, small, big, {B::Eq(B::Col(small, "k"), B::Col(big, "k"))});
  const auto before_output = plan->OutputIds();
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan->OutputIds(), before_output);
  auto j = FindOp(plan, LogicalOpKind::kJoin);
  EXPECT_EQ(j->As<LogicalJoin>().join_type, JoinType::kRight);
  EXPECT_EQ(Tables(j), "big,small");
  // Applying again keeps it.
  ASSERT_OK_AND_ASSIGN(changed, Apply<JoinReorder>(&plan));
  EXPECT_FALSE(changed);
}

TEST_F(JoinReorderTest, InnerJoinOfTwoPicksBuildSide) {
  auto small = b.Get("small", {{"k", arrow::int64()}}, 10);
  auto big = b.Get("big", {{"k", arrow::int64()}}, 100000);
  LogicalOpPtr plan = b.Join(JoinType::kInner, small, big, {B::Eq(B::Col(small, "k"), B::Col(big, "k"))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  EXPECT_TRUE(changed);
  auto j = FindOp(plan, LogicalOpKind::kJoin);
  // Either the inputs were swapped or the build side flipped: small is built.
  const auto& jj = j->As<LogicalJoin>();
  const auto& build = jj.build_right ? j->children[1] : j->children[0];
  EXPECT_EQ(Tables(build), "small");
}

TEST_F(JoinReorderTest, CardinalityHeuristics) {
  auto t = b.Get("t", {{"a", arrow::int64()}, {"b", arrow::int64()}}, 1000);
  LogicalOpPtr f = B::Filter(t, {B::Eq(B::Col(t, "a"), B::Int(1)), B::Lt(B::Col(t, "b"), B::Int(5))});
  auto info = EstimateCardinality(*f);
  EXPECT_NEAR(info.rows, 1000 * 0.1 * 0.3, 1e-6);
  auto u = b.Get("u", {{"a", arrow::int64()}}, std::nullopt);  // unknown size
  EXPECT_NEAR(EstimateCardinality(*u).rows, 1000, 1e-6);
  // FK join: 1000 x 100 / min(1000, 100) = 1000.
  auto d = b.Get("d", {{"k", arrow::int64()}}, 100);
  LogicalOpPtr j = b.Join(JoinType::kInner, t, d, {B::Eq(B::Col(t, "a"), B::Col(d, "k"))});
  EXPECT_NEAR(EstimateCardinality(*j).rows, 1000, 1e-6);
}

}  // namespace
}  // namespace shoal::opt::testing
