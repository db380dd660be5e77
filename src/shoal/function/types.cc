// SQL type names <-> Arrow types, and implicit coercion rules.
#include <algorithm>

#include <arrow/type.h>
#include <arrow/util/checked_cast.h>

#include "shoal/common/strings.h"
#include "shoal/function/function_catalog.h"
#include "shoal/function/binder_internal.h"

namespace shoal {

using arrow::DataType;
using arrow::Type;
using arrow::internal::checked_cast;

namespace {

Result<std::shared_ptr<DataType>> MakeDecimal(const std::vector<int64_t>& params) {
  int64_t precision = 38, scale = 10;  // DataFusion's default for a bare DECIMAL
  if (params.size() >= 1) {
    precision = params[0];
    scale = 0;
  }
  if (params.size() >= 2) scale = params[1];
  if (params.size() > 2) return Status::Invalid("DECIMAL takes at most 2 parameters");
  if (precision < 1 || precision > 38) {
    return Status::Invalid("DECIMAL precision must be between 1 and 38, got ", precision);
  }
  if (scale < 0 || scale > precision) {
    return Status::Invalid("DECIMAL scale must be between 0 and the precision (", precision,
                           "), got ", scale);
  }
  return arrow::decimal128(static_cast<int32_t>(precision), static_cast<int32_t>(scale));
}

arrow::TimeUnit::type UnitFromPrecision(int64_t p) {
  if (p <= 0) return arrow::TimeUnit::SECOND;
  if (p <= 3) return arrow::TimeUnit::MILLI;
  if (p <= 6) return arrow::TimeUnit::MICRO;
  return arrow::TimeUnit::NANO;
}

}  // namespace

Result<std::shared_ptr<DataType>> SqlTypeToArrow(const std::string& raw_name,
                                                 const std::vector<int64_t>& params) {
  return SqlTypeToArrow(raw_name, params, nullptr);
}

Result<std::shared_ptr<DataType>> SqlTypeToArrow(const std::string& raw_name,
                                                 const std::vector<int64_t>& params,
                                                 const std::shared_ptr<DataType>& element) {
  const std::string name = ToLower(raw_name);
  if (name == "list" || name == "array") {
    if (element == nullptr) return Status::Invalid("type ", raw_name, " needs an element type");
    return arrow::list(element);
  }
  if (element != nullptr) return Status::Invalid("type ", raw_name, " takes no element type");
  auto no_params = [&](std::shared_ptr<DataType> t) -> Result<std::shared_ptr<DataType>> {
    if (!params.empty()) return Status::Invalid("type ", ToUpper(name), " takes no parameters");
    return t;
  };
  if (name == "boolean" || name == "bool" || name == "logical") return no_params(arrow::boolean());
  if (name == "tinyint" || name == "int1") return no_params(arrow::int8());
  if (name == "smallint" || name == "int2" || name == "short") return no_params(arrow::int16());
  if (name == "integer" || name == "int" || name == "int4" || name == "signed") {
    return no_params(arrow::int32());
  }
  if (name == "bigint" || name == "int8" || name == "long") return no_params(arrow::int64());
  if (name == "utinyint" || name == "uint1") return no_params(arrow::uint8());
  if (name == "usmallint" || name == "uint2") return no_params(arrow::uint16());
  if (name == "uinteger" || name == "uint4" || name == "uint" || name == "unsigned") {
    return no_params(arrow::uint32());
  }
  if (name == "ubigint" || name == "uint8") return no_params(arrow::uint64());
  if (name == "real" || name == "float4") return no_params(arrow::float32());
  if (name == "float") {
    // FLOAT(p): p <= 24 is single precision (SQL standard); bare FLOAT is FLOAT4
    // like DuckDB and DataFusion.
    if (params.size() > 1) return Status::Invalid("FLOAT takes at most 1 parameter");
    if (!params.empty() && params[0] > 24) return arrow::float64();
    return arrow::float32();
  }
  if (name == "double" || name == "double precision" || name == "float8") {
    return no_params(arrow::float64());
  }
  if (name == "decimal" || name == "numeric" || name == "dec") return MakeDecimal(params);
  if (name == "varchar" || name == "text" || name == "string" || name == "char" ||
      name == "character" || name == "character varying" || name == "bpchar" ||
      name == "nvarchar" || name == "nchar" || name == "json" || name == "uuid") {
    if (params.size() > 1) return Status::Invalid("type ", ToUpper(name), " takes at most 1 parameter");
    return arrow::utf8();
  }
  if (name == "blob" || name == "bytea" || name == "binary" || name == "varbinary") {
    if (params.size() > 1) return Status::Invalid("type ", ToUpper(name), " takes at most 1 parameter");
    return arrow::binary();
  }
  if (name == "date") return no_params(arrow::date32());
  if (name == "time") {
    if (params.size() > 1) return Status::Invalid("TIME takes at most 1 parameter");
    auto unit = params.empty() ? arrow::TimeUnit::MICRO : UnitFromPrecision(params[0]);
    if (unit == arrow::TimeUnit::SECOND || unit == arrow::TimeUnit::MILLI) return arrow::time32(unit);
    return arrow::time64(unit);
  }
  if (name == "timestamp" || name == "datetime" || name == "timestamp without time zone") {
    if (params.size() > 1) return Status::Invalid("TIMESTAMP takes at most 1 parameter");
    return arrow::timestamp(params.empty() ? arrow::TimeUnit::MICRO : UnitFromPrecision(params[0]));
  }
  if (name == "timestamptz" || name == "timestamp with time zone") {
    if (params.size() > 1) return Status::Invalid("TIMESTAMPTZ takes at most 1 parameter");
    return arrow::timestamp(
        params.empty() ? arrow::TimeUnit::MICRO : UnitFromPrecision(params[0]), "UTC");
  }
  if (name == "interval") return no_params(arrow::month_day_nano_interval());
  if (name == "null") return no_params(arrow::null());
  static const std::vector<std::string> kNames = {
      "boolean", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint",
      "uinteger", "ubigint", "real", "float", "double", "decimal", "numeric", "varchar",
      "text", "string", "char", "blob", "bytea", "date", "time", "timestamp",
      "timestamptz", "interval", "list"};
  auto close = ClosestMatches(name, kNames);
  if (!close.empty()) {
    return Status::Invalid("unknown type ", raw_name, "; did you mean ", JoinQuoted(close, " or "),
                           "?");
  }
  return Status::Invalid("unknown type ", raw_name);
}

std::string ArrowTypeToSql(const DataType& type) {
  switch (type.id()) {
    case Type::NA: return "NULL";
    case Type::BOOL: return "BOOLEAN";
    case Type::INT8: return "TINYINT";
    case Type::INT16: return "SMALLINT";
    case Type::INT32: return "INTEGER";
    case Type::INT64: return "BIGINT";
    case Type::UINT8: return "UTINYINT";
    case Type::UINT16: return "USMALLINT";
    case Type::UINT32: return "UINTEGER";
    case Type::UINT64: return "UBIGINT";
    case Type::HALF_FLOAT: return "HALF_FLOAT";
    case Type::FLOAT: return "FLOAT";
    case Type::DOUBLE: return "DOUBLE";
    case Type::DECIMAL32:
    case Type::DECIMAL64:
    case Type::DECIMAL128:
    case Type::DECIMAL256: {
      const auto& d = checked_cast<const arrow::DecimalType&>(type);
      return "DECIMAL(" + std::to_string(d.precision()) + "," + std::to_string(d.scale()) + ")";
    }
    case Type::STRING:
    case Type::LARGE_STRING:
    case Type::STRING_VIEW: return "VARCHAR";
    case Type::BINARY:
    case Type::LARGE_BINARY:
    case Type::BINARY_VIEW:
    case Type::FIXED_SIZE_BINARY: return "BLOB";
    case Type::DATE32:
    case Type::DATE64: return "DATE";
    case Type::TIME32:
    case Type::TIME64: return "TIME";
    case Type::TIMESTAMP: {
      const auto& t = checked_cast<const arrow::TimestampType&>(type);
      return t.timezone().empty() ? "TIMESTAMP" : "TIMESTAMP WITH TIME ZONE";
    }
    case Type::INTERVAL_MONTHS:
    case Type::INTERVAL_DAY_TIME:
    case Type::INTERVAL_MONTH_DAY_NANO: return "INTERVAL";
    case Type::DURATION: return "DURATION";
    case Type::LIST:
    case Type::LARGE_LIST:
    case Type::LIST_VIEW:
    case Type::LARGE_LIST_VIEW:
    case Type::FIXED_SIZE_LIST:
      return ArrowTypeToSql(*checked_cast<const arrow::BaseListType&>(type).value_type()) +
             "[]";
    case Type::STRUCT: {
      std::string s = "STRUCT(";
      for (int i = 0; i < type.num_fields(); ++i) {
        if (i > 0) s += ", ";
        s += type.field(i)->name() + " " + ArrowTypeToSql(*type.field(i)->type());
      }
      return s + ")";
    }
    case Type::MAP: {
      const auto& m = checked_cast<const arrow::MapType&>(type);
      return "MAP(" + ArrowTypeToSql(*m.key_type()) + ", " + ArrowTypeToSql(*m.item_type()) +
             ")";
    }
    case Type::DICTIONARY:
      return ArrowTypeToSql(*checked_cast<const arrow::DictionaryType&>(type).value_type());
    default: return ToUpper(type.ToString());
  }
}

namespace function_internal {

bool IsIntegerType(const DataType& t) { return arrow::is_integer(t.id()); }
bool IsFloatType(const DataType& t) { return arrow::is_floating(t.id()); }
bool IsDecimalType(const DataType& t) { return arrow::is_decimal(t.id()); }
bool IsNumericType(const DataType& t) {
  return IsIntegerType(t) || IsFloatType(t) || IsDecimalType(t);
}
bool IsStringType(const DataType& t) {
  return t.id() == Type::STRING || t.id() == Type::LARGE_STRING || t.id() == Type::STRING_VIEW;
}
bool IsTemporalType(const DataType& t) {
  return t.id() == Type::DATE32 || t.id() == Type::DATE64 || t.id() == Type::TIMESTAMP ||
         t.id() == Type::TIME32 || t.id() == Type::TIME64;
}

int IntegerDigits(const DataType& t) {
  switch (t.id()) {
    case Type::INT8: case Type::UINT8: return 3;
    case Type::INT16: case Type::UINT16: return 5;
    case Type::INT32: case Type::UINT32: return 10;
    case Type::INT64: return 19;
    case Type::UINT64: return 20;
    default: return 0;
  }
}

std::shared_ptr<DataType> IntegerAsDecimal(const DataType& t) {
  return arrow::decimal128(std::min(38, IntegerDigits(t)), 0);
}

int IntegerBitWidth(const DataType& t) {
  return checked_cast<const arrow::FixedWidthType&>(t).bit_width();
}

}  // namespace function_internal

using namespace function_internal;  // NOLINT

namespace {

std::shared_ptr<DataType> StripDictionary(const std::shared_ptr<DataType>& t) {
  if (t->id() == Type::DICTIONARY) {
    return checked_cast<const arrow::DictionaryType&>(*t).value_type();
  }
  return t;
}

std::shared_ptr<DataType> CommonInteger(const DataType& a, const DataType& b) {
  bool sa = arrow::is_signed_integer(a.id()), sb = arrow::is_signed_integer(b.id());
  int wa = IntegerBitWidth(a), wb = IntegerBitWidth(b);
  if (sa == sb) {
    int w = std::max(wa, wb);
    if (sa) return w == 8 ? arrow::int8() : w == 16 ? arrow::int16() : w == 32 ? arrow::int32() : arrow::int64();
    return w == 8 ? arrow::uint8() : w == 16 ? arrow::uint16() : w == 32 ? arrow::uint32() : arrow::uint64();
  }
  int uw = sa ? wb : wa, sw = sa ? wa : wb;
  // A signed type wide enough for the unsigned one.
  int w = std::max(sw, uw * 2);
  if (w <= 16) return arrow::int16();
  if (w <= 32) return arrow::int32();
  if (w <= 64) return arrow::int64();
  return arrow::decimal128(20, 0);  // uint64 vs signed
}

std::shared_ptr<DataType> CommonDecimal(const DataType& a, const DataType& b) {
  auto as_dec = [](const DataType& t) -> std::pair<int, int> {
    if (IsDecimalType(t)) {
      const auto& d = checked_cast<const arrow::DecimalType&>(t);
      return {d.precision(), d.scale()};
    }
    return {IntegerDigits(t), 0};
  };
  auto [pa, sa] = as_dec(a);
  auto [pb, sb] = as_dec(b);
  int scale = std::max(sa, sb);
  int int_digits = std::max(pa - sa, pb - sb);
  int precision = std::min(38, int_digits + scale);
  if (scale > precision) scale = precision;
  return arrow::decimal128(precision, scale);
}

arrow::TimeUnit::type FinerUnit(arrow::TimeUnit::type a, arrow::TimeUnit::type b) {
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

}  // namespace

namespace function_internal {

Result<std::shared_ptr<DataType>> CommonTypeOf(const std::shared_ptr<DataType>& a_in,
                                               const std::shared_ptr<DataType>& b_in) {
  auto a = StripDictionary(a_in), b = StripDictionary(b_in);
  if (a->Equals(*b)) return a;
  if (a->id() == Type::NA) return b;
  if (b->id() == Type::NA) return a;
  // Numbers.
  if (IsNumericType(*a) && IsNumericType(*b)) {
    if (IsFloatType(*a) || IsFloatType(*b)) {
      if (a->id() == Type::DOUBLE || b->id() == Type::DOUBLE) return arrow::float64();
      const DataType& other = IsFloatType(*a) ? *b : *a;
      if (IsFloatType(other)) return arrow::float32();  // half + float
      if (IsIntegerType(other) && IntegerBitWidth(other) <= 16) return arrow::float32();
      return arrow::float64();
    }
    if (IsDecimalType(*a) || IsDecimalType(*b)) return CommonDecimal(*a, *b);
    return CommonInteger(*a, *b);
  }
  // Strings of different kinds; a string against another type: the other type
  // (string literals compare with dates, numbers, ... by casting the string).
  if (IsStringType(*a) && IsStringType(*b)) {
    if (a->id() == Type::LARGE_STRING || b->id() == Type::LARGE_STRING) return arrow::large_utf8();
    return arrow::utf8();
  }
  if (IsStringType(*a) && !arrow::is_nested(b->id())) return b;
  if (IsStringType(*b) && !arrow::is_nested(a->id())) return a;
  if (arrow::is_binary_like(a->id()) || arrow::is_large_binary_like(a->id()) ||
      a->id() == Type::BINARY_VIEW) {
    if (arrow::is_binary_like(b->id()) || arrow::is_large_binary_like(b->id()) ||
        b->id() == Type::BINARY_VIEW) {
      return arrow::binary();
    }
  }
  // Dates and timestamps.
  auto is_date = [](const DataType& t) { return t.id() == Type::DATE32 || t.id() == Type::DATE64; };
  if (is_date(*a) && is_date(*b)) return arrow::date32();
  if (a->id() == Type::TIMESTAMP && b->id() == Type::TIMESTAMP) {
    const auto& ta = checked_cast<const arrow::TimestampType&>(*a);
    const auto& tb = checked_cast<const arrow::TimestampType&>(*b);
    std::string tz = ta.timezone().empty() ? tb.timezone() : ta.timezone();
    if (!ta.timezone().empty() && !tb.timezone().empty() && ta.timezone() != tb.timezone()) {
      tz = "UTC";
    }
    return arrow::timestamp(FinerUnit(ta.unit(), tb.unit()), tz);
  }
  if (a->id() == Type::TIMESTAMP && is_date(*b)) return a;
  if (b->id() == Type::TIMESTAMP && is_date(*a)) return b;
  if ((a->id() == Type::TIME32 || a->id() == Type::TIME64) &&
      (b->id() == Type::TIME32 || b->id() == Type::TIME64)) {
    return arrow::time64(FinerUnit(checked_cast<const arrow::TimeType&>(*a).unit(),
                                   checked_cast<const arrow::TimeType&>(*b).unit()) ==
                                 arrow::TimeUnit::NANO
                             ? arrow::TimeUnit::NANO
                             : arrow::TimeUnit::MICRO);
  }
  if (a->id() == Type::DURATION && b->id() == Type::DURATION) {
    return arrow::duration(FinerUnit(checked_cast<const arrow::DurationType&>(*a).unit(),
                                     checked_cast<const arrow::DurationType&>(*b).unit()));
  }
  // Lists: common element type.
  if (a->id() == Type::LIST && b->id() == Type::LIST) {
    ARROW_ASSIGN_OR_RAISE(auto elem,
                          CommonTypeOf(checked_cast<const arrow::ListType&>(*a).value_type(),
                                       checked_cast<const arrow::ListType&>(*b).value_type()));
    return arrow::list(elem);
  }
  return Status::TypeError("no common type for ", ArrowTypeToSql(*a_in), " and ",
                           ArrowTypeToSql(*b_in));
}

bool CanCastImplicitly(const std::shared_ptr<DataType>& from_in,
                       const std::shared_ptr<DataType>& to) {
  auto from = StripDictionary(from_in);
  if (from->Equals(*to)) return true;
  if (from->id() == Type::NA) return true;
  if (IsStringType(*from)) return IsStringType(*to);  // literals are handled by CommonType
  auto common = CommonTypeOf(from, to);
  return common.ok() && (*common)->Equals(*to);
}

}  // namespace function_internal

Result<std::shared_ptr<DataType>> FunctionCatalog::CommonType(
    const std::shared_ptr<DataType>& a, const std::shared_ptr<DataType>& b) const {
  return CommonTypeOf(a, b);
}

bool FunctionCatalog::CanImplicitlyCast(const std::shared_ptr<DataType>& from,
                                        const std::shared_ptr<DataType>& to) const {
  return CanCastImplicitly(from, to);
}

}  // namespace shoal
