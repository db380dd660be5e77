// The common base of file-backed tables (Parquet, CSV, JSON, Arrow IPC): the
// files are listed again at every scan (so new files are seen), partitions whose
// values cannot match the filter are skipped, and each remaining file is turned
// into morsels by the format.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/io/type_fwd.h>
#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/io/file_listing.h"
#include "shoal/io/scan_util.h"

namespace shoal {

/// Immutable description of a file-backed table, shared with its morsels.
struct FileTableConfig {
  FileLocation location;
  /// Extensions a file in a directory must end with (any file when empty).
  std::vector<std::string> extensions;
  /// Hive partition columns (appended to the schema, in this order).
  std::vector<std::shared_ptr<arrow::Field>> partition_fields;
  /// The columns stored in the files.
  std::shared_ptr<arrow::Schema> data_schema;
  /// data_schema followed by the partition columns.
  std::shared_ptr<arrow::Schema> schema;
};

/// Planning state of one scan, filled by FileTable::Scan and the format.
struct FilePlan {
  const ScanRequest* request = nullptr;
  /// Schema of the requested columns.
  std::shared_ptr<arrow::Schema> output_schema;
  /// The scan filter bound to the table schema (nullopt: prune nothing).
  std::optional<arrow::compute::Expression> filter;
  /// Rows still wanted when a limit applies and there is no filter.
  std::optional<int64_t> remaining;
  /// Names of the requested columns that are stored in the files.
  std::vector<std::string> data_columns;
  ScanMetricsSnapshot metrics;
  /// Run-time counters shared by the morsels' readers (set in every Output()).
  std::shared_ptr<ScanCounters> counters = std::make_shared<ScanCounters>();
  std::vector<std::shared_ptr<ScanMorsel>> morsels;

  /// Return the output description for a morsel of a file with these partition values.
  MorselOutput Output(const std::vector<std::shared_ptr<arrow::Scalar>>& partition_values,
                      std::string description) const;
  /// Return the next morsel index.
  int64_t next_index() const { return static_cast<int64_t>(morsels.size()); }
};

/// Base class of file-backed tables.
class FileTable : public TableProvider {
 public:
  std::shared_ptr<arrow::Schema> schema() const override { return config_->schema; }
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const override;
  /// Return the table's configuration.
  const FileTableConfig& config() const { return *config_; }

 protected:
  explicit FileTable(std::shared_ptr<const FileTableConfig> config)
      : config_(std::move(config)) {}
  /// Add the morsels of one file that partition pruning kept. `guarantee` holds what
  /// is known of the file's partition columns.
  virtual Status PlanFile(const DataFile& file,
                          const std::vector<std::shared_ptr<arrow::Scalar>>& partition_values,
                          const arrow::compute::Expression& guarantee,
                          FilePlan* plan) const = 0;
  /// List the table's files now.
  Result<std::vector<DataFile>> ListFiles() const;

  std::shared_ptr<const FileTableConfig> config_;
};

/// Resolve `location`, list its files and find the partition columns: the first
/// step of every file table's Make(). The result has no data schema yet.
Result<std::pair<std::shared_ptr<FileTableConfig>, std::vector<DataFile>>> PrepareFileTable(
    const std::string& location, std::shared_ptr<arrow::fs::FileSystem> fs,
    std::vector<std::string> extensions,
    const std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>>& partition_cols);

/// Set the data schema of `config` (dropping columns that are also partition
/// columns) and build the full schema.
void FinishFileTableSchema(FileTableConfig* config, std::shared_ptr<arrow::Schema> data_schema);

/// Return the extension list for `ext` plus its compressed variant ("<ext>.gz").
std::vector<std::string> WithGzVariant(const std::string& ext);

/// Open `path` for sequential reading, decompressing gzip when `compression` is
/// "gzip", or "auto" and the path ends with ".gz".
Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
    const std::string& compression);

/// Return a clear error for a file: "<what> '<path>': <message>".
Status FileError(const Status& st, const std::string& what, const std::string& path);

}  // namespace shoal
