// Dictionary key columns (Delta 'dictionary_partition_values'): grouping and
// sorting compare values, whatever dictionary each batch carries.
#include "exec_test_util.h"
#include "shoal/execution/filter_selection.h"
#include "shoal/execution/group_key_map.h"
#include "shoal/execution/sort_util.h"

namespace shoal::exec::testing {
namespace {

std::shared_ptr<arrow::DataType> DictType() {
  return arrow::dictionary(arrow::int32(), arrow::utf8());
}

/// A dictionary array with dictionary `dict` and indices `indices` (JSON).
std::shared_ptr<arrow::Array> Dict(const std::string& dict, const std::string& indices) {
  auto d = *arrow::json::ArrayFromJSONString(arrow::utf8(), dict);
  auto i = *arrow::json::ArrayFromJSONString(arrow::int32(), indices);
  return *arrow::DictionaryArray::FromArrays(DictType(), i, d);
}

std::vector<uint32_t> Ids(const arrow::Array& a) {
  const auto& u = static_cast<const arrow::UInt32Array&>(a);
  return std::vector<uint32_t>(u.raw_values(), u.raw_values() + u.length());
}

class DictionaryKeysTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(arrow::compute::Initialize().ok()); }
  arrow::compute::ExecContext ctx_;
};

TEST_F(DictionaryKeysTest, GroupKeyMapGroupsByValueAcrossDictionaries) {
  auto map = *GroupKeyMap::Make({DictType()}, &ctx_);
  // Same values, different dictionaries (and an empty one) per batch.
  auto a = *map->Consume({Dict(R"(["mon", "tue"])", "[0, 1, null, 0]")}, 4);
  auto b = *map->Consume({Dict(R"(["tue", "wed", "mon"])", "[2, 0, 1]")}, 3);
  auto c = *map->Consume({Dict(R"([])", "[null]")}, 1);
  EXPECT_EQ(Ids(*a), (std::vector<uint32_t>{0, 1, 2, 0}));
  EXPECT_EQ(Ids(*b), (std::vector<uint32_t>{0, 1, 3}));
  EXPECT_EQ(Ids(*c), (std::vector<uint32_t>{2}));
  auto uniques = *map->GetUniques();
  ASSERT_EQ(uniques.size(), 1u);
  EXPECT_TRUE(uniques[0]->type()->Equals(*DictType()));
  auto decoded = *DecodeDictionary(uniques[0], &ctx_);
  EXPECT_TRUE(decoded->Equals(
      *arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["mon", "tue", null, "wed"])")
           .ValueOrDie()));

  // Merging another thread's map (other dictionaries) matches by value.
  auto other = *GroupKeyMap::Make({DictType()}, &ctx_);
  ASSERT_TRUE(other->Consume({Dict(R"(["wed", "zzz"])", "[1, 0]")}, 2).ok());
  auto merged = *map->Merge(*other);
  EXPECT_EQ(Ids(*merged), (std::vector<uint32_t>{4, 3}));
}

TEST_F(DictionaryKeysTest, SortPermutationSortsByValue) {
  // Index order (2, 0, 1) differs from value order.
  auto col = Dict(R"(["b", "c", "a"])", "[0, 1, 2, null, 0]");
  auto perm = *SortPermutation({col}, {{true, false}}, &ctx_);
  EXPECT_TRUE(perm->Equals(
      *arrow::json::ArrayFromJSONString(arrow::uint64(), "[2, 0, 4, 1, 3]").ValueOrDie()));
}

TEST_F(DictionaryKeysTest, RowComparatorComparesValuesOfDifferentDictionaries) {
  auto cmp = *RowComparator::Make(*DictType(), {true, true});
  auto x = Dict(R"(["b", "a"])", "[0, 1, null]");
  auto y = Dict(R"(["a", "b"])", "[0, 1, null]");
  EXPECT_EQ(cmp->Compare(*x, 0, *y, 1), 0);   // b vs b
  EXPECT_GT(cmp->Compare(*x, 0, *y, 0), 0);   // b vs a
  EXPECT_LT(cmp->Compare(*x, 1, *y, 1), 0);   // a vs b
  EXPECT_LT(cmp->Compare(*x, 2, *y, 0), 0);   // NULL first
  EXPECT_EQ(cmp->Compare(*x, 2, *y, 2), 0);
}

TEST_F(DictionaryKeysTest, EncodeDictionaryRoundTrips) {
  auto plain = *arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["x", null, "x", "y"])");
  auto enc = *EncodeDictionary(plain, DictType(), &ctx_);
  EXPECT_TRUE(enc->type()->Equals(*DictType()));
  EXPECT_TRUE((*DecodeDictionary(enc, &ctx_))->Equals(*plain));
  auto ints = *arrow::json::ArrayFromJSONString(arrow::int32(), "[3, 3, null]");
  auto int_dict = arrow::dictionary(arrow::int32(), arrow::int32());
  auto enc2 = *EncodeDictionary(ints, int_dict, &ctx_);
  EXPECT_TRUE(enc2->type()->Equals(*int_dict));
  EXPECT_TRUE((*DecodeDictionary(enc2, &ctx_))->Equals(*ints));
  EXPECT_FALSE(EncodeDictionary(ints, arrow::utf8(), &ctx_).ok());
}

}  // namespace
}  // namespace shoal::exec::testing
