// DDL, DML and utility statements: CREATE/DROP, INSERT, COPY, SET/RESET, SHOW, DESCRIBE.
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <cstdio>
#include <map>

#include "shoal/common/source_error.h"
#include "shoal/common/strings.h"
#include "shoal/delta/delta_table.h"
#include "shoal/function/function_catalog.h"
#include "shoal/io/file_table_factory.h"
#include "shoal/io/file_writer.h"
#include "shoal/io/memory_table.h"
#include "shoal/main/query_result.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/parser/printer.h"
#include "shoal/planner/binder.h"

namespace shoal {

std::vector<std::string> FoldName(const ast::QualifiedName& name, bool fold) {
  std::vector<std::string> out;
  for (const auto& p : name.parts) out.push_back(fold && !p.quoted ? ToLower(p.name) : p.name);
  return out;
}

std::shared_ptr<arrow::Table> TwoColumnTable(
    const std::string& a, const std::string& b,
    const std::vector<std::pair<std::string, std::string>>& rows) {
  arrow::StringBuilder ba, bb;
  for (const auto& [x, y] : rows) {
    (void)ba.Append(x);
    (void)bb.Append(y);
  }
  std::shared_ptr<arrow::Array> xa, ya;
  (void)ba.Finish(&xa);
  (void)bb.Finish(&ya);
  return arrow::Table::Make(
      arrow::schema({arrow::field(a, arrow::utf8()), arrow::field(b, arrow::utf8())}), {xa, ya});
}

std::string FormatMillis(double ms) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f ms", ms);
  return buf;
}

namespace {

bool FoldIdents(SessionState* state) {
  return state->settings().GetBool("shoal.sql.enable_ident_normalization");
}

std::string FoldIdent(const ast::Identifier& id, bool fold) {
  return fold && !id.quoted ? ToLower(id.name) : id.name;
}

std::shared_ptr<QueryResult> OkResult(const std::string& kind) {
  return MakeTableResult(nullptr, kind);
}

Result<std::shared_ptr<arrow::Schema>> SchemaFromColumns(SessionState* state, std::string_view sql,
                                                         const std::vector<ast::ColumnDef>& cols) {
  bool fold = FoldIdents(state);
  Binder binder(BinderContext{&state->catalog(), &state->settings(), sql, nullptr, nullptr});
  arrow::FieldVector fields;
  for (const auto& c : cols) {
    ARROW_ASSIGN_OR_RAISE(auto type, binder.BindType(c.type));
    std::string name = FoldIdent(c.name, fold);
    for (const auto& f : fields) {
      if (f->name() == name) {
        return SourceError(sql, c.loc.offset, "column '" + name + "' is declared twice");
      }
    }
    fields.push_back(arrow::field(name, type, !c.not_null));
  }
  return arrow::schema(fields);
}

/// Cast and reorder `table` to `target` (INSERT / CREATE TABLE AS): columns by position.
Result<std::vector<std::shared_ptr<arrow::RecordBatch>>> ConformTo(
    const std::shared_ptr<arrow::Table>& table, const std::shared_ptr<arrow::Schema>& target,
    const std::string& table_name) {
  if (table->num_columns() != target->num_fields()) {
    return Status::Invalid("INSERT into '", table_name, "' expects ", target->num_fields(),
                           " columns but the query produces ", table->num_columns());
  }
  arrow::ChunkedArrayVector cols;
  arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                  FunctionCatalog::Get().registry());
  for (int i = 0; i < target->num_fields(); ++i) {
    auto col = table->column(i);
    const auto& f = target->field(i);
    if (!col->type()->Equals(*f->type())) {
      auto casted = arrow::compute::Cast(col, f->type(), arrow::compute::CastOptions::Safe(), &ctx);
      if (!casted.ok()) {
        return Status::Invalid("cannot insert column ", i + 1, " of type ",
                               ArrowTypeToSql(*col->type()), " into column '", f->name(),
                               "' of type ", ArrowTypeToSql(*f->type()), ": ",
                               casted.status().message());
      }
      col = casted->chunked_array();
    }
    if (!f->nullable() && col->null_count() > 0) {
      return Status::Invalid("NOT NULL constraint violated: column '", f->name(), "' of '",
                             table_name, "' would receive a NULL");
    }
    cols.push_back(col);
  }
  auto conformed = arrow::Table::Make(target, cols, table->num_rows());
  ARROW_ASSIGN_OR_RAISE(auto combined, conformed->CombineChunksToBatch());
  std::vector<std::shared_ptr<arrow::RecordBatch>> out;
  if (combined->num_rows() > 0) out.push_back(combined);
  return out;
}

Result<std::shared_ptr<QueryResult>> CreateTable(SessionState* state, std::string_view sql,
                                                 const ast::CreateTableStatement& st) {
  if (st.using_format == "delta") return CreateDeltaTable(state, sql, st);
  bool fold = FoldIdents(state);
  auto name = FoldName(st.name, fold);
  if (!st.using_format.empty() && st.using_format != "memory") {
    return Status::NotImplemented("CREATE TABLE ... USING ", st.using_format,
                                  " is not supported yet (tables are in-memory; use CREATE "
                                  "EXTERNAL TABLE or COPY for files)");
  }
  if (st.location) {
    return Status::NotImplemented("CREATE TABLE with LOCATION is not supported yet; use CREATE "
                                  "EXTERNAL TABLE to read files");
  }
  if (state->catalog().Exists(name)) {
    if (st.if_not_exists) return OkResult("CREATE TABLE");
    if (!st.or_replace) {
      return SourceError(sql, st.name.loc().offset,
                         "table '" + Join(name, ".") + "' already exists");
    }
  }
  std::shared_ptr<arrow::Schema> schema;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  if (!st.columns.empty()) {
    ARROW_ASSIGN_OR_RAISE(schema, SchemaFromColumns(state, sql, st.columns));
  }
  if (st.as_query) {
    ARROW_ASSIGN_OR_RAISE(auto table, RunQueryToTable(state, sql, *st.as_query));
    if (!schema) {
      arrow::FieldVector fields;
      for (const auto& f : table->schema()->fields()) fields.push_back(f->WithNullable(true));
      schema = arrow::schema(fields);
    }
    ARROW_ASSIGN_OR_RAISE(batches, ConformTo(table, schema, Join(name, ".")));
  }
  if (!schema) return Status::Invalid("CREATE TABLE needs a column list or AS query");
  ARROW_ASSIGN_OR_RAISE(auto provider, MemoryTable::Make(schema, {batches}));
  ARROW_RETURN_NOT_OK(state->catalog().RegisterTable(name, provider, /*replace=*/true));
  return OkResult("CREATE TABLE");
}

Result<std::shared_ptr<QueryResult>> CreateView(SessionState* state, std::string_view sql,
                                                const ast::CreateViewStatement& st) {
  bool fold = FoldIdents(state);
  auto name = FoldName(st.name, fold);
  if (state->catalog().Exists(name) && st.if_not_exists) return OkResult("CREATE VIEW");
  // Bind once now so that errors surface at CREATE time, not at first use.
  {
    Binder binder(BinderContext{&state->catalog(), &state->settings(), sql, nullptr, nullptr});
    ARROW_ASSIGN_OR_RAISE(auto plan, binder.BindQuery(*st.query));
    if (!st.columns.empty() && st.columns.size() != plan->output.size()) {
      return SourceError(sql, st.loc.offset,
                         "view '" + Join(name, ".") + "' names " +
                             std::to_string(st.columns.size()) + " columns but its query has " +
                             std::to_string(plan->output.size()));
    }
  }
  ViewDefinition view;
  view.sql = st.query_text.empty() ? ToSql(*st.query) : st.query_text;
  for (const auto& c : st.columns) view.column_names.push_back(FoldIdent(c, fold));
  ARROW_RETURN_NOT_OK(state->catalog().RegisterView(name, std::move(view), st.or_replace));
  return OkResult("CREATE VIEW");
}

/// Open a Delta table for CREATE EXTERNAL TABLE ... STORED AS DELTATABLE | DELTA.
Result<std::shared_ptr<TableProvider>> OpenDeltaTable(const std::string& location,
                                                      const OptionList& options,
                                                      bool has_declared_columns) {
  if (has_declared_columns) {
    return Status::Invalid("a Delta table takes its columns and partitioning from its log; "
                           "remove the column list and PARTITIONED BY");
  }
  std::map<std::string, std::string> opts(options.begin(), options.end());
  ARROW_ASSIGN_OR_RAISE(auto parsed, delta::ParseDeltaOptions(opts));
  ARROW_ASSIGN_OR_RAISE(auto table, delta::DeltaTableProvider::Make(location, parsed));
  return std::static_pointer_cast<TableProvider>(table);
}

Result<std::shared_ptr<QueryResult>> CreateExternalTable(
    SessionState* state, std::string_view sql, const ast::CreateExternalTableStatement& st) {
  bool fold = FoldIdents(state);
  auto name = FoldName(st.name, fold);
  if (state->catalog().Exists(name)) {
    if (st.if_not_exists) return OkResult("CREATE EXTERNAL TABLE");
    if (!st.or_replace) {
      return SourceError(sql, st.name.loc().offset,
                         "table '" + Join(name, ".") + "' already exists");
    }
  }
  std::shared_ptr<arrow::Schema> declared;
  if (!st.columns.empty()) {
    ARROW_ASSIGN_OR_RAISE(declared, SchemaFromColumns(state, sql, st.columns));
  }
  OptionList options;
  for (const auto& o : st.options) options.emplace_back(o.key, o.value);
  std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> partition_cols;
  Binder binder(BinderContext{&state->catalog(), &state->settings(), sql, nullptr, nullptr});
  for (const auto& p : st.partitioned_by) {
    std::shared_ptr<arrow::DataType> type;
    if (!p.type.name.empty()) {
      ARROW_ASSIGN_OR_RAISE(type, binder.BindType(p.type));
    }
    partition_cols.emplace_back(FoldIdent(p.name, fold), type);
  }
  std::string format = ToLower(st.stored_as);
  Result<std::shared_ptr<TableProvider>> provider =
      format == "deltatable" || format == "delta"
          ? OpenDeltaTable(st.location, options, declared != nullptr || !partition_cols.empty())
          : MakeFileTable(format, st.location, options, declared, partition_cols);
  if (!provider.ok()) {
    return provider.status().WithMessage("CREATE EXTERNAL TABLE ", Join(name, "."), ": ",
                                         provider.status().message());
  }
  ARROW_RETURN_NOT_OK(state->catalog().RegisterTable(name, *provider, /*replace=*/true));
  return OkResult("CREATE EXTERNAL TABLE");
}

Result<std::shared_ptr<QueryResult>> Insert(SessionState* state, std::string_view sql,
                                            const ast::InsertStatement& st) {
  bool fold = FoldIdents(state);
  auto name = FoldName(st.table, fold);
  ARROW_ASSIGN_OR_RAISE(auto entry, state->catalog().Lookup(name));
  if (!entry.table) return Status::Invalid("cannot INSERT into view '", Join(name, "."), "'");
  if (entry.table->kind() == "delta") return InsertIntoDelta(state, sql, st, name, entry.table);
  if (st.overwrite || st.replace_where) {
    return Status::NotImplemented("INSERT OVERWRITE is not supported for table '",
                                  Join(name, "."), "' of kind ", entry.table->kind());
  }
  auto target = entry.table->schema();
  ARROW_ASSIGN_OR_RAISE(auto table, RunQueryToTable(state, sql, *st.query));
  std::shared_ptr<arrow::Table> shaped = table;
  if (!st.columns.empty()) {
    // Place the given columns; the others get NULL.
    if (st.columns.size() != static_cast<size_t>(table->num_columns())) {
      return SourceError(sql, st.loc.offset,
                         "INSERT names " + std::to_string(st.columns.size()) +
                             " columns but the query produces " +
                             std::to_string(table->num_columns()));
    }
    arrow::ChunkedArrayVector cols;
    arrow::FieldVector fields;
    for (const auto& f : target->fields()) {
      int src = -1;
      for (size_t i = 0; i < st.columns.size(); ++i) {
        if (FoldIdent(st.columns[i], fold) == f->name()) src = static_cast<int>(i);
      }
      if (src >= 0) {
        cols.push_back(table->column(src));
        fields.push_back(arrow::field(f->name(), table->column(src)->type()));
      } else {
        ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(f->type(), table->num_rows()));
        cols.push_back(std::make_shared<arrow::ChunkedArray>(nulls));
        fields.push_back(arrow::field(f->name(), f->type()));
      }
    }
    for (const auto& c : st.columns) {
      if (target->GetFieldIndex(FoldIdent(c, fold)) < 0) {
        return SourceError(sql, c.loc.offset,
                           "column '" + FoldIdent(c, fold) + "' does not exist in '" +
                               Join(name, ".") + "'");
      }
    }
    shaped = arrow::Table::Make(arrow::schema(fields), cols, table->num_rows());
  }
  ARROW_ASSIGN_OR_RAISE(auto batches, ConformTo(shaped, target, Join(name, ".")));
  int64_t rows = shaped->num_rows();
  ARROW_RETURN_NOT_OK(entry.table->Append(batches));
  arrow::Int64Builder b;
  ARROW_RETURN_NOT_OK(b.Append(rows));
  ARROW_ASSIGN_OR_RAISE(auto arr, b.Finish());
  return MakeTableResult(
      arrow::Table::Make(arrow::schema({arrow::field("count", arrow::int64())}), {arr}), "INSERT");
}

Result<std::shared_ptr<QueryResult>> Copy(SessionState* state, std::string_view sql,
                                          const ast::CopyStatement& st) {
  std::shared_ptr<arrow::Table> table;
  if (st.query) {
    ARROW_ASSIGN_OR_RAISE(table, RunQueryToTable(state, sql, *st.query));
  } else {
    std::string text = "SELECT * FROM " + QuoteQualifiedName(st.table);
    ARROW_ASSIGN_OR_RAISE(auto query, ParseQueryText(text));
    ARROW_ASSIGN_OR_RAISE(table, RunQueryToTable(state, text, *query));
  }
  std::string format = ToLower(st.stored_as);
  OptionList options;
  for (const auto& o : st.options) {
    if (ToLower(o.key) == "format") {
      format = ToLower(o.value);
    } else {
      options.emplace_back(o.key, o.value);
    }
  }
  if (format.empty()) format = FormatFromExtension(st.path);
  if (format.empty()) {
    return Status::Invalid("COPY TO '", st.path,
                           "': cannot tell the format from the path; add STORED AS PARQUET|CSV|"
                           "JSON|ARROW or OPTIONS ('format' 'parquet')");
  }
  bool fold = FoldIdents(state);
  std::vector<std::string> partition_by;
  for (const auto& p : st.partitioned_by) partition_by.push_back(FoldIdent(p, fold));
  auto reader = std::make_shared<arrow::TableBatchReader>(table);
  ARROW_ASSIGN_OR_RAISE(int64_t rows,
                        WriteFileFormat(format, reader, st.path, options, partition_by));
  arrow::Int64Builder b;
  ARROW_RETURN_NOT_OK(b.Append(rows));
  ARROW_ASSIGN_OR_RAISE(auto arr, b.Finish());
  return MakeTableResult(
      arrow::Table::Make(arrow::schema({arrow::field("count", arrow::int64())}), {arr}), "COPY");
}

Result<std::shared_ptr<QueryResult>> Describe(SessionState* state, std::string_view sql,
                                              const ast::DescribeStatement& st) {
  if (st.history) return DescribeDeltaHistory(state, st);
  std::shared_ptr<arrow::Schema> schema;
  if (st.query) {
    Binder binder(BinderContext{&state->catalog(), &state->settings(), sql, nullptr, nullptr});
    ARROW_ASSIGN_OR_RAISE(auto plan, binder.BindQuery(*st.query));
    arrow::FieldVector fields;
    for (const auto& c : plan->output) fields.push_back(arrow::field(c.name, c.type, c.nullable));
    schema = arrow::schema(fields);
  } else {
    auto name = FoldName(st.table, FoldIdents(state));
    ARROW_ASSIGN_OR_RAISE(auto entry, state->catalog().Lookup(name));
    if (entry.table) {
      schema = entry.table->schema();
    } else {
      ARROW_ASSIGN_OR_RAISE(auto parsed, ParseQueryText(entry.view->sql));
      Binder binder(BinderContext{&state->catalog(), &state->settings(), entry.view->sql, nullptr,
                                  nullptr});
      ARROW_ASSIGN_OR_RAISE(auto plan, binder.BindQuery(*parsed));
      arrow::FieldVector fields;
      for (size_t i = 0; i < plan->output.size(); ++i) {
        const auto& c = plan->output[i];
        std::string n = i < entry.view->column_names.size() ? entry.view->column_names[i] : c.name;
        fields.push_back(arrow::field(n, c.type, c.nullable));
      }
      schema = arrow::schema(fields);
    }
  }
  arrow::StringBuilder names, types, nullable;
  for (const auto& f : schema->fields()) {
    ARROW_RETURN_NOT_OK(names.Append(f->name()));
    ARROW_RETURN_NOT_OK(types.Append(ArrowTypeToSql(*f->type())));
    ARROW_RETURN_NOT_OK(nullable.Append(f->nullable() ? "YES" : "NO"));
  }
  ARROW_ASSIGN_OR_RAISE(auto a, names.Finish());
  ARROW_ASSIGN_OR_RAISE(auto b, types.Finish());
  ARROW_ASSIGN_OR_RAISE(auto c, nullable.Finish());
  auto out_schema = arrow::schema({arrow::field("column_name", arrow::utf8()),
                                   arrow::field("data_type", arrow::utf8()),
                                   arrow::field("is_nullable", arrow::utf8())});
  return MakeTableResult(arrow::Table::Make(out_schema, {a, b, c}), "DESCRIBE");
}

Result<std::shared_ptr<QueryResult>> ShowTables(SessionState* state) {
  arrow::StringBuilder cat, sch, name, type;
  for (const auto& e : state->catalog().List()) {
    ARROW_RETURN_NOT_OK(cat.Append(e.catalog));
    ARROW_RETURN_NOT_OK(sch.Append(e.schema));
    ARROW_RETURN_NOT_OK(name.Append(e.name));
    ARROW_RETURN_NOT_OK(type.Append(e.view ? "VIEW" : "BASE TABLE"));
  }
  arrow::ArrayVector arrays(4);
  ARROW_RETURN_NOT_OK(cat.Finish(&arrays[0]));
  ARROW_RETURN_NOT_OK(sch.Finish(&arrays[1]));
  ARROW_RETURN_NOT_OK(name.Finish(&arrays[2]));
  ARROW_RETURN_NOT_OK(type.Finish(&arrays[3]));
  auto schema = arrow::schema({arrow::field("table_catalog", arrow::utf8()),
                               arrow::field("table_schema", arrow::utf8()),
                               arrow::field("table_name", arrow::utf8()),
                               arrow::field("table_type", arrow::utf8())});
  return MakeTableResult(arrow::Table::Make(schema, arrays), "SHOW TABLES");
}

Result<std::shared_ptr<QueryResult>> ShowVariable(SessionState* state,
                                                  const ast::ShowVariableStatement& st) {
  std::vector<std::pair<std::string, std::string>> rows;
  if (ToLower(st.name) == "all") {
    rows = state->settings().List();
  } else {
    ARROW_ASSIGN_OR_RAISE(auto v, state->settings().Get(st.name));
    rows.emplace_back(ToLower(st.name), v);
  }
  return MakeTableResult(TwoColumnTable("name", "value", rows), "SHOW");
}

}  // namespace

Result<std::shared_ptr<QueryResult>> ExecuteUtilityStatement(SessionState* state,
                                                            std::string_view sql,
                                                            const ast::Statement& stmt) {
  using K = ast::StatementKind;
  switch (stmt.kind) {
    case K::kCreateTable:
      return CreateTable(state, sql, static_cast<const ast::CreateTableStatement&>(stmt));
    case K::kCreateView:
      return CreateView(state, sql, static_cast<const ast::CreateViewStatement&>(stmt));
    case K::kCreateExternalTable:
      return CreateExternalTable(state, sql,
                                 static_cast<const ast::CreateExternalTableStatement&>(stmt));
    case K::kInsert:
      return Insert(state, sql, static_cast<const ast::InsertStatement&>(stmt));
    case K::kDrop: {
      const auto& st = static_cast<const ast::DropStatement&>(stmt);
      for (const auto& n : st.names) {
        ARROW_RETURN_NOT_OK(state->catalog().Drop(FoldName(n, FoldIdents(state)),
                                                  st.object == ast::DropKind::kView,
                                                  st.if_exists));
      }
      return OkResult(st.object == ast::DropKind::kView ? "DROP VIEW" : "DROP TABLE");
    }
    case K::kShowTables:
      return ShowTables(state);
    case K::kShowVariable:
      return ShowVariable(state, static_cast<const ast::ShowVariableStatement&>(stmt));
    case K::kDescribe:
      return Describe(state, sql, static_cast<const ast::DescribeStatement&>(stmt));
    case K::kSet: {
      const auto& st = static_cast<const ast::SetStatement&>(stmt);
      ARROW_RETURN_NOT_OK(state->settings().Set(st.name, st.value));
      return OkResult("SET");
    }
    case K::kReset: {
      const auto& st = static_cast<const ast::ResetStatement&>(stmt);
      if (ToLower(st.name) == "all") {
        state->settings() = Settings();
      } else {
        ARROW_RETURN_NOT_OK(state->settings().Reset(st.name));
      }
      return OkResult("RESET");
    }
    case K::kCopy:
      return Copy(state, sql, static_cast<const ast::CopyStatement&>(stmt));
    case K::kDelete:
    case K::kUpdate:
    case K::kMerge:
      return ExecuteDeltaDml(state, sql, stmt);
    case K::kDeltaMaintenance:
      return ExecuteDeltaMaintenance(state, sql, stmt);
    default:
      return Status::NotImplemented("statement kind not supported here");
  }
}

}  // namespace shoal
