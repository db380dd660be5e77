// Cardinality estimates from column statistics (min/max, null and distinct
// counts): range interpolation, equality on known distinct counts, key joins.
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "optimizer_test_util.h"
#include "shoal/optimizer/cardinality.h"

namespace shoal::opt::testing {
namespace {

using B = PlanBuilder;

class CardinalityTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(arrow::compute::Initialize().ok()); }

  /// A scan whose columns carry `stats` (same order as `cols`).
  LogicalOpPtr GetWithStats(
      const std::string& table,
      const std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>>& cols,
      int64_t rows, std::vector<ColumnStatistics> stats) {
    auto get = b.Get(table, cols, rows);
    auto fake = std::static_pointer_cast<FakeTable>(get->As<LogicalGet>().table);
    fake->set_columns(std::move(stats));
    return get;
  }

  static ColumnStatistics Range(std::shared_ptr<arrow::Scalar> lo, std::shared_ptr<arrow::Scalar> hi,
                                int64_t nulls = 0) {
    ColumnStatistics c;
    c.min = std::move(lo);
    c.max = std::move(hi);
    c.null_count = nulls;
    return c;
  }
  static std::shared_ptr<arrow::Scalar> Date(int32_t days) {
    return std::make_shared<arrow::Date32Scalar>(days);
  }
  static std::shared_ptr<arrow::Scalar> I64(int64_t v) {
    return std::make_shared<arrow::Int64Scalar>(v);
  }
  static ExprPtr DateLit(int32_t days) { return MakeLiteral(Date(days)); }

  PlanBuilder b;
};

TEST_F(CardinalityTest, ScalarAsDouble) {
  EXPECT_EQ(*ScalarAsDouble(arrow::Date32Scalar(9000)), 9000);
  EXPECT_EQ(*ScalarAsDouble(arrow::Int8Scalar(-3)), -3);
  EXPECT_EQ(*ScalarAsDouble(arrow::UInt32Scalar(7)), 7);
  EXPECT_NEAR(*ScalarAsDouble(arrow::Decimal128Scalar(arrow::Decimal128(1234),
                                                      arrow::decimal128(12, 2))),
              12.34, 1e-12);
  EXPECT_FALSE(ScalarAsDouble(arrow::StringScalar("x")).has_value());
  EXPECT_FALSE(ScalarAsDouble(arrow::Int64Scalar()).has_value());  // null
}

TEST_F(CardinalityTest, TwoSidedDateRangeInterpolates) {
  // l_shipdate over 2500 days; a 30-day range keeps 30/2500 = 1.2%, not 0.3 * 0.3.
  auto t = GetWithStats("lineitem", {{"d", arrow::date32()}}, 6000000,
                        {Range(Date(8000), Date(10500))});
  auto d = B::Col(t, "d");
  auto f = B::Filter(t, {MakeComparison("greater_equal", d, DateLit(9000)),
                         MakeComparison("less", d, DateLit(9030))});
  auto info = EstimateCardinality(*f);
  EXPECT_NEAR(info.rows, 6000000.0 * 30 / 2500, 1);
  // The column's bounds and ndv narrow to the range.
  const auto& col = info.columns.at(f->output[0].id);
  EXPECT_EQ(col.lo, 9000);
  EXPECT_EQ(col.hi, 9030);
  EXPECT_NEAR(col.ndv, 2501.0 * 30 / 2500, 1e-6);
  // A range given as one AND expression is combined the same way.
  auto both = MakeAnd(MakeComparison("greater_equal", d, DateLit(9000)),
                      MakeComparison("less", d, DateLit(9030)));
  EXPECT_NEAR(ConditionSelectivity(both, EstimateCardinality(*t).columns), 30.0 / 2500, 1e-9);
  // Constant on the left: 9030 > d.
  auto f2 = B::Filter(t, {MakeComparison("greater", DateLit(9030), d),
                          MakeComparison("less_equal", DateLit(9000), d)});
  EXPECT_NEAR(EstimateCardinality(*f2).rows, 6000000.0 * 30 / 2500, 1);
}

TEST_F(CardinalityTest, OneSidedAndOutOfRangeComparisons) {
  auto t = GetWithStats("t", {{"x", arrow::int64()}}, 1000, {Range(I64(0), I64(100))});
  auto x = B::Col(t, "x");
  EXPECT_NEAR(EstimateCardinality(*B::Filter(t, {B::Lt(x, B::Int(25))})).rows, 250, 1e-6);
  EXPECT_NEAR(EstimateCardinality(*B::Filter(t, {B::Gt(x, B::Int(1000))})).rows, 1, 1e-6)
      << "outside the bounds: nothing qualifies, the estimate keeps one row";
  // Contradictory bounds: a tenth of one value's share, at least one row.
  EXPECT_NEAR(EstimateCardinality(*B::Filter(t, {B::Gt(x, B::Int(60)), B::Lt(x, B::Int(40))})).rows,
              1, 1e-6);
  // Without statistics the fixed heuristic stays.
  auto u = b.Get("u", {{"x", arrow::int64()}}, 1000);
  EXPECT_NEAR(EstimateCardinality(*B::Filter(u, {B::Lt(B::Col(u, "x"), B::Int(25))})).rows, 300,
              1e-6);
  // The setting off: statistics ignored.
  {
    ColumnStatisticsScope off(false);
    EXPECT_NEAR(EstimateCardinality(*B::Filter(t, {B::Lt(x, B::Int(25))})).rows, 300, 1e-6);
  }
}

TEST_F(CardinalityTest, NullsReduceRangesAndDriveIsNull) {
  auto t = GetWithStats("t", {{"x", arrow::int64()}}, 1000, {Range(I64(0), I64(100), 500)});
  auto x = B::Col(t, "x");
  EXPECT_NEAR(EstimateCardinality(*B::Filter(t, {B::Lt(x, B::Int(50))})).rows, 250, 1e-6);
  auto is_null = B::Call("is_null", {x}, arrow::boolean());
  EXPECT_NEAR(EstimateCardinality(*B::Filter(t, {is_null})).rows, 500, 1e-6);
}

TEST_F(CardinalityTest, DistinctCountsFromSpanAndProvider) {
  // p_size 1..50 over 200000 rows: ndv 50, equality 1/50.
  auto part = GetWithStats("part", {{"p_size", arrow::int64()}, {"p_partkey", arrow::int64()},
                                    {"p_type", arrow::utf8()}},
                           200000, {Range(I64(1), I64(50)), Range(I64(1), I64(200000)), {}});
  auto info = EstimateCardinality(*part);
  EXPECT_EQ(info.columns.at(part->output[0].id).ndv, 50);
  EXPECT_TRUE(info.columns.at(part->output[0].id).ndv_known);
  EXPECT_EQ(info.columns.at(part->output[1].id).ndv, 200000);  // a dense key
  EXPECT_FALSE(info.columns.at(part->output[2].id).ndv_known);
  EXPECT_NEAR(EstimateCardinality(*B::Filter(part, {B::Eq(B::Col(part, "p_size"), B::Int(15))}))
                  .rows,
              4000, 1e-6);
  // A key equality: 1/ndv (one row), not the 10% guess for unknown columns.
  EXPECT_NEAR(
      EstimateCardinality(*B::Filter(part, {B::Eq(B::Col(part, "p_partkey"), B::Int(7))})).rows, 1,
      1e-6);
  // A provider's distinct count wins over the row count.
  ColumnStatistics typed;
  typed.distinct_count = 150;
  auto p2 = GetWithStats("part", {{"p_type", arrow::utf8()}}, 200000, {typed});
  EXPECT_NEAR(
      EstimateCardinality(*B::Filter(p2, {B::Eq(B::Col(p2, "p_type"), B::Str("x"))})).rows,
      200000.0 / 150, 1e-6);
  // Sparse keys (o_orderkey 1..6000000 over 1500000 rows) keep the row count.
  auto orders = GetWithStats("orders", {{"o_orderkey", arrow::int64()}}, 1500000,
                             {Range(I64(1), I64(6000000))});
  EXPECT_EQ(EstimateCardinality(*orders).columns.at(orders->output[0].id).ndv, 1500000);
}

TEST_F(CardinalityTest, KeyJoinUsesDistinctCounts) {
  // lineitem (600 rows, l_partkey 1..200) joins part (200 rows, key 1..200):
  // |L||R| / max(ndv) = 600 * 200 / 200 = 600.
  auto l = GetWithStats("l", {{"l_partkey", arrow::int64()}}, 600, {Range(I64(1), I64(200))});
  auto p = GetWithStats("p", {{"p_partkey", arrow::int64()}}, 200, {Range(I64(1), I64(200))});
  auto j = b.Join(JoinType::kInner, l, p, {B::Eq(B::Col(l, "l_partkey"), B::Col(p, "p_partkey"))});
  EXPECT_NEAR(EstimateCardinality(*j).rows, 600, 1e-6);
  // A filtered part (a range keeping 10% of keys) keeps 10% of lineitem.
  auto pf = B::Filter(p, {B::Lt(B::Col(p, "p_partkey"), B::Int(21))});
  auto j2 = b.Join(JoinType::kInner, l, pf, {B::Eq(B::Col(l, "l_partkey"), B::Col(pf, "p_partkey"))});
  EXPECT_NEAR(EstimateCardinality(*j2).rows, 60, 1);
}

TEST_F(CardinalityTest, FilteredLineitemBecomesTheBuildSide) {
  // TPC-H Q14: part (200000) joins lineitem filtered to one month (~1.2% of
  // 6M = 72000 rows): the filtered lineitem is the smaller input and is built.
  auto part = GetWithStats("part", {{"p_partkey", arrow::int64()}}, 200000,
                           {Range(I64(1), I64(200000))});
  auto li = GetWithStats("lineitem", {{"l_partkey", arrow::int64()}, {"l_shipdate", arrow::date32()}},
                         6000000, {Range(I64(1), I64(200000)), Range(Date(8000), Date(10500))});
  auto d = B::Col(li, "l_shipdate");
  auto lf = B::Filter(li, {MakeComparison("greater_equal", d, DateLit(9000)),
                           MakeComparison("less", d, DateLit(9030))});
  EXPECT_LT(EstimateCardinality(*lf).rows, 200000);
}

}  // namespace
}  // namespace shoal::opt::testing
