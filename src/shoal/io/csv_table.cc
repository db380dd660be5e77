#include "shoal/io/csv_table.h"

#include <arrow/csv/options.h>
#include <arrow/csv/reader.h>
#include <arrow/io/interfaces.h>
#include <arrow/type.h>

#include "shoal/io/file_table.h"

namespace shoal {

namespace {

struct CsvShared {
  CsvOptions options;
  bool explicit_schema = false;
  std::shared_ptr<arrow::Schema> data_schema;
};

arrow::csv::ParseOptions MakeParseOptions(const CsvOptions& o) {
  auto parse = arrow::csv::ParseOptions::Defaults();
  parse.delimiter = o.delimiter;
  parse.quoting = o.quote != 0;
  if (o.quote != 0) parse.quote_char = o.quote;
  parse.newlines_in_values = true;
  return parse;
}

arrow::csv::ConvertOptions BaseConvertOptions(const CsvOptions& o) {
  auto convert = arrow::csv::ConvertOptions::Defaults();
  convert.strings_can_be_null = true;
  if (!o.null_value.empty()) convert.null_values.push_back(o.null_value);
  return convert;
}

Result<std::shared_ptr<arrow::csv::StreamingReader>> OpenCsv(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
    const CsvOptions& o, const arrow::csv::ReadOptions& read,
    const arrow::csv::ConvertOptions& convert) {
  ARROW_ASSIGN_OR_RAISE(auto input, OpenInputStream(fs, path, o.compression));
  auto reader = arrow::csv::StreamingReader::Make(arrow::io::default_io_context(), input, read,
                                                  MakeParseOptions(o), convert);
  if (!reader.ok()) return FileError(reader.status(), "cannot read CSV file", path);
  return *reader;
}

arrow::csv::ReadOptions MakeReadOptions(const CsvShared& shared) {
  auto read = arrow::csv::ReadOptions::Defaults();
  read.use_threads = false;
  read.block_size = 1 << 20;
  if (shared.explicit_schema || !shared.options.has_header) {
    for (const auto& f : shared.data_schema->fields()) read.column_names.push_back(f->name());
    read.skip_rows = shared.options.has_header ? 1 : 0;
  }
  return read;
}

Result<std::shared_ptr<arrow::Schema>> InferCsvSchema(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
    const CsvOptions& o) {
  auto read = arrow::csv::ReadOptions::Defaults();
  read.use_threads = false;
  read.autogenerate_column_names = !o.has_header;
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenCsv(fs, path, o, read, BaseConvertOptions(o)));
  auto schema = reader->schema();
  if (o.has_header) return schema;
  arrow::FieldVector fields;
  for (int i = 0; i < schema->num_fields(); ++i) {
    fields.push_back(schema->field(i)->WithName("column_" + std::to_string(i + 1)));
  }
  return arrow::schema(std::move(fields));
}

class CsvTable : public FileTable {
 public:
  CsvTable(std::shared_ptr<const FileTableConfig> config, std::shared_ptr<CsvShared> shared)
      : FileTable(std::move(config)), shared_(std::move(shared)) {}

  std::string kind() const override { return "csv"; }

  TableStatistics statistics() const override {
    TableStatistics stats;
    auto files = ListFiles();
    if (!files.ok()) return stats;
    int64_t bytes = 0;
    for (const auto& f : *files) bytes += std::max<int64_t>(f.size, 0);
    stats.total_bytes = bytes;
    return stats;
  }

 protected:
  Status PlanFile(const DataFile& file,
                  const std::vector<std::shared_ptr<arrow::Scalar>>& partition_values,
                  const arrow::compute::Expression&, FilePlan* plan) const override {
    if (file.size == 0) return Status::OK();
    MorselOutput out = plan->Output(partition_values, "CSV file '" + file.path + "'");
    out.source_bytes = std::max<int64_t>(file.size, 0);
    const int num_data = config_->data_schema->num_fields();
    for (int j = 0; j < out.schema->num_fields(); ++j) {
      int p = plan->request->columns[j] - num_data;
      if (p >= 0) out.constants[j] = partition_values[p];
    }
    auto convert = BaseConvertOptions(shared_->options);
    for (const auto& f : config_->data_schema->fields()) convert.column_types[f->name()] = f->type();
    convert.include_columns = plan->data_columns;
    if (convert.include_columns.empty() && num_data > 0) {
      convert.include_columns.push_back(config_->data_schema->field(0)->name());
    }
    convert.include_missing_columns = true;
    auto read = MakeReadOptions(*shared_);
    read.block_size = 1 << 20;
    plan->morsels.push_back(std::make_shared<FunctionMorsel>(
        plan->next_index(), out.description,
        [fs = config_->location.fs, path = file.path, shared = shared_, read, convert,
         out]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
          ARROW_ASSIGN_OR_RAISE(auto reader, OpenCsv(fs, path, shared->options, read, convert));
          return MakeAdaptedReader(std::move(reader), out);
        }));
    return Status::OK();
  }

 private:
  std::shared_ptr<CsvShared> shared_;
};

}  // namespace

Result<std::shared_ptr<TableProvider>> MakeCsvTable(const std::string& path,
                                                    const CsvOptions& options) {
  if (options.delimiter == '\n' || options.delimiter == '\r' || options.delimiter == 0) {
    return Status::Invalid("invalid CSV delimiter");
  }
  ARROW_ASSIGN_OR_RAISE(auto prepared,
                        PrepareFileTable(path, options.filesystem,
                                         WithGzVariant(options.file_extension),
                                         options.partition_cols));
  auto& [config, files] = prepared;
  auto shared = std::make_shared<CsvShared>();
  shared->options = options;
  std::shared_ptr<arrow::Schema> data_schema = options.schema;
  shared->explicit_schema = data_schema != nullptr;
  if (!data_schema) {
    for (const auto& f : files) {
      if (f.size == 0) continue;
      ARROW_ASSIGN_OR_RAISE(data_schema, InferCsvSchema(config->location.fs, f.path, options));
      break;
    }
    if (!data_schema) {
      return Status::Invalid("no CSV data found at '", path,
                             "'; cannot infer the table schema (declare the columns)");
    }
  }
  FinishFileTableSchema(config.get(), data_schema);
  // Column names used for headerless files / declared schemas: all file columns,
  // including ones that also name a partition column.
  shared->data_schema = data_schema;
  return std::make_shared<CsvTable>(std::move(config), std::move(shared));
}

}  // namespace shoal
