#include "shoal/delta/table_functions.h"

#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/catalog/catalog.h"
#include "shoal/common/strings.h"
#include "shoal/delta/arrow_engine.h"
#include "shoal/delta/change_feed_table.h"
#include "shoal/delta/delta_table.h"
#include "shoal/delta/snapshot_reuse.h"
#include "shoal/delta/stats.h"
#include "shoal/io/file_listing.h"
#include "shoal/io/memory_table.h"

namespace shoal::delta {

namespace {

std::string JsonStringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + JsonQuote(items[i]);
  return out + "]";
}

template <typename Map>
std::string JsonStringMap(const Map& m) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    out += (first ? "" : ",") + JsonQuote(k) + ":";
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::optional<std::string>>) {
      out += v ? JsonQuote(*v) : "null";
    } else {
      out += JsonQuote(v);
    }
    first = false;
  }
  return out + "}";
}

struct Args {
  std::string path;
  std::optional<int64_t> number;
};

Result<Args> ParseArgs(const std::string& name, const std::vector<std::shared_ptr<arrow::Scalar>>& args,
                       const char* second) {
  auto is_string = [](const arrow::Scalar& s) {
    return s.is_valid &&
           (s.type->id() == arrow::Type::STRING || s.type->id() == arrow::Type::LARGE_STRING);
  };
  if (args.empty() || args.size() > 2 || !is_string(*args[0]) ||
      (args.size() == 2 && (!args[1]->is_valid || !arrow::is_integer(args[1]->type->id())))) {
    return Status::Invalid(name, "() takes the table path and optionally an integer ", second);
  }
  Args out;
  out.path = args[0]->ToString();
  if (args.size() == 2) {
    ARROW_ASSIGN_OR_RAISE(auto v, args[1]->CastTo(arrow::int64()));
    out.number = static_cast<const arrow::Int64Scalar&>(*v).value;
  }
  return out;
}

Result<std::shared_ptr<TableProvider>> OneBatchTable(std::shared_ptr<arrow::Schema> schema,
                                                     std::vector<std::shared_ptr<arrow::Array>> cols) {
  int64_t rows = cols.empty() ? 0 : cols[0]->length();
  auto batch = arrow::RecordBatch::Make(schema, rows, std::move(cols));
  ARROW_ASSIGN_OR_RAISE(auto table, MemoryTable::Make(schema, {{batch}}));
  return std::static_pointer_cast<TableProvider>(table);
}

Result<std::shared_ptr<TableProvider>> SnapshotInfo(const Args& a) {
  // The snapshot stays remembered for the next call on the table (binding twice,
  // create_checkpoint after opening a DeltaTable): snapshot_reuse.h.
  auto snapshot = FindRememberedSnapshot(a.path, a.number);
  if (!snapshot) {
    DeltaTableOptions options;
    options.spec.version = a.number;
    ARROW_ASSIGN_OR_RAISE(auto table, DeltaTableProvider::Make(a.path, options));
    snapshot = table->snapshot();
    RememberSnapshot(a.path, snapshot);
  }
  const auto& s = *snapshot;
  const auto& p = s.protocol();
  const auto& m = s.metadata();
  arrow::Int64Builder version, ts, reader, writer, created;
  arrow::StringBuilder rf, wf, id, name, desc, schema, parts, conf;
  ARROW_RETURN_NOT_OK(version.Append(s.version()));
  ARROW_RETURN_NOT_OK(ts.Append(s.timestamp_ms()));
  ARROW_RETURN_NOT_OK(reader.Append(p.min_reader_version));
  ARROW_RETURN_NOT_OK(writer.Append(p.min_writer_version));
  ARROW_RETURN_NOT_OK(p.reader_features ? rf.Append(JsonStringList(*p.reader_features)) : rf.AppendNull());
  ARROW_RETURN_NOT_OK(p.writer_features ? wf.Append(JsonStringList(*p.writer_features)) : wf.AppendNull());
  ARROW_RETURN_NOT_OK(id.Append(m.id));
  ARROW_RETURN_NOT_OK(m.name ? name.Append(*m.name) : name.AppendNull());
  ARROW_RETURN_NOT_OK(m.description ? desc.Append(*m.description) : desc.AppendNull());
  ARROW_RETURN_NOT_OK(schema.Append(m.schema_string));
  ARROW_RETURN_NOT_OK(parts.Append(JsonStringList(m.partition_columns)));
  ARROW_RETURN_NOT_OK(conf.Append(JsonStringMap(m.configuration)));
  ARROW_RETURN_NOT_OK(m.created_time ? created.Append(*m.created_time) : created.AppendNull());
  std::vector<std::shared_ptr<arrow::Array>> cols(13);
  ARROW_RETURN_NOT_OK(version.Finish(&cols[0]));
  ARROW_RETURN_NOT_OK(ts.Finish(&cols[1]));
  ARROW_RETURN_NOT_OK(reader.Finish(&cols[2]));
  ARROW_RETURN_NOT_OK(writer.Finish(&cols[3]));
  ARROW_RETURN_NOT_OK(rf.Finish(&cols[4]));
  ARROW_RETURN_NOT_OK(wf.Finish(&cols[5]));
  ARROW_RETURN_NOT_OK(id.Finish(&cols[6]));
  ARROW_RETURN_NOT_OK(name.Finish(&cols[7]));
  ARROW_RETURN_NOT_OK(desc.Finish(&cols[8]));
  ARROW_RETURN_NOT_OK(schema.Finish(&cols[9]));
  ARROW_RETURN_NOT_OK(parts.Finish(&cols[10]));
  ARROW_RETURN_NOT_OK(conf.Finish(&cols[11]));
  ARROW_RETURN_NOT_OK(created.Finish(&cols[12]));
  auto out_schema = arrow::schema(
      {arrow::field("version", arrow::int64()), arrow::field("timestamp_ms", arrow::int64()),
       arrow::field("min_reader_version", arrow::int64()),
       arrow::field("min_writer_version", arrow::int64()),
       arrow::field("reader_features", arrow::utf8()), arrow::field("writer_features", arrow::utf8()),
       arrow::field("id", arrow::utf8()), arrow::field("name", arrow::utf8()),
       arrow::field("description", arrow::utf8()), arrow::field("schema_string", arrow::utf8()),
       arrow::field("partition_columns", arrow::utf8()), arrow::field("configuration", arrow::utf8()),
       arrow::field("created_time", arrow::int64())});
  return OneBatchTable(out_schema, std::move(cols));
}

Result<std::shared_ptr<TableProvider>> Files(const Args& a) {
  DeltaTableOptions options;
  options.spec.version = a.number;
  ARROW_ASSIGN_OR_RAISE(auto table, DeltaTableProvider::Make(a.path, options));
  const auto& s = *table->snapshot();
  arrow::StringBuilder path, parts, stats, dv;
  arrow::Int64Builder size, mtime, records;
  for (const auto& f : s.files()) {
    ARROW_RETURN_NOT_OK(path.Append(DecodeActionPath(f.path)));
    ARROW_RETURN_NOT_OK(size.Append(f.size));
    ARROW_RETURN_NOT_OK(mtime.Append(f.modification_time));
    ARROW_RETURN_NOT_OK(parts.Append(JsonStringMap(f.partition_values)));
    std::optional<int64_t> n;
    if (f.stats_parsed) n = f.stats_parsed->num_records;
    if (!n && f.stats) {
      auto parsed = ParseStatsJson(*f.stats, {});
      if (parsed.ok()) n = parsed->num_records;
    }
    ARROW_RETURN_NOT_OK(n ? records.Append(*n) : records.AppendNull());
    ARROW_RETURN_NOT_OK(f.stats ? stats.Append(*f.stats) : stats.AppendNull());
    ARROW_RETURN_NOT_OK(f.deletion_vector ? dv.Append(f.deletion_vector->UniqueId()) : dv.AppendNull());
  }
  std::vector<std::shared_ptr<arrow::Array>> cols(7);
  ARROW_RETURN_NOT_OK(path.Finish(&cols[0]));
  ARROW_RETURN_NOT_OK(size.Finish(&cols[1]));
  ARROW_RETURN_NOT_OK(mtime.Finish(&cols[2]));
  ARROW_RETURN_NOT_OK(parts.Finish(&cols[3]));
  ARROW_RETURN_NOT_OK(records.Finish(&cols[4]));
  ARROW_RETURN_NOT_OK(stats.Finish(&cols[5]));
  ARROW_RETURN_NOT_OK(dv.Finish(&cols[6]));
  auto out_schema = arrow::schema(
      {arrow::field("path", arrow::utf8()), arrow::field("size", arrow::int64()),
       arrow::field("modification_time", arrow::int64()),
       arrow::field("partition_values", arrow::utf8()), arrow::field("num_records", arrow::int64()),
       arrow::field("stats", arrow::utf8()), arrow::field("deletion_vector", arrow::utf8())});
  return OneBatchTable(out_schema, std::move(cols));
}

Result<std::shared_ptr<TableProvider>> History(const Args& a) {
  ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(a.path));
  std::string root = loc.path;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto engine = MakeArrowEngine(loc.fs);
  ARROW_ASSIGN_OR_RAISE(auto history, ReadHistory(*engine, root, a.number));
  arrow::Int64Builder version, ts;
  arrow::StringBuilder op, info;
  for (const auto& c : history) {
    ARROW_RETURN_NOT_OK(version.Append(c.version));
    ARROW_RETURN_NOT_OK(ts.Append(c.timestamp_ms));
    const JsonValue* o = c.commit_info ? c.commit_info->Find("operation") : nullptr;
    ARROW_RETURN_NOT_OK(o && o->is_string() ? op.Append(o->text()) : op.AppendNull());
    ARROW_RETURN_NOT_OK(c.commit_info ? info.Append(c.commit_info->ToJson()) : info.AppendNull());
  }
  std::vector<std::shared_ptr<arrow::Array>> cols(4);
  ARROW_RETURN_NOT_OK(version.Finish(&cols[0]));
  ARROW_RETURN_NOT_OK(ts.Finish(&cols[1]));
  ARROW_RETURN_NOT_OK(op.Finish(&cols[2]));
  ARROW_RETURN_NOT_OK(info.Finish(&cols[3]));
  auto out_schema = arrow::schema(
      {arrow::field("version", arrow::int64()), arrow::field("timestamp_ms", arrow::int64()),
       arrow::field("operation", arrow::utf8()), arrow::field("commit_info", arrow::utf8())});
  return OneBatchTable(out_schema, std::move(cols));
}

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

std::vector<std::string> SplitString(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back().push_back(c);
    }
  }
  return out;
}

/// A version (integer) or a timestamp (a timestamp or text) bound of table_changes.
Status ParseChangeBound(const arrow::Scalar& arg, const char* which,
                        std::optional<int64_t>* version, std::optional<int64_t>* timestamp_ms) {
  if (!arg.is_valid) return Status::OK();  // NULL: not given
  auto id = arg.type->id();
  if (arrow::is_integer(id)) {
    ARROW_ASSIGN_OR_RAISE(auto v, arg.CastTo(arrow::int64()));
    *version = static_cast<const arrow::Int64Scalar&>(*v).value;
    return Status::OK();
  }
  if (id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING) {
    std::string text = arg.ToString();
    auto us = ParseTimestampMicros(text);
    if (!us) {
      return Status::Invalid("table_changes() ", which, " must be a version or a timestamp such as "
                             "'2026-01-01 00:00:00', not '", text, "'");
    }
    *timestamp_ms = FloorDiv(*us, 1000);
    return Status::OK();
  }
  if (id == arrow::Type::TIMESTAMP) {
    const auto& t = static_cast<const arrow::TimestampType&>(*arg.type);
    int64_t v = static_cast<const arrow::TimestampScalar&>(arg).value;
    switch (t.unit()) {
      case arrow::TimeUnit::SECOND: *timestamp_ms = v * 1000; break;
      case arrow::TimeUnit::MILLI: *timestamp_ms = v; break;
      case arrow::TimeUnit::MICRO: *timestamp_ms = FloorDiv(v, 1000); break;
      case arrow::TimeUnit::NANO: *timestamp_ms = FloorDiv(v, 1000000); break;
    }
    return Status::OK();
  }
  if (id == arrow::Type::NA) return Status::OK();
  return Status::Invalid("table_changes() ", which, " must be a version (integer) or a timestamp, not ",
                         arg.type->ToString());
}

/// table_changes('table or path', start [, end]) and the form with both kinds
/// of bounds: (t, start_version, end_version, start_timestamp, end_timestamp).
Result<std::shared_ptr<TableProvider>> TableChanges(
    const std::vector<std::shared_ptr<arrow::Scalar>>& args, const Catalog* catalog) {
  const char* kUsage =
      "table_changes() takes a Delta table name or path, a starting version or timestamp and "
      "optionally an ending version or timestamp (or: table, start_version, end_version, "
      "start_timestamp, end_timestamp with NULL for the ones not given)";
  if ((args.size() != 2 && args.size() != 3 && args.size() != 5) || !args[0]->is_valid ||
      (args[0]->type->id() != arrow::Type::STRING && args[0]->type->id() != arrow::Type::LARGE_STRING)) {
    return Status::Invalid(kUsage);
  }
  ChangeFeedRange range;
  if (args.size() == 5) {
    for (int i = 1; i <= 4; ++i) {
      if (!args[i]->is_valid) continue;
      bool want_version = i <= 2;
      bool is_int = arrow::is_integer(args[i]->type->id());
      if (want_version != is_int) return Status::Invalid(kUsage);
    }
    std::optional<int64_t> unused;
    ARROW_RETURN_NOT_OK(ParseChangeBound(*args[1], "start", &range.start_version, &unused));
    ARROW_RETURN_NOT_OK(ParseChangeBound(*args[2], "end", &range.end_version, &unused));
    ARROW_RETURN_NOT_OK(ParseChangeBound(*args[3], "start", &unused, &range.start_timestamp_ms));
    ARROW_RETURN_NOT_OK(ParseChangeBound(*args[4], "end", &unused, &range.end_timestamp_ms));
  } else {
    ARROW_RETURN_NOT_OK(
        ParseChangeBound(*args[1], "start", &range.start_version, &range.start_timestamp_ms));
    if (args.size() == 3) {
      ARROW_RETURN_NOT_OK(
          ParseChangeBound(*args[2], "end", &range.end_version, &range.end_timestamp_ms));
    }
  }
  std::string target = args[0]->ToString();
  // A registered Delta table by name, else a path.
  if (catalog && target.find('/') == std::string::npos && target.find(':') == std::string::npos) {
    std::vector<std::string> name = SplitString(target, '.');
    if (catalog->Exists(name)) {
      ARROW_ASSIGN_OR_RAISE(auto entry, catalog->Lookup(name));
      auto* delta = dynamic_cast<const DeltaTableProvider*>(entry.table.get());
      if (!delta) {
        return Status::Invalid("table_changes(): '", target, "' is not a Delta table (it is ",
                               entry.table ? "a table of kind '" + entry.table->kind() + "'"
                                           : std::string("a view"),
                               ")");
      }
      const auto& snap = *delta->snapshot();
      ARROW_ASSIGN_OR_RAISE(auto provider,
                            ChangeFeedTableProvider::Make(snap.engine(), delta->filesystem(),
                                                          snap.table_root(), range));
      return std::static_pointer_cast<TableProvider>(provider);
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(target));
  std::string root = loc.path;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  ARROW_ASSIGN_OR_RAISE(auto provider,
                        ChangeFeedTableProvider::Make(MakeArrowEngine(loc.fs), loc.fs, root, range));
  return std::static_pointer_cast<TableProvider>(provider);
}

}  // namespace

const std::vector<std::string>& DeltaTableFunctionNames() {
  static const std::vector<std::string> kNames = {"delta_scan", "delta_snapshot", "delta_files",
                                                  "delta_history", "table_changes"};
  return kNames;
}

bool IsDeltaTableFunction(const std::string& name) {
  for (const auto& n : DeltaTableFunctionNames()) {
    if (n == name) return true;
  }
  return false;
}

Result<std::shared_ptr<TableProvider>> CallDeltaTableFunction(
    const std::string& name, const std::vector<std::shared_ptr<arrow::Scalar>>& args,
    const Catalog* catalog) {
  if (name == "table_changes") return TableChanges(args, catalog);
  ARROW_ASSIGN_OR_RAISE(auto a, ParseArgs(name, args, name == "delta_history" ? "limit" : "version"));
  if (name == "delta_scan") {
    DeltaTableOptions options;
    options.spec.version = a.number;
    ARROW_ASSIGN_OR_RAISE(auto table, DeltaTableProvider::Make(a.path, options));
    return std::static_pointer_cast<TableProvider>(table);
  }
  if (name == "delta_snapshot") return SnapshotInfo(a);
  if (name == "delta_files") return Files(a);
  if (name == "delta_history") return History(a);
  return Status::Invalid("table function '", name, "' does not exist");
}

}  // namespace shoal::delta
