// Internal helpers shared by the statement handlers of Session::Sql.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/main/session.h"
#include "shoal/parser/ast.h"

namespace shoal {

class SessionState;
class Catalog;

/// Open a file path written in FROM ('x.parquet', 'dir/*.csv') as a table, choosing
/// the format from the extension.
Result<std::shared_ptr<TableProvider>> OpenPathAsTable(const std::string& path);

/// Resolve a table function in FROM: read_parquet, read_csv, read_json, read_ipc.
/// `catalog` (may be null) resolves table names given to table functions (table_changes).
Result<std::shared_ptr<TableProvider>> CallTableFunction(
    const std::string& name, const std::vector<std::shared_ptr<arrow::Scalar>>& args,
    const Catalog* catalog = nullptr);

/// Return a table of two utf8 columns built from `rows`.
std::shared_ptr<arrow::Table> TwoColumnTable(
    const std::string& a, const std::string& b,
    const std::vector<std::pair<std::string, std::string>>& rows);

/// Return "12.3 ms" style text.
std::string FormatMillis(double ms);

/// Plan and run a query; `stream` returns a streaming result, else a materialized one.
Result<std::shared_ptr<QueryResult>> RunQueryStatement(SessionState* state, std::string_view sql,
                                                       const ast::Query& query, bool stream);

/// Plan and run a query to completion.
Result<std::shared_ptr<arrow::Table>> RunQueryToTable(SessionState* state, std::string_view sql,
                                                      const ast::Query& query);

/// Run a DDL / DML / utility statement (everything except SELECT and EXPLAIN).
Result<std::shared_ptr<QueryResult>> ExecuteUtilityStatement(SessionState* state,
                                                            std::string_view sql,
                                                            const ast::Statement& stmt);

/// Parse `text`, which must hold exactly one query, and return the query.
Result<std::unique_ptr<ast::Query>> ParseQueryText(const std::string& text);

/// Return the name as SQL with every part double-quoted ("s"."t").
std::string QuoteQualifiedName(const ast::QualifiedName& name);

/// Run CREATE TABLE ... USING DELTA (statement_delta.cc).
Result<std::shared_ptr<QueryResult>> CreateDeltaTable(SessionState* state, std::string_view sql,
                                                      const ast::CreateTableStatement& st);

/// Run INSERT INTO / INSERT OVERWRITE of the Delta table `table` registered as
/// `name` (statement_delta.cc).
Result<std::shared_ptr<QueryResult>> InsertIntoDelta(SessionState* state, std::string_view sql,
                                                     const ast::InsertStatement& st,
                                                     const std::vector<std::string>& name,
                                                     const std::shared_ptr<TableProvider>& table);

/// Run DELETE / UPDATE / MERGE on a Delta table (statement_delta_dml.cc); other
/// tables give a "not supported" error.
Result<std::shared_ptr<QueryResult>> ExecuteDeltaDml(SessionState* state, std::string_view sql,
                                                     const ast::Statement& stmt);

/// Run DESCRIBE HISTORY of a Delta table (statement_delta_maint.cc).
Result<std::shared_ptr<QueryResult>> DescribeDeltaHistory(SessionState* state,
                                                          const ast::DescribeStatement& st);

/// Run ALTER TABLE / RESTORE / OPTIMIZE / VACUUM / FSCK on a Delta table
/// (statement_delta_maint.cc).
Result<std::shared_ptr<QueryResult>> ExecuteDeltaMaintenance(SessionState* state,
                                                             std::string_view sql,
                                                             const ast::Statement& stmt);

/// Return the names of a qualified name with identifier folding applied.
std::vector<std::string> FoldName(const ast::QualifiedName& name, bool fold);

}  // namespace shoal
