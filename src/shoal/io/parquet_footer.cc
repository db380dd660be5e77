#include <exception>
#include <optional>

#include <arrow/buffer.h>
#include <arrow/compute/cast.h>
#include <arrow/scalar.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/dictionary.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/type.h>
#include <arrow/util/base64.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/reader.h>
#include <parquet/metadata.h>
#include <parquet/statistics.h>
#include <parquet/properties.h>

#include "shoal/io/parquet_footer_internal.h"

namespace shoal {

namespace {

constexpr char kArrowSchemaKey[] = "ARROW:schema";

std::shared_ptr<arrow::Field> PlainField(const std::shared_ptr<arrow::Field>& field) {
  auto t = PlainStoredType(field->type());
  return t == field->type() ? field : field->WithType(std::move(t));
}

/// Append a Thrift compact-protocol varint.
void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

/// The compact-protocol encoding of a KeyValue struct {1: key, 2: value}.
std::string EncodeKeyValue(const std::string& key, const std::string& value) {
  std::string out;
  out.push_back(static_cast<char>(0x18));  // field 1 (delta 1), type binary
  AppendVarint(key.size(), &out);
  out += key;
  out.push_back(static_cast<char>(0x18));  // field 2 (delta 1), type binary
  AppendVarint(value.size(), &out);
  out += value;
  out.push_back('\0');  // struct stop
  return out;
}

Result<std::shared_ptr<arrow::Schema>> DecodeStoredSchema(const std::string& value) {
  ARROW_ASSIGN_OR_RAISE(auto decoded, arrow::util::base64_decode(value));
  auto buffer = std::make_shared<arrow::Buffer>(std::move(decoded));
  arrow::io::BufferReader input(buffer);
  arrow::ipc::DictionaryMemo memo;
  return arrow::ipc::ReadSchema(&input, &memo);
}

Result<std::shared_ptr<parquet::FileMetaData>> Rewrite(const parquet::FileMetaData& metadata) {
  const auto& kv = metadata.key_value_metadata();
  if (!kv || metadata.is_encryption_algorithm_set()) return nullptr;
  int index = kv->FindKey(kArrowSchemaKey);
  if (index < 0) return nullptr;
  const std::string& old_value = kv->value(index);
  ARROW_ASSIGN_OR_RAISE(auto stored, DecodeStoredSchema(old_value));
  arrow::FieldVector fields;
  bool changed = false;
  for (const auto& f : stored->fields()) {
    fields.push_back(PlainField(f));
    changed |= fields.back() != f;
  }
  if (!changed) return nullptr;
  auto plain = arrow::schema(std::move(fields), stored->metadata());
  ARROW_ASSIGN_OR_RAISE(auto serialized, arrow::ipc::SerializeSchema(*plain));
  std::string new_value = arrow::util::base64_encode(serialized->ToString());
  ARROW_ASSIGN_OR_RAISE(std::string footer,
                        ReplaceFooterKeyValue(metadata.SerializeToString(), kArrowSchemaKey,
                                              old_value, new_value));
  auto result = parquet::FileMetaData::Make(footer.data(), static_cast<int64_t>(footer.size()),
                                            parquet::default_reader_properties());
  // Check that the rewritten footer says the same apart from the stored schema.
  const auto& new_kv = result->key_value_metadata();
  if (result->num_rows() != metadata.num_rows() ||
      result->num_row_groups() != metadata.num_row_groups() ||
      result->num_columns() != metadata.num_columns() ||
      !result->schema()->Equals(*metadata.schema()) || !new_kv ||
      new_kv->size() != kv->size() || new_kv->FindKey(kArrowSchemaKey) != index ||
      new_kv->value(index) != new_value) {
    return Status::Invalid("rewritten parquet footer does not match the original");
  }
  return result;
}

}  // namespace

std::shared_ptr<arrow::DataType> PlainStoredType(const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::STRING_VIEW:
      return arrow::utf8();
    case arrow::Type::BINARY_VIEW:
      return arrow::binary();
    case arrow::Type::DICTIONARY:
      return PlainStoredType(static_cast<const arrow::DictionaryType&>(*type).value_type());
    case arrow::Type::LIST: {
      const auto& t = static_cast<const arrow::ListType&>(*type);
      auto child = PlainField(t.value_field());
      return child == t.value_field() ? type : arrow::list(std::move(child));
    }
    case arrow::Type::LARGE_LIST: {
      const auto& t = static_cast<const arrow::LargeListType&>(*type);
      auto child = PlainField(t.value_field());
      return child == t.value_field() ? type : arrow::large_list(std::move(child));
    }
    case arrow::Type::FIXED_SIZE_LIST: {
      const auto& t = static_cast<const arrow::FixedSizeListType&>(*type);
      auto child = PlainField(t.value_field());
      return child == t.value_field() ? type
                                      : arrow::fixed_size_list(std::move(child), t.list_size());
    }
    case arrow::Type::STRUCT: {
      arrow::FieldVector children;
      bool changed = false;
      for (const auto& f : type->fields()) {
        children.push_back(PlainField(f));
        changed |= children.back() != f;
      }
      return changed ? arrow::struct_(std::move(children)) : type;
    }
    case arrow::Type::MAP: {
      const auto& t = static_cast<const arrow::MapType&>(*type);
      auto key = PlainField(t.key_field());
      auto item = PlainField(t.item_field());
      if (key == t.key_field() && item == t.item_field()) return type;
      // Keep the entries field's name (the Parquet reader names it after the column).
      return std::make_shared<arrow::MapType>(
          t.value_field()->WithType(arrow::struct_({std::move(key), std::move(item)})),
          t.keys_sorted());
    }
    default:
      return type;
  }
}

Result<std::string> ReplaceFooterKeyValue(const std::string& footer, const std::string& key,
                                          const std::string& old_value,
                                          const std::string& new_value) {
  const std::string old_entry = EncodeKeyValue(key, old_value);
  size_t pos = footer.find(old_entry);
  if (pos == std::string::npos) {
    return Status::Invalid("key '", key, "' not found in the parquet footer");
  }
  if (footer.find(old_entry, pos + 1) != std::string::npos) {
    return Status::Invalid("key '", key, "' found more than once in the parquet footer");
  }
  std::string out = footer.substr(0, pos);
  out += EncodeKeyValue(key, new_value);
  out.append(footer, pos + old_entry.size(), std::string::npos);
  return out;
}

bool PreferDictionaryRead(const parquet::ColumnChunkMetaData& chunk) {
  if (chunk.type() != parquet::Type::BYTE_ARRAY || !chunk.has_dictionary_page()) return false;
  const auto& stats = chunk.encoding_stats();
  int dict_pages = 0;
  for (const auto& s : stats) {
    if (s.page_type != parquet::PageType::DATA_PAGE &&
        s.page_type != parquet::PageType::DATA_PAGE_V2) {
      continue;
    }
    if (s.encoding != parquet::Encoding::RLE_DICTIONARY &&
        s.encoding != parquet::Encoding::PLAIN_DICTIONARY) {
      return false;  // fell back to plain pages: the reader would hash every value
    }
    dict_pages += s.count;
  }
  if (dict_pages == 0) return false;  // no encoding statistics: unknown
  const int64_t dict_offset = chunk.dictionary_page_offset();
  const int64_t data_offset = chunk.data_page_offset();
  if (dict_offset <= 0 || data_offset <= dict_offset) return false;
  const int64_t dict_bytes = data_offset - dict_offset;
  const int64_t data_bytes = chunk.total_compressed_size() - dict_bytes;
  return dict_bytes * 4 <= data_bytes;
}

std::shared_ptr<parquet::FileMetaData> WithPlainStoredSchema(
    const std::shared_ptr<parquet::FileMetaData>& metadata) {
  if (!metadata) return metadata;
  try {
    auto rewritten = Rewrite(*metadata);
    if (rewritten.ok() && *rewritten) return *rewritten;
  } catch (const std::exception&) {
    // Fall through: read with the original footer (and cast).
  }
  return metadata;
}

namespace {

bool IsRangeType(const arrow::DataType& t) {
  return arrow::is_integer(t.id()) || arrow::is_floating(t.id()) || arrow::is_decimal(t.id()) ||
         arrow::is_temporal(t.id());
}

/// Return a fixed-width scalar as a double (dates in days, timestamps in their unit).
std::optional<double> AsDouble(const arrow::Scalar& s) {
  if (!s.is_valid) return std::nullopt;
  switch (s.type->id()) {
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Scalar&>(s);
      return d.value.ToDouble(static_cast<const arrow::Decimal128Type&>(*s.type).scale());
    }
    case arrow::Type::DECIMAL256: {
      const auto& d = static_cast<const arrow::Decimal256Scalar&>(s);
      return d.value.ToDouble(static_cast<const arrow::Decimal256Type&>(*s.type).scale());
    }
    default:
      break;
  }
  if (arrow::is_temporal(s.type->id()) || arrow::is_integer(s.type->id())) {
    const auto& p = static_cast<const arrow::internal::PrimitiveScalarBase&>(s);
    const void* data = p.data();
    switch (arrow::bit_width(s.type->id())) {
      case 8: return arrow::is_unsigned_integer(s.type->id()) ? *static_cast<const uint8_t*>(data)
                                                              : *static_cast<const int8_t*>(data);
      case 16: return arrow::is_unsigned_integer(s.type->id())
                          ? *static_cast<const uint16_t*>(data)
                          : *static_cast<const int16_t*>(data);
      case 32: return arrow::is_unsigned_integer(s.type->id())
                          ? static_cast<double>(*static_cast<const uint32_t*>(data))
                          : static_cast<double>(*static_cast<const int32_t*>(data));
      case 64: return arrow::is_unsigned_integer(s.type->id())
                          ? static_cast<double>(*static_cast<const uint64_t*>(data))
                          : static_cast<double>(*static_cast<const int64_t*>(data));
      default: return std::nullopt;
    }
  }
  if (s.type->id() == arrow::Type::DOUBLE) return static_cast<const arrow::DoubleScalar&>(s).value;
  if (s.type->id() == arrow::Type::FLOAT) return static_cast<const arrow::FloatScalar&>(s).value;
  return std::nullopt;
}

}  // namespace

ColumnStatisticsBuilder::ColumnStatisticsBuilder(std::shared_ptr<arrow::DataType> type)
    : type_(std::move(type)), keep_bounds_(type_ && IsRangeType(*type_)) {}

void ColumnStatisticsBuilder::Invalidate() {
  bounds_known_ = false;
  nulls_known_ = false;
  distinct_.reset();
  chunks_ += 2;
}

void ColumnStatisticsBuilder::AddMissing(int64_t rows) {
  nulls_ += rows;
  ++chunks_;
}

void ColumnStatisticsBuilder::AddChunk(const parquet::ColumnChunkMetaData& chunk) {
  ++chunks_;
  std::shared_ptr<parquet::Statistics> stats;
  try {
    if (chunk.is_stats_set()) stats = chunk.statistics();
  } catch (const std::exception&) {
    stats = nullptr;
  }
  if (!stats) {
    Invalidate();
    return;
  }
  if (stats->HasNullCount()) {
    nulls_ += stats->null_count();
  } else {
    nulls_known_ = false;
  }
  distinct_.reset();
  if (chunks_ == 1 && stats->HasDistinctCount()) distinct_ = stats->distinct_count();
  if (!keep_bounds_ || !bounds_known_) return;
  if (stats->num_values() == 0 && stats->HasNullCount()) return;  // all null: no bounds
  if (!stats->HasMinMax()) {
    bounds_known_ = false;
    return;
  }
  std::shared_ptr<arrow::Scalar> lo, hi;
  if (!parquet::arrow::StatisticsAsScalars(*stats, &lo, &hi).ok() || !lo || !hi) {
    bounds_known_ = false;
    return;
  }
  for (auto* s : {&lo, &hi}) {
    if (!(*s)->type->Equals(*type_)) {
      auto cast = arrow::compute::Cast(arrow::Datum(*s), type_);
      if (!cast.ok() || !cast->is_scalar()) {
        bounds_known_ = false;
        return;
      }
      *s = cast->scalar();
    }
  }
  auto lo_d = AsDouble(*lo);
  auto hi_d = AsDouble(*hi);
  if (!lo_d || !hi_d) {
    bounds_known_ = false;
    return;
  }
  if (!any_values_ || *lo_d < min_d_) {
    min_ = lo;
    min_d_ = *lo_d;
  }
  if (!any_values_ || *hi_d > max_d_) {
    max_ = hi;
    max_d_ = *hi_d;
  }
  any_values_ = true;
}

ColumnStatistics ColumnStatisticsBuilder::Finish() const {
  ColumnStatistics out;
  if (nulls_known_) out.null_count = nulls_;
  if (keep_bounds_ && bounds_known_ && any_values_) {
    out.min = min_;
    out.max = max_;
  }
  if (distinct_ && chunks_ == 1) out.distinct_count = static_cast<double>(*distinct_);
  return out;
}

}  // namespace shoal
