// Mapping of group keys to dense group ids for hash aggregation.
#pragma once

#include <memory>
#include <vector>

#include <arrow/compute/exec.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal::exec {

/// Assigns dense ids (0, 1, ...) to distinct key tuples, NULL being a value of
/// its own. Not thread-safe: one per thread.
class GroupKeyMap {
 public:
  virtual ~GroupKeyMap() = default;
  /// Map each row of `keys` (columns of equal length) to its group id (uint32),
  /// adding unseen keys.
  virtual Result<std::shared_ptr<arrow::Array>> Consume(
      const std::vector<std::shared_ptr<arrow::Array>>& keys, int64_t length) = 0;
  /// Add the groups of `other` (a map over the same key types); return, as a
  /// uint32 array, the id in this map of each of other's groups.
  virtual Result<std::shared_ptr<arrow::Array>> Merge(GroupKeyMap& other);
  /// Add the groups `groups[0..n)` of `other` (a map over the same key types);
  /// return, as a uint32 array, the id in this map of each of them.
  virtual Result<std::shared_ptr<arrow::Array>> MergeGroups(GroupKeyMap& other,
                                                            const uint32_t* groups, int64_t n);
  /// Fill `out` with one hash per group (equal keys hash equally in every map over
  /// the same key types; the high bits are the well-mixed ones) and return true,
  /// or return false when this map cannot (then partitioned merging is not used).
  virtual bool GroupHashes(std::vector<uint64_t>* out) const { return false; }
  /// Return the distinct keys, one row per group id.
  virtual Result<std::vector<std::shared_ptr<arrow::Array>>> GetUniques() = 0;
  virtual uint32_t num_groups() const = 0;

  /// Make the fastest map for `key_types`: an open-addressing table for one
  /// integer-like key, an encoded-row table (row_key_map.h) for other fixed-width
  /// and string keys, Arrow's Grouper otherwise. `ctx` must outlive the map.
  static Result<std::unique_ptr<GroupKeyMap>> Make(
      const std::vector<std::shared_ptr<arrow::DataType>>& key_types,
      arrow::compute::ExecContext* ctx);
};

}  // namespace shoal::exec
