#include "shoal/delta/actions.h"

#include <functional>

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

namespace shoal::delta {

std::string DeletionVectorDescriptor::UniqueId() const {
  std::string id = storage_type + path_or_inline_dv;
  if (offset) id += "@" + std::to_string(*offset);
  return id;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string DecodeActionPath(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      int hi = HexValue(path[i + 1]), lo = HexValue(path[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(path[i]);
  }
  if (out.rfind("file:", 0) == 0) {
    std::string rest = out.substr(5);
    // file:///a -> /a ; file://host/a -> /a (host ignored) ; file:/a -> /a
    if (rest.rfind("//", 0) == 0) {
      auto slash = rest.find('/', 2);
      rest = slash == std::string::npos ? "/" : rest.substr(slash);
    }
    return rest;
  }
  return out;
}

// ---------------------------------------------------------------------------
// JSON actions
// ---------------------------------------------------------------------------
namespace {

Status FieldError(const char* action, const char* field, const char* expected) {
  return Status::Invalid("invalid '", action, "' action: field '", field, "' ", expected);
}

Result<std::string> RequiredString(const JsonValue& obj, const char* action, const char* field) {
  const JsonValue* v = obj.Find(field);
  if (!v || !v->is_string()) return FieldError(action, field, "must be a string");
  return v->text();
}

std::optional<std::string> OptionalString(const JsonValue& obj, const char* field) {
  const JsonValue* v = obj.Find(field);
  if (!v || !v->is_string()) return std::nullopt;
  return v->text();
}

Result<std::optional<int64_t>> OptionalInt(const JsonValue& obj, const char* action,
                                           const char* field) {
  const JsonValue* v = obj.Find(field);
  if (!v || v->is_null()) return std::optional<int64_t>();
  auto i = v->AsInt64();
  if (!i) return FieldError(action, field, "must be an integer");
  return std::optional<int64_t>(*i);
}

Result<int64_t> RequiredInt(const JsonValue& obj, const char* action, const char* field) {
  ARROW_ASSIGN_OR_RAISE(auto v, OptionalInt(obj, action, field));
  if (!v) return FieldError(action, field, "is missing");
  return *v;
}

bool OptionalBool(const JsonValue& obj, const char* field, bool dflt) {
  const JsonValue* v = obj.Find(field);
  if (!v || !v->is_bool()) return dflt;
  return v->bool_value();
}

Result<PartitionValueMap> StringMap(const JsonValue* v, const char* action, const char* field) {
  PartitionValueMap out;
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return FieldError(action, field, "must be an object");
  for (const auto& [k, val] : v->members()) {
    if (val.is_null()) {
      out[k] = std::nullopt;
    } else if (val.is_string() || val.is_number()) {
      out[k] = val.text();
    } else if (val.is_bool()) {
      out[k] = val.bool_value() ? "true" : "false";
    } else {
      return FieldError(action, field, "must map names to strings");
    }
  }
  return out;
}

Result<std::optional<std::vector<std::string>>> StringList(const JsonValue& obj,
                                                           const char* action,
                                                           const char* field) {
  const JsonValue* v = obj.Find(field);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return FieldError(action, field, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& e : v->elements()) {
    if (!e.is_string()) return FieldError(action, field, "must be an array of strings");
    out.push_back(e.text());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<DeletionVectorDescriptor>> ParseDv(const JsonValue& obj, const char* action) {
  const JsonValue* v = obj.Find("deletionVector");
  if (!v || v->is_null()) return std::optional<DeletionVectorDescriptor>();
  if (!v->is_object()) return FieldError(action, "deletionVector", "must be an object");
  DeletionVectorDescriptor dv;
  ARROW_ASSIGN_OR_RAISE(dv.storage_type, RequiredString(*v, action, "storageType"));
  ARROW_ASSIGN_OR_RAISE(dv.path_or_inline_dv,
                        RequiredString(*v, action, "pathOrInlineDv"));
  ARROW_ASSIGN_OR_RAISE(auto offset, OptionalInt(*v, action, "offset"));
  if (offset) dv.offset = static_cast<int32_t>(*offset);
  ARROW_ASSIGN_OR_RAISE(auto size, RequiredInt(*v, action, "sizeInBytes"));
  dv.size_in_bytes = static_cast<int32_t>(size);
  ARROW_ASSIGN_OR_RAISE(dv.cardinality, RequiredInt(*v, action, "cardinality"));
  return std::optional<DeletionVectorDescriptor>(std::move(dv));
}

Status ParseAdd(const JsonValue& a, ActionBatch* out) {
  if (!a.is_object()) return Status::Invalid("invalid 'add' action: not an object");
  AddFile f;
  ARROW_ASSIGN_OR_RAISE(f.path, RequiredString(a, "add", "path"));
  ARROW_ASSIGN_OR_RAISE(f.partition_values, StringMap(a.Find("partitionValues"), "add",
                                                      "partitionValues"));
  ARROW_ASSIGN_OR_RAISE(auto size, OptionalInt(a, "add", "size"));
  f.size = size.value_or(-1);
  ARROW_ASSIGN_OR_RAISE(auto mtime, OptionalInt(a, "add", "modificationTime"));
  f.modification_time = mtime.value_or(0);
  f.data_change = OptionalBool(a, "dataChange", true);
  const JsonValue* stats = a.Find("stats");
  if (stats && stats->is_string()) f.stats = stats->text();
  ARROW_ASSIGN_OR_RAISE(f.deletion_vector, ParseDv(a, "add"));
  ARROW_ASSIGN_OR_RAISE(auto tags, StringMap(a.Find("tags"), "add", "tags"));
  for (auto& [k, v] : tags) f.tags[k] = v.value_or("");
  ARROW_ASSIGN_OR_RAISE(f.base_row_id, OptionalInt(a, "add", "baseRowId"));
  ARROW_ASSIGN_OR_RAISE(f.default_row_commit_version,
                        OptionalInt(a, "add", "defaultRowCommitVersion"));
  out->adds.push_back(std::move(f));
  return Status::OK();
}

Status ParseRemove(const JsonValue& a, ActionBatch* out) {
  if (!a.is_object()) return Status::Invalid("invalid 'remove' action: not an object");
  RemoveFile f;
  ARROW_ASSIGN_OR_RAISE(f.path, RequiredString(a, "remove", "path"));
  ARROW_ASSIGN_OR_RAISE(f.deletion_timestamp, OptionalInt(a, "remove", "deletionTimestamp"));
  f.data_change = OptionalBool(a, "dataChange", true);
  if (const JsonValue* pv = a.Find("partitionValues"); pv && pv->is_object()) {
    ARROW_ASSIGN_OR_RAISE(f.partition_values, StringMap(pv, "remove", "partitionValues"));
  }
  ARROW_ASSIGN_OR_RAISE(f.size, OptionalInt(a, "remove", "size"));
  ARROW_ASSIGN_OR_RAISE(f.deletion_vector, ParseDv(a, "remove"));
  out->removes.push_back(std::move(f));
  return Status::OK();
}

Status ParseMetadata(const JsonValue& a, ActionBatch* out) {
  if (!a.is_object()) return Status::Invalid("invalid 'metaData' action: not an object");
  Metadata m;
  m.id = OptionalString(a, "id").value_or("");
  m.name = OptionalString(a, "name");
  m.description = OptionalString(a, "description");
  if (const JsonValue* fmt = a.Find("format"); fmt && fmt->is_object()) {
    m.format_provider = OptionalString(*fmt, "provider").value_or("parquet");
  }
  // Checked when the metadata is used (an older, superseded one may lack it).
  m.schema_string = OptionalString(a, "schemaString").value_or("");
  ARROW_ASSIGN_OR_RAISE(auto parts, StringList(a, "metaData", "partitionColumns"));
  if (parts) m.partition_columns = std::move(*parts);
  ARROW_ASSIGN_OR_RAISE(m.created_time, OptionalInt(a, "metaData", "createdTime"));
  ARROW_ASSIGN_OR_RAISE(auto conf, StringMap(a.Find("configuration"), "metaData",
                                             "configuration"));
  for (auto& [k, v] : conf) {
    if (v) m.configuration[k] = *v;
  }
  out->metadata = std::move(m);
  return Status::OK();
}

Status ParseProtocol(const JsonValue& a, ActionBatch* out) {
  if (!a.is_object()) return Status::Invalid("invalid 'protocol' action: not an object");
  Protocol p;
  ARROW_ASSIGN_OR_RAISE(auto r, RequiredInt(a, "protocol", "minReaderVersion"));
  ARROW_ASSIGN_OR_RAISE(auto w, OptionalInt(a, "protocol", "minWriterVersion"));
  p.min_reader_version = static_cast<int32_t>(r);
  p.min_writer_version = static_cast<int32_t>(w.value_or(2));
  ARROW_ASSIGN_OR_RAISE(p.reader_features, StringList(a, "protocol", "readerFeatures"));
  ARROW_ASSIGN_OR_RAISE(p.writer_features, StringList(a, "protocol", "writerFeatures"));
  out->protocol = std::move(p);
  return Status::OK();
}

}  // namespace

Status ParseJsonAction(const JsonValue& line, ActionBatch* out) {
  if (!line.is_object()) return Status::Invalid("an action line must be a JSON object");
  for (const auto& [kind, body] : line.members()) {
    if (kind == "add") {
      ARROW_RETURN_NOT_OK(ParseAdd(body, out));
    } else if (kind == "remove") {
      ARROW_RETURN_NOT_OK(ParseRemove(body, out));
    } else if (kind == "metaData") {
      ARROW_RETURN_NOT_OK(ParseMetadata(body, out));
    } else if (kind == "protocol") {
      ARROW_RETURN_NOT_OK(ParseProtocol(body, out));
    } else if (kind == "commitInfo") {
      out->commit_info = body;
    } else if (kind == "cdc") {
      if (!body.is_object()) return Status::Invalid("invalid 'cdc' action: not an object");
      CdcFile c;
      ARROW_ASSIGN_OR_RAISE(c.path, RequiredString(body, "cdc", "path"));
      ARROW_ASSIGN_OR_RAISE(c.partition_values,
                            StringMap(body.Find("partitionValues"), "cdc", "partitionValues"));
      ARROW_ASSIGN_OR_RAISE(auto size, OptionalInt(body, "cdc", "size"));
      c.size = size.value_or(-1);
      out->cdcs.push_back(std::move(c));
    } else if (kind == "txn") {
      if (!body.is_object()) return Status::Invalid("invalid 'txn' action: not an object");
      Transaction t;
      ARROW_ASSIGN_OR_RAISE(t.app_id, RequiredString(body, "txn", "appId"));
      ARROW_ASSIGN_OR_RAISE(t.version, RequiredInt(body, "txn", "version"));
      ARROW_ASSIGN_OR_RAISE(t.last_updated, OptionalInt(body, "txn", "lastUpdated"));
      out->txns.push_back(std::move(t));
    } else if (kind == "sidecar") {
      if (!body.is_object()) return Status::Invalid("invalid 'sidecar' action: not an object");
      Sidecar s;
      ARROW_ASSIGN_OR_RAISE(s.path, RequiredString(body, "sidecar", "path"));
      ARROW_ASSIGN_OR_RAISE(auto size, OptionalInt(body, "sidecar", "sizeInBytes"));
      s.size_in_bytes = size.value_or(-1);
      ARROW_ASSIGN_OR_RAISE(auto mtime, OptionalInt(body, "sidecar", "modificationTime"));
      s.modification_time = mtime.value_or(0);
      out->sidecars.push_back(std::move(s));
    } else if (kind == "checkpointMetadata") {
      ARROW_ASSIGN_OR_RAISE(auto v, OptionalInt(body, "checkpointMetadata", "version"));
      out->checkpoint_metadata_version = v.value_or(0);
    } else if (kind == "domainMetadata") {
      if (!body.is_object()) {
        return Status::Invalid("invalid 'domainMetadata' action: not an object");
      }
      DomainMetadata d;
      ARROW_ASSIGN_OR_RAISE(d.domain, RequiredString(body, "domainMetadata", "domain"));
      d.configuration = OptionalString(body, "configuration").value_or("");
      d.removed = OptionalBool(body, "removed", false);
      out->domain_metadata.push_back(std::move(d));
    }
    // Other kinds (checkpointMetadata tags, future actions) are ignored.
  }
  return Status::OK();
}

namespace {

/// Return the integer of a JSON number's text as JsonValue::AsInt64 does.
std::optional<int64_t> NumberToInt64(std::string_view text) {
  size_t i = text.size() > 0 && text[0] == '-' ? 1 : 0;
  if (text.size() > i && text.size() - i <= 18) {
    int64_t v = 0;
    bool digits = true;
    for (size_t k = i; k < text.size() && digits; ++k) {
      char c = text[k];
      digits = c >= '0' && c <= '9';
      v = v * 10 + (c - '0');
    }
    if (digits) return i ? -v : v;
  }
  return JsonValue::Number(std::string(text)).AsInt64();
}

/// Read an optional integer field value; false when it is neither null nor an
/// integer (the caller then falls back to the general path for the error).
bool ReadOptionalInt(JsonReader* r, std::optional<int64_t>* out) {
  if (r->ConsumeNull()) {
    out->reset();
    return true;
  }
  std::string_view text;
  if (!r->ReadNumber(&text).ok()) return false;
  *out = NumberToInt64(text);
  return out->has_value();
}

/// Parse `{"add": {...}}` straight into an AddFile. Returns false (and leaves
/// `out` unchanged) for anything unusual (another action kind, more members,
/// duplicate or mistyped fields, malformed JSON): the caller then parses the
/// line through JsonValue, which gives the same result or the proper error.
bool TryParseAddLine(std::string_view line, ActionBatch* out) {
  JsonReader r(line);
  std::string key;
  bool first = true;
  if (!r.BeginObject().ok()) return false;
  auto has = r.NextMember(&first, &key);
  if (!has.ok() || !*has || key != "add") return false;
  if (!r.BeginObject().ok()) return false;
  AddFile f;
  f.size = -1;  // as ParseAdd: unknown unless given
  uint32_t seen = 0;
  bool has_path = false;
  std::optional<int64_t> v;
  JsonValue holder;
  bool member_first = true;
  while (true) {
    auto next = r.NextMember(&member_first, &key);
    if (!next.ok()) return false;
    if (!*next) break;
    int bit = -1;
    if (key == "path") {
      bit = 0;
      if (r.Peek() != '"' || !r.ReadString(&f.path).ok()) return false;
      has_path = true;
    } else if (key == "partitionValues") {
      bit = 1;
      if (!r.ConsumeNull()) {
        if (r.Peek() != '{' || !r.BeginObject().ok()) return false;
        bool pv_first = true;
        std::string name;
        while (true) {
          auto m = r.NextMember(&pv_first, &name);
          if (!m.ok()) return false;
          if (!*m) break;
          char c = r.Peek();
          bool b = false;
          if (c == '"') {
            std::string value;
            if (!r.ReadString(&value).ok()) return false;
            f.partition_values[name] = std::move(value);
          } else if (r.ConsumeNull()) {
            f.partition_values[name] = std::nullopt;
          } else if (r.ConsumeBool(&b)) {
            f.partition_values[name] = b ? "true" : "false";
          } else {
            std::string_view num;
            if (!r.ReadNumber(&num).ok()) return false;
            f.partition_values[name] = std::string(num);
          }
        }
      }
    } else if (key == "size") {
      bit = 2;
      if (!ReadOptionalInt(&r, &v)) return false;
      f.size = v.value_or(-1);
    } else if (key == "modificationTime") {
      bit = 3;
      if (!ReadOptionalInt(&r, &v)) return false;
      f.modification_time = v.value_or(0);
    } else if (key == "dataChange") {
      bit = 4;
      bool b = true;
      if (r.ConsumeBool(&b)) {
        f.data_change = b;
      } else if (!r.ReadValue(&holder).ok()) {  // not a boolean: ignored, as ParseAdd does
        return false;
      }
    } else if (key == "stats") {
      bit = 5;
      if (r.Peek() == '"') {
        std::string stats;
        if (!r.ReadString(&stats).ok()) return false;
        f.stats = std::move(stats);
      } else if (!r.ReadValue(&holder).ok()) {
        return false;
      }
    } else if (key == "baseRowId") {
      bit = 6;
      if (!ReadOptionalInt(&r, &f.base_row_id)) return false;
    } else if (key == "defaultRowCommitVersion") {
      bit = 7;
      if (!ReadOptionalInt(&r, &f.default_row_commit_version)) return false;
    } else if (key == "deletionVector" || key == "tags") {
      // Rare: decode through the general helpers.
      bit = key == "tags" ? 8 : 9;
      JsonValue value;
      if (!r.ReadValue(&value).ok()) return false;
      JsonValue obj = JsonValue::Object();
      obj.Add(key, std::move(value));
      if (bit == 9) {
        auto dv = ParseDv(obj, "add");
        if (!dv.ok()) return false;
        f.deletion_vector = std::move(*dv);
      } else {
        auto tags = StringMap(obj.Find("tags"), "add", "tags");
        if (!tags.ok()) return false;
        for (auto& [k, t] : *tags) f.tags[k] = t.value_or("");
      }
    } else if (!r.ReadValue(&holder).ok()) {  // other fields are not used
      return false;
    }
    if (bit >= 0) {
      if (seen & (1u << bit)) return false;  // duplicate: the first one wins in ParseAdd
      seen |= 1u << bit;
    }
  }
  if (!has_path) return false;
  // The line must hold nothing else.
  has = r.NextMember(&first, &key);
  if (!has.ok() || *has || !r.Finish().ok()) return false;
  out->adds.push_back(std::move(f));
  return true;
}

}  // namespace

std::optional<int64_t> StatsNumRecords(const AddFile& add) {
  if (add.stats_parsed && add.stats_parsed->num_records) return add.stats_parsed->num_records;
  if (!add.stats) return std::nullopt;
  // Writers put numRecords first: stop there, without decoding the bounds.
  JsonReader r(*add.stats);
  if (!r.BeginObject().ok()) return std::nullopt;
  bool first = true;
  std::string key;
  JsonValue skipped;
  while (true) {
    auto next = r.NextMember(&first, &key);
    if (!next.ok() || !*next) return std::nullopt;
    if (key == "numRecords") {
      std::string_view text;
      if (!r.ReadNumber(&text).ok()) return std::nullopt;
      return NumberToInt64(text);
    }
    if (!r.ReadValue(&skipped).ok()) return std::nullopt;
  }
}

Status ParseJsonActionLine(std::string_view line, ActionBatch* out) {
  if (TryParseAddLine(line, out)) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto value, ParseJson(line));
  return ParseJsonAction(value, out);
}

// ---------------------------------------------------------------------------
// Checkpoint rows
// ---------------------------------------------------------------------------
namespace {

using ArrayPtr = std::shared_ptr<arrow::Array>;

ArrayPtr Child(const arrow::StructArray& s, const char* name) {
  return s.GetFieldByName(name);
}

std::optional<std::string> StrAt(const ArrayPtr& a, int64_t i) {
  if (!a || a->IsNull(i)) return std::nullopt;
  switch (a->type_id()) {
    case arrow::Type::STRING:
      return static_cast<const arrow::StringArray&>(*a).GetString(i);
    case arrow::Type::LARGE_STRING:
      return static_cast<const arrow::LargeStringArray&>(*a).GetString(i);
    case arrow::Type::BINARY:
      return static_cast<const arrow::BinaryArray&>(*a).GetString(i);
    case arrow::Type::STRING_VIEW:
      return std::string(static_cast<const arrow::StringViewArray&>(*a).GetView(i));
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> IntAt(const ArrayPtr& a, int64_t i) {
  if (!a || a->IsNull(i)) return std::nullopt;
  switch (a->type_id()) {
    case arrow::Type::INT8: return static_cast<const arrow::Int8Array&>(*a).Value(i);
    case arrow::Type::INT16: return static_cast<const arrow::Int16Array&>(*a).Value(i);
    case arrow::Type::INT32: return static_cast<const arrow::Int32Array&>(*a).Value(i);
    case arrow::Type::INT64: return static_cast<const arrow::Int64Array&>(*a).Value(i);
    default: return std::nullopt;
  }
}

std::optional<bool> BoolAt(const ArrayPtr& a, int64_t i) {
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::BOOL) return std::nullopt;
  return static_cast<const arrow::BooleanArray&>(*a).Value(i);
}

PartitionValueMap MapAt(const ArrayPtr& a, int64_t i) {
  PartitionValueMap out;
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::MAP) return out;
  const auto& m = static_cast<const arrow::MapArray&>(*a);
  int64_t begin = m.value_offset(i), end = m.value_offset(i + 1);
  for (int64_t j = begin; j < end; ++j) {
    auto k = StrAt(m.keys(), j);
    if (!k) continue;
    out[*k] = StrAt(m.items(), j);
  }
  return out;
}

std::vector<std::string> ListAt(const ArrayPtr& a, int64_t i) {
  std::vector<std::string> out;
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::LIST) return out;
  const auto& l = static_cast<const arrow::ListArray&>(*a);
  for (int64_t j = l.value_offset(i); j < l.value_offset(i + 1); ++j) {
    if (auto s = StrAt(l.values(), j)) out.push_back(*s);
  }
  return out;
}

std::optional<DeletionVectorDescriptor> DvAt(const ArrayPtr& a, int64_t i) {
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::STRUCT) return std::nullopt;
  const auto& s = static_cast<const arrow::StructArray&>(*a);
  DeletionVectorDescriptor dv;
  dv.storage_type = StrAt(Child(s, "storageType"), i).value_or("");
  dv.path_or_inline_dv = StrAt(Child(s, "pathOrInlineDv"), i).value_or("");
  if (auto o = IntAt(Child(s, "offset"), i)) dv.offset = static_cast<int32_t>(*o);
  dv.size_in_bytes = static_cast<int32_t>(IntAt(Child(s, "sizeInBytes"), i).value_or(0));
  dv.cardinality = IntAt(Child(s, "cardinality"), i).value_or(0);
  return dv;
}

// Flatten a stats struct (minValues / maxValues / nullCount) into path -> scalar.
void FlattenStats(const ArrayPtr& a, int64_t i, const std::string& prefix,
                  std::unordered_map<std::string, std::shared_ptr<arrow::Scalar>>* out) {
  if (!a || a->type_id() != arrow::Type::STRUCT || a->IsNull(i)) return;
  const auto& s = static_cast<const arrow::StructArray&>(*a);
  const auto& type = static_cast<const arrow::StructType&>(*s.type());
  for (int f = 0; f < type.num_fields(); ++f) {
    std::string path = prefix.empty() ? type.field(f)->name() : prefix + "." + type.field(f)->name();
    auto child = s.field(f);
    if (child->type_id() == arrow::Type::STRUCT) {
      FlattenStats(child, i, path, out);
    } else if (!child->IsNull(i)) {
      auto scalar = child->GetScalar(i);
      if (scalar.ok()) (*out)[path] = *scalar;
    }
  }
}

std::shared_ptr<const ParsedStats> StatsAt(const ArrayPtr& a, int64_t i) {
  if (!a || a->IsNull(i) || a->type_id() != arrow::Type::STRUCT) return nullptr;
  const auto& s = static_cast<const arrow::StructArray&>(*a);
  auto stats = std::make_shared<ParsedStats>();
  stats->num_records = IntAt(Child(s, "numRecords"), i);
  if (auto tb = BoolAt(Child(s, "tightBounds"), i)) stats->tight_bounds = *tb;
  FlattenStats(Child(s, "minValues"), i, "", &stats->min_values);
  FlattenStats(Child(s, "maxValues"), i, "", &stats->max_values);
  std::unordered_map<std::string, std::shared_ptr<arrow::Scalar>> nulls;
  FlattenStats(Child(s, "nullCount"), i, "", &nulls);
  for (const auto& [k, v] : nulls) {
    if (v->is_valid && v->type->id() == arrow::Type::INT64) {
      stats->null_count[k] = static_cast<const arrow::Int64Scalar&>(*v).value;
    }
  }
  return stats;
}

Status ForEachValidRow(const arrow::Table& table, const char* column,
                       const std::function<Status(const arrow::StructArray&, int64_t)>& fn) {
  auto col = table.GetColumnByName(column);
  if (!col) return Status::OK();
  for (const auto& chunk : col->chunks()) {
    if (chunk->type_id() != arrow::Type::STRUCT) {
      return Status::Invalid("checkpoint column '", column, "' is not a struct but ",
                             chunk->type()->ToString());
    }
    const auto& s = static_cast<const arrow::StructArray&>(*chunk);
    for (int64_t i = 0; i < s.length(); ++i) {
      if (s.IsNull(i)) continue;
      ARROW_RETURN_NOT_OK(fn(s, i));
    }
  }
  return Status::OK();
}

}  // namespace

Status ParseCheckpointBatch(const arrow::RecordBatch& batch, ActionBatch* out) {
  auto table = arrow::Table::Make(batch.schema(), batch.columns(), batch.num_rows());
  return ParseCheckpointTable(*table, out);
}

const std::vector<std::string>& CheckpointColumns() {
  static const std::vector<std::string> kColumns = {
      "add", "remove", "metaData", "protocol", "txn", "sidecar", "checkpointMetadata",
      "domainMetadata"};
  return kColumns;
}

Status ParseCheckpointTable(const arrow::Table& table, ActionBatch* out) {
  // Add rows dominate checkpoints: resolve the child columns once per chunk.
  if (auto col = table.GetColumnByName("add")) {
    for (const auto& chunk : col->chunks()) {
      if (chunk->type_id() != arrow::Type::STRUCT) {
        return Status::Invalid("checkpoint column 'add' is not a struct but ",
                               chunk->type()->ToString());
      }
      const auto& s = static_cast<const arrow::StructArray&>(*chunk);
      const ArrayPtr path = Child(s, "path"), partition_values = Child(s, "partitionValues"),
                     size = Child(s, "size"), mtime = Child(s, "modificationTime"),
                     data_change = Child(s, "dataChange"), stats = Child(s, "stats"),
                     stats_parsed = Child(s, "stats_parsed"), dv = Child(s, "deletionVector"),
                     tags = Child(s, "tags"), base_row_id = Child(s, "baseRowId"),
                     row_commit_version = Child(s, "defaultRowCommitVersion");
      out->adds.reserve(out->adds.size() + static_cast<size_t>(s.length() - s.null_count()));
      for (int64_t i = 0; i < s.length(); ++i) {
        if (s.IsNull(i)) continue;
        AddFile f;
        auto p = StrAt(path, i);
        if (!p) return Status::Invalid("checkpoint 'add' row ", i, " has no path");
        f.path = std::move(*p);
        f.partition_values = MapAt(partition_values, i);
        f.size = IntAt(size, i).value_or(-1);
        f.modification_time = IntAt(mtime, i).value_or(0);
        f.data_change = BoolAt(data_change, i).value_or(true);
        f.stats = StrAt(stats, i);
        f.stats_parsed = StatsAt(stats_parsed, i);
        f.deletion_vector = DvAt(dv, i);
        if (tags && !tags->IsNull(i)) {
          for (auto& [k, v] : MapAt(tags, i)) f.tags[k] = v.value_or("");
        }
        f.base_row_id = IntAt(base_row_id, i);
        f.default_row_commit_version = IntAt(row_commit_version, i);
        out->adds.push_back(std::move(f));
      }
    }
  }
  ARROW_RETURN_NOT_OK(ForEachValidRow(table, "remove", [&](const arrow::StructArray& s, int64_t i) {
    RemoveFile f;
    auto path = StrAt(Child(s, "path"), i);
    if (!path) return Status::Invalid("checkpoint 'remove' row ", i, " has no path");
    f.path = *path;
    f.deletion_timestamp = IntAt(Child(s, "deletionTimestamp"), i);
    f.data_change = BoolAt(Child(s, "dataChange"), i).value_or(true);
    f.deletion_vector = DvAt(Child(s, "deletionVector"), i);
    out->removes.push_back(std::move(f));
    return Status::OK();
  }));
  ARROW_RETURN_NOT_OK(ForEachValidRow(table, "metaData", [&](const arrow::StructArray& s, int64_t i) {
    Metadata m;
    m.id = StrAt(Child(s, "id"), i).value_or("");
    m.name = StrAt(Child(s, "name"), i);
    m.description = StrAt(Child(s, "description"), i);
    m.schema_string = StrAt(Child(s, "schemaString"), i).value_or("");
    m.partition_columns = ListAt(Child(s, "partitionColumns"), i);
    m.created_time = IntAt(Child(s, "createdTime"), i);
    for (auto& [k, v] : MapAt(Child(s, "configuration"), i)) {
      if (v) m.configuration[k] = *v;
    }
    if (auto fmt = Child(s, "format"); fmt && fmt->type_id() == arrow::Type::STRUCT) {
      auto p = StrAt(Child(static_cast<const arrow::StructArray&>(*fmt), "provider"), i);
      if (p) m.format_provider = *p;
    }
    out->metadata = std::move(m);
    return Status::OK();
  }));
  ARROW_RETURN_NOT_OK(ForEachValidRow(table, "protocol", [&](const arrow::StructArray& s, int64_t i) {
    Protocol p;
    auto r = IntAt(Child(s, "minReaderVersion"), i);
    if (!r) return Status::Invalid("checkpoint 'protocol' row ", i, " has no minReaderVersion");
    p.min_reader_version = static_cast<int32_t>(*r);
    p.min_writer_version = static_cast<int32_t>(IntAt(Child(s, "minWriterVersion"), i).value_or(2));
    auto rf = Child(s, "readerFeatures");
    if (rf && !rf->IsNull(i)) p.reader_features = ListAt(rf, i);
    auto wf = Child(s, "writerFeatures");
    if (wf && !wf->IsNull(i)) p.writer_features = ListAt(wf, i);
    out->protocol = std::move(p);
    return Status::OK();
  }));
  ARROW_RETURN_NOT_OK(ForEachValidRow(table, "txn", [&](const arrow::StructArray& s, int64_t i) {
    Transaction t;
    t.app_id = StrAt(Child(s, "appId"), i).value_or("");
    t.version = IntAt(Child(s, "version"), i).value_or(0);
    t.last_updated = IntAt(Child(s, "lastUpdated"), i);
    out->txns.push_back(std::move(t));
    return Status::OK();
  }));
  ARROW_RETURN_NOT_OK(ForEachValidRow(table, "sidecar", [&](const arrow::StructArray& s, int64_t i) {
    Sidecar sc;
    auto path = StrAt(Child(s, "path"), i);
    if (!path) return Status::Invalid("checkpoint 'sidecar' row ", i, " has no path");
    sc.path = *path;
    sc.size_in_bytes = IntAt(Child(s, "sizeInBytes"), i).value_or(-1);
    sc.modification_time = IntAt(Child(s, "modificationTime"), i).value_or(0);
    out->sidecars.push_back(std::move(sc));
    return Status::OK();
  }));
  ARROW_RETURN_NOT_OK(ForEachValidRow(table, "checkpointMetadata",
                                      [&](const arrow::StructArray& s, int64_t i) {
    out->checkpoint_metadata_version = IntAt(Child(s, "version"), i).value_or(0);
    return Status::OK();
  }));
  ARROW_RETURN_NOT_OK(ForEachValidRow(table, "domainMetadata",
                                      [&](const arrow::StructArray& s, int64_t i) {
    DomainMetadata d;
    d.domain = StrAt(Child(s, "domain"), i).value_or("");
    d.configuration = StrAt(Child(s, "configuration"), i).value_or("");
    d.removed = BoolAt(Child(s, "removed"), i).value_or(false);
    out->domain_metadata.push_back(std::move(d));
    return Status::OK();
  }));
  return Status::OK();
}

}  // namespace shoal::delta
