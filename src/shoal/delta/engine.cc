#include "shoal/delta/engine.h"

#include <exception>
#include <string_view>

#include <arrow/buffer.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>

#include "shoal/delta/json.h"

namespace shoal::delta {

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

namespace {

class DefaultJsonHandler : public JsonHandler {
 public:
  Status ParseLines(const arrow::Buffer& data, const std::string& origin,
                    const std::function<Status(int64_t, const JsonValue&)>& visit) const override {
    std::string_view text(reinterpret_cast<const char*>(data.data()),
                          static_cast<size_t>(data.size()));
    int64_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
      }
      size_t first = line.find_first_not_of(" \t");
      if (first == std::string_view::npos) continue;
      auto value = ParseJson(line);
      if (!value.ok()) {
        return Status::Invalid("cannot parse '", origin, "' line ", line_no, ": ",
                               value.status().message());
      }
      ARROW_RETURN_NOT_OK(visit(line_no, *value));
    }
    return Status::OK();
  }
};

class StorageParquetHandler : public ParquetHandler {
 public:
  explicit StorageParquetHandler(std::shared_ptr<StorageHandler> storage)
      : storage_(std::move(storage)) {}

  Result<std::shared_ptr<arrow::Table>> ReadParquetFile(
      const FileMeta& file, const std::vector<std::string>& columns) const override {
    auto bytes = storage_->ReadFile(file.location);
    if (!bytes.ok()) {
      return Status::FromArgs(bytes.status().code(), "cannot read '", file.location,
                              "': ", bytes.status().message());
    }
    try {
      auto input = std::make_shared<arrow::io::BufferReader>(*bytes);
      parquet::arrow::FileReaderBuilder builder;
      Status st = builder.Open(input);
      if (!st.ok()) {
        return Status::Invalid("cannot read parquet file '", file.location, "': ", st.message());
      }
      parquet::ArrowReaderProperties props(/*use_threads=*/false);
      builder.properties(props);
      auto reader = builder.Build();
      if (!reader.ok()) {
        return Status::Invalid("cannot read parquet file '", file.location,
                               "': ", reader.status().message());
      }
      std::shared_ptr<arrow::Schema> schema;
      ARROW_RETURN_NOT_OK((*reader)->GetSchema(&schema));
      // Top-level fields to their Parquet leaf columns.
      std::vector<int> indices;
      const auto& fields = (*reader)->manifest().schema_fields;
      std::function<void(const parquet::arrow::SchemaField&)> leaves =
          [&](const parquet::arrow::SchemaField& f) {
            if (f.is_leaf()) indices.push_back(f.column_index);
            for (const auto& c : f.children) leaves(c);
          };
      for (int i = 0; i < schema->num_fields() && i < static_cast<int>(fields.size()); ++i) {
        bool wanted = columns.empty();
        for (const auto& c : columns) wanted = wanted || schema->field(i)->name() == c;
        if (wanted) leaves(fields[i]);
      }
      auto table = (*reader)->ReadTable(indices);
      if (!table.ok()) {
        return Status::Invalid("cannot read parquet file '", file.location,
                               "': ", table.status().message());
      }
      return *table;
    } catch (const std::exception& e) {
      return Status::Invalid("cannot read parquet file '", file.location, "': ", e.what());
    }
  }

 private:
  std::shared_ptr<StorageHandler> storage_;
};

}  // namespace

std::shared_ptr<JsonHandler> MakeDefaultJsonHandler() {
  return std::make_shared<DefaultJsonHandler>();
}

std::shared_ptr<ParquetHandler> MakeStorageParquetHandler(std::shared_ptr<StorageHandler> storage) {
  return std::make_shared<StorageParquetHandler>(std::move(storage));
}

}  // namespace shoal::delta
