// Window functions and recursive CTEs.
#include "exec_test_util.h"

namespace shoal::exec::testing {
namespace {

class WindowTest : public ::testing::TestWithParam<RunConfig> {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    auto s = arrow::schema({arrow::field("p", arrow::utf8()), arrow::field("o", arrow::int64()),
                            arrow::field("v", arrow::int64())});
    table_ = pb_.Table(s, {R"(["a", "a", "a", "a", "b", "b", null])", "[1, 2, 2, 4, 1, 3, 1]",
                           "[10, 20, 30, 40, 5, null, 7]"});
  }
  RunResult Run(const LogicalOpPtr& plan) { return RunPlan(plan, GetParam()); }

  /// Window over the table with one function; output p, o, v, fn. Arguments
  /// given as ColArg(i) refer to table column i.
  LogicalOpPtr Window(std::shared_ptr<WindowExpr> w) {
    auto get = pb_.Get("t", table_);
    w->partition_by = {PlanBuilder::Col(get, 0)};
    w->order_by = {SortKey{PlanBuilder::Col(get, 1), true, false}};
    for (auto& a : w->args) {
      if (a->kind == ExprKind::kColumnRef) {
        int idx = static_cast<int>(static_cast<const ColumnRefExpr&>(*a).id);
        a = PlanBuilder::Col(get, idx);
      }
    }
    auto win = std::make_shared<LogicalWindow>();
    win->output = get->output;
    win->output.push_back({pb_.NextId(), "w", w->type, true, ""});
    win->window_exprs = {w};
    win->children = {get};
    return win;
  }
  /// Placeholder argument meaning "column i of the table".
  static ExprPtr ColArg(int i) { return MakeColumnRef(i, "placeholder", arrow::int64()); }

  std::vector<std::string> RunWindow(const std::string& fn, std::vector<ExprPtr> args,
                                     std::shared_ptr<arrow::DataType> type,
                                     std::optional<WindowFrame> frame = std::nullopt) {
    auto w = std::make_shared<WindowExpr>(fn, std::move(args), type);
    if (frame) {
      w->frame = *frame;
      w->has_frame = true;
    }
    auto r = Run(Window(w));
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return r.Sorted();
  }

  PlanBuilder pb_;
  std::shared_ptr<TableProvider> table_;
};

TEST_P(WindowTest, Ranking) {
  EXPECT_EQ(RunWindow("rank", {}, arrow::int64()),
            Rows({"a|1|10|1", "a|2|20|2", "a|2|30|2", "a|4|40|4", "b|1|5|1", "b|3|NULL|2",
                  "NULL|1|7|1"}));
  EXPECT_EQ(RunWindow("dense_rank", {}, arrow::int64()),
            Rows({"a|1|10|1", "a|2|20|2", "a|2|30|2", "a|4|40|3", "b|1|5|1", "b|3|NULL|2",
                  "NULL|1|7|1"}));
  auto rn = RunWindow("row_number", {}, arrow::int64());
  EXPECT_EQ(rn.size(), 7u);
  EXPECT_EQ(rn[4], "a|4|40|4");
  EXPECT_EQ(RunWindow("percent_rank", {}, arrow::float64()),
            Rows({"a|1|10|0", "a|2|20|0.3333333333333333", "a|2|30|0.3333333333333333",
                  "a|4|40|1", "b|1|5|0", "b|3|NULL|1", "NULL|1|7|0"}));
  EXPECT_EQ(RunWindow("cume_dist", {}, arrow::float64()),
            Rows({"a|1|10|0.25", "a|2|20|0.75", "a|2|30|0.75", "a|4|40|1", "b|1|5|0.5",
                  "b|3|NULL|1", "NULL|1|7|1"}));
  EXPECT_EQ(RunWindow("ntile", {Lit(3)}, arrow::int64()),
            Rows({"a|1|10|1", "a|2|20|1", "a|2|30|2", "a|4|40|3", "b|1|5|1", "b|3|NULL|2",
                  "NULL|1|7|1"}));
}

TEST_P(WindowTest, LagLead) {
  auto lag = RunWindow("lag", {ColArg(1)}, arrow::int64());
  EXPECT_EQ(lag[1], "a|1|10|NULL");
  EXPECT_EQ(lag[4], "a|4|40|2");
  EXPECT_EQ(RunWindow("lead", {ColArg(1), Lit(1), Lit(-1)}, arrow::int64()),
            Rows({"a|1|10|2", "a|2|20|2", "a|2|30|4", "a|4|40|-1", "b|1|5|3", "b|3|NULL|-1",
                  "NULL|1|7|-1"}));
}

TEST_P(WindowTest, RunningAndSlidingAggregates) {
  // Default frame: RANGE UNBOUNDED PRECEDING .. CURRENT ROW (peers included).
  EXPECT_EQ(RunWindow("sum", {ColArg(1)}, arrow::int64()),
            Rows({"a|1|10|1", "a|2|20|5", "a|2|30|5", "a|4|40|9", "b|1|5|1", "b|3|NULL|4",
                  "NULL|1|7|1"}));
  WindowFrame rows1;
  rows1.unit = FrameUnit::kRows;
  rows1.start = {FrameBoundKind::kPreceding, Lit(1)};
  rows1.end = {FrameBoundKind::kFollowing, Lit(1)};
  auto sliding = RunWindow("max", {ColArg(1)}, arrow::int64(), rows1);
  EXPECT_EQ(sliding, Rows({"a|1|10|2", "a|2|20|2", "a|2|30|4", "a|4|40|4", "b|1|5|3",
                           "b|3|NULL|3", "NULL|1|7|1"}));
  WindowFrame range1;
  range1.unit = FrameUnit::kRange;
  range1.start = {FrameBoundKind::kPreceding, Lit(1)};
  range1.end = {FrameBoundKind::kCurrentRow, nullptr};
  EXPECT_EQ(RunWindow("count", {}, arrow::int64(), range1),
            Rows({"a|1|10|1", "a|2|20|3", "a|2|30|3", "a|4|40|1", "b|1|5|1", "b|3|NULL|1",
                  "NULL|1|7|1"}));
  WindowFrame whole;
  whole.unit = FrameUnit::kRows;
  whole.start = {FrameBoundKind::kUnboundedPreceding, nullptr};
  whole.end = {FrameBoundKind::kUnboundedFollowing, nullptr};
  EXPECT_EQ(RunWindow("avg", {ColArg(1)}, arrow::float64(), whole),
            Rows({"a|1|10|2.25", "a|2|20|2.25", "a|2|30|2.25", "a|4|40|2.25", "b|1|5|2",
                  "b|3|NULL|2", "NULL|1|7|1"}));
  EXPECT_EQ(RunWindow("last_value", {ColArg(1)}, arrow::int64(), whole)[1], "a|1|10|4");
  EXPECT_EQ(RunWindow("first_value", {ColArg(1)}, arrow::int64())[4], "a|4|40|1");
  EXPECT_EQ(RunWindow("nth_value", {ColArg(1), Lit(2)}, arrow::int64())[1], "a|1|10|NULL");
}

TEST_P(WindowTest, RecursiveCte) {
  // WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10)
  auto anchor = pb_.Values({arrow::int64()}, {{Lit(1)}});
  auto ref = std::make_shared<LogicalCteRef>();
  ref->cte_index = 0;
  ref->name = "r";
  ref->output = {{pb_.NextId(), "n", arrow::int64(), true, ""}};
  auto n = PlanBuilder::Col(ref, 0);
  auto step = pb_.Project(pb_.Filter(ref, {Cmp("less", n, Lit(10))}),
                          {Call("add", {n, Lit(1)}, arrow::int64())});
  auto cte = std::make_shared<LogicalRecursiveCte>();
  cte->cte_index = 0;
  cte->name = "r";
  cte->union_all = true;
  cte->output = {{pb_.NextId(), "n", arrow::int64(), true, ""}};
  cte->children = {anchor, step};
  auto agg = pb_.Aggregate(cte, {}, {PlanBuilder::Agg("count", {}),
                                     PlanBuilder::Agg("sum", {PlanBuilder::Col(cte, 0)})});
  auto r = Run(agg);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"10|55"}));

  // UNION (distinct) stops once no new rows appear: n -> (n + 1) % 3.
  auto step2 = pb_.Project(ref, {Call("add", {Call("divide", {n, Lit(3)}, arrow::int64()),
                                              Lit(0)},
                                      arrow::int64())});
  auto cte2 = std::make_shared<LogicalRecursiveCte>(*cte);
  cte2->union_all = false;
  cte2->children = {pb_.Values({arrow::int64()}, {{Lit(7)}}), step2};
  r = Run(cte2);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"0", "2", "7"}));

  // Infinite recursion hits the iteration cap with a clear error.
  auto step3 = pb_.Project(ref, {n});
  auto cte3 = std::make_shared<LogicalRecursiveCte>(*cte);
  cte3->children = {anchor, step3};
  r = Run(cte3);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("did not finish"), std::string::npos) << r.status.ToString();
}

INSTANTIATE_TEST_SUITE_P(Configs, WindowTest,
                         ::testing::Values(RunConfig{1, 8192}, RunConfig{4, 8192},
                                           RunConfig{4, 3}),
                         ConfigName);

}  // namespace
}  // namespace shoal::exec::testing
