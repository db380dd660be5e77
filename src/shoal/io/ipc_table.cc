#include "shoal/io/ipc_table.h"

#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/ipc/reader.h>
#include <arrow/type.h>

#include "shoal/io/file_table.h"

namespace shoal {

namespace {

arrow::ipc::IpcReadOptions ReadOptions(const std::vector<int>& included) {
  auto o = arrow::ipc::IpcReadOptions::Defaults();
  o.use_threads = false;
  o.included_fields = included;
  return o;
}

/// An open IPC file: the file format's reader, or null for the stream format.
Result<std::shared_ptr<arrow::ipc::RecordBatchFileReader>> OpenIpcFile(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const DataFile& file,
    const std::vector<int>& included) {
  arrow::fs::FileInfo info(file.path, arrow::fs::FileType::File);
  if (file.size >= 0) info.set_size(file.size);
  auto input = fs->OpenInputFile(info);
  if (!input.ok()) return FileError(input.status(), "cannot open Arrow IPC file", file.path);
  auto reader = arrow::ipc::RecordBatchFileReader::Open(*input, ReadOptions(included));
  if (!reader.ok()) return nullptr;
  return *reader;
}

Result<std::shared_ptr<arrow::RecordBatchReader>> OpenIpcStream(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
    const std::vector<int>& included) {
  auto input = fs->OpenInputStream(path);
  if (!input.ok()) return FileError(input.status(), "cannot open Arrow IPC file", path);
  auto reader = arrow::ipc::RecordBatchStreamReader::Open(*input, ReadOptions(included));
  if (!reader.ok()) {
    return FileError(reader.status(), "not an Arrow IPC file or stream", path);
  }
  return *reader;
}

Result<std::shared_ptr<arrow::Schema>> IpcSchema(const std::shared_ptr<arrow::fs::FileSystem>& fs,
                                                 const DataFile& file) {
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenIpcFile(fs, file, {}));
  if (reader) return reader->schema();
  ARROW_ASSIGN_OR_RAISE(auto stream, OpenIpcStream(fs, file.path, {}));
  return stream->schema();
}

/// Reads one record batch of a file-format IPC file.
class SingleBatchReader : public arrow::RecordBatchReader {
 public:
  SingleBatchReader(std::shared_ptr<arrow::ipc::RecordBatchFileReader> file, int index)
      : file_(std::move(file)), index_(index) {}
  std::shared_ptr<arrow::Schema> schema() const override { return file_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (done_) return Status::OK();
    done_ = true;
    ARROW_ASSIGN_OR_RAISE(*out, file_->ReadRecordBatch(index_));
    return Status::OK();
  }

 private:
  std::shared_ptr<arrow::ipc::RecordBatchFileReader> file_;
  int index_;
  bool done_ = false;
};

class IpcTable : public FileTable {
 public:
  explicit IpcTable(std::shared_ptr<const FileTableConfig> config)
      : FileTable(std::move(config)) {}

  std::string kind() const override { return "arrow"; }

 protected:
  Status PlanFile(const DataFile& file,
                  const std::vector<std::shared_ptr<arrow::Scalar>>& partition_values,
                  const arrow::compute::Expression&, FilePlan* plan) const override {
    const auto& fs = config_->location.fs;
    ARROW_ASSIGN_OR_RAISE(auto reader, OpenIpcFile(fs, file, {}));
    std::shared_ptr<arrow::Schema> fschema;
    if (reader) {
      fschema = reader->schema();
    } else {
      ARROW_ASSIGN_OR_RAISE(auto stream, OpenIpcStream(fs, file.path, {}));
      fschema = stream->schema();
    }
    for (const auto& field : config_->data_schema->fields()) {
      int idx = fschema->GetFieldIndex(field->name());
      if (idx >= 0 && !IsCompatibleType(fschema->field(idx)->type(), field->type())) {
        return Status::TypeError("incompatible Arrow IPC schema: column '", field->name(),
                                 "' has type ", fschema->field(idx)->type()->ToString(),
                                 " in '", file.path, "' but ", field->type()->ToString(),
                                 " in the table");
      }
    }
    std::vector<int> included;
    for (const auto& name : plan->data_columns) {
      int idx = fschema->GetFieldIndex(name);
      if (idx >= 0) included.push_back(idx);
    }
    std::sort(included.begin(), included.end());
    included.erase(std::unique(included.begin(), included.end()), included.end());
    MorselOutput base = plan->Output(partition_values, "");
    const int num_data = config_->data_schema->num_fields();
    for (int j = 0; j < base.schema->num_fields(); ++j) {
      int p = plan->request->columns[j] - num_data;
      if (p >= 0) base.constants[j] = partition_values[p];
    }
    if (!reader) {
      MorselOutput out = base;
      out.description = "Arrow IPC stream '" + file.path + "'";
      out.source_bytes = std::max<int64_t>(file.size, 0);
      plan->morsels.push_back(std::make_shared<FunctionMorsel>(
          plan->next_index(), out.description,
          [fs, path = file.path, included, out]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
            ARROW_ASSIGN_OR_RAISE(auto stream, OpenIpcStream(fs, path, included));
            return MakeAdaptedReader(std::move(stream), out);
          }));
      return Status::OK();
    }
    for (int i = 0; i < reader->num_record_batches(); ++i) {
      if (plan->remaining && *plan->remaining <= 0) break;
      MorselOutput out = base;
      out.description = "Arrow IPC file '" + file.path + "' batch " + std::to_string(i);
      plan->morsels.push_back(std::make_shared<FunctionMorsel>(
          plan->next_index(), out.description,
          [fs, file, included, out, i]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
            ARROW_ASSIGN_OR_RAISE(auto r, OpenIpcFile(fs, file, included));
            if (!r) return Status::IOError("cannot read Arrow IPC file '", file.path, "'");
            return MakeAdaptedReader(std::make_shared<SingleBatchReader>(r, i), out);
          }));
    }
    return Status::OK();
  }
};

}  // namespace

Result<std::shared_ptr<TableProvider>> MakeIpcTable(const std::string& path,
                                                    const IpcOptions& options) {
  std::vector<std::string> exts;
  if (options.file_extension == ".arrow") {
    exts = {".arrow", ".arrows", ".feather", ".ipc"};
  } else if (!options.file_extension.empty()) {
    exts = {options.file_extension};
  }
  ARROW_ASSIGN_OR_RAISE(auto prepared,
                        PrepareFileTable(path, options.filesystem, exts, options.partition_cols));
  auto& [config, files] = prepared;
  if (files.empty()) {
    return Status::Invalid("no Arrow IPC files found at '", path,
                           "'; cannot determine the table schema");
  }
  ARROW_ASSIGN_OR_RAISE(auto schema, IpcSchema(config->location.fs, files.front()));
  FinishFileTableSchema(config.get(), NormalizeSchema(schema->RemoveMetadata()));
  return std::make_shared<IpcTable>(std::move(config));
}

}  // namespace shoal
