// Runtime (dynamic) join filters: when a hash join's build side is finished, a
// filter derived from its keys (the key range and a membership test) is applied
// to the probe side's table scan, which skips row groups / files outside the key
// range and drops rows whose keys cannot match before any other operator sees them.
//
// Wiring: AttachRuntimeFilters (planning time) walks the physical plan; for each
// hash join whose probe side may lose rows without a match (inner, semi, and
// outer joins that preserve only the build side) it follows the probe keys down
// through filters, column-passing projections and other joins' probe sides to a
// TableScanOp in the same pipeline and registers a RuntimeFilterTarget there.
// The join builds the RuntimeFilter in Finalize (before the probe pipeline
// starts); the scan looks it up through the join's global sink state.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/execution/filter_selection.h"
#include "shoal/execution/join_hash_table.h"

namespace shoal::exec {

class HashJoinOp;
class PhysicalOperator;

/// What the build side of a join tells the probe side: no key at all (nothing
/// can match), the range of a single integer-like key, and a membership test
/// over the encoded keys (an exact bitmap over a dense integer range, else a
/// blocked Bloom filter over the join hashes).
class RuntimeFilter {
 public:
  /// Build from the encoded build keys (rows with a null key are ignored).
  static std::unique_ptr<RuntimeFilter> Make(const std::vector<JoinKeys>& parts,
                                             KeyLayout layout);

  /// True when no build row has a non-null key: no probe row can match.
  bool empty() const { return keys_ == 0; }
  /// Number of build rows with non-null keys.
  int64_t keys() const { return keys_; }
  /// True when min()/max() bound the (single, integer-like) key.
  bool has_range() const { return has_range_; }
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  /// True when Select can drop rows (a bitmap or Bloom filter was built).
  bool has_membership() const { return !bits_.empty(); }
  KeyLayout layout() const { return layout_; }

  /// Append to `sel` the rows of `keys` that may have a match (never rows with a
  /// null key). `keys` must use layout().
  void Select(const JoinKeys& keys, SelectionVector* sel) const;
  /// Fast path without key encoding: when the filter has a bitmap or range and
  /// `column` is a single int32/int64/date32 key, append its passing rows to
  /// `sel` and return true; else return false (use Select).
  bool SelectColumn(const arrow::Array& column, SelectionVector* sel) const;

  /// Short description for EXPLAIN ANALYZE ("keys=1000 range=[1, 5000] bitmap").
  std::string ToString() const;

 private:
  KeyLayout layout_;
  int64_t keys_ = 0;
  bool has_range_ = false;
  int64_t min_ = 0, max_ = 0;
  bool bitmap_ = false;         ///< bits_ is an exact bitmap over [min_, max_]
  std::vector<uint64_t> bits_;  ///< bitmap or Bloom filter words (empty: none)
  uint64_t word_mask_ = 0;      ///< Bloom: number of words - 1 (a power of two)
};

/// A runtime filter a scan applies: the join that builds it and the scan's
/// output columns holding the join's probe keys, in key order.
struct RuntimeFilterTarget {
  const HashJoinOp* join = nullptr;
  std::vector<int> columns;
};

/// Per-scan-run counters of one target (shared by the scan's workers).
struct RuntimeFilterCounters {
  std::atomic<int64_t> rows_checked{0};
  std::atomic<int64_t> rows_rejected{0};  ///< rows whose keys cannot match
  std::atomic<int64_t> rows_dropped{0};   ///< of those, rows removed (not passed on)
  /// Set when the filter dropped too few rows to pay for itself.
  std::atomic<bool> disabled{false};
};

/// Planning pass: register runtime filters of eligible joins under `root` with
/// the scans that produce their probe keys (see the file comment). Must run
/// before the plan is executed for the first time.
void AttachRuntimeFilters(const PhysicalOperator& root);

}  // namespace shoal::exec
