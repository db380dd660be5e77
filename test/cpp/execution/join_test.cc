// Hash joins and nested-loop joins of every type, building on either side.
#include "exec_test_util.h"

namespace shoal::exec::testing {
namespace {

struct JoinConfig {
  RunConfig run;
  bool build_right;
};

std::string JoinConfigName(const ::testing::TestParamInfo<JoinConfig>& info) {
  return Suffixed("t", info.param.run.threads) + "_b" +
         std::to_string(info.param.run.batch_size) +
         (info.param.build_right ? "_buildR" : "_buildL");
}

class JoinTest : public ::testing::TestWithParam<JoinConfig> {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    auto ls = arrow::schema({arrow::field("k", arrow::int32()), arrow::field("lv", arrow::utf8())});
    auto rs = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("rv", arrow::utf8())});
    left_t_ = pb_.Table(ls, {"[1, 2, 2, 3, null, 5]", R"(["l1", "l2a", "l2b", "l3", "lnull", "l5"])"});
    right_t_ = pb_.Table(rs, {"[2, 2, 3, 4, null]", R"(["r2a", "r2b", "r3", "r4", "rnull"])"});
  }
  RunResult Run(const LogicalOpPtr& plan) { return RunPlan(plan, GetParam().run); }
  LogicalOpPtr J(JoinType type, bool residual = false, bool null_aware = false) {
    auto l = pb_.Get("l", left_t_);
    auto r = pb_.Get("r", right_t_);
    auto lk = std::make_shared<CastExpr>(PlanBuilder::Col(l, 0), arrow::int64(), false);
    std::vector<ExprPtr> conds = {Cmp("equal", lk, PlanBuilder::Col(r, 0))};
    if (residual) {
      // lv <> 'l2b' AND rv <> 'r2a'
      conds.push_back(Cmp("not_equal", PlanBuilder::Col(l, 1), LitS("l2b")));
      conds.push_back(Cmp("not_equal", PlanBuilder::Col(r, 1), LitS("r2a")));
    }
    return pb_.Join(l, r, type, conds, GetParam().build_right, null_aware);
  }

  PlanBuilder pb_;
  std::shared_ptr<TableProvider> left_t_, right_t_;
};

TEST_P(JoinTest, Inner) {
  auto r = Run(J(JoinType::kInner));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"2|l2a|2|r2a", "2|l2a|2|r2b", "2|l2b|2|r2a", "2|l2b|2|r2b",
                              "3|l3|3|r3"}));
}

TEST_P(JoinTest, InnerWithResidual) {
  auto r = Run(J(JoinType::kInner, true));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"2|l2a|2|r2b", "3|l3|3|r3"}));
}

TEST_P(JoinTest, Left) {
  auto r = Run(J(JoinType::kLeft, true));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"1|l1|NULL|NULL", "2|l2a|2|r2b", "2|l2b|NULL|NULL", "3|l3|3|r3",
                              "5|l5|NULL|NULL", "NULL|lnull|NULL|NULL"}));
}

TEST_P(JoinTest, Right) {
  auto r = Run(J(JoinType::kRight));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"2|l2a|2|r2a", "2|l2a|2|r2b", "2|l2b|2|r2a", "2|l2b|2|r2b",
                              "3|l3|3|r3", "NULL|NULL|4|r4", "NULL|NULL|NULL|rnull"}));
}

TEST_P(JoinTest, Full) {
  auto r = Run(J(JoinType::kFull, true));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(),
            Rows({"1|l1|NULL|NULL", "2|l2a|2|r2b", "2|l2b|NULL|NULL", "3|l3|3|r3",
                  "5|l5|NULL|NULL", "NULL|lnull|NULL|NULL", "NULL|NULL|2|r2a",
                  "NULL|NULL|4|r4", "NULL|NULL|NULL|rnull"}));
}

TEST_P(JoinTest, SemiAndAnti) {
  auto r = Run(J(JoinType::kSemi));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"2|l2a", "2|l2b", "3|l3"}));
  r = Run(J(JoinType::kAnti));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"1|l1", "5|l5", "NULL|lnull"}));
}

TEST_P(JoinTest, Mark) {
  // EXISTS semantics: never NULL.
  auto r = Run(J(JoinType::kMark));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"1|l1|false", "2|l2a|true", "2|l2b|true", "3|l3|true",
                              "5|l5|false", "NULL|lnull|false"}));
  // IN semantics: the build side has a NULL key, so non-matches are NULL.
  r = Run(J(JoinType::kMark, false, true));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"1|l1|NULL", "2|l2a|true", "2|l2b|true", "3|l3|true",
                              "5|l5|NULL", "NULL|lnull|NULL"}));
}

TEST_P(JoinTest, MarkNullAwareWithoutNullsInSubquery) {
  auto l = pb_.Get("l", left_t_);
  auto r = pb_.Get("r", right_t_);
  auto rf = pb_.Filter(r, {Call("is_valid", {PlanBuilder::Col(r, 0)}, arrow::boolean())});
  auto lk = std::make_shared<CastExpr>(PlanBuilder::Col(l, 0), arrow::int64(), false);
  auto j = pb_.Join(l, rf, JoinType::kMark, {Cmp("equal", lk, PlanBuilder::Col(r, 0))},
                    GetParam().build_right, true);
  auto res = Run(j);
  ASSERT_OK(res.status);
  EXPECT_EQ(res.Sorted(), Rows({"1|l1|false", "2|l2a|true", "2|l2b|true", "3|l3|true",
                                "5|l5|false", "NULL|lnull|NULL"}));
}

TEST_P(JoinTest, SingleJoinErrorsOnDuplicates) {
  auto r = Run(J(JoinType::kSingle));
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("more than one row"), std::string::npos)
      << r.status.ToString();
  // With the residual each left row matches at most once.
  r = Run(J(JoinType::kSingle, true));
  ASSERT_OK(r.status);
  EXPECT_EQ(r.Sorted(), Rows({"1|l1|NULL|NULL", "2|l2a|2|r2b", "2|l2b|NULL|NULL", "3|l3|3|r3",
                              "5|l5|NULL|NULL", "NULL|lnull|NULL|NULL"}));
}

TEST_P(JoinTest, MultiColumnStringKeys) {
  auto l = pb_.Get("l", left_t_);
  auto r = pb_.Get("r", right_t_);
  auto lk = std::make_shared<CastExpr>(PlanBuilder::Col(l, 0), arrow::int64(), false);
  auto lsub = Call("utf8_slice_codeunits", {PlanBuilder::Col(l, 1)}, arrow::utf8());
  auto lprefix = std::make_shared<CallExpr>(
      "utf8_slice_codeunits", std::vector<ExprPtr>{PlanBuilder::Col(l, 1)}, arrow::utf8(),
      std::make_shared<arrow::compute::SliceOptions>(1, 3));
  auto rprefix = std::make_shared<CallExpr>(
      "utf8_slice_codeunits", std::vector<ExprPtr>{PlanBuilder::Col(r, 1)}, arrow::utf8(),
      std::make_shared<arrow::compute::SliceOptions>(1, 3));
  (void)lsub;
  auto j = pb_.Join(l, r, JoinType::kInner,
                    {Cmp("equal", lk, PlanBuilder::Col(r, 0)), Cmp("equal", lprefix, rprefix)},
                    GetParam().build_right);
  auto res = Run(pb_.Project(j, {PlanBuilder::Col(j, 1), PlanBuilder::Col(j, 3)}));
  ASSERT_OK(res.status);
  EXPECT_EQ(res.Sorted(), Rows({"l2a|r2a", "l2b|r2b", "l3|r3"}));
}

TEST_P(JoinTest, NestedLoopJoins) {
  auto l = pb_.Get("l", left_t_);
  auto r = pb_.Get("r", right_t_);
  auto lk = std::make_shared<CastExpr>(PlanBuilder::Col(l, 0), arrow::int64(), false);
  // Cross join.
  auto cross = pb_.Join(l, r, JoinType::kInner, {}, GetParam().build_right);
  auto res = Run(pb_.Aggregate(cross, {}, {PlanBuilder::Agg("count", {})}));
  ASSERT_OK(res.status);
  EXPECT_EQ(res.rows, std::vector<std::string>({"30"}));
  // l.k > r.k, left join.
  auto gt = pb_.Join(l, r, JoinType::kLeft, {Cmp("greater", lk, PlanBuilder::Col(r, 0))},
                     GetParam().build_right);
  res = Run(pb_.Project(gt, {PlanBuilder::Col(gt, 1), PlanBuilder::Col(gt, 3)}));
  ASSERT_OK(res.status);
  EXPECT_EQ(res.Sorted(), Rows({"l1|NULL", "l2a|NULL", "l2b|NULL", "l3|r2a", "l3|r2b",
                                "l5|r2a", "l5|r2b", "l5|r3", "l5|r4", "lnull|NULL"}));
  // NOT IN style mark join without equality: l.k < r.k.
  auto mark = pb_.Join(l, r, JoinType::kAnti, {Cmp("less", lk, PlanBuilder::Col(r, 0))},
                       GetParam().build_right);
  res = Run(mark);
  ASSERT_OK(res.status);
  EXPECT_EQ(res.Sorted(), Rows({"5|l5", "NULL|lnull"}));
}

TEST_P(JoinTest, EmptyBuildSide) {
  auto l = pb_.Get("l", left_t_);
  auto r = pb_.Get("r", right_t_);
  auto rf = pb_.Filter(r, {Cmp("greater", PlanBuilder::Col(r, 0), Lit(100))});
  auto lk = std::make_shared<CastExpr>(PlanBuilder::Col(l, 0), arrow::int64(), false);
  auto cond = Cmp("equal", lk, PlanBuilder::Col(r, 0));
  auto res = Run(pb_.Join(l, rf, JoinType::kAnti, {cond}, GetParam().build_right));
  ASSERT_OK(res.status);
  EXPECT_EQ(res.rows.size(), 6u);
  res = Run(pb_.Join(l, rf, JoinType::kMark, {cond}, GetParam().build_right, true));
  ASSERT_OK(res.status);
  EXPECT_EQ(res.Sorted(), Rows({"1|l1|false", "2|l2a|false", "2|l2b|false", "3|l3|false",
                                "5|l5|false", "NULL|lnull|false"}));
  res = Run(pb_.Join(l, rf, JoinType::kInner, {cond}, GetParam().build_right));
  ASSERT_OK(res.status);
  EXPECT_TRUE(res.rows.empty());
}

TEST_P(JoinTest, LargeBuildSide) {
  // 250k build rows exercise the parallel hash table build; keys repeat twice.
  std::string keys = "[", vals = "[";
  for (int i = 0; i < 250000; ++i) {
    keys += (i ? "," : "") + std::to_string(i / 2);
    vals += (i ? "," : "") + std::to_string(i);
  }
  keys += "]";
  vals += "]";
  auto s = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("v", arrow::int64())});
  auto big = pb_.Table(s, {keys, vals}, 4096);
  auto a = pb_.Get("a", big);
  auto b = pb_.Get("b", big);
  auto j = pb_.Join(a, b, JoinType::kInner,
                    {Cmp("equal", PlanBuilder::Col(a, 0), PlanBuilder::Col(b, 0))},
                    GetParam().build_right);
  auto agg = pb_.Aggregate(j, {}, {PlanBuilder::Agg("count", {}),
                                   PlanBuilder::Agg("sum", {PlanBuilder::Col(j, 3)})});
  auto r = Run(agg);
  ASSERT_OK(r.status);
  // Each key has 2 rows on each side: 4 pairs per key; each b row appears twice.
  EXPECT_EQ(r.rows, std::vector<std::string>({"500000|62499750000"}));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, JoinTest,
    ::testing::Values(JoinConfig{{1, 8192}, true}, JoinConfig{{4, 8192}, true},
                      JoinConfig{{1, 3}, true}, JoinConfig{{4, 3}, true},
                      JoinConfig{{1, 8192}, false}, JoinConfig{{4, 3}, false}),
    JoinConfigName);

}  // namespace
}  // namespace shoal::exec::testing
