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

namespace shoal::exec {

/// Encoded join keys of a batch of rows. Single integer-like keys (integers,
/// dates, timestamps) are kept as int64; anything else is serialized per row into
/// bytes that compare equal exactly when the SQL values are equal.
struct JoinKeys {
  bool integer_mode = true;
  int64_t length = 0;
  std::vector<int64_t> ints;          ///< integer mode
  std::vector<uint8_t> bytes;         ///< byte mode: concatenated rows
  std::vector<int64_t> offsets;       ///< byte mode: length + 1 offsets
  std::vector<uint64_t> hashes;
  std::vector<uint8_t> has_null;      ///< 1 when a key of the row is null
  bool any_null = false;

  bool Equal(int64_t i, const JoinKeys& other, int64_t j) const {
    if (integer_mode) return ints[i] == other.ints[j];
    int64_t n = offsets[i + 1] - offsets[i];
    if (n != other.offsets[j + 1] - other.offsets[j]) return false;
    return std::memcmp(bytes.data() + offsets[i], other.bytes.data() + other.offsets[j], n) == 0;
  }
};

/// Return true when keys of these types use the integer fast path.
bool UsesIntegerKeys(const std::vector<std::shared_ptr<arrow::DataType>>& types);

/// Encode `columns` (the key columns of one batch, same length) into `out`.
/// Errors name unsupported key types.
Status EncodeJoinKeys(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                      bool integer_mode, JoinKeys* out);

/// Append `more` to `into` (same mode).
void AppendJoinKeys(JoinKeys&& more, JoinKeys* into);
/// Concatenate `parts` (same mode) into one, allocating once.
JoinKeys ConcatenateJoinKeys(std::vector<JoinKeys>* parts, bool integer_mode);

/// Chained hash table over build rows: bucket heads and next pointers (row + 1,
/// 0 = end of chain).
class JoinHashTable {
 public:
  /// Build over `keys` (rows with null keys are left out: they never match),
  /// inserting from `threads` threads.
  static Result<std::unique_ptr<JoinHashTable>> Build(JoinKeys keys, int threads = 1);

  /// Call fn(build_row) for every build row whose key equals probe row `i`.
  template <typename Fn>
  void ForEachMatch(const JoinKeys& probe, int64_t i, Fn&& fn) const {
    WalkChain(probe, i, Head(probe.hashes[i]), fn);
  }

  /// Call fn(i, build_row) for every match of probe rows [begin, end) whose keys
  /// are not null, in row order. Loads are prefetched a block at a time.
  template <typename Fn>
  void ProbeRange(const JoinKeys& probe, int64_t begin, int64_t end, Fn&& fn) const {
    constexpr int64_t kBlock = 64;
    uint32_t heads[kBlock];
    for (int64_t b0 = begin; b0 < end; b0 += kBlock) {
      int64_t b1 = std::min(end, b0 + kBlock);
      for (int64_t i = b0; i < b1; ++i) __builtin_prefetch(&buckets_[probe.hashes[i] & mask_]);
      for (int64_t i = b0; i < b1; ++i) {
        uint32_t h = Head(probe.hashes[i]);
        heads[i - b0] = h;
        if (h != 0) {
          if (keys_.integer_mode) {
            __builtin_prefetch(&keys_.ints[h - 1]);
          } else {
            __builtin_prefetch(&keys_.hashes[h - 1]);
          }
          __builtin_prefetch(&next_[h - 1]);
        }
      }
      for (int64_t i = b0; i < b1; ++i) {
        if (heads[i - b0] == 0 || probe.has_null[i]) continue;
        WalkChain(probe, i, heads[i - b0], [&](int64_t r) { fn(i, r); });
      }
    }
  }

  int64_t num_rows() const { return keys_.length; }
  const JoinKeys& keys() const { return keys_; }
  size_t num_buckets() const { return mask_ + 1; }

 private:
  template <typename Fn>
  void WalkChain(const JoinKeys& probe, int64_t i, uint32_t r, Fn&& fn) const {
    if (keys_.integer_mode) {
      int64_t k = probe.ints[i];
      while (r != 0) {
        if (keys_.ints[r - 1] == k) fn(static_cast<int64_t>(r - 1));
        r = next_[r - 1];
      }
    } else {
      uint64_t h = probe.hashes[i];
      while (r != 0) {
        if (keys_.hashes[r - 1] == h && keys_.Equal(r - 1, probe, i)) {
          fn(static_cast<int64_t>(r - 1));
        }
        r = next_[r - 1];
      }
    }
  }

  uint32_t Head(uint64_t hash) const {
    return buckets_[hash & mask_].load(std::memory_order_relaxed);
  }

  JoinKeys keys_;
  std::unique_ptr<std::atomic<uint32_t>[]> buckets_;  ///< atomics for the parallel build
  std::vector<uint32_t> next_;
  uint64_t mask_ = 0;
};

}  // namespace shoal::exec
