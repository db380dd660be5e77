// Deletion vectors for DELETE / UPDATE / MERGE on Delta tables
// (delta_dml_internal.h): the statements' queries scan the touched files with
// physical row ids (TargetScan with physical_rows); the (file index, row id)
// pairs of the rows they delete or update are collected here and merged with
// the files' current deletion vectors into one deletion vector file.
#include <algorithm>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/table.h>

#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/deletion_vector.h"
#include "shoal/delta/schema.h"
#include "shoal/delta/actions.h"
#include "shoal/main/delta_dml_internal.h"

namespace shoal {
namespace dml {

namespace cp = arrow::compute;

bool DeletionVectorsEnabled(const Target& target) {
  const auto& config = target.snapshot->metadata().configuration;
  auto it = config.find("delta.enableDeletionVectors");
  if (it == config.end() || ToLower(it->second) != "true") return false;
  const auto& features = target.snapshot->protocol().writer_features;
  return features &&
         std::find(features->begin(), features->end(), "deletionVectors") != features->end();
}

Status RowsReader::ReadNext(std::shared_ptr<arrow::RecordBatch>* out) {
  std::shared_ptr<arrow::RecordBatch> batch;
  ARROW_RETURN_NOT_OK(input_->ReadNext(&batch));
  if (!batch) {
    *out = nullptr;
    return Status::OK();
  }
  auto files = batch->GetColumnByName(kFileIndexCol);
  auto ids = batch->GetColumnByName(kRowIdCol);
  if (!files || files->type_id() != arrow::Type::INT32 || !ids ||
      ids->type_id() != arrow::Type::INT64) {
    return Status::Invalid("internal: deleted rows need the columns ", kFileIndexCol, " (int32) and ",
                           kRowIdCol, " (int64)");
  }
  const auto& f = static_cast<const arrow::Int32Array&>(*files);
  const auto& r = static_cast<const arrow::Int64Array&>(*ids);
  const int64_t n = batch->num_rows();
  for (int64_t i = 0; i < n; ++i) {
    if (f.IsNull(i) || r.IsNull(i)) continue;
    (*rows_)[f.Value(i)].push_back(static_cast<uint64_t>(r.Value(i)));
  }
  if (!drop_.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto acts, Int64Column(*batch, kActCol, 0));
    arrow::BooleanBuilder keep;
    ARROW_RETURN_NOT_OK(keep.Reserve(n));
    bool dropped = false;
    for (int64_t i = 0; i < n; ++i) {
      bool d = std::find(drop_.begin(), drop_.end(), acts[i]) != drop_.end();
      dropped = dropped || d;
      keep.UnsafeAppend(!d);
    }
    if (dropped) {
      ARROW_ASSIGN_OR_RAISE(auto mask, keep.Finish());
      ARROW_ASSIGN_OR_RAISE(auto filtered, cp::Filter(batch, mask));
      batch = filtered.record_batch();
    }
  }
  *out = std::move(batch);
  return Status::OK();
}

Result<RowsByFile> QueryRows(SessionState* state, std::string text, const std::string& context) {
  ARROW_ASSIGN_OR_RAISE(auto query, StartQuery(state, std::move(text), context));
  RowsByFile rows;
  RowsReader reader(query->reader, {}, &rows);
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(reader.ReadNext(&batch));
    if (!batch) break;
  }
  return rows;
}

Result<MarkedRows> MarkRowsDeleted(const Target& target, RowsByFile rows, int64_t now_ms,
                                   delta::DeletionVectorFileWriter* dv_file, CommitRequest* req) {
  MarkedRows out;
  const auto& files = target.snapshot->files();
  for (auto& [index, marked] : rows) {
    if (index < 0 || static_cast<size_t>(index) >= files.size()) {
      return Status::Invalid("internal: bad data file index ", index);
    }
    const delta::AddFile& add = files[index];
    std::sort(marked.begin(), marked.end());
    marked.erase(std::unique(marked.begin(), marked.end()), marked.end());
    if (add.deletion_vector) {
      ARROW_ASSIGN_OR_RAISE(auto old, delta::LoadDeletionVector(*target.snapshot->engine(),
                                                                *add.deletion_vector, target.root));
      marked = delta::MergeRows(old, marked);
    }
    auto num_rows = delta::StatsNumRecords(add);
    if (num_rows && static_cast<int64_t>(marked.size()) >= *num_rows) {
      ++out.files_emptied;  // every row deleted: the file is only removed
      continue;
    }
    delta::AddFile again = add;
    again.data_change = true;
    again.modification_time = now_ms;
    ARROW_ASSIGN_OR_RAISE(again.deletion_vector, dv_file->Add(marked));
    req->dv_adds.push_back(std::move(again));
    ++out.vectors_added;
  }
  return out;
}

Status WriteDeletionVectorFile(const Target& target, const delta::DeletionVectorFileWriter& dv_file,
                               const std::string& context, CommitRequest* req) {
  if (dv_file.empty()) return Status::OK();
  std::string dv_path = delta::JoinPath(target.root, dv_file.file_name());
  auto write = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(auto out, target.fs->OpenOutputStream(dv_path));
    ARROW_RETURN_NOT_OK(
        out->Write(dv_file.bytes().data(), static_cast<int64_t>(dv_file.bytes().size())));
    return out->Close();
  };
  Status st = write();
  if (!st.ok()) {
    (void)target.fs->DeleteFile(dv_path);
    return st.WithMessage(context, ": cannot write deletion vector file '", dv_path,
                          "': ", st.message());
  }
  req->written_files.push_back(dv_file.file_name());
  return Status::OK();
}

}  // namespace dml
}  // namespace shoal
