#include "shoal/optimizer/simplify_expressions.h"

#include <gtest/gtest.h>

#include "optimizer_test_util.h"
#include "shoal/optimizer/plan_util.h"

namespace shoal::opt::testing {
namespace {

using B = PlanBuilder;

class SimplifyTest : public OptimizerTestBase {};

TEST_F(SimplifyTest, Name) { EXPECT_EQ(SimplifyExpressions().name(), "simplify_expressions"); }

TEST_F(SimplifyTest, FoldsConstantArithmetic) {
  auto e = B::Call("add", {B::Int(1), B::Int(2)}, arrow::int64(), "+");
  ASSERT_OK_AND_ASSIGN(auto s, SimplifyExpr(e));
  EXPECT_EQ(s->ToString(), "3");
  // Nested: (1 + 2) * 4
  auto m = B::Call("multiply", {e, B::Int(4)}, arrow::int64(), "*");
  ASSERT_OK_AND_ASSIGN(s, SimplifyExpr(m));
  EXPECT_EQ(s->ToString(), "12");
}

TEST_F(SimplifyTest, FoldsCasts) {
  auto e = std::make_shared<CastExpr>(B::Str("42"), arrow::int32(), false);
  ASSERT_OK_AND_ASSIGN(auto s, SimplifyExpr(e));
  ASSERT_EQ(s->kind, ExprKind::kLiteral);
  EXPECT_TRUE(s->type->Equals(*arrow::int32()));
  EXPECT_EQ(s->ToString(), "42");
  // A failing cast stays (errors only at run time); TRY_CAST becomes NULL.
  auto bad = std::make_shared<CastExpr>(B::Str("x"), arrow::int32(), false);
  ASSERT_OK_AND_ASSIGN(s, SimplifyExpr(bad));
  EXPECT_EQ(s->kind, ExprKind::kCast);
  auto try_bad = std::make_shared<CastExpr>(B::Str("x"), arrow::int32(), true);
  ASSERT_OK_AND_ASSIGN(s, SimplifyExpr(try_bad));
  EXPECT_TRUE(IsNullLiteral(s));
}

TEST_F(SimplifyTest, FoldingErrorsAreLeftForRunTime) {
  auto e = B::Call("divide", {B::Int(1), B::Int(0)}, arrow::int64(), "/");
  ASSERT_OK_AND_ASSIGN(auto s, SimplifyExpr(e));
  EXPECT_EQ(s->kind, ExprKind::kCall);
  // Planning a query with it does not fail.
  auto t = b.Get("t", {{"a", arrow::int64()}});
  auto plan = b.Project(t, {e}, {"x"});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<SimplifyExpressions>(&plan));
  EXPECT_FALSE(changed);
}

TEST_F(SimplifyTest, NeverFoldsVolatileCalls) {
  auto r = B::Call("random", {}, arrow::float64());
  std::static_pointer_cast<CallExpr>(std::const_pointer_cast<Expr>(r))->volatile_ = true;
  auto e = B::Call("multiply", {r, MakeLiteral(std::make_shared<arrow::DoubleScalar>(2))},
                   arrow::float64());
  ASSERT_OK_AND_ASSIGN(auto s, SimplifyExpr(e));
  EXPECT_EQ(s->ToString(), e->ToString());
}

TEST_F(SimplifyTest, BooleanRulesRespectNulls) {
  auto t = b.Get("t", {{"a", arrow::int64()}, {"flag", arrow::boolean()}});
  auto x = B::Col(t, "flag");
  auto t_ = MakeBoolLiteral(true);
  auto f_ = MakeBoolLiteral(false);
  auto null = MakeNullLiteral(arrow::boolean());
  auto and_ = [](ExprPtr a, ExprPtr b) { return MakeAnd(a, b); };
  auto or_ = [](ExprPtr a, ExprPtr b) {
    return B::Call("or_kleene", {a, b}, arrow::boolean(), "OR");
  };
  auto not_ = [](ExprPtr a) { return B::Call("invert", {a}, arrow::boolean(), "NOT"); };
  auto simp = [](ExprPtr e) { return SimplifyExpr(e).ValueOrDie()->ToString(); };
  EXPECT_EQ(simp(and_(x, t_)), x->ToString());
  EXPECT_EQ(simp(and_(x, f_)), "false");
  EXPECT_EQ(simp(or_(x, t_)), "true");
  EXPECT_EQ(simp(or_(f_, x)), x->ToString());
  EXPECT_EQ(simp(not_(not_(x))), x->ToString());
  EXPECT_EQ(simp(and_(x, x)), x->ToString());
  // x AND NULL is not simplified (it is false when x is false, else NULL).
  EXPECT_EQ(simp(and_(x, null)), and_(x, null)->ToString());
  // Comparison with NULL is NULL.
  EXPECT_EQ(simp(B::Eq(B::Col(t, "a"), MakeNullLiteral(arrow::int64()))), "NULL");
  // IS NULL of a non-nullable column is false; of a nullable one it stays.
  auto nn = MakeColumnRef(t->output[0].id, "a", arrow::int64(), /*nullable=*/false);
  EXPECT_EQ(simp(B::Call("is_null", {nn}, arrow::boolean())), "false");
  EXPECT_NE(simp(B::Call("is_null", {B::Col(t, "a")}, arrow::boolean())), "false");
}

TEST_F(SimplifyTest, FactorsCommonTermsOutOfDisjunctions) {
  auto t = b.Get("t", {{"a", arrow::int64()}, {"b", arrow::int64()}});
  auto key = B::Eq(B::Col(t, "a"), B::Col(t, "b"));
  auto d1 = MakeAnd(key, B::Gt(B::Col(t, "a"), B::Int(1)));
  auto d2 = MakeAnd(key, B::Lt(B::Col(t, "a"), B::Int(0)));
  ASSERT_OK_AND_ASSIGN(auto s, SimplifyExpr(B::Call("or_kleene", {d1, d2}, arrow::boolean(), "OR")));
  EXPECT_EQ(s->ToString(), "((a@1 = b@2) AND ((a@1 > 1) OR (a@1 < 0)))");
  // Absorption: key OR (key AND x) -> key
  ASSERT_OK_AND_ASSIGN(s, SimplifyExpr(B::Call("or_kleene", {key, d1}, arrow::boolean(), "OR")));
  EXPECT_EQ(s->ToString(), key->ToString());
}

TEST_F(SimplifyTest, UnwrapsCastOfColumnComparedToLiteral) {
  auto t = b.Get("t", {{"a", arrow::int32()}});
  auto cast = std::make_shared<CastExpr>(B::Col(t, "a"), arrow::int64(), false);
  ASSERT_OK_AND_ASSIGN(auto s, SimplifyExpr(B::Eq(cast, B::Int(5))));
  EXPECT_EQ(s->ToString(), "(a@1 = 5)");
  const auto& call = static_cast<const CallExpr&>(*s);
  EXPECT_TRUE(call.args[1]->type->Equals(*arrow::int32()));
  // Literal on the left keeps its position.
  ASSERT_OK_AND_ASSIGN(s, SimplifyExpr(B::Lt(B::Int(7), cast)));
  EXPECT_EQ(s->ToString(), "(7 < a@1)");
  // Out of range for int32: left alone.
  ASSERT_OK_AND_ASSIGN(s, SimplifyExpr(B::Eq(cast, B::Int(int64_t{1} << 40))));
  EXPECT_EQ(s->ToString(), B::Eq(cast, B::Int(int64_t{1} << 40))->ToString());
  // Narrowing casts are not unwrapped.
  auto t2 = b.Get("t2", {{"big", arrow::int64()}});
  auto narrow = std::make_shared<CastExpr>(B::Col(t2, "big"), arrow::int32(), false);
  ASSERT_OK_AND_ASSIGN(s, SimplifyExpr(B::Eq(narrow, B::Int32(5))));
  ASSERT_EQ(s->kind, ExprKind::kCall);
  EXPECT_EQ(static_cast<const CallExpr&>(*s).args[0]->kind, ExprKind::kCast);
}

TEST_F(SimplifyTest, FilterTrueRemovedFalseBecomesEmpty) {
  auto t = b.Get("t", {{"a", arrow::int64()}});
  LogicalOpPtr plan = B::Filter(t, {B::Eq(B::Int(1), B::Int(1))});
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<SimplifyExpressions>(&plan));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan->kind, LogicalOpKind::kGet);

  LogicalOpPtr plan2 = B::Filter(t, {B::Gt(B::Col(t, "a"), B::Int(1)), B::Lt(B::Int(2), B::Int(1))});
  ASSERT_OK_AND_ASSIGN(changed, Apply<SimplifyExpressions>(&plan2));
  EXPECT_TRUE(changed);
  EXPECT_EQ(plan2->kind, LogicalOpKind::kEmpty);
  EXPECT_EQ(plan2->output.size(), 1u);

  LogicalOpPtr plan3 = B::Filter(t, {MakeNullLiteral(arrow::boolean())});
  ASSERT_OK_AND_ASSIGN(changed, Apply<SimplifyExpressions>(&plan3));
  EXPECT_EQ(plan3->kind, LogicalOpKind::kEmpty);
}

TEST_F(SimplifyTest, UnchangedPlanReportsNoChange) {
  auto t = b.Get("t", {{"a", arrow::int64()}});
  LogicalOpPtr plan = B::Filter(t, {B::Gt(B::Col(t, "a"), B::Int(1))});
  const std::string before = PlanToString(plan);
  ASSERT_OK_AND_ASSIGN(bool changed, Apply<SimplifyExpressions>(&plan));
  EXPECT_FALSE(changed);
  EXPECT_EQ(PlanToString(plan), before);
}

TEST_F(SimplifyTest, CaseWithConstantConditions) {
  auto t = b.Get("t", {{"a", arrow::int64()}});
  auto c = std::make_shared<CaseExpr>(
      std::vector<std::pair<ExprPtr, ExprPtr>>{{MakeBoolLiteral(false), B::Int(1)},
                                               {B::Eq(B::Int(1), B::Int(1)), B::Col(t, "a")}},
      B::Int(3), arrow::int64());
  ASSERT_OK_AND_ASSIGN(auto s, SimplifyExpr(c));
  EXPECT_EQ(s->ToString(), "a@1");
}

}  // namespace
}  // namespace shoal::opt::testing
