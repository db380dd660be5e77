#include <charconv>
#include <cmath>
#include <type_traits>

#include <arrow/array.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/decimal.h>

#include "shoal/common/strings.h"
#include "shoal/io/json_format_internal.h"

namespace shoal::internal {

namespace {

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
  if constexpr (std::is_floating_point_v<T>) {
    // Keep floats recognisable as floats when read back ("10" -> "10.0").
    if (std::string_view(buf, r.ptr - buf).find_first_of(".eE") == std::string_view::npos) {
      out->append(".0");
    }
  }
}

void AppendHex(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    out->push_back(kHex[c >> 4]);
    out->push_back(kHex[c & 15]);
  }
  out->push_back('"');
}

Status AppendValue(const arrow::Array& arr, int64_t i, std::string* out);

Status AppendListValues(const arrow::Array& values, int64_t begin, int64_t end,
                        std::string* out) {
  out->push_back('[');
  for (int64_t k = begin; k < end; ++k) {
    if (k > begin) out->push_back(',');
    ARROW_RETURN_NOT_OK(AppendValue(values, k, out));
  }
  out->push_back(']');
  return Status::OK();
}

Status AppendValue(const arrow::Array& arr, int64_t i, std::string* out) {
  if (arr.IsNull(i)) {
    out->append("null");
    return Status::OK();
  }
  using T = arrow::Type;
  switch (arr.type_id()) {
    case T::NA: out->append("null"); return Status::OK();
    case T::BOOL:
      out->append(static_cast<const arrow::BooleanArray&>(arr).Value(i) ? "true" : "false");
      return Status::OK();
#define SHOAL_INT_CASE(ID, ARR)                                               \
  case T::ID:                                                                 \
    AppendNumber(static_cast<const arrow::ARR&>(arr).Value(i), out);          \
    return Status::OK();
      SHOAL_INT_CASE(INT8, Int8Array)
      SHOAL_INT_CASE(INT16, Int16Array)
      SHOAL_INT_CASE(INT32, Int32Array)
      SHOAL_INT_CASE(INT64, Int64Array)
      SHOAL_INT_CASE(UINT8, UInt8Array)
      SHOAL_INT_CASE(UINT16, UInt16Array)
      SHOAL_INT_CASE(UINT32, UInt32Array)
      SHOAL_INT_CASE(UINT64, UInt64Array)
#undef SHOAL_INT_CASE
    case T::FLOAT:
    case T::DOUBLE: {
      double v = arr.type_id() == T::FLOAT
                     ? static_cast<double>(static_cast<const arrow::FloatArray&>(arr).Value(i))
                     : static_cast<const arrow::DoubleArray&>(arr).Value(i);
      if (!std::isfinite(v)) {
        out->append("null");
      } else if (arr.type_id() == T::FLOAT) {
        AppendNumber(static_cast<const arrow::FloatArray&>(arr).Value(i), out);
      } else {
        AppendNumber(v, out);
      }
      return Status::OK();
    }
    case T::STRING:
    case T::LARGE_STRING:
    case T::STRING_VIEW: {
      ARROW_ASSIGN_OR_RAISE(auto scalar, arr.GetScalar(i));
      auto view = static_cast<const arrow::BaseBinaryScalar&>(*scalar).view();
      AppendJsonString(view, out);
      return Status::OK();
    }
    case T::BINARY:
    case T::LARGE_BINARY:
    case T::BINARY_VIEW:
    case T::FIXED_SIZE_BINARY: {
      ARROW_ASSIGN_OR_RAISE(auto scalar, arr.GetScalar(i));
      AppendHex(static_cast<const arrow::BaseBinaryScalar&>(*scalar).view(), out);
      return Status::OK();
    }
    case T::DECIMAL32:
    case T::DECIMAL64:
    case T::DECIMAL128:
    case T::DECIMAL256: {
      ARROW_ASSIGN_OR_RAISE(auto scalar, arr.GetScalar(i));
      out->append(scalar->ToString());
      return Status::OK();
    }
    case T::LIST: {
      const auto& l = static_cast<const arrow::ListArray&>(arr);
      return AppendListValues(*l.values(), l.value_offset(i), l.value_offset(i + 1), out);
    }
    case T::LARGE_LIST: {
      const auto& l = static_cast<const arrow::LargeListArray&>(arr);
      return AppendListValues(*l.values(), l.value_offset(i), l.value_offset(i + 1), out);
    }
    case T::FIXED_SIZE_LIST: {
      const auto& l = static_cast<const arrow::FixedSizeListArray&>(arr);
      return AppendListValues(*l.values(), l.value_offset(i), l.value_offset(i + 1), out);
    }
    case T::STRUCT: {
      const auto& s = static_cast<const arrow::StructArray&>(arr);
      out->push_back('{');
      for (int f = 0; f < s.num_fields(); ++f) {
        if (f > 0) out->push_back(',');
        AppendJsonString(s.type()->field(f)->name(), out);
        out->push_back(':');
        ARROW_ASSIGN_OR_RAISE(auto child, s.GetFlattenedField(f));
        ARROW_RETURN_NOT_OK(AppendValue(*child, i, out));
      }
      out->push_back('}');
      return Status::OK();
    }
    case T::MAP: {
      const auto& m = static_cast<const arrow::MapArray&>(arr);
      out->push_back('{');
      for (int64_t k = m.value_offset(i); k < m.value_offset(i + 1); ++k) {
        if (k > m.value_offset(i)) out->push_back(',');
        ARROW_ASSIGN_OR_RAISE(auto key, m.keys()->GetScalar(k));
        std::string key_text;
        if (key->type->id() == T::STRING || key->type->id() == T::LARGE_STRING) {
          key_text = std::string(static_cast<const arrow::BaseBinaryScalar&>(*key).view());
        } else {
          key_text = key->ToString();
        }
        AppendJsonString(key_text, out);
        out->push_back(':');
        ARROW_RETURN_NOT_OK(AppendValue(*m.items(), k, out));
      }
      out->push_back('}');
      return Status::OK();
    }
    case T::DICTIONARY: {
      const auto& d = static_cast<const arrow::DictionaryArray&>(arr);
      return AppendValue(*d.dictionary(), d.GetValueIndex(i), out);
    }
    default: {
      // Dates, times, timestamps, durations, intervals: their text form, quoted.
      ARROW_ASSIGN_OR_RAISE(auto scalar, arr.GetScalar(i));
      AppendJsonString(scalar->ToString(), out);
      return Status::OK();
    }
  }
}

bool IsTemporal(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status AppendJsonLines(const arrow::RecordBatch& batch, std::string* out) {
  // Format top-level temporal columns through a cast to text (ISO 8601).
  std::vector<std::shared_ptr<arrow::Array>> columns = batch.columns();
  for (auto& c : columns) {
    if (IsTemporal(c->type_id())) {
      static Status init = arrow::compute::Initialize();
      ARROW_RETURN_NOT_OK(init);
      ARROW_ASSIGN_OR_RAISE(c, arrow::compute::Cast(*c, arrow::utf8()));
    }
  }
  const auto& fields = batch.schema()->fields();
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    out->push_back('{');
    for (size_t f = 0; f < columns.size(); ++f) {
      if (f > 0) out->push_back(',');
      AppendJsonString(fields[f]->name(), out);
      out->push_back(':');
      ARROW_RETURN_NOT_OK(AppendValue(*columns[f], r, out));
    }
    out->append("}\n");
  }
  return Status::OK();
}

}  // namespace shoal::internal
