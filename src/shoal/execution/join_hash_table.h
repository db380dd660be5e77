// Join keys and the hash table of a hash join's build side.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/execution/huge_array.h"

namespace shoal::exec {

/// How the keys of a join are encoded.
enum class KeyMode : uint8_t {
  kInt,    ///< one integer-like key, kept as int64
  kFixed,  ///< fixed-width keys packed into rows of `width` bytes
  kVar,    ///< anything else: variable-length byte rows
};

/// Key encoding chosen from the key types (the same for build and probe side).
struct KeyLayout {
  KeyMode mode = KeyMode::kInt;
  int32_t width = 8;  ///< bytes per row (kInt: 8; kVar: 0)
};

/// Hash of one integer-like key (KeyMode::kInt), as JoinKeys::hashes holds it.
inline uint64_t JoinIntHash(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// Return the layout for keys of `types`.
KeyLayout ChooseKeyLayout(const std::vector<std::shared_ptr<arrow::DataType>>& types);

/// Encoded join keys of a batch of rows. Rows compare equal exactly when their SQL
/// values are equal (rows with a null key never match anything).
struct JoinKeys {
  KeyLayout layout;
  int64_t length = 0;
  std::vector<int64_t> ints;     ///< kInt
  std::vector<uint8_t> bytes;    ///< kFixed: length * width bytes; kVar: concatenated rows
  std::vector<int64_t> offsets;  ///< kVar: length + 1 offsets
  std::vector<uint64_t> hashes;
  std::vector<uint8_t> has_null;  ///< 1 when a key of the row is null; empty when none is
  bool any_null = false;

  bool IsNull(int64_t i) const { return any_null && has_null[i] != 0; }
  /// Approximate heap bytes held.
  int64_t MemoryBytes() const;
};

/// Encode `columns` (the key columns of one batch, same length) into `out`.
/// Errors name unsupported key types.
Status EncodeJoinKeys(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                      KeyLayout layout, JoinKeys* out);

/// Hash table over the build rows of a join. Buckets hold the head of a chain of
/// rows (row + 1, 0 = empty) and a 32-bit filter of the chain's hashes that
/// rejects most probes of absent keys without touching the rows. Rows live in one
/// array: per row the next row of the chain, then the key (kInt/kFixed).
class JoinHashTable {
 public:
  /// Build over the rows of `parts` (consecutive row ranges, all with `layout`),
  /// consuming them (each part is freed once inserted). Rows with null keys are
  /// left out: they never match. Inserts from `threads` threads.
  static Result<std::unique_ptr<JoinHashTable>> Build(std::vector<JoinKeys>* parts,
                                                      KeyLayout layout, int threads = 1);

  /// Call fn(i, build_row) for every match of probe rows [begin, end) whose keys
  /// are not null, in probe row order. With kFirstOnly, stop at a row's first match.
  template <bool kFirstOnly, typename Fn>
  void ProbeRange(const JoinKeys& probe, int64_t begin, int64_t end, Fn&& fn) const {
    switch (layout_.mode) {
      case KeyMode::kInt: {
        if (direct_) return ProbeDirect<kFirstOnly>(probe, begin, end, fn);
        const int64_t* keys = probe.ints.data();
        return ProbeLoop<kFirstOnly>(probe, begin, end, fn, [keys](int64_t i, uint32_t r,
                                                                   const uint8_t* e) {
          return LoadKey64(e) == keys[i];
        });
      }
      case KeyMode::kFixed: {
        const uint8_t* keys = probe.bytes.data();
        const size_t w = static_cast<size_t>(layout_.width);
        if (w == 16) {
          return ProbeLoop<kFirstOnly>(probe, begin, end, fn, [keys](int64_t i, uint32_t,
                                                                     const uint8_t* e) {
            uint64_t a0, a1, b0, b1;
            std::memcpy(&a0, e + 4, 8);
            std::memcpy(&a1, e + 12, 8);
            std::memcpy(&b0, keys + i * 16, 8);
            std::memcpy(&b1, keys + i * 16 + 8, 8);
            return ((a0 ^ b0) | (a1 ^ b1)) == 0;
          });
        }
        if (w == 8) {
          return ProbeLoop<kFirstOnly>(probe, begin, end, fn, [keys](int64_t i, uint32_t,
                                                                     const uint8_t* e) {
            uint64_t a, b;
            std::memcpy(&a, e + 4, 8);
            std::memcpy(&b, keys + i * 8, 8);
            return a == b;
          });
        }
        return ProbeLoop<kFirstOnly>(probe, begin, end, fn, [keys, w](int64_t i, uint32_t,
                                                                      const uint8_t* e) {
          return std::memcmp(e + 4, keys + i * w, w) == 0;
        });
      }
      case KeyMode::kVar: {
        const uint8_t* bytes = probe.bytes.data();
        const int64_t* offs = probe.offsets.data();
        return ProbeLoop<kFirstOnly>(probe, begin, end, fn, [this, bytes, offs](
                                                                int64_t i, uint32_t r,
                                                                const uint8_t*) {
          const int64_t n = offs[i + 1] - offs[i];
          const int64_t s = var_offsets_[r];
          return var_offsets_[r + 1] - s == n &&
                 std::memcmp(var_bytes_.data() + s, bytes + offs[i], n) == 0;
        });
      }
    }
  }

  int64_t num_rows() const { return rows_; }
  size_t num_buckets() const { return buckets_.size(); }
  /// True when the table is an array indexed by key - min (dense integer keys).
  bool direct() const { return direct_; }
  /// True when build row `r` has a null key.
  bool IsNullKey(int64_t r) const { return !null_rows_.empty() && null_rows_[r] != 0; }
  /// Approximate heap bytes held.
  int64_t MemoryBytes() const;

 private:
  /// Probe a direct table: the bucket of key k is k - min_key_, and every row of
  /// its chain has key k (no comparisons).
  template <bool kFirstOnly, typename Fn>
  void ProbeDirect(const JoinKeys& probe, int64_t begin, int64_t end, Fn& fn) const {
    constexpr int64_t kDist = 16;
    const int64_t* keys = probe.ints.data();
    const uint64_t* buckets = buckets_.data();
    const uint64_t range = buckets_.size();
    const uint64_t base = static_cast<uint64_t>(min_key_);  // unsigned: no overflow
    for (int64_t i = begin; i < end; ++i) {
      if (i + kDist < end) {
        const uint64_t ahead = static_cast<uint64_t>(keys[i + kDist]) - base;
        if (ahead < range) __builtin_prefetch(&buckets[ahead]);
      }
      const uint64_t idx = static_cast<uint64_t>(keys[i]) - base;
      if (idx >= range || probe.IsNull(i)) continue;
      uint32_t r = static_cast<uint32_t>(buckets[idx]);
      while (r != 0) {
        fn(i, static_cast<int64_t>(r - 1));
        if constexpr (kFirstOnly) break;
        r = LoadNext(Row(r - 1));
      }
    }
  }

  template <bool kFirstOnly, typename Fn, typename Eq>
  void ProbeLoop(const JoinKeys& probe, int64_t begin, int64_t end, Fn& fn,
                 const Eq& eq) const {
    // Software pipeline: the bucket of row i is prefetched kDist rows before it
    // is read, and the head row of its chain kDist rows before the chain is walked.
    constexpr int64_t kDist = 16;
    constexpr int64_t kRing = 32;  // > kDist, power of two
    uint32_t heads[kRing];
    const uint64_t* hashes = probe.hashes.data();
    const uint64_t* buckets = buckets_.data();
    for (int64_t i = begin; i < end + 2 * kDist; ++i) {
      if (i < end) __builtin_prefetch(&buckets[hashes[i] & mask_]);
      const int64_t j = i - kDist;
      if (j >= begin && j < end) {
        const uint64_t h = hashes[j];
        uint64_t b = buckets[h & mask_];
        if (((b >> 32) & TagBit(h)) == 0 || probe.IsNull(j)) b = 0;
        const uint32_t head = static_cast<uint32_t>(b);
        heads[j & (kRing - 1)] = head;
        if (head != 0) __builtin_prefetch(Row(head - 1));
      }
      const int64_t k = i - 2 * kDist;
      if (k >= begin) {
        uint32_t r = heads[k & (kRing - 1)];
        while (r != 0) {
          const uint8_t* e = Row(r - 1);
          if (eq(k, r - 1, e)) {
            fn(k, static_cast<int64_t>(r - 1));
            if constexpr (kFirstOnly) break;
          }
          r = LoadNext(e);
        }
      }
    }
  }

  static uint32_t TagBit(uint64_t hash) { return 1u << (hash >> 59); }
  const uint8_t* Row(uint32_t r) const {
    return layout_.mode == KeyMode::kVar ? reinterpret_cast<const uint8_t*>(&next_[r])
                                         : rows_data_.data() + static_cast<size_t>(r) * stride_;
  }
  static uint32_t LoadNext(const uint8_t* e) {
    uint32_t v;
    std::memcpy(&v, e, 4);
    return v;
  }
  static int64_t LoadKey64(const uint8_t* e) {
    int64_t v;
    std::memcpy(&v, e + 4, 8);
    return v;
  }

  KeyLayout layout_;
  int64_t rows_ = 0;
  bool direct_ = false;  ///< kInt with a small key range: buckets_[key - min_key_]
  int64_t min_key_ = 0;
  HugeArray<uint64_t> buckets_;  ///< (filter << 32) | head
  uint64_t mask_ = 0;
  // kInt / kFixed: rows of stride_ bytes: uint32 next row + 1, then the key.
  HugeArray<uint8_t> rows_data_;
  size_t stride_ = 0;
  // kVar: next pointers and the concatenated key bytes.
  std::vector<uint32_t> next_;
  std::vector<uint8_t> var_bytes_;
  std::vector<int64_t> var_offsets_;
  std::vector<uint8_t> null_rows_;  ///< empty when no build key is null
};

}  // namespace shoal::exec
