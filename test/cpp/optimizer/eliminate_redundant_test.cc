#include "shoal/optimizer/eliminate_redundant.h"

#include <gtest/gtest.h>

#include "optimizer_test_util.h"
#include "shoal/optimizer/plan_util.h"

namespace shoal::opt::testing {
namespace {

using B = PlanBuilder;

class EliminateTest : public OptimizerTestBase {
 protected:
  void SetUp() override { t = b.Get("t", {{"a", arrow::int64()}, {"b", arrow::int64()}}); }
  LogicalOpPtr t;
};

TEST_F(EliminateTest, Name) { EXPECT_EQ(EliminateRedundant().name(), "eliminate_redundant"); }

TEST_F(EliminateTest, RemovesIdentityProjectionAndMergesFilters) {
  auto f1 = B::Filter(t, {B::Gt(B::Col(t, "a"), B::Int(1))});
  auto f2 = B::Filter(f1, {B::Lt(B::Col(t, "b"), B::Int(2))});
  auto ident = MakePassThrough(f2, f2->output);
  LogicalOpPtr plan = b.Project(ident, {B::Col(t, "b")}, {"b"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<EliminateRedundant>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Projection: b@2 AS b@3\n"
            "  Filter: (a@1 > 1) AND (b@2 < 2)\n"
            "    Get: t [a@1, b@2]\n");
  ASSERT_OK_AND_ASSIGN(changed, Apply<EliminateRedundant>(&plan));
  EXPECT_FALSE(changed);
}

TEST_F(EliminateTest, MergesProjections) {
  auto inner = b.Project(t, {B::Call("add", {B::Col(t, "a"), B::Int(1)}, arrow::int64(), "+"),
                             B::Col(t, "b")},
                         {"a1", "b"});
  LogicalOpPtr plan = b.Project(inner, {B::Col(inner, "a1"), B::Col(inner, "b"), B::Col(inner, "b")},
                                {"x", "y", "z"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<EliminateRedundant>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Projection: (a@1 + 1) AS x@5, b@2 AS y@6, b@2 AS z@7\n"
            "  Get: t [a@1, b@2]\n");
  // An expensive expression used twice is not inlined.
  auto inner2 = b.Project(t, {B::Call("add", {B::Col(t, "a"), B::Int(1)}, arrow::int64(), "+")},
                          {"a1"});
  LogicalOpPtr plan2 = b.Project(
      inner2, {B::Call("multiply", {B::Col(inner2, "a1"), B::Col(inner2, "a1")}, arrow::int64(), "*")},
      {"sq"});
  ASSERT_OK_AND_ASSIGN(changed, Apply<EliminateRedundant>(&plan2));
  EXPECT_FALSE(changed);
}

TEST_F(EliminateTest, RemovesSortUnderAggregate) {
  auto agg = b.Aggregate(B::Sort(t, B::Col(t, "a")), {B::Col(t, "a")},
                         {B::Agg("sum", {B::Col(t, "b")}, arrow::int64())});
  LogicalOpPtr plan = agg;
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<EliminateRedundant>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(CountOps(plan, LogicalOpKind::kSort), 0);
  // string_agg depends on the order: the sort stays.
  LogicalOpPtr plan2 = b.Aggregate(B::Sort(t, B::Col(t, "a")), {},
                                   {B::Agg("string_agg", {B::Col(t, "a")}, arrow::utf8())});
  ASSERT_OK_AND_ASSIGN(changed, Apply<EliminateRedundant>(&plan2));
  EXPECT_EQ(CountOps(plan2, LogicalOpKind::kSort), 1);
}

TEST_F(EliminateTest, PropagatesEmpty) {
  auto u = b.Get("u", {{"x", arrow::int64()}});
  auto j = b.Join(JoinType::kInner, t, MakeEmptyLike(*u), {B::Eq(B::Col(t, "a"), B::Col(u, "x"))});
  LogicalOpPtr plan = b.Project(j, {B::Col(t, "a")}, {"a"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<EliminateRedundant>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan->kind, LogicalOpKind::kEmpty);
  // Anti join with an empty right side is its left input.
  LogicalOpPtr anti = b.Join(JoinType::kAnti, t, MakeEmptyLike(*u), {});
  ASSERT_OK_AND_ASSIGN(changed, Apply<EliminateRedundant>(&anti));
  EXPECT_EQ(anti->kind, LogicalOpKind::kGet);
}

}  // namespace
}  // namespace shoal::opt::testing
