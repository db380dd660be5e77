#include "shoal/delta/action_writer.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <string_view>

#include <arrow/array.h>
#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/exec.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/util/key_value_metadata.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

#include "shoal/common/strings.h"

namespace shoal::delta {

namespace cp = arrow::compute;

const std::string& ShoalEngineInfo() {
#ifndef SHOAL_VERSION
#error "SHOAL_VERSION is set by CMakeLists.txt"
#endif
  static const std::string kInfo = std::string("shoal/") + SHOAL_VERSION;
  return kInfo;
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    std::mt19937_64 g(seq);
    return g;
  }());
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

namespace {

JsonValue Str(const std::string& s) { return JsonValue::String(s); }
JsonValue Num(int64_t v) { return JsonValue::Number(std::to_string(v)); }

JsonValue StringMapJson(const std::map<std::string, std::string>& m) {
  JsonValue out = JsonValue::Object();
  for (const auto& [k, v] : m) out.Add(k, Str(v));
  return out;
}

JsonValue PartitionValuesJson(const PartitionValueMap& m) {
  JsonValue out = JsonValue::Object();
  for (const auto& [k, v] : m) out.Add(k, v ? Str(*v) : JsonValue());
  return out;
}

JsonValue StringListJson(const std::vector<std::string>& items) {
  JsonValue out = JsonValue::Array();
  for (const auto& s : items) out.Append(Str(s));
  return out;
}

JsonValue DvJson(const DeletionVectorDescriptor& dv) {
  JsonValue out = JsonValue::Object();
  out.Add("storageType", Str(dv.storage_type));
  out.Add("pathOrInlineDv", Str(dv.path_or_inline_dv));
  if (dv.offset) out.Add("offset", Num(*dv.offset));
  out.Add("sizeInBytes", Num(dv.size_in_bytes));
  out.Add("cardinality", Num(dv.cardinality));
  return out;
}

std::string Wrap(const char* key, JsonValue body) {
  JsonValue line = JsonValue::Object();
  line.Add(key, std::move(body));
  return line.ToJson();
}

// Days since 1970-01-01 to civil date (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string DateText(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

/// `micros` as "YYYY-MM-DD<sep>HH:MM:SS" + fraction (6 digits, or 3 when `millis`).
std::string TimestampText(int64_t micros, char sep, bool millis) {
  int64_t days = FloorDiv(micros, 86400000000LL);
  int64_t rest = micros - days * 86400000000LL;
  int64_t secs = rest / 1000000, frac = rest % 1000000;
  char buf[64];
  if (millis) {
    std::snprintf(buf, sizeof(buf), "%s%c%02lld:%02lld:%02lld.%03lld", DateText(days).c_str(), sep,
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60), static_cast<long long>(frac / 1000));
  } else {
    std::snprintf(buf, sizeof(buf), "%s%c%02lld:%02lld:%02lld.%06lld", DateText(days).c_str(), sep,
                  static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                  static_cast<long long>(secs % 60), static_cast<long long>(frac));
  }
  return buf;
}

int64_t ToMicros(int64_t v, arrow::TimeUnit::type unit) {
  switch (unit) {
    case arrow::TimeUnit::SECOND: return v * 1000000;
    case arrow::TimeUnit::MILLI: return v * 1000;
    case arrow::TimeUnit::MICRO: return v;
    case arrow::TimeUnit::NANO: return FloorDiv(v, 1000);
  }
  return v;
}

Result<std::string> DeltaTypeJson(const arrow::DataType& type, const std::string& column);

/// Field metadata keys carried into the Delta schema (other Arrow metadata,
/// e.g. Parquet field ids, is not Delta's).
constexpr const char* kDeltaFieldMetadata[] = {kGenerationExpressionKey};

Result<std::string> FieldJson(const arrow::Field& f) {
  ARROW_ASSIGN_OR_RAISE(auto t, DeltaTypeJson(*f.type(), f.name()));
  std::string meta;
  if (f.metadata()) {
    for (const char* key : kDeltaFieldMetadata) {
      int i = f.metadata()->FindKey(key);
      if (i < 0) continue;
      meta += (meta.empty() ? "" : ",") + JsonQuote(key) + ":" + JsonQuote(f.metadata()->value(i));
    }
  }
  return "{\"name\":" + JsonQuote(f.name()) + ",\"type\":" + t +
         ",\"nullable\":" + (f.nullable() ? "true" : "false") + ",\"metadata\":{" + meta + "}}";
}

Result<std::string> DeltaTypeJson(const arrow::DataType& type, const std::string& column) {
  switch (type.id()) {
    case arrow::Type::BOOL: return std::string("\"boolean\"");
    case arrow::Type::INT8: return std::string("\"byte\"");
    case arrow::Type::INT16: return std::string("\"short\"");
    case arrow::Type::INT32: return std::string("\"integer\"");
    case arrow::Type::INT64: return std::string("\"long\"");
    case arrow::Type::FLOAT: return std::string("\"float\"");
    case arrow::Type::DOUBLE: return std::string("\"double\"");
    case arrow::Type::STRING: return std::string("\"string\"");
    case arrow::Type::BINARY: return std::string("\"binary\"");
    case arrow::Type::DATE32: return std::string("\"date\"");
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      return std::string(ts.timezone().empty() ? "\"timestamp_ntz\"" : "\"timestamp\"");
    }
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(type);
      return "\"decimal(" + std::to_string(d.precision()) + "," + std::to_string(d.scale()) + ")\"";
    }
    case arrow::Type::STRUCT: {
      std::string out = "{\"type\":\"struct\",\"fields\":[";
      for (int i = 0; i < type.num_fields(); ++i) {
        if (i) out += ",";
        ARROW_ASSIGN_OR_RAISE(auto f, FieldJson(*type.field(i)));
        out += f;
      }
      return out + "]}";
    }
    case arrow::Type::LIST: {
      const auto& l = static_cast<const arrow::ListType&>(type);
      ARROW_ASSIGN_OR_RAISE(auto e, DeltaTypeJson(*l.value_type(), column));
      return "{\"type\":\"array\",\"elementType\":" + e + ",\"containsNull\":" +
             (l.value_field()->nullable() ? "true" : "false") + "}";
    }
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(type);
      ARROW_ASSIGN_OR_RAISE(auto k, DeltaTypeJson(*m.key_type(), column));
      ARROW_ASSIGN_OR_RAISE(auto v, DeltaTypeJson(*m.item_type(), column));
      return "{\"type\":\"map\",\"keyType\":" + k + ",\"valueType\":" + v +
             ",\"valueContainsNull\":" + (m.item_field()->nullable() ? "true" : "false") + "}";
    }
    default:
      return Status::NotImplemented("column '", column, "' has type ", type.ToString(),
                                    ", which Delta cannot store");
  }
}

Result<std::shared_ptr<arrow::DataType>> NormalizeType(const std::shared_ptr<arrow::DataType>& t,
                                                       const std::string& column) {
  using arrow::Type;
  switch (t->id()) {
    case Type::BOOL: case Type::INT8: case Type::INT16: case Type::INT32: case Type::INT64:
    case Type::FLOAT: case Type::DOUBLE: case Type::STRING: case Type::BINARY:
    case Type::DATE32: case Type::DECIMAL128:
      return t;
    case Type::HALF_FLOAT: return arrow::float32();
    case Type::LARGE_STRING: case Type::STRING_VIEW: return arrow::utf8();
    case Type::LARGE_BINARY: case Type::BINARY_VIEW: case Type::FIXED_SIZE_BINARY:
      return arrow::binary();
    case Type::DATE64: return arrow::date32();
    case Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(*t);
      return ts.timezone().empty() ? arrow::timestamp(arrow::TimeUnit::MICRO)
                                   : arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    }
    case Type::DICTIONARY:
      return NormalizeType(static_cast<const arrow::DictionaryType&>(*t).value_type(), column);
    case Type::LIST: case Type::LARGE_LIST: case Type::LIST_VIEW: case Type::LARGE_LIST_VIEW:
    case Type::FIXED_SIZE_LIST: {
      auto vf = static_cast<const arrow::BaseListType&>(*t).value_field();
      ARROW_ASSIGN_OR_RAISE(auto vt, NormalizeType(vf->type(), column));
      return arrow::list(arrow::field("element", vt, vf->nullable()));
    }
    case Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(*t);
      ARROW_ASSIGN_OR_RAISE(auto kt, NormalizeType(m.key_type(), column));
      ARROW_ASSIGN_OR_RAISE(auto vt, NormalizeType(m.item_type(), column));
      return std::make_shared<arrow::MapType>(
          arrow::field("key", kt, false), arrow::field("value", vt, m.item_field()->nullable()));
    }
    case Type::STRUCT: {
      arrow::FieldVector fields;
      for (const auto& f : t->fields()) {
        ARROW_ASSIGN_OR_RAISE(auto ft, NormalizeType(f->type(), column + "." + f->name()));
        fields.push_back(arrow::field(f->name(), ft, f->nullable()));
      }
      return arrow::struct_(fields);
    }
    case Type::DECIMAL32: case Type::DECIMAL64: {
      const auto& d = static_cast<const arrow::DecimalType&>(*t);
      return arrow::decimal128(d.precision(), d.scale());
    }
    case Type::UINT8: case Type::UINT16: case Type::UINT32: case Type::UINT64:
      return Status::NotImplemented("column '", column, "' has unsigned type ", t->ToString(),
                                    ", which Delta has no type for; cast it to a signed integer");
    case Type::NA:
      return Status::NotImplemented("column '", column,
                                    "' has type null (all values null, no type); cast it to a "
                                    "concrete type");
    default:
      return Status::NotImplemented("column '", column, "' has type ", t->ToString(),
                                    ", which Delta cannot store; cast it first");
  }
}

}  // namespace

std::string ProtocolLine(const Protocol& p) {
  JsonValue body = JsonValue::Object();
  body.Add("minReaderVersion", Num(p.min_reader_version));
  body.Add("minWriterVersion", Num(p.min_writer_version));
  if (p.reader_features) body.Add("readerFeatures", StringListJson(*p.reader_features));
  if (p.writer_features) body.Add("writerFeatures", StringListJson(*p.writer_features));
  return Wrap("protocol", std::move(body));
}

std::string MetadataLine(const Metadata& m) {
  JsonValue body = JsonValue::Object();
  body.Add("id", Str(m.id));
  if (m.name) body.Add("name", Str(*m.name));
  if (m.description) body.Add("description", Str(*m.description));
  JsonValue format = JsonValue::Object();
  format.Add("provider", Str(m.format_provider));
  format.Add("options", JsonValue::Object());
  body.Add("format", std::move(format));
  body.Add("schemaString", Str(m.schema_string));
  body.Add("partitionColumns", StringListJson(m.partition_columns));
  body.Add("configuration", StringMapJson(m.configuration));
  if (m.created_time) body.Add("createdTime", Num(*m.created_time));
  return Wrap("metaData", std::move(body));
}

std::string AddLine(const AddFile& a) {
  JsonValue body = JsonValue::Object();
  body.Add("path", Str(a.path));
  body.Add("partitionValues", PartitionValuesJson(a.partition_values));
  body.Add("size", Num(a.size));
  body.Add("modificationTime", Num(a.modification_time));
  body.Add("dataChange", JsonValue::Bool(a.data_change));
  if (a.stats) body.Add("stats", Str(*a.stats));
  if (!a.tags.empty()) body.Add("tags", StringMapJson(a.tags));
  if (a.deletion_vector) body.Add("deletionVector", DvJson(*a.deletion_vector));
  if (a.base_row_id) body.Add("baseRowId", Num(*a.base_row_id));
  if (a.default_row_commit_version) {
    body.Add("defaultRowCommitVersion", Num(*a.default_row_commit_version));
  }
  return Wrap("add", std::move(body));
}

std::string RemoveLine(const RemoveFile& r) {
  JsonValue body = JsonValue::Object();
  body.Add("path", Str(r.path));
  if (r.deletion_timestamp) body.Add("deletionTimestamp", Num(*r.deletion_timestamp));
  body.Add("dataChange", JsonValue::Bool(r.data_change));
  bool extended = r.partition_values.has_value() && r.size.has_value();
  body.Add("extendedFileMetadata", JsonValue::Bool(extended));
  if (r.partition_values) body.Add("partitionValues", PartitionValuesJson(*r.partition_values));
  if (r.size) body.Add("size", Num(*r.size));
  if (r.deletion_vector) body.Add("deletionVector", DvJson(*r.deletion_vector));
  return Wrap("remove", std::move(body));
}

std::string CdcLine(const CdcFile& c) {
  JsonValue body = JsonValue::Object();
  body.Add("path", Str(c.path));
  body.Add("partitionValues", PartitionValuesJson(c.partition_values));
  body.Add("size", Num(c.size));
  body.Add("dataChange", JsonValue::Bool(false));
  return Wrap("cdc", std::move(body));
}

std::string TxnLine(const Transaction& t) {
  JsonValue body = JsonValue::Object();
  body.Add("appId", Str(t.app_id));
  body.Add("version", Num(t.version));
  if (t.last_updated) body.Add("lastUpdated", Num(*t.last_updated));
  return Wrap("txn", std::move(body));
}

Result<std::shared_ptr<arrow::Schema>> NormalizeSchemaForDelta(const arrow::Schema& schema) {
  arrow::FieldVector fields;
  for (const auto& f : schema.fields()) {
    ARROW_ASSIGN_OR_RAISE(auto t, NormalizeType(f->type(), f->name()));
    fields.push_back(arrow::field(f->name(), t, f->nullable(), f->metadata()));
  }
  return arrow::schema(fields);
}

Result<std::string> SchemaToDeltaString(const arrow::Schema& schema) {
  std::string out = "{\"type\":\"struct\",\"fields\":[";
  for (int i = 0; i < schema.num_fields(); ++i) {
    if (i) out += ",";
    ARROW_ASSIGN_OR_RAISE(auto f, FieldJson(*schema.field(i)));
    out += f;
  }
  return out + "]}";
}

Result<std::optional<std::string>> PartitionValueText(const arrow::Array& column, int64_t row) {
  if (column.IsNull(row)) return std::nullopt;
  using arrow::Type;
  switch (column.type_id()) {
    case Type::STRING: {
      auto s = static_cast<const arrow::StringArray&>(column).GetString(row);
      if (s.empty()) return std::nullopt;  // Delta reads an empty partition value as null
      return s;
    }
    case Type::BOOL:
      return std::string(static_cast<const arrow::BooleanArray&>(column).Value(row) ? "true"
                                                                                     : "false");
    case Type::INT8: case Type::INT16: case Type::INT32: case Type::INT64:
    case Type::FLOAT: case Type::DOUBLE: case Type::DECIMAL128: {
      ARROW_ASSIGN_OR_RAISE(auto scalar, column.GetScalar(row));
      return scalar->ToString();
    }
    case Type::DATE32:
      return DateText(static_cast<const arrow::Date32Array&>(column).Value(row));
    case Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(*column.type());
      int64_t us = ToMicros(static_cast<const arrow::TimestampArray&>(column).Value(row), ts.unit());
      return TimestampText(us, ' ', /*millis=*/false);
    }
    default:
      return Status::NotImplemented("a column of type ", column.type()->ToString(),
                                    " cannot be a partition column");
  }
}

std::string EscapePartitionPathValue(const std::string& value) {
  static const std::string kSpecial = "\"#%'*/:=?\\{[]^";
  std::string out;
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7F || kSpecial.find(static_cast<char>(c)) != std::string::npos) {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string EncodeActionPath(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == '=';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

namespace {

constexpr size_t kStringPrefixChars = 32;

bool HasBounds(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32:
    case arrow::Type::INT64: case arrow::Type::FLOAT: case arrow::Type::DOUBLE:
    case arrow::Type::DECIMAL128: case arrow::Type::DATE32: case arrow::Type::TIMESTAMP:
    case arrow::Type::STRING:
      return true;
    default:
      return false;
  }
}

int64_t LeafCount(const arrow::DataType& t) {
  if (t.id() != arrow::Type::STRUCT) return 1;
  int64_t n = 0;
  for (const auto& f : t.fields()) n += LeafCount(*f->type());
  return n;
}

/// Byte length of the first `n` UTF-8 characters of `s` (or s.size()).
size_t Utf8PrefixBytes(const std::string& s, size_t n) {
  size_t i = 0, chars = 0;
  while (i < s.size() && chars < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    i += len;
    ++chars;
  }
  return std::min(i, s.size());
}

Result<bool> Less(const std::shared_ptr<arrow::Scalar>& a, const std::shared_ptr<arrow::Scalar>& b) {
  ARROW_ASSIGN_OR_RAISE(auto d, cp::CallFunction("less", {a, b}));
  const auto& s = static_cast<const arrow::BooleanScalar&>(*d.scalar());
  return s.is_valid && s.value;
}

/// The JSON value of a bound; nullopt when the value cannot be a bound.
std::optional<JsonValue> BoundJson(const arrow::Scalar& s, bool is_max) {
  if (!s.is_valid) return std::nullopt;
  switch (s.type->id()) {
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      double v = s.type->id() == arrow::Type::FLOAT
                     ? static_cast<const arrow::FloatScalar&>(s).value
                     : static_cast<const arrow::DoubleScalar&>(s).value;
      if (!std::isfinite(v)) return std::nullopt;
      return JsonValue::Number(s.ToString());
    }
    case arrow::Type::DATE32:
      return JsonValue::String(DateText(static_cast<const arrow::Date32Scalar&>(s).value));
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(*s.type);
      int64_t us = ToMicros(static_cast<const arrow::TimestampScalar&>(s).value, ts.unit());
      // Millisecond precision, as Spark writes (readers widen maxima by 1 ms).
      us = FloorDiv(us, 1000) * 1000;
      std::string text = TimestampText(us, 'T', /*millis=*/true);
      if (!ts.timezone().empty()) text += "Z";
      return JsonValue::String(text);
    }
    case arrow::Type::STRING: {
      std::string v(static_cast<const arrow::StringScalar&>(s).view());
      size_t cut = Utf8PrefixBytes(v, kStringPrefixChars);
      if (cut >= v.size()) return JsonValue::String(v);
      std::string prefix = v.substr(0, cut);
      if (!is_max) return JsonValue::String(prefix);
      // A cut maximum must stay >= every value: append the largest code point.
      std::string raised = prefix + "\xF4\x8F\xBF\xBF";
      if (raised < v) return std::nullopt;
      return JsonValue::String(raised);
    }
    default:
      return JsonValue::Number(s.ToString());
  }
}

}  // namespace

StatsCollector::StatsCollector(std::shared_ptr<arrow::Schema> schema, int64_t num_indexed_cols)
    : schema_(std::move(schema)) {
  int64_t budget = num_indexed_cols < 0 ? INT64_MAX : num_indexed_cols;
  for (int i = 0; i < schema_->num_fields() && budget > 0; ++i) {
    const auto& type = *schema_->field(i)->type();
    budget -= LeafCount(type);
    if (type.id() == arrow::Type::STRUCT) continue;  // nested statistics: not collected yet
    Column c;
    c.index = i;
    c.bounds = HasBounds(type);
    columns_.push_back(std::move(c));
  }
}

Status StatsCollector::Update(const arrow::RecordBatch& batch) {
  num_records_ += batch.num_rows();
  for (auto& c : columns_) {
    const auto& arr = batch.column(c.index);
    c.null_count += arr->null_count();
    if (!c.bounds || arr->null_count() == arr->length()) continue;
    if (arr->type_id() == arrow::Type::FLOAT || arr->type_id() == arrow::Type::DOUBLE) {
      ARROW_ASSIGN_OR_RAISE(auto nan, cp::CallFunction("is_nan", {arr}));
      ARROW_ASSIGN_OR_RAISE(auto any, cp::CallFunction("any", {nan}));
      const auto& s = static_cast<const arrow::BooleanScalar&>(*any.scalar());
      if (s.is_valid && s.value) c.has_nan = true;
    }
    std::shared_ptr<arrow::Scalar> mn, mx;
    if (arr->type_id() == arrow::Type::STRING || arr->type_id() == arrow::Type::BINARY) {
      // Byte-wise bounds over views (the min_max kernel copies every value).
      const auto& sa = static_cast<const arrow::BinaryArray&>(*arr);
      bool nulls = sa.null_count() > 0, any = false;
      std::string_view lo, hi;
      for (int64_t i = 0; i < sa.length(); ++i) {
        if (nulls && sa.IsNull(i)) continue;
        std::string_view v = sa.GetView(i);
        if (!any) {
          lo = hi = v;
          any = true;
        } else if (v < lo) {
          lo = v;
        } else if (hi < v) {
          hi = v;
        }
      }
      if (!any) continue;
      if (arr->type_id() == arrow::Type::STRING) {
        mn = std::make_shared<arrow::StringScalar>(std::string(lo));
        mx = std::make_shared<arrow::StringScalar>(std::string(hi));
      } else {
        mn = std::make_shared<arrow::BinaryScalar>(std::string(lo));
        mx = std::make_shared<arrow::BinaryScalar>(std::string(hi));
      }
    } else {
      ARROW_ASSIGN_OR_RAISE(auto mm, cp::MinMax(arr, cp::ScalarAggregateOptions(true, 0)));
      const auto& st = static_cast<const arrow::StructScalar&>(*mm.scalar());
      mn = st.value[0];
      mx = st.value[1];
    }
    if (!mn->is_valid || !mx->is_valid) continue;
    if (!c.min) {
      c.min = mn;
      c.max = mx;
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(bool lower, Less(mn, c.min));
    if (lower) c.min = mn;
    ARROW_ASSIGN_OR_RAISE(bool higher, Less(c.max, mx));
    if (higher) c.max = mx;
  }
  return Status::OK();
}

Result<std::string> StatsCollector::ToJson() const {
  JsonValue mins = JsonValue::Object(), maxs = JsonValue::Object(), nulls = JsonValue::Object();
  for (const auto& c : columns_) {
    const std::string& name = schema_->field(c.index)->name();
    nulls.Add(name, Num(c.null_count));
    if (!c.min || c.has_nan) continue;
    auto lo = BoundJson(*c.min, false);
    auto hi = BoundJson(*c.max, true);
    if (lo) mins.Add(name, std::move(*lo));
    if (hi) maxs.Add(name, std::move(*hi));
  }
  JsonValue out = JsonValue::Object();
  out.Add("numRecords", Num(num_records_));
  out.Add("minValues", std::move(mins));
  out.Add("maxValues", std::move(maxs));
  out.Add("nullCount", std::move(nulls));
  return out.ToJson();
}

Result<int64_t> IntProperty(const std::map<std::string, std::string>& configuration,
                            const std::string& key, int64_t fallback) {
  auto it = configuration.find(key);
  if (it == configuration.end()) return fallback;
  const std::string& v = it->second;
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') {
    return Status::Invalid("table property '", key, "' must be an integer, not '", v, "'");
  }
  return static_cast<int64_t>(n);
}

}  // namespace shoal::delta
