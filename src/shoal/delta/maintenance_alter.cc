// ALTER TABLE on Delta tables (maintenance.h): ADD COLUMNS, SET / UNSET
// TBLPROPERTIES, ADD / DROP CONSTRAINT.
#include <algorithm>
#include <set>

#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/constraints.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/delta/maintenance_internal.h"
#include "shoal/delta/transaction.h"

namespace shoal::delta {

namespace {

constexpr const char* kConstraintPrefix = "delta.constraints.";

/// Return the schema string with the fields of `added` (a Delta schema string)
/// appended, keeping every existing field's metadata as it is.
Result<std::string> AppendFields(const std::string& schema_string, const std::string& added) {
  ARROW_ASSIGN_OR_RAISE(auto schema, ParseJson(schema_string));
  ARROW_ASSIGN_OR_RAISE(auto extra, ParseJson(added));
  const JsonValue* extra_fields = extra.Find("fields");
  JsonValue out = JsonValue::Object();
  bool done = false;
  for (const auto& [k, v] : schema.members()) {
    if (k == "fields" && v.is_array()) {
      JsonValue fields = v;
      if (extra_fields) {
        for (const auto& f : extra_fields->elements()) fields.Append(f);
      }
      out.Add(k, std::move(fields));
      done = true;
    } else {
      out.Add(k, v);
    }
  }
  if (!done) return Status::Invalid("the table's schema string has no fields");
  return out.ToJson();
}

/// Return the protocol with the writer requirement of `feature` (legacy
/// `legacy_version` for writer versions < 7).
Protocol WithWriterFeature(const Protocol& protocol, const std::string& feature,
                           int legacy_version) {
  Protocol p = protocol;
  if (p.min_writer_version < 7) {
    p.min_writer_version = std::max(p.min_writer_version, legacy_version);
    return p;
  }
  auto features = p.writer_features.value_or(std::vector<std::string>{});
  if (std::find(features.begin(), features.end(), feature) == features.end()) {
    features.push_back(feature);
  }
  p.writer_features = features;
  return p;
}

/// Return `protocol` upgraded to table features (reader 3, writer 7) with the
/// reader-and-writer feature `feature` enabled; the features a legacy protocol
/// version implied are listed explicitly, as the protocol requires.
Protocol WithReaderWriterFeature(const Protocol& protocol, const std::string& feature) {
  Protocol p = protocol;
  auto add = [](std::vector<std::string>& list, const std::string& f) {
    if (std::find(list.begin(), list.end(), f) == list.end()) list.push_back(f);
  };
  std::vector<std::string> writer = p.writer_features.value_or(std::vector<std::string>{});
  if (p.min_writer_version < 7) {
    // Legacy writer versions imply these features (PROTOCOL.md, "Table Features").
    const int w = p.min_writer_version;
    if (w >= 2) add(writer, "appendOnly"), add(writer, "invariants");
    if (w >= 3) add(writer, "checkConstraints");
    if (w >= 4) add(writer, "changeDataFeed"), add(writer, "generatedColumns");
    if (w >= 5) add(writer, "columnMapping");
    if (w >= 6) add(writer, "identityColumns");
  }
  std::vector<std::string> reader = p.reader_features.value_or(std::vector<std::string>{});
  if (p.min_reader_version == 2) add(reader, "columnMapping");
  add(reader, feature);
  add(writer, feature);
  p.min_reader_version = 3;
  p.min_writer_version = 7;
  p.reader_features = reader;
  p.writer_features = writer;
  return p;
}

bool SameProtocol(const Protocol& a, const Protocol& b) {
  return a.min_reader_version == b.min_reader_version &&
         a.min_writer_version == b.min_writer_version && a.reader_features == b.reader_features &&
         a.writer_features == b.writer_features;
}

/// Check every row of the table against `check` (a violation names the row).
Status CheckExistingRows(const Snapshot& snap, const TableLocation& table,
                         const TableConstraints& check, const ExpressionEvaluator& evaluator) {
  for (const auto& f : snap.files()) {
    ARROW_ASSIGN_OR_RAISE(auto reader, internal::ReadTableFile(snap, table, f));
    while (true) {
      std::shared_ptr<arrow::RecordBatch> b;
      ARROW_RETURN_NOT_OK(reader->ReadNext(&b));
      if (!b) break;
      auto st = EnforceConstraints(check, evaluator, b, table.root).status();
      if (!st.ok()) {
        return st.WithMessage("cannot add the constraint: an existing row violates it: ",
                              st.message());
      }
    }
  }
  return Status::OK();
}

}  // namespace

Result<MaintenanceResult> AlterTable(const TableLocation& table, const AlterTableChange& change,
                                     const ExpressionEvaluator* evaluator) {
  using Kind = AlterTableChange::Kind;
  auto engine = MakeWriteEngine(table.fs);
  ARROW_ASSIGN_OR_RAISE(auto snap, Snapshot::Make(engine, table.root));
  ARROW_RETURN_NOT_OK(CheckWriteSupported(snap->protocol(), snap->metadata(), table.root));
  Metadata m = snap->metadata();
  Protocol protocol = snap->protocol();
  JsonValue params = JsonValue::Object();
  std::string op;
  MaintenanceResult out;
  switch (change.kind) {
    case Kind::kAddColumns: {
      op = "ADD COLUMNS";
      if (change.columns.empty()) return Status::Invalid("ADD COLUMNS needs at least one column");
      std::set<std::string> names;
      for (const auto& f : snap->schema()->fields()) names.insert(ToLower(f->name()));
      arrow::FieldVector fields;
      for (const auto& f : change.columns) {
        if (!names.insert(ToLower(f->name())).second) {
          return Status::Invalid("cannot add column '", f->name(), "' to Delta table '",
                                 table.root, "': a column of that name exists");
        }
        fields.push_back(f);
      }
      ARROW_ASSIGN_OR_RAISE(auto normalized, NormalizeSchemaForDelta(*arrow::schema(fields)));
      for (const auto& f : normalized->fields()) {
        if (f->type()->id() == arrow::Type::TIMESTAMP &&
            static_cast<const arrow::TimestampType&>(*f->type()).timezone().empty()) {
          const auto& wf = protocol.writer_features;
          if (!wf || std::find(wf->begin(), wf->end(), "timestampNtz") == wf->end()) {
            return Status::NotImplemented("column '", f->name(), "' is a timestamp without time "
                                          "zone, which needs the timestampNtz feature the table "
                                          "lacks");
          }
        }
      }
      ARROW_ASSIGN_OR_RAISE(auto added, SchemaToDeltaString(*normalized));
      ARROW_ASSIGN_OR_RAISE(m.schema_string, AppendFields(m.schema_string, added));
      ARROW_ASSIGN_OR_RAISE(auto added_json, ParseJson(added));
      JsonValue cols = JsonValue::Array();
      if (const JsonValue* fs = added_json.Find("fields")) {
        for (const auto& f : fs->elements()) {
          JsonValue c = JsonValue::Object();
          c.Add("column", f);
          cols.Append(std::move(c));
        }
      }
      params.Add("columns", JsonValue::String(cols.ToJson()));
      break;
    }
    case Kind::kSetProperties: {
      op = "SET TBLPROPERTIES";
      static const std::set<std::string> kUnsupported = {
          "delta.enableRowTracking",
          "delta.enableInCommitTimestamps", "delta.enableTypeWidening",
          "delta.enableIcebergCompatV1", "delta.enableIcebergCompatV2"};
      JsonValue props = JsonValue::Object();
      for (const auto& [k, v] : change.properties) {
        if (k.rfind(kConstraintPrefix, 0) == 0) {
          return Status::Invalid("table property '", k,
                                 "' is set with ALTER TABLE ... ADD CONSTRAINT, not TBLPROPERTIES");
        }
        if (kUnsupported.count(k) && ToLower(v) == "true") {
          return Status::NotImplemented("table property '", k,
                                        "' = true needs a table feature Shoal cannot write yet");
        }
        if (k == "delta.columnMapping.mode" && ToLower(v) != "none") {
          return Status::NotImplemented("column mapping is not supported by Shoal's writer yet");
        }
        if (k == "delta.enableChangeDataFeed" && ToLower(v) == "true") {
          protocol = WithWriterFeature(protocol, "changeDataFeed", 4);
        }
        if (k == "delta.enableDeletionVectors" && ToLower(v) == "true") {
          // Shoal reads and writes deletion vectors: upgrade the protocol.
          protocol = WithReaderWriterFeature(protocol, "deletionVectors");
        }
        if (k == "delta.appendOnly" && ToLower(v) == "true") {
          protocol = WithWriterFeature(protocol, "appendOnly", 2);
        }
        if (k == "delta.checkpointInterval" || k == "delta.dataSkippingNumIndexedCols" ||
            k == "delta.targetFileSize") {
          ARROW_RETURN_NOT_OK(IntProperty({{k, v}}, k, 0).status());
        }
        if (k == "delta.deletedFileRetentionDuration" || k == "delta.logRetentionDuration") {
          ARROW_RETURN_NOT_OK(ParseIntervalMillis(k, v).status());
        }
        m.configuration[k] = v;
        props.Add(k, JsonValue::String(v));
      }
      params.Add("properties", JsonValue::String(props.ToJson()));
      break;
    }
    case Kind::kUnsetProperties: {
      op = "UNSET TBLPROPERTIES";
      JsonValue keys = JsonValue::Array();
      for (const auto& k : change.keys) {
        if (k.rfind(kConstraintPrefix, 0) == 0) {
          return Status::Invalid("table property '", k,
                                 "' is removed with ALTER TABLE ... DROP CONSTRAINT");
        }
        if (!m.configuration.count(k) && !change.if_exists) {
          return Status::Invalid("table property '", k, "' is not set on Delta table '",
                                 table.root, "' (use UNSET TBLPROPERTIES IF EXISTS)");
        }
        if (m.configuration.erase(k)) keys.Append(JsonValue::String(k));
      }
      if (keys.elements().empty()) {
        out.operation = op;
        return out;  // IF EXISTS and nothing set: nothing committed
      }
      params.Add("properties", JsonValue::String(keys.ToJson()));
      params.Add("ifExists", JsonValue::Bool(change.if_exists));
      break;
    }
    case Kind::kAddConstraint: {
      op = "ADD CONSTRAINT";
      std::string name = ToLower(change.constraint_name);
      if (name.empty()) return Status::Invalid("a constraint needs a name");
      std::string key = kConstraintPrefix + name;
      if (m.configuration.count(key)) {
        return Status::Invalid("constraint '", name, "' already exists on Delta table '",
                               table.root, "' (", m.configuration[key], ")");
      }
      if (!evaluator) return Status::Invalid("ADD CONSTRAINT needs an expression evaluator");
      TableConstraints check;
      check.checks.push_back({name, change.expression, false});
      ARROW_RETURN_NOT_OK(CheckExistingRows(*snap, table, check, *evaluator));
      m.configuration[key] = change.expression;
      protocol = ProtocolWithCheckConstraints(protocol);
      params.Add("name", JsonValue::String(name));
      params.Add("expr", JsonValue::String(change.expression));
      break;
    }
    case Kind::kDropConstraint: {
      op = "DROP CONSTRAINT";
      std::string name = ToLower(change.constraint_name);
      std::string key = kConstraintPrefix + name;
      auto it = m.configuration.find(key);
      if (it == m.configuration.end()) {
        if (change.if_exists) {
          out.operation = op;
          return out;  // nothing to do, nothing committed
        }
        return Status::Invalid("constraint '", name, "' does not exist on Delta table '",
                               table.root, "' (use DROP CONSTRAINT IF EXISTS)");
      }
      params.Add("name", JsonValue::String(name));
      params.Add("expr", JsonValue::String(it->second));
      m.configuration.erase(it);
      break;
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto tx, WriteTransaction::ForSnapshot(snap));
  if (change.kind == Kind::kAddConstraint) {
    // The existing rows were checked: a concurrent commit adding files (which
    // may hold violating rows) or changing them conflicts, as in Delta's
    // readWholeTable.
    std::vector<std::string> read;
    read.reserve(snap->files().size());
    for (const auto& f : snap->files()) read.push_back(DecodeActionPath(f.path));
    tx->ReadFiles(std::move(read), nullptr, "CHECK (" + change.expression + ")");
  }
  if (!SameProtocol(protocol, snap->protocol())) tx->UpdateProtocol(protocol);
  tx->UpdateMetadata(std::move(m));
  tx->SetOperation(op, std::move(params));
  ARROW_ASSIGN_OR_RAISE(auto committed, tx->Commit());
  out.operation = op;
  out.version = committed.version;
  return out;
}

}  // namespace shoal::delta
