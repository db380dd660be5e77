// Bound expressions: typed, resolved expression trees used by logical plans,
// the optimizer and the executor.
//
// Columns are referenced by ColumnId, a number unique within one query that the
// binder gives to every column a logical operator produces (see logical_plan.h).
// The physical planner maps ids to positions. Expression trees are immutable and
// shared (ExprPtr = shared_ptr<const Expr>); rewrites build new nodes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include <arrow/compute/function_options.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

namespace shoal::plan {

/// Identifier of a column produced somewhere in a logical plan (unique per query).
using ColumnId = uint32_t;

class LogicalOp;
using LogicalOpPtr = std::shared_ptr<LogicalOp>;

enum class ExprKind {
  kColumnRef,  ///< a column produced by a child operator
  kLiteral,    ///< a constant (typed arrow::Scalar, possibly null)
  kCall,       ///< a scalar function call (operators included), evaluated by Arrow compute
  kCast,       ///< CAST / TRY_CAST to `type`
  kCase,       ///< searched CASE WHEN c THEN v ... ELSE e END
  kAggregate,  ///< an aggregate call; only inside LogicalAggregate::aggregates
  kWindow,     ///< a window function call; only inside LogicalWindow::window_exprs
  kSubquery,   ///< a subquery; removed by decorrelation before execution
};

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

/// Base of all bound expressions.
struct Expr {
  Expr(ExprKind k, std::shared_ptr<arrow::DataType> t) : kind(k), type(std::move(t)) {}
  virtual ~Expr() = default;
  ExprKind kind;
  /// Result type.
  std::shared_ptr<arrow::DataType> type;
  /// False when the expression can never be null (used by simplification).
  bool nullable = true;

  /// Return a readable rendering, e.g. "l_quantity@3 < 24" (ids are shown as @id).
  virtual std::string ToString() const = 0;
  /// Return the list of direct children (arguments) for generic traversal.
  virtual std::vector<ExprPtr> children() const { return {}; }
  /// Return a copy of this node with `children` replacing children() (same order).
  virtual ExprPtr WithChildren(std::vector<ExprPtr> children) const = 0;
};

struct ColumnRefExpr : Expr {
  ColumnRefExpr(ColumnId id, std::string name, std::shared_ptr<arrow::DataType> t)
      : Expr(ExprKind::kColumnRef, std::move(t)), id(id), name(std::move(name)) {}
  ColumnId id;
  std::string name;  ///< for display only
  std::string ToString() const override;
  ExprPtr WithChildren(std::vector<ExprPtr>) const override;
};

struct LiteralExpr : Expr {
  explicit LiteralExpr(std::shared_ptr<arrow::Scalar> v)
      : Expr(ExprKind::kLiteral, v->type), value(std::move(v)) {
    nullable = !value->is_valid;
  }
  std::shared_ptr<arrow::Scalar> value;
  std::string ToString() const override;
  ExprPtr WithChildren(std::vector<ExprPtr>) const override;
};

/// A scalar function call. `function` names a function in the Shoal function
/// registry (an arrow::compute::FunctionRegistry holding Arrow's functions plus
/// Shoal's own), called with `args` and `options`. Argument types already match a
/// kernel exactly (the binder inserted casts), so the executor calls it directly.
struct CallExpr : Expr {
  CallExpr(std::string function, std::vector<ExprPtr> args,
           std::shared_ptr<arrow::DataType> t,
           std::shared_ptr<arrow::compute::FunctionOptions> options = nullptr,
           std::string display_name = "")
      : Expr(ExprKind::kCall, std::move(t)),
        function(std::move(function)),
        args(std::move(args)),
        options(std::move(options)),
        display_name(std::move(display_name)) {}
  std::string function;
  std::vector<ExprPtr> args;
  std::shared_ptr<arrow::compute::FunctionOptions> options;
  /// The SQL spelling for display ("+", "AND", "substr"); empty: use `function`.
  std::string display_name;
  /// True for functions whose result may differ between calls (random, now).
  bool volatile_ = false;
  std::string ToString() const override;
  std::vector<ExprPtr> children() const override { return args; }
  ExprPtr WithChildren(std::vector<ExprPtr> c) const override;
};

struct CastExpr : Expr {
  CastExpr(ExprPtr arg, std::shared_ptr<arrow::DataType> to, bool try_cast)
      : Expr(ExprKind::kCast, std::move(to)), arg(std::move(arg)), try_cast(try_cast) {}
  ExprPtr arg;
  bool try_cast;  ///< TRY_CAST: failures give NULL instead of an error
  std::string ToString() const override;
  std::vector<ExprPtr> children() const override { return {arg}; }
  ExprPtr WithChildren(std::vector<ExprPtr> c) const override;
};

/// Searched CASE (the binder rewrites CASE x WHEN v into x = v conditions).
struct CaseExpr : Expr {
  CaseExpr(std::vector<std::pair<ExprPtr, ExprPtr>> when_then, ExprPtr else_expr,
           std::shared_ptr<arrow::DataType> t)
      : Expr(ExprKind::kCase, std::move(t)),
        when_then(std::move(when_then)),
        else_expr(std::move(else_expr)) {}
  std::vector<std::pair<ExprPtr, ExprPtr>> when_then;
  ExprPtr else_expr;  ///< never null: the binder puts a typed NULL literal there
  std::string ToString() const override;
  std::vector<ExprPtr> children() const override;  ///< w1, t1, w2, t2, ..., else
  ExprPtr WithChildren(std::vector<ExprPtr> c) const override;
};

/// A sort key (ORDER BY item, window order, ordered aggregate).
struct SortKey {
  ExprPtr expr;
  bool ascending = true;
  bool nulls_first = false;  ///< resolved by the binder (default: NULLS LAST for ASC, FIRST for DESC)
  std::string ToString() const;
};

/// An aggregate call, e.g. sum(DISTINCT x) FILTER (WHERE y > 0).
/// `function` is the SQL name in lower case ("sum", "count", "string_agg", ...)
/// as known to the function catalog (function/function_catalog.h), which also
/// tells the executor how to compute it.
struct AggregateExpr : Expr {
  AggregateExpr(std::string function, std::vector<ExprPtr> args,
                std::shared_ptr<arrow::DataType> t)
      : Expr(ExprKind::kAggregate, std::move(t)),
        function(std::move(function)),
        args(std::move(args)) {}
  std::string function;
  std::vector<ExprPtr> args;   ///< empty for count(*)
  bool distinct = false;
  ExprPtr filter;              ///< FILTER (WHERE ...) or null
  std::vector<SortKey> order_by;  ///< for order-sensitive aggregates (string_agg, array_agg)
  std::shared_ptr<arrow::compute::FunctionOptions> options;  ///< from the catalog binding
  std::string ToString() const override;
  std::vector<ExprPtr> children() const override;  ///< args, then filter if any, then order exprs
  ExprPtr WithChildren(std::vector<ExprPtr> c) const override;
};

enum class FrameUnit { kRows, kRange, kGroups };
enum class FrameBoundKind { kUnboundedPreceding, kPreceding, kCurrentRow, kFollowing,
                            kUnboundedFollowing };
struct FrameBound {
  FrameBoundKind kind = FrameBoundKind::kCurrentRow;
  ExprPtr offset;  ///< constant, for kPreceding/kFollowing
};
struct WindowFrame {
  FrameUnit unit = FrameUnit::kRange;
  FrameBound start{FrameBoundKind::kUnboundedPreceding, nullptr};
  FrameBound end{FrameBoundKind::kCurrentRow, nullptr};
};

/// A window function call: ranking (row_number, rank, dense_rank, percent_rank,
/// cume_dist, ntile), value (lag, lead, first_value, last_value, nth_value) or an
/// aggregate over a frame.
struct WindowExpr : Expr {
  WindowExpr(std::string function, std::vector<ExprPtr> args,
             std::shared_ptr<arrow::DataType> t)
      : Expr(ExprKind::kWindow, std::move(t)),
        function(std::move(function)),
        args(std::move(args)) {}
  std::string function;        ///< lower-case SQL name
  std::vector<ExprPtr> args;
  bool distinct = false;
  bool ignore_nulls = false;
  ExprPtr filter;
  std::vector<ExprPtr> partition_by;
  std::vector<SortKey> order_by;
  WindowFrame frame;           ///< resolved default when not written
  bool has_frame = false;      ///< frame written explicitly
  std::string ToString() const override;
  std::vector<ExprPtr> children() const override;  ///< args, filter?, partition_by, order exprs
  ExprPtr WithChildren(std::vector<ExprPtr> c) const override;
};

enum class SubqueryKind {
  kScalar,      ///< (SELECT x ...): one column, at most one row, else an error
  kExists,      ///< EXISTS (SELECT ...)
  kIn,          ///< operand IN (SELECT x ...)
  kQuantified,  ///< operand op ANY/ALL (SELECT x ...)
};

/// A subquery inside an expression. `plan` may reference columns of the outer
/// query (correlated); those ids are listed in `correlated_columns`. The optimizer's
/// decorrelation rule replaces every SubqueryExpr with joins before execution.
struct SubqueryExpr : Expr {
  SubqueryExpr(SubqueryKind k, LogicalOpPtr plan, std::shared_ptr<arrow::DataType> t)
      : Expr(ExprKind::kSubquery, std::move(t)), subquery_kind(k), plan(std::move(plan)) {}
  SubqueryKind subquery_kind;
  LogicalOpPtr plan;
  ExprPtr operand;                    ///< for kIn / kQuantified
  std::string comparison = "equal";   ///< kQuantified: Arrow comparison function name
  bool all = false;                   ///< kQuantified: ALL (else ANY)
  bool negated = false;               ///< NOT EXISTS / NOT IN
  std::vector<ColumnId> correlated_columns;  ///< outer columns referenced inside `plan`
  std::string ToString() const override;
  std::vector<ExprPtr> children() const override;  ///< operand if any
  ExprPtr WithChildren(std::vector<ExprPtr> c) const override;
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Make a column reference.
ExprPtr MakeColumnRef(ColumnId id, std::string name, std::shared_ptr<arrow::DataType> type,
                      bool nullable = true);
/// Make a literal.
ExprPtr MakeLiteral(std::shared_ptr<arrow::Scalar> value);
/// Make a boolean literal.
ExprPtr MakeBoolLiteral(bool value);
/// Make a typed null literal.
ExprPtr MakeNullLiteral(std::shared_ptr<arrow::DataType> type);
/// Make `a AND b` (Kleene logic, function "and_kleene"); null inputs are dropped.
ExprPtr MakeAnd(ExprPtr a, ExprPtr b);
/// Make the conjunction of `terms` (true literal when empty).
ExprPtr MakeConjunction(const std::vector<ExprPtr>& terms);
/// Make a comparison call: op is an Arrow function name ("equal", "less", ...).
ExprPtr MakeComparison(const std::string& op, ExprPtr a, ExprPtr b);
/// Split a conjunction (and_kleene / and) into its terms.
void SplitConjunction(const ExprPtr& expr, std::vector<ExprPtr>* out);
/// Collect every column id referenced in `expr` (not descending into subquery plans).
void CollectColumnIds(const ExprPtr& expr, std::vector<ColumnId>* out);
/// Return true when `expr` references only ids in `available` (sorted or not).
bool ReferencesOnly(const ExprPtr& expr, const std::vector<ColumnId>& available);
/// Return true when expr contains a node of `kind`.
bool ContainsKind(const ExprPtr& expr, ExprKind kind);
/// Return true when the expression has no column references, subqueries,
/// aggregates, windows or volatile calls (it can be folded to a constant).
bool IsConstant(const ExprPtr& expr);
/// Return `expr` with every column id replaced through `map` (ids not in the map stay).
ExprPtr RemapColumns(const ExprPtr& expr, const std::unordered_map<ColumnId, ExprPtr>& map);
/// Structural equality (same kinds, functions, literals, column ids, types).
bool ExprEquals(const ExprPtr& a, const ExprPtr& b);

}  // namespace shoal::plan
