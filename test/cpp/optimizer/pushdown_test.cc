// push_down_filters, push_down_projections, push_down_limits.
#include <gtest/gtest.h>

#include "optimizer_test_util.h"
#include "shoal/optimizer/push_down_filters.h"
#include "shoal/optimizer/push_down_limits.h"
#include "shoal/optimizer/push_down_projections.h"

namespace shoal::opt::testing {
namespace {

using B = PlanBuilder;

class PushDownTest : public OptimizerTestBase {
 protected:
  void SetUp() override {
    t = b.Get("t", {{"a", arrow::int64()}, {"b", arrow::int64()}, {"c", arrow::utf8()}});
    u = b.Get("u", {{"x", arrow::int64()}, {"y", arrow::int64()}});
  }
  LogicalOpPtr t, u;
};

TEST_F(PushDownTest, Names) {
  EXPECT_EQ(PushDownFilters().name(), "push_down_filters");
  EXPECT_EQ(PushDownProjections().name(), "push_down_projections");
  EXPECT_EQ(PushDownLimits().name(), "push_down_limits");
}

TEST_F(PushDownTest, CrossJoinPlusEqualityBecomesInnerJoin) {
  auto cross = b.Join(JoinType::kInner, t, u, {});
  LogicalOpPtr plan = B::Filter(cross, {MakeAnd(B::Eq(B::Col(t, "a"), B::Col(u, "x")),
                                                B::Gt(B::Col(t, "b"), B::Int(5))),
                                        B::Lt(B::Col(u, "y"), B::Int(3))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownFilters>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Join: INNER ON (a@1 = x@4)\n"
            "  Filter: (b@2 > 5)\n"
            "    Get: t [a@1, b@2, c@3] filters=[(b@2 > 5)]\n"
            "  Filter: (y@5 < 3)\n"
            "    Get: u [x@4, y@5] filters=[(y@5 < 3)]\n");
  // Running again changes nothing.
  ASSERT_OK_AND_ASSIGN(changed, Apply<PushDownFilters>(&plan));
  EXPECT_FALSE(changed);
}

TEST_F(PushDownTest, OuterJoinsOnlyTakePreservedSideTerms) {
  auto left = b.Join(JoinType::kLeft, t, u, {B::Eq(B::Col(t, "a"), B::Col(u, "x")),
                                             B::Gt(B::Col(u, "y"), B::Int(1)),
                                             B::Gt(B::Col(t, "b"), B::Int(2))});
  LogicalOpPtr plan = B::Filter(
      left, {B::Gt(B::Col(t, "a"), B::Int(0)), B::Call("is_null", {B::Col(u, "y")}, arrow::boolean())});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownFilters>(&plan));
  EXPECT_TRUE(changed);
  // The y IS NULL term stays above the join; a > 0 goes left; the ON term on u
  // goes into u; the ON term on t stays in the join.
  EXPECT_EQ(PlanToString(plan),
            "Filter: is_null(y@5)\n"
            "  Join: LEFT ON (a@1 = x@4) AND (b@2 > 2)\n"
            "    Filter: (a@1 > 0)\n"
            "      Get: t [a@1, b@2, c@3] filters=[(a@1 > 0)]\n"
            "    Filter: (y@5 > 1)\n"
            "      Get: u [x@4, y@5] filters=[(y@5 > 1)]\n");
}

TEST_F(PushDownTest, NullRejectingFilterTurnsOuterJoinInner) {
  auto left = b.Join(JoinType::kLeft, t, u, {B::Eq(B::Col(t, "a"), B::Col(u, "x"))});
  LogicalOpPtr plan = B::Filter(left, {B::Lt(B::Col(u, "y"), B::Col(t, "b"))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownFilters>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Join: INNER ON (y@5 < b@2) AND (a@1 = x@4)\n"
            "  Get: t [a@1, b@2, c@3]\n"
            "  Get: u [x@4, y@5]\n");
}

TEST_F(PushDownTest, DisjunctionsImplyPredicatesOnEachSide) {
  // (a = 1 AND x = 2) OR (a = 3 AND x = 4) across a join: each side gets an OR
  // of its own terms; the original stays on the join.
  auto cross = b.Join(JoinType::kInner, t, u, {});
  auto d1 = MakeAnd(B::Eq(B::Col(t, "a"), B::Int(1)), B::Eq(B::Col(u, "x"), B::Int(2)));
  auto d2 = MakeAnd(B::Eq(B::Col(t, "a"), B::Int(3)), B::Eq(B::Col(u, "x"), B::Int(4)));
  LogicalOpPtr plan = B::Filter(cross, {B::Call("or_kleene", {d1, d2}, arrow::boolean(), "OR")});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownFilters>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(CountOps(plan, LogicalOpKind::kFilter), 2) << PlanToString(plan);
  ASSERT_OK_AND_ASSIGN(changed, Apply<PushDownFilters>(&plan));
  EXPECT_FALSE(changed) << PlanToString(plan);
}

TEST_F(PushDownTest, ThroughProjectionAndAggregate) {
  auto agg = b.Aggregate(t, {B::Col(t, "a")}, {B::Agg("sum", {B::Col(t, "b")}, arrow::int64())},
                         {"a", "s"});
  auto proj = b.Project(agg, {B::Col(agg, "a"), B::Col(agg, "s")}, {"k", "total"});
  LogicalOpPtr plan = B::Filter(proj, {B::Gt(B::Col(proj, "k"), B::Int(1)),
                                       B::Gt(B::Col(proj, "total"), B::Int(100))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownFilters>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Projection: a@6 AS k@8, s@7 AS total@9\n"
            "  Filter: (s@7 > 100)\n"
            "    Aggregate: groups=[a@1] aggregates=[sum(b@2)]\n"
            "      Filter: (a@1 > 1)\n"
            "        Get: t [a@1, b@2, c@3] filters=[(a@1 > 1)]\n");
}

TEST_F(PushDownTest, NotBelowLimit) {
  LogicalOpPtr plan = B::Filter(B::Limit(t, 10), {B::Gt(B::Col(t, "a"), B::Int(1))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownFilters>(&plan));
  EXPECT_FALSE(changed);
  EXPECT_EQ(plan->kind, LogicalOpKind::kFilter);
}

TEST_F(PushDownTest, ProjectionPruningNarrowsScans) {
  auto j = b.Join(JoinType::kInner, t, u, {B::Eq(B::Col(t, "a"), B::Col(u, "x"))});
  LogicalOpPtr plan = b.Project(j, {B::Col(t, "c")}, {"c"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownProjections>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Projection: c@3 AS c@6\n"
            "  Join: INNER ON (a@1 = x@4)\n"
            "    Get: t [a@1, c@3]\n"
            "    Get: u [x@4]\n");
  EXPECT_EQ(FindOp(plan, LogicalOpKind::kGet)->As<LogicalGet>().projection, (std::vector<int>{0, 2}));
}

TEST_F(PushDownTest, ProjectionPruningDropsUnusedAggregates) {
  auto agg = b.Aggregate(t, {B::Col(t, "a")},
                         {B::Agg("sum", {B::Col(t, "b")}, arrow::int64()),
                          B::Agg("max", {B::Col(t, "c")}, arrow::utf8())},
                         {"a", "s", "m"});
  LogicalOpPtr plan = b.Project(agg, {B::Col(agg, "s")}, {"s"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownProjections>(&plan));
  EXPECT_TRUE(changed);
  auto a = FindOp(plan, LogicalOpKind::kAggregate);
  EXPECT_EQ(a->As<LogicalAggregate>().aggregates.size(), 1u);
  EXPECT_EQ(FindOp(plan, LogicalOpKind::kGet)->output.size(), 2u);
}

TEST_F(PushDownTest, RootColumnsSurvivePruning) {
  LogicalOpPtr plan = B::Filter(t, {B::Gt(B::Col(t, "a"), B::Int(1))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownProjections>(&plan));
  EXPECT_FALSE(changed);
  EXPECT_EQ(plan->output.size(), 3u);
}

TEST_F(PushDownTest, SortPlusLimitBecomesTopN) {
  LogicalOpPtr plan = B::Limit(B::Sort(t, B::Col(t, "a")), 5, 2);
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownLimits>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "TopN: limit=5 offset=2 a@1 ASC NULLS LAST\n"
            "  Get: t [a@1, b@2, c@3]\n");
}

TEST_F(PushDownTest, LimitIntoScanAndUnionAll) {
  LogicalOpPtr plan = B::Limit(b.Project(t, {B::Col(t, "a")}, {"a"}), 10, 5);
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownLimits>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Projection: a@1 AS a@6\n"
            "  Limit: limit=10 offset=5\n"
            "    Get: t [a@1, b@2, c@3] limit=15\n");

  auto un = std::make_shared<LogicalSetOperation>();
  un->op = SetOpKind::kUnion;
  un->all = true;
  un->children = {b.Project(t, {B::Col(t, "a")}, {"a"}), b.Project(u, {B::Col(u, "x")}, {"x"})};
  un->output = {{b.NextId(), "a", arrow::int64(), true, ""}};
  LogicalOpPtr plan2 = B::Limit(un, 3);
  ASSERT_OK_AND_ASSIGN(changed, Apply<PushDownLimits>(&plan2));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan2->kind, LogicalOpKind::kLimit);
  EXPECT_EQ(CountOps(plan2, LogicalOpKind::kLimit), 3);
  ASSERT_OK_AND_ASSIGN(changed, Apply<PushDownLimits>(&plan2));
  EXPECT_FALSE(changed);
}

TEST_F(PushDownTest, LimitZeroIsEmpty) {
  LogicalOpPtr plan = B::Limit(t, 0);
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<PushDownLimits>(&plan));
  EXPECT_EQ(plan->kind, LogicalOpKind::kEmpty);
}

}  // namespace
}  // namespace shoal::opt::testing
