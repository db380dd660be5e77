#include "shoal/io/json_table.h"

#include <arrow/io/interfaces.h>
#include <arrow/json/options.h>
#include <arrow/json/reader.h>
#include <arrow/type.h>

#include "shoal/io/file_table.h"

namespace shoal {

namespace {

Result<std::shared_ptr<arrow::json::StreamingReader>> OpenJson(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
    const JsonOptions& o, const std::shared_ptr<arrow::Schema>& schema) {
  ARROW_ASSIGN_OR_RAISE(auto input, OpenInputStream(fs, path, o.compression));
  auto read = arrow::json::ReadOptions::Defaults();
  read.use_threads = false;
  read.block_size = 1 << 20;
  auto parse = arrow::json::ParseOptions::Defaults();
  parse.newlines_in_values = false;
  if (schema) {
    parse.explicit_schema = schema;
    parse.unexpected_field_behavior = arrow::json::UnexpectedFieldBehavior::Ignore;
  }
  auto reader = arrow::json::StreamingReader::Make(input, read, parse);
  if (!reader.ok()) return FileError(reader.status(), "cannot read JSON file", path);
  return *reader;
}

class JsonTable : public FileTable {
 public:
  JsonTable(std::shared_ptr<const FileTableConfig> config, JsonOptions options,
            std::shared_ptr<arrow::Schema> file_schema)
      : FileTable(std::move(config)),
        options_(std::make_shared<JsonOptions>(std::move(options))),
        file_schema_(std::move(file_schema)) {}

  std::string kind() const override { return "json"; }

 protected:
  Status PlanFile(const DataFile& file,
                  const std::vector<std::shared_ptr<arrow::Scalar>>& partition_values,
                  const arrow::compute::Expression&, FilePlan* plan) const override {
    if (file.size == 0) return Status::OK();
    MorselOutput out = plan->Output(partition_values, "JSON file '" + file.path + "'");
    out.source_bytes = std::max<int64_t>(file.size, 0);
    const int num_data = config_->data_schema->num_fields();
    for (int j = 0; j < out.schema->num_fields(); ++j) {
      int p = plan->request->columns[j] - num_data;
      if (p >= 0) out.constants[j] = partition_values[p];
    }
    // Read only the requested columns: the explicit schema limits what is converted.
    arrow::FieldVector fields;
    for (const auto& name : plan->data_columns) {
      auto f = file_schema_->GetFieldByName(name);
      if (f) fields.push_back(f);
    }
    auto read_schema = arrow::schema(std::move(fields));
    plan->morsels.push_back(std::make_shared<FunctionMorsel>(
        plan->next_index(), out.description,
        [fs = config_->location.fs, path = file.path, options = options_, read_schema,
         out]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
          ARROW_ASSIGN_OR_RAISE(auto reader, OpenJson(fs, path, *options, read_schema));
          return MakeAdaptedReader(std::move(reader), out);
        }));
    return Status::OK();
  }

 private:
  std::shared_ptr<JsonOptions> options_;
  std::shared_ptr<arrow::Schema> file_schema_;
};

}  // namespace

Result<std::shared_ptr<TableProvider>> MakeJsonTable(const std::string& path,
                                                     const JsonOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto prepared,
                        PrepareFileTable(path, options.filesystem,
                                         WithGzVariant(options.file_extension),
                                         options.partition_cols));
  auto& [config, files] = prepared;
  std::shared_ptr<arrow::Schema> data_schema = options.schema;
  if (!data_schema) {
    for (const auto& f : files) {
      if (f.size == 0) continue;
      ARROW_ASSIGN_OR_RAISE(auto reader,
                            OpenJson(config->location.fs, f.path, options, nullptr));
      data_schema = reader->schema();
      break;
    }
    if (!data_schema) {
      return Status::Invalid("no JSON data found at '", path,
                             "'; cannot infer the table schema (declare the columns)");
    }
  }
  FinishFileTableSchema(config.get(), data_schema);
  return std::make_shared<JsonTable>(std::move(config), options, data_schema);
}

}  // namespace shoal
