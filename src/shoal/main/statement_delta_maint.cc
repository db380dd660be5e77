// SQL maintenance of Delta tables: DESCRIBE HISTORY, ALTER TABLE (ADD COLUMNS,
// SET / UNSET TBLPROPERTIES, ADD / DROP CONSTRAINT), RESTORE, OPTIMIZE, VACUUM,
// FSCK REPAIR. The protocol work is delta/maintenance.h; this file resolves the
// table (a registered Delta table or a quoted path), turns SQL into options,
// shapes the result rows and refreshes the catalog entry afterwards.
#include <arrow/builder.h>
#include <arrow/table.h>

#include "shoal/common/strings.h"
#include "shoal/delta/arrow_engine.h"
#include "shoal/delta/delta_table.h"
#include "shoal/delta/json.h"
#include "shoal/delta/maintenance.h"
#include "shoal/delta/schema.h"
#include "shoal/delta/snapshot.h"
#include "shoal/main/delta_expression_evaluator.h"
#include "shoal/main/query_result.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/parser/printer.h"
#include "shoal/planner/binder.h"

namespace shoal {

namespace {

using Op = ast::DeltaMaintenanceStatement::Op;
using delta::JsonValue;

bool FoldIdents(SessionState* state) {
  return state->settings().GetBool("shoal.sql.enable_ident_normalization");
}

/// The Delta table a statement names: its location, and the catalog entry to
/// refresh afterwards (when it was given by name).
struct ResolvedDelta {
  delta::TableLocation location;
  std::vector<std::string> name;  ///< empty for a path
  std::shared_ptr<delta::DeltaTableProvider> provider;
};

Result<ResolvedDelta> ResolveDelta(SessionState* state, const ast::QualifiedName& table,
                                   const std::optional<std::string>& path, const char* what) {
  ResolvedDelta out;
  if (path) {
    ARROW_ASSIGN_OR_RAISE(out.location, delta::ResolveTableLocation(*path));
    return out;
  }
  out.name = FoldName(table, FoldIdents(state));
  std::string qualified = Join(out.name, ".");
  ARROW_ASSIGN_OR_RAISE(auto entry, state->catalog().Lookup(out.name));
  out.provider = std::dynamic_pointer_cast<delta::DeltaTableProvider>(entry.table);
  if (!out.provider) {
    return Status::Invalid(what, " needs a Delta table; '", qualified, "' is not one");
  }
  const auto& opened = out.provider->options();
  if (opened.spec.version || opened.spec.timestamp_ms) {
    return Status::Invalid(what, " cannot change '", qualified,
                           "': it was registered at a fixed version or timestamp (time travel)");
  }
  out.location.fs = out.provider->filesystem();
  out.location.root = out.provider->snapshot()->table_root();
  return out;
}

/// Re-register a table given by name at its new version.
Status Refresh(SessionState* state, const ResolvedDelta& table) {
  if (table.name.empty() || !table.provider) return Status::OK();
  delta::DeltaTableOptions reopen = table.provider->options();
  reopen.filesystem = table.provider->filesystem();
  ARROW_ASSIGN_OR_RAISE(auto fresh, delta::DeltaTableProvider::Make(table.location.root, reopen));
  return state->catalog().RegisterTable(table.name, fresh, /*replace=*/true);
}

std::string MetricsJson(const std::map<std::string, int64_t>& metrics) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : metrics) {
    if (!first) out += ",";
    first = false;
    out += "\"" + k + "\":" + std::to_string(v);
  }
  return out + "}";
}

/// One row per metric (and one per file for VACUUM / FSCK).
Result<std::shared_ptr<QueryResult>> MetricsResult(const delta::MaintenanceResult& r,
                                                   const std::string& kind) {
  arrow::Int64Builder version;
  arrow::StringBuilder op, metrics;
  ARROW_RETURN_NOT_OK(r.version >= 0 ? version.Append(r.version) : version.AppendNull());
  ARROW_RETURN_NOT_OK(op.Append(r.operation));
  ARROW_RETURN_NOT_OK(metrics.Append(MetricsJson(r.metrics)));
  std::shared_ptr<arrow::Array> a, b, c;
  ARROW_RETURN_NOT_OK(version.Finish(&a));
  ARROW_RETURN_NOT_OK(op.Finish(&b));
  ARROW_RETURN_NOT_OK(metrics.Finish(&c));
  auto schema = arrow::schema({arrow::field("version", arrow::int64()),
                               arrow::field("operation", arrow::utf8()),
                               arrow::field("metrics", arrow::utf8())});
  return MakeTableResult(arrow::Table::Make(schema, {a, b, c}), kind);
}

Result<std::shared_ptr<QueryResult>> FilesResult(const delta::MaintenanceResult& r,
                                                 const std::string& kind) {
  arrow::StringBuilder path;
  for (const auto& f : r.files) ARROW_RETURN_NOT_OK(path.Append(f));
  std::shared_ptr<arrow::Array> a;
  ARROW_RETURN_NOT_OK(path.Finish(&a));
  return MakeTableResult(
      arrow::Table::Make(arrow::schema({arrow::field("path", arrow::utf8())}), {a}), kind);
}

std::string Text(const JsonValue* v) {
  if (!v) return std::string();
  return v->is_string() ? v->text() : v->ToJson();
}

}  // namespace

Result<std::shared_ptr<QueryResult>> DescribeDeltaHistory(SessionState* state,
                                                          const ast::DescribeStatement& st) {
  ARROW_ASSIGN_OR_RAISE(auto table, ResolveDelta(state, st.table, std::nullopt,
                                                 "DESCRIBE HISTORY"));
  auto engine = delta::MakeArrowEngine(table.location.fs);
  if (st.history_limit && *st.history_limit < 0) {
    return Status::Invalid("DESCRIBE HISTORY LIMIT must not be negative");
  }
  ARROW_ASSIGN_OR_RAISE(auto history,
                        delta::ReadHistory(*engine, table.location.root, st.history_limit));
  arrow::Int64Builder version, read_version;
  arrow::TimestampBuilder ts(arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"),
                             arrow::default_memory_pool());
  arrow::StringBuilder op, params, isolation, metrics, engine_info, user_metadata;
  arrow::BooleanBuilder blind;
  auto str = [](arrow::StringBuilder* b, const JsonValue* v) -> Status {
    return v ? b->Append(Text(v)) : b->AppendNull();
  };
  for (const auto& c : history) {
    ARROW_RETURN_NOT_OK(version.Append(c.version));
    ARROW_RETURN_NOT_OK(ts.Append(c.timestamp_ms));
    const JsonValue* info = c.commit_info ? &*c.commit_info : nullptr;
    auto find = [&](const char* k) -> const JsonValue* { return info ? info->Find(k) : nullptr; };
    ARROW_RETURN_NOT_OK(str(&op, find("operation")));
    ARROW_RETURN_NOT_OK(str(&params, find("operationParameters")));
    const JsonValue* rv = find("readVersion");
    auto rvi = rv ? rv->AsInt64() : std::nullopt;
    ARROW_RETURN_NOT_OK(rvi ? read_version.Append(*rvi) : read_version.AppendNull());
    ARROW_RETURN_NOT_OK(str(&isolation, find("isolationLevel")));
    const JsonValue* ba = find("isBlindAppend");
    ARROW_RETURN_NOT_OK(ba && ba->is_bool() ? blind.Append(ba->bool_value()) : blind.AppendNull());
    ARROW_RETURN_NOT_OK(str(&metrics, find("operationMetrics")));
    const JsonValue* ei = find("engineInfo");
    if (!ei) ei = find("clientVersion");
    ARROW_RETURN_NOT_OK(str(&engine_info, ei));
    ARROW_RETURN_NOT_OK(str(&user_metadata, find("userMetadata")));
  }
  std::vector<std::shared_ptr<arrow::Array>> cols(10);
  ARROW_RETURN_NOT_OK(version.Finish(&cols[0]));
  ARROW_RETURN_NOT_OK(ts.Finish(&cols[1]));
  ARROW_RETURN_NOT_OK(op.Finish(&cols[2]));
  ARROW_RETURN_NOT_OK(params.Finish(&cols[3]));
  ARROW_RETURN_NOT_OK(read_version.Finish(&cols[4]));
  ARROW_RETURN_NOT_OK(isolation.Finish(&cols[5]));
  ARROW_RETURN_NOT_OK(blind.Finish(&cols[6]));
  ARROW_RETURN_NOT_OK(metrics.Finish(&cols[7]));
  ARROW_RETURN_NOT_OK(engine_info.Finish(&cols[8]));
  ARROW_RETURN_NOT_OK(user_metadata.Finish(&cols[9]));
  auto schema = arrow::schema({arrow::field("version", arrow::int64()),
                               arrow::field("timestamp", cols[1]->type()),
                               arrow::field("operation", arrow::utf8()),
                               arrow::field("operationParameters", arrow::utf8()),
                               arrow::field("readVersion", arrow::int64()),
                               arrow::field("isolationLevel", arrow::utf8()),
                               arrow::field("isBlindAppend", arrow::boolean()),
                               arrow::field("operationMetrics", arrow::utf8()),
                               arrow::field("engineInfo", arrow::utf8()),
                               arrow::field("userMetadata", arrow::utf8())});
  return MakeTableResult(arrow::Table::Make(schema, cols), "DESCRIBE");
}

Result<std::shared_ptr<QueryResult>> ExecuteDeltaMaintenance(SessionState* state,
                                                             std::string_view sql,
                                                             const ast::Statement& stmt) {
  const auto& st = static_cast<const ast::DeltaMaintenanceStatement&>(stmt);
  bool fold = FoldIdents(state);
  auto ident = [&](const ast::Identifier& id) {
    return fold && !id.quoted ? ToLower(id.name) : id.name;
  };
  static const char* kWhat[] = {"ALTER TABLE", "ALTER TABLE", "ALTER TABLE", "ALTER TABLE",
                                "ALTER TABLE", "RESTORE", "OPTIMIZE", "VACUUM", "FSCK"};
  const char* what = kWhat[static_cast<int>(st.op)];
  ARROW_ASSIGN_OR_RAISE(auto table, ResolveDelta(state, st.table, st.path, what));
  auto evaluator = MakeDeltaExpressionEvaluator();
  delta::MaintenanceResult result;
  std::string kind = what;
  auto run = [&]() -> Status {
    switch (st.op) {
      case Op::kAddColumns:
      case Op::kSetProperties:
      case Op::kUnsetProperties:
      case Op::kAddConstraint:
      case Op::kDropConstraint: {
        using K = delta::AlterTableChange::Kind;
        delta::AlterTableChange change;
        change.if_exists = st.if_exists;
        if (st.op == Op::kAddColumns) {
          change.kind = K::kAddColumns;
          Binder binder(BinderContext{&state->catalog(), &state->settings(), sql, nullptr,
                                      nullptr});
          for (const auto& c : st.columns) {
            ARROW_ASSIGN_OR_RAISE(auto type, binder.BindType(c.type));
            if (c.not_null) {
              return Status::Invalid("ALTER TABLE ADD COLUMNS: column '", ident(c.name),
                                     "' cannot be NOT NULL (existing rows would be null)");
            }
            change.columns.push_back(arrow::field(ident(c.name), type, true));
          }
        } else if (st.op == Op::kSetProperties) {
          change.kind = K::kSetProperties;
          for (const auto& p : st.properties) change.properties[p.key] = p.value;
        } else if (st.op == Op::kUnsetProperties) {
          change.kind = K::kUnsetProperties;
          change.keys = st.keys;
        } else if (st.op == Op::kAddConstraint) {
          change.kind = K::kAddConstraint;
          change.constraint_name = st.constraint_name.name;
          change.expression = ToSql(*st.expr);
        } else {
          change.kind = K::kDropConstraint;
          change.constraint_name = st.constraint_name.name;
        }
        ARROW_ASSIGN_OR_RAISE(result, delta::AlterTable(table.location, change, evaluator.get()));
        return Status::OK();
      }
      case Op::kRestore: {
        delta::SnapshotSpec spec;
        if (st.version) {
          spec.version = *st.version;
        } else {
          auto us = delta::ParseTimestampMicros(*st.timestamp);
          if (!us) {
            return Status::Invalid("RESTORE: '", *st.timestamp,
                                   "' is not a timestamp such as '2026-01-01 00:00:00'");
          }
          spec.timestamp_ms = *us >= 0 ? *us / 1000 : -((-*us + 999) / 1000);
        }
        ARROW_ASSIGN_OR_RAISE(result, delta::RestoreTable(table.location, spec));
        return Status::OK();
      }
      case Op::kOptimize: {
        delta::OptimizeOptions options;
        if (st.expr) options.partition_predicate = ToSql(*st.expr);
        for (const auto& c : st.zorder_by) options.zorder_by.push_back(ident(c));
        options.evaluator = evaluator.get();
        options.target_size = state->settings().GetInt("shoal.delta.optimize_target_size");
        ARROW_ASSIGN_OR_RAISE(result, delta::OptimizeTable(table.location, options));
        return Status::OK();
      }
      case Op::kVacuum: {
        delta::VacuumOptions options;
        options.retention_hours = st.retain_hours;
        options.dry_run = st.dry_run;
        options.enforce_retention =
            state->settings().GetBool("shoal.delta.vacuum_retention_check");
        ARROW_ASSIGN_OR_RAISE(result, delta::VacuumTable(table.location, options));
        return Status::OK();
      }
      case Op::kFsck: {
        ARROW_ASSIGN_OR_RAISE(result, delta::RepairTable(table.location, st.dry_run));
        return Status::OK();
      }
    }
    return Status::Invalid("unknown maintenance statement");
  };
  Status status = run();
  if (!status.ok()) {
    std::string target = table.name.empty() ? table.location.root : Join(table.name, ".");
    return status.WithMessage(what, " ", target, ": ", status.message());
  }
  if (result.version >= 0) ARROW_RETURN_NOT_OK(Refresh(state, table));
  if (st.op == Op::kVacuum || st.op == Op::kFsck) return FilesResult(result, kind);
  return MetricsResult(result, kind);
}

}  // namespace shoal
