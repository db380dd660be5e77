// SQL writes to Delta tables: CREATE TABLE ... USING DELTA LOCATION '...'
// [PARTITIONED BY] [TBLPROPERTIES] [AS query], INSERT INTO / INSERT OVERWRITE of
// a registered Delta table. Query results stream into delta::WriteDeltaTable
// batch by batch; the catalog entry is refreshed to the new version afterwards.
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <arrow/util/key_value_metadata.h>

#include "shoal/common/source_error.h"
#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/delta_table.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/function/function_catalog.h"
#include "shoal/main/delta_expression_evaluator.h"
#include "shoal/main/query_result.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/parser/printer.h"
#include "shoal/planner/binder.h"

namespace shoal {

namespace {

bool FoldIdents(SessionState* state) {
  return state->settings().GetBool("shoal.sql.enable_ident_normalization");
}

std::string FoldIdent(const ast::Identifier& id, bool fold) {
  return fold && !id.quoted ? ToLower(id.name) : id.name;
}

/// Reads a query's batches and shapes them to a target schema by position:
/// `sources[i]` is the input column of target column i (-1: all nulls); values
/// are cast with Shoal's casts.
class PositionalReader : public arrow::RecordBatchReader {
 public:
  PositionalReader(std::shared_ptr<arrow::RecordBatchReader> input,
                   std::shared_ptr<arrow::Schema> target, std::vector<int> sources,
                   std::string table_name)
      : input_(std::move(input)),
        target_(std::move(target)),
        sources_(std::move(sources)),
        table_name_(std::move(table_name)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return target_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(input_->ReadNext(&batch));
    if (!batch) {
      *out = nullptr;
      return Status::OK();
    }
    arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                    FunctionCatalog::Get().registry());
    arrow::ArrayVector cols;
    for (int i = 0; i < target_->num_fields(); ++i) {
      const auto& f = target_->field(i);
      if (sources_[i] < 0) {
        ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(f->type(), batch->num_rows()));
        cols.push_back(std::move(nulls));
        continue;
      }
      auto col = batch->column(sources_[i]);
      if (!col->type()->Equals(*f->type())) {
        auto casted = arrow::compute::Cast(*col, f->type(), arrow::compute::CastOptions::Safe(),
                                           &ctx);
        if (!casted.ok()) {
          return Status::Invalid("cannot insert column ", sources_[i] + 1, " of type ",
                                 ArrowTypeToSql(*col->type()), " into column '", f->name(),
                                 "' of type ", ArrowTypeToSql(*f->type()), " of '", table_name_,
                                 "': ", casted.status().message());
        }
        col = *casted;
      }
      cols.push_back(std::move(col));
    }
    *out = arrow::RecordBatch::Make(target_, batch->num_rows(), std::move(cols));
    return Status::OK();
  }

  Status Close() override { return input_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  std::shared_ptr<arrow::Schema> target_;
  std::vector<int> sources_;
  std::string table_name_;
};

std::shared_ptr<QueryResult> CountResult(int64_t rows, const std::string& kind) {
  arrow::Int64Builder b;
  (void)b.Append(rows);
  std::shared_ptr<arrow::Array> arr;
  (void)b.Finish(&arr);
  return MakeTableResult(
      arrow::Table::Make(arrow::schema({arrow::field("count", arrow::int64())}), {arr}), kind);
}

Result<std::shared_ptr<arrow::RecordBatchReader>> RunQueryStream(SessionState* state,
                                                                 std::string_view sql,
                                                                 const ast::Query& query) {
  ARROW_ASSIGN_OR_RAISE(auto result, RunQueryStatement(state, sql, query, /*stream=*/true));
  return std::static_pointer_cast<arrow::RecordBatchReader>(result);
}

/// Return a reader that yields `reader`'s rows shaped to `target` by position.
Result<std::shared_ptr<arrow::RecordBatchReader>> ShapeByPosition(
    std::shared_ptr<arrow::RecordBatchReader> reader, std::shared_ptr<arrow::Schema> target,
    const std::string& table_name) {
  int n = reader->schema()->num_fields();
  if (n != target->num_fields()) {
    return Status::Invalid("INSERT into '", table_name, "' expects ", target->num_fields(),
                           " columns but the query produces ", n);
  }
  std::vector<int> sources(n);
  for (int i = 0; i < n; ++i) sources[i] = i;
  return std::make_shared<PositionalReader>(std::move(reader), std::move(target),
                                            std::move(sources), table_name);
}

Status RegisterDelta(SessionState* state, const std::vector<std::string>& name,
                     const std::string& location, const delta::DeltaTableOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto provider, delta::DeltaTableProvider::Make(location, options));
  return state->catalog().RegisterTable(name, provider, /*replace=*/true);
}

}  // namespace

Result<std::shared_ptr<QueryResult>> CreateDeltaTable(SessionState* state, std::string_view sql,
                                                      const ast::CreateTableStatement& st) {
  bool fold = FoldIdents(state);
  auto name = FoldName(st.name, fold);
  std::string qualified = Join(name, ".");
  if (!st.location) {
    return SourceError(sql, st.loc.offset,
                       "CREATE TABLE ... USING DELTA needs LOCATION 'path' (where the table's "
                       "files and _delta_log go)");
  }
  if (st.temporary) return Status::Invalid("a Delta table cannot be TEMPORARY");
  if (state->catalog().Exists(name)) {
    if (st.if_not_exists) return MakeTableResult(nullptr, "CREATE TABLE");
    if (!st.or_replace) {
      return SourceError(sql, st.name.loc().offset, "table '" + qualified + "' already exists");
    }
  }
  std::shared_ptr<arrow::Schema> declared;
  if (!st.columns.empty()) {
    Binder binder(BinderContext{&state->catalog(), &state->settings(), sql, nullptr, nullptr});
    arrow::FieldVector fields;
    for (const auto& c : st.columns) {
      if (c.default_value) {
        return SourceError(sql, c.loc.offset,
                           "DEFAULT values are not supported on Delta tables yet (a generated "
                           "column, GENERATED ALWAYS AS (expr), is)");
      }
      ARROW_ASSIGN_OR_RAISE(auto type, binder.BindType(c.type));
      std::string col = FoldIdent(c.name, fold);
      for (const auto& f : fields) {
        if (f->name() == col) {
          return SourceError(sql, c.loc.offset, "column '" + col + "' is declared twice");
        }
      }
      std::shared_ptr<const arrow::KeyValueMetadata> meta;
      if (c.generated) {
        meta = arrow::key_value_metadata({delta::kGenerationExpressionKey},
                                         {ToSql(*c.generated)});
      }
      fields.push_back(arrow::field(col, type, !c.not_null, std::move(meta)));
    }
    declared = arrow::schema(fields);
  }
  delta::DeltaWriteOptions options;
  for (const auto& p : st.partitioned_by) options.partition_by.push_back(FoldIdent(p, fold));
  for (const auto& p : st.properties) options.configuration[p.key] = p.value;
  for (size_t i = 0; i < st.checks.size(); ++i) {
    std::string cname = st.checks[i].first.empty() ? "check_" + std::to_string(i + 1)
                                                   : ToLower(st.checks[i].first);
    options.configuration["delta.constraints." + cname] = ToSql(*st.checks[i].second);
  }
  options.evaluator = MakeDeltaExpressionEvaluator();
  options.name = name.back();
  options.mode = st.or_replace ? delta::SaveMode::kOverwrite : delta::SaveMode::kError;
  std::shared_ptr<arrow::RecordBatchReader> reader;
  if (st.as_query) {
    ARROW_ASSIGN_OR_RAISE(reader, RunQueryStream(state, sql, *st.as_query));
    if (declared) {
      ARROW_ASSIGN_OR_RAISE(reader, ShapeByPosition(reader, declared, qualified));
    }
    options.operation = st.or_replace ? "CREATE OR REPLACE TABLE AS SELECT"
                                      : "CREATE TABLE AS SELECT";
  } else if (declared) {
    ARROW_ASSIGN_OR_RAISE(reader, arrow::RecordBatchReader::Make({}, declared));
    options.operation = st.or_replace ? "CREATE OR REPLACE TABLE" : "CREATE TABLE";
  }
  if (!reader) {
    // CREATE TABLE t USING DELTA LOCATION 'p': register the existing table.
    Status registered = RegisterDelta(state, name, *st.location, {});
    if (!registered.ok()) {
      return registered.WithMessage("CREATE TABLE ", qualified, ": ", registered.message());
    }
    return MakeTableResult(nullptr, "CREATE TABLE");
  }
  auto written = delta::WriteDeltaTable(*st.location, reader, options);
  if (!written.ok()) {
    return written.status().WithMessage("CREATE TABLE ", qualified, ": ",
                                        written.status().message());
  }
  ARROW_RETURN_NOT_OK(RegisterDelta(state, name, *st.location, {}));
  return MakeTableResult(nullptr, "CREATE TABLE");
}

Result<std::shared_ptr<QueryResult>> InsertIntoDelta(SessionState* state, std::string_view sql,
                                                     const ast::InsertStatement& st,
                                                     const std::vector<std::string>& name,
                                                     const std::shared_ptr<TableProvider>& table) {
  std::string qualified = Join(name, ".");
  auto provider = std::dynamic_pointer_cast<delta::DeltaTableProvider>(table);
  if (!provider) return Status::Invalid("'", qualified, "' is not a Delta table");
  const auto& opened = provider->options();
  if (opened.spec.version || opened.spec.timestamp_ms) {
    return Status::Invalid("cannot INSERT into '", qualified,
                           "': it was registered at a fixed version or timestamp (time travel)");
  }
  bool fold = FoldIdents(state);
  auto target = provider->snapshot()->schema();
  ARROW_ASSIGN_OR_RAISE(auto input, RunQueryStream(state, sql, *st.query));
  std::shared_ptr<arrow::RecordBatchReader> reader;
  if (st.columns.empty()) {
    ARROW_ASSIGN_OR_RAISE(reader, ShapeByPosition(input, target, qualified));
  } else {
    if (st.columns.size() != static_cast<size_t>(input->schema()->num_fields())) {
      return SourceError(sql, st.loc.offset,
                         "INSERT names " + std::to_string(st.columns.size()) +
                             " columns but the query produces " +
                             std::to_string(input->schema()->num_fields()));
    }
    std::vector<int> sources(target->num_fields(), -1);
    for (size_t i = 0; i < st.columns.size(); ++i) {
      std::string col = FoldIdent(st.columns[i], fold);
      int idx = target->GetFieldIndex(col);
      if (idx < 0) {
        return SourceError(sql, st.columns[i].loc.offset,
                           "column '" + col + "' does not exist in '" + qualified + "'");
      }
      sources[idx] = static_cast<int>(i);
    }
    reader = std::make_shared<PositionalReader>(input, target, std::move(sources), qualified);
  }
  delta::DeltaWriteOptions options;
  options.mode = st.overwrite ? delta::SaveMode::kOverwrite : delta::SaveMode::kAppend;
  options.evaluator = MakeDeltaExpressionEvaluator();
  if (st.replace_where) {
    // INSERT INTO t REPLACE WHERE pred SELECT ...: replaceWhere overwrite.
    options.mode = delta::SaveMode::kOverwrite;
    options.predicate = ToSql(*st.replace_where);
  }
  options.filesystem = provider->filesystem();
  options.operation = "WRITE";
  const std::string& root = provider->snapshot()->table_root();
  auto written = delta::WriteDeltaTable(root, reader, options);
  if (!written.ok()) {
    return written.status().WithMessage("INSERT into '", qualified, "': ",
                                        written.status().message());
  }
  // Refresh the catalog entry to the new version, keeping how the table was opened.
  delta::DeltaTableOptions reopen = opened;
  reopen.filesystem = provider->filesystem();
  ARROW_ASSIGN_OR_RAISE(auto fresh, delta::DeltaTableProvider::Make(root, reopen));
  ARROW_RETURN_NOT_OK(state->catalog().RegisterTable(name, fresh, /*replace=*/true));
  return CountResult(written->num_rows, "INSERT");
}

}  // namespace shoal
