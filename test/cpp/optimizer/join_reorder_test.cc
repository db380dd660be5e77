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

TEST_F(JoinReorderTest, LeftJoinBuildsOnTheSmallerSide) {
  auto small = b.Get("small", {{"k", arrow::int64()}}, 10);
  auto big = b.Get("big", {{"k", arrow::int64()}, {"v", arrow::int64()}}, 100000);
  LogicalOpPtr plan = b.Join(JoinType::kLeft, small, big, {B::Eq(B::Col(small, "k"), B::Col(big, "k"))});
  const auto before_output = plan->OutputIds();
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan->OutputIds(), before_output);
  auto j = FindOp(plan, LogicalOpKind::kJoin);
  EXPECT_EQ(j->As<LogicalJoin>().join_type, JoinType::kLeft);
  EXPECT_FALSE(j->As<LogicalJoin>().build_right);
  EXPECT_EQ(Tables(j), "small,big");
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
  auto t = b.Get("t", {{"a", arrow::int64()}, {"b", arrow::int64()}}, 100000);
  LogicalOpPtr f = B::Filter(t, {B::Eq(B::Col(t, "a"), B::Int(1)), B::Lt(B::Col(t, "b"), B::Int(5))});
  auto info = EstimateCardinality(*f);
  EXPECT_NEAR(info.rows, 100000 * 0.1 * 0.3, 1e-6);
  EXPECT_NEAR(info.columns.at(B::Col(t, "a")->type ? f->output[0].id : 0).ndv, 1, 1e-9);
  // Tiny domains (a 25-row table): equality with a constant keeps one row.
  auto nation = b.Get("nation", {{"n_name", arrow::utf8()}}, 25);
  LogicalOpPtr fn = B::Filter(nation, {B::Eq(B::Col(nation, "n_name"), B::Str("FRANCE"))});
  EXPECT_NEAR(EstimateCardinality(*fn).rows, 1, 1e-6);
  auto u = b.Get("u", {{"a", arrow::int64()}}, std::nullopt);  // unknown size
  EXPECT_NEAR(EstimateCardinality(*u).rows, 1000, 1e-6);
  // FK join: 100000 x 100 / max(ndv) = 100000 (the key side's domain bounds both).
  auto d = b.Get("d", {{"k", arrow::int64()}}, 100);
  LogicalOpPtr j = b.Join(JoinType::kInner, t, d, {B::Eq(B::Col(t, "a"), B::Col(d, "k"))});
  EXPECT_NEAR(EstimateCardinality(*j).rows, 100000, 1e-6);
}

TEST_F(JoinReorderTest, LikeSelectivityFollowsThePattern) {
  EXPECT_NEAR(LikeSelectivity("forest%", nullptr), 0.1, 1e-9);
  EXPECT_NEAR(LikeSelectivity("%BRASS", nullptr), 0.1, 1e-9);
  EXPECT_NEAR(LikeSelectivity("%green%", nullptr), 0.05, 1e-9);
  EXPECT_NEAR(LikeSelectivity("%special%requests%", nullptr), 0.01, 1e-9);
  EXPECT_NEAR(LikeSelectivity("%", nullptr), 0.9, 1e-9);
}

TEST_F(JoinReorderTest, EquiJoinEstimateUsesDistinctCounts) {
  auto col = [](double ndv, double domain, const LogicalOp* origin, double origin_rows) {
    ColumnStats s;
    s.ndv = ndv;
    s.domain = domain;
    s.origin = origin;
    s.origin_rows = origin_rows;
    return s;
  };
  LogicalEmpty cust, supp, line, psupp;
  // customer x supplier on nationkey (25 nations): |C| * |S| / 25.
  std::vector<JoinKeyStats> nation = {
      {col(150000, 25, &cust, 150000), col(10000, 25, &supp, 10000)}};
  EXPECT_NEAR(EquiJoinDenominator(nation, 150000, 10000), 25, 1e-9);
  // Foreign key into a filtered key side: max(ndv) = the unfiltered key count.
  std::vector<JoinKeyStats> fk = {
      {col(1500000, 150000, &line, 1500000), col(30000, 150000, &cust, 150000)}};
  EXPECT_NEAR(1500000.0 * 30000 / EquiJoinDenominator(fk, 1500000, 30000), 300000, 1e-6);
  // Two independent keys multiply their selectivities.
  std::vector<JoinKeyStats> two = {
      {col(10000, 10000, &line, 6000000), col(2000, 10000, &supp, 10000)},
      {col(5, 25, &cust, 150000), col(5, 25, &supp, 10000)}};
  EXPECT_NEAR(EquiJoinDenominator(two, 100000, 2000), 10000.0 * 5, 1e-6);
  // A composite key from one origin on the small side: lineitem -> partsupp on
  // (partkey, suppkey) keeps every lineitem row.
  std::vector<JoinKeyStats> composite = {
      {col(200000, 200000, &line, 6000000), col(200000, 200000, &psupp, 800000)},
      {col(10000, 10000, &line, 6000000), col(10000, 10000, &psupp, 800000)}};
  EXPECT_NEAR(6000000.0 * 800000 / EquiJoinDenominator(composite, 6000000, 800000), 6000000,
              1e-3);
}

/// The joins of `plan` whose subtree holds table `name` on one side and nothing
/// else of interest; returns every join's table set as "left|right".
std::vector<std::string> JoinSides(const LogicalOpPtr& plan) {
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  std::vector<std::string> out;
  for (const auto& j : joins) out.push_back(Tables(j->children[0]) + "|" + Tables(j->children[1]));
  return out;
}

TEST_F(JoinReorderTest, CycleOfEqualitiesAvoidsTheManyToManyJoin) {
  // TPC-H Q5's graph: c_nationkey = s_nationkey closes a cycle through
  // orders/lineitem; joining customer with supplier on nationkey first would
  // produce |C| * |S| / 25 = 60M rows.
  auto i64 = arrow::int64();
  auto customer = b.Get("customer", {{"c_custkey", i64}, {"c_nationkey", i64}}, 150000);
  auto orders = b.Get("orders", {{"o_orderkey", i64}, {"o_custkey", i64}}, 1500000);
  auto lineitem = b.Get("lineitem", {{"l_orderkey", i64}, {"l_suppkey", i64}}, 6000000);
  auto supplier = b.Get("supplier", {{"s_suppkey", i64}, {"s_nationkey", i64}}, 10000);
  auto nation = b.Get("nation", {{"n_nationkey", i64}, {"n_regionkey", i64}}, 25);
  auto region = b.Get("region", {{"r_regionkey", i64}, {"r_name", arrow::utf8()}}, 5);
  auto fregion = B::Filter(region, {B::Eq(B::Col(region, "r_name"), B::Str("ASIA"))});
  LogicalOpPtr plan = b.Join(JoinType::kInner, customer, orders, {});
  plan = b.Join(JoinType::kInner, plan, lineitem, {});
  plan = b.Join(JoinType::kInner, plan, supplier, {});
  plan = b.Join(JoinType::kInner, plan, nation, {});
  plan = b.Join(JoinType::kInner, plan, fregion, {});
  plan = B::Filter(plan, {B::Eq(B::Col(customer, "c_custkey"), B::Col(orders, "o_custkey")),
                          B::Eq(B::Col(lineitem, "l_orderkey"), B::Col(orders, "o_orderkey")),
                          B::Eq(B::Col(lineitem, "l_suppkey"), B::Col(supplier, "s_suppkey")),
                          B::Eq(B::Col(customer, "c_nationkey"), B::Col(supplier, "s_nationkey")),
                          B::Eq(B::Col(supplier, "s_nationkey"), B::Col(nation, "n_nationkey")),
                          B::Eq(B::Col(nation, "n_regionkey"), B::Col(region, "r_regionkey"))});
  const auto before_output = plan->OutputIds();
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan->OutputIds(), before_output);
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  ASSERT_EQ(joins.size(), 5u) << PlanToString(plan);
  for (const auto& j : joins) {
    EXPECT_FALSE(j->conditions.empty()) << PlanToString(plan);
    EXPECT_LE(*j->estimated_rows, 6000000) << PlanToString(plan);
    // customer never meets supplier before lineitem is in.
    std::string l = Tables(j->children[0]), r = Tables(j->children[1]);
    bool cust = (l + r).find("customer") != std::string::npos;
    bool supp = (l + r).find("supplier") != std::string::npos;
    if (cust && supp) {
      EXPECT_NE((l + r).find("lineitem"), std::string::npos) << PlanToString(plan);
    }
  }
  // customer reaches nation through the inferred c_nationkey = n_nationkey, and
  // supplier joins last on both of its keys.
  const auto& top = joins[0];
  EXPECT_EQ(Tables(top->children[1]), "supplier") << PlanToString(plan);
  EXPECT_EQ(top->conditions.size(), 2u) << PlanToString(plan);
}

TEST_F(JoinReorderTest, ClassMembersOfOneRelationStayEqual) {
  // a.x = b.y AND a.x = b.z: if the reorder only joins on one of them, b.y = b.z
  // must still hold.
  auto i64 = arrow::int64();
  auto a = b.Get("a", {{"x", i64}}, 100);
  auto bb = b.Get("b", {{"y", i64}, {"z", i64}}, 1000);
  LogicalOpPtr plan = b.Join(JoinType::kInner, a, bb,
                             {B::Eq(B::Col(a, "x"), B::Col(bb, "y")),
                              B::Eq(B::Col(a, "x"), B::Col(bb, "z"))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  (void)changed;
  std::string printed = PlanToString(plan);
  // Both original equalities are implied: either both join conditions remain, or
  // one is a join condition and y = z filters b.
  auto j = FindOp(plan, LogicalOpKind::kJoin);
  int conds = static_cast<int>(j->As<LogicalJoin>().conditions.size());
  int filters = CountOps(plan, LogicalOpKind::kFilter);
  EXPECT_EQ(conds + filters, 2) << printed;
}

TEST_F(JoinReorderTest, SemiAndAntiJoinsBuildOnTheSmallerSide) {
  auto i64 = arrow::int64();
  auto small = b.Get("small", {{"k", i64}}, 100);
  auto big = b.Get("big", {{"k", i64}}, 1000000);
  for (JoinType t : {JoinType::kSemi, JoinType::kAnti, JoinType::kMark, JoinType::kSingle}) {
    LogicalOpPtr plan = b.Join(t, small, big, {B::Eq(B::Col(small, "k"), B::Col(big, "k"))});
    ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
    (void)changed;
    auto j = FindOp(plan, LogicalOpKind::kJoin);
    EXPECT_FALSE(j->As<LogicalJoin>().build_right) << JoinTypeName(t);
  }
  // Null-aware mark joins (NOT IN) always build on the right.
  auto mark = std::static_pointer_cast<LogicalJoin>(
      b.Join(JoinType::kMark, small, big, {B::Eq(B::Col(small, "k"), B::Col(big, "k"))}));
  mark->mark_null_aware = true;
  LogicalOpPtr plan = mark;
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  (void)changed;
  EXPECT_TRUE(FindOp(plan, LogicalOpKind::kJoin)->As<LogicalJoin>().build_right);
}

TEST_F(JoinReorderTest, SelectiveSemiJoinMovesBelowInnerJoins) {
  // (lineitem JOIN orders) SEMI (57 order keys) on o_orderkey: the semi join
  // filters orders before orders meets lineitem (TPC-H Q18).
  auto i64 = arrow::int64();
  auto lineitem = b.Get("lineitem", {{"l_orderkey", i64}, {"l_quantity", i64}}, 6000000);
  auto orders = b.Get("orders", {{"o_orderkey", i64}, {"o_custkey", i64}}, 1500000);
  auto keys = b.Get("keys", {{"k", i64}}, 57);
  auto inner = b.Join(JoinType::kInner, lineitem, orders,
                      {B::Eq(B::Col(lineitem, "l_orderkey"), B::Col(orders, "o_orderkey"))});
  LogicalOpPtr plan = b.Join(JoinType::kSemi, inner, keys,
                             {B::Eq(B::Col(orders, "o_orderkey"), B::Col(keys, "k"))});
  const auto before_output = plan->OutputIds();
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan->OutputIds(), before_output);
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  ASSERT_EQ(joins.size(), 2u);
  EXPECT_EQ(joins[0]->join_type, JoinType::kInner) << PlanToString(plan);
  EXPECT_EQ(joins[1]->join_type, JoinType::kSemi) << PlanToString(plan);
  EXPECT_EQ(Tables(joins[1]->children[0]), "orders") << PlanToString(plan);
  // The reduced orders side is the build side of the inner join.
  EXPECT_EQ(Tables(joins[0]->children[1]), "orders,keys") << PlanToString(plan);

  // An unselective semi join (every order has lines) stays on top.
  auto lineitem2 = b.Get("lineitem", {{"l_orderkey", i64}}, 6000000);
  auto orders2 = b.Get("orders", {{"o_orderkey", i64}}, 1500000);
  auto supplier = b.Get("supplier", {{"s_key", i64}}, 10);
  auto inner2 = b.Join(JoinType::kInner, orders2, supplier,
                       {B::Eq(B::Col(orders2, "o_orderkey"), B::Col(supplier, "s_key"))});
  LogicalOpPtr plan2 = b.Join(JoinType::kSemi, inner2, lineitem2,
                              {B::Eq(B::Col(orders2, "o_orderkey"), B::Col(lineitem2, "l_orderkey"))});
  ASSERT_OK_AND_ASSIGN(changed, Apply<JoinReorder>(&plan2));
  EXPECT_EQ(plan2->kind, LogicalOpKind::kJoin) << PlanToString(plan2);
  EXPECT_EQ(plan2->As<LogicalJoin>().join_type, JoinType::kSemi) << PlanToString(plan2);
  EXPECT_FALSE(plan2->As<LogicalJoin>().build_right) << PlanToString(plan2);
}

TEST_F(JoinReorderTest, GroupedSubqueryGetsASemiJoinReducer) {
  // TPC-H Q17: lineitem JOIN part(filtered) JOIN (SELECT l_partkey, avg(..) FROM
  // lineitem GROUP BY l_partkey): the aggregate only needs the selected parts.
  auto i64 = arrow::int64();
  auto lineitem = b.Get("lineitem", {{"l_partkey", i64}, {"l_quantity", i64}}, 6000000);
  auto part = b.Get("part", {{"p_partkey", i64}, {"p_brand", arrow::utf8()}}, 200000);
  auto fpart = B::Filter(part, {B::Eq(B::Col(part, "p_brand"), B::Str("Brand#23"))});
  auto inner_l = b.Get("lineitem", {{"l_partkey", i64}, {"l_quantity", i64}}, 6000000);
  auto agg = b.Aggregate(inner_l, {B::Col(inner_l, "l_partkey")},
                         {B::Agg("sum", {B::Col(inner_l, "l_quantity")}, i64)}, {"k", "total"});
  LogicalOpPtr plan = b.Join(JoinType::kInner, lineitem, fpart,
                             {B::Eq(B::Col(lineitem, "l_partkey"), B::Col(part, "p_partkey"))});
  plan = b.Join(JoinType::kInner, plan, agg, {B::Eq(B::Col(agg, "k"), B::Col(part, "p_partkey")),
                                              B::Lt(B::Col(lineitem, "l_quantity"),
                                                    B::Col(agg, "total"))});
  const auto before_output = plan->OutputIds();
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<JoinReorder>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan->OutputIds(), before_output);
  auto a = FindOp(plan, LogicalOpKind::kAggregate);
  ASSERT_TRUE(a);
  const auto& input = a->children[0];
  ASSERT_EQ(input->kind, LogicalOpKind::kJoin) << PlanToString(plan);
  EXPECT_EQ(input->As<LogicalJoin>().join_type, JoinType::kSemi) << PlanToString(plan);
  EXPECT_EQ(Tables(input), "lineitem,part") << PlanToString(plan);
  // The copy of part has its own column ids.
  for (const auto& c : input->children[1]->output) {
    for (const auto& o : part->output) EXPECT_NE(c.id, o.id);
  }
  EXPECT_LT(*a->estimated_rows, 100000) << PlanToString(plan);

  // Without a selective relation in the class there is no reducer.
  auto lineitem3 = b.Get("lineitem", {{"l_partkey", i64}}, 6000000);
  auto inner3 = b.Get("lineitem", {{"l_partkey", i64}, {"l_quantity", i64}}, 6000000);
  auto agg3 = b.Aggregate(inner3, {B::Col(inner3, "l_partkey")},
                          {B::Agg("sum", {B::Col(inner3, "l_quantity")}, i64)}, {"k", "total"});
  LogicalOpPtr plan3 = b.Join(JoinType::kInner, lineitem3, agg3,
                              {B::Eq(B::Col(lineitem3, "l_partkey"), B::Col(agg3, "k"))});
  ASSERT_OK_AND_ASSIGN(changed, Apply<JoinReorder>(&plan3));
  auto a3 = FindOp(plan3, LogicalOpKind::kAggregate);
  EXPECT_EQ(a3->children[0]->kind, LogicalOpKind::kGet) << PlanToString(plan3);

  // A relation with a volatile filter is never copied (the copy would draw other
  // random values and drop groups the original keeps).
  auto part4 = b.Get("part", {{"p_partkey", i64}, {"p_brand", arrow::utf8()}}, 200000);
  auto rnd = std::make_shared<CallExpr>("random", std::vector<ExprPtr>{}, arrow::float64());
  rnd->volatile_ = true;
  auto fpart4 = B::Filter(part4, {B::Eq(B::Col(part4, "p_brand"), B::Str("Brand#23")),
                                  MakeComparison("less", rnd, MakeLiteral(std::make_shared<
                                                     arrow::DoubleScalar>(0.5)))});
  auto inner4 = b.Get("lineitem", {{"l_partkey", i64}, {"l_quantity", i64}}, 6000000);
  auto agg4 = b.Aggregate(inner4, {B::Col(inner4, "l_partkey")},
                          {B::Agg("sum", {B::Col(inner4, "l_quantity")}, i64)}, {"k", "total"});
  LogicalOpPtr plan4 = b.Join(JoinType::kInner, fpart4, agg4,
                              {B::Eq(B::Col(part4, "p_partkey"), B::Col(agg4, "k"))});
  ASSERT_OK_AND_ASSIGN(changed, Apply<JoinReorder>(&plan4));
  auto a4 = FindOp(plan4, LogicalOpKind::kAggregate);
  EXPECT_EQ(a4->children[0]->kind, LogicalOpKind::kGet) << PlanToString(plan4);
}

}  // namespace
}  // namespace shoal::opt::testing
