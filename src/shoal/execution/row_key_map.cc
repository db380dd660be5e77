#include "shoal/execution/row_key_map.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/type.h>
#include <arrow/type_traits.h>
#include <arrow/util/bit_util.h>

#include "shoal/execution/huge_array.h"

namespace shoal::exec {

namespace {

namespace bu = arrow::bit_util;

/// How one key column is encoded.
enum class ColKind : uint8_t { kFixed, kBool, kFloat32, kFloat64, kNull, kVar32, kVar64 };

struct KeyCol {
  ColKind kind;
  int width;   ///< bytes in the fixed part (4 for a string's length)
  int offset;  ///< position in the fixed part
  std::shared_ptr<arrow::DataType> type;
};

bool ColKindOf(const arrow::DataType& t, ColKind* kind, int* width) {
  switch (t.id()) {
    case arrow::Type::NA:
      *kind = ColKind::kNull;
      *width = 0;
      return true;
    case arrow::Type::BOOL:
      *kind = ColKind::kBool;
      *width = 1;
      return true;
    case arrow::Type::FLOAT:
      *kind = ColKind::kFloat32;
      *width = 4;
      return true;
    case arrow::Type::DOUBLE:
      *kind = ColKind::kFloat64;
      *width = 8;
      return true;
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      *kind = ColKind::kVar32;
      *width = 4;
      return true;
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      *kind = ColKind::kVar64;
      *width = 4;
      return true;
    case arrow::Type::DECIMAL32:
    case arrow::Type::DECIMAL64:
    case arrow::Type::DECIMAL128:
    case arrow::Type::DECIMAL256:
    case arrow::Type::FIXED_SIZE_BINARY:
      *kind = ColKind::kFixed;
      *width = t.byte_width();
      return *width > 0;
    default:
      if (arrow::is_primitive(t.id()) && t.byte_width() > 0) {
        *kind = ColKind::kFixed;
        *width = t.byte_width();
        return true;
      }
      return false;
  }
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t MulMix(uint64_t a, uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

/// Mask of the low `n` bytes of a word (0 < n < 8).
inline uint64_t TailMask(size_t n) { return (uint64_t{1} << (n * 8)) - 1; }

/// Equality of two byte strings of `n` bytes; both may be read up to 7 bytes
/// past their end (the row buffers are padded).
inline bool EqualBytes(const uint8_t* a, const uint8_t* b, size_t n) {
  while (n >= 8) {
    if (Load64(a) != Load64(b)) return false;
    a += 8;
    b += 8;
    n -= 8;
  }
  return n == 0 || ((Load64(a) ^ Load64(b)) & TailMask(n)) == 0;
}

/// Hash of a byte string that may be read up to 7 bytes past its end (word at a time; good enough mixing for linear probing
/// with the high bits used as tags).
inline uint64_t HashBytes(const uint8_t* p, size_t n) {
  constexpr uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
                     k2 = 0x8ebc6af09c88c6e3ULL;
  uint64_t h = k2 ^ n;
  while (n >= 16) {
    h = MulMix(Load64(p) ^ k0, Load64(p + 8) ^ h);
    p += 16;
    n -= 16;
  }
  if (n >= 8) {
    h = MulMix(Load64(p) ^ k0, h ^ k1);
    p += 8;
    n -= 8;
  }
  if (n > 0) h = MulMix((Load64(p) & TailMask(n)) ^ k1, h ^ k0);
  return MulMix(h ^ k2, k1);
}

/// Row-encoded key map. Row layout: null bits (one per key, ceil(n/8) bytes),
/// the fixed part (values of fixed-width keys in key order, zero when null; a
/// uint32 length for string keys), then the bytes of the string keys in order.
class RowKeyMap : public GroupKeyMap {
 public:
  RowKeyMap(std::vector<KeyCol> cols, int fixed_len, bool has_var, arrow::MemoryPool* pool)
      : cols_(std::move(cols)), fixed_len_(fixed_len), has_var_(has_var), pool_(pool) {
    group_off_.push_back(0);
    arena_.resize(1024);
  }

  bool Init() {
    SetUpPacking();
    return Rehash(1024) && (!packed_ || RehashPacked(1024));
  }

  Result<std::shared_ptr<arrow::Array>> Consume(
      const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t length) override {
    if (keys.size() != cols_.size()) {
      return Status::Invalid("internal error: group key map got ", keys.size(),
                             " key columns, expected ", cols_.size());
    }
    ARROW_ASSIGN_OR_RAISE(auto ids_buf,
                          arrow::AllocateBuffer(length * sizeof(uint32_t), pool_));
    uint32_t* ids = reinterpret_cast<uint32_t*>(ids_buf->mutable_data());
    for (int64_t b0 = 0; b0 < length; b0 += kBlock) {
      const int64_t n = std::min(length - b0, kBlock);
      if (packed_) {
        ARROW_RETURN_NOT_OK(LookupPacked(keys, b0, n, ids + b0));
      } else {
        Encode(keys, b0, n);
        ARROW_RETURN_NOT_OK(Lookup(n, ids + b0));
      }
    }
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::uint32(), length, {nullptr, std::move(ids_buf)}, 0));
  }

  Result<std::shared_ptr<arrow::Array>> Merge(GroupKeyMap& other_map) override {
    auto* other = dynamic_cast<RowKeyMap*>(&other_map);
    if (other == nullptr || other->cols_.size() != cols_.size()) {
      return GroupKeyMap::Merge(other_map);
    }
    const int64_t n = other->num_groups();
    ARROW_ASSIGN_OR_RAISE(auto ids_buf, arrow::AllocateBuffer(n * sizeof(uint32_t), pool_));
    uint32_t* ids = reinterpret_cast<uint32_t*>(ids_buf->mutable_data());
    if (!Reserve(n)) return Status::OutOfMemory("aggregate hash table");
    for (int64_t g = 0; g < n; ++g) {
      const uint8_t* row = other->arena_.data() + other->group_off_[g];
      const uint32_t len = static_cast<uint32_t>(other->group_off_[g + 1] - other->group_off_[g]);
      ids[g] = Find(row, len, other->group_hash_[g]);
    }
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::uint32(), n, {nullptr, std::move(ids_buf)}, 0));
  }

  Result<std::shared_ptr<arrow::Array>> MergeGroups(GroupKeyMap& other_map,
                                                    const uint32_t* groups,
                                                    int64_t n) override {
    auto* other = dynamic_cast<RowKeyMap*>(&other_map);
    if (other == nullptr || other->cols_.size() != cols_.size()) {
      return GroupKeyMap::MergeGroups(other_map, groups, n);
    }
    ARROW_ASSIGN_OR_RAISE(auto ids_buf, arrow::AllocateBuffer(n * sizeof(uint32_t), pool_));
    uint32_t* ids = reinterpret_cast<uint32_t*>(ids_buf->mutable_data());
    if (!Reserve(n)) return Status::OutOfMemory("aggregate hash table");
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t g = groups[i];
      if (i + 8 < n) __builtin_prefetch(&slots_[other->group_hash_[groups[i + 8]] & mask_]);
      const uint8_t* row = other->arena_.data() + other->group_off_[g];
      const uint32_t len = static_cast<uint32_t>(other->group_off_[g + 1] - other->group_off_[g]);
      ids[i] = Find(row, len, other->group_hash_[g]);
    }
    return arrow::MakeArray(
        arrow::ArrayData::Make(arrow::uint32(), n, {nullptr, std::move(ids_buf)}, 0));
  }

  bool GroupHashes(std::vector<uint64_t>* out) const override {
    out->assign(group_hash_.begin(), group_hash_.end());
    return true;
  }

  Result<std::vector<std::shared_ptr<arrow::Array>>> GetUniques() override {
    const int64_t n = num_groups();
    std::vector<std::shared_ptr<arrow::Array>> out;
    // Read position of the next string's bytes in each group's row.
    std::vector<uint32_t> cursor;
    if (has_var_) cursor.assign(n, static_cast<uint32_t>(fixed_len_));
    const uint8_t* arena = arena_.data();
    for (size_t c = 0; c < cols_.size(); ++c) {
      const KeyCol& col = cols_[c];
      if (col.kind == ColKind::kNull) {
        ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(col.type, n, pool_));
        out.push_back(std::move(nulls));
        continue;
      }
      // Validity.
      int64_t null_count = 0;
      for (int64_t g = 0; g < n; ++g) null_count += IsNull(arena + group_off_[g], c);
      std::shared_ptr<arrow::Buffer> validity;
      if (null_count > 0) {
        ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateBitmap(n, pool_));
        uint8_t* v = bits->mutable_data();
        for (int64_t g = 0; g < n; ++g) bu::SetBitTo(v, g, !IsNull(arena + group_off_[g], c));
        validity = std::move(bits);
      }
      std::vector<std::shared_ptr<arrow::Buffer>> buffers{validity};
      if (col.kind == ColKind::kBool) {
        ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateEmptyBitmap(n, pool_));
        uint8_t* v = bits->mutable_data();
        for (int64_t g = 0; g < n; ++g) {
          if (arena[group_off_[g] + col.offset]) bu::SetBit(v, g);
        }
        buffers.push_back(std::move(bits));
      } else if (col.kind == ColKind::kVar32 || col.kind == ColKind::kVar64) {
        const bool large = col.kind == ColKind::kVar64;
        const int ow = large ? 8 : 4;
        int64_t total = 0;
        for (int64_t g = 0; g < n; ++g) total += LenAt(arena + group_off_[g] + col.offset);
        if (!large && total > std::numeric_limits<int32_t>::max()) {
          return Status::CapacityError("group keys of column ", c + 1, " exceed 2 GiB");
        }
        ARROW_ASSIGN_OR_RAISE(auto offsets, arrow::AllocateBuffer((n + 1) * ow, pool_));
        ARROW_ASSIGN_OR_RAISE(auto data, arrow::AllocateBuffer(total, pool_));
        uint8_t* d = data->mutable_data();
        int64_t pos = 0;
        for (int64_t g = 0; g < n; ++g) {
          if (large) {
            reinterpret_cast<int64_t*>(offsets->mutable_data())[g] = pos;
          } else {
            reinterpret_cast<int32_t*>(offsets->mutable_data())[g] = static_cast<int32_t>(pos);
          }
          const uint8_t* row = arena + group_off_[g];
          const uint32_t len = LenAt(row + col.offset);
          if (len > 0) std::memcpy(d + pos, row + cursor[g], len);
          cursor[g] += len;
          pos += len;
        }
        if (large) {
          reinterpret_cast<int64_t*>(offsets->mutable_data())[n] = pos;
        } else {
          reinterpret_cast<int32_t*>(offsets->mutable_data())[n] = static_cast<int32_t>(pos);
        }
        buffers.push_back(std::move(offsets));
        buffers.push_back(std::move(data));
      } else {
        const int w = col.width;
        ARROW_ASSIGN_OR_RAISE(auto data, arrow::AllocateBuffer(n * w, pool_));
        uint8_t* d = data->mutable_data();
        for (int64_t g = 0; g < n; ++g) {
          std::memcpy(d + g * w, arena + group_off_[g] + col.offset, w);
        }
        buffers.push_back(std::move(data));
      }
      out.push_back(arrow::MakeArray(
          arrow::ArrayData::Make(col.type, n, std::move(buffers), null_count)));
    }
    return out;
  }

  uint32_t num_groups() const override {
    return static_cast<uint32_t>(group_hash_.size());
  }

 private:
  static constexpr int64_t kBlock = 1024;
  /// Bytes after the last row of rows_ and arena_ (EqualBytes/HashBytes over-read).
  static constexpr size_t kPad = 16;

  static uint32_t LenAt(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  /// Length of string value `i` (0 when null).
  static uint32_t VarLen(ColKind kind, const arrow::ArrayData& d, int64_t i,
                         const uint8_t* validity) {
    if (validity != nullptr && !bu::GetBit(validity, i)) return 0;
    if (kind == ColKind::kVar32) {
      const int32_t* o = d.GetValues<int32_t>(1, 0);
      return static_cast<uint32_t>(o[i + 1] - o[i]);
    }
    const int64_t* o = d.GetValues<int64_t>(1, 0);
    return static_cast<uint32_t>(o[i + 1] - o[i]);
  }
  static int64_t VarStart(ColKind kind, const arrow::ArrayData& d, int64_t i) {
    return kind == ColKind::kVar32 ? d.GetValues<int32_t>(1, 0)[i] : d.GetValues<int64_t>(1, 0)[i];
  }
  static bool IsNull(const uint8_t* row, size_t c) { return (row[c >> 3] >> (c & 7)) & 1; }

  /// Encode rows [b0, b0 + n) of `keys` into rows_ / row_off_.
  void Encode(const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t b0, int64_t n) {
    row_off_.resize(n + 1);
    if (!has_var_) {
      for (int64_t i = 0; i <= n; ++i) row_off_[i] = static_cast<uint32_t>(i * fixed_len_);
    } else {
      std::fill(row_off_.begin(), row_off_.end(), 0);
      for (size_t c = 0; c < cols_.size(); ++c) {
        if (cols_[c].kind != ColKind::kVar32 && cols_[c].kind != ColKind::kVar64) continue;
        const arrow::ArrayData& d = *keys[c]->data();
        const int64_t off = d.offset + b0;
        const uint8_t* validity =
            d.buffers[0] && d.GetNullCount() > 0 ? d.buffers[0]->data() : nullptr;
        for (int64_t i = 0; i < n; ++i) {
          row_off_[i + 1] += VarLen(cols_[c].kind, d, off + i, validity);
        }
      }
      // Prefix sums of the row lengths (fixed part + string bytes).
      row_off_[0] = 0;
      for (int64_t i = 0; i < n; ++i) row_off_[i + 1] += row_off_[i] + fixed_len_;
      var_pos_.resize(n);
      for (int64_t i = 0; i < n; ++i) var_pos_[i] = row_off_[i] + fixed_len_;
    }
    rows_.resize(row_off_[n] + kPad);
    uint8_t* rows = rows_.data();
    const uint32_t* ro = row_off_.data();
    const int nb = (static_cast<int>(cols_.size()) + 7) / 8;
    for (int64_t i = 0; i < n; ++i) std::memset(rows + ro[i], 0, nb);
    for (size_t c = 0; c < cols_.size(); ++c) {
      const KeyCol& col = cols_[c];
      const arrow::ArrayData& d = *keys[c]->data();
      const int64_t off = d.offset + b0;
      const uint8_t* validity =
          (col.kind != ColKind::kNull && d.buffers[0] && d.GetNullCount() > 0)
              ? d.buffers[0]->data()
              : nullptr;
      const uint8_t bit = static_cast<uint8_t>(1u << (c & 7));
      const size_t byte = c >> 3;
      const int w = col.width;
      uint8_t* base = rows + col.offset;
      switch (col.kind) {
        case ColKind::kNull:
          for (int64_t i = 0; i < n; ++i) rows[ro[i] + byte] |= bit;
          break;
        case ColKind::kBool: {
          const uint8_t* v = d.buffers[1]->data();
          for (int64_t i = 0; i < n; ++i) base[ro[i]] = bu::GetBit(v, off + i) ? 1 : 0;
          break;
        }
        case ColKind::kFloat32: {
          const float* v = d.GetValues<float>(1, 0) + off;
          for (int64_t i = 0; i < n; ++i) {
            float x = v[i];
            if (x == 0.0f) x = 0.0f;
            if (std::isnan(x)) x = std::numeric_limits<float>::quiet_NaN();
            std::memcpy(base + ro[i], &x, 4);
          }
          break;
        }
        case ColKind::kFloat64: {
          const double* v = d.GetValues<double>(1, 0) + off;
          for (int64_t i = 0; i < n; ++i) {
            double x = v[i];
            if (x == 0.0) x = 0.0;
            if (std::isnan(x)) x = std::numeric_limits<double>::quiet_NaN();
            std::memcpy(base + ro[i], &x, 8);
          }
          break;
        }
        case ColKind::kFixed: {
          const uint8_t* v = d.buffers[1]->data() + off * w;
          switch (w) {
            case 1:
              for (int64_t i = 0; i < n; ++i) base[ro[i]] = v[i];
              break;
            case 2:
              for (int64_t i = 0; i < n; ++i) std::memcpy(base + ro[i], v + i * 2, 2);
              break;
            case 4:
              for (int64_t i = 0; i < n; ++i) std::memcpy(base + ro[i], v + i * 4, 4);
              break;
            case 8:
              for (int64_t i = 0; i < n; ++i) std::memcpy(base + ro[i], v + i * 8, 8);
              break;
            case 16:
              for (int64_t i = 0; i < n; ++i) std::memcpy(base + ro[i], v + i * 16, 16);
              break;
            default:
              for (int64_t i = 0; i < n; ++i) std::memcpy(base + ro[i], v + i * w, w);
          }
          break;
        }
        case ColKind::kVar32:
        case ColKind::kVar64: {
          const uint8_t* chars = d.buffers[2] ? d.buffers[2]->data() : nullptr;
          for (int64_t i = 0; i < n; ++i) {
            const uint32_t len = VarLen(col.kind, d, off + i, validity);
            std::memcpy(base + ro[i], &len, 4);
            if (len > 0) {
              const uint8_t* src = chars + VarStart(col.kind, d, off + i);
              uint8_t* dst = rows + var_pos_[i];
              if (len <= 16) {
                for (uint32_t k = 0; k < len; ++k) dst[k] = src[k];
              } else {
                std::memcpy(dst, src, len);
              }
              var_pos_[i] += len;
            }
          }
          break;
        }
      }
      if (validity != nullptr) {
        // Null rows: set the null bit and clear the value, so that all nulls are equal.
        for (int64_t i = 0; i < n; ++i) {
          if (bu::GetBit(validity, off + i)) continue;
          uint8_t* row = rows + ro[i];
          row[byte] |= bit;
          // A null string was encoded with length 0.
          if (col.kind != ColKind::kVar32 && col.kind != ColKind::kVar64) {
            std::memset(row + col.offset, 0, w);
          }
        }
      }
    }
  }
  uint32_t RowLen(int64_t i) const {
    return row_off_[i + 1] - row_off_[i];
  }

  // ---- Packed keys --------------------------------------------------------
  // When the keys' values fit 128 bits (fixed-width values, strings of at most
  // a few bytes as 4-bit length + bytes), rows without nulls are looked up in a
  // second table keyed by the packed value; it caches ids of the row table,
  // which stays the only owner of the groups. Rows that do not pack (nulls,
  // long strings) take the row path one by one; when many do, packing stops.
  using u128 = unsigned __int128;

  void SetUpPacking() {
    int fixed_bits = 0, strings = 0;
    for (const KeyCol& c : cols_) {
      if (c.kind == ColKind::kVar32 || c.kind == ColKind::kVar64) {
        ++strings;
      } else if (c.kind == ColKind::kNull) {
        return;  // always null: never packs
      } else {
        fixed_bits += 8 * c.width;
      }
    }
    if (fixed_bits > 128) return;
    int max_len = 0;
    if (strings > 0) {
      max_len = std::min(15, ((128 - fixed_bits) / strings - 4) / 8);
      if (max_len < 1) return;
    }
    int shift = 0;
    pack_shift_.clear();
    for (const KeyCol& c : cols_) {
      pack_shift_.push_back(shift);
      shift += (c.kind == ColKind::kVar32 || c.kind == ColKind::kVar64) ? 4 + 8 * max_len
                                                                          : 8 * c.width;
    }
    pack_max_len_ = max_len;
    packed_ = true;
  }

  /// Pack rows [b0, b0 + n) into pk_; bad_[i] = 1 for rows that do not pack.
  void Pack(const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t b0, int64_t n) {
    pk_.assign(n, 0);
    bad_.assign(n, 0);
    u128* pk = pk_.data();
    uint8_t* bad = bad_.data();
    for (size_t c = 0; c < cols_.size(); ++c) {
      const KeyCol& col = cols_[c];
      const arrow::ArrayData& d = *keys[c]->data();
      const int64_t off = d.offset + b0;
      const int sh = pack_shift_[c];
      if (d.buffers[0] && d.GetNullCount() > 0) {
        const uint8_t* validity = d.buffers[0]->data();
        for (int64_t i = 0; i < n; ++i) bad[i] |= !bu::GetBit(validity, off + i);
      }
      switch (col.kind) {
        case ColKind::kBool: {
          const uint8_t* v = d.buffers[1]->data();
          for (int64_t i = 0; i < n; ++i) pk[i] |= u128{bu::GetBit(v, off + i)} << sh;
          break;
        }
        case ColKind::kFloat32: {
          const float* v = d.GetValues<float>(1, 0) + off;
          for (int64_t i = 0; i < n; ++i) {
            float x = v[i];
            if (x == 0.0f) x = 0.0f;
            if (std::isnan(x)) x = std::numeric_limits<float>::quiet_NaN();
            uint32_t b;
            std::memcpy(&b, &x, 4);
            pk[i] |= u128{b} << sh;
          }
          break;
        }
        case ColKind::kFloat64: {
          const double* v = d.GetValues<double>(1, 0) + off;
          for (int64_t i = 0; i < n; ++i) {
            double x = v[i];
            if (x == 0.0) x = 0.0;
            if (std::isnan(x)) x = std::numeric_limits<double>::quiet_NaN();
            uint64_t b;
            std::memcpy(&b, &x, 8);
            pk[i] |= u128{b} << sh;
          }
          break;
        }
        case ColKind::kFixed: {
          const uint8_t* v = d.buffers[1]->data();
          switch (col.width) {
            case 1:
              for (int64_t i = 0; i < n; ++i) pk[i] |= u128{v[off + i]} << sh;
              break;
            case 2:
              for (int64_t i = 0; i < n; ++i) {
                pk[i] |= u128{reinterpret_cast<const uint16_t*>(v)[off + i]} << sh;
              }
              break;
            case 4:
              for (int64_t i = 0; i < n; ++i) {
                pk[i] |= u128{reinterpret_cast<const uint32_t*>(v)[off + i]} << sh;
              }
              break;
            case 8:
              for (int64_t i = 0; i < n; ++i) {
                pk[i] |= u128{reinterpret_cast<const uint64_t*>(v)[off + i]} << sh;
              }
              break;
            default:
              for (int64_t i = 0; i < n; ++i) {
                u128 x = 0;
                std::memcpy(&x, v + (off + i) * col.width, col.width);
                pk[i] |= x << sh;
              }
          }
          break;
        }
        case ColKind::kVar32:
        case ColKind::kVar64: {
          const uint8_t* chars = d.buffers[2] ? d.buffers[2]->data() : nullptr;
          if (col.kind == ColKind::kVar32) {
            PackStrings(d.GetValues<int32_t>(1, 0) + off, chars, n, sh, pk, bad);
          } else {
            PackStrings(d.GetValues<int64_t>(1, 0) + off, chars, n, sh, pk, bad);
          }
          break;
        }
        case ColKind::kNull:
          break;
      }
    }
  }

  template <typename Offset>
  void PackStrings(const Offset* o, const uint8_t* chars, int64_t n, int sh, u128* pk,
                   uint8_t* bad) const {
    const uint32_t max_len = static_cast<uint32_t>(pack_max_len_);
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t len = static_cast<uint32_t>(o[i + 1] - o[i]);
      if (len > max_len) {
        bad[i] = 1;
        continue;
      }
      const uint8_t* src = chars + o[i];
      uint64_t lo = 0, hi = 0;
      const uint32_t n_lo = std::min<uint32_t>(len, 8);
      for (uint32_t k = 0; k < n_lo; ++k) lo |= uint64_t{src[k]} << (8 * k);
      for (uint32_t k = 8; k < len; ++k) hi |= uint64_t{src[k]} << (8 * (k - 8));
      const u128 x = (u128{hi} << 64) | lo;
      pk[i] |= ((x << 4) | len) << sh;
    }
  }

  static uint64_t HashPacked(u128 k) {
    return MulMix(static_cast<uint64_t>(k) ^ 0xa0761d6478bd642fULL,
                  static_cast<uint64_t>(k >> 64) ^ 0xe7037ed1a0b428dbULL);
  }

  /// The row path for one row: encode it alone and find its group.
  uint32_t FindRow(const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t i) {
    Encode(keys, i, 1);
    const uint32_t len = RowLen(0);
    return Find(rows_.data(), len, HashBytes(rows_.data(), len));
  }

  Status LookupPacked(const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t b0,
                      int64_t n, uint32_t* ids) {
    if (!Reserve(n)) return Status::OutOfMemory("aggregate hash table");
    if ((packed_size_ + n) * 2 > packed_capacity_) {
      uint64_t cap = packed_capacity_;
      while ((packed_size_ + n) * 2 > cap) cap *= 2;
      if (!RehashPacked(cap)) return Status::OutOfMemory("aggregate hash table");
    }
    Pack(keys, b0, n);
    const u128* pk = pk_.data();
    const uint8_t* bad = bad_.data();
    hashes_.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t h = HashPacked(pk[i]);
      hashes_[i] = h;
      __builtin_prefetch(&pslots_[h & pmask_]);
    }
    int64_t slow = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (bad[i]) {
        ids[i] = FindRow(keys, b0 + i);
        ++slow;
        continue;
      }
      if (i > 0 && !bad[i - 1] && pk[i] == pk[i - 1]) {
        ids[i] = ids[i - 1];
        continue;
      }
      uint64_t s = hashes_[i] & pmask_;
      while (true) {
        PSlot& e = pslots_[s];
        if (e.group_plus1 == 0) {
          const uint32_t g = FindRow(keys, b0 + i);
          e.key = pk[i];
          e.group_plus1 = g + 1;
          ++packed_size_;
          ids[i] = g;
          break;
        }
        if (e.key == pk[i]) {
          ids[i] = e.group_plus1 - 1;
          break;
        }
        s = (s + 1) & pmask_;
      }
    }
    // Mostly unpackable rows (long strings, nulls): use the row path from now on.
    if (slow * 4 > n) {
      packed_ = false;
      pslots_ = HugeArray<PSlot>();
    }
    return Status::OK();
  }

  bool RehashPacked(uint64_t capacity) {
    HugeArray<PSlot> old = std::move(pslots_);
    const uint64_t old_cap = packed_capacity_;
    if (!pslots_.Allocate(capacity)) return false;
    packed_capacity_ = capacity;
    pmask_ = capacity - 1;
    for (uint64_t i = 0; i < old_cap; ++i) {
      if (old[i].group_plus1 == 0) continue;
      uint64_t s = HashPacked(old[i].key) & pmask_;
      while (pslots_[s].group_plus1 != 0) s = (s + 1) & pmask_;
      pslots_[s] = old[i];
    }
    return true;
  }

  struct PSlot {
    u128 key;
    uint32_t group_plus1;
    uint32_t unused[3];
  };

  /// Look up the encoded rows, adding unseen keys.
  Status Lookup(int64_t n, uint32_t* ids) {
    if (!Reserve(n)) return Status::OutOfMemory("aggregate hash table");
    hashes_.resize(n);
    const uint8_t* rows = rows_.data();
    // Hash pass; a row equal to its predecessor reuses its id (runs of equal keys).
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t* p = rows + row_off_[i];
      const uint32_t len = RowLen(i);
      if (i > 0 && len == RowLen(i - 1) && EqualBytes(p, rows + row_off_[i - 1], len)) {
        hashes_[i] = kSame;
        continue;
      }
      uint64_t h = HashBytes(p, len);
      if (h == kSame) h = 0;
      hashes_[i] = h;
      __builtin_prefetch(&slots_[h & mask_]);
    }
    for (int64_t i = 0; i < n; ++i) {
      if (hashes_[i] == kSame) {
        ids[i] = ids[i - 1];
        continue;
      }
      ids[i] = Find(rows + row_off_[i], RowLen(i), hashes_[i]);
    }
    return Status::OK();
  }

  /// Return the group of the encoded row, adding it when new. Capacity must
  /// have been reserved.
  uint32_t Find(const uint8_t* row, uint32_t len, uint64_t h) {
    const uint64_t tag = h >> 32;
    uint64_t s = h & mask_;
    while (true) {
      const uint64_t e = slots_[s];
      if (e == 0) {
        const uint32_t g = AddGroup(row, len, h);
        slots_[s] = (tag << 32) | (uint64_t{g} + 1);
        return g;
      }
      if ((e >> 32) == tag) {
        const uint32_t g = static_cast<uint32_t>(e) - 1;
        if (group_off_[g + 1] - group_off_[g] == len &&
            EqualBytes(arena_.data() + group_off_[g], row, len)) {
          return g;
        }
      }
      s = (s + 1) & mask_;
    }
  }

  uint32_t AddGroup(const uint8_t* row, uint32_t len, uint64_t h) {
    const uint64_t used = group_off_.back();
    if (used + len + kPad > arena_.size()) {
      arena_.resize(std::max<uint64_t>(arena_.size() * 2, used + len + kPad));
    }
    std::memcpy(arena_.data() + used, row, len);
    group_off_.push_back(used + len);
    group_hash_.push_back(h);
    return static_cast<uint32_t>(group_hash_.size() - 1);
  }

  /// Make room for `n` more groups (load at most 1/2).
  bool Reserve(int64_t n) {
    const uint64_t need = (group_hash_.size() + static_cast<uint64_t>(n)) * 2;
    if (need <= capacity_) return true;
    uint64_t cap = capacity_;
    while (cap < need) cap *= 2;
    return Rehash(cap);
  }

  bool Rehash(uint64_t capacity) {
    slots_ = HugeArray<uint64_t>();
    if (!slots_.Allocate(capacity)) return false;
    capacity_ = capacity;
    mask_ = capacity - 1;
    for (size_t g = 0; g < group_hash_.size(); ++g) {
      const uint64_t h = group_hash_[g];
      uint64_t s = h & mask_;
      while (slots_[s] != 0) s = (s + 1) & mask_;
      slots_[s] = ((h >> 32) << 32) | (g + 1);
    }
    return true;
  }

  static constexpr uint64_t kSame = ~uint64_t{0};

  std::vector<KeyCol> cols_;
  int fixed_len_;
  bool has_var_;
  arrow::MemoryPool* pool_;
  HugeArray<uint64_t> slots_;  ///< (hash >> 32) << 32 | group + 1; 0 = empty
  uint64_t capacity_ = 0, mask_ = 0;
  std::vector<uint8_t> arena_;        ///< encoded rows of the groups, then >= kPad bytes
  std::vector<uint64_t> group_off_;   ///< group g's row is arena_[off[g], off[g+1])
  std::vector<uint64_t> group_hash_;
  // Per-batch scratch.
  std::vector<uint8_t> rows_;
  std::vector<uint32_t> row_off_, var_pos_;
  std::vector<uint64_t> hashes_;
  // Packed keys (see SetUpPacking).
  bool packed_ = false;
  int pack_max_len_ = 0;
  std::vector<int> pack_shift_;
  HugeArray<PSlot> pslots_;
  uint64_t packed_capacity_ = 0, pmask_ = 0, packed_size_ = 0;
  std::vector<u128> pk_;
  std::vector<uint8_t> bad_;
};

}  // namespace

bool RowKeyMapSupports(const std::vector<std::shared_ptr<arrow::DataType>>& key_types) {
  for (const auto& t : key_types) {
    ColKind kind;
    int width;
    if (!ColKindOf(*t, &kind, &width)) return false;
  }
  return !key_types.empty();
}

Result<std::unique_ptr<GroupKeyMap>> MakeRowKeyMap(
    const std::vector<std::shared_ptr<arrow::DataType>>& key_types, arrow::MemoryPool* pool) {
  if (!RowKeyMapSupports(key_types)) {
    return Status::NotImplemented("row key map for these key types");
  }
  std::vector<KeyCol> cols;
  int pos = (static_cast<int>(key_types.size()) + 7) / 8;
  bool has_var = false;
  for (const auto& t : key_types) {
    KeyCol col{ColKind::kNull, 0, 0, nullptr};
    ColKindOf(*t, &col.kind, &col.width);
    col.offset = pos;
    col.type = t;
    pos += col.width;
    has_var |= col.kind == ColKind::kVar32 || col.kind == ColKind::kVar64;
    cols.push_back(std::move(col));
  }
  auto map = std::make_unique<RowKeyMap>(std::move(cols), pos, has_var, pool);
  if (!map->Init()) return Status::OutOfMemory("aggregate hash table");
  return map;
}

}  // namespace shoal::exec
