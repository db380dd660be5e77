// In-memory tables: a schema and partitions of record batches. Scans see a stable
// snapshot: Append (INSERT INTO) swaps in a new batch list (copy-on-write), so a
// running scan keeps reading the list it started with.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"

namespace shoal {

/// A table held in memory. Thread-safe: scans and appends may run concurrently.
class MemoryTable : public TableProvider {
 public:
  using Partitions = std::vector<std::vector<std::shared_ptr<arrow::RecordBatch>>>;

  /// Create a table; every batch must have `schema`'s column types (names may
  /// differ; batches are relabelled with the table's schema).
  static Result<std::shared_ptr<MemoryTable>> Make(std::shared_ptr<arrow::Schema> schema,
                                                   Partitions partitions = {});

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "memory"; }
  /// Return the exact row count and buffer size, and per column the null count
  /// and, for fixed-width columns (numbers, decimals, temporals), min and max.
  /// Column statistics are computed on first request for each snapshot (one
  /// min_max pass) and cached until the next Append.
  TableStatistics statistics() const override;
  /// Plan a scan over a snapshot of the batches: one morsel per slice of at most
  /// kMorselRows rows of a batch, producing batches of request.batch_size rows.
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const override;
  /// Append the batches as a new partition; types must match the table's.
  Status Append(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) override;
  /// Return a snapshot of the partitions.
  std::shared_ptr<const Partitions> partitions() const;

  /// Rows per morsel (a morsel may hold fewer).
  static constexpr int64_t kMorselRows = 128 * 1024;

 private:
  explicit MemoryTable(std::shared_ptr<arrow::Schema> schema) : schema_(std::move(schema)) {}
  Result<std::shared_ptr<arrow::RecordBatch>> Conform(
      const std::shared_ptr<arrow::RecordBatch>& batch) const;

  std::shared_ptr<arrow::Schema> schema_;
  mutable std::mutex mu_;
  std::shared_ptr<const Partitions> partitions_;  // guarded by mu_
  /// statistics() of the snapshot `stats_of_` (guarded by mu_).
  mutable std::shared_ptr<const Partitions> stats_of_;
  mutable TableStatistics stats_;
};

}  // namespace shoal
