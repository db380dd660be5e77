// RangePruner (io/pruning.h): direct min/max skipping, checked against rows.
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/compute/expression.h>
#include <arrow/compute/initialize.h>
#include <gtest/gtest.h>

#include "shoal/io/pruning.h"

namespace shoal {
namespace {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Schema> TestSchema() {
  return arrow::schema({arrow::field("x", arrow::int64()), arrow::field("y", arrow::int32()),
                        arrow::field("s", arrow::utf8()), arrow::field("b", arrow::boolean())});
}

cp::Expression Bound(const cp::Expression& e) {
  auto bound = BindPruningFilter(e, *TestSchema());
  EXPECT_TRUE(bound.has_value()) << e.ToString();
  return bound ? *bound : cp::literal(true);
}

ColumnRange Range(std::optional<int64_t> lo, std::optional<int64_t> hi, bool nulls,
                  bool values = true) {
  ColumnRange r;
  if (lo) r.min = arrow::MakeScalar(*lo);
  if (hi) r.max = arrow::MakeScalar(*hi);
  r.may_be_null = nulls;
  r.may_be_valid = values;
  return r;
}

// Ranges in the order of pruner.columns(), from a name -> range map.
std::vector<ColumnRange> Order(const RangePruner& p, const std::map<std::string, ColumnRange>& m) {
  std::vector<ColumnRange> out;
  for (const auto& c : p.columns()) {
    auto it = m.find(c);
    out.push_back(it == m.end() ? ColumnRange::Unknown() : it->second);
  }
  return out;
}

bool Skips(const cp::Expression& filter, const std::map<std::string, ColumnRange>& m) {
  auto p = RangePruner::Make(Bound(filter));
  EXPECT_NE(p, nullptr) << filter.ToString();
  return p && p->CanSkip(Order(*p, m));
}

class PruningTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cp::Initialize().ok()); }
};

TEST_F(PruningTest, Comparisons) {
  auto x = cp::field_ref("x");
  std::map<std::string, ColumnRange> m{{"x", Range(10, 20, false)}};
  EXPECT_TRUE(Skips(cp::less(x, cp::literal(int64_t{10})), m));
  EXPECT_FALSE(Skips(cp::less_equal(x, cp::literal(int64_t{10})), m));
  EXPECT_TRUE(Skips(cp::greater(x, cp::literal(int64_t{20})), m));
  EXPECT_FALSE(Skips(cp::greater_equal(x, cp::literal(int64_t{20})), m));
  EXPECT_TRUE(Skips(cp::equal(x, cp::literal(int64_t{21})), m));
  EXPECT_FALSE(Skips(cp::equal(x, cp::literal(int64_t{15})), m));
  EXPECT_TRUE(Skips(cp::equal(cp::literal(int64_t{9}), x), m));  // literal on the left
  // BETWEEN as the planner writes it.
  EXPECT_TRUE(Skips(cp::and_(cp::greater_equal(x, cp::literal(int64_t{30})),
                             cp::less_equal(x, cp::literal(int64_t{40}))), m));
  EXPECT_FALSE(Skips(cp::and_(cp::greater_equal(x, cp::literal(int64_t{15})),
                              cp::less_equal(x, cp::literal(int64_t{40}))), m));
  // <> only skips a constant column.
  EXPECT_FALSE(Skips(cp::not_equal(x, cp::literal(int64_t{15})), m));
  EXPECT_TRUE(Skips(cp::not_equal(x, cp::literal(int64_t{15})), {{"x", Range(15, 15, false)}}));
  // Comparing with null never holds.
  EXPECT_TRUE(Skips(cp::equal(x, cp::literal(std::make_shared<arrow::Int64Scalar>())), m));
  // Unknown bounds never skip.
  EXPECT_FALSE(Skips(cp::less(x, cp::literal(int64_t{0})), {{"x", Range(std::nullopt, 5, false)}}));
  EXPECT_TRUE(Skips(cp::greater(x, cp::literal(int64_t{9})), {{"x", Range(std::nullopt, 5, false)}}));
}

TEST_F(PruningTest, NullsInAndOr) {
  auto x = cp::field_ref("x");
  auto y = cp::field_ref("y");
  EXPECT_TRUE(Skips(cp::is_null(x), {{"x", Range(1, 2, false)}}));
  EXPECT_FALSE(Skips(cp::is_null(x), {{"x", Range(1, 2, true)}}));
  EXPECT_TRUE(Skips(cp::is_valid(x), {{"x", Range(std::nullopt, std::nullopt, true, false)}}));
  EXPECT_TRUE(Skips(cp::greater(x, cp::literal(int64_t{0})),
                    {{"x", Range(std::nullopt, std::nullopt, true, false)}}));
  // x > 5 AND x IS NULL is never true: the split into null / non-null cases sees it.
  EXPECT_TRUE(Skips(cp::and_(cp::greater(x, cp::literal(int64_t{5})), cp::is_null(x)),
                    {{"x", Range(0, 10, true)}}));
  // OR needs both sides impossible.
  auto filter = cp::or_(cp::greater(x, cp::literal(int64_t{100})),
                        cp::less(y, cp::literal(int32_t{0})));
  EXPECT_TRUE(Skips(filter, {{"x", Range(0, 10, false)}, {"y", Range(0, 10, false)}}));
  EXPECT_FALSE(Skips(filter, {{"x", Range(0, 10, false)}, {"y", Range(-1, 10, false)}}));
  EXPECT_FALSE(Skips(filter, {{"x", Range(0, 10, false)}}));  // y unknown
  // NOT.
  EXPECT_TRUE(Skips(cp::not_(cp::less(x, cp::literal(int64_t{100}))), {{"x", Range(0, 10, true)}}));
}

TEST_F(PruningTest, InListStringsBooleans) {
  auto x = cp::field_ref("x");
  auto in = [&](std::vector<int64_t> v, bool with_null) {
    arrow::Int64Builder b;
    for (auto i : v) EXPECT_TRUE(b.Append(i).ok());
    if (with_null) EXPECT_TRUE(b.AppendNull().ok());
    std::shared_ptr<arrow::Array> arr;
    EXPECT_TRUE(b.Finish(&arr).ok());
    return cp::call("is_in", {x}, cp::SetLookupOptions(arr));
  };
  EXPECT_TRUE(Skips(in({1, 2, 30}, false), {{"x", Range(10, 20, false)}}));
  EXPECT_FALSE(Skips(in({1, 15, 30}, false), {{"x", Range(10, 20, false)}}));
  EXPECT_TRUE(Skips(in({1, 2, 30}, false), {{"x", Range(10, 20, true)}}));
  EXPECT_FALSE(Skips(in({1}, true), {{"x", Range(10, 20, true)}}));

  auto s = cp::field_ref("s");
  ColumnRange sr;
  sr.min = arrow::MakeScalar("apple");
  sr.max = arrow::MakeScalar("banana");
  sr.may_be_null = false;
  EXPECT_TRUE(Skips(cp::equal(s, cp::literal("cherry")), {{"s", sr}}));
  EXPECT_FALSE(Skips(cp::equal(s, cp::literal("b")), {{"s", sr}}));
  EXPECT_TRUE(Skips(cp::less(s, cp::literal("apple")), {{"s", sr}}));

  ColumnRange all_false = ColumnRange::Constant(std::make_shared<arrow::BooleanScalar>(false));
  EXPECT_TRUE(Skips(cp::field_ref("b"), {{"b", all_false}}));
  EXPECT_FALSE(Skips(cp::not_(cp::field_ref("b")), {{"b", all_false}}));
}

TEST_F(PruningTest, WideningCastAndUnknownParts) {
  // int32 column against an int64 literal: Bind casts the column.
  auto y = cp::field_ref("y");
  EXPECT_TRUE(Skips(cp::greater(y, cp::literal(int64_t{1000})),
                    {{"y", Range(0, 10, false)}}));
  // A function the pruner does not know: not exact, but the known conjunct still skips.
  auto f = Bound(cp::and_(cp::equal(cp::call("abs", {cp::field_ref("x")}), cp::literal(int64_t{3})),
                          cp::less(y, cp::literal(int32_t{0}))));
  auto p = RangePruner::Make(f);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->exact());
  EXPECT_TRUE(p->CanSkip(Order(*p, {{"y", Range(0, 10, false)}})));
  EXPECT_FALSE(p->CanSkip(Order(*p, {{"y", Range(-5, 10, false)}})));
}

TEST_F(PruningTest, GuaranteeShapesMatchArrow) {
  // The shapes Parquet row-group statistics and partition values produce.
  auto x = cp::field_ref("x");
  auto y = cp::field_ref("y");
  auto in_range = cp::or_(cp::and_(cp::greater_equal(x, cp::literal(int64_t{10})),
                                   cp::less_equal(x, cp::literal(int64_t{20}))),
                          cp::is_null(x));
  auto filter = Bound(cp::and_(cp::greater(x, cp::literal(int64_t{25})),
                               cp::equal(y, cp::literal(int32_t{3}))));
  auto p = RangePruner::Make(filter);
  ASSERT_NE(p, nullptr);
  auto g = Bound(cp::and_(in_range, cp::equal(y, cp::literal(int32_t{3}))));
  auto ranges = RangesFromGuarantee(*p, g);
  ASSERT_TRUE(ranges.has_value());
  EXPECT_TRUE(p->CanSkip(*ranges));
  EXPECT_TRUE(CanSkip(filter, g));
  auto g2 = Bound(cp::and_(in_range, cp::is_null(y)));
  EXPECT_TRUE(CanSkip(filter, g2));
  auto g3 = Bound(cp::or_(cp::equal(x, cp::literal(int64_t{30})), cp::is_null(x)));
  EXPECT_FALSE(CanSkip(filter, g3));
  EXPECT_FALSE(CanSkip(filter, cp::literal(true)));
}

// Soundness: a file is never skipped when one of the rows its ranges allow
// satisfies the filter (evaluated by Arrow on those rows).
TEST_F(PruningTest, NeverSkipsAMatchingRow) {
  std::mt19937 rng(7);
  auto x = cp::field_ref("x");
  auto y = cp::field_ref("y");
  auto lit64 = [&]() { return cp::literal(static_cast<int64_t>(rng() % 8)); };
  auto lit32 = [&]() { return cp::literal(static_cast<int32_t>(rng() % 8)); };
  std::function<cp::Expression(int)> gen = [&](int depth) -> cp::Expression {
    int k = rng() % (depth > 0 ? 10 : 7);
    switch (k) {
      case 0: return cp::less(x, lit64());
      case 1: return cp::greater_equal(x, lit64());
      case 2: return cp::equal(y, lit32());
      case 3: return cp::not_equal(x, lit64());
      case 4: return cp::is_null(rng() % 2 ? x : y);
      case 5: return cp::is_valid(rng() % 2 ? x : y);
      case 6: return cp::less_equal(lit32(), y);
      case 7: return cp::and_(gen(depth - 1), gen(depth - 1));
      case 8: return cp::or_(gen(depth - 1), gen(depth - 1));
      default: return cp::not_(gen(depth - 1));
    }
  };
  auto schema = arrow::schema({arrow::field("x", arrow::int64()), arrow::field("y", arrow::int32())});
  int skipped = 0;
  for (int iter = 0; iter < 400; ++iter) {
    auto filter = BindPruningFilter(gen(3), *schema);
    ASSERT_TRUE(filter.has_value());
    auto p = RangePruner::Make(*filter);
    if (!p) continue;
    std::map<std::string, std::pair<ColumnRange, std::vector<std::optional<int64_t>>>> cols;
    for (const char* name : {"x", "y"}) {
      int64_t lo = rng() % 8, hi = lo + rng() % 3;
      ColumnRange r;
      r.may_be_null = rng() % 2;
      r.may_be_valid = !r.may_be_null || rng() % 3;
      std::vector<std::optional<int64_t>> vals;
      if (r.may_be_null) vals.push_back(std::nullopt);
      if (r.may_be_valid) {
        for (int64_t v = lo; v <= hi; ++v) vals.push_back(v);
        if (std::string(name) == "x") {
          r.min = arrow::MakeScalar(lo);
          r.max = arrow::MakeScalar(hi);
        } else {
          r.min = arrow::MakeScalar(static_cast<int32_t>(lo));
          r.max = arrow::MakeScalar(static_cast<int32_t>(hi));
        }
      }
      cols[name] = {r, vals};
    }
    arrow::Int64Builder xb;
    arrow::Int32Builder yb;
    for (const auto& xv : cols["x"].second) {
      for (const auto& yv : cols["y"].second) {
        ASSERT_TRUE((xv ? xb.Append(*xv) : xb.AppendNull()).ok());
        ASSERT_TRUE((yv ? yb.Append(static_cast<int32_t>(*yv)) : yb.AppendNull()).ok());
      }
    }
    std::shared_ptr<arrow::Array> xa, ya;
    ASSERT_TRUE(xb.Finish(&xa).ok());
    ASSERT_TRUE(yb.Finish(&ya).ok());
    auto batch = arrow::RecordBatch::Make(schema, xa->length(), {xa, ya});
    auto result = cp::ExecuteScalarExpression(*filter, cp::ExecBatch(*batch));
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    auto arr = result->is_scalar() ? arrow::MakeArrayFromScalar(*result->scalar(), xa->length())
                                   : arrow::Result<std::shared_ptr<arrow::Array>>(result->make_array());
    ASSERT_TRUE(arr.ok());
    const auto& bools = static_cast<const arrow::BooleanArray&>(**arr);
    bool any_true = false;
    for (int64_t i = 0; i < bools.length(); ++i) any_true = any_true || (bools.IsValid(i) && bools.Value(i));
    bool skip = p->CanSkip(Order(*p, {{"x", cols["x"].first}, {"y", cols["y"].first}}));
    if (any_true) {
      EXPECT_FALSE(skip) << filter->ToString();
    }
    skipped += skip;
  }
  EXPECT_GT(skipped, 20);  // the test means something
}

}  // namespace
}  // namespace shoal
