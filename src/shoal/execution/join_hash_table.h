// Join keys and the hash table of a hash join's build side.
#pragma once

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

/// Chained hash table over build rows: bucket heads and next pointers (row + 1,
/// 0 = end of chain).
class JoinHashTable {
 public:
  /// Build over `keys` (rows with null keys are left out: they never match).
  static Result<std::unique_ptr<JoinHashTable>> Build(JoinKeys keys);

  /// Call fn(build_row) for every build row whose key equals probe row `i`.
  template <typename Fn>
  void ForEachMatch(const JoinKeys& probe, int64_t i, Fn&& fn) const {
    uint64_t h = probe.hashes[i];
    uint32_t r = buckets_[h & mask_];
    if (keys_.integer_mode) {
      int64_t k = probe.ints[i];
      while (r != 0) {
        if (keys_.ints[r - 1] == k) fn(static_cast<int64_t>(r - 1));
        r = next_[r - 1];
      }
    } else {
      while (r != 0) {
        if (keys_.hashes[r - 1] == h && keys_.Equal(r - 1, probe, i)) {
          fn(static_cast<int64_t>(r - 1));
        }
        r = next_[r - 1];
      }
    }
  }

  int64_t num_rows() const { return keys_.length; }
  const JoinKeys& keys() const { return keys_; }
  size_t num_buckets() const { return buckets_.size(); }

 private:
  JoinKeys keys_;
  std::vector<uint32_t> buckets_;
  std::vector<uint32_t> next_;
  uint64_t mask_ = 0;
};

}  // namespace shoal::exec
