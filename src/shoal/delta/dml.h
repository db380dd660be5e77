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
#include <optional>
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

/// Numbering rows by their physical position in their data file (see
/// DmlScanProvider).
struct PhysicalRowIds {
  /// The snapshot whose files() the file index column indexes.
  std::shared_ptr<const Snapshot> snapshot;
  /// The inner provider's int32 file index column (DeltaTableOptions::
  /// file_index_column_name); scans that ask for the row id must ask for it too.
  std::string file_index_column;
  /// The table root, for loading the files' deletion vectors.
  std::string table_root;
};

/// A table as DML statements scan it: the wrapped provider's columns, plus an
/// int64 row id column (when `row_id_column` is not empty) that is unique per
/// row within one scan (morsel index in the high 24 bits, row within the morsel
/// below). Remembers the filter of the last scan planned. Safe to scan from
/// several threads.
///
/// With `physical` set the row id is instead the row's physical index in its
/// data file (the position a deletion vector marks). The inner provider must
/// then be a Delta scan yielding each file as one morsel (split_bytes large
/// enough) whose rows are the file's rows in order minus its deletion vector;
/// the scan filter is not passed on (it would prune row groups), only kept for
/// last_filter().
class DmlScanProvider : public TableProvider {
 public:
  DmlScanProvider(std::shared_ptr<TableProvider> inner, std::string row_id_column,
                  std::optional<PhysicalRowIds> physical = std::nullopt);

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return inner_->kind(); }
  TableStatistics statistics() const override { return inner_->statistics(); }
  TableStatistics row_statistics() const override { return inner_->row_statistics(); }
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const override;

  /// Return the pruning filter of the last scan (literal(true) before any scan).
  arrow::compute::Expression last_filter() const;

 private:
  std::shared_ptr<TableProvider> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  int row_id_index_ = -1;  ///< Index of the row id column in schema_, or -1.
  std::optional<PhysicalRowIds> physical_;
  int file_index_index_ = -1;  ///< With physical_: the file index column in schema_.
  mutable std::mutex mutex_;
  mutable arrow::compute::Expression last_filter_ = arrow::compute::literal(true);
};

}  // namespace shoal::delta
