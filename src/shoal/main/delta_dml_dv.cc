// Deletion vectors for DELETE / UPDATE on Delta tables (delta_dml_internal.h):
// which rows of a data file a predicate matches, by file-global row index.
#include <algorithm>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/exception.h>

#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/deletion_vector.h"
#include "shoal/delta/schema.h"
#include "shoal/io/memory_table.h"
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

namespace {

Result<std::shared_ptr<arrow::Table>> ReadWholeFile(const Target& target, const std::string& path) {
  auto input = target.fs->OpenInputFile(path);
  if (!input.ok()) {
    return Status::FromArgs(input.status().code(), "cannot open data file '", path, "': ",
                            input.status().message());
  }
  try {
    parquet::arrow::FileReaderBuilder builder;
    ARROW_RETURN_NOT_OK(builder.Open(*input));
    parquet::ArrowReaderProperties props(/*use_threads=*/false);
    props.set_coerce_int96_timestamp_unit(arrow::TimeUnit::MICRO);
    builder.properties(props);
    ARROW_ASSIGN_OR_RAISE(auto reader, builder.Build());
    return reader->ReadTable();
  } catch (const parquet::ParquetException& e) {
    return Status::IOError("cannot read data file '", path, "': ", e.what());
  }
}

}  // namespace

Result<std::vector<uint64_t>> MatchingRowIndexes(SessionState* state, const Target& target,
                                                 const delta::AddFile& add,
                                                 const std::string& alias,
                                                 const std::string& pred,
                                                 const std::string& context, int64_t* num_rows) {
  std::string rel = delta::DecodeActionPath(add.path);
  if (rel.find("://") != std::string::npos || (!rel.empty() && rel[0] == '/')) {
    return Status::NotImplemented(context, ": data file '", rel, "' is outside the table root");
  }
  std::string path = delta::JoinPath(target.root, rel);
  auto read = ReadWholeFile(target, path);
  if (!read.ok()) return read.status().WithMessage(context, ": ", read.status().message());
  ARROW_ASSIGN_OR_RAISE(auto file, (*read)->CombineChunksToBatch());
  const int64_t n = file->num_rows();
  *num_rows = n;
  // The table's columns (partition values as constants), plus the row index.
  const auto& schema = *target.snapshot->schema();
  const auto& partitions = target.snapshot->metadata().partition_columns;
  arrow::FieldVector fields;
  arrow::ArrayVector cols;
  for (const auto& f : schema.fields()) {
    std::shared_ptr<arrow::Array> col;
    if (std::find(partitions.begin(), partitions.end(), f->name()) != partitions.end()) {
      auto raw = add.partition_values.find(f->name());
      std::optional<std::string> text;
      if (raw != add.partition_values.end()) text = raw->second;
      ARROW_ASSIGN_OR_RAISE(auto scalar, delta::ParsePartitionValue(text, f->type()));
      ARROW_ASSIGN_OR_RAISE(col, arrow::MakeArrayFromScalar(*scalar, n));
    } else if (auto c = file->GetColumnByName(f->name())) {
      col = c;
      if (!col->type()->Equals(*f->type())) {
        ARROW_ASSIGN_OR_RAISE(auto casted, cp::Cast(*col, f->type()));
        col = casted;
      }
    } else {
      ARROW_ASSIGN_OR_RAISE(col, arrow::MakeArrayOfNull(f->type(), n));
    }
    fields.push_back(f->WithNullable(true));
    cols.push_back(std::move(col));
  }
  arrow::Int64Builder rid;
  ARROW_RETURN_NOT_OK(rid.Reserve(n));
  for (int64_t i = 0; i < n; ++i) rid.UnsafeAppend(i);
  ARROW_ASSIGN_OR_RAISE(auto rid_array, rid.Finish());
  fields.push_back(arrow::field(kRowIdCol, arrow::int64()));
  cols.push_back(rid_array);
  auto batch = arrow::RecordBatch::Make(arrow::schema(fields), n, cols);
  if (add.deletion_vector) {
    ARROW_ASSIGN_OR_RAISE(auto deleted,
                          delta::LoadDeletionVector(*target.snapshot->engine(),
                                                    *add.deletion_vector, target.root));
    arrow::BooleanBuilder keep;
    ARROW_RETURN_NOT_OK(keep.Reserve(n));
    size_t d = 0;
    for (int64_t i = 0; i < n; ++i) {
      while (d < deleted.size() && deleted[d] < static_cast<uint64_t>(i)) ++d;
      keep.UnsafeAppend(!(d < deleted.size() && deleted[d] == static_cast<uint64_t>(i)));
    }
    ARROW_ASSIGN_OR_RAISE(auto mask, keep.Finish());
    ARROW_ASSIGN_OR_RAISE(auto filtered, cp::Filter(batch, mask));
    batch = filtered.record_batch();
  }
  ARROW_ASSIGN_OR_RAISE(auto mem, MemoryTable::Make(batch->schema(), {{batch}}));
  ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, mem));
  ARROW_ASSIGN_OR_RAISE(auto rows, RunQuery(state,
                                            "SELECT " + QuoteIdent(kRowIdCol) + " FROM " +
                                                tmp->sql_name() + " AS " + QuoteIdent(alias) +
                                                " WHERE " + pred,
                                            context));
  std::vector<uint64_t> out;
  for (const auto& chunk : rows->column(0)->chunks()) {
    const auto& a = static_cast<const arrow::Int64Array&>(*chunk);
    for (int64_t i = 0; i < a.length(); ++i) out.push_back(static_cast<uint64_t>(a.Value(i)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status MarkRowsDeleted(SessionState* state, const Target& target, const delta::AddFile& add,
                       int64_t n, const std::string& alias, const std::string& pred,
                       const std::string& context, int64_t now_ms,
                       delta::DeletionVectorFileWriter* dv_file, CommitRequest* req) {
  int64_t num_rows = 0;
  ARROW_ASSIGN_OR_RAISE(auto rows,
                        MatchingRowIndexes(state, target, add, alias, pred, context, &num_rows));
  if (static_cast<int64_t>(rows.size()) != n) {
    return Status::Invalid(context, ": internal: data file '", delta::DecodeActionPath(add.path),
                           "' has ", rows.size(), " matching rows by row index but ", n,
                           " by the scan");
  }
  if (add.deletion_vector) {
    ARROW_ASSIGN_OR_RAISE(auto old, delta::LoadDeletionVector(*target.snapshot->engine(),
                                                              *add.deletion_vector, target.root));
    rows = delta::MergeRows(old, rows);
  }
  if (static_cast<int64_t>(rows.size()) >= num_rows) return Status::OK();  // all deleted
  delta::AddFile again = add;
  again.data_change = true;
  again.modification_time = now_ms;
  ARROW_ASSIGN_OR_RAISE(again.deletion_vector, dv_file->Add(rows));
  req->dv_adds.push_back(std::move(again));
  return Status::OK();
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
