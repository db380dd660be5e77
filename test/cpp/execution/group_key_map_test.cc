// Group key maps: the encoded-row map for several keys and string keys,
// checked against a reference built from the keys' scalar values.
#include <map>
#include <random>

#include "exec_test_util.h"
#include "shoal/execution/group_key_map.h"
#include "shoal/execution/row_key_map.h"

namespace shoal::exec::testing {
namespace {

std::shared_ptr<arrow::Array> Arr(const std::shared_ptr<arrow::DataType>& t,
                                  const std::string& json) {
  return *arrow::json::ArrayFromJSONString(t, json);
}

/// Reference grouping: ids in order of first appearance of each key tuple.
class ReferenceGroups {
 public:
  std::vector<uint32_t> Consume(const arrow::ArrayVector& keys, int64_t n) {
    std::vector<uint32_t> out;
    for (int64_t i = 0; i < n; ++i) {
      std::string k;
      for (const auto& c : keys) {
        auto s = *c->GetScalar(i);
        k += s->is_valid ? "v" + std::to_string(s->ToString().size()) + ":" + s->ToString()
                         : std::string("n");
        k += '|';
      }
      auto it = ids_.find(k);
      if (it == ids_.end()) it = ids_.emplace(k, static_cast<uint32_t>(ids_.size())).first;
      out.push_back(it->second);
    }
    return out;
  }
  size_t size() const { return ids_.size(); }

 private:
  std::map<std::string, uint32_t> ids_;
};

std::vector<uint32_t> Ids(const std::shared_ptr<arrow::Array>& a) {
  const auto& u = static_cast<const arrow::UInt32Array&>(*a);
  return std::vector<uint32_t>(u.raw_values(), u.raw_values() + u.length());
}

/// Consume `keys` in batches of `batch` rows (sliced, so offsets are nonzero) into
/// a fresh RowKeyMap and compare ids and uniques with the reference.
void CheckAgainstReference(const arrow::ArrayVector& keys, int64_t batch) {
  std::vector<std::shared_ptr<arrow::DataType>> types;
  for (const auto& k : keys) types.push_back(k->type());
  ASSERT_TRUE(RowKeyMapSupports(types));
  ASSERT_OK_AND_ASSIGN(auto map, MakeRowKeyMap(types, arrow::default_memory_pool()));
  ReferenceGroups ref;
  const int64_t n = keys[0]->length();
  for (int64_t off = 0; off < n; off += batch) {
    const int64_t len = std::min(batch, n - off);
    arrow::ArrayVector part;
    for (const auto& k : keys) part.push_back(k->Slice(off, len));
    ASSERT_OK_AND_ASSIGN(auto ids, map->Consume(part, len));
    ASSERT_EQ(Ids(ids), ref.Consume(part, len)) << "batch at row " << off;
  }
  ASSERT_EQ(map->num_groups(), ref.size());
  // The uniques map back to ids 0..n-1.
  ASSERT_OK_AND_ASSIGN(auto uniques, map->GetUniques());
  ASSERT_EQ(uniques.size(), keys.size());
  for (size_t c = 0; c < keys.size(); ++c) {
    ASSERT_OK(uniques[c]->ValidateFull());
    EXPECT_TRUE(uniques[c]->type()->Equals(*keys[c]->type()));
  }
  ASSERT_OK_AND_ASSIGN(auto again, map->Consume(uniques, map->num_groups()));
  std::vector<uint32_t> iota(map->num_groups());
  for (size_t i = 0; i < iota.size(); ++i) iota[i] = static_cast<uint32_t>(i);
  EXPECT_EQ(Ids(again), iota);
  EXPECT_EQ(map->num_groups(), ref.size());
}

TEST(RowKeyMapTest, SeveralKeysWithNulls) {
  auto a = Arr(arrow::int32(), "[1, 1, null, 2, 1, null, 2, 1, null, 0]");
  auto b = Arr(arrow::utf8(), R"(["x", "x", "x", null, "y", "x", null, "", null, ""])");
  auto c = Arr(arrow::boolean(), "[true, true, false, null, true, false, null, true, null, true]");
  for (int64_t batch : {1, 3, 7, 100}) CheckAgainstReference({a, b, c}, batch);
}

TEST(RowKeyMapTest, NullIsNotEmptyOrZero) {
  auto a = Arr(arrow::utf8(), R"(["", null, "", null])");
  auto b = Arr(arrow::int64(), "[0, 0, null, null]");
  ASSERT_OK_AND_ASSIGN(auto map, MakeRowKeyMap({a->type(), b->type()},
                                               arrow::default_memory_pool()));
  ASSERT_OK_AND_ASSIGN(auto ids, map->Consume({a, b}, 4));
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{0, 1, 2, 3}));
  ASSERT_OK_AND_ASSIGN(auto u, map->GetUniques());
  EXPECT_EQ(u[0]->ToString(), a->ToString());
  EXPECT_EQ(u[1]->ToString(), b->ToString());
}

TEST(RowKeyMapTest, ValuesUnderNullsAreIgnored) {
  // Null slots whose value bytes differ (as computed columns leave them) are one group.
  auto values = Arr(arrow::int64(), "[1, 2, 3, 4]");
  auto strs = Arr(arrow::utf8(), R"(["p", "q", "rr", "s"])");
  auto validity = *arrow::AllocateEmptyBitmap(4);
  arrow::bit_util::SetBit(validity->mutable_data(), 0);
  auto int_validity = *arrow::AllocateEmptyBitmap(4);
  arrow::bit_util::SetBit(int_validity->mutable_data(), 0);
  arrow::bit_util::SetBit(int_validity->mutable_data(), 1);
  auto masked = arrow::MakeArray(arrow::ArrayData::Make(
      arrow::int64(), 4, {int_validity, values->data()->buffers[1]}, 2));
  auto masked_strs = arrow::MakeArray(arrow::ArrayData::Make(
      arrow::utf8(), 4, {validity, strs->data()->buffers[1], strs->data()->buffers[2]}, 3));
  ASSERT_OK_AND_ASSIGN(auto map, MakeRowKeyMap({arrow::int64(), arrow::utf8()},
                                               arrow::default_memory_pool()));
  ASSERT_OK_AND_ASSIGN(auto ids, map->Consume({masked, masked_strs}, 4));
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{0, 1, 2, 2}));
  ASSERT_OK_AND_ASSIGN(auto u, map->GetUniques());
  EXPECT_EQ(u[1]->ToString(), Arr(arrow::utf8(), R"(["p", null, null])")->ToString());
}

TEST(RowKeyMapTest, StringsWithEmbeddedZeros) {
  arrow::BinaryBuilder bb;
  arrow::LargeStringBuilder lb;
  const std::vector<std::string> vals = {std::string("a\0b", 3), std::string("a\0c", 3),
                                         std::string("a", 1),    std::string("a\0", 2),
                                         std::string("\0", 1),   std::string(),
                                         std::string("a\0b", 3), std::string("\0\0", 2)};
  for (const auto& v : vals) {
    ASSERT_OK(bb.Append(v));
    ASSERT_OK(lb.Append(v));
  }
  auto bin = *bb.Finish();
  auto large = *lb.Finish();
  for (int64_t batch : {1, 2, 8}) {
    CheckAgainstReference({bin}, batch);
    CheckAgainstReference({large, bin}, batch);
  }
  ASSERT_OK_AND_ASSIGN(auto map, MakeRowKeyMap({bin->type()}, arrow::default_memory_pool()));
  ASSERT_OK_AND_ASSIGN(auto ids, map->Consume({bin}, bin->length()));
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 0, 6}));
  ASSERT_OK_AND_ASSIGN(auto u, map->GetUniques());
  const auto& ub = static_cast<const arrow::BinaryArray&>(*u[0]);
  EXPECT_EQ(ub.GetString(3), std::string("a\0", 2));
  EXPECT_EQ(ub.GetString(6), std::string("\0\0", 2));
}

TEST(RowKeyMapTest, ManyGroupsAcrossBatches) {
  // 60000 rows, ~20000 distinct (int64, string) pairs in a scattered order:
  // several table growths, runs and repeats across batches.
  std::mt19937_64 rng(42);
  arrow::Int64Builder ib;
  arrow::StringBuilder sb;
  for (int i = 0; i < 60000; ++i) {
    const int64_t k = static_cast<int64_t>(rng() % 20000);
    ASSERT_OK(ib.Append(k * 1000003));
    ASSERT_OK(sb.Append("key-" + std::to_string(k % 977) + std::string(k % 23, 'z')));
    if (i % 10 == 0) {  // a run of an equal row
      ASSERT_OK(ib.Append(k * 1000003));
      ASSERT_OK(sb.Append("key-" + std::to_string(k % 977) + std::string(k % 23, 'z')));
    }
  }
  auto ints = *ib.Finish();
  auto strs = *sb.Finish();
  CheckAgainstReference({ints, strs}, 4096);
  CheckAgainstReference({strs, ints}, 1500);
}

TEST(RowKeyMapTest, FixedWidthTypesAndFloats) {
  auto d = Arr(arrow::decimal128(12, 2), R"(["1.50", "1.50", null, "-2.00", "1.50"])");
  auto f = Arr(arrow::float64(), "[0.0, -0.0, NaN, 1.5, -0.0]");
  auto dt = Arr(arrow::date32(), "[1, 1, 2, null, 1]");
  auto s = Arr(arrow::int16(), "[5, 5, 5, 5, 5]");
  auto nul = Arr(arrow::null(), "[null, null, null, null, null]");
  ASSERT_OK_AND_ASSIGN(auto map, MakeRowKeyMap({d->type(), f->type(), dt->type(), s->type(),
                                                nul->type()},
                                               arrow::default_memory_pool()));
  ASSERT_OK_AND_ASSIGN(auto ids, map->Consume({d, f, dt, s, nul}, 5));
  // -0.0 groups with 0.0.
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{0, 0, 1, 2, 0}));
  ASSERT_OK_AND_ASSIGN(auto u, map->GetUniques());
  EXPECT_EQ(u[0]->ToString(), Arr(d->type(), R"(["1.50", null, "-2.00"])")->ToString());
  EXPECT_EQ(u[2]->ToString(), Arr(dt->type(), "[1, 2, null]")->ToString());
  EXPECT_EQ(u[4]->null_count(), 3);
  auto nan2 = Arr(arrow::float32(), "[NaN, NaN, 0.0, -0.0]");
  ASSERT_OK_AND_ASSIGN(auto fmap, MakeRowKeyMap({nan2->type()}, arrow::default_memory_pool()));
  ASSERT_OK_AND_ASSIGN(ids, fmap->Consume({nan2}, 4));
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{0, 0, 1, 1}));
}

TEST(RowKeyMapTest, MergeMapsOtherGroups) {
  arrow::compute::ExecContext ctx;
  auto a1 = Arr(arrow::utf8(), R"(["a", "b", null, "c"])");
  auto a2 = Arr(arrow::utf8(), R"(["c", "d", null, "a", "e"])");
  ASSERT_OK_AND_ASSIGN(auto m1, GroupKeyMap::Make({arrow::utf8()}, &ctx));
  ASSERT_OK_AND_ASSIGN(auto m2, GroupKeyMap::Make({arrow::utf8()}, &ctx));
  ASSERT_OK(m1->Consume({a1}, 4).status());
  ASSERT_OK(m2->Consume({a2}, 5).status());
  ASSERT_OK_AND_ASSIGN(auto t, m1->Merge(*m2));
  EXPECT_EQ(Ids(t), (std::vector<uint32_t>{3, 4, 2, 0, 5}));
  ASSERT_OK_AND_ASSIGN(auto u, m1->GetUniques());
  EXPECT_EQ(u[0]->ToString(), Arr(arrow::utf8(), R"(["a", "b", null, "c", "d", "e"])")->ToString());
}

TEST(RowKeyMapTest, UnsupportedTypesFallBack) {
  EXPECT_FALSE(RowKeyMapSupports({arrow::list(arrow::int32())}));
  EXPECT_FALSE(RowKeyMapSupports({}));
  arrow::compute::ExecContext ctx;
  // Arrow's Grouper takes the types the encoded-row map does not.
  ASSERT_OK_AND_ASSIGN(auto map, GroupKeyMap::Make({arrow::utf8_view()}, &ctx));
  auto v = Arr(arrow::utf8_view(), R"(["x", "y", "x"])");
  ASSERT_OK_AND_ASSIGN(auto ids, map->Consume({v}, 3));
  EXPECT_EQ(Ids(ids), (std::vector<uint32_t>{0, 1, 0}));
}

}  // namespace
}  // namespace shoal::exec::testing

namespace shoal::exec::testing {
namespace {

TEST(IntKeyMapTest, MergeMapsOtherGroups) {
  arrow::compute::ExecContext ctx;
  ASSERT_OK_AND_ASSIGN(auto m1, GroupKeyMap::Make({arrow::int16()}, &ctx));
  ASSERT_OK_AND_ASSIGN(auto m2, GroupKeyMap::Make({arrow::int16()}, &ctx));
  auto a1 = Arr(arrow::int16(), "[5, -3, 9]");
  auto a2 = Arr(arrow::int16(), "[9, null, -3, 7, -32768]");
  ASSERT_OK(m1->Consume({a1}, 3).status());
  ASSERT_OK(m2->Consume({a2}, 5).status());
  ASSERT_OK_AND_ASSIGN(auto t, m1->Merge(*m2));
  EXPECT_EQ(Ids(t), (std::vector<uint32_t>{2, 3, 1, 4, 5}));
  ASSERT_OK_AND_ASSIGN(auto u, m1->GetUniques());
  EXPECT_EQ(u[0]->ToString(), Arr(arrow::int16(), "[5, -3, 9, null, 7, -32768]")->ToString());
  // Merging many groups grows the table once and keeps ids stable.
  ASSERT_OK_AND_ASSIGN(auto big1, GroupKeyMap::Make({arrow::int64()}, &ctx));
  ASSERT_OK_AND_ASSIGN(auto big2, GroupKeyMap::Make({arrow::int64()}, &ctx));
  arrow::Int64Builder b1, b2;
  for (int i = 0; i < 20000; ++i) {
    ASSERT_OK(b1.Append(i * 3));
    ASSERT_OK(b2.Append(i * 5));
  }
  auto k1 = *b1.Finish();
  auto k2 = *b2.Finish();
  ASSERT_OK(big1->Consume({k1}, k1->length()).status());
  ASSERT_OK(big2->Consume({k2}, k2->length()).status());
  ASSERT_OK_AND_ASSIGN(t, big1->Merge(*big2));
  ASSERT_OK_AND_ASSIGN(auto check, big1->Consume({k2}, k2->length()));
  EXPECT_EQ(Ids(t), Ids(check));
  EXPECT_EQ(big1->num_groups(), 36000u);  // |{3i} ∪ {5i}| over i < 20000
}

}  // namespace
}  // namespace shoal::exec::testing
