// Public entry point of the executor: run an optimized logical plan.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::exec {

class PhysicalOperator;

/// How to run a query.
struct ExecutionOptions {
  /// Worker threads per pipeline (>= 1; see Settings::threads()).
  int threads = 1;
  /// Target rows per batch (also the scan batch size).
  int64_t batch_size = 8192;
  /// Polled between chunks; when it becomes true the query stops with
  /// Status::Cancelled("query cancelled"). May be null.
  const std::atomic<bool>* cancel = nullptr;
  /// Derive filters from finished hash join build sides and apply them to the
  /// probe side's scans (setting shoal.execution.runtime_filters).
  bool runtime_filters = true;
};

/// One query: its physical plan, ready to run.
class QueryExecution {
 public:
  /// Build the physical plan for `optimized_plan`. Errors: operators or
  /// expressions the executor cannot run, unknown functions.
  static Result<std::unique_ptr<QueryExecution>> Make(plan::LogicalOpPtr optimized_plan,
                                                      ExecutionOptions options);
  ~QueryExecution();

  /// Result schema; field names are the root's output column names (duplicates allowed).
  std::shared_ptr<arrow::Schema> schema() const { return schema_; }

  /// True when results come in a defined order (ORDER BY / LIMIT at the root).
  bool ordered() const { return ordered_; }

  /// Run to completion, calling `on_batch` for every result batch: possibly from
  /// several threads at once unless the plan's output is ordered, in which case
  /// calls are sequential and in order. An error from `on_batch` (e.g. the
  /// consumer closed) stops the query and is returned. Errors from any worker
  /// stop all workers and are returned. May be called again to re-run.
  Status Run(std::function<Status(std::shared_ptr<arrow::RecordBatch>)> on_batch);

  /// Return the physical plan, one operator per line.
  std::string ExplainPhysical() const;
  /// After Run: the physical plan annotated with per-operator metrics (rows in and
  /// out, time, scan pruning counters) for EXPLAIN ANALYZE.
  std::string ExplainAnalyze() const;

 private:
  QueryExecution() = default;
  plan::LogicalOpPtr plan_;
  ExecutionOptions options_;
  std::shared_ptr<const PhysicalOperator> root_;
  std::shared_ptr<arrow::Schema> schema_;
  bool ordered_ = false;
};

}  // namespace shoal::exec
