#include "shoal/io/file_table.h"

#include <arrow/filesystem/filesystem.h>
#include <arrow/io/compressed.h>
#include <arrow/io/interfaces.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/compression.h>

#include "shoal/common/strings.h"
#include "shoal/io/pruning.h"

namespace shoal {

MorselOutput FilePlan::Output(const std::vector<std::shared_ptr<arrow::Scalar>>& partition_values,
                              std::string description) const {
  MorselOutput out;
  out.schema = output_schema;
  out.batch_size = request->batch_size > 0 ? request->batch_size : 8192;
  out.limit = remaining;
  out.description = std::move(description);
  out.constants.resize(output_schema->num_fields());
  out.counters = counters;
  return out;
}

Result<std::vector<DataFile>> FileTable::ListFiles() const {
  return ListDataFiles(config_->location, config_->extensions);
}

Result<std::shared_ptr<TableScan>> FileTable::Scan(const ScanRequest& request) const {
  const auto& cfg = *config_;
  FilePlan plan;
  plan.request = &request;
  ARROW_ASSIGN_OR_RAISE(plan.output_schema, ProjectSchema(*cfg.schema, request.columns));
  plan.filter = BindPruningFilter(request.filter, *cfg.schema);
  if (request.limit && IsLiteralTrue(request.filter)) plan.remaining = *request.limit;
  const int num_data = cfg.data_schema->num_fields();
  for (size_t j = 0; j < request.columns.size(); ++j) {
    int c = request.columns[j];
    if (c < num_data) plan.data_columns.push_back(cfg.schema->field(c)->name());
  }
  ARROW_ASSIGN_OR_RAISE(auto files, ListFiles());
  for (const auto& file : files) {
    if (plan.remaining && *plan.remaining <= 0) break;
    ++plan.metrics.files_total;
    ARROW_ASSIGN_OR_RAISE(auto values, PartitionValues(file, cfg.partition_fields));
    auto guarantee = PartitionGuarantee(cfg.partition_fields, values);
    if (plan.filter && !cfg.partition_fields.empty() && CanSkip(*plan.filter, guarantee)) {
      ++plan.metrics.files_pruned;
      continue;
    }
    ARROW_RETURN_NOT_OK(PlanFile(file, values, guarantee, &plan));
  }
  return std::make_shared<BasicTableScan>(plan.output_schema, std::move(plan.morsels),
                                          plan.metrics, plan.counters);
}

Result<std::pair<std::shared_ptr<FileTableConfig>, std::vector<DataFile>>> PrepareFileTable(
    const std::string& location, std::shared_ptr<arrow::fs::FileSystem> fs,
    std::vector<std::string> extensions,
    const std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>>& partition_cols) {
  auto config = std::make_shared<FileTableConfig>();
  ARROW_ASSIGN_OR_RAISE(config->location, ResolveLocation(location, std::move(fs)));
  config->extensions = std::move(extensions);
  ARROW_ASSIGN_OR_RAISE(auto files, ListDataFiles(config->location, config->extensions));
  ARROW_ASSIGN_OR_RAISE(config->partition_fields, DiscoverPartitionFields(files, partition_cols));
  return std::make_pair(std::move(config), std::move(files));
}

void FinishFileTableSchema(FileTableConfig* config, std::shared_ptr<arrow::Schema> data_schema) {
  arrow::FieldVector data;
  for (const auto& f : data_schema->fields()) {
    bool is_partition = false;
    for (const auto& p : config->partition_fields) is_partition |= p->name() == f->name();
    if (!is_partition) data.push_back(f);
  }
  config->data_schema = arrow::schema(data, data_schema->metadata());
  arrow::FieldVector all = data;
  all.insert(all.end(), config->partition_fields.begin(), config->partition_fields.end());
  config->schema = arrow::schema(std::move(all));
}

std::vector<std::string> WithGzVariant(const std::string& ext) {
  if (ext.empty()) return {};
  return {ext, ext + ".gz"};
}

Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
    const std::string& compression) {
  auto raw = fs->OpenInputStream(path);
  if (!raw.ok()) return FileError(raw.status(), "cannot open", path);
  std::string c = ToLower(compression);
  bool gzip = c == "gzip" || c == "gz" ||
              (c == "auto" && path.size() > 3 && EqualsIgnoreCase(path.substr(path.size() - 3), ".gz"));
  if (!gzip) return *raw;
  auto codec = arrow::util::Codec::Create(arrow::Compression::GZIP);
  if (!codec.ok()) return FileError(codec.status(), "cannot decompress", path);
  std::shared_ptr<arrow::util::Codec> shared_codec(std::move(*codec));
  auto stream = arrow::io::CompressedInputStream::Make(shared_codec.get(), *raw);
  if (!stream.ok()) return FileError(stream.status(), "cannot decompress", path);
  // The codec must outlive the stream: keep it alive with a wrapper.
  struct Holder : arrow::io::InputStream {
    std::shared_ptr<arrow::util::Codec> codec;
    std::shared_ptr<arrow::io::CompressedInputStream> inner;
    Status Close() override { return inner->Close(); }
    bool closed() const override { return inner->closed(); }
    Result<int64_t> Tell() const override { return inner->Tell(); }
    Result<int64_t> Read(int64_t n, void* out) override { return inner->Read(n, out); }
    Result<std::shared_ptr<arrow::Buffer>> Read(int64_t n) override { return inner->Read(n); }
  };
  auto holder = std::make_shared<Holder>();
  holder->codec = std::move(shared_codec);
  holder->inner = *stream;
  return holder;
}

Status FileError(const Status& st, const std::string& what, const std::string& path) {
  return Status::FromArgs(st.code(), what, " '", path, "': ", st.message());
}

}  // namespace shoal
