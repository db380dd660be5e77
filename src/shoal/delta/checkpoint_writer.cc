#include "shoal/delta/checkpoint_writer.h"

#include <algorithm>
#include <chrono>
#include <atomic>
#include <exception>
#include <functional>
#include <string_view>
#include <unordered_map>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_nested.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include "shoal/delta/action_writer.h"
#include "shoal/delta/fail_point.h"
#include "shoal/delta/log_segment.h"
#include "shoal/delta/maintenance.h"

namespace shoal::delta {

namespace {

std::shared_ptr<arrow::DataType> StringMapType() {
  return arrow::map(arrow::utf8(), arrow::field("value", arrow::utf8(), true));
}

std::shared_ptr<arrow::DataType> DvType() {
  return arrow::struct_({arrow::field("storageType", arrow::utf8()),
                         arrow::field("pathOrInlineDv", arrow::utf8()),
                         arrow::field("offset", arrow::int32()),
                         arrow::field("sizeInBytes", arrow::int32()),
                         arrow::field("cardinality", arrow::int64())});
}

std::shared_ptr<arrow::DataType> StringListType() { return arrow::list(arrow::utf8()); }

// Column order of CheckpointSchema().
enum Col { kTxn = 0, kAdd, kRemove, kMetaData, kProtocol, kNumCols };

template <typename B>
B* ChildAs(arrow::StructBuilder* s, int i) {
  return static_cast<B*>(s->field_builder(i));
}

Status AppendString(arrow::ArrayBuilder* b, const std::optional<std::string>& v) {
  auto* sb = static_cast<arrow::StringBuilder*>(b);
  return v ? sb->Append(*v) : sb->AppendNull();
}

Status AppendInt64(arrow::ArrayBuilder* b, std::optional<int64_t> v) {
  auto* ib = static_cast<arrow::Int64Builder*>(b);
  return v ? ib->Append(*v) : ib->AppendNull();
}

Status AppendInt32(arrow::ArrayBuilder* b, std::optional<int32_t> v) {
  auto* ib = static_cast<arrow::Int32Builder*>(b);
  return v ? ib->Append(*v) : ib->AppendNull();
}

Status AppendBool(arrow::ArrayBuilder* b, bool v) {
  return static_cast<arrow::BooleanBuilder*>(b)->Append(v);
}

template <typename Map>
Status AppendMap(arrow::ArrayBuilder* b, const Map& m) {
  auto* mb = static_cast<arrow::MapBuilder*>(b);
  ARROW_RETURN_NOT_OK(mb->Append());
  auto* kb = static_cast<arrow::StringBuilder*>(mb->key_builder());
  auto* vb = static_cast<arrow::StringBuilder*>(mb->item_builder());
  for (const auto& [k, v] : m) {
    ARROW_RETURN_NOT_OK(kb->Append(k));
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
      ARROW_RETURN_NOT_OK(vb->Append(v));
    } else {
      ARROW_RETURN_NOT_OK(v ? vb->Append(*v) : vb->AppendNull());
    }
  }
  return Status::OK();
}

Status AppendList(arrow::ArrayBuilder* b, const std::optional<std::vector<std::string>>& items) {
  auto* lb = static_cast<arrow::ListBuilder*>(b);
  if (!items) return lb->AppendNull();
  ARROW_RETURN_NOT_OK(lb->Append());
  auto* vb = static_cast<arrow::StringBuilder*>(lb->value_builder());
  for (const auto& s : *items) ARROW_RETURN_NOT_OK(vb->Append(s));
  return Status::OK();
}

Status AppendDv(arrow::ArrayBuilder* b, const std::optional<DeletionVectorDescriptor>& dv) {
  auto* s = static_cast<arrow::StructBuilder*>(b);
  if (!dv) return s->AppendNull();
  ARROW_RETURN_NOT_OK(s->Append());
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(0), dv->storage_type));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(1), dv->path_or_inline_dv));
  ARROW_RETURN_NOT_OK(AppendInt32(s->field_builder(2), dv->offset));
  ARROW_RETURN_NOT_OK(AppendInt32(s->field_builder(3), dv->size_in_bytes));
  return AppendInt64(s->field_builder(4), dv->cardinality);
}

/// Builds batches of checkpoint rows; each row sets exactly one column.
class RowBuilder {
 public:
  static Result<std::unique_ptr<RowBuilder>> Make(std::shared_ptr<arrow::Schema> schema) {
    std::unique_ptr<RowBuilder> rb(new RowBuilder());
    rb->schema_ = std::move(schema);
    for (const auto& f : rb->schema_->fields()) {
      std::unique_ptr<arrow::ArrayBuilder> b;
      ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), f->type(), &b));
      rb->builders_.push_back(std::move(b));
    }
    return rb;
  }

  /// Start a row whose value is in column `col`; return that column's builder.
  /// The other columns' nulls are counted and appended in runs (rows of one kind
  /// come together), not one nested null at a time.
  Result<arrow::StructBuilder*> Begin(int col) {
    for (int i = 0; i < kNumCols; ++i) {
      if (i != col) ++pending_nulls_[i];
    }
    ARROW_RETURN_NOT_OK(AppendPendingNulls(col));
    auto* s = static_cast<arrow::StructBuilder*>(builders_[col].get());
    ARROW_RETURN_NOT_OK(s->Append());
    ++rows_;
    return s;
  }

  int64_t rows() const { return rows_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Flush() {
    arrow::ArrayVector arrays;
    for (int i = 0; i < kNumCols; ++i) {
      ARROW_RETURN_NOT_OK(AppendPendingNulls(i));
      std::shared_ptr<arrow::Array> a;
      ARROW_RETURN_NOT_OK(builders_[i]->Finish(&a));
      arrays.push_back(std::move(a));
    }
    auto batch = arrow::RecordBatch::Make(schema_, rows_, std::move(arrays));
    rows_ = 0;
    return batch;
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  Status AppendPendingNulls(int col) {
    int64_t n = pending_nulls_[col];
    pending_nulls_[col] = 0;
    return n > 0 ? builders_[col]->AppendNulls(n) : Status::OK();
  }

  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders_;
  int64_t pending_nulls_[kNumCols] = {};
  int64_t rows_ = 0;
};

Status AppendProtocol(RowBuilder* rb, const Protocol& p) {
  ARROW_ASSIGN_OR_RAISE(auto* s, rb->Begin(kProtocol));
  ARROW_RETURN_NOT_OK(AppendInt32(s->field_builder(0), p.min_reader_version));
  ARROW_RETURN_NOT_OK(AppendInt32(s->field_builder(1), p.min_writer_version));
  ARROW_RETURN_NOT_OK(AppendList(s->field_builder(2), p.reader_features));
  return AppendList(s->field_builder(3), p.writer_features);
}

Status AppendMetadata(RowBuilder* rb, const Metadata& m) {
  ARROW_ASSIGN_OR_RAISE(auto* s, rb->Begin(kMetaData));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(0), m.id));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(1), m.name));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(2), m.description));
  auto* fmt = static_cast<arrow::StructBuilder*>(s->field_builder(3));
  ARROW_RETURN_NOT_OK(fmt->Append());
  ARROW_RETURN_NOT_OK(AppendString(fmt->field_builder(0), m.format_provider));
  ARROW_RETURN_NOT_OK(AppendMap(fmt->field_builder(1), std::map<std::string, std::string>{}));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(4), m.schema_string));
  ARROW_RETURN_NOT_OK(AppendList(s->field_builder(5), m.partition_columns));
  ARROW_RETURN_NOT_OK(AppendMap(s->field_builder(6), m.configuration));
  return AppendInt64(s->field_builder(7), m.created_time);
}

Status AppendTxn(RowBuilder* rb, const Transaction& t) {
  ARROW_ASSIGN_OR_RAISE(auto* s, rb->Begin(kTxn));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(0), t.app_id));
  ARROW_RETURN_NOT_OK(AppendInt64(s->field_builder(1), t.version));
  return AppendInt64(s->field_builder(2), t.last_updated);
}

Status AppendAdd(RowBuilder* rb, const AddFile& a) {
  ARROW_ASSIGN_OR_RAISE(auto* s, rb->Begin(kAdd));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(0), a.path));
  ARROW_RETURN_NOT_OK(AppendMap(s->field_builder(1), a.partition_values));
  ARROW_RETURN_NOT_OK(AppendInt64(s->field_builder(2), a.size));
  ARROW_RETURN_NOT_OK(AppendInt64(s->field_builder(3), a.modification_time));
  ARROW_RETURN_NOT_OK(AppendBool(s->field_builder(4), a.data_change));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(5), a.stats));
  if (a.tags.empty()) {
    ARROW_RETURN_NOT_OK(s->field_builder(6)->AppendNull());
  } else {
    ARROW_RETURN_NOT_OK(AppendMap(s->field_builder(6), a.tags));
  }
  ARROW_RETURN_NOT_OK(AppendDv(s->field_builder(7), a.deletion_vector));
  ARROW_RETURN_NOT_OK(AppendInt64(s->field_builder(8), a.base_row_id));
  return AppendInt64(s->field_builder(9), a.default_row_commit_version);
}

Status AppendRemove(RowBuilder* rb, const RemoveFile& r) {
  ARROW_ASSIGN_OR_RAISE(auto* s, rb->Begin(kRemove));
  ARROW_RETURN_NOT_OK(AppendString(s->field_builder(0), r.path));
  ARROW_RETURN_NOT_OK(AppendInt64(s->field_builder(1), r.deletion_timestamp));
  ARROW_RETURN_NOT_OK(AppendBool(s->field_builder(2), r.data_change));
  ARROW_RETURN_NOT_OK(
      AppendBool(s->field_builder(3), r.partition_values.has_value() && r.size.has_value()));
  if (r.partition_values) {
    ARROW_RETURN_NOT_OK(AppendMap(s->field_builder(4), *r.partition_values));
  } else {
    ARROW_RETURN_NOT_OK(s->field_builder(4)->AppendNull());
  }
  ARROW_RETURN_NOT_OK(AppendInt64(s->field_builder(5), r.size));
  return AppendDv(s->field_builder(6), r.deletion_vector);
}

std::string LogicalFileKey(const std::string& path,
                           const std::optional<DeletionVectorDescriptor>& dv) {
  return dv ? path + '\n' + dv->UniqueId() : path;
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

/// Write `path` in `fs` via a temporary file in the same directory and a move.
template <typename WriteFn>
Status WriteReplacing(const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
                      WriteFn&& write) {
  std::string tmp = JoinPath(DirOf(path), "." + NewUuid() + ".tmp");
  {
    ARROW_ASSIGN_OR_RAISE(auto out, fs->OpenOutputStream(tmp));
    Status st = write(out);
    Status closed = out->Close();
    if (st.ok()) st = closed;
    if (!st.ok()) {
      (void)fs->DeleteFile(tmp);
      return st;
    }
  }
  Status moved = fs->Move(tmp, path);
  if (!moved.ok()) (void)fs->DeleteFile(tmp);
  return moved;
}

}  // namespace

Result<std::vector<RemoveFile>> CollectTombstones(const Snapshot& snapshot, int64_t now_ms) {
  const auto& config = snapshot.metadata().configuration;
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  auto it = config.find("delta.deletedFileRetentionDuration");
  if (it != config.end()) {
    ARROW_ASSIGN_OR_RAISE(retention_ms,
                          ParseIntervalMillis("delta.deletedFileRetentionDuration", it->second));
  }
  const int64_t cutoff = now_ms - retention_ms;
  const LogSegment& seg = snapshot.log_segment();
  const Engine& engine = *snapshot.engine();
  // The last remove of each logical file, oldest actions first (checkpoint, commits).
  std::unordered_map<std::string, RemoveFile> last;
  auto take = [&](ActionBatch&& batch) {
    for (auto& r : batch.removes) {
      if (r.deletion_timestamp.value_or(0) <= cutoff) continue;  // expired (or no time)
      std::string key = LogicalFileKey(r.path, r.deletion_vector);
      last[key] = std::move(r);
    }
    for (const auto& a : batch.adds) {
      std::string key = LogicalFileKey(a.path, a.deletion_vector);
      last.erase(key);
    }
  };
  for (const auto& part : seg.checkpoint_parts) {
    if (part.kind == LogFileKind::kUuidCheckpoint && part.is_json) continue;
    ARROW_RETURN_NOT_OK(engine.parquet->ReadParquetBatches(
        part.file, {"remove"}, 64 * 1024, [&](const arrow::RecordBatch& batch) -> Status {
          ActionBatch actions;
          ARROW_RETURN_NOT_OK(ParseCheckpointBatch(batch, &actions));
          take(std::move(actions));
          return Status::OK();
        }));
  }
  // Commits are read in parallel (engine.tasks), keeping only their unexpired
  // removes and the keys of their adds, then applied in version order. Within one
  // commit a file is not both added and removed (protocol), so the order of adds
  // and removes inside it does not matter.
  const int64_t n = static_cast<int64_t>(seg.commits.size());
  std::vector<ActionBatch> kept(n);
  auto read = [&](int64_t i) -> Status {
    ARROW_ASSIGN_OR_RAISE(auto actions, ReadCommit(engine, seg.commits[i], seg.table_root));
    for (auto& r : actions.removes) {
      if (r.deletion_timestamp.value_or(0) > cutoff) kept[i].removes.push_back(std::move(r));
    }
    for (auto& a : actions.adds) {
      AddFile key;
      key.path = std::move(a.path);
      key.deletion_vector = std::move(a.deletion_vector);
      kept[i].adds.push_back(std::move(key));
    }
    return Status::OK();
  };
  // First only the lines that mention "remove" are decoded: without a recent
  // remove anywhere (append-only tables) there are no tombstones and the adds
  // need not be decoded again.
  std::atomic<bool> any_remove{!last.empty()};
  ARROW_RETURN_NOT_OK(RunTasks(engine.tasks.get(), n, [&](int64_t i) -> Status {
    if (any_remove.load()) return Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto data, engine.storage->ReadFile(seg.commits[i].file.location));
    std::string_view text(reinterpret_cast<const char*>(data->data()),
                          static_cast<size_t>(data->size()));
    size_t pos = 0;
    while ((pos = text.find("\"remove\"", pos)) != std::string_view::npos) {
      size_t begin = text.rfind('\n', pos);
      begin = begin == std::string_view::npos ? 0 : begin + 1;
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      ActionBatch batch;
      Status st = ParseJsonActionLine(text.substr(begin, end - begin), &batch);
      if (!st.ok()) any_remove = true;  // decoded (and reported) by ReadCommit below
      for (const auto& r : batch.removes) {
        if (r.deletion_timestamp.value_or(0) > cutoff) any_remove = true;
      }
      pos = end;
    }
    return Status::OK();
  }));
  if (any_remove.load()) ARROW_RETURN_NOT_OK(RunTasks(engine.tasks.get(), n, read));
  for (auto& batch : kept) take(std::move(batch));
  // A file live in the snapshot is no tombstone, whatever the log said before.
  for (const auto& a : snapshot.files()) last.erase(LogicalFileKey(a.path, a.deletion_vector));
  std::vector<RemoveFile> out;
  out.reserve(last.size());
  for (auto& [key, r] : last) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(),
            [](const RemoveFile& a, const RemoveFile& b) { return a.path < b.path; });
  return out;
}

std::shared_ptr<arrow::Schema> CheckpointSchema() {
  static const auto kSchema = arrow::schema({
      arrow::field("txn", arrow::struct_({arrow::field("appId", arrow::utf8()),
                                          arrow::field("version", arrow::int64()),
                                          arrow::field("lastUpdated", arrow::int64())})),
      arrow::field("add",
                   arrow::struct_({arrow::field("path", arrow::utf8()),
                                   arrow::field("partitionValues", StringMapType()),
                                   arrow::field("size", arrow::int64()),
                                   arrow::field("modificationTime", arrow::int64()),
                                   arrow::field("dataChange", arrow::boolean()),
                                   arrow::field("stats", arrow::utf8()),
                                   arrow::field("tags", StringMapType()),
                                   arrow::field("deletionVector", DvType()),
                                   arrow::field("baseRowId", arrow::int64()),
                                   arrow::field("defaultRowCommitVersion", arrow::int64())})),
      arrow::field("remove",
                   arrow::struct_({arrow::field("path", arrow::utf8()),
                                   arrow::field("deletionTimestamp", arrow::int64()),
                                   arrow::field("dataChange", arrow::boolean()),
                                   arrow::field("extendedFileMetadata", arrow::boolean()),
                                   arrow::field("partitionValues", StringMapType()),
                                   arrow::field("size", arrow::int64()),
                                   arrow::field("deletionVector", DvType())})),
      arrow::field("metaData",
                   arrow::struct_({arrow::field("id", arrow::utf8()),
                                   arrow::field("name", arrow::utf8()),
                                   arrow::field("description", arrow::utf8()),
                                   arrow::field("format",
                                                arrow::struct_({arrow::field("provider",
                                                                             arrow::utf8()),
                                                                arrow::field("options",
                                                                             StringMapType())})),
                                   arrow::field("schemaString", arrow::utf8()),
                                   arrow::field("partitionColumns", StringListType()),
                                   arrow::field("configuration", StringMapType()),
                                   arrow::field("createdTime", arrow::int64())})),
      arrow::field("protocol",
                   arrow::struct_({arrow::field("minReaderVersion", arrow::int32()),
                                   arrow::field("minWriterVersion", arrow::int32()),
                                   arrow::field("readerFeatures", StringListType()),
                                   arrow::field("writerFeatures", StringListType())})),
  });
  return kSchema;
}

Result<CheckpointInfo> WriteCheckpointParquet(const Snapshot& snapshot,
                                              std::shared_ptr<arrow::io::OutputStream> out,
                                              int64_t batch_rows) {
  if (batch_rows < 1) batch_rows = 1;
  ARROW_ASSIGN_OR_RAISE(
      auto tombstones,
      CollectTombstones(snapshot, std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()));
  auto schema = CheckpointSchema();
  ARROW_ASSIGN_OR_RAISE(auto rb, RowBuilder::Make(schema));
  CheckpointInfo info;
  info.version = snapshot.version();
  ARROW_ASSIGN_OR_RAISE(int64_t start, out->Tell());
  try {
    // Paths and stats are (nearly) all distinct: a dictionary would only cost
    // time and memory before falling back to plain encoding.
    auto props = parquet::WriterProperties::Builder()
                     .compression(arrow::Compression::SNAPPY)
                     ->max_row_group_length(batch_rows)
                     ->disable_dictionary("add.path")
                     ->disable_dictionary("add.stats")
                     ->disable_dictionary("remove.path")
                     ->build();
    ARROW_ASSIGN_OR_RAISE(auto writer,
                          parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(),
                                                           out, props));
    auto flush = [&]() -> Status {
      if (rb->rows() == 0) return Status::OK();
      info.num_actions += rb->rows();
      ARROW_ASSIGN_OR_RAISE(auto batch, rb->Flush());
      return writer->WriteRecordBatch(*batch);
    };
    auto maybe_flush = [&]() -> Status {
      return rb->rows() >= batch_rows ? flush() : Status::OK();
    };
    ARROW_RETURN_NOT_OK(AppendProtocol(rb.get(), snapshot.protocol()));
    ARROW_RETURN_NOT_OK(AppendMetadata(rb.get(), snapshot.metadata()));
    for (const auto& t : snapshot.transactions()) {
      ARROW_RETURN_NOT_OK(AppendTxn(rb.get(), t));
      ARROW_RETURN_NOT_OK(maybe_flush());
    }
    for (const auto& a : snapshot.files()) {
      ARROW_RETURN_NOT_OK(AppendAdd(rb.get(), a));
      ++info.num_add_files;
      ARROW_RETURN_NOT_OK(maybe_flush());
    }
    for (const auto& r : tombstones) {
      ARROW_RETURN_NOT_OK(AppendRemove(rb.get(), r));
      ARROW_RETURN_NOT_OK(maybe_flush());
    }
    ARROW_RETURN_NOT_OK(flush());
    ShoalFailPoint("delta_mid_checkpoint");
    ARROW_RETURN_NOT_OK(writer->Close());
  } catch (const std::exception& e) {
    return Status::IOError("cannot write the checkpoint of version ", snapshot.version(), ": ",
                           e.what());
  }
  ARROW_ASSIGN_OR_RAISE(int64_t end, out->Tell());
  info.size_in_bytes = end - start;
  return info;
}

Result<CheckpointInfo> WriteCheckpoint(const Snapshot& snapshot,
                                       const std::shared_ptr<arrow::fs::FileSystem>& fs) {
  std::string log_root = JoinPath(snapshot.table_root(), "_delta_log");
  std::string path = JoinPath(log_root, VersionPrefix(snapshot.version()) + ".checkpoint.parquet");
  CheckpointInfo info;
  ARROW_RETURN_NOT_OK(WriteReplacing(fs, path, [&](const auto& out) -> Status {
    ARROW_ASSIGN_OR_RAISE(info, WriteCheckpointParquet(snapshot, out));
    return Status::OK();
  }));
  JsonValue hint = JsonValue::Object();
  hint.Add("version", JsonValue::Number(std::to_string(info.version)));
  hint.Add("size", JsonValue::Number(std::to_string(info.num_actions)));
  hint.Add("sizeInBytes", JsonValue::Number(std::to_string(info.size_in_bytes)));
  hint.Add("numOfAddFiles", JsonValue::Number(std::to_string(info.num_add_files)));
  std::string text = hint.ToJson();
  ShoalFailPoint("delta_before_last_checkpoint");
  ARROW_RETURN_NOT_OK(WriteReplacing(fs, JoinPath(log_root, "_last_checkpoint"),
                                     [&](const auto& out) { return out->Write(text); }));
  return info;
}

}  // namespace shoal::delta
