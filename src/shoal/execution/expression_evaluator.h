// Evaluation of bound expressions (plan::Expr) on chunks with Arrow compute.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <arrow/compute/exec.h>
#include <arrow/compute/expression.h>
#include <arrow/compute/function.h>
#include <arrow/datum.h>

#include "shoal/common/status.h"
#include "shoal/execution/chunk.h"
#include "shoal/planner/expression.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::exec {

/// Maps the column ids an expression references to positions in the input chunk.
using ColumnLayout = std::unordered_map<plan::ColumnId, int>;

/// Return the layout of an operator's output (id of output[i] -> i).
ColumnLayout MakeLayout(const std::vector<plan::OutputColumn>& columns);
/// Return the layout of two operators' outputs side by side (join pairs).
ColumnLayout MakeLayout(const std::vector<plan::OutputColumn>& left,
                        const std::vector<plan::OutputColumn>& right);

/// A compiled expression. Immutable and shareable between threads; per-thread
/// scratch (resolved function executors) lives in an ExprEvaluator::State.
class ExprEvaluator {
 public:
  /// Compile `expr` for chunks with `layout`. Functions are looked up once here in
  /// `registry`; constant sub-expressions are folded. Errors: unknown column id,
  /// unknown function, subqueries/aggregates/windows left in the expression.
  static Result<std::shared_ptr<const ExprEvaluator>> Make(
      const plan::ExprPtr& expr, const ColumnLayout& layout,
      arrow::compute::FunctionRegistry* registry);
  /// Compile several expressions into one program: structurally equal
  /// sub-expressions are computed once per chunk (common subexpressions).
  static Result<std::shared_ptr<const ExprEvaluator>> MakeMulti(
      const std::vector<plan::ExprPtr>& exprs, const ColumnLayout& layout,
      arrow::compute::FunctionRegistry* registry);

  /// Per-thread evaluation state.
  struct State;
  /// Make a fresh per-thread state.
  std::unique_ptr<State> MakeState() const;

  /// Evaluate root `i` of a MakeMulti program on `chunk`, reusing results computed
  /// for the same chunk since the last State::NewChunk().
  Result<arrow::Datum> EvaluateRoot(size_t i, const Chunk& chunk, State* state,
                                    arrow::compute::ExecContext* ctx) const;
  size_t num_roots() const { return roots_.size(); }

  /// Evaluate on `chunk`; the result is an array of chunk.length rows or a scalar.
  Result<arrow::Datum> Evaluate(const Chunk& chunk, State* state,
                                arrow::compute::ExecContext* ctx) const;
  /// Evaluate and broadcast scalars to an array of chunk.length rows.
  Result<std::shared_ptr<arrow::Array>> EvaluateToArray(const Chunk& chunk, State* state,
                                                        arrow::compute::ExecContext* ctx) const;

  /// Result type.
  const std::shared_ptr<arrow::DataType>& type() const;
  /// If the whole expression is a column reference, its position, else -1.
  int column_index() const;
  /// If the whole expression folded to a constant, that value, else null.
  std::shared_ptr<arrow::Scalar> constant() const;
  std::string ToString() const { return text_; }

  /// A condition `column <op> literal` (op: equal, not_equal, less, less_equal,
  /// greater, greater_equal), normalized so that the column is on the left.
  struct ColumnComparison {
    std::string op;
    int column = -1;
    std::shared_ptr<arrow::Scalar> literal;
  };
  /// If the whole expression compares a column with a literal, describe it.
  std::optional<ColumnComparison> AsColumnComparison() const;
  /// Positions of the input columns the expression reads (sorted, unique).
  std::vector<int> InputColumns() const;
  /// True when the value for a row depends only on that row's inputs: every call
  /// is a pure, non-volatile scalar function (the expression may then be
  /// evaluated once per distinct input value, e.g. on a dictionary).
  bool elementwise() const;

  struct Node;
  ~ExprEvaluator();
  ExprEvaluator();

 private:
  Result<arrow::Datum> Eval(int node, const Chunk& chunk, State* state,
                            arrow::compute::ExecContext* ctx) const;
  Result<arrow::Datum> EvalCall(int node, const Chunk& chunk, State* state,
                                arrow::compute::ExecContext* ctx) const;
  Result<arrow::Datum> EvalCast(int node, const Chunk& chunk, State* state,
                                arrow::compute::ExecContext* ctx) const;
  Result<arrow::Datum> EvalCase(int node, const Chunk& chunk, State* state,
                                arrow::compute::ExecContext* ctx) const;
  Result<arrow::Datum> EvalCaseSelective(int node, const Chunk& chunk, State* state,
                                         arrow::compute::ExecContext* ctx) const;
  Result<arrow::Datum> EvalCaseSelectiveImpl(int node, const Chunk& chunk, State* state,
                                             arrow::compute::ExecContext* ctx) const;
  Result<int> Compile(const plan::ExprPtr& expr, const ColumnLayout& layout,
                      arrow::compute::FunctionRegistry* registry);

  std::vector<Node> nodes_;
  int root_ = -1;
  std::vector<int> roots_;
  std::unordered_map<std::string, int> memo_;  ///< structural key -> node (compile only)
  std::string text_;
  bool elementwise_ = true;
};

/// Several expressions evaluated together (projection lists, keys) with their
/// per-thread states.
class ExprList {
 public:
  /// Compile every expression of `exprs` against `layout`.
  static Result<ExprList> Make(const std::vector<plan::ExprPtr>& exprs,
                               const ColumnLayout& layout,
                               arrow::compute::FunctionRegistry* registry);
  size_t size() const { return evaluators_.size(); }
  const std::shared_ptr<const ExprEvaluator>& operator[](size_t i) const {
    return evaluators_[i];
  }
  /// Result types, in order.
  std::vector<std::shared_ptr<arrow::DataType>> types() const;

 private:
  friend class ExprListState;
  std::vector<std::shared_ptr<const ExprEvaluator>> evaluators_;
  std::shared_ptr<const ExprEvaluator> program_;  ///< all expressions, shared CSE
};

/// Per-thread states for an ExprList.
class ExprListState {
 public:
  explicit ExprListState(const ExprList* list);
  ~ExprListState();
  /// Evaluate expression i to an array of chunk.length rows.
  Result<std::shared_ptr<arrow::Array>> EvaluateArray(size_t i, const Chunk& chunk,
                                                      arrow::compute::ExecContext* ctx);
  /// Evaluate every expression into a new chunk (same order field as `chunk`);
  /// common subexpressions are computed once.
  Result<Chunk> EvaluateAll(const Chunk& chunk, arrow::compute::ExecContext* ctx);

 private:
  Result<std::shared_ptr<arrow::Array>> ArrayOf(size_t i, const Chunk& chunk,
                                                arrow::compute::ExecContext* ctx);
  const ExprList* list_;
  std::unique_ptr<ExprEvaluator::State> state_;
};

/// Cast `value` to `type` (safe cast; TRY_CAST semantics when `try_cast`: values
/// that fail to convert become null).
Result<arrow::Datum> CastDatum(const arrow::Datum& value,
                               const std::shared_ptr<arrow::DataType>& type, bool try_cast,
                               arrow::compute::ExecContext* ctx);

/// Convert a predicate to an arrow::compute::Expression over table column names
/// for scan pruning: comparisons of columns with literals, and/or/not, is_null,
/// is_in. `names` maps column ids to table column names. Returns nullopt when the
/// predicate cannot be converted.
std::optional<arrow::compute::Expression> ToArrowPredicate(
    const plan::ExprPtr& expr, const std::unordered_map<plan::ColumnId, std::string>& names);

/// Per-thread scratch of an ExprEvaluator: resolved function executors per node.
struct ExprEvaluator::State {
  std::vector<std::shared_ptr<arrow::compute::FunctionExecutor>> executors;
  std::vector<std::vector<arrow::TypeHolder>> executor_types;
  std::vector<bool> executor_failed;
  /// Per CASE node: true once full evaluation failed (use the selective path).
  std::vector<bool> case_selective;
  /// Results of computed nodes for the current chunk (valid when the node's
  /// epoch equals `epoch`).
  std::vector<arrow::Datum> cache;
  std::vector<uint64_t> cache_epoch;
  uint64_t epoch = 1;
  bool caching = true;
  /// Start a new chunk: forget cached results.
  void NewChunk() { ++epoch; }
};


}  // namespace shoal::exec
