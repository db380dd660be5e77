#include "shoal/optimizer/decorrelate_subqueries.h"

#include <gtest/gtest.h>

#include "optimizer_test_util.h"

namespace shoal::opt::testing {
namespace {

using B = PlanBuilder;

class DecorrelateTest : public OptimizerTestBase {
 protected:
  void SetUp() override {
    orders = b.Get("orders", {{"o_orderkey", arrow::int64()}, {"o_custkey", arrow::int64()}}, 1500);
    lineitem = b.Get("lineitem",
                     {{"l_orderkey", arrow::int64()},
                      {"l_suppkey", arrow::int64()},
                      {"l_quantity", arrow::float64()}},
                     6000);
  }
  LogicalOpPtr orders, lineitem;
};

TEST_F(DecorrelateTest, Name) {
  EXPECT_EQ(DecorrelateSubqueries().name(), "decorrelate_subqueries");
}

TEST_F(DecorrelateTest, CorrelatedExistsBecomesSemiJoin) {
  auto sub = B::Filter(lineitem, {B::Eq(B::Col(lineitem, "l_orderkey"), B::Col(orders, "o_orderkey"))});
  LogicalOpPtr plan = B::Filter(
      orders, {B::Subquery(SubqueryKind::kExists, sub, false, nullptr, {orders->output[0].id})});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(PlanToString(plan),
            "Join: SEMI ON (l_orderkey@3 = o_orderkey@1)\n"
            "  Get: orders [o_orderkey@1, o_custkey@2]\n"
            "  Get: lineitem [l_orderkey@3, l_suppkey@4, l_quantity@5]\n");
}

TEST_F(DecorrelateTest, NotExistsWithNonEqualityBecomesAntiJoin) {
  // Q21 shape: NOT EXISTS (SELECT * FROM lineitem l3 WHERE l3.l_orderkey = l1.l_orderkey
  //                        AND l3.l_suppkey <> l1.l_suppkey AND l3.l_quantity > 5)
  auto l3 = b.Get("lineitem", {{"l_orderkey", arrow::int64()},
                               {"l_suppkey", arrow::int64()},
                               {"l_quantity", arrow::float64()}});
  auto sub = B::Filter(
      l3, {B::Eq(B::Col(l3, "l_orderkey"), B::Col(lineitem, "l_orderkey")),
           B::Ne(B::Col(l3, "l_suppkey"), B::Col(lineitem, "l_suppkey")),
           B::Gt(B::Col(l3, "l_quantity"), MakeLiteral(std::make_shared<arrow::DoubleScalar>(5)))});
  auto proj = b.Project(sub, {B::Col(l3, "l_orderkey")}, {"l_orderkey"});
  LogicalOpPtr plan = B::Filter(lineitem, {B::Subquery(SubqueryKind::kExists, proj, true)});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  EXPECT_TRUE(changed);
  ASSERT_EQ(plan->kind, LogicalOpKind::kJoin);
  const auto& j = plan->As<LogicalJoin>();
  EXPECT_EQ(j.join_type, JoinType::kAnti);
  EXPECT_EQ(j.conditions.size(), 2u);
  // The uncorrelated condition stays inside the subquery.
  ASSERT_EQ(plan->children[1]->kind, LogicalOpKind::kFilter);
  EXPECT_EQ(plan->children[1]->As<LogicalFilter>().conditions.size(), 1u);
  EXPECT_FALSE(HasSubquery(plan));
}

TEST_F(DecorrelateTest, CorrelatedScalarAggregateBecomesAggregateAndJoin) {
  // Q17 shape: WHERE l_quantity < (SELECT 0.2 * avg(l2.l_quantity) FROM lineitem l2
  //                                 WHERE l2.l_orderkey = orders.o_orderkey)
  auto l2 = b.Get("lineitem", {{"l_orderkey", arrow::int64()}, {"l_quantity", arrow::float64()}});
  auto inner = B::Filter(l2, {B::Eq(B::Col(l2, "l_orderkey"), B::Col(orders, "o_orderkey"))});
  auto agg = b.Aggregate(inner, {}, {B::Agg("avg", {B::Col(l2, "l_quantity")}, arrow::float64())},
                         {"avg_q"});
  auto scaled = b.Project(
      agg,
      {B::Call("multiply", {MakeLiteral(std::make_shared<arrow::DoubleScalar>(0.2)), B::Col(agg, "avg_q")},
               arrow::float64(), "*")},
      {"x"});
  auto outer = b.Join(JoinType::kInner, orders, lineitem,
                      {B::Eq(B::Col(orders, "o_orderkey"), B::Col(lineitem, "l_orderkey"))});
  auto filter = B::Filter(outer, {B::Lt(B::Col(lineitem, "l_quantity"),
                                        B::Subquery(SubqueryKind::kScalar, scaled))});
  LogicalOpPtr plan = b.Project(filter, {B::Col(lineitem, "l_quantity")}, {"q"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_FALSE(HasSubquery(plan));
  auto a = FindOp(plan, LogicalOpKind::kAggregate);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->As<LogicalAggregate>().groups.size(), 1u);
  EXPECT_EQ(a->As<LogicalAggregate>().groups[0]->ToString(), "l_orderkey@6");
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  ASSERT_EQ(joins.size(), 2u);
  EXPECT_EQ(joins[0]->join_type, JoinType::kLeft);
  ASSERT_EQ(joins[0]->conditions.size(), 1u);
  EXPECT_NE(joins[0]->conditions[0]->ToString().find("o_orderkey@1"), std::string::npos);
  // Nothing per outer row: no filter inside the aggregate's input references outer ids.
  EXPECT_EQ(CountOps(a, LogicalOpKind::kFilter), 0);
}

TEST_F(DecorrelateTest, CorrelatedCountGetsZeroForMissingGroups) {
  // SELECT o_orderkey, (SELECT count(*) FROM lineitem WHERE l_orderkey = o_orderkey) FROM orders
  auto inner = B::Filter(lineitem, {B::Eq(B::Col(lineitem, "l_orderkey"), B::Col(orders, "o_orderkey"))});
  auto agg = b.Aggregate(inner, {}, {B::Agg("count", {}, arrow::int64())}, {"n"});
  LogicalOpPtr plan = b.Project(
      orders, {B::Col(orders, "o_orderkey"), B::Subquery(SubqueryKind::kScalar, agg)}, {"k", "n"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  EXPECT_TRUE(changed);
  ASSERT_EQ(plan->kind, LogicalOpKind::kProjection);
  const auto& e = plan->As<LogicalProjection>().exprs[1];
  EXPECT_EQ(e->kind, ExprKind::kCase) << e->ToString();
  EXPECT_NE(e->ToString().find("THEN 0"), std::string::npos) << e->ToString();
}

TEST_F(DecorrelateTest, UncorrelatedScalarAggregateIsACrossJoin) {
  auto agg = b.Aggregate(lineitem, {}, {B::Agg("max", {B::Col(lineitem, "l_quantity")}, arrow::float64())});
  LogicalOpPtr plan = B::Filter(
      orders, {B::Lt(MakeLiteral(std::make_shared<arrow::DoubleScalar>(1)),
                     B::Subquery(SubqueryKind::kScalar, agg))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  EXPECT_TRUE(changed);
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0]->join_type, JoinType::kInner);
  EXPECT_TRUE(joins[0]->conditions.empty());
  // The root keeps the outer columns only.
  EXPECT_EQ(plan->output.size(), 2u);
}

TEST_F(DecorrelateTest, UncorrelatedScalarWithoutAggregateIsASingleJoin) {
  auto proj = b.Project(lineitem, {B::Col(lineitem, "l_quantity")}, {"q"});
  LogicalOpPtr plan = b.Project(orders, {B::Subquery(SubqueryKind::kScalar, proj)}, {"q"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  ASSERT_EQ(joins.size(), 1u);
  EXPECT_EQ(joins[0]->join_type, JoinType::kSingle);
}

TEST_F(DecorrelateTest, InBecomesSemiJoinAndNotInUsesMarkJoin) {
  auto keys = b.Project(lineitem, {B::Col(lineitem, "l_orderkey")}, {"k"});
  LogicalOpPtr in_plan = B::Filter(
      orders, {B::Subquery(SubqueryKind::kIn, keys, false, B::Col(orders, "o_orderkey"))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&in_plan));
  ASSERT_EQ(in_plan->kind, LogicalOpKind::kJoin);
  EXPECT_EQ(in_plan->As<LogicalJoin>().join_type, JoinType::kSemi);

  // NOT IN over nullable columns: null-aware mark join + NOT mark.
  auto keys2 = b.Project(lineitem, {B::Col(lineitem, "l_orderkey")}, {"k"});
  LogicalOpPtr not_in = B::Filter(
      orders, {B::Subquery(SubqueryKind::kIn, keys2, true, B::Col(orders, "o_orderkey"))});
  ASSERT_OK_AND_ASSIGN(changed, Apply<DecorrelateSubqueries>(&not_in));
  auto j = FindOp(not_in, LogicalOpKind::kJoin);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->As<LogicalJoin>().join_type, JoinType::kMark);
  EXPECT_TRUE(j->As<LogicalJoin>().mark_null_aware);
  auto f = FindOp(not_in, LogicalOpKind::kFilter);
  ASSERT_TRUE(f);
  EXPECT_NE(f->Describe().find("NOT mark@"), std::string::npos) << f->Describe();
  EXPECT_EQ(not_in->output.size(), 2u);

  // NOT IN over non-nullable columns: plain anti join.
  auto o2 = b.Get("orders", {{"o_orderkey", arrow::int64()}}, 10, /*nullable=*/false);
  auto l2 = b.Get("lineitem", {{"l_orderkey", arrow::int64()}}, 10, /*nullable=*/false);
  LogicalOpPtr anti = B::Filter(
      o2, {B::Subquery(SubqueryKind::kIn, l2, true, B::Col(o2, "o_orderkey"))});
  ASSERT_OK_AND_ASSIGN(changed, Apply<DecorrelateSubqueries>(&anti));
  ASSERT_EQ(anti->kind, LogicalOpKind::kJoin);
  EXPECT_EQ(anti->As<LogicalJoin>().join_type, JoinType::kAnti);
}

TEST_F(DecorrelateTest, ExistsInSelectListUsesMarkJoin) {
  auto sub = B::Filter(lineitem, {B::Eq(B::Col(lineitem, "l_orderkey"), B::Col(orders, "o_orderkey"))});
  LogicalOpPtr plan =
      b.Project(orders, {B::Subquery(SubqueryKind::kExists, sub)}, {"has_lines"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  auto j = FindOp(plan, LogicalOpKind::kJoin);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->As<LogicalJoin>().join_type, JoinType::kMark);
  EXPECT_FALSE(j->As<LogicalJoin>().mark_null_aware);
  EXPECT_EQ(j->As<LogicalJoin>().conditions.size(), 1u);
  EXPECT_EQ(plan->As<LogicalProjection>().exprs[0]->kind, ExprKind::kColumnRef);
}

TEST_F(DecorrelateTest, UnsupportedCorrelationIsAClearError) {
  // Correlation below a LIMIT cannot be pulled up.
  auto sub = B::Limit(
      B::Filter(lineitem, {B::Eq(B::Col(lineitem, "l_orderkey"), B::Col(orders, "o_orderkey"))}), 1,
      1);
  auto proj = b.Project(sub, {B::Col(lineitem, "l_quantity")}, {"q"});
  LogicalOpPtr plan = b.Project(orders, {B::Subquery(SubqueryKind::kScalar, proj)}, {"q"});
  auto r = Apply<DecorrelateSubqueries>(&plan);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unsupported correlated subquery"), std::string::npos)
      << r.status().message();
}

TEST_F(DecorrelateTest, ExistsOverScalarAggregateIsAlwaysTrue) {
  auto inner = B::Filter(lineitem, {B::Eq(B::Col(lineitem, "l_orderkey"), B::Col(orders, "o_orderkey"))});
  auto agg = b.Aggregate(inner, {}, {B::Agg("count", {}, arrow::int64())});
  LogicalOpPtr plan = B::Filter(orders, {B::Subquery(SubqueryKind::kExists, agg)});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  EXPECT_EQ(plan->kind, LogicalOpKind::kGet);
}

TEST_F(DecorrelateTest, PlanWithoutSubqueriesIsUnchanged) {
  LogicalOpPtr plan = B::Filter(orders, {B::Gt(B::Col(orders, "o_orderkey"), B::Int(3))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<DecorrelateSubqueries>(&plan));
  EXPECT_FALSE(changed);
}

}  // namespace
}  // namespace shoal::opt::testing
