// Building blocks shared by the table providers of io/: a TableScan over a list
// of morsels, a morsel that opens through a function, and readers that adapt a
// file's batches to the requested output (projection by name, missing columns as
// nulls, casts, partition constants, batch size, limit).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"

namespace shoal {

/// Run-time counters of one scan, shared by the readers of its morsels, which
/// update them with relaxed atomic adds from any worker thread.
struct ScanCounters {
  std::atomic<int64_t> rows_read{0};   ///< Rows produced by the readers.
  std::atomic<int64_t> bytes_read{0};  ///< Bytes read from storage (format-specific).
  /// Add `rows` (and `bytes`) read.
  void Add(int64_t rows, int64_t bytes = 0) {
    if (rows) rows_read.fetch_add(rows, std::memory_order_relaxed);
    if (bytes) bytes_read.fetch_add(bytes, std::memory_order_relaxed);
  }
};

/// A TableScan over a fixed list of morsels.
class BasicTableScan : public TableScan {
 public:
  /// `counters` (may be null) are the run-time counters the morsels' readers fill.
  BasicTableScan(std::shared_ptr<arrow::Schema> schema,
                 std::vector<std::shared_ptr<ScanMorsel>> morsels,
                 ScanMetricsSnapshot metrics = {},
                 std::shared_ptr<ScanCounters> counters = nullptr)
      : schema_(std::move(schema)),
        morsels_(std::move(morsels)),
        metrics_(metrics),
        counters_(std::move(counters)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  const std::vector<std::shared_ptr<ScanMorsel>>& morsels() const override { return morsels_; }
  ScanMetricsSnapshot planning_metrics() const override { return metrics_; }
  ScanMetricsSnapshot metrics() const override {
    ScanMetricsSnapshot m = metrics_;
    if (counters_) {
      m.rows_read = counters_->rows_read.load(std::memory_order_relaxed);
      m.bytes_read = counters_->bytes_read.load(std::memory_order_relaxed);
    }
    return m;
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::shared_ptr<ScanMorsel>> morsels_;
  ScanMetricsSnapshot metrics_;
  std::shared_ptr<ScanCounters> counters_;
};

/// A morsel whose reader is made by a function (which must only capture
/// immutable, shared state: morsels outlive nothing but themselves).
class FunctionMorsel : public ScanMorsel {
 public:
  using OpenFn = std::function<Result<std::shared_ptr<arrow::RecordBatchReader>>()>;
  FunctionMorsel(int64_t index, std::string description, OpenFn open)
      : index_(index), description_(std::move(description)), open_(std::move(open)) {}
  int64_t index() const override { return index_; }
  std::string description() const override { return description_; }
  Result<std::shared_ptr<arrow::RecordBatchReader>> Open() const override { return open_(); }

 private:
  int64_t index_;
  std::string description_;
  OpenFn open_;
};

/// What a morsel must produce.
struct MorselOutput {
  /// The requested output schema.
  std::shared_ptr<arrow::Schema> schema;
  /// Per output column: a constant (a partition value) or null to read the column
  /// from the source by name (a column absent from the source reads as nulls).
  std::vector<std::shared_ptr<arrow::Scalar>> constants;
  /// Maximum rows per produced batch.
  int64_t batch_size = 8192;
  /// Maximum rows this morsel produces.
  std::optional<int64_t> limit;
  /// Match source columns to output columns by position instead of by name.
  bool by_position = false;
  /// Origin for error messages ("'data/x.parquet' row group 3").
  std::string description;
  /// Counters to add the produced rows to (may be null).
  std::shared_ptr<ScanCounters> counters;
  /// Bytes the morsel reads from storage, added to `counters` when its reader is made.
  int64_t source_bytes = 0;
  /// Leave dictionary columns whose value type is the output type as they are
  /// (ScanRequest::keep_dictionaries).
  bool keep_dictionaries = false;
};

/// Return a reader producing `out` from `source` (batches matched by column name,
/// cast to the output types, sliced to the batch size, truncated at the limit).
/// Errors from `source` are prefixed with the morsel description. `keep_alive` is
/// held as long as the reader (e.g. the file reader owning `source`). Adds
/// `out.source_bytes` and every produced row to `out.counters` when set.
std::shared_ptr<arrow::RecordBatchReader> MakeAdaptedReader(
    std::shared_ptr<arrow::RecordBatchReader> source, MorselOutput out,
    std::shared_ptr<void> keep_alive = nullptr);

/// Return a reader of `num_rows` rows for outputs that read no source column
/// (only constants and missing columns). Like MakeAdaptedReader it adds the rows
/// it produces and `out.source_bytes` to `out.counters`.
std::shared_ptr<arrow::RecordBatchReader> MakeConstantReader(MorselOutput out,
                                                             int64_t num_rows);

/// Return a reader over in-memory batches (no copy).
std::shared_ptr<arrow::RecordBatchReader> MakeBatchVectorReader(
    std::shared_ptr<arrow::Schema> schema,
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches);

/// Return the type the engine sees for a column read from a file: dictionary
/// columns as their value type, string_view / binary_view as utf8 / binary.
std::shared_ptr<arrow::DataType> NormalizeType(const std::shared_ptr<arrow::DataType>& type);
/// Return `schema` with every field type normalized (NormalizeType).
std::shared_ptr<arrow::Schema> NormalizeSchema(const std::shared_ptr<arrow::Schema>& schema);

/// Return true if a column of type `from` can be read as `to` without loss
/// (equal types, integer / float widening, utf8 <-> large_utf8, ...).
bool IsCompatibleType(const std::shared_ptr<arrow::DataType>& from,
                      const std::shared_ptr<arrow::DataType>& to);

/// Return the schema of the requested columns; errors name out-of-range indexes.
Result<std::shared_ptr<arrow::Schema>> ProjectSchema(const arrow::Schema& schema,
                                                     const std::vector<int>& columns);

}  // namespace shoal
