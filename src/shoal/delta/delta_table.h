// A Delta table as a Shoal TableProvider: a snapshot's live files become scan
// morsels (one per data file, read by the io layer's adapters), files whose
// partition values or statistics cannot match the filter are skipped, and
// time travel loads another snapshot.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <arrow/filesystem/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta {

/// How to open a Delta table.
struct DeltaTableOptions {
  /// Version or timestamp to load (latest when both are empty).
  SnapshotSpec spec;
  /// File system; null: resolved from the location (local paths, file:// URIs).
  std::shared_ptr<arrow::fs::FileSystem> filesystem;
  /// Storage settings (credentials, region, ...) for remote file systems.
  std::map<std::string, std::string> storage_options;
  /// When not empty, add a utf8 column of this name holding each row's data file.
  std::string file_column_name;
  /// When not empty, add a non-null int32 column of this name holding the index
  /// of each row's data file in the snapshot's files() (cheaper than the path).
  std::string file_index_column_name;
  /// Skip files using partition values and statistics.
  bool file_skipping = true;
  /// A data file of at least twice this many bytes is read by several morsels
  /// (size / split_bytes, at most 64), each a contiguous range of its row groups.
  int64_t split_bytes = int64_t{32} << 20;
  /// When set, only these data files (decoded add paths) are part of the table
  /// (DELETE / UPDATE / MERGE rewrite exactly the files they touched).
  std::shared_ptr<const std::set<std::string>> only_files;
  /// Produce partition columns as dictionary<int32, T> arrays instead of
  /// materialized values: each batch is a constant dictionary array indexing one
  /// table-wide dictionary per column (its distinct values over the snapshot's
  /// files). The table schema reports them as dictionary types.
  bool dictionary_partition_values = false;
};

/// Return `options` filled from SQL / Python OPTIONS: 'version', 'timestamp'
/// (text such as '2026-01-01 00:00:00'), 'file_column_name', 'file_skipping',
/// 'dictionary_partition_values' (true / false);
/// other keys are storage options.
Result<DeltaTableOptions> ParseDeltaOptions(const std::map<std::string, std::string>& options);

/// The Delta table provider (kind "delta").
class DeltaTableProvider : public TableProvider {
 public:
  /// Open the table at `location` (a local path or file:// URI, or a path inside
  /// `options.filesystem`).
  static Result<std::shared_ptr<DeltaTableProvider>> Make(const std::string& location,
                                                          const DeltaTableOptions& options = {});
  /// Wrap an already loaded snapshot.
  static Result<std::shared_ptr<DeltaTableProvider>> FromSnapshot(
      std::shared_ptr<const Snapshot> snapshot, std::shared_ptr<arrow::fs::FileSystem> fs,
      const DeltaTableOptions& options);

  std::shared_ptr<arrow::Schema> schema() const override;
  std::string kind() const override { return "delta"; }
  /// Return the exact row count (numRecords minus deletion-vector cardinalities),
  /// the size, and per column min / max / null count / ndv merged over the live
  /// files' statistics and partition values (see table_statistics.h). Computed
  /// on the first call, then cached; time-travel providers have their own.
  TableStatistics statistics() const override;
  /// Row count (numRecords minus deletion-vector cardinalities) and bytes only:
  /// no per-file statistics are decoded.
  TableStatistics row_statistics() const override;
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const override;
  Result<std::shared_ptr<TableProvider>> TimeTravel(const TableVersion& at) const override;
  /// Plan the scan and return its counters: the version and the files skipped
  /// by partition values and by statistics.
  std::optional<ScanMetricsSnapshot> ExplainScan(const ScanRequest& request) const override;

  /// Return the loaded snapshot.
  const std::shared_ptr<const Snapshot>& snapshot() const;
  /// Return the options the table was opened with.
  const DeltaTableOptions& options() const;
  /// Return the file system the data files are read from.
  const std::shared_ptr<arrow::fs::FileSystem>& filesystem() const;

  struct State;

 private:
  explicit DeltaTableProvider(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace shoal::delta
