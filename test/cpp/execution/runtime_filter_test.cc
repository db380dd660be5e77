// Runtime join filters: the filter built from a join's build keys never drops a
// probe row that has a match, drops rows with null keys, and is exact for dense
// integer keys.
#include "exec_test_util.h"
#include "shoal/execution/runtime_filter.h"

namespace shoal::exec::testing {
namespace {

std::shared_ptr<arrow::Array> Arr(const std::shared_ptr<arrow::DataType>& t,
                                  const std::string& json) {
  return *arrow::json::ArrayFromJSONString(t, json);
}

std::unique_ptr<RuntimeFilter> Build(const arrow::ArrayVector& build) {
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& c : build) types.push_back(c->type());
  KeyLayout layout = ChooseKeyLayout(types);
  std::vector<JoinKeys> parts;
  // Two parts: the filter merges them.
  const int64_t n = build[0]->length(), half = n / 2;
  for (auto [off, len] : {std::pair<int64_t, int64_t>{0, half}, {half, n - half}}) {
    arrow::ArrayVector cols;
    for (const auto& c : build) cols.push_back(c->Slice(off, len));
    JoinKeys k;
    EXPECT_TRUE(EncodeJoinKeys(cols, layout, &k).ok());
    parts.push_back(std::move(k));
  }
  return RuntimeFilter::Make(parts, layout);
}

std::vector<int32_t> Select(const RuntimeFilter& f, const arrow::ArrayVector& probe) {
  JoinKeys k;
  EXPECT_TRUE(EncodeJoinKeys(probe, f.layout(), &k).ok());
  SelectionVector sel;
  f.Select(k, &sel);
  return sel;
}

TEST(RuntimeFilterTest, EmptyAndAllNullBuildSides) {
  auto f = Build({Arr(arrow::int64(), "[]")});
  EXPECT_TRUE(f->empty());
  EXPECT_TRUE(Select(*f, {Arr(arrow::int64(), "[1, 2, null]")}).empty());
  auto g = Build({Arr(arrow::int32(), "[null, null]")});
  EXPECT_TRUE(g->empty());
  EXPECT_EQ(g->keys(), 0);
}

TEST(RuntimeFilterTest, DenseIntegersUseAnExactBitmapWithRange) {
  auto f = Build({Arr(arrow::int64(), "[10, 12, null, 14, 12, 100]")});
  ASSERT_FALSE(f->empty());
  EXPECT_EQ(f->keys(), 5);
  ASSERT_TRUE(f->has_range());
  EXPECT_EQ(f->min(), 10);
  EXPECT_EQ(f->max(), 100);
  EXPECT_TRUE(f->has_membership());
  EXPECT_NE(f->ToString().find("bitmap"), std::string::npos) << f->ToString();
  auto probe = Arr(arrow::int64(), "[9, 10, 11, 12, null, 100, 101, -5, 14]");
  auto sel = Select(*f, {probe});
  EXPECT_EQ(sel, (std::vector<int32_t>{1, 3, 5, 8}));
  // The column fast path agrees.
  SelectionVector fast;
  ASSERT_TRUE(f->SelectColumn(*probe, &fast));
  EXPECT_EQ(fast, sel);
  auto f32 = Build({Arr(arrow::int32(), "[3, 5, null]")});
  SelectionVector fast32;
  ASSERT_TRUE(f32->SelectColumn(*Arr(arrow::int32(), "[5, null, 4, 3, -1]"), &fast32));
  EXPECT_EQ(fast32, (std::vector<int32_t>{0, 3}));
}

TEST(RuntimeFilterTest, SparseIntegersUseABloomFilterWithoutFalseNegatives) {
  std::string build = "[", probe = "[";
  for (int i = 0; i < 2000; ++i) {
    build += (i ? ", " : "") + std::to_string(int64_t{i} * 1000003);
  }
  for (int i = 0; i < 20000; ++i) {
    probe += (i ? ", " : "") + std::to_string(int64_t{i} * 100000);
  }
  auto f = Build({Arr(arrow::int64(), build + "]")});
  EXPECT_EQ(f->ToString().find("bitmap"), std::string::npos) << f->ToString();
  EXPECT_NE(f->ToString().find("bloom"), std::string::npos) << f->ToString();
  // Every build key passes.
  EXPECT_EQ(Select(*f, {Arr(arrow::int64(), build + "]")}).size(), 2000u);
  // Most absent keys are dropped (a 1-2% false positive rate is expected).
  auto probe_arr = Arr(arrow::int64(), probe + "]");
  auto sel = Select(*f, {probe_arr});
  SelectionVector fast;
  ASSERT_TRUE(f->SelectColumn(*probe_arr, &fast));
  EXPECT_EQ(fast, sel);
  size_t true_matches = 0;
  for (int i = 0; i < 20000; ++i) {
    int64_t v = int64_t{i} * 100000;
    if (v % 1000003 == 0 && v / 1000003 < 2000) ++true_matches;
  }
  EXPECT_GE(sel.size(), true_matches);
  EXPECT_LT(sel.size(), 20000u / 10);
}

TEST(RuntimeFilterTest, DatesStringsDecimalsAndMultiColumnKeys) {
  auto dates = Build({Arr(arrow::date32(), "[18000, 18010, null]")});
  EXPECT_TRUE(dates->has_range());
  EXPECT_EQ(Select(*dates, {Arr(arrow::date32(), "[17999, 18000, 18010, null, 18005]")}),
            (std::vector<int32_t>{1, 2}));

  auto strings = Build({Arr(arrow::utf8(), R"(["a", "bb", null, "ccc"])")});
  EXPECT_FALSE(strings->has_range());
  auto sel = Select(*strings, {Arr(arrow::utf8(), R"(["bb", null, "a", "ccc"])")});
  EXPECT_EQ(sel, (std::vector<int32_t>{0, 2, 3}));

  auto dec = arrow::decimal128(12, 2);
  auto decimals = Build({Arr(dec, R"(["1.50", "2.25", null])")});
  auto dsel = Select(*decimals, {Arr(dec, R"(["2.25", null, "1.50"])")});
  EXPECT_EQ(dsel, (std::vector<int32_t>{0, 2}));

  auto multi = Build({Arr(arrow::int32(), "[1, 2, 3, null]"),
                      Arr(arrow::utf8(), R"(["x", "y", null, "z"])")});
  EXPECT_FALSE(multi->has_range());
  // (1,x) and (2,y) match; rows with a null in any key column never do.
  auto msel = Select(*multi, {Arr(arrow::int32(), "[1, 2, 3, null, 1]"),
                              Arr(arrow::utf8(), R"(["x", "y", null, "z", "x"])")});
  EXPECT_EQ(msel.size() >= 3u, true);
  EXPECT_EQ(msel[0], 0);
  EXPECT_EQ(msel[1], 1);
  EXPECT_EQ(msel.back(), 4);
  for (int32_t i : msel) EXPECT_TRUE(i != 2 && i != 3) << i;
}

}  // namespace
}  // namespace shoal::exec::testing
