#include "shoal/execution/group_key_map.h"

#include "shoal/execution/filter_selection.h"
#include "shoal/execution/huge_array.h"
#include "shoal/execution/row_key_map.h"

#include <algorithm>
#include <cstring>

#include <arrow/type_traits.h>
#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/util/bit_util.h>

namespace shoal::exec {

namespace cp = arrow::compute;

namespace {

inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// Arrow's Grouper behind the GroupKeyMap interface.
class ArrowKeyMap : public GroupKeyMap {
 public:
  explicit ArrowKeyMap(std::unique_ptr<cp::Grouper> g) : grouper_(std::move(g)) {}
  Result<std::shared_ptr<arrow::Array>> Consume(
      const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t length) override {
    std::vector<arrow::Datum> values(keys.begin(), keys.end());
    cp::ExecBatch batch(std::move(values), length);
    ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Consume(cp::ExecSpan(batch)));
    return ids.make_array();
  }
  Result<std::vector<std::shared_ptr<arrow::Array>>> GetUniques() override {
    ARROW_ASSIGN_OR_RAISE(cp::ExecBatch u, grouper_->GetUniques());
    std::vector<std::shared_ptr<arrow::Array>> out;
    for (const auto& v : u.values) out.push_back(v.make_array());
    return out;
  }
  uint32_t num_groups() const override { return grouper_->num_groups(); }

 private:
  std::unique_ptr<cp::Grouper> grouper_;
};

/// Open addressing (linear probing) over one fixed-width integer-like key of
/// 1, 2, 4 or 8 bytes. Runs of equal keys (sorted or clustered input) are looked
/// up once.
class IntKeyMap : public GroupKeyMap {
 public:
  IntKeyMap(std::shared_ptr<arrow::DataType> type, int width)
      : type_(std::move(type)), width_(width) {
    Rehash(1024);
    keys_.resize(kBlock);
    hashes_.resize(kBlock);
  }

  Result<std::shared_ptr<arrow::Array>> Consume(
      const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t length) override {
    const arrow::ArrayData& d = *keys[0]->data();
    ARROW_ASSIGN_OR_RAISE(auto ids_buf, arrow::AllocateBuffer(length * sizeof(uint32_t)));
    uint32_t* ids = reinterpret_cast<uint32_t*>(ids_buf->mutable_data());
    const uint8_t* values = d.buffers[1] ? d.buffers[1]->data() : nullptr;
    const bool has_nulls = d.GetNullCount() > 0;
    const uint8_t* validity = has_nulls && d.buffers[0] ? d.buffers[0]->data() : nullptr;
    // Work in blocks: read and hash a block of keys (skipping repeats of the
    // previous key), prefetching their slots, then look them up.
    for (int64_t b0 = 0; b0 < length; b0 += kBlock) {
      int64_t b1 = std::min(length, b0 + kBlock);
      // Grow at 75% load.
      if ((size_ + (b1 - b0)) * 4 > capacity_ * 3) {
        uint64_t cap = capacity_;
        while ((size_ + (b1 - b0)) * 4 > cap * 3) cap *= 2;
        if (!Rehash(cap)) return Status::OutOfMemory("aggregate hash table");
      }
      for (int64_t i = b0; i < b1; ++i) {
        int64_t k = Read(values, d.offset + i);
        keys_[i - b0] = k;
        uint64_t h = Mix64(static_cast<uint64_t>(k));
        hashes_[i - b0] = h;
        if (i == b0 || k != keys_[i - b0 - 1]) __builtin_prefetch(&table_[h & mask_]);
      }
      for (int64_t i = b0; i < b1; ++i) {
        if (validity != nullptr && !arrow::bit_util::GetBit(validity, d.offset + i)) {
          if (null_group_ == kNone) null_group_ = AddGroup(0, false);
          ids[i] = null_group_;
          last_valid_ = false;
          continue;
        }
        int64_t k = keys_[i - b0];
        if (last_valid_ && k == last_key_) {
          ids[i] = last_id_;
          continue;
        }
        uint64_t s = hashes_[i - b0] & mask_;
        uint32_t id;
        while (true) {
          Slot& e = table_[s];
          if (e.group_plus1 == 0) {
            id = AddGroup(k, true);
            e.key = k;
            e.group_plus1 = id + 1;
            ++size_;
            break;
          }
          if (e.key == k) {
            id = e.group_plus1 - 1;
            break;
          }
          s = (s + 1) & mask_;
        }
        ids[i] = id;
        last_key_ = k;
        last_id_ = id;
        last_valid_ = true;
      }
    }
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::uint32(), length, {nullptr, std::move(ids_buf)}, 0));
  }

  /// Grow the table once so `n` more groups fit under the 3/4 load factor.
  Status ReserveForMore(int64_t n) {
    if ((size_ + n) * 4 <= capacity_ * 3) return Status::OK();
    uint64_t cap = capacity_;
    while ((size_ + n) * 4 > cap * 3) cap *= 2;
    if (!Rehash(cap)) return Status::OutOfMemory("aggregate hash table");
    return Status::OK();
  }

  Result<std::shared_ptr<arrow::Array>> Merge(GroupKeyMap& other_map) override {
    auto* other = dynamic_cast<IntKeyMap*>(&other_map);
    if (other == nullptr || other->width_ != width_) return GroupKeyMap::Merge(other_map);
    const int64_t n = other->num_groups();
    ARROW_ASSIGN_OR_RAISE(auto ids_buf, arrow::AllocateBuffer(n * sizeof(uint32_t)));
    uint32_t* ids = reinterpret_cast<uint32_t*>(ids_buf->mutable_data());
    // Size the table once for all of other's groups, then insert them in blocks,
    // prefetching each block's slots.
    ARROW_RETURN_NOT_OK(ReserveForMore(n));
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
      const int64_t b1 = std::min(n, b0 + kBlock);
      for (int64_t g = b0; g < b1; ++g) {
        const uint64_t h = Mix64(static_cast<uint64_t>(other->unique_keys_[g]));
        hashes_[g - b0] = h;
        __builtin_prefetch(&table_[h & mask_]);
      }
      for (int64_t g = b0; g < b1; ++g) {
        if (!other->unique_valid_[g]) {
          if (null_group_ == kNone) null_group_ = AddGroup(0, false);
          ids[g] = null_group_;
          continue;
        }
        ids[g] = FindOrAdd(other->unique_keys_[g], hashes_[g - b0]);
      }
    }
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::uint32(), n, {nullptr, std::move(ids_buf)}, 0));
  }

  Result<std::shared_ptr<arrow::Array>> MergeGroups(GroupKeyMap& other_map,
                                                    const uint32_t* groups,
                                                    int64_t n) override {
    auto* other = dynamic_cast<IntKeyMap*>(&other_map);
    if (other == nullptr || other->width_ != width_) {
      return GroupKeyMap::MergeGroups(other_map, groups, n);
    }
    ARROW_ASSIGN_OR_RAISE(auto ids_buf, arrow::AllocateBuffer(n * sizeof(uint32_t)));
    uint32_t* ids = reinterpret_cast<uint32_t*>(ids_buf->mutable_data());
    ARROW_RETURN_NOT_OK(ReserveForMore(n));
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
      const int64_t b1 = std::min(n, b0 + kBlock);
      // The groups are scattered over other's table: prefetch the next block's
      // keys, and read this block's keys once.
      bool null_key[kBlock];
      if (b0 == 0) {
        for (int64_t i = 0; i < b1; ++i) {
          __builtin_prefetch(&other->unique_keys_[groups[i]]);
          __builtin_prefetch(&other->unique_valid_[groups[i]]);
        }
      }
      for (int64_t i = b1; i < std::min(n, b1 + kBlock); ++i) {
        __builtin_prefetch(&other->unique_keys_[groups[i]]);
        __builtin_prefetch(&other->unique_valid_[groups[i]]);
      }
      for (int64_t i = b0; i < b1; ++i) {
        const uint32_t g = groups[i];
        const int64_t k = other->unique_keys_[g];
        keys_[i - b0] = k;
        null_key[i - b0] = !other->unique_valid_[g];
        const uint64_t h = Mix64(static_cast<uint64_t>(k));
        hashes_[i - b0] = h;
        __builtin_prefetch(&table_[h & mask_]);
      }
      for (int64_t i = b0; i < b1; ++i) {
        const uint64_t h = hashes_[i - b0];
        if (null_key[i - b0]) {
          if (null_group_ == kNone) null_group_ = AddGroup(0, false);
          ids[i] = null_group_;
          continue;
        }
        ids[i] = FindOrAdd(keys_[i - b0], h);
      }
    }
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::uint32(), n, {nullptr, std::move(ids_buf)}, 0));
  }

  bool GroupHashes(std::vector<uint64_t>* out) const override {
    out->resize(unique_keys_.size());
    for (size_t g = 0; g < unique_keys_.size(); ++g) {
      (*out)[g] = unique_valid_[g] ? Mix64(static_cast<uint64_t>(unique_keys_[g])) : 0;
    }
    return true;
  }

  Result<std::vector<std::shared_ptr<arrow::Array>>> GetUniques() override {
    int64_t n = static_cast<int64_t>(unique_valid_.size());
    ARROW_ASSIGN_OR_RAISE(auto data, arrow::AllocateBuffer(n * width_));
    uint8_t* out = data->mutable_data();
    // Little endian: a narrower key is the low bytes of the int64.
    switch (width_) {
      case 1:
        for (int64_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(unique_keys_[i]);
        break;
      case 2:
        for (int64_t i = 0; i < n; ++i) {
          reinterpret_cast<int16_t*>(out)[i] = static_cast<int16_t>(unique_keys_[i]);
        }
        break;
      case 4:
        for (int64_t i = 0; i < n; ++i) {
          reinterpret_cast<int32_t*>(out)[i] = static_cast<int32_t>(unique_keys_[i]);
        }
        break;
      default:
        std::memcpy(out, unique_keys_.data(), n * sizeof(int64_t));
    }
    std::shared_ptr<arrow::Buffer> validity;
    int64_t nulls = 0;
    if (null_group_ != kNone) {
      ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateBitmap(n));
      for (int64_t i = 0; i < n; ++i) {
        arrow::bit_util::SetBitTo(bits->mutable_data(), i, unique_valid_[i] != 0);
        nulls += unique_valid_[i] ? 0 : 1;
      }
      validity = std::move(bits);
    }
    auto arr = arrow::MakeArray(
        arrow::ArrayData::Make(type_, n, {validity, std::move(data)}, nulls));
    return std::vector<std::shared_ptr<arrow::Array>>{arr};
  }

  uint32_t num_groups() const override {
    return static_cast<uint32_t>(unique_valid_.size());
  }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr int64_t kBlock = 256;
  /// A slot: the key and its group id + 1 (0: empty).
  struct Slot {
    int64_t key;
    uint32_t group_plus1;
    uint32_t unused;
  };

  int64_t Read(const uint8_t* values, int64_t i) const {
    switch (width_) {
      case 1:
        return reinterpret_cast<const int8_t*>(values)[i];
      case 2:
        return reinterpret_cast<const int16_t*>(values)[i];
      case 4:
        return reinterpret_cast<const int32_t*>(values)[i];
      default:
        return reinterpret_cast<const int64_t*>(values)[i];
    }
  }

  /// Return the group of valid key `k` with hash `h`, adding it when new.
  /// Capacity must have been reserved.
  uint32_t FindOrAdd(int64_t k, uint64_t h) {
    uint64_t s = h & mask_;
    while (true) {
      Slot& e = table_[s];
      if (e.group_plus1 == 0) {
        const uint32_t id = AddGroup(k, true);
        e.key = k;
        e.group_plus1 = id + 1;
        ++size_;
        return id;
      }
      if (e.key == k) return e.group_plus1 - 1;
      s = (s + 1) & mask_;
    }
  }

  uint32_t AddGroup(int64_t key, bool valid) {
    unique_keys_.push_back(key);
    unique_valid_.push_back(valid ? 1 : 0);
    return static_cast<uint32_t>(unique_keys_.size() - 1);
  }

  bool Rehash(uint64_t capacity) {
    table_ = HugeArray<Slot>();
    if (!table_.Allocate(capacity)) return false;
    capacity_ = capacity;
    mask_ = capacity - 1;
    // Reinsert from the group list (no need to keep the old table around).
    for (size_t g = 0; g < unique_keys_.size(); ++g) {
      if (!unique_valid_[g]) continue;
      const uint64_t h = Mix64(static_cast<uint64_t>(unique_keys_[g]));
      uint64_t s = h & mask_;
      while (table_[s].group_plus1 != 0) s = (s + 1) & mask_;
      table_[s] = Slot{unique_keys_[g], static_cast<uint32_t>(g + 1), 0};
    }
    return true;
  }

  std::shared_ptr<arrow::DataType> type_;
  int width_;
  HugeArray<Slot> table_;
  uint64_t capacity_ = 0, mask_ = 0, size_ = 0;
  uint32_t null_group_ = kNone;
  std::vector<int64_t> unique_keys_;
  std::vector<uint8_t> unique_valid_;
  std::vector<int64_t> keys_;
  std::vector<uint64_t> hashes_;
  // The previous row's key and group (run detection across calls).
  int64_t last_key_ = 0;
  uint32_t last_id_ = 0;
  bool last_valid_ = false;
};

/// Bytes of one value for integer-like key types (integers and integer-backed
/// temporal types), or 0.
int IntegerWidth(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::DATE32:
    case arrow::Type::TIME32:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::TIME64:
    case arrow::Type::DURATION:
      return t.byte_width();
    default:
      return arrow::is_integer(t.id()) ? t.byte_width() : 0;
  }
}

/// Groups dictionary keys by their values: decodes dictionary key columns (each
/// batch may carry its own dictionary) into a map over the value types and
/// re-encodes the unique keys to the dictionary types.
class DecodingKeyMap : public GroupKeyMap {
 public:
  DecodingKeyMap(std::unique_ptr<GroupKeyMap> inner,
                 std::vector<std::shared_ptr<arrow::DataType>> key_types, cp::ExecContext* ctx)
      : inner_(std::move(inner)), key_types_(std::move(key_types)), ctx_(ctx) {}

  Result<std::shared_ptr<arrow::Array>> Consume(
      const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t length) override {
    std::vector<std::shared_ptr<arrow::Array>> decoded;
    decoded.reserve(keys.size());
    for (const auto& k : keys) {
      ARROW_ASSIGN_OR_RAISE(auto d, DecodeDictionary(k, ctx_));
      decoded.push_back(std::move(d));
    }
    return inner_->Consume(decoded, length);
  }
  Result<std::shared_ptr<arrow::Array>> Merge(GroupKeyMap& other) override {
    auto* o = dynamic_cast<DecodingKeyMap*>(&other);
    if (o == nullptr) return GroupKeyMap::Merge(other);
    return inner_->Merge(*o->inner_);
  }
  Result<std::shared_ptr<arrow::Array>> MergeGroups(GroupKeyMap& other, const uint32_t* groups,
                                                    int64_t n) override {
    auto* o = dynamic_cast<DecodingKeyMap*>(&other);
    if (o == nullptr) return GroupKeyMap::MergeGroups(other, groups, n);
    return inner_->MergeGroups(*o->inner_, groups, n);
  }
  bool GroupHashes(std::vector<uint64_t>* out) const override {
    return inner_->GroupHashes(out);
  }
  Result<std::vector<std::shared_ptr<arrow::Array>>> GetUniques() override {
    ARROW_ASSIGN_OR_RAISE(auto uniques, inner_->GetUniques());
    for (size_t i = 0; i < uniques.size() && i < key_types_.size(); ++i) {
      if (key_types_[i]->id() != arrow::Type::DICTIONARY) continue;
      ARROW_ASSIGN_OR_RAISE(uniques[i], EncodeDictionary(uniques[i], key_types_[i], ctx_));
    }
    return uniques;
  }
  uint32_t num_groups() const override { return inner_->num_groups(); }

 private:
  std::unique_ptr<GroupKeyMap> inner_;
  std::vector<std::shared_ptr<arrow::DataType>> key_types_;
  cp::ExecContext* ctx_;
};

}  // namespace

Result<std::shared_ptr<arrow::Array>> GroupKeyMap::Merge(GroupKeyMap& other) {
  ARROW_ASSIGN_OR_RAISE(auto uniques, other.GetUniques());
  return Consume(uniques, other.num_groups());
}

Result<std::shared_ptr<arrow::Array>> GroupKeyMap::MergeGroups(GroupKeyMap& other,
                                                               const uint32_t* groups,
                                                               int64_t n) {
  ARROW_ASSIGN_OR_RAISE(auto uniques, other.GetUniques());
  auto indices = std::make_shared<arrow::UInt32Array>(
      n, arrow::Buffer::Wrap(groups, static_cast<size_t>(n)));
  for (auto& u : uniques) {
    ARROW_ASSIGN_OR_RAISE(arrow::Datum t,
                          cp::Take(u, indices, cp::TakeOptions(false)));
    u = t.make_array();
  }
  return Consume(uniques, n);
}

Result<std::unique_ptr<GroupKeyMap>> GroupKeyMap::Make(
    const std::vector<std::shared_ptr<arrow::DataType>>& key_types, cp::ExecContext* ctx) {
  // Group dictionary keys by value: batches may carry different dictionaries.
  auto is_dictionary = [](const auto& t) { return t->id() == arrow::Type::DICTIONARY; };
  if (std::any_of(key_types.begin(), key_types.end(), is_dictionary)) {
    std::vector<std::shared_ptr<arrow::DataType>> value_types;
    for (const auto& k : key_types) {
      value_types.push_back(is_dictionary(k)
                                ? static_cast<const arrow::DictionaryType&>(*k).value_type()
                                : k);
    }
    ARROW_ASSIGN_OR_RAISE(auto inner, Make(value_types, ctx));
    return std::make_unique<DecodingKeyMap>(std::move(inner), key_types, ctx);
  }
  if (key_types.size() == 1) {
    int w = IntegerWidth(*key_types[0]);
    if (w > 0) return std::make_unique<IntKeyMap>(key_types[0], w);
  }
  if (RowKeyMapSupports(key_types)) return MakeRowKeyMap(key_types, ctx->memory_pool());
  std::vector<arrow::TypeHolder> th(key_types.begin(), key_types.end());
  ARROW_ASSIGN_OR_RAISE(auto g, cp::Grouper::Make(th, ctx));
  return std::make_unique<ArrowKeyMap>(std::move(g));
}

}  // namespace shoal::exec
