// Scan, filter, projection, values, aggregates, sort, top-N, limit, set operations.
#include "exec_test_util.h"

namespace shoal::exec::testing {
namespace {

class OperatorsTest : public ::testing::TestWithParam<RunConfig> {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    schema_ = arrow::schema({arrow::field("id", arrow::int64()), arrow::field("g", arrow::utf8()),
                             arrow::field("x", arrow::float64()),
                             arrow::field("n", arrow::int32())});
    table_ = pb_.Table(schema_, {"[1, 2, 3, 4, 5, 6, 7, 8]",
                                 R"(["a", "b", "a", "b", "c", "a", null, "b"])",
                                 "[1.5, 2.5, null, 4.0, 5.0, 6.0, 7.0, 8.0]",
                                 "[10, 0, 30, 0, null, 60, 70, 80]"});
  }
  RunResult Run(const LogicalOpPtr& plan) { return RunPlan(plan, GetParam()); }

  PlanBuilder pb_;
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<TableProvider> table_;
};

TEST_P(OperatorsTest, ScanAll) {
  auto get = pb_.Get("t", table_);
  auto r = Run(get);
  ASSERT_OK(r.status);
  ASSERT_EQ(r.rows.size(), 8u);
  EXPECT_EQ(r.schema->field(1)->name(), "g");
  EXPECT_EQ(r.Sorted()[0], "1|a|1.5|10");
}

TEST_P(OperatorsTest, FilterAndProject) {
  auto get = pb_.Get("t", table_);
  auto id = PlanBuilder::Col(get, 0);
  auto x = PlanBuilder::Col(get, 2);
  auto filter = pb_.Filter(get, {Cmp("greater", id, Lit(2)), Cmp("less_equal", id, Lit(6))});
  auto proj = pb_.Project(filter, {id, Call("multiply", {x, LitD(2)}, arrow::float64())},
                          {"id", "x2"});
  auto r = Run(proj);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"3|NULL", "4|8", "5|10", "6|12"}));
}

TEST_P(OperatorsTest, PushedFilterStillFiltered) {
  auto get = pb_.Get("t", table_);
  auto id = PlanBuilder::Col(get, 0);
  auto pred = Cmp("less", id, Lit(3));
  std::static_pointer_cast<LogicalGet>(get)->filters = {pred};
  auto filter = pb_.Filter(get, {pred});
  auto r = Run(pb_.Project(filter, {id}));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"1", "2"}));
}

TEST_P(OperatorsTest, CaseGuardsDivisionByZero) {
  auto get = pb_.Get("t", table_);
  auto n = PlanBuilder::Col(get, 3);
  // CASE WHEN n <> 0 THEN 100 / n ELSE -1 END with integer division that errors on 0.
  auto div = Call("divide", {Lit32(600), n}, arrow::int32());
  auto c = std::make_shared<CaseExpr>(
      std::vector<std::pair<ExprPtr, ExprPtr>>{{Cmp("not_equal", n, Lit32(0)), div}}, Lit32(-1),
      arrow::int32());
  auto r = Run(pb_.Project(get, {PlanBuilder::Col(get, 0), c}));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(),
            Rows({"1|60", "2|-1", "3|20", "4|-1", "5|-1", "6|10", "7|8", "8|7"}));
}

TEST_P(OperatorsTest, CastAndTryCast) {
  auto v = pb_.Values({arrow::utf8()}, {{LitS("12")}, {LitS("x")}, {LitS("7")}});
  auto s = PlanBuilder::Col(v, 0);
  auto try_cast = std::make_shared<CastExpr>(s, arrow::int32(), true);
  auto r = Run(pb_.Project(v, {try_cast}));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"12", "7", "NULL"}));
  auto cast = std::make_shared<CastExpr>(s, arrow::int32(), false);
  auto bad = Run(pb_.Project(v, {cast}));
  EXPECT_FALSE(bad.status.ok());
}

TEST_P(OperatorsTest, ValuesWithoutColumns) {
  auto v = pb_.Values({}, {{}});
  auto r = Run(pb_.Project(v, {Lit(42), LitS("hi")}));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"42|hi"}));
}

TEST_P(OperatorsTest, EmptyOp) {
  auto e = std::make_shared<LogicalEmpty>();
  e->output.push_back({pb_.NextId(), "a", arrow::int64(), true, ""});
  auto r = Run(e);
  ASSERT_OK(r.status);
  EXPECT_TRUE(r.rows.empty());
}

TEST_P(OperatorsTest, GroupedAggregates) {
  auto get = pb_.Get("t", table_);
  auto g = PlanBuilder::Col(get, 1), x = PlanBuilder::Col(get, 2), id = PlanBuilder::Col(get, 0);
  auto agg = pb_.Aggregate(get, {g},
                           {PlanBuilder::Agg("count", {}), PlanBuilder::Agg("count", {x}),
                            PlanBuilder::Agg("sum", {id}), PlanBuilder::Agg("min", {x}),
                            PlanBuilder::Agg("max", {id}), PlanBuilder::Agg("avg", {x})});
  auto r = Run(agg);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"a|3|2|10|1.5|6|3.75", "b|3|3|14|2.5|8|4.833333333333333",
                              "c|1|1|5|5|5|5", "NULL|1|1|7|7|7|7"}));
}

TEST_P(OperatorsTest, UngroupedAggregateOnEmptyInput) {
  auto get = pb_.Get("t", table_);
  auto id = PlanBuilder::Col(get, 0);
  auto filter = pb_.Filter(get, {Cmp("greater", id, Lit(100))});
  auto agg = pb_.Aggregate(filter, {},
                           {PlanBuilder::Agg("count", {}), PlanBuilder::Agg("sum", {id})});
  auto r = Run(agg);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"0|NULL"}));
}

TEST_P(OperatorsTest, AggregateFilterDistinctAndOrdered) {
  auto get = pb_.Get("t", table_);
  auto g = PlanBuilder::Col(get, 1), id = PlanBuilder::Col(get, 0), n = PlanBuilder::Col(get, 3);
  auto big = Cmp("greater", id, Lit(2));
  auto zero_or_ten = std::make_shared<CaseExpr>(
      std::vector<std::pair<ExprPtr, ExprPtr>>{{Cmp("less", id, Lit(4)), Lit(10)}}, Lit(20),
      arrow::int64());
  auto cast_id = std::make_shared<CastExpr>(id, arrow::utf8(), false);
  SortKey desc{id, false, false};
  auto agg = pb_.Aggregate(
      get, {},
      {PlanBuilder::Agg("count", {}, false, big), PlanBuilder::Agg("sum", {zero_or_ten}, true),
       PlanBuilder::Agg("string_agg", {cast_id, LitS("-")}, false, nullptr, {desc}),
       PlanBuilder::Agg("median", {id}), PlanBuilder::Agg("count", {g}, true),
       PlanBuilder::Agg("sum", {n})});
  auto r = Run(agg);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"6|30|8-7-6-5-4-3-2-1|4.5|3|250"}));
}

TEST_P(OperatorsTest, GroupingSets) {
  auto get = pb_.Get("t", table_);
  auto g = PlanBuilder::Col(get, 1);
  auto big = Cmp("greater", PlanBuilder::Col(get, 0), Lit(4));
  // GROUP BY GROUPING SETS ((g, big), (g), ())
  auto agg = pb_.Aggregate(get, {g, big}, {PlanBuilder::Agg("count", {})}, {{0, 1}, {0}, {}});
  auto r = Run(agg);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(),
            Rows({"a|false|2|0", "a|true|1|0", "b|false|2|0", "b|true|1|0", "c|true|1|0",
                  "NULL|true|1|0", "a|NULL|3|1", "b|NULL|3|1", "c|NULL|1|1", "NULL|NULL|1|1",
                  "NULL|NULL|8|3"}));
}

TEST_P(OperatorsTest, SortNullsAndDirection) {
  auto get = pb_.Get("t", table_);
  auto x = PlanBuilder::Col(get, 2), id = PlanBuilder::Col(get, 0);
  auto sorted = pb_.Sort(pb_.Project(get, {x, id}), {});
  auto proj = std::static_pointer_cast<LogicalSort>(sorted);
  auto px = PlanBuilder::Col(proj->children[0], 0);
  proj->keys = {SortKey{px, false, true}};
  auto r = Run(sorted);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"NULL|3", "8|8", "7|7", "6|6", "5|5", "4|4",
                                              "2.5|2", "1.5|1"}));
  proj->keys = {SortKey{px, true, false}};
  r = Run(sorted);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows.front(), "1.5|1");
  EXPECT_EQ(r.rows.back(), "NULL|3");
}

TEST_P(OperatorsTest, TopNWithOffset) {
  auto get = pb_.Get("t", table_);
  auto id = PlanBuilder::Col(get, 0), g = PlanBuilder::Col(get, 1);
  auto top = pb_.TopN(get, {SortKey{g, true, false}, SortKey{id, false, false}}, 3, 1);
  auto r = Run(pb_.Project(top, {id}));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"3", "1", "8"}));
}

TEST_P(OperatorsTest, LimitOffsetKeepsNaturalOrder) {
  auto get = pb_.Get("t", table_);
  auto r = Run(pb_.Project(pb_.Limit(get, 3, 2), {PlanBuilder::Col(get, 0)}));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"3", "4", "5"}));
  r = Run(pb_.Project(pb_.Limit(get, std::nullopt, 6), {PlanBuilder::Col(get, 0)}));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"7", "8"}));
  r = Run(pb_.Limit(get, 0, 0));
  ASSERT_OK(r.status);
  EXPECT_TRUE(r.rows.empty());
}

TEST_P(OperatorsTest, SetOperations) {
  auto v1 = pb_.Values({arrow::int64()}, {{Lit(1)}, {Lit(1)}, {Lit(2)}, {Lit(3)},
                                          {MakeNullLiteral(arrow::int64())}});
  auto v2 = pb_.Values({arrow::int64()}, {{Lit(1)}, {Lit(3)}, {Lit(3)}, {Lit(4)},
                                          {MakeNullLiteral(arrow::int64())}});
  auto run = [&](SetOpKind op, bool all) {
    auto r = Run(pb_.SetOp(v1, v2, op, all));
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return r.Sorted();
  };
  EXPECT_EQ(run(SetOpKind::kUnion, true),
            Rows({"1", "1", "1", "2", "3", "3", "3", "4", "NULL", "NULL"}));
  EXPECT_EQ(run(SetOpKind::kUnion, false), Rows({"1", "2", "3", "4", "NULL"}));
  EXPECT_EQ(run(SetOpKind::kIntersect, false), Rows({"1", "3", "NULL"}));
  EXPECT_EQ(run(SetOpKind::kIntersect, true), Rows({"1", "3", "NULL"}));
  EXPECT_EQ(run(SetOpKind::kExcept, false), Rows({"2"}));
  EXPECT_EQ(run(SetOpKind::kExcept, true), Rows({"1", "2"}));
}

TEST_P(OperatorsTest, UnionAllOfScans) {
  auto a = pb_.Get("t", table_);
  auto b = pb_.Get("t", table_);
  auto u = pb_.SetOp(pb_.Project(a, {PlanBuilder::Col(a, 0)}),
                     pb_.Project(b, {PlanBuilder::Col(b, 0)}), SetOpKind::kUnion, true);
  auto agg = pb_.Aggregate(u, {}, {PlanBuilder::Agg("count", {}),
                                   PlanBuilder::Agg("sum", {PlanBuilder::Col(u, 0)})});
  auto r = Run(agg);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.rows, std::vector<std::string>({"16|72"}));
}

TEST_P(OperatorsTest, CancellationAndErrors) {
  auto get = pb_.Get("t", table_);
  std::atomic<bool> cancel{true};
  auto r = RunPlan(get, GetParam(), &cancel);
  EXPECT_TRUE(r.status.IsCancelled()) << r.status.ToString();
  EXPECT_NE(r.status.message().find("query cancelled"), std::string::npos);

  // A consumer error stops the query.
  ExecutionOptions opts{GetParam().threads, GetParam().batch_size, nullptr};
  auto q = QueryExecution::Make(get, opts);
  ASSERT_TRUE(q.ok());
  auto st = (*q)->Run([](std::shared_ptr<arrow::RecordBatch>) {
    return Status::IOError("consumer closed");
  });
  EXPECT_TRUE(st.IsIOError()) << st.ToString();

  // A worker error (failing cast) is returned.
  auto bad = pb_.Project(get, {std::make_shared<CastExpr>(PlanBuilder::Col(get, 1),
                                                          arrow::int32(), false)});
  auto r2 = Run(bad);
  EXPECT_FALSE(r2.status.ok());
}

TEST_P(OperatorsTest, CancelWhileRunning) {
  std::string ids = "[";
  for (int i = 0; i < 100000; ++i) ids += (i ? "," : "") + std::to_string(i);
  ids += "]";
  auto s = arrow::schema({arrow::field("id", arrow::int64())});
  auto big = pb_.Table(s, {ids}, 1000);
  auto get = pb_.Get("big", big);
  std::atomic<bool> cancel{false};
  ExecutionOptions opts{GetParam().threads, GetParam().batch_size, &cancel};
  auto q = QueryExecution::Make(get, opts);
  ASSERT_TRUE(q.ok());
  std::atomic<int64_t> rows{0};
  auto st = (*q)->Run([&](std::shared_ptr<arrow::RecordBatch> b) {
    rows += b->num_rows();
    cancel = true;
    return Status::OK();
  });
  EXPECT_TRUE(st.IsCancelled()) << st.ToString();
  EXPECT_LT(rows.load(), 100000);
}

TEST_P(OperatorsTest, ExplainAnalyzeHasMetrics) {
  auto get = pb_.Get("t", table_);
  auto filter = pb_.Filter(get, {Cmp("greater", PlanBuilder::Col(get, 0), Lit(4))});
  auto r = Run(filter);
  ASSERT_OK(r.status);
  EXPECT_NE(r.analyze.find("TableScan"), std::string::npos) << r.analyze;
  EXPECT_NE(r.analyze.find("rows_out=4"), std::string::npos) << r.analyze;
  EXPECT_NE(r.analyze.find("morsels="), std::string::npos) << r.analyze;
}

INSTANTIATE_TEST_SUITE_P(Configs, OperatorsTest,
                         ::testing::Values(RunConfig{1, 8192}, RunConfig{4, 8192},
                                           RunConfig{1, 3}, RunConfig{4, 3}),
                         ConfigName);

}  // namespace
}  // namespace shoal::exec::testing
