// Protocol-side helpers of DELETE / UPDATE / MERGE on Delta tables (copy-on-write):
// remove actions for the files a statement rewrites, deciding from partition
// values and statistics whether a file may hold rows matching a filter (the
// files a statement reads, and the check of files added by concurrent commits),
// and a scan wrapper that adds a per-scan unique row id and remembers the
// filter the planner pushed into the scan.
//
// The statements themselves are planned and run in main/statement_delta_dml.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta {

/// Return the remove action for a live file `add` that a statement deletes or
/// rewrites: dataChange=true, deletionTimestamp, extendedFileMetadata with the
/// partition values and size, and the file's deletion vector.
RemoveFile RemoveForFile(const AddFile& add, int64_t deletion_timestamp_ms);

/// Decides whether a data file may hold rows matching a filter, from its
/// partition values and statistics: the same skipping the Delta scan does.
/// Immutable; safe to share between threads.
class FileMatcher {
 public:
  /// `filter` is a scan filter over the logical columns of `snapshot`'s table
  /// (field refs by name); literal(true) (or a filter that cannot be bound)
  /// matches every file.
  FileMatcher(std::shared_ptr<const Snapshot> snapshot, const arrow::compute::Expression& filter);
  /// Return false only when no row of `add` can satisfy the filter.
  bool MayMatch(const AddFile& add) const;

 private:
  std::shared_ptr<const Snapshot> snapshot_;
  bool all_ = true;  ///< No usable filter: every file may match.
  arrow::compute::Expression bound_;
};

/// A table as DML statements scan it: the wrapped provider's columns, plus an
/// int64 row id column (when `row_id_column` is not empty) that is unique per
/// row within one scan (morsel index in the high 24 bits, row within the morsel
/// below). Remembers the filter of the last scan planned. Safe to scan from
/// several threads.
class DmlScanProvider : public TableProvider {
 public:
  DmlScanProvider(std::shared_ptr<TableProvider> inner, std::string row_id_column);

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return inner_->kind(); }
  TableStatistics statistics() const override { return inner_->statistics(); }
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const override;

  /// Return the pruning filter of the last scan (literal(true) before any scan).
  arrow::compute::Expression last_filter() const;

 private:
  std::shared_ptr<TableProvider> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  int row_id_index_ = -1;  ///< Index of the row id column in schema_, or -1.
  mutable std::mutex mutex_;
  mutable arrow::compute::Expression last_filter_ = arrow::compute::literal(true);
};

}  // namespace shoal::delta
