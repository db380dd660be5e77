// Simple operators: table scan, values, empty, filter, projection, limit, union
// all and the working-table scan of recursive CTEs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shoal/catalog/table_provider.h"
#include "shoal/execution/expression_evaluator.h"
#include "shoal/execution/physical_operator.h"
#include "shoal/execution/runtime_filter.h"

namespace shoal::exec {

/// Scan of a TableProvider: claims morsels from TableScan::morsels().
class TableScanOp : public PhysicalOperator {
 public:
  TableScanOp(std::string table_name, std::shared_ptr<TableProvider> table, ScanRequest request,
              TypeVector types, std::string filter_text)
      : PhysicalOperator("TableScan", std::move(types)),
        table_name_(std::move(table_name)),
        table_(std::move(table)),
        request_(std::move(request)),
        filter_text_(std::move(filter_text)) {}
  Kind kind() const override { return Kind::kSource; }
  std::string Details() const override;
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<std::unique_ptr<LocalSourceState>> MakeLocalSourceState(
      ThreadContext& ctx, GlobalSourceState& global) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

  /// Apply the runtime filter of a join above (planning time only; see
  /// AttachRuntimeFilters): prune by its key range, drop rows it rejects.
  void AddRuntimeFilter(RuntimeFilterTarget target) {
    runtime_filters_.push_back(std::move(target));
  }
  const std::vector<RuntimeFilterTarget>& runtime_filters() const { return runtime_filters_; }

 private:
  /// Drop the rows of `chunk` the runtime filters reject (false: none is left).
  Result<bool> ApplyRuntimeFilters(ThreadContext& ctx, GlobalSourceState& global,
                                   LocalSourceState& local, Chunk* chunk) const;

  std::string table_name_;
  std::shared_ptr<TableProvider> table_;
  ScanRequest request_;
  std::string filter_text_;
  std::vector<RuntimeFilterTarget> runtime_filters_;
};

/// Constant rows, already materialized.
class ValuesOp : public PhysicalOperator {
 public:
  ValuesOp(TypeVector types, std::vector<Chunk> chunks)
      : PhysicalOperator("Values", std::move(types)),
        chunks_(std::make_shared<std::vector<Chunk>>(std::move(chunks))) {}
  Kind kind() const override { return Kind::kSource; }
  std::string Details() const override;
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

 private:
  std::shared_ptr<const std::vector<Chunk>> chunks_;
};

/// No rows.
class EmptyOp : public PhysicalOperator {
 public:
  explicit EmptyOp(TypeVector types) : PhysicalOperator("Empty", std::move(types)) {}
  Kind kind() const override { return Kind::kSource; }
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(QueryContext&) const override {
    return std::make_unique<GlobalSourceState>();
  }
  Result<bool> GetData(ThreadContext&, GlobalSourceState&, LocalSourceState&,
                       Chunk*) const override {
    return false;
  }
};

/// Keeps rows where every condition is true. Conditions run in order, each on
/// the rows the earlier ones kept; only the columns still read (by later
/// conditions or above, `needed_after[i]` after condition i) are copied.
class FilterOp : public PhysicalOperator {
 public:
  FilterOp(TypeVector types, ExprList conditions,
           std::vector<std::vector<bool>> needed_after = {})
      : PhysicalOperator("Filter", std::move(types)),
        conditions_(std::move(conditions)),
        needed_after_(std::move(needed_after)) {}
  Kind kind() const override { return Kind::kStreaming; }
  std::string Details() const override;
  Result<std::unique_ptr<OperatorState>> MakeOperatorState(ThreadContext& ctx) const override;
  Status Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                 const Emit& emit) const override;

 private:
  /// Columns read after condition i (empty: all).
  const std::vector<bool>& NeededAfter(size_t i) const;

  ExprList conditions_;
  std::vector<std::vector<bool>> needed_after_;
  std::vector<bool> all_;
};

/// Computes one column per expression.
class ProjectionOp : public PhysicalOperator {
 public:
  ProjectionOp(TypeVector types, ExprList exprs)
      : PhysicalOperator("Projection", std::move(types)), exprs_(std::move(exprs)) {}
  Kind kind() const override { return Kind::kStreaming; }
  std::string Details() const override;
  Result<std::unique_ptr<OperatorState>> MakeOperatorState(ThreadContext& ctx) const override;
  Status Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                 const Emit& emit) const override;
  const ExprList& exprs() const { return exprs_; }

 private:
  ExprList exprs_;
};

/// LIMIT / OFFSET: collects input (stopping the pipeline once enough rows are in),
/// restores source order and emits the selected rows.
class LimitOp : public PhysicalOperator {
 public:
  LimitOp(TypeVector types, std::optional<int64_t> limit, int64_t offset)
      : PhysicalOperator("Limit", std::move(types)), limit_(limit), offset_(offset) {}
  Kind kind() const override { return Kind::kBreaker; }
  std::string Details() const override;
  bool ordered_source() const override { return true; }
  Result<std::unique_ptr<GlobalSinkState>> MakeGlobalSinkState(
      QueryContext& query) const override;
  Result<std::unique_ptr<LocalSinkState>> MakeLocalSinkState(
      ThreadContext& ctx, GlobalSinkState& global) const override;
  Status Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState& global,
              LocalSinkState& local) const override;
  Status Combine(ThreadContext& ctx, GlobalSinkState& global,
                 LocalSinkState& local) const override;
  Status Finalize(QueryContext& query, GlobalSinkState& global) const override;
  bool SinkSatisfied(GlobalSinkState& global) const override;
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

 private:
  std::optional<int64_t> limit_;
  int64_t offset_;
};

/// UNION ALL: every child feeds the parent pipeline.
class UnionAllOp : public PhysicalOperator {
 public:
  explicit UnionAllOp(TypeVector types) : PhysicalOperator("UnionAll", std::move(types)) {}
  Kind kind() const override { return Kind::kUnion; }
};

/// Reads the current working table of a recursive CTE.
class CteScanOp : public PhysicalOperator {
 public:
  CteScanOp(TypeVector types, int cte_index, std::string name)
      : PhysicalOperator("CteScan", std::move(types)),
        cte_index_(cte_index),
        cte_name_(std::move(name)) {}
  Kind kind() const override { return Kind::kSource; }
  std::string Details() const override { return cte_name_; }
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

 private:
  int cte_index_;
  std::string cte_name_;
};

/// Collected chunks shared between a breaker's sink and source roles.
struct CollectedChunks {
  std::mutex mu;
  std::vector<Chunk> chunks;
  void Append(std::vector<Chunk>* more) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& c : *more) chunks.push_back(std::move(c));
    more->clear();
  }
};

}  // namespace shoal::exec
