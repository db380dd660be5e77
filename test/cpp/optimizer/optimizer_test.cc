// The optimizer driver: rule list, settings, report, fingerprint and validation.
#include "shoal/optimizer/optimizer.h"

#include <gtest/gtest.h>

#include "optimizer_test_util.h"
#include "shoal/optimizer/plan_util.h"
#include "shoal/optimizer/plan_validator.h"

namespace shoal::opt::testing {
namespace {

class OptimizerTest : public OptimizerTestBase {
 protected:
  LogicalOpPtr SimplePlan() {
    auto t = b.Get("t", {{"a", arrow::int64()}, {"b", arrow::utf8()}, {"c", arrow::int64()}});
    auto f = PlanBuilder::Filter(
        t, {MakeAnd(PlanBuilder::Gt(PlanBuilder::Col(t, "a"), PlanBuilder::Int(5)),
                    MakeBoolLiteral(true))});
    return b.Project(f, {PlanBuilder::Col(t, "b")}, {"b"});
  }
};

TEST_F(OptimizerTest, RuleNamesListEveryRule) {
  auto names = Optimizer::Default().RuleNames();
  std::vector<std::string> want = {"simplify_expressions", "decorrelate_subqueries",
                                   "push_down_filters",    "eliminate_redundant",
                                   "join_reorder",         "push_down_limits",
                                   "push_down_projections", "materialize_common_subplans"};
  for (const auto& w : want) {
    EXPECT_NE(std::find(names.begin(), names.end(), w), names.end()) << w;
  }
  EXPECT_EQ(names.size(), want.size());
}

TEST_F(OptimizerTest, OptimizesAndReportsEveryRule) {
  auto plan = SimplePlan();
  const std::string before = PlanToString(plan);
  Settings settings;
  OptimizerReport report;
  ASSERT_OK_AND_ASSIGN(auto out, Optimizer::Default().Optimize(plan, settings, &report));
  // The input plan is untouched.
  EXPECT_EQ(PlanToString(plan), before);
  // Filter pushed into the scan, scan narrowed to a and b.
  auto get = FindOp(out, LogicalOpKind::kGet);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->As<LogicalGet>().projection, (std::vector<int>{0, 1}));
  EXPECT_EQ(get->As<LogicalGet>().filters.size(), 1u);
  auto filter = FindOp(out, LogicalOpKind::kFilter);
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->As<LogicalFilter>().conditions.size(), 1u);  // "AND true" gone
  EXPECT_TRUE(out->estimated_rows.has_value());
  ASSERT_FALSE(report.runs.empty());
  bool saw_simplify_changed = false;
  for (const auto& r : report.runs) {
    if (r.name == "simplify_expressions" && r.changed) saw_simplify_changed = true;
    EXPECT_GE(r.micros, 0);
  }
  EXPECT_TRUE(saw_simplify_changed);
  EXPECT_NE(report.ToString().find("push_down_filters"), std::string::npos);
  EXPECT_EQ(report.fingerprint, Optimizer::Default().Fingerprint(settings));
  EXPECT_TRUE(ValidatePlan(out).ok());
}

TEST_F(OptimizerTest, DisabledRulesAreSkipped) {
  Settings settings;
  ASSERT_TRUE(settings.Set("shoal.optimizer.disabled_rules", "push_down_filters, join_reorder").ok());
  OptimizerReport report;
  ASSERT_OK_AND_ASSIGN(auto out, Optimizer::Default().Optimize(SimplePlan(), settings, &report));
  for (const auto& r : report.runs) {
    EXPECT_NE(r.name, "push_down_filters");
    EXPECT_NE(r.name, "join_reorder");
  }
  EXPECT_EQ(report.skipped.size(), 2u);
  auto get = FindOp(out, LogicalOpKind::kGet);
  EXPECT_TRUE(get->As<LogicalGet>().filters.empty());  // nothing pushed
}

TEST_F(OptimizerTest, UnknownDisabledRuleIsAnError) {
  Settings settings;
  ASSERT_TRUE(settings.Set("shoal.optimizer.disabled_rules", "push_down_filter").ok());
  auto r = Optimizer::Default().Optimize(SimplePlan(), settings, nullptr);
  ASSERT_FALSE(r.ok());
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("'push_down_filter'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'push_down_filters'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("join_reorder"), std::string::npos) << msg;  // lists valid names
}

TEST_F(OptimizerTest, DisabledOptimizerReturnsTheSamePlan) {
  Settings settings;
  ASSERT_TRUE(settings.Set("shoal.optimizer.enabled", "false").ok());
  auto plan = SimplePlan();
  OptimizerReport report;
  ASSERT_OK_AND_ASSIGN(auto out, Optimizer::Default().Optimize(plan, settings, &report));
  EXPECT_TRUE(report.runs.empty());
  EXPECT_FALSE(report.enabled);
  // Same plan apart from the row estimates.
  std::string printed = PlanToString(out);
  EXPECT_NE(printed.find("AND true"), std::string::npos) << printed;
}

TEST_F(OptimizerTest, FingerprintIsStableAndDependsOnSettings) {
  Settings a, b2, c;
  ASSERT_TRUE(b2.Set("shoal.optimizer.disabled_rules", "join_reorder").ok());
  ASSERT_TRUE(c.Set("shoal.optimizer.enabled", "false").ok());
  auto opt = Optimizer::Default();
  EXPECT_EQ(opt.Fingerprint(a), Optimizer::Default().Fingerprint(a));
  EXPECT_NE(opt.Fingerprint(a), opt.Fingerprint(b2));
  EXPECT_NE(opt.Fingerprint(a), opt.Fingerprint(c));
  EXPECT_EQ(opt.Fingerprint(a).rfind("opt1-", 0), 0u);
}

/// A rule that changes the type of the root's first column.
class BreakRootRule : public OptimizerRule {
 public:
  std::string name() const override { return "break_root"; }
  Result<bool> Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const override {
    auto p = (*plan)->Clone();
    auto& proj = p->As<LogicalProjection>();
    proj.exprs[0] = MakeLiteral(std::make_shared<arrow::Int64Scalar>(1));
    p->output[0].type = arrow::int64();
    *plan = p;
    return true;
  }
};

/// A rule that makes a column reference dangle.
class DanglingRefRule : public OptimizerRule {
 public:
  std::string name() const override { return "dangling_ref"; }
  Result<bool> Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const override {
    auto p = (*plan)->Clone();
    auto& proj = p->As<LogicalProjection>();
    proj.exprs[0] = MakeColumnRef(ctx.NextColumnId(), "ghost", proj.exprs[0]->type);
    *plan = p;
    return true;
  }
};

TEST_F(OptimizerTest, DriverRejectsRulesThatChangeTheOutput) {
  Optimizer opt({{{std::make_shared<BreakRootRule>()}, 1}});
  auto r = opt.Optimize(SimplePlan(), Settings(), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'break_root' changed the query's output"),
            std::string::npos)
      << r.status().message();
}

TEST_F(OptimizerTest, DriverRejectsRulesThatBreakReferences) {
  Optimizer opt({{{std::make_shared<DanglingRefRule>()}, 1}});
  auto r = opt.Optimize(SimplePlan(), Settings(), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'dangling_ref' produced an invalid plan"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("ghost@"), std::string::npos) << r.status().message();
}

TEST_F(OptimizerTest, ValidatorCatchesBrokenPlans) {
  auto t = b.Get("t", {{"a", arrow::int64()}});
  auto u = b.Get("u", {{"x", arrow::int64()}});
  // Filter over t referencing u's column.
  auto bad = PlanBuilder::Filter(t, {PlanBuilder::Gt(PlanBuilder::Col(u, "x"), PlanBuilder::Int(1))});
  auto st = ValidatePlan(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("does not resolve"), std::string::npos) << st.message();

  // Projection with a wrong output type.
  auto p = b.Project(t, {PlanBuilder::Col(t, "a")}, {"a"});
  p->output[0].type = arrow::utf8();
  st = ValidatePlan(p);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("has type string"), std::string::npos) << st.message();

  // Join whose output misses the right side.
  auto j = b.Join(JoinType::kInner, t, u, {});
  j->output.pop_back();
  EXPECT_FALSE(ValidatePlan(j).ok());

  // A column reference with the wrong type.
  auto f = PlanBuilder::Filter(
      t, {PlanBuilder::Gt(MakeColumnRef(t->output[0].id, "a", arrow::int32()), PlanBuilder::Int32(1))});
  EXPECT_FALSE(ValidatePlan(f).ok());

  EXPECT_TRUE(ValidatePlan(SimplePlan()).ok());
}

TEST_F(OptimizerTest, ContextStartsAboveTheLargestId) {
  auto plan = SimplePlan();
  Settings s;
  OptimizerContext ctx(s, plan);
  EXPECT_EQ(ctx.NextColumnId(), MaxColumnId(plan) + 1);
  EXPECT_GT(ctx.NextColumnId(), MaxColumnId(plan) + 1);
}

}  // namespace
}  // namespace shoal::opt::testing
