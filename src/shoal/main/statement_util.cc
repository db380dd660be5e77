#include "shoal/main/statement_util.h"

#include <arrow/scalar.h>

#include "shoal/common/strings.h"
#include "shoal/delta/table_functions.h"
#include "shoal/io/csv_table.h"
#include "shoal/io/ipc_table.h"
#include "shoal/io/json_table.h"
#include "shoal/io/parquet_table.h"
#include "shoal/parser/parser.h"

namespace shoal {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<std::shared_ptr<TableProvider>> OpenPathAsTable(const std::string& path) {
  std::string p = ToLower(path);
  if (EndsWith(p, ".parquet") || EndsWith(p, ".parq")) return MakeParquetTable(path);
  if (EndsWith(p, ".csv") || EndsWith(p, ".csv.gz") || EndsWith(p, ".tsv")) {
    CsvOptions opts;
    if (EndsWith(p, ".tsv")) opts.delimiter = '\t';
    return MakeCsvTable(path, opts);
  }
  if (EndsWith(p, ".json") || EndsWith(p, ".ndjson") || EndsWith(p, ".jsonl")) {
    return MakeJsonTable(path);
  }
  if (EndsWith(p, ".arrow") || EndsWith(p, ".feather") || EndsWith(p, ".ipc")) {
    return MakeIpcTable(path);
  }
  return Status::Invalid("cannot tell the format of '", path,
                         "' from its extension (.parquet, .csv, .tsv, .json, .ndjson, .arrow); "
                         "use read_parquet('...'), read_csv('...') or CREATE EXTERNAL TABLE");
}

Result<std::shared_ptr<TableProvider>> CallTableFunction(
    const std::string& name, const std::vector<std::shared_ptr<arrow::Scalar>>& args,
    const Catalog* catalog) {
  static const char* kNames[] = {"read_parquet", "read_csv", "read_json", "read_ndjson",
                                 "read_ipc", "read_arrow"};
  if (delta::IsDeltaTableFunction(name)) return delta::CallDeltaTableFunction(name, args, catalog);
  bool known = false;
  for (const char* n : kNames) known = known || name == n;
  if (!known) {
    std::vector<std::string> names(std::begin(kNames), std::end(kNames));
    for (const auto& n : delta::DeltaTableFunctionNames()) names.push_back(n);
    std::string msg = "table function '" + name + "' does not exist";
    auto close = ClosestMatches(name, names, 2);
    if (!close.empty()) msg += "; did you mean " + JoinQuoted(close, " or ") + "?";
    return Status::Invalid(msg);
  }
  if (args.size() != 1 || !args[0]->is_valid ||
      (args[0]->type->id() != arrow::Type::STRING && args[0]->type->id() != arrow::Type::LARGE_STRING)) {
    return Status::Invalid(name, "() takes one string argument: the path");
  }
  std::string path = args[0]->ToString();
  if (name == "read_parquet") return MakeParquetTable(path);
  if (name == "read_csv") return MakeCsvTable(path, CsvOptions{});
  if (name == "read_json" || name == "read_ndjson") return MakeJsonTable(path);
  return MakeIpcTable(path);
}

Result<std::unique_ptr<ast::Query>> ParseQueryText(const std::string& text) {
  ARROW_ASSIGN_OR_RAISE(auto stmts, ParseSql(text));
  if (stmts.size() != 1 || stmts[0]->kind != ast::StatementKind::kSelect) {
    return Status::Invalid("expected exactly one query in: ", text);
  }
  return std::move(static_cast<ast::SelectStatement&>(*stmts[0]).query);
}

std::string QuoteQualifiedName(const ast::QualifiedName& name) {
  std::string out;
  for (size_t i = 0; i < name.parts.size(); ++i) {
    if (i) out += ".";
    std::string part = name.parts[i].name;
    std::string escaped;
    for (char c : part) {
      if (c == '"') escaped += '"';
      escaped += c;
    }
    out += "\"" + escaped + "\"";
  }
  return out;
}

}  // namespace shoal
