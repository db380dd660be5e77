// Private to delta/: reading one data file of a Delta scan (a morsel): column
// mapping to logical names (nested too), row-group pruning, deletion vectors,
// then the io layer's adapter for projection, constants, casts and limits.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/filesystem/type_fwd.h>
#include <arrow/record_batch.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/engine.h"
#include "shoal/delta/schema.h"
#include "shoal/io/scan_util.h"

namespace shoal::delta::internal {

/// Run-time counters of the data files a scan opened (shared by its morsels,
/// updated with relaxed atomics from worker threads).
struct FileReadCounters {
  std::atomic<int64_t> files_read{0};
  std::atomic<int64_t> row_groups_total{0};   ///< Row groups of the opened files.
  std::atomic<int64_t> row_groups_pruned{0};  ///< Of those, skipped by their statistics.
};

/// Everything a morsel needs to read one data file (immutable, shared).
struct DataFileRead {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string path;   ///< Path inside `fs`.
  int64_t size = -1;  ///< Size from the add action (-1: unknown).
  /// Logical fields to read from the file (annotated with column mapping metadata).
  std::vector<std::shared_ptr<arrow::Field>> columns;
  ColumnMappingMode mode = ColumnMappingMode::kNone;
  /// Scan filter bound to the table schema, for row-group pruning.
  std::optional<arrow::compute::Expression> filter;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  /// When set, read only the rows marked in this deletion vector (and not in
  /// `deletion_vector`): the change data feed's newly deleted rows.
  std::optional<DeletionVectorDescriptor> selected_rows;
  std::shared_ptr<Engine> engine;  ///< For loading deletion vectors.
  std::string table_root;
  MorselOutput out;
  /// Counters to add the opened file and its row groups to (may be null).
  std::shared_ptr<FileReadCounters> file_counters;
  /// Read only part `split` of `num_splits` of the file's row groups (contiguous
  /// ranges, decided from the footer), so big files are read by several workers.
  /// Row indexes (deletion vectors) stay file-global.
  int split = 0;
  int num_splits = 1;
};

/// A TableScan over data-file morsels whose metrics add the files and row
/// groups the morsels opened to the rows they read.
class DeltaTableScan : public BasicTableScan {
 public:
  DeltaTableScan(std::shared_ptr<arrow::Schema> schema,
                 std::vector<std::shared_ptr<ScanMorsel>> morsels, ScanMetricsSnapshot metrics,
                 std::shared_ptr<ScanCounters> counters,
                 std::shared_ptr<FileReadCounters> file_counters)
      : BasicTableScan(std::move(schema), std::move(morsels), metrics, std::move(counters)),
        file_counters_(std::move(file_counters)) {}
  ScanMetricsSnapshot metrics() const override {
    ScanMetricsSnapshot m = BasicTableScan::metrics();
    m.files_read = file_counters_->files_read.load(std::memory_order_relaxed);
    m.row_groups_total = file_counters_->row_groups_total.load(std::memory_order_relaxed);
    m.row_groups_pruned = file_counters_->row_groups_pruned.load(std::memory_order_relaxed);
    return m;
  }

 private:
  std::shared_ptr<FileReadCounters> file_counters_;
};

/// Open a reader producing `read.out` from the data file.
Result<std::shared_ptr<arrow::RecordBatchReader>> OpenDataFile(const DataFileRead& read);

/// The local path of a data file from an action's (URL-encoded) `path`: absolute
/// paths as they are, relative ones under `root`; other file systems are refused.
Result<std::string> DataFilePath(const std::string& root, const std::string& raw);

/// Return `array` (read from a data file with field `file_field`) renamed and
/// reshaped to `logical` (physical names or field ids to logical names, missing
/// nested fields as nulls).
Result<std::shared_ptr<arrow::Array>> ToLogical(const std::shared_ptr<arrow::Array>& array,
                                                const arrow::Field& logical,
                                                ColumnMappingMode mode);

}  // namespace shoal::delta::internal
