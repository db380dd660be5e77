// Print an AST back as SQL text.
#pragma once

#include <string>

#include "shoal/parser/ast.h"

namespace shoal {

/// SQL dialects the printer can target.
enum class SqlDialect { kShoal, kDuckDB, kPostgres, kDataFusion, kSpark, kSQLite };

/// Return `stmt` printed as SQL in `dialect`; parsing the result gives an equal tree.
std::string ToSql(const ast::Statement& stmt, SqlDialect dialect = SqlDialect::kShoal);
/// Return the query printed as SQL.
std::string ToSql(const ast::Query& query, SqlDialect dialect = SqlDialect::kShoal);
/// Return the expression printed as SQL (fully parenthesized where needed).
std::string ToSql(const ast::Expr& expr, SqlDialect dialect = SqlDialect::kShoal);
/// Return a Delta maintenance statement as SQL (parser_delta_maint.cc).
std::string DeltaMaintenanceToSql(const ast::DeltaMaintenanceStatement& stmt);
/// Return a FROM item (table, subquery, VALUES, ...) printed as SQL, with its alias.
std::string ToSql(const ast::TableRef& ref, SqlDialect dialect = SqlDialect::kShoal);

}  // namespace shoal
