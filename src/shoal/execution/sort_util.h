// Sorting helpers shared by Sort, TopN, Window and ordered aggregates.
#pragma once

#include <memory>
#include <vector>

#include <arrow/compute/exec.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal::exec {

/// Direction and null placement of one sort column.
struct SortSpec {
  bool ascending = true;
  bool nulls_first = false;
};

/// Return the permutation (uint64 indices) that sorts rows by `columns` (all of
/// the same length) with `specs`; stable.
Result<std::shared_ptr<arrow::Array>> SortPermutation(
    const std::vector<std::shared_ptr<arrow::Array>>& columns,
    const std::vector<SortSpec>& specs, arrow::compute::ExecContext* ctx);

/// Compares rows of arrays of one type (row i of `a` with row j of `b`), with SQL
/// NULL handling per SortSpec. Used for merging and window peer detection.
class RowComparator {
 public:
  virtual ~RowComparator() = default;
  /// Return <0, 0, >0 (nulls compare equal to each other).
  virtual int Compare(const arrow::Array& a, int64_t i, const arrow::Array& b,
                      int64_t j) const = 0;
  /// Make a comparator for `type` honoring `spec`.
  static Result<std::unique_ptr<RowComparator>> Make(const arrow::DataType& type,
                                                     SortSpec spec);
};

}  // namespace shoal::exec
