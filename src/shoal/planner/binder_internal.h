// Private declarations shared by the binder's .cc files (not a public header).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shoal/function/function_catalog.h"
#include "shoal/parser/ast.h"
#include "shoal/planner/binder.h"
#include "shoal/planner/expression.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::binder_internal {

using plan::ColumnId;
using plan::ExprPtr;
using plan::LogicalOpPtr;
using plan::OutputColumn;
using DataTypePtr = std::shared_ptr<arrow::DataType>;

/// Deepest expression / query nesting the binder accepts (protects the stack).
constexpr int kMaxExprDepth = 400;
constexpr int kMaxQueryDepth = 64;

/// State shared by every QueryBinder of one Binder (ids, settings, view stack).
struct State {
  BinderContext ctx;
  ColumnId next_id = 1;
  bool fold_identifiers = true;
  std::vector<std::string> view_stack;  ///< views being expanded (recursion check)
  int next_cte_index = 0;
  int query_depth = 0;
};

/// A column visible in a FROM scope.
struct ScopeColumn {
  std::string qualifier;  ///< alias or table name; "" for merged USING columns
  /// Names the qualifier may be written as, longest first: [catalog, schema, table]
  /// for an unaliased base table, [alias] otherwise.
  std::vector<std::string> qualifier_path;
  std::string name;
  ColumnId id = 0;
  DataTypePtr type;
  bool nullable = true;
  bool hidden_unqualified = false;  ///< USING side column: only reachable as t.a
  bool in_star = true;              ///< expanded by an unqualified *
};

/// The columns a FROM clause makes visible, plus the enclosing query's scope
/// (for correlated subqueries).
struct Scope {
  std::vector<ScopeColumn> columns;
  const Scope* outer = nullptr;
};

/// A bound FROM item: its plan and the names it exposes.
struct BoundRelation {
  LogicalOpPtr plan;
  std::vector<ScopeColumn> columns;
};

/// One common table expression visible to a query (a persistent linked list:
/// each CTE sees the ones defined before it).
struct CteNode {
  std::string name;
  const ast::CommonTableExpr* cte = nullptr;
  std::shared_ptr<const CteNode> parent;  ///< CTEs visible before this one
  /// Set while binding the recursive part of WITH RECURSIVE: references become
  /// LogicalCteRef nodes reading the working table.
  bool working_table = false;
  bool recursive = false;  ///< defined by WITH RECURSIVE (may reference itself)
  int cte_index = 0;
  std::vector<OutputColumn> working_columns;  ///< names/types (ids are per reference)
};
using CtePtr = std::shared_ptr<const CteNode>;

/// Where an expression is being bound and what it may contain.
struct ExprContext {
  const Scope* scope = nullptr;
  const char* clause = "expression";  ///< for messages: "WHERE", "GROUP BY", ...
  bool allow_aggregates = false;
  bool allow_windows = false;
  bool in_aggregate = false;  ///< inside an aggregate's arguments
  bool in_window = false;     ///< inside a window function's arguments
  const std::vector<ast::NamedWindow>* named_windows = nullptr;
  /// Select-list aliases usable where a name is not a FROM column (HAVING,
  /// QUALIFY, as DuckDB allows): folded alias -> raw bound select expression.
  const std::vector<std::pair<std::string, ExprPtr>>* select_aliases = nullptr;
  int depth = 0;
};

/// Function names used internally before rewriting (never reach the executor).
constexpr const char* kGroupingPlaceholder = "$grouping";

/// Binds one query level (and, recursively, its subqueries).
class QueryBinder {
 public:
  QueryBinder(State* state, std::string_view sql, CtePtr ctes, const Scope* outer)
      : state_(state), sql_(sql), ctes_(std::move(ctes)), outer_(outer) {}

  // --- queries (bind_query.cc) ---
  Result<LogicalOpPtr> BindQuery(const ast::Query& query);
  Result<LogicalOpPtr> BindQueryNode(const ast::QueryNode& node,
                                     const std::vector<ast::OrderByItem>* order_by);
  Result<LogicalOpPtr> BindSetOperation(const ast::SetOperationNode& node);
  Result<LogicalOpPtr> BindValues(const std::vector<std::vector<ast::ExprPtr>>& rows,
                                  const ast::SourceLocation& loc);
  Result<LogicalOpPtr> BindOrderByOutput(LogicalOpPtr plan,
                                         const std::vector<ast::OrderByItem>& order_by);
  Result<LogicalOpPtr> BindLimit(LogicalOpPtr plan, const ast::Query& query);
  /// Bind and evaluate a constant integer (LIMIT/OFFSET); nullopt for NULL.
  Result<std::optional<int64_t>> BindConstantInteger(const ast::Expr& expr, const char* what);
  Result<LogicalOpPtr> BindCteReference(const CteNode& cte, const ast::SourceLocation& loc);
  Result<LogicalOpPtr> BindRecursiveCte(const CteNode& cte, const ast::SourceLocation& loc);

  // --- SELECT (bind_select.cc) ---
  Result<LogicalOpPtr> BindSelect(const ast::SelectNode& node,
                                  const std::vector<ast::OrderByItem>* order_by);

  // --- FROM (bind_table_ref.cc) ---
  Result<BoundRelation> BindTableRef(const ast::TableRef& ref);
  Result<BoundRelation> BindBaseTable(const ast::BaseTableRef& ref);
  Result<BoundRelation> BindJoin(const ast::JoinRef& ref);
  Result<BoundRelation> BindView(const CatalogEntry& entry, const std::string& display,
                                 const ast::SourceLocation& loc);
  Result<BoundRelation> RelationFromPlan(LogicalOpPtr plan, const std::string& qualifier);
  Status ApplyAliases(const ast::TableRef& ref, const std::string& default_name,
                      std::vector<std::string> path, BoundRelation* rel);

  // --- expressions (bind_expression.cc, bind_function.cc, bind_literal.cc) ---
  Result<ExprPtr> BindExpr(const ast::Expr* expr, ExprContext& ctx);
  Result<ExprPtr> BindColumnRef(const ast::ColumnRefExpr& ref, ExprContext& ctx);
  Result<ExprPtr> BindFunction(const ast::FunctionExpr& fn, ExprContext& ctx);
  Result<ExprPtr> BindAggregateCall(const ast::FunctionExpr& fn, const std::string& name,
                                    ExprContext& ctx);
  Result<ExprPtr> BindWindowCall(const ast::FunctionExpr& fn, const std::string& name,
                                 ExprContext& ctx);
  Result<ExprPtr> BindLiteral(const ast::LiteralExpr& lit);
  Result<ExprPtr> BindCase(const ast::CaseExpr& expr, ExprContext& ctx);
  Result<ExprPtr> BindSubqueryExpr(const ast::Expr& expr, ExprContext& ctx);
  Result<std::vector<plan::SortKey>> BindSortKeys(const std::vector<ast::OrderByItem>& items,
                                                  ExprContext& ctx);
  /// Bind a scalar function / operator through the function catalog, adding casts.
  /// `what` is the expression as written, rendered in messages (may be null).
  Result<ExprPtr> MakeCall(const std::string& name, std::vector<ExprPtr> args,
                           const std::string& display, const ast::SourceLocation& loc,
                           const ast::Expr* what);
  /// Cast `expr` to `type` unless it already has it.
  ExprPtr CastTo(ExprPtr expr, const DataTypePtr& type);
  /// Return the common type of `types` (for CASE, VALUES, UNION, IN).
  Result<DataTypePtr> CommonTypeOf(const std::vector<DataTypePtr>& types,
                                   const ast::SourceLocation& loc, const std::string& what);
  Result<std::shared_ptr<arrow::DataType>> BindType(const ast::TypeName& type);

  // --- helpers (binder.cc) ---
  Status Error(const ast::SourceLocation& loc, std::string_view message) const;
  std::string Fold(const ast::Identifier& ident) const;
  OutputColumn NewColumn(std::string name, DataTypePtr type, bool nullable,
                         std::string qualifier = "");
  State* state() const { return state_; }
  std::string_view sql() const { return sql_; }
  const CtePtr& ctes() const { return ctes_; }
  const Scope* outer() const { return outer_; }

 private:
  State* state_;
  std::string_view sql_;
  CtePtr ctes_;
  const Scope* outer_;
};

// --- free helpers (binder.cc / bind_plan_util.cc) ---

/// Return a projection over `child` computing `exprs` named `names` (fresh ids).
LogicalOpPtr MakeProjection(State* state, LogicalOpPtr child, std::vector<ExprPtr> exprs,
                            const std::vector<std::string>& names,
                            const std::vector<std::string>& qualifiers = {});
/// Return a column reference to `col`.
ExprPtr RefTo(const OutputColumn& col);
/// Return the outer column ids `plan` references (ids used but not produced inside).
std::vector<ColumnId> OuterReferences(const LogicalOpPtr& plan);
/// Return the type name as SQL prints it ("INTEGER", "DECIMAL(15,2)").
std::string TypeToSql(const DataTypePtr& type);
/// Return the function catalog.
const FunctionCatalog& Functions();
/// Evaluate a constant expression (literals, casts and scalar calls) with Arrow compute.
Result<std::shared_ptr<arrow::Scalar>> EvaluateConstant(const ExprPtr& expr);
/// Return true when `plan` (or a subquery inside it) reads recursive CTE `cte_index`.
bool ReadsCte(const LogicalOpPtr& plan, int cte_index);
/// Parse an interval literal ('1 day 2 hours', '3' DAY, '1-2' YEAR TO MONTH).
Result<std::shared_ptr<arrow::Scalar>> ParseIntervalLiteral(const std::string& text,
                                                            const std::string& unit,
                                                            const std::string& unit_to);

}  // namespace shoal::binder_internal
