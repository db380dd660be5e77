// Table-level column statistics of a Delta table for the optimizer
// (TableProvider::statistics()), merged from the live files' add-action
// statistics and partition values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/delta/actions.h"

namespace shoal::delta {

/// Where the statistics of one table column come from.
struct StatsColumnSource {
  enum class Kind {
    kUnknown,    ///< nothing is reported (nested columns)
    kData,       ///< a data column: minValues / maxValues / nullCount of each file
    kPartition,  ///< a partition column: each file's partition value
    kFilePath,   ///< the file column (DeltaTableOptions::file_column_name)
    kFileIndex,  ///< the file index column (DeltaTableOptions::file_index_column_name)
  };
  Kind kind = Kind::kUnknown;
  /// kData: the column's key in the statistics (its physical name).
  std::string physical_name;
  /// The column's current type (after type widening); bounds are of this type.
  std::shared_ptr<arrow::DataType> type;
  /// kPartition: index into FileStatsView::partition_values.
  int partition_slot = -1;
  /// False: report no min / max (e.g. a partition column read as a dictionary).
  bool bounds = true;
};

/// One live file as the aggregation sees it.
struct FileStatsView {
  /// Position of the file in the snapshot's files().
  int64_t index = 0;
  /// The file's decoded statistics (null: none).
  const ParsedStats* stats = nullptr;
  /// Rows deleted by the file's deletion vector (its cardinality).
  int64_t deleted_rows = 0;
  /// Typed partition values, by partition slot (null or empty: unpartitioned).
  const std::vector<std::shared_ptr<arrow::Scalar>>* partition_values = nullptr;
  int64_t size = 0;
};

/// Merge per-file statistics into TableStatistics in one pass over the files
/// (O(files x columns), no parsing). Per column:
/// - min / max: the smallest min and the largest max over the files, kept for
///   range types only (integers, floats, decimals, dates, timestamps: what the
///   optimizer interpolates over), as Parquet tables do. A file that lacks a
///   bound of the column makes both unknown (unless the file holds only nulls),
///   so every reported bound holds for all files. Timestamp maxima are widened
///   by the millisecond truncation the protocol allows; NaN bounds make the
///   column's bounds unknown. Bounds of another type (stats_parsed of a column
///   widened since) are cast to the column's type.
/// - null count: the sum of the files' nullCount (unknown when a file lacks it),
///   at most the row count (nullCount counts rows a deletion vector removed).
/// - distinct count: exact for partition columns (distinct partition values) and
///   the file columns; unknown for data columns (the optimizer derives a bound
///   from min / max for integers and dates, as for Parquet tables).
/// The row count is exact: numRecords minus deletion-vector cardinalities, and
/// unknown when a file lacks numRecords.
class TableStatisticsBuilder {
 public:
  /// Start with no files; `columns` in table schema order.
  explicit TableStatisticsBuilder(std::vector<StatsColumnSource> columns);
  ~TableStatisticsBuilder();
  TableStatisticsBuilder(const TableStatisticsBuilder&) = delete;
  TableStatisticsBuilder& operator=(const TableStatisticsBuilder&) = delete;

  /// Return true when min / max are reported for data columns of `type` (range
  /// types); only those columns' bounds need decoding.
  static bool ReportsBounds(const arrow::DataType& type);

  /// Add one live file.
  void Add(const FileStatsView& file);
  /// Add the files added to `other`, a builder over the same columns (for
  /// aggregating chunks of files in parallel).
  void Merge(const TableStatisticsBuilder& other);
  /// Return the merged statistics.
  TableStatistics Finish() const;

 private:
  struct Column;
  std::vector<StatsColumnSource> sources_;
  std::vector<Column> columns_;
  bool rows_known_ = true;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
  int64_t files_ = 0;
};

}  // namespace shoal::delta
