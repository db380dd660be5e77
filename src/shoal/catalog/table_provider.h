// Tables as the planner and executor see them: a schema, statistics, and a scan
// that splits into independent morsels for the parallel executor.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal {

/// Cheap, possibly absent statistics of one column, used by the optimizer for
/// selectivity estimates. Every field may be unknown; bounds need not be tight
/// (a provider may widen them, e.g. from truncated Parquet statistics), but every
/// non-null value must lie within [min, max].
struct ColumnStatistics {
  /// Smallest and largest non-null value, of the column's type (null: unknown).
  std::shared_ptr<arrow::Scalar> min;
  std::shared_ptr<arrow::Scalar> max;
  /// Null values in the column.
  std::optional<int64_t> null_count;
  /// Estimate of the distinct non-null values (e.g. Parquet's distinct_count,
  /// a Delta/Iceberg NDV, or a sketch); the optimizer derives its own bound from
  /// min/max for integers and dates when absent.
  std::optional<double> distinct_count;
};

/// Cheap, possibly absent statistics used by the optimizer (join order, build side).
struct TableStatistics {
  std::optional<int64_t> num_rows;        ///< Exact or estimated row count.
  bool exact = false;                     ///< True when num_rows is exact.
  std::optional<int64_t> total_bytes;     ///< On-disk or in-memory size.
  /// Per column of TableProvider::schema(), in schema order, or empty when the
  /// provider knows nothing per column. Providers whose metadata holds per-file
  /// column statistics (Parquet footers, Delta add-action `stats` with
  /// minValues / maxValues / nullCount) merge them here: min of the mins, max of
  /// the maxes, sum of the null counts, leaving a field unknown when any file
  /// lacks it. Computing them should not read data (footers and logs only).
  std::vector<ColumnStatistics> columns;
};

/// What the executor asks of a table scan.
struct ScanRequest {
  /// Indexes into TableProvider::schema() of the columns to produce, in this order.
  /// Empty means no columns (the scan still yields batches with the right row counts).
  std::vector<int> columns;
  /// Filter over the table's columns (field refs by name), for pruning only:
  /// providers may skip files, partitions or row groups that cannot match, but
  /// need not remove individual rows. The planner keeps its own Filter above the
  /// scan. `arrow::compute::literal(true)` means no filter.
  arrow::compute::Expression filter = arrow::compute::literal(true);
  /// Stop after this many rows in total if set (only when no filter remains above).
  std::optional<int64_t> limit;
  /// Target rows per produced batch.
  int64_t batch_size = 8192;
  /// Columns the provider reads as Arrow dictionaries (low-cardinality Parquet
  /// strings) may be produced as dictionary arrays of the requested value type
  /// instead of being decoded. Set by the executor when a filter that decodes
  /// them reads the scan directly; providers may ignore it.
  bool keep_dictionaries = false;
};

/// Counters of a scan, shown by EXPLAIN ANALYZE: pruning counters from planning and
/// run-time counters (rows_read, bytes_read) that implementations update with
/// atomics while morsels are read (see io/scan_util.h ScanCounters).
struct ScanMetricsSnapshot {
  int64_t files_total = 0;
  int64_t files_pruned = 0;
  int64_t row_groups_total = 0;
  int64_t row_groups_pruned = 0;
  int64_t rows_read = 0;
  int64_t bytes_read = 0;
  /// Of files_pruned, how many by partition values and by statistics (-1: not told apart).
  int64_t files_pruned_by_partition = -1;
  int64_t files_pruned_by_stats = -1;
  /// Files actually opened while reading (-1: not counted).
  int64_t files_read = -1;
  /// Free-form provider facts for EXPLAIN, e.g. "version=5".
  std::string detail;
};

/// One independent unit of scan work (a file, a row group, a slice of an in-memory
/// table). Morsels are claimed by worker threads in any order; `index` gives the
/// morsel's position in the table's natural order so order-preserving plans can
/// restore it.
class ScanMorsel {
 public:
  virtual ~ScanMorsel() = default;
  /// Position of this morsel in the table's natural order.
  virtual int64_t index() const = 0;
  /// Human-readable origin, e.g. "data/part-0.parquet row group 3" (for errors).
  virtual std::string description() const = 0;
  /// Open a reader over this morsel's rows with the projected columns. Called on a
  /// worker thread; must not block on other morsels. Errors name the file.
  virtual Result<std::shared_ptr<arrow::RecordBatchReader>> Open() const = 0;
};

/// A planned scan: the schema it produces and its morsels.
class TableScan {
 public:
  virtual ~TableScan() = default;
  /// Schema of the produced batches (the requested columns, in order).
  virtual std::shared_ptr<arrow::Schema> schema() const = 0;
  /// Morsels in natural order. May be empty.
  virtual const std::vector<std::shared_ptr<ScanMorsel>>& morsels() const = 0;
  /// Pruning counters known after planning (files/row groups considered and pruned).
  virtual ScanMetricsSnapshot planning_metrics() const { return {}; }
  /// The planning counters plus what the morsels' readers have read so far
  /// (rows_read, bytes_read). Safe to call from any thread while the scan runs;
  /// final once every opened reader is exhausted or destroyed.
  virtual ScanMetricsSnapshot metrics() const { return planning_metrics(); }
};

/// A point in a table's history for time travel (VERSION AS OF / TIMESTAMP AS OF):
/// exactly one of the two is set.
struct TableVersion {
  std::optional<int64_t> version;
  /// Microseconds since the Unix epoch (UTC).
  std::optional<int64_t> timestamp_us;
};

/// A table: anything that can describe itself and plan a scan.
/// Implementations must be safe to scan from several queries at once.
class TableProvider {
 public:
  virtual ~TableProvider() = default;
  /// Full schema of the table (partition columns included, last).
  virtual std::shared_ptr<arrow::Schema> schema() const = 0;
  /// Short kind for EXPLAIN and SHOW TABLES: "parquet", "csv", "json", "arrow", "memory", "view".
  virtual std::string kind() const = 0;
  /// Statistics for the optimizer; default: unknown.
  virtual TableStatistics statistics() const { return {}; }
  /// The same without per-column entries (`columns` may be empty). The optimizer
  /// asks for this when its plan neither filters, joins nor groups, so a provider
  /// whose column statistics cost work (aggregating a Delta log's per-file stats)
  /// overrides it to skip that work; default: statistics().
  virtual TableStatistics row_statistics() const { return statistics(); }
  /// Plan a scan. May do metadata IO (listing, footers); errors name the file.
  virtual Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const = 0;
  /// True for one-shot sources (a stream) that cannot be scanned twice.
  virtual bool one_shot() const { return false; }
  /// Return the planning counters of a scan with `request` for plain EXPLAIN, for
  /// providers whose scan planning is cheap (no data IO). Default: nullopt.
  virtual std::optional<ScanMetricsSnapshot> ExplainScan(const ScanRequest& request) const {
    return std::nullopt;
  }
  /// Return the table as it was at `at` (time travel). Default: not supported.
  virtual Result<std::shared_ptr<TableProvider>> TimeTravel(const TableVersion& at) const {
    return Status::NotImplemented("time travel (VERSION AS OF / TIMESTAMP AS OF) is not "
                                  "supported for tables of kind '", kind(), "'");
  }
  /// Append batches (INSERT INTO). Default: the table is read-only.
  virtual Status Append(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
    return Status::NotImplemented("table of kind '", kind(), "' does not support INSERT");
  }
};

}  // namespace shoal
