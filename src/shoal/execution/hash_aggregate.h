// Hash aggregation: thread-local pre-aggregation with Arrow's Grouper and hash
// aggregate kernels, merged into one table at Combine (large tables: in parallel by
// hash partitions when the result is read); grouping sets; FILTER;
// aggregates Arrow lacks (string_agg, exact median, DISTINCT sums) computed by Shoal.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/kernel.h>

#include "shoal/execution/expression_evaluator.h"
#include "shoal/execution/physical_operator.h"
#include "shoal/function/function_catalog.h"

namespace shoal::exec {

/// One aggregate to compute. Argument, filter and order columns index into the
/// operator's evaluated input list.
struct AggregateSpec {
  /// How to compute it (from FunctionCatalog::BindAggregate).
  BoundAggregate bound;
  std::vector<int> args;  ///< the arguments passed to bound.hash_function
  int filter = -1;
  std::vector<int> order;  ///< ORDER BY inside the aggregate (string_agg, array_agg)
  std::vector<bool> order_ascending;
  std::vector<bool> order_nulls_first;
  std::string display;
  /// True when rows are collected and aggregated at Finalize (DISTINCT input or
  /// ORDER BY); otherwise the hash kernel consumes chunks as they come.
  bool collect = false;
  /// Resolved at Make for the streaming path.
  const arrow::compute::HashAggregateKernel* kernel = nullptr;
  std::vector<arrow::TypeHolder> kernel_types;  ///< argument types + uint32
  const arrow::compute::FunctionOptions* kernel_options = nullptr;
};

/// GROUP BY with grouping sets. Output: groups, aggregates, then (with grouping
/// sets) the uint64 grouping id.
class HashAggregateOp : public PhysicalOperator {
 public:
  /// `inputs` evaluates group keys (first `num_groups` entries) and all aggregate
  /// arguments on the child's chunks. `sets` lists group indexes per grouping set.
  static Result<std::shared_ptr<HashAggregateOp>> Make(
      TypeVector output_types, ExprList inputs, int num_groups,
      std::vector<std::vector<int>> sets, bool emit_grouping_id,
      std::vector<AggregateSpec> aggregates, arrow::compute::FunctionRegistry* registry);

  Kind kind() const override { return Kind::kBreaker; }
  std::string Details() const override;

  Result<std::unique_ptr<GlobalSinkState>> MakeGlobalSinkState(
      QueryContext& query) const override;
  Result<std::unique_ptr<LocalSinkState>> MakeLocalSinkState(
      ThreadContext& ctx, GlobalSinkState& global) const override;
  Status Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState& global,
              LocalSinkState& local) const override;
  Status Combine(ThreadContext& ctx, GlobalSinkState& global,
                 LocalSinkState& local) const override;
  Status Finalize(QueryContext& query, GlobalSinkState& global) const override;
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<std::unique_ptr<LocalSourceState>> MakeLocalSourceState(
      ThreadContext& ctx, GlobalSourceState& global) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

  HashAggregateOp(TypeVector output_types, ExprList inputs, int num_groups,
                  std::vector<std::vector<int>> sets, bool emit_grouping_id,
                  std::vector<AggregateSpec> aggregates)
      : PhysicalOperator("HashAggregate", std::move(output_types)),
        inputs_(std::move(inputs)),
        num_groups_(num_groups),
        sets_(std::move(sets)),
        emit_grouping_id_(emit_grouping_id),
        aggregates_(std::move(aggregates)) {}

  struct SetState;
  struct Local;

 private:
  Result<std::unique_ptr<SetState>> MakeSetState(size_t set,
                                                 arrow::compute::ExecContext* ctx) const;
  Status MergeSet(size_t set, SetState* into, SetState* from,
                  arrow::compute::ExecContext* ctx) const;
  Status FinalizeSet(size_t set, SetState* state, arrow::compute::ExecContext* ctx,
                     int64_t batch_size, std::vector<Chunk>* out) const;
  /// Merge partition `part` of `num_parts` of the kept thread-local tables and
  /// finalize it into `out`.
  Status MergePartition(int part, int num_parts, GlobalSinkState* global,
                        arrow::compute::ExecContext* ctx, int64_t batch_size,
                        std::vector<Chunk>* out) const;

  ExprList inputs_;
  int num_groups_;
  std::vector<std::vector<int>> sets_;
  bool emit_grouping_id_;
  std::vector<AggregateSpec> aggregates_;
};

/// Thread-local aggregate tables of at least `n` groups (default 16384) whose
/// aggregates can merge single groups are merged in parallel, by hash partitions,
/// when the result is read; smaller ones are merged at Combine. Process-wide; for
/// tests. Returns the previous value.
uint32_t SetAggregatePartitionMinGroups(uint32_t n);

/// Compute a collected aggregate: sort rows by the ORDER BY columns, keep distinct
/// (group, argument) pairs when bound.distinct_input, run bound.hash_function and
/// FinalizeAggregate. `ids` are group ids (uint32, < num_groups); `args` holds the
/// argument columns then the ORDER BY columns.
Result<std::shared_ptr<arrow::Array>> ComputeCollectedAggregate(
    const AggregateSpec& spec, const std::shared_ptr<arrow::Array>& ids,
    const std::vector<std::shared_ptr<arrow::Array>>& args, uint32_t num_groups,
    arrow::compute::ExecContext* ctx);

/// Run a hash aggregate kernel once over (args, ids) and return its result.
Result<std::shared_ptr<arrow::Array>> RunHashKernel(
    const std::string& function, const arrow::compute::FunctionOptions* options,
    const std::vector<std::shared_ptr<arrow::Array>>& args,
    const std::shared_ptr<arrow::Array>& ids, uint32_t num_groups,
    arrow::compute::ExecContext* ctx);

}  // namespace shoal::exec
