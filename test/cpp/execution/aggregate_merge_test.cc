// Parallel merging of thread-local aggregate tables by hash partitions: the
// results must equal the serial merge's for every key map and kernel, with nulls,
// empty input, one or two threads and any batch size.
#include <cstdint>
#include <string>

#include "exec_test_util.h"
#include "shoal/execution/hash_aggregate.h"

namespace shoal::exec::testing {
namespace {

class AggregateMergeTest : public ::testing::TestWithParam<RunConfig> {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    schema_ = arrow::schema({arrow::field("id", arrow::int64()),
                             arrow::field("k", arrow::int32()),
                             arrow::field("s", arrow::utf8()),
                             arrow::field("d", arrow::decimal128(12, 2)),
                             arrow::field("x", arrow::float64()),
                             arrow::field("q", arrow::decimal128(15, 2))});
    std::string id = "[", k = "[", s = "[", d = "[", x = "[", q = "[";
    for (int i = 0; i < kRows; ++i) {
      const char* sep = i ? "," : "";
      id += sep + std::to_string(i);
      k += sep + (i % 97 == 0 ? std::string("null") : std::to_string(i % 1500));
      s += sep + (i % 89 == 0 ? std::string("null") : "\"s" + std::to_string(i % 700) + "\"");
      d += sep + (i % 13 == 0 ? std::string("null")
                              : "\"" + std::to_string(i % 1000 - 300) + "." +
                                    std::to_string(10 + i % 90) + "\"");
      x += sep + std::to_string((i % 301) * 0.5);
      q += sep + ("\"" + std::to_string(i % 50) + ".25\"");
    }
    table_ = pb_.Table(schema_, {id + "]", k + "]", s + "]", d + "]", x + "]", q + "]"}, 64);
  }
  void TearDown() override { SetAggregatePartitionMinGroups(saved_); }

  /// Run `agg` with partitioned merging forced (min groups `min`) and with the
  /// serial merge; expect equal results and return the partitioned run.
  RunResult RunBoth(const LogicalOpPtr& agg, uint32_t min, bool expect_partitioned) {
    SetAggregatePartitionMinGroups(UINT32_MAX);
    RunResult serial = RunPlan(agg, GetParam());
    EXPECT_TRUE(serial.status.ok()) << serial.status.ToString();
    EXPECT_EQ(serial.analyze.find("partitions="), std::string::npos);
    SetAggregatePartitionMinGroups(min);
    RunResult parts = RunPlan(agg, GetParam());
    EXPECT_TRUE(parts.status.ok()) << parts.status.ToString();
    EXPECT_EQ(parts.Sorted(), serial.Sorted());
    const bool partitioned = parts.analyze.find("partitions=") != std::string::npos;
    EXPECT_EQ(partitioned, expect_partitioned && GetParam().threads > 1) << parts.analyze;
    return parts;
  }

  std::vector<ExprPtr> MergeableAggs(const LogicalOpPtr& get) {
    auto d = PlanBuilder::Col(get, 3), s = PlanBuilder::Col(get, 2);
    return {PlanBuilder::Agg("count", {}), PlanBuilder::Agg("count", {d}),
            PlanBuilder::Agg("count", {s}), PlanBuilder::Agg("sum", {d}),
            PlanBuilder::Agg("avg", {d})};
  }

  static constexpr int kRows = 5000;
  uint32_t saved_ = SetAggregatePartitionMinGroups(16384);
  PlanBuilder pb_;
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<TableProvider> table_;
};

TEST_P(AggregateMergeTest, IntegerKey) {
  auto get = pb_.Get("t", table_);
  auto agg = pb_.Aggregate(get, {PlanBuilder::Col(get, 1)}, MergeableAggs(get));
  auto r = RunBoth(agg, 1, true);
  EXPECT_EQ(r.rows.size(), 1501u);  // 1500 keys and NULL
  // Key 0: rows 0, 1500, 3000, 4500; row 0 has a NULL key (0 % 97 == 0).
  bool found = false;
  for (const auto& row : r.rows) {
    if (row.rfind("0|", 0) == 0) {
      found = true;
      // d: rows 1500, 3000, 4500 (none NULL): 200.70 - 300.40 + 200.10.
      EXPECT_EQ(row, "0|3|3|3|100.40|33.466667");
    }
  }
  EXPECT_TRUE(found);
}

TEST_P(AggregateMergeTest, StringAndIntegerKeys) {
  auto get = pb_.Get("t", table_);
  auto agg = pb_.Aggregate(get, {PlanBuilder::Col(get, 2), PlanBuilder::Col(get, 1)},
                           MergeableAggs(get));
  RunBoth(agg, 1, true);
}

TEST_P(AggregateMergeTest, StringKey) {
  auto get = pb_.Get("t", table_);
  auto agg = pb_.Aggregate(get, {PlanBuilder::Col(get, 2)}, MergeableAggs(get));
  auto r = RunBoth(agg, 1, true);
  EXPECT_EQ(r.rows.size(), 701u);
}

TEST_P(AggregateMergeTest, OtherKernelsFallBackToSerialMerge) {
  auto get = pb_.Get("t", table_);
  auto aggs = MergeableAggs(get);
  aggs.push_back(PlanBuilder::Agg("sum", {PlanBuilder::Col(get, 0)}));
  aggs.push_back(PlanBuilder::Agg("min", {PlanBuilder::Col(get, 4)}));
  aggs.push_back(PlanBuilder::Agg("max", {PlanBuilder::Col(get, 2)}));
  auto agg = pb_.Aggregate(get, {PlanBuilder::Col(get, 1)}, aggs);
  RunBoth(agg, 1, false);
}

TEST_P(AggregateMergeTest, EmptyInput) {
  auto get = pb_.Get("t", table_);
  auto filter = pb_.Filter(get, {Cmp("less", PlanBuilder::Col(get, 0), Lit(0))});
  auto agg = pb_.Aggregate(filter, {PlanBuilder::Col(filter, 1)}, MergeableAggs(filter));
  auto r = RunBoth(agg, 0, true);
  EXPECT_TRUE(r.rows.empty());
}

TEST_P(AggregateMergeTest, FewGroupsPerPartition) {
  // Only 3 groups: most partitions are empty.
  auto get = pb_.Get("t", table_);
  auto key = Call("modulo", {PlanBuilder::Col(get, 0), Lit(3)}, arrow::int64());
  auto agg = pb_.Aggregate(get, {key}, MergeableAggs(get));
  auto r = RunBoth(agg, 1, true);
  EXPECT_EQ(r.rows.size(), 3u);
}

TEST_P(AggregateMergeTest, DecimalSumOverFewGroupsWithoutNulls) {
  // Few groups and no NULLs: the decimal sum spreads rows over several
  // accumulators per group.
  auto get = pb_.Get("t", table_);
  auto key = Call("modulo", {PlanBuilder::Col(get, 0), Lit(3)}, arrow::int64());
  auto q = PlanBuilder::Col(get, 5);
  auto agg = pb_.Aggregate(get, {key}, {PlanBuilder::Agg("sum", {q}),
                                        PlanBuilder::Agg("count", {})});
  auto r = RunBoth(agg, 1, true);
  std::vector<std::string> want;
  for (int g = 0; g < 3; ++g) {
    int64_t cents = 0, n = 0;
    for (int i = g; i < kRows; i += 3) {
      cents += (i % 50) * 100 + 25;
      ++n;
    }
    want.push_back(std::to_string(g) + "|" + std::to_string(cents / 100) + "." +
                   std::to_string(cents % 100 + 100).substr(1) + "|" + std::to_string(n));
  }
  EXPECT_EQ(r.Sorted(), Rows(want));
}

INSTANTIATE_TEST_SUITE_P(Configs, AggregateMergeTest,
                         ::testing::Values(RunConfig{1, 8192}, RunConfig{2, 8192},
                                           RunConfig{2, 7}),
                         ConfigName);

}  // namespace
}  // namespace shoal::exec::testing
