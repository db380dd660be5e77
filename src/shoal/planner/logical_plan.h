// Logical plans: trees of relational operators produced by the binder, rewritten
// by the optimizer and turned into physical pipelines by the executor.
//
// Every operator lists its output columns; each has a ColumnId unique in the
// query. Expressions of an operator reference the ids of its children's outputs
// (correlated subquery plans may also reference outer ids). Operators with no
// computation of their own keep their child's ids (Filter, Sort, Limit, TopN);
// operators that compute columns (Projection, Aggregate, Window, Values, Get,
// SetOperation) give their new columns fresh ids.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shoal/catalog/table_provider.h"
#include "shoal/planner/expression.h"

namespace shoal::plan {

/// A column an operator produces.
struct OutputColumn {
  ColumnId id = 0;
  std::string name;       ///< column name as the user sees it
  std::shared_ptr<arrow::DataType> type;
  bool nullable = true;
  std::string qualifier;  ///< table alias it came from, for display ("" if none)
};

enum class LogicalOpKind {
  kGet,           ///< scan of a table provider
  kFilter,
  kProjection,
  kAggregate,     ///< GROUP BY (incl. grouping sets) and DISTINCT
  kJoin,
  kSort,
  kLimit,
  kTopN,          ///< Sort + Limit fused by the optimizer
  kSetOperation,  ///< UNION [ALL] / INTERSECT [ALL] / EXCEPT [ALL]
  kValues,        ///< constant rows (also SELECT without FROM: one row, no columns)
  kWindow,
  kEmpty,         ///< no rows (e.g. WHERE false)
  kCteRef,        ///< reads the working table of a recursive CTE (or a materialized one)
  kRecursiveCte,  ///< WITH RECURSIVE: anchor child, recursive child
  kMaterializedCte,  ///< a subplan computed once and read by several CteRefs
};

/// Return a name like "Filter" or "HashJoin" for display.
const char* LogicalOpKindName(LogicalOpKind kind);

class LogicalOp {
 public:
  explicit LogicalOp(LogicalOpKind k) : kind(k) {}
  virtual ~LogicalOp() = default;

  LogicalOpKind kind;
  std::vector<LogicalOpPtr> children;
  std::vector<OutputColumn> output;
  /// Estimated output rows (set by the optimizer's cardinality estimation).
  std::optional<double> estimated_rows;

  /// Return the ids of `output`, in order.
  std::vector<ColumnId> OutputIds() const;
  /// Return the one-line description of this operator, e.g. "Filter: a@1 > 5".
  virtual std::string Describe() const = 0;
  /// Return a shallow copy (same children pointers) for copy-on-write rewrites.
  virtual LogicalOpPtr Clone() const = 0;
  /// Return every expression held by this operator (for generic traversal).
  virtual std::vector<ExprPtr> Expressions() const { return {}; }

  template <typename T>
  const T& As() const { return static_cast<const T&>(*this); }
  template <typename T>
  T& As() { return static_cast<T&>(*this); }
};

/// Scan of a table. output[i] is table column projection[i].
class LogicalGet : public LogicalOp {
 public:
  LogicalGet() : LogicalOp(LogicalOpKind::kGet) {}
  std::string table_name;                  ///< for display ("lineitem")
  std::shared_ptr<TableProvider> table;
  std::vector<int> projection;             ///< indexes into table->schema()
  /// Conjuncts over this Get's output ids pushed down for pruning (the same
  /// predicates stay in a Filter above unless `filters_exact`).
  std::vector<ExprPtr> filters;
  std::optional<int64_t> limit;            ///< pushed-down limit (no filter above)
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override { return filters; }
};

class LogicalFilter : public LogicalOp {
 public:
  LogicalFilter() : LogicalOp(LogicalOpKind::kFilter) {}
  std::vector<ExprPtr> conditions;  ///< conjunction; output = child output
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override { return conditions; }
};

class LogicalProjection : public LogicalOp {
 public:
  LogicalProjection() : LogicalOp(LogicalOpKind::kProjection) {}
  std::vector<ExprPtr> exprs;  ///< exprs[i] computes output[i]
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override { return exprs; }
};

/// Grouping. Output: one column per group expression, then one per aggregate,
/// then (when grouping_sets is not empty) a uint64 "grouping id" column whose bit
/// i (from the most significant of groups.size() bits, as in SQL's GROUPING())
/// is 1 when group i is not part of the row's grouping set.
class LogicalAggregate : public LogicalOp {
 public:
  LogicalAggregate() : LogicalOp(LogicalOpKind::kAggregate) {}
  std::vector<ExprPtr> groups;
  std::vector<ExprPtr> aggregates;  ///< AggregateExpr nodes
  /// Each set lists indexes into `groups`; empty means one set with every group.
  std::vector<std::vector<int>> grouping_sets;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override;
};

enum class JoinType {
  kInner,
  kLeft,
  kRight,
  kFull,
  kSemi,    ///< left rows with a match; output = left
  kAnti,    ///< left rows without a match; output = left
  kMark,    ///< output = left + boolean mark column (true/false/null as IN semantics)
  kSingle,  ///< left join that errors when a left row matches more than one right row
};

/// Return "INNER", "LEFT", ... for display.
const char* JoinTypeName(JoinType t);

/// A join. Output = left output + right output (semi/anti: left only; mark: left +
/// mark column). `conditions` is a conjunction over both sides' ids; the physical
/// planner picks a hash join on the equality terms and evaluates the rest as a
/// residual (or a nested-loop join when there is no equality).
class LogicalJoin : public LogicalOp {
 public:
  LogicalJoin() : LogicalOp(LogicalOpKind::kJoin) {}
  JoinType join_type = JoinType::kInner;
  std::vector<ExprPtr> conditions;
  /// kMark: id of the mark column (also the last entry of output).
  ColumnId mark_id = 0;
  /// kMark for NOT IN / IN: when true, a null key on either side makes the mark null
  /// instead of false (SQL IN semantics); when false (EXISTS), it is false.
  bool mark_null_aware = false;
  /// Set by the optimizer: true when the right child should be the hash build side
  /// (default), false to build on the left.
  bool build_right = true;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override { return conditions; }
};

class LogicalSort : public LogicalOp {
 public:
  LogicalSort() : LogicalOp(LogicalOpKind::kSort) {}
  std::vector<SortKey> keys;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override;
};

class LogicalLimit : public LogicalOp {
 public:
  LogicalLimit() : LogicalOp(LogicalOpKind::kLimit) {}
  std::optional<int64_t> limit;  ///< none: offset only
  int64_t offset = 0;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
};

class LogicalTopN : public LogicalOp {
 public:
  LogicalTopN() : LogicalOp(LogicalOpKind::kTopN) {}
  std::vector<SortKey> keys;
  int64_t limit = 0;
  int64_t offset = 0;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override;
};

enum class SetOpKind { kUnion, kIntersect, kExcept };

/// Set operation over two children with the same column types (the binder adds
/// casts). Output columns get fresh ids; names from the left child.
class LogicalSetOperation : public LogicalOp {
 public:
  LogicalSetOperation() : LogicalOp(LogicalOpKind::kSetOperation) {}
  SetOpKind op = SetOpKind::kUnion;
  bool all = false;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
};

class LogicalValues : public LogicalOp {
 public:
  LogicalValues() : LogicalOp(LogicalOpKind::kValues) {}
  /// rows[r][c] is a constant expression of output[c]'s type. A SELECT without
  /// FROM is one row with no columns.
  std::vector<std::vector<ExprPtr>> rows;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
};

/// Window functions. Output = child output + one column per window expression.
class LogicalWindow : public LogicalOp {
 public:
  LogicalWindow() : LogicalOp(LogicalOpKind::kWindow) {}
  std::vector<ExprPtr> window_exprs;  ///< WindowExpr nodes
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
  std::vector<ExprPtr> Expressions() const override { return window_exprs; }
};

class LogicalEmpty : public LogicalOp {
 public:
  LogicalEmpty() : LogicalOp(LogicalOpKind::kEmpty) {}
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
};

/// Reads the current working table of the recursive CTE `cte_index`, or (when
/// `materialized`) the rows of the LogicalMaterializedCte with that index; output[i]
/// is then that definition's output[i] under an id of the reference's own.
class LogicalCteRef : public LogicalOp {
 public:
  LogicalCteRef() : LogicalOp(LogicalOpKind::kCteRef) {}
  int cte_index = 0;
  std::string name;
  bool materialized = false;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
};

/// WITH RECURSIVE: children[0] is the anchor, children[1] the recursive part that
/// reads the working table through LogicalCteRef nodes with the same cte_index.
/// Iterates until the recursive part yields no rows (UNION ALL) or no new rows
/// (UNION). Output ids are the CTE's own.
class LogicalRecursiveCte : public LogicalOp {
 public:
  LogicalRecursiveCte() : LogicalOp(LogicalOpKind::kRecursiveCte) {}
  int cte_index = 0;
  std::string name;
  bool union_all = true;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
};

/// A subplan shared by several readers (made by the optimizer's
/// `materialize_common_subplans` rule from CTEs and views referenced more than once):
/// children[0] is the definition, computed once; children[1] is the rest of the
/// query, which reads the definition's rows through LogicalCteRef nodes with
/// `materialized` set and the same `cte_index`. Output = children[1]'s output (same
/// ids). The definition's ids are visible only inside children[0].
class LogicalMaterializedCte : public LogicalOp {
 public:
  LogicalMaterializedCte() : LogicalOp(LogicalOpKind::kMaterializedCte) {}
  int cte_index = 0;
  std::string name;
  std::string Describe() const override;
  LogicalOpPtr Clone() const override;
};

/// Return the plan printed as an indented tree (one operator per line).
std::string PlanToString(const LogicalOpPtr& plan);

}  // namespace shoal::plan
