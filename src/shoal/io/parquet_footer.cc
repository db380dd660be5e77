#include <exception>

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/ipc/dictionary.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/type.h>
#include <arrow/util/base64.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/metadata.h>
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

}  // namespace shoal
