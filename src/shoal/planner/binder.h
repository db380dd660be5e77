// The binder: semantic analysis of a parsed query (ast::Query) into a bound
// logical plan (plan::LogicalOp tree) with resolved names, types and column ids.
//
// Flow for a SELECT (see bind_select.cc): FROM -> WHERE -> GROUP BY / aggregates
// -> HAVING -> window functions -> QUALIFY -> projection -> DISTINCT -> ORDER BY
// -> LIMIT. The root operator's output columns are the query's result columns,
// named as SQL prints them (alias, column name, or a rendering such as "sum(x)").
//
// Errors are Status::Invalid with the position of the offending text (see
// common/source_error.h): unknown names come with close-match suggestions.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/catalog/catalog.h"
#include "shoal/catalog/table_provider.h"
#include "shoal/common/settings.h"
#include "shoal/common/status.h"
#include "shoal/parser/ast.h"
#include "shoal/planner/logical_plan.h"

namespace shoal {

/// What the binder needs from its surroundings. Pointers are borrowed and must
/// outlive the Binder.
struct BinderContext {
  /// Tables and views; may be null (then only CTEs, VALUES and paths resolve).
  const Catalog* catalog = nullptr;
  /// Session settings; may be null (defaults are used).
  const Settings* settings = nullptr;
  /// The SQL text the AST was parsed from (for error positions); may be empty.
  std::string_view sql;
  /// Open a table written as a string: FROM 'data/x.parquet'. Null: such
  /// references are rejected (the session leaves it null unless the setting
  /// shoal.runtime.allow_url_tables is on).
  std::function<Result<std::shared_ptr<TableProvider>>(const std::string& path)> open_path;
  /// Resolve a table function call in FROM: read_parquet('x'), ... Arguments are
  /// the bound constant arguments. Null: table functions are unknown.
  std::function<Result<std::shared_ptr<TableProvider>>(
      const std::string& name, const std::vector<std::shared_ptr<arrow::Scalar>>& args)>
      table_function;
};

struct BinderState;  // internal (binder_internal.h)

/// Binds queries and expressions. One Binder may bind several statements; column
/// ids keep counting up across calls, so plans from one Binder never share ids.
/// Not thread-safe.
class Binder {
 public:
  explicit Binder(BinderContext context);
  ~Binder();
  Binder(const Binder&) = delete;
  Binder& operator=(const Binder&) = delete;

  /// Bind a full query (WITH, body, ORDER BY, LIMIT) into a logical plan whose
  /// root output columns are the query's result columns.
  Result<plan::LogicalOpPtr> BindQuery(const ast::Query& query);

  /// Bind a scalar expression over the output columns of `input` (for the
  /// DataFrame API and CHECK constraints). Column names resolve against
  /// input->output (qualifiers included); aggregates and window functions are
  /// rejected. Subqueries are allowed.
  Result<plan::ExprPtr> BindStandaloneExpression(const ast::Expr& expr,
                                                 const plan::LogicalOpPtr& input);

  /// Map a SQL type as written (CAST target, column definition) to an Arrow type.
  Result<std::shared_ptr<arrow::DataType>> BindType(const ast::TypeName& type);

  /// Return the next unused column id (ids below it are taken by bound plans).
  plan::ColumnId next_column_id() const;

 private:
  std::unique_ptr<BinderState> state_;
};

/// Return the output column name SQL would print for an expression written
/// without an alias: the column name for column references, otherwise a
/// DuckDB-like rendering ("sum(l_quantity)", "(a + 1)", "count_star()").
std::string ExpressionDisplayName(const ast::Expr& expr);

}  // namespace shoal
