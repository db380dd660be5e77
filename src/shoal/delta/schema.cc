#include "shoal/delta/schema.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>
#include <arrow/util/key_value_metadata.h>

#include "shoal/common/strings.h"
#include "shoal/delta/json.h"

namespace shoal::delta {

namespace {

Result<std::shared_ptr<arrow::DataType>> ParseType(const JsonValue& type, const std::string& column);

Result<std::shared_ptr<arrow::Field>> ParseField(const JsonValue& f, const std::string& parent) {
  if (!f.is_object()) return Status::Invalid("invalid schema: a field of '", parent, "' is not an object");
  const JsonValue* name = f.Find("name");
  if (!name || !name->is_string()) {
    return Status::Invalid("invalid schema: a field of '", parent, "' has no name");
  }
  std::string path = parent.empty() ? name->text() : parent + "." + name->text();
  const JsonValue* type = f.Find("type");
  if (!type) return Status::Invalid("invalid schema: column '", path, "' has no type");
  ARROW_ASSIGN_OR_RAISE(auto t, ParseType(*type, path));
  const JsonValue* nullable = f.Find("nullable");
  bool is_nullable = !nullable || !nullable->is_bool() || nullable->bool_value();
  std::shared_ptr<arrow::KeyValueMetadata> md;
  if (const JsonValue* meta = f.Find("metadata"); meta && meta->is_object()) {
    std::vector<std::string> keys, values;
    for (const auto& [k, v] : meta->members()) {
      if (k == kPhysicalNameKey || k == kColumnIdKey) {
        keys.push_back(k);
        values.push_back(v.is_string() || v.is_number() ? v.text() : v.ToJson());
      }
    }
    if (!keys.empty()) md = arrow::key_value_metadata(keys, values);
  }
  return arrow::field(name->text(), t, is_nullable, md);
}

Result<std::shared_ptr<arrow::DataType>> ParseType(const JsonValue& type, const std::string& column) {
  if (type.is_string()) {
    auto t = ParsePrimitiveType(type.text());
    if (!t.ok()) {
      return t.status().WithMessage("column '", column, "': ", t.status().message());
    }
    return t;
  }
  if (!type.is_object()) return Status::Invalid("invalid schema: column '", column, "' has a bad type");
  const JsonValue* kind = type.Find("type");
  if (!kind || !kind->is_string()) {
    return Status::Invalid("invalid schema: column '", column, "' has a type without 'type'");
  }
  if (kind->text() == "struct") {
    const JsonValue* fields = type.Find("fields");
    if (!fields || !fields->is_array()) {
      return Status::Invalid("invalid schema: struct '", column, "' has no fields");
    }
    arrow::FieldVector out;
    for (const auto& f : fields->elements()) {
      ARROW_ASSIGN_OR_RAISE(auto field, ParseField(f, column));
      out.push_back(std::move(field));
    }
    return arrow::struct_(std::move(out));
  }
  if (kind->text() == "array") {
    const JsonValue* elem = type.Find("elementType");
    if (!elem) return Status::Invalid("invalid schema: array '", column, "' has no elementType");
    ARROW_ASSIGN_OR_RAISE(auto t, ParseType(*elem, column + ".element"));
    const JsonValue* cn = type.Find("containsNull");
    bool nullable = !cn || !cn->is_bool() || cn->bool_value();
    return arrow::list(arrow::field("element", t, nullable));
  }
  if (kind->text() == "map") {
    const JsonValue* k = type.Find("keyType");
    const JsonValue* v = type.Find("valueType");
    if (!k || !v) return Status::Invalid("invalid schema: map '", column, "' needs keyType and valueType");
    ARROW_ASSIGN_OR_RAISE(auto kt, ParseType(*k, column + ".key"));
    ARROW_ASSIGN_OR_RAISE(auto vt, ParseType(*v, column + ".value"));
    const JsonValue* vn = type.Find("valueContainsNull");
    bool nullable = !vn || !vn->is_bool() || vn->bool_value();
    return std::make_shared<arrow::MapType>(arrow::field("key", kt, false),
                                            arrow::field("value", vt, nullable));
  }
  return Status::NotImplemented("column '", column, "' has type '", kind->text(),
                                "', which Shoal does not support");
}

std::shared_ptr<arrow::DataType> StripType(const std::shared_ptr<arrow::DataType>& t);

std::shared_ptr<arrow::Field> StripField(const std::shared_ptr<arrow::Field>& f) {
  return arrow::field(f->name(), StripType(f->type()), f->nullable());
}

std::shared_ptr<arrow::DataType> StripType(const std::shared_ptr<arrow::DataType>& t) {
  switch (t->id()) {
    case arrow::Type::STRUCT: {
      arrow::FieldVector fields;
      for (const auto& f : t->fields()) fields.push_back(StripField(f));
      return arrow::struct_(std::move(fields));
    }
    case arrow::Type::LIST:
      return arrow::list(StripField(t->field(0)));
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(*t);
      return std::make_shared<arrow::MapType>(StripField(m.key_field()), StripField(m.item_field()));
    }
    default:
      return t;
  }
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ReadInt(const std::string& s, size_t* pos, int digits_min, int digits_max, int64_t* out) {
  int64_t v = 0;
  int n = 0;
  while (*pos < s.size() && n < digits_max && s[*pos] >= '0' && s[*pos] <= '9') {
    v = v * 10 + (s[*pos] - '0');
    ++*pos;
    ++n;
  }
  if (n < digits_min) return false;
  *out = v;
  return true;
}

// Parse [-]YYYY-MM-DD at *pos.
bool ReadDate(const std::string& s, size_t* pos, int64_t* days) {
  bool neg = false;
  if (*pos < s.size() && s[*pos] == '-') {
    neg = true;
    ++*pos;
  } else if (*pos < s.size() && s[*pos] == '+') {
    ++*pos;
  }
  int64_t y, m, d;
  if (!ReadInt(s, pos, 4, 6, &y)) return false;
  if (*pos >= s.size() || s[*pos] != '-') return false;
  ++*pos;
  if (!ReadInt(s, pos, 1, 2, &m)) return false;
  if (*pos >= s.size() || s[*pos] != '-') return false;
  ++*pos;
  if (!ReadInt(s, pos, 1, 2, &d)) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  *days = DaysFromCivil(neg ? -y : y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

}  // namespace

std::optional<int32_t> ParseDateDays(const std::string& text) {
  std::string s = Trim(text);
  size_t pos = 0;
  int64_t days;
  if (!ReadDate(s, &pos, &days) || pos != s.size()) return std::nullopt;
  return static_cast<int32_t>(days);
}

std::optional<int64_t> ParseTimestampMicros(const std::string& text) {
  std::string s = Trim(text);
  size_t pos = 0;
  int64_t days;
  if (!ReadDate(s, &pos, &days)) return std::nullopt;
  int64_t micros = days * 86400LL * 1000000LL;
  if (pos == s.size()) return micros;
  if (s[pos] != ' ' && s[pos] != 'T') return std::nullopt;
  ++pos;
  int64_t h, mi, sec = 0;
  if (!ReadInt(s, &pos, 1, 2, &h)) return std::nullopt;
  if (pos >= s.size() || s[pos] != ':') return std::nullopt;
  ++pos;
  if (!ReadInt(s, &pos, 1, 2, &mi)) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!ReadInt(s, &pos, 1, 2, &sec)) return std::nullopt;
  }
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) frac = frac * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (int i = std::min(n, 6); i < 6; ++i) frac *= 10;
  }
  micros += ((h * 60 + mi) * 60 + sec) * 1000000LL + frac;
  if (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om = 0;
    if (!ReadInt(s, &pos, 2, 2, &oh)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') ++pos;
    ReadInt(s, &pos, 2, 2, &om);
    micros -= sign * (oh * 60 + om) * 60 * 1000000LL;
  }
  if (pos != s.size()) return std::nullopt;
  return micros;
}

Result<std::shared_ptr<arrow::DataType>> ParsePrimitiveType(const std::string& name) {
  if (name == "string") return arrow::utf8();
  if (name == "long") return arrow::int64();
  if (name == "integer") return arrow::int32();
  if (name == "short") return arrow::int16();
  if (name == "byte") return arrow::int8();
  if (name == "float") return arrow::float32();
  if (name == "double") return arrow::float64();
  if (name == "boolean") return arrow::boolean();
  if (name == "binary") return arrow::binary();
  if (name == "date") return arrow::date32();
  if (name == "timestamp") return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  if (name == "timestamp_ntz") return arrow::timestamp(arrow::TimeUnit::MICRO);
  if (name == "void") return arrow::null();
  if (name == "decimal") return arrow::decimal128(10, 0);
  if (name.rfind("decimal(", 0) == 0 && name.back() == ')') {
    std::string inner = name.substr(8, name.size() - 9);
    auto comma = inner.find(',');
    if (comma != std::string::npos) {
      char* end = nullptr;
      std::string ps = Trim(inner.substr(0, comma)), ss = Trim(inner.substr(comma + 1));
      long p = std::strtol(ps.c_str(), &end, 10);
      bool ok = end && *end == '\0' && !ps.empty();
      long sc = std::strtol(ss.c_str(), &end, 10);
      ok = ok && end && *end == '\0' && !ss.empty();
      if (ok && p >= 1 && p <= 38 && sc >= 0 && sc <= p) {
        return arrow::decimal128(static_cast<int32_t>(p), static_cast<int32_t>(sc));
      }
    }
    return Status::Invalid("invalid decimal type '", name, "'");
  }
  if (name == "variant") {
    // Unshredded variant values as stored in Parquet: binary metadata and value.
    return arrow::struct_({arrow::field("metadata", arrow::binary()),
                           arrow::field("value", arrow::binary())});
  }
  return Status::NotImplemented("unknown Delta type '", name, "'");
}

Result<std::shared_ptr<arrow::Schema>> ParseSchemaString(const std::string& schema_string) {
  auto doc = ParseJson(schema_string);
  if (!doc.ok()) {
    return Status::Invalid("invalid schemaString: ", doc.status().message());
  }
  const JsonValue* kind = doc->Find("type");
  const JsonValue* fields = doc->Find("fields");
  if (!kind || !kind->is_string() || kind->text() != "struct" || !fields || !fields->is_array()) {
    return Status::Invalid("invalid schemaString: the top level must be a struct with fields");
  }
  arrow::FieldVector out;
  for (const auto& f : fields->elements()) {
    ARROW_ASSIGN_OR_RAISE(auto field, ParseField(f, ""));
    out.push_back(std::move(field));
  }
  return arrow::schema(std::move(out));
}

std::shared_ptr<arrow::Schema> StripDeltaMetadata(const std::shared_ptr<arrow::Schema>& schema) {
  arrow::FieldVector fields;
  for (const auto& f : schema->fields()) fields.push_back(StripField(f));
  return arrow::schema(std::move(fields));
}

Result<ColumnMappingMode> GetColumnMappingMode(const Metadata& metadata) {
  auto it = metadata.configuration.find("delta.columnMapping.mode");
  if (it == metadata.configuration.end()) return ColumnMappingMode::kNone;
  std::string mode = ToLower(it->second);
  if (mode == "none") return ColumnMappingMode::kNone;
  if (mode == "name") return ColumnMappingMode::kName;
  if (mode == "id") return ColumnMappingMode::kId;
  return Status::NotImplemented("column mapping mode '", it->second, "' is not supported");
}

std::string PhysicalName(const arrow::Field& field, ColumnMappingMode mode) {
  if (mode != ColumnMappingMode::kNone && field.metadata()) {
    int i = field.metadata()->FindKey(kPhysicalNameKey);
    if (i >= 0) return field.metadata()->value(i);
  }
  return field.name();
}

std::optional<int32_t> ColumnMappingId(const arrow::Field& field) {
  if (!field.metadata()) return std::nullopt;
  int i = field.metadata()->FindKey(kColumnIdKey);
  if (i < 0) return std::nullopt;
  char* end = nullptr;
  const std::string& v = field.metadata()->value(i);
  long id = std::strtol(v.c_str(), &end, 10);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<int32_t>(id);
}

Result<std::shared_ptr<arrow::Scalar>> ParsePartitionValue(
    const std::optional<std::string>& raw, const std::shared_ptr<arrow::DataType>& type) {
  if (!raw || raw->empty()) return arrow::MakeNullScalar(type);
  const std::string& v = *raw;
  auto bad = [&]() {
    return Status::Invalid("invalid partition value '", v, "' for type ", type->ToString());
  };
  switch (type->id()) {
    case arrow::Type::STRING:
      return std::make_shared<arrow::StringScalar>(v);
    case arrow::Type::BINARY:
      return std::make_shared<arrow::BinaryScalar>(arrow::Buffer::FromString(v));
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64: {
      errno = 0;
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (errno != 0 || !end || *end != '\0') return bad();
      const int bits = type->byte_width() * 8;
      if (bits < 64 && (x < -(1LL << (bits - 1)) || x >= (1LL << (bits - 1)))) return bad();
      auto s = arrow::MakeScalar(type, static_cast<int64_t>(x));
      if (!s.ok()) return bad();
      return *s;
    }
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE: {
      double x;
      if (v == "NaN") {
        x = std::numeric_limits<double>::quiet_NaN();
      } else if (v == "Infinity") {
        x = std::numeric_limits<double>::infinity();
      } else if (v == "-Infinity") {
        x = -std::numeric_limits<double>::infinity();
      } else {
        char* end = nullptr;
        x = std::strtod(v.c_str(), &end);
        if (!end || *end != '\0') return bad();
      }
      if (type->id() == arrow::Type::FLOAT) {
        return std::make_shared<arrow::FloatScalar>(static_cast<float>(x));
      }
      return std::make_shared<arrow::DoubleScalar>(x);
    }
    case arrow::Type::BOOL: {
      std::string l = ToLower(v);
      if (l == "true") return std::make_shared<arrow::BooleanScalar>(true);
      if (l == "false") return std::make_shared<arrow::BooleanScalar>(false);
      return bad();
    }
    case arrow::Type::DATE32: {
      auto d = ParseDateDays(v);
      if (!d) return bad();
      return std::make_shared<arrow::Date32Scalar>(*d);
    }
    case arrow::Type::TIMESTAMP: {
      auto t = ParseTimestampMicros(v);
      if (!t) return bad();
      return std::make_shared<arrow::TimestampScalar>(*t, type);
    }
    case arrow::Type::DECIMAL128: {
      const auto& dt = static_cast<const arrow::Decimal128Type&>(*type);
      arrow::Decimal128 d;
      int32_t precision, scale;
      if (!arrow::Decimal128::FromString(v, &d, &precision, &scale).ok()) return bad();
      auto rescaled = d.Rescale(scale, dt.scale());
      if (!rescaled.ok()) return bad();
      return std::make_shared<arrow::Decimal128Scalar>(*rescaled, type);
    }
    case arrow::Type::NA:
      return arrow::MakeNullScalar(type);
    default:
      return Status::NotImplemented("partition columns of type ", type->ToString(),
                                    " are not supported");
  }
}

}  // namespace shoal::delta
