// Session plumbing: construction, table registration, settings, interruption.
// Statement execution (Session::Sql) lives in sql_execution.cc.
#include "shoal/main/session.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include <arrow/compute/initialize.h>

#include "shoal/catalog/catalog.h"
#include "shoal/io/csv_table.h"
#include "shoal/io/ipc_table.h"
#include "shoal/io/json_table.h"
#include "shoal/io/memory_table.h"
#include "shoal/io/parquet_table.h"
#include "shoal/io/stream_table.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/parser/parser.h"
#include "shoal/planner/binder.h"

namespace shoal {

namespace {

Status InitializeArrowOnce() {
  static const Status status = arrow::compute::Initialize();
  return status;
}

Status CheckName(const std::string& name) {
  if (name.empty()) return Status::Invalid("table name must not be empty");
  return Status::OK();
}

/// Quote an identifier for SQL: "name" with embedded quotes doubled.
std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

Session::Session() : state_(std::make_shared<SessionState>()) {}

Session::~Session() {
  // Stop queries still streaming from this session; their results stay valid
  // objects and report Cancelled.
  state_->Interrupt();
}

Result<std::shared_ptr<Session>> Session::Make(const std::map<std::string, std::string>& config) {
  ARROW_RETURN_NOT_OK(InitializeArrowOnce());
  std::shared_ptr<Session> session(new Session());
  for (const auto& [key, value] : config) {
    Status st = session->state_->settings().Set(key, value);
    if (!st.ok()) {
      return st.WithMessage("invalid session config '", key, "': ", st.message());
    }
  }
  return session;
}

Status Session::RegisterTable(const std::string& name, std::shared_ptr<TableProvider> table) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  if (table == nullptr) return Status::Invalid("cannot register table '", name, "': no table given");
  return state_->catalog().RegisterTable({name}, std::move(table), /*replace=*/true);
}

Status Session::DeregisterTable(const std::string& name) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  ARROW_ASSIGN_OR_RAISE(auto entry, state_->catalog().Lookup({name}));
  return state_->catalog().Drop({entry.catalog, entry.schema, entry.name},
                                /*want_view=*/entry.view.has_value(), /*if_exists=*/false);
}

Status Session::RegisterParquet(const std::string& name, const std::string& path,
                                const ParquetOptions& options) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  ARROW_ASSIGN_OR_RAISE(auto table, MakeParquetTable(path, options));
  return RegisterTable(name, std::move(table));
}

Status Session::RegisterCsv(const std::string& name, const std::string& path,
                            const CsvOptions& options) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  ARROW_ASSIGN_OR_RAISE(auto table, MakeCsvTable(path, options));
  return RegisterTable(name, std::move(table));
}

Status Session::RegisterJson(const std::string& name, const std::string& path,
                             const JsonOptions& options) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  ARROW_ASSIGN_OR_RAISE(auto table, MakeJsonTable(path, options));
  return RegisterTable(name, std::move(table));
}

Status Session::RegisterArrowIpc(const std::string& name, const std::string& path,
                                 const IpcOptions& options) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  ARROW_ASSIGN_OR_RAISE(auto table, MakeIpcTable(path, options));
  return RegisterTable(name, std::move(table));
}

Status Session::RegisterRecordBatches(
    const std::string& name, std::shared_ptr<arrow::Schema> schema,
    std::vector<std::vector<std::shared_ptr<arrow::RecordBatch>>> partitions) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  if (schema == nullptr) {
    for (const auto& part : partitions) {
      if (!part.empty() && part.front()) {
        schema = part.front()->schema();
        break;
      }
    }
    if (schema == nullptr) {
      return Status::Invalid("cannot register '", name,
                             "': no schema given and no record batch to take it from");
    }
  }
  for (size_t p = 0; p < partitions.size(); ++p) {
    for (size_t b = 0; b < partitions[p].size(); ++b) {
      const auto& batch = partitions[p][b];
      if (batch == nullptr) {
        return Status::Invalid("cannot register '", name, "': batch ", b, " of partition ", p,
                               " is null");
      }
      bool same_types = batch->num_columns() == schema->num_fields();
      for (int c = 0; same_types && c < batch->num_columns(); ++c) {
        same_types = batch->column(c)->type()->Equals(*schema->field(c)->type());
      }
      if (!same_types) {
        return Status::Invalid("cannot register '", name, "': batch ", b, " of partition ", p,
                               " has schema (", batch->schema()->ToString(),
                               ") but the table schema is (", schema->ToString(), ")");
      }
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto table, MemoryTable::Make(std::move(schema), std::move(partitions)));
  return RegisterTable(name, std::move(table));
}

Status Session::RegisterStream(const std::string& name,
                               std::shared_ptr<arrow::RecordBatchReader> reader) {
  ARROW_RETURN_NOT_OK(CheckName(name));
  if (reader == nullptr) return Status::Invalid("cannot register '", name, "': no stream given");
  ARROW_ASSIGN_OR_RAISE(auto table, MakeStreamTable(name, std::move(reader)));
  return RegisterTable(name, std::move(table));
}

std::vector<std::string> Session::TableNames() const {
  std::vector<std::string> names;
  for (const auto& entry : state_->catalog().List()) {
    if (entry.catalog == Catalog::kDefaultCatalog && entry.schema == Catalog::kDefaultSchema) {
      names.push_back(entry.name);
    } else {
      names.push_back(entry.catalog + "." + entry.schema + "." + entry.name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::shared_ptr<arrow::Schema>> Session::TableSchema(const std::string& name) const {
  ARROW_RETURN_NOT_OK(CheckName(name));
  ARROW_ASSIGN_OR_RAISE(auto entry, state_->catalog().Lookup({name}));
  if (entry.table) return entry.table->schema();
  // A view: bind its query (without running it) to learn the schema.
  std::string sql = "SELECT * FROM " + QuoteIdentifier(entry.catalog) + "." +
                    QuoteIdentifier(entry.schema) + "." + QuoteIdentifier(entry.name);
  return const_cast<Session*>(this)->QuerySchema(sql);
}

Result<std::shared_ptr<arrow::Schema>> Session::QuerySchema(std::string_view sql) {
  ARROW_ASSIGN_OR_RAISE(auto statements, ParseSql(sql));
  if (statements.size() != 1 || statements[0]->kind != ast::StatementKind::kSelect) {
    return Status::Invalid("expected a single SELECT statement, got ", statements.size(),
                           statements.size() == 1 ? " other statement" : " statements");
  }
  const auto& select = static_cast<const ast::SelectStatement&>(*statements[0]);
  std::lock_guard<std::mutex> lock(state_->statement_mutex());
  BinderContext context;
  context.catalog = &state_->catalog();
  context.settings = &state_->settings();
  context.sql = sql;
  if (state_->settings().GetBool("shoal.runtime.allow_url_tables")) {
    context.open_path = [](const std::string& path) { return OpenPathAsTable(path); };
  }
  const Catalog* catalog = &state_->catalog();
  context.table_function = [catalog](const std::string& name,
                                     const std::vector<std::shared_ptr<arrow::Scalar>>& args) {
    return CallTableFunction(name, args, catalog);
  };
  Binder binder(std::move(context));
  ARROW_ASSIGN_OR_RAISE(auto plan, binder.BindQuery(*select.query));
  arrow::FieldVector fields;
  for (const auto& column : plan->output) {
    fields.push_back(arrow::field(column.name, column.type, column.nullable));
  }
  return arrow::schema(std::move(fields));
}

Settings& Session::settings() { return state_->settings(); }

void Session::Interrupt() { state_->Interrupt(); }

}  // namespace shoal
