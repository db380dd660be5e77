// Window functions: ranking, value and framed aggregate functions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shoal/execution/expression_evaluator.h"
#include "shoal/execution/physical_operator.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::exec {

/// Computes LogicalWindow::window_exprs: collects the input, sorts it once per
/// distinct (PARTITION BY, ORDER BY) and appends one column per window expression.
/// Output = input columns + window columns (rows in no particular order).
class WindowOp : public PhysicalOperator {
 public:
  /// One window expression, compiled.
  struct Function {
    std::string name;
    std::shared_ptr<arrow::DataType> type;
    std::vector<int> args;       ///< indexes into the evaluated input list
    std::vector<int> partition;  ///< "
    std::vector<int> order;      ///< "
    std::vector<bool> ascending, nulls_first;
    plan::WindowFrame frame;
    bool has_frame = false;
    bool ignore_nulls = false;
    int64_t start_offset = 0, end_offset = 0;  ///< frame offsets (ROWS)
    double start_range = 0, end_range = 0;     ///< frame offsets (RANGE)
    std::string spec_key;  ///< functions with equal keys share one sort
    std::string display;
  };

  static Result<std::shared_ptr<WindowOp>> Make(const plan::LogicalWindow& window,
                                                arrow::compute::FunctionRegistry* registry);
  WindowOp(TypeVector types, ExprList inputs, std::vector<Function> functions, size_t payload)
      : PhysicalOperator("Window", std::move(types)),
        inputs_(std::move(inputs)),
        functions_(std::move(functions)),
        payload_(payload) {}

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
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

 private:
  ExprList inputs_;
  std::vector<Function> functions_;
  size_t payload_;  ///< number of input columns passed through
};

/// Compute one window function over rows already sorted by (partition, order).
/// `cols` are the evaluated input columns in sorted order; returns the result in
/// sorted order. `num_rows` is the number of rows (`cols` may be empty, e.g. for
/// `row_number() OVER ()` when no input column is needed).
Result<std::shared_ptr<arrow::Array>> ComputeWindowFunction(
    const WindowOp::Function& fn, const std::vector<std::shared_ptr<arrow::Array>>& cols,
    int64_t num_rows, arrow::compute::ExecContext* ctx);

}  // namespace shoal::exec
