// Join key encoding, the join hash table, the integer group-key map, and the
// column-usage pruning of joins, filters and sorts.
#include <set>

#include "exec_test_util.h"
#include "shoal/execution/group_key_map.h"
#include "shoal/execution/join_hash_table.h"

namespace shoal::exec::testing {
namespace {

std::shared_ptr<arrow::Array> Arr(const std::shared_ptr<arrow::DataType>& t,
                                  const std::string& json) {
  return *arrow::json::ArrayFromJSONString(t, json);
}

/// Build a table over `build` columns split into batches of `batch` rows and
/// return (probe row, build row) pairs for `probe`.
std::set<std::pair<int64_t, int64_t>> Match(const arrow::ArrayVector& build,
                                            const arrow::ArrayVector& probe, bool first_only,
                                            int64_t batch = 3, int threads = 1,
                                            bool* direct = nullptr) {
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& c : build) types.push_back(c->type());
  KeyLayout layout = ChooseKeyLayout(types);
  std::vector<JoinKeys> parts;
  const int64_t n = build[0]->length();
  for (int64_t off = 0; off < n; off += batch) {
    arrow::ArrayVector cols;
    for (const auto& c : build) cols.push_back(c->Slice(off, std::min(batch, n - off)));
    JoinKeys k;
    EXPECT_TRUE(EncodeJoinKeys(cols, layout, &k).ok());
    parts.push_back(std::move(k));
  }
  auto table = JoinHashTable::Build(&parts, layout, threads);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  if (direct != nullptr) *direct = (*table)->direct();
  JoinKeys pk;
  EXPECT_TRUE(EncodeJoinKeys(probe, layout, &pk).ok());
  std::set<std::pair<int64_t, int64_t>> out;
  auto add = [&](int64_t i, int64_t r) { out.insert({i, r}); };
  if (first_only) {
    (*table)->ProbeRange<true>(pk, 0, pk.length, add);
  } else {
    (*table)->ProbeRange<false>(pk, 0, pk.length, add);
  }
  return out;
}

using Pairs = std::set<std::pair<int64_t, int64_t>>;

TEST(JoinHashTableTest, DenseIntegerKeysUseDirectTable) {
  bool direct = false;
  auto b = Arr(arrow::int32(), "[3, 4, 4, null, 6, -1]");
  auto p = Arr(arrow::int32(), "[4, 5, null, 6, -1, 100, -100]");
  EXPECT_EQ(Match({b}, {p}, false, 2, 1, &direct),
            (Pairs{{0, 1}, {0, 2}, {3, 4}, {4, 5}}));
  EXPECT_TRUE(direct);
  auto first = Match({b}, {p}, true);
  EXPECT_EQ(first.size(), 3u);  // one match per probe row with a match
}

TEST(JoinHashTableTest, SparseIntegerKeysUseHashTable) {
  bool direct = true;
  auto b = Arr(arrow::int64(), "[10, 5000000000, 10, null, -7]");
  auto p = Arr(arrow::int64(), "[5000000000, 10, 11, null, -7]");
  EXPECT_EQ(Match({b}, {p}, false, 2, 1, &direct),
            (Pairs{{0, 1}, {1, 0}, {1, 2}, {4, 4}}));
  EXPECT_FALSE(direct);
}

TEST(JoinHashTableTest, FixedWidthCompositeKeys) {
  auto b1 = Arr(arrow::int32(), "[1, 1, 2, 2, null]");
  auto b2 = Arr(arrow::float64(), "[0.0, 1.5, 0.0, NaN, 1.0]");
  auto p1 = Arr(arrow::int32(), "[1, 2, 2, 1, null]");
  auto p2 = Arr(arrow::float64(), "[-0.0, NaN, 1.5, 1.5, 1.0]");
  // -0.0 equals 0.0; NaN equals NaN (as in GROUP BY); null keys never match.
  EXPECT_EQ(Match({b1, b2}, {p1, p2}, false), (Pairs{{0, 0}, {1, 3}, {3, 1}}));
}

TEST(JoinHashTableTest, VariableWidthKeys) {
  auto b1 = Arr(arrow::utf8(), R"(["a", "", "ab", null, "a"])");
  auto b2 = Arr(arrow::int64(), "[1, 1, 1, 1, 2]");
  auto p1 = Arr(arrow::utf8(), R"(["ab", "a", "", "b", null, "a"])");
  auto p2 = Arr(arrow::int64(), "[1, 1, 1, 1, 1, 2]");
  EXPECT_EQ(Match({b1, b2}, {p1, p2}, false), (Pairs{{0, 2}, {1, 0}, {2, 1}, {5, 4}}));
}

TEST(JoinHashTableTest, ParallelBuildFindsEveryRow) {
  // Enough rows for the multi-threaded insert; keys repeat (chains of 3).
  const int64_t n = 150000;
  arrow::Int64Builder bb, pb;
  for (int64_t i = 0; i < n; ++i) ASSERT_OK(bb.Append((i % 50000) * 7919));
  for (int64_t i = 0; i < 50000; i += 97) ASSERT_OK(pb.Append(i * 7919));
  ASSERT_OK(pb.Append(1));  // no match
  auto b = *bb.Finish();
  auto p = *pb.Finish();
  auto m = Match({b}, {p}, false, 8192, 4);
  int64_t probes = p->length() - 1;
  EXPECT_EQ(static_cast<int64_t>(m.size()), probes * 3);
  for (const auto& [i, r] : m) EXPECT_EQ(r % 50000, i * 97);
}

TEST(GroupKeyMapTest, RunsNullsAndGrowth) {
  arrow::compute::ExecContext ctx;
  ASSERT_OK_AND_ASSIGN(auto map, GroupKeyMap::Make({arrow::int32()}, &ctx));
  auto a = Arr(arrow::int32(), "[7, 7, 7, 3, 3, 7, null, null, 3]");
  ASSERT_OK_AND_ASSIGN(auto ids, map->Consume({a}, a->length()));
  EXPECT_EQ(ids->ToString(), Arr(arrow::uint32(), "[0, 0, 0, 1, 1, 0, 2, 2, 1]")->ToString());
  // A run continuing across calls, then many new keys (several rehashes).
  arrow::Int32Builder b;
  ASSERT_OK(b.Append(3));
  for (int i = 0; i < 5000; ++i) ASSERT_OK(b.Append(100 + i));
  ASSERT_OK(b.Append(7));
  auto more = *b.Finish();
  ASSERT_OK_AND_ASSIGN(ids, map->Consume({more}, more->length()));
  const auto& u = static_cast<const arrow::UInt32Array&>(*ids);
  EXPECT_EQ(u.Value(0), 1u);
  EXPECT_EQ(u.Value(1), 3u);
  EXPECT_EQ(u.Value(5000), 5002u);
  EXPECT_EQ(u.Value(5001), 0u);
  EXPECT_EQ(map->num_groups(), 5003u);
  ASSERT_OK_AND_ASSIGN(auto uniques, map->GetUniques());
  EXPECT_EQ(uniques[0]->Slice(0, 4)->ToString(),
            Arr(arrow::int32(), "[7, 3, null, 100]")->ToString());
}

// Column usage: columns nobody above reads are dropped by joins, filters and
// sorts; the results must not change.
class ColumnUsageTest : public ::testing::TestWithParam<RunConfig> {
 protected:
  void SetUp() override {
    ASSERT_OK(arrow::compute::Initialize());
    auto ls = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("a", arrow::utf8()),
                             arrow::field("b", arrow::float64())});
    auto rs = arrow::schema({arrow::field("k", arrow::int64()), arrow::field("c", arrow::utf8()),
                             arrow::field("d", arrow::int32())});
    l_ = pb_.Table(ls, {"[1, 2, 3, 4, 5, 6]", R"(["a1", "a2", "a3", "a4", "a5", "a6"])",
                        "[0.5, 1.5, 2.5, 3.5, 4.5, 5.5]"});
    r_ = pb_.Table(rs, {"[2, 3, 3, 5, 7]", R"(["c2", "c3", "c3b", "c5", "c7"])",
                        "[20, 30, 31, 50, 70]"});
  }
  RunResult Run(const LogicalOpPtr& plan) { return RunPlan(plan, GetParam()); }

  PlanBuilder pb_;
  std::shared_ptr<TableProvider> l_, r_;
};

TEST_P(ColumnUsageTest, JoinFilterSortKeepOnlyReadColumns) {
  for (bool build_right : {true, false}) {
    for (JoinType type : {JoinType::kInner, JoinType::kLeft, JoinType::kFull}) {
      auto l = pb_.Get("l", l_);
      auto r = pb_.Get("r", r_);
      // Join on k with a residual on d; then filter on b; sort by d; project a, c.
      auto join = pb_.Join(l, r, type,
                           {Cmp("equal", PlanBuilder::Col(l, 0), PlanBuilder::Col(r, 0)),
                            Cmp("not_equal", PlanBuilder::Col(r, 2), Lit32(31))},
                           build_right);
      auto filter = pb_.Filter(join, {Cmp("greater", PlanBuilder::Col(l, 2), LitD(1.0))});
      auto sort = pb_.Sort(filter, {SortKey{PlanBuilder::Col(r, 2), true, false},
                                    SortKey{PlanBuilder::Col(l, 1), true, false}});
      auto proj = pb_.Project(sort, {PlanBuilder::Col(l, 1), PlanBuilder::Col(r, 1)});
      auto res = Run(proj);
      ASSERT_OK(res.status);
      std::vector<std::string> want;
      if (type == JoinType::kInner) {
        want = {"a2|c2", "a3|c3", "a5|c5"};
      } else if (type == JoinType::kLeft) {
        want = {"a2|c2", "a3|c3", "a5|c5", "a4|NULL", "a6|NULL"};
      } else {
        // Unmatched right rows have a null b: the filter drops them.
        want = {"a2|c2", "a3|c3", "a5|c5", "a4|NULL", "a6|NULL"};
      }
      EXPECT_EQ(res.rows, want) << JoinTypeName(type) << " build_right=" << build_right;
    }
  }
}

TEST_P(ColumnUsageTest, SemiAndAntiJoinsKeepNoBuildPayload) {
  for (bool build_right : {true, false}) {
    for (JoinType type : {JoinType::kSemi, JoinType::kAnti}) {
      auto l = pb_.Get("l", l_);
      auto r = pb_.Get("r", r_);
      auto join = pb_.Join(l, r, type,
                           {Cmp("equal", PlanBuilder::Col(l, 0), PlanBuilder::Col(r, 0))},
                           build_right);
      auto proj = pb_.Project(join, {PlanBuilder::Col(l, 1)});
      auto res = Run(proj);
      ASSERT_OK(res.status);
      std::vector<std::string> want = type == JoinType::kSemi
                                           ? std::vector<std::string>{"a2", "a3", "a5"}
                                           : std::vector<std::string>{"a1", "a4", "a6"};
      EXPECT_EQ(res.Sorted(), want);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, ColumnUsageTest,
                         ::testing::Values(RunConfig{1, 8192}, RunConfig{4, 8192},
                                           RunConfig{1, 2}, RunConfig{4, 3}),
                         ConfigName);

}  // namespace
}  // namespace shoal::exec::testing
