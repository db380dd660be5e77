#include "shoal/delta/delta_writer.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/cast.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/type.h>
#include <arrow/util/byte_size.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/arrow_engine.h"
#include "shoal/delta/checkpoint_writer.h"
#include "shoal/delta/constraints.h"
#include "shoal/delta/fail_point.h"
#include "shoal/delta/maintenance.h"
#include "shoal/delta/log_segment.h"
#include "shoal/delta/schema.h"
#include "shoal/delta/snapshot.h"
#include "shoal/delta/transaction.h"
#include "shoal/io/file_listing.h"

namespace shoal::delta {

namespace cp = arrow::compute;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// ---------------------------------------------------------------------------
// Data files
// ---------------------------------------------------------------------------

/// The files of one partition directory: one open Parquet file at a time.
struct PartitionFiles {
  std::string dir;  ///< Relative directory ("" or "a=1/b=x").
  PartitionValueMap values;
  std::string rel_path;
  std::string full_path;
  std::shared_ptr<arrow::io::OutputStream> stream;
  std::unique_ptr<parquet::arrow::FileWriter> writer;
  std::unique_ptr<StatsCollector> stats;
  /// Rows of the row group being gathered (references, not copies): a row group
  /// is encoded in one go, column by column, straight into the file.
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending;
  int64_t pending_rows = 0;
};

/// Rows of one partition directory bound for one lane; `end_group` closes the
/// lane's row group of that directory after them.
struct LaneChunk {
  std::string dir;
  const PartitionValueMap* values = nullptr;  ///< Owned by the DataWriter.
  std::shared_ptr<arrow::RecordBatch> data;   ///< File schema (no partition columns).
  int64_t bytes = 0;
  bool end_group = false;
};

/// What every lane shares (read-only, but for the file counter).
struct LaneShared {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string root;
  std::shared_ptr<arrow::Schema> file_schema;
  std::shared_ptr<parquet::WriterProperties> props;
  int64_t target_file_size = 0;
  int64_t num_indexed_cols = 0;
  std::atomic<int64_t> file_counter{0};
};

/// One writer thread with its own open files (one per partition directory),
/// fed through a queue bounded in bytes.
class WriterLane {
 public:
  explicit WriterLane(LaneShared* shared) : shared_(shared) {
    thread_ = std::thread([this] { Run(); });
  }
  ~WriterLane() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closing_) aborting_ = true;  // never left waiting for rows
      ready_.notify_one();
    }
    Stop();
  }

  /// Queue `chunk`, waiting while the queue holds `max_queued` bytes or more; return
  /// the lane's error when it failed.
  Status Push(LaneChunk chunk, int64_t max_queued) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return !status_.ok() || queue_.empty() || queued_ < max_queued; });
    if (!status_.ok()) return status_;
    queued_ += chunk.bytes;
    queue_.push_back(std::move(chunk));
    ready_.notify_one();
    return Status::OK();
  }

  /// Write what is queued, close every file and stop the thread; return the lane's status.
  Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
      ready_.notify_one();
    }
    Stop();
    return status_;
  }

  /// Stop the thread (dropping queued rows) and delete every file written.
  void Abort() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      aborting_ = true;
      queue_.clear();
      ready_.notify_one();
      space_.notify_all();
    }
    Stop();
    for (auto& [dir, pf] : partitions_) {
      if (pf.writer) {
        try {
          (void)pf.writer->Close();
        } catch (...) {
        }
        (void)pf.stream->Close();
        (void)shared_->fs->DeleteFile(pf.full_path);
      }
    }
    for (const auto& p : written_paths_) (void)shared_->fs->DeleteFile(p);
  }

  std::vector<AddFile>& adds() { return adds_; }
  int64_t num_bytes() const { return num_bytes_; }

 private:
  void Stop() {
    if (thread_.joinable()) thread_.join();
  }

  void Run() {
    while (true) {
      LaneChunk chunk;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [&] { return aborting_ || closing_ || !queue_.empty(); });
        if (aborting_) return;
        if (queue_.empty()) break;  // closing and drained
        chunk = std::move(queue_.front());
        queue_.pop_front();
      }
      Status st = WriteChunk(chunk);
      std::lock_guard<std::mutex> lock(mu_);
      queued_ -= chunk.bytes;
      space_.notify_all();
      if (!st.ok()) {
        status_ = st;
        queue_.clear();
        return;
      }
    }
    Status st;
    for (auto& [dir, pf] : partitions_) {
      st = CloseFile(&pf);
      if (!st.ok()) break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    status_ = st;
  }

  Status WriteChunk(const LaneChunk& chunk) {
    auto it = partitions_.find(chunk.dir);
    if (it == partitions_.end()) {
      it = partitions_.emplace(chunk.dir, PartitionFiles{}).first;
      it->second.dir = chunk.dir;
      if (chunk.values) it->second.values = *chunk.values;
    }
    PartitionFiles& pf = it->second;
    if (!pf.writer) ARROW_RETURN_NOT_OK(OpenFile(&pf));
    ARROW_RETURN_NOT_OK(pf.stats->Update(*chunk.data));
    pf.pending.push_back(chunk.data);
    pf.pending_rows += chunk.data->num_rows();
    if (chunk.end_group) {
      ARROW_RETURN_NOT_OK(FlushGroup(&pf));
      ARROW_ASSIGN_OR_RAISE(int64_t written, pf.stream->Tell());
      if (written >= shared_->target_file_size) ARROW_RETURN_NOT_OK(CloseFile(&pf));
    }
    return Status::OK();
  }

  /// Encode the gathered rows as one row group. Unbuffered: pages go to the file
  /// as they are made (only a dictionary-encoded column chunk is held until done).
  Status FlushGroup(PartitionFiles* pf) {
    if (pf->pending.empty()) return Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto table,
                          arrow::Table::FromRecordBatches(shared_->file_schema, pf->pending));
    try {
      ARROW_RETURN_NOT_OK(pf->writer->WriteTable(*table, std::max<int64_t>(pf->pending_rows, 1)));
    } catch (const std::exception& e) {
      return Status::IOError("cannot write '", pf->full_path, "': ", e.what());
    }
    pf->pending.clear();
    pf->pending_rows = 0;
    return Status::OK();
  }

  Status OpenFile(PartitionFiles* pf) {
    char part[32];
    std::snprintf(part, sizeof(part), "part-%05lld-",
                  static_cast<long long>(shared_->file_counter.fetch_add(1)));
    std::string name = part + NewUuid() + "-c000.snappy.parquet";
    pf->rel_path = pf->dir.empty() ? name : pf->dir + "/" + name;
    pf->full_path = JoinPath(shared_->root, pf->rel_path);
    ARROW_RETURN_NOT_OK(shared_->fs->CreateDir(DirOf(pf->full_path), /*recursive=*/true));
    ARROW_ASSIGN_OR_RAISE(pf->stream, shared_->fs->OpenOutputStream(pf->full_path));
    try {
      ARROW_ASSIGN_OR_RAISE(pf->writer,
                            parquet::arrow::FileWriter::Open(*shared_->file_schema,
                                                             arrow::default_memory_pool(),
                                                             pf->stream, shared_->props));
    } catch (const std::exception& e) {
      return Status::IOError("cannot write '", pf->full_path, "': ", e.what());
    }
    pf->stats = std::make_unique<StatsCollector>(shared_->file_schema, shared_->num_indexed_cols);
    return Status::OK();
  }

  Status CloseFile(PartitionFiles* pf) {
    if (!pf->writer) return Status::OK();
    ARROW_RETURN_NOT_OK(FlushGroup(pf));
    try {
      ARROW_RETURN_NOT_OK(pf->writer->Close());
    } catch (const std::exception& e) {
      return Status::IOError("cannot write '", pf->full_path, "': ", e.what());
    }
    ARROW_ASSIGN_OR_RAISE(int64_t size, pf->stream->Tell());
    ARROW_RETURN_NOT_OK(pf->stream->Close());
    pf->writer.reset();
    pf->stream.reset();
    written_paths_.push_back(pf->full_path);
    AddFile add;
    add.path = EncodeActionPath(pf->rel_path);
    add.partition_values = pf->values;
    add.size = size;
    add.modification_time = NowMs();
    add.data_change = true;
    ARROW_ASSIGN_OR_RAISE(auto stats, pf->stats->ToJson());
    add.stats = std::move(stats);
    pf->stats.reset();
    num_bytes_ += size;
    adds_.push_back(std::move(add));
    return Status::OK();
  }

  LaneShared* shared_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<LaneChunk> queue_;
  int64_t queued_ = 0;
  bool closing_ = false, aborting_ = false;
  Status status_;
  std::thread thread_;
  // Used by the lane's thread only (and by Abort / the owner after it stops).
  std::map<std::string, PartitionFiles> partitions_;
  std::vector<AddFile> adds_;
  std::vector<std::string> written_paths_;
  int64_t num_bytes_ = 0;
};

/// Rows per Parquet row group (Arrow's default maximum).
constexpr int64_t kRowGroupRows = 1024 * 1024;
/// In-memory (Arrow) bytes per row group at most.
constexpr int64_t kRowGroupBytes = 64LL << 20;

/// Writes data files and collects their add actions. Rows are cut into row
/// groups (kRowGroupRows / kRowGroupBytes) and the row groups of each partition
/// directory go to the writer lanes in turn, so large writes encode and compress
/// on every core, each lane into its own files. Memory: each lane buffers its
/// queue (bounded) and one row group per open file.
class DataWriter {
 public:
  DataWriter(std::shared_ptr<arrow::fs::FileSystem> fs, std::string root,
             std::shared_ptr<arrow::Schema> table_schema, std::vector<std::string> partition_cols,
             int64_t target_file_size, int64_t num_indexed_cols)
      : table_schema_(std::move(table_schema)), partition_cols_(std::move(partition_cols)) {
    arrow::FieldVector data_fields;
    for (int i = 0; i < table_schema_->num_fields(); ++i) {
      const auto& f = table_schema_->field(i);
      bool is_partition = false;
      for (const auto& p : partition_cols_) is_partition = is_partition || p == f->name();
      if (!is_partition) {
        data_indices_.push_back(i);
        data_fields.push_back(f);
      }
    }
    // Partition columns in partitionBy order.
    for (const auto& p : partition_cols_) {
      partition_indices_.push_back(table_schema_->GetFieldIndex(p));
    }
    shared_.fs = std::move(fs);
    shared_.root = std::move(root);
    shared_.file_schema = arrow::schema(data_fields);
    shared_.target_file_size = std::max<int64_t>(target_file_size, 1);
    shared_.num_indexed_cols = num_indexed_cols;
    group_bytes_ = std::min<int64_t>(shared_.target_file_size, kRowGroupBytes);
    int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    num_lanes_ = std::min(cores, 4);
  }
  ~DataWriter() {
    for (auto& lane : lanes_) lane->Abort();
  }

  /// Write one batch (table schema, already conformed).
  Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) {
    if (batch->num_rows() == 0) return Status::OK();
    num_rows_ += batch->num_rows();
    if (partition_indices_.empty()) return Dispatch("", *batch);
    // Group rows by their partition directory, keeping first-seen order.
    std::vector<std::string> order;
    std::unordered_map<std::string, std::vector<int64_t>> rows;
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      std::string dir;
      PartitionValueMap pv;
      for (int idx : partition_indices_) {
        const auto& name = table_schema_->field(idx)->name();
        auto text = PartitionValueText(*batch->column(idx), r);
        if (!text.ok()) {
          return text.status().WithMessage("partition column '", name, "': ",
                                           text.status().message());
        }
        if (!dir.empty()) dir += "/";
        dir += EscapePartitionPathValue(name) + "=" +
               (*text ? EscapePartitionPathValue(**text) : "__HIVE_DEFAULT_PARTITION__");
        pv[name] = *text;
      }
      auto it = rows.find(dir);
      if (it == rows.end()) {
        order.push_back(dir);
        auto& state = dirs_[dir];
        if (!state.values) state.values = std::make_unique<PartitionValueMap>(std::move(pv));
        it = rows.emplace(dir, std::vector<int64_t>{}).first;
      }
      it->second.push_back(r);
    }
    for (const auto& dir : order) {
      const auto& idx = rows[dir];
      if (order.size() == 1) {
        ARROW_RETURN_NOT_OK(Dispatch(dir, *batch));
        continue;
      }
      arrow::Int64Builder ib;
      ARROW_RETURN_NOT_OK(ib.AppendValues(idx));
      ARROW_ASSIGN_OR_RAISE(auto indices, ib.Finish());
      ARROW_ASSIGN_OR_RAISE(auto taken, cp::Take(batch, indices));
      ARROW_RETURN_NOT_OK(Dispatch(dir, *taken.record_batch()));
    }
    return Status::OK();
  }

  /// Close every open file and return the add actions.
  Result<std::vector<AddFile>> Finish() {
    Status st;
    for (auto& lane : lanes_) {
      Status s = lane->Finish();
      if (st.ok()) st = s;
    }
    ARROW_RETURN_NOT_OK(st);
    std::vector<AddFile> adds;
    for (auto& lane : lanes_) {
      num_bytes_ += lane->num_bytes();
      for (auto& a : lane->adds()) adds.push_back(std::move(a));
    }
    lanes_.clear();
    return adds;
  }

  /// Delete every file written so far (after a failure).
  void Abort() {
    for (auto& lane : lanes_) lane->Abort();
    lanes_.clear();
  }

  int64_t num_rows() const { return num_rows_; }
  int64_t num_bytes() const { return num_bytes_; }

 private:
  /// Where the rows of one partition directory go next.
  struct DirState {
    std::unique_ptr<PartitionValueMap> values;
    int lane = -1;
    int64_t rows = 0, bytes = 0;  ///< In the current row group.
  };

  /// Set the Parquet properties from the first rows written: Snappy, dictionary
  /// encoding and statistics (as delta-rs and Spark), but no dictionary for a
  /// column whose first rows are nearly all distinct: its dictionary would outgrow
  /// the dictionary page limit and fall back to plain encoding anyway, after
  /// hashing every value of the row group so far.
  void ChooseProperties(const arrow::RecordBatch& data) {
    constexpr int64_t kSampleRows = 64 * 1024;
    constexpr int64_t kMinSampleRows = 4096;
    constexpr double kDistinctRatio = 0.9;
    parquet::WriterProperties::Builder builder;
    builder.compression(arrow::Compression::SNAPPY)->max_row_group_length(kRowGroupRows);
    int64_t n = std::min<int64_t>(data.num_rows(), kSampleRows);
    for (int i = 0; n >= kMinSampleRows && i < data.num_columns(); ++i) {
      const auto& field = data.schema()->field(i);
      auto id = field->type()->id();
      bool flat = arrow::is_primitive(id) || arrow::is_base_binary_like(id) ||
                  arrow::is_decimal(id) || id == arrow::Type::FIXED_SIZE_BINARY;
      if (!flat || id == arrow::Type::BOOL || field->name().find('.') != std::string::npos) {
        continue;
      }
      auto sample = data.column(i)->Slice(0, n);
      auto distinct = cp::CallFunction("count_distinct", {arrow::Datum(sample)});
      auto bytes = arrow::util::ReferencedBufferSize(*sample);
      if (!distinct.ok() || !bytes.ok() || !distinct->is_scalar()) continue;
      const auto& count = static_cast<const arrow::Int64Scalar&>(*distinct->scalar());
      double ratio = static_cast<double>(count.value) / static_cast<double>(n);
      double dict_bytes = ratio * static_cast<double>(kRowGroupRows) *
                          (static_cast<double>(*bytes) / static_cast<double>(n));
      if (ratio >= kDistinctRatio &&
          dict_bytes > static_cast<double>(parquet::DEFAULT_DICTIONARY_PAGE_SIZE_LIMIT)) {
        builder.disable_dictionary(field->name());
      }
    }
    shared_.props = builder.build();
  }

  /// Send the rows of `batch` (table schema) for directory `dir` to the lanes,
  /// cut at row group boundaries.
  Status Dispatch(const std::string& dir, const arrow::RecordBatch& batch) {
    arrow::ArrayVector cols;
    for (int i : data_indices_) cols.push_back(batch.column(i));
    auto data = arrow::RecordBatch::Make(shared_.file_schema, batch.num_rows(), std::move(cols));
    if (!shared_.props) ChooseProperties(*data);
    ARROW_ASSIGN_OR_RAISE(int64_t size, arrow::util::ReferencedBufferSize(*data));
    double row_bytes = static_cast<double>(size) / static_cast<double>(data->num_rows());
    auto& state = dirs_[dir];
    if (state.lane < 0) state.lane = static_cast<int>(std::hash<std::string>{}(dir) % num_lanes_);
    int64_t offset = 0;
    while (offset < data->num_rows()) {
      int64_t left = data->num_rows() - offset;
      int64_t room_rows = kRowGroupRows - state.rows;
      int64_t room_bytes_rows = static_cast<int64_t>(
          static_cast<double>(group_bytes_ - state.bytes) / std::max(row_bytes, 1e-9));
      int64_t n = std::max<int64_t>(1, std::min({left, room_rows, room_bytes_rows}));
      LaneChunk chunk;
      chunk.dir = dir;
      chunk.values = state.values.get();
      chunk.data = (offset == 0 && n == data->num_rows()) ? data : data->Slice(offset, n);
      chunk.bytes = static_cast<int64_t>(row_bytes * static_cast<double>(n));
      state.rows += n;
      state.bytes += chunk.bytes;
      const bool end_group = state.rows >= kRowGroupRows || state.bytes >= group_bytes_;
      chunk.end_group = end_group;
      ARROW_RETURN_NOT_OK(Lane(state.lane)->Push(std::move(chunk), group_bytes_));
      if (end_group) {
        // The next row group of this directory goes to the next lane.
        state.rows = state.bytes = 0;
        state.lane = (state.lane + 1) % num_lanes_;
      }
      offset += n;
    }
    return Status::OK();
  }

  WriterLane* Lane(int i) {
    while (static_cast<int>(lanes_.size()) <= i) {
      lanes_.push_back(std::make_unique<WriterLane>(&shared_));
    }
    return lanes_[i].get();
  }

  std::shared_ptr<arrow::Schema> table_schema_;
  std::vector<std::string> partition_cols_;
  std::vector<int> partition_indices_, data_indices_;
  LaneShared shared_;
  int64_t group_bytes_ = 0;
  int num_lanes_ = 1;
  std::vector<std::unique_ptr<WriterLane>> lanes_;
  std::unordered_map<std::string, DirState> dirs_;
  int64_t num_rows_ = 0;
  int64_t num_bytes_ = 0;
};
// ---------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------

std::string DeltaTypeName(const std::shared_ptr<arrow::DataType>& type) {
  auto text = SchemaToDeltaString(*arrow::schema({arrow::field("x", type)}));
  if (!text.ok()) return type->ToString();
  // {"type":"struct","fields":[{"name":"x","type":T,"nullable":...
  const std::string& s = *text;
  auto begin = s.find("\"type\":", s.find("\"name\":\"x\"")) + 7;
  auto end = s.rfind(",\"nullable\":");
  std::string t = s.substr(begin, end - begin);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
  return t;
}

/// Check that `data` (normalized) matches the table's schema by name; list the differences.
Status CheckSchemaMatches(const arrow::Schema& table, const arrow::Schema& data,
                          const std::string& root) {
  std::vector<std::string> problems;
  for (const auto& f : table.fields()) {
    auto d = data.GetFieldByName(f->name());
    if (!d) {
      problems.push_back("column '" + f->name() + "' (" + DeltaTypeName(f->type()) +
                         ") is missing from the data");
    } else if (DeltaTypeName(d->type()) != DeltaTypeName(f->type())) {
      problems.push_back("column '" + f->name() + "' is " + DeltaTypeName(f->type()) +
                         " in the table but " + DeltaTypeName(d->type()) + " in the data");
    }
  }
  std::set<std::string> seen;
  for (const auto& d : data.fields()) {
    if (!seen.insert(d->name()).second) {
      problems.push_back("column '" + d->name() + "' appears twice in the data");
    } else if (!table.GetFieldByName(d->name())) {
      problems.push_back("column '" + d->name() + "' (" + DeltaTypeName(d->type()) +
                         ") is not in the table");
    }
  }
  if (problems.empty()) return Status::OK();
  return Status::Invalid("the data does not match the schema of Delta table '", root, "': ",
                         Join(problems, "; "),
                         " (schema_mode='merge' adds new columns; schema_mode='overwrite' with mode "
                         "'overwrite' replaces the schema)");
}

/// Reorder and cast `batch` to `table` (whose names it has), checking NOT NULL.
Result<std::shared_ptr<arrow::RecordBatch>> Conform(const std::shared_ptr<arrow::RecordBatch>& batch,
                                                    const arrow::Schema& table) {
  arrow::ArrayVector cols;
  cp::CastOptions opts = cp::CastOptions::Safe();
  opts.allow_time_truncate = true;
  for (const auto& f : table.fields()) {
    auto col = batch->GetColumnByName(f->name());
    if (!col) {
      if (!f->nullable()) {
        return Status::Invalid("NOT NULL column '", f->name(), "' is missing from the data");
      }
      ARROW_ASSIGN_OR_RAISE(col, arrow::MakeArrayOfNull(f->type(), batch->num_rows()));
      cols.push_back(std::move(col));
      continue;
    }
    if (!col->type()->Equals(*f->type())) {
      opts.to_type = f->type();
      auto casted = cp::Cast(*col, f->type(), opts);
      if (!casted.ok()) {
        return Status::Invalid("cannot convert column '", f->name(), "' to ",
                               DeltaTypeName(f->type()), ": ", casted.status().message());
      }
      col = *casted;
    }
    if (!f->nullable() && col->null_count() > 0) {
      return Status::Invalid("column '", f->name(),
                             "' is NOT NULL in the Delta table but the data has nulls");
    }
    cols.push_back(std::move(col));
  }
  return arrow::RecordBatch::Make(arrow::schema(table.fields()), batch->num_rows(),
                                  std::move(cols));
}

/// Check the columns and partition columns of a table to create.
Status CheckNewTableColumns(const arrow::Schema& schema,
                            const std::vector<std::string>& partition_cols) {
  if (schema.num_fields() == 0) return Status::Invalid("a Delta table needs at least one column");
  std::set<std::string> names;
  for (const auto& f : schema.fields()) {
    if (!names.insert(f->name()).second) {
      return Status::Invalid("column '", f->name(), "' appears twice");
    }
  }
  std::set<std::string> parts;
  for (const auto& p : partition_cols) {
    auto f = schema.GetFieldByName(p);
    if (!f) {
      return Status::Invalid("partition column '", p, "' is not a column of the data (",
                             Join(schema.field_names(), ", "), ")");
    }
    if (!parts.insert(p).second) {
      return Status::Invalid("partition column '", p, "' is given twice");
    }
    if (arrow::is_nested(f->type()->id()) || f->type()->id() == arrow::Type::BINARY) {
      return Status::NotImplemented("partition column '", p, "' has type ",
                                    DeltaTypeName(f->type()),
                                    ", which cannot be a partition column");
    }
  }
  if (parts.size() == names.size() && !parts.empty()) {
    return Status::Invalid("every column is a partition column; a Delta table needs at "
                           "least one data column");
  }
  return Status::OK();
}

/// Return `table` with the columns of `data` it lacks appended (nullable); columns
/// of both must have the same type.
Result<std::shared_ptr<arrow::Schema>> MergeSchemas(const arrow::Schema& table,
                                                    const arrow::Schema& data,
                                                    const std::string& root) {
  std::vector<std::string> problems;
  arrow::FieldVector fields = table.fields();
  for (const auto& d : data.fields()) {
    auto f = table.GetFieldByName(d->name());
    if (!f) {
      fields.push_back(d->WithNullable(true));
    } else if (DeltaTypeName(d->type()) != DeltaTypeName(f->type())) {
      problems.push_back("column '" + f->name() + "' is " + DeltaTypeName(f->type()) +
                         " in the table but " + DeltaTypeName(d->type()) + " in the data");
    }
  }
  if (!problems.empty()) {
    return Status::Invalid("cannot merge the data's schema into Delta table '", root,
                           "': ", Join(problems, "; "), " (changing a column's type is not "
                           "supported; use schema_mode='overwrite' with mode 'overwrite')");
  }
  return arrow::schema(fields);
}

bool HasNtz(const arrow::DataType& t) {
  if (t.id() == arrow::Type::TIMESTAMP) {
    return static_cast<const arrow::TimestampType&>(t).timezone().empty();
  }
  for (const auto& f : t.fields()) {
    if (HasNtz(*f->type())) return true;
  }
  return false;
}

Result<Protocol> NewTableProtocol(const arrow::Schema& schema,
                                  const std::map<std::string, std::string>& config) {
  static const std::set<std::string> kUnsupported = {
      "delta.enableRowTracking", "delta.enableInCommitTimestamps",
      "delta.enableTypeWidening", "delta.enableIcebergCompatV1", "delta.enableIcebergCompatV2"};
  Protocol p;
  p.min_reader_version = 1;
  p.min_writer_version = 2;
  bool cdf = false, checks = false;  // changeDataFeed / checkConstraints features
  for (const auto& [k, v] : config) {
    if (kUnsupported.count(k) && ToLower(v) == "true") {
      return Status::NotImplemented("table property '", k,
                                    "' = true needs a table feature Shoal cannot write yet");
    }
    if (k == "delta.columnMapping.mode" && ToLower(v) != "none") {
      return Status::NotImplemented("table property 'delta.columnMapping.mode' = '", v,
                                    "' is not supported by Shoal's writer yet");
    }
    if (k == "delta.checkpointPolicy" && ToLower(v) != "classic") {
      return Status::NotImplemented("table property 'delta.checkpointPolicy' = '", v,
                                    "' is not supported by Shoal's writer yet");
    }
    if (k == "delta.enableChangeDataFeed" && ToLower(v) == "true") {
      cdf = true;
      p.min_writer_version = 4;
    }
    if (k.rfind("delta.constraints.", 0) == 0) {
      checks = true;
      p.min_writer_version = std::max(p.min_writer_version, 3);
    }
  }
  ARROW_RETURN_NOT_OK(IntProperty(config, "delta.checkpointInterval", 100).status());
  ARROW_RETURN_NOT_OK(IntProperty(config, "delta.dataSkippingNumIndexedCols", 32).status());
  bool ntz = false, generated = false;
  for (const auto& f : schema.fields()) {
    ntz = ntz || HasNtz(*f->type());
    generated = generated || (f->metadata() && f->metadata()->Contains(kGenerationExpressionKey));
  }
  if (generated) p.min_writer_version = std::max(p.min_writer_version, 4);
  auto dv_it = config.find("delta.enableDeletionVectors");
  bool dv = dv_it != config.end() && ToLower(dv_it->second) == "true";
  if (ntz || dv) {
    std::vector<std::string> reader, writer;
    if (ntz) reader.push_back("timestampNtz");
    if (ntz) writer.push_back("timestampNtz");
    if (dv) reader.push_back("deletionVectors");
    if (dv) writer.insert(writer.end(), {"deletionVectors", "appendOnly", "invariants"});
    if (cdf) writer.push_back("changeDataFeed");
    if (generated) writer.push_back("generatedColumns");
    if (checks) writer.push_back("checkConstraints");
    p.min_reader_version = 3;
    p.min_writer_version = 7;
    p.reader_features = reader;
    p.writer_features = writer;
  }
  return p;
}

std::string ModeName(SaveMode mode) {
  switch (mode) {
    case SaveMode::kError: return "ErrorIfExists";
    case SaveMode::kAppend: return "Append";
    case SaveMode::kOverwrite: return "Overwrite";
    case SaveMode::kIgnore: return "Ignore";
  }
  return "";
}

Result<bool> TableExists(const Engine& engine, const std::string& root) {
  auto listed = engine.storage->ListFrom(JoinPath(JoinPath(root, "_delta_log"), VersionPrefix(0)));
  if (!listed.ok()) {
    if (listed.status().message().find("does not exist") != std::string::npos) return false;
    return listed.status();
  }
  for (const auto& f : *listed) {
    auto parsed = ParseLogFileName(f);
    if (parsed && (parsed->kind == LogFileKind::kCommit ||
                   parsed->kind == LogFileKind::kClassicCheckpoint ||
                   parsed->kind == LogFileKind::kMultiPartCheckpoint ||
                   parsed->kind == LogFileKind::kUuidCheckpoint)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::vector<AddFile>> WriteDataFiles(const std::shared_ptr<arrow::fs::FileSystem>& fs,
                                            const std::string& root,
                                            const std::shared_ptr<arrow::Schema>& table_schema,
                                            const std::vector<std::string>& partition_cols,
                                            const std::map<std::string, std::string>& configuration,
                                            int64_t target_file_size,
                                            arrow::RecordBatchReader* data, bool data_change,
                                            int64_t* num_bytes) {
  ARROW_ASSIGN_OR_RAISE(int64_t indexed,
                        IntProperty(configuration, "delta.dataSkippingNumIndexedCols", 32));
  DataWriter writer(fs, root, table_schema, partition_cols, target_file_size, indexed);
  std::vector<AddFile> adds;
  Status st = [&]() -> Status {
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ARROW_RETURN_NOT_OK(data->ReadNext(&batch));
      if (!batch) break;
      ARROW_ASSIGN_OR_RAISE(auto conformed, Conform(batch, *table_schema));
      ARROW_RETURN_NOT_OK(writer.Write(conformed));
    }
    ARROW_ASSIGN_OR_RAISE(adds, writer.Finish());
    return Status::OK();
  }();
  if (!st.ok()) {
    writer.Abort();
    return st;
  }
  for (auto& a : adds) a.data_change = data_change;
  if (num_bytes) *num_bytes = writer.num_bytes();
  return adds;
}

Result<SaveMode> ParseSaveMode(const std::string& name) {
  std::string m = ToLower(name);
  if (m == "error" || m == "errorifexists") return SaveMode::kError;
  if (m == "append") return SaveMode::kAppend;
  if (m == "overwrite") return SaveMode::kOverwrite;
  if (m == "ignore") return SaveMode::kIgnore;
  return Status::Invalid("unknown write mode '", name,
                         "'; expected 'error', 'append', 'overwrite' or 'ignore'");
}

std::shared_ptr<Engine> MakeWriteEngine(std::shared_ptr<arrow::fs::FileSystem> fs) {
  // The Arrow engine's put-if-absent is atomic (local) or refuses (object stores).
  return MakeArrowEngine(std::move(fs));
}

Result<DeltaWriteResult> WriteDeltaTable(const std::string& location,
                                         std::shared_ptr<arrow::RecordBatchReader> data,
                                         const DeltaWriteOptions& options) {
  const std::string& schema_mode = options.schema_mode;
  if (!schema_mode.empty() && schema_mode != "merge" && schema_mode != "overwrite") {
    return Status::Invalid("schema_mode must be 'merge' or 'overwrite', not '", schema_mode, "'");
  }
  if (schema_mode == "overwrite" && options.mode != SaveMode::kOverwrite) {
    return Status::Invalid("schema_mode='overwrite' needs mode 'overwrite'");
  }
  if (!options.predicate.empty()) {
    if (options.mode != SaveMode::kOverwrite) {
      return Status::Invalid("predicate (replaceWhere) needs mode 'overwrite'");
    }
    if (!schema_mode.empty()) {
      return Status::Invalid("predicate (replaceWhere) cannot be combined with schema_mode");
    }
    if (!options.evaluator) {
      return Status::NotImplemented("predicate (replaceWhere) needs an expression evaluator "
                                    "(write through a Shoal session or shoal.write_delta)");
    }
  }
  if (!data) return Status::Invalid("no data to write");
  ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(location, options.filesystem));
  std::string root = loc.path;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto engine = MakeWriteEngine(loc.fs);
  ARROW_ASSIGN_OR_RAISE(bool exists, TableExists(*engine, root));

  DeltaWriteResult result;
  std::shared_ptr<const Snapshot> snapshot;
  if (exists) {
    ARROW_ASSIGN_OR_RAISE(snapshot, Snapshot::Make(engine, root));
    if (options.mode == SaveMode::kError) {
      return Status::AlreadyExists("Delta table '", location, "' already exists (version ",
                                   snapshot->version(),
                                   "); use mode 'append' or 'overwrite' to write to it");
    }
    if (options.mode == SaveMode::kIgnore) {
      result.version = snapshot->version();
      result.skipped = true;
      return result;
    }
  }

  ARROW_ASSIGN_OR_RAISE(auto data_schema, NormalizeSchemaForDelta(*data->schema()));
  std::shared_ptr<arrow::Schema> table_schema;
  std::vector<std::string> partition_cols;
  std::map<std::string, std::string> config;
  std::unique_ptr<WriteTransaction> tx;
  TableConstraints constraints;
  if (snapshot) {
    ARROW_RETURN_NOT_OK(CheckWriteSupported(snapshot->protocol(), snapshot->metadata(), root));
    ARROW_ASSIGN_OR_RAISE(constraints, CollectConstraints(snapshot->metadata()));
    if (!constraints.empty() && !options.evaluator) {
      return Status::NotImplemented("cannot write Delta table '", location,
                                    "': it has CHECK constraints, invariants or generated "
                                    "columns, which need an expression evaluator (write "
                                    "through a Shoal session or shoal.write_delta)");
    }
    // Generated columns the data leaves out are computed.
    for (const auto& g : constraints.generated) {
      if (data_schema->GetFieldIndex(g.column) < 0) {
        auto f = snapshot->schema()->GetFieldByName(g.column);
        if (f) {
          ARROW_ASSIGN_OR_RAISE(data_schema, data_schema->AddField(data_schema->num_fields(),
                                                                   f->WithNullable(true)));
        }
      }
    }
    table_schema = snapshot->schema();
    partition_cols = snapshot->metadata().partition_columns;
    config = snapshot->metadata().configuration;
    bool new_metadata = false;
    if (schema_mode == "overwrite") {
      // Replace the schema (and the partitioning when given) along with the rows.
      table_schema = data_schema;
      if (!options.partition_by.empty()) partition_cols = options.partition_by;
      ARROW_RETURN_NOT_OK(CheckNewTableColumns(*table_schema, partition_cols));
      new_metadata = true;
    } else {
      if (!options.partition_by.empty() && options.partition_by != partition_cols) {
        return Status::Invalid("Delta table '", location, "' is partitioned by (",
                               Join(partition_cols, ", "), "), not (",
                               Join(options.partition_by, ", "), ")");
      }
      if (schema_mode == "merge") {
        ARROW_ASSIGN_OR_RAISE(auto merged, MergeSchemas(*table_schema, *data_schema, location));
        new_metadata = !merged->Equals(*table_schema, /*check_metadata=*/false);
        table_schema = merged;
      } else {
        ARROW_RETURN_NOT_OK(CheckSchemaMatches(*table_schema, *data_schema, location));
      }
    }
    ARROW_ASSIGN_OR_RAISE(tx, WriteTransaction::ForSnapshot(snapshot));
    if (new_metadata) {
      bool ntz = false;
      for (const auto& f : table_schema->fields()) ntz = ntz || HasNtz(*f->type());
      const auto& wf = snapshot->protocol().writer_features;
      bool has_ntz_feature =
          wf && std::find(wf->begin(), wf->end(), "timestampNtz") != wf->end();
      if (ntz && !has_ntz_feature) {
        return Status::NotImplemented("the new schema has a timestamp without time zone, which "
                                      "needs a protocol upgrade (timestampNtz) that Shoal "
                                      "cannot write yet");
      }
      Metadata m = snapshot->metadata();
      ARROW_ASSIGN_OR_RAISE(m.schema_string, SchemaToDeltaString(*table_schema));
      m.partition_columns = partition_cols;
      tx->UpdateMetadata(std::move(m));
    }
  } else {
    table_schema = data_schema;
    partition_cols = options.partition_by;
    config = options.configuration;
    ARROW_RETURN_NOT_OK(CheckNewTableColumns(*table_schema, partition_cols));
    ARROW_ASSIGN_OR_RAISE(auto protocol, NewTableProtocol(*table_schema, config));
    Metadata m;
    m.id = NewUuid();
    m.name = options.name;
    m.description = options.description;
    ARROW_ASSIGN_OR_RAISE(m.schema_string, SchemaToDeltaString(*table_schema));
    m.partition_columns = partition_cols;
    m.configuration = config;
    m.created_time = NowMs();
    ARROW_ASSIGN_OR_RAISE(constraints, CollectConstraints(m));
    if (!constraints.empty() && !options.evaluator) {
      return Status::NotImplemented("CHECK constraints of a new Delta table need an expression "
                                    "evaluator (write through a Shoal session)");
    }
    ARROW_ASSIGN_OR_RAISE(tx, WriteTransaction::ForNewTable(engine, root, protocol, m));
  }
  ARROW_ASSIGN_OR_RAISE(int64_t indexed,
                        IntProperty(config, "delta.dataSkippingNumIndexedCols", 32));
  ARROW_ASSIGN_OR_RAISE(int64_t interval, IntProperty(config, "delta.checkpointInterval", 100));

  DataWriter writer(loc.fs, root, table_schema, partition_cols, options.target_file_size,
                    indexed);
  std::vector<AddFile> adds;
  Status st = [&]() -> Status {
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ARROW_RETURN_NOT_OK(data->ReadNext(&batch));
      if (!batch) break;
      ARROW_ASSIGN_OR_RAISE(auto conformed, Conform(batch, *table_schema));
      if (!constraints.empty()) {
        ARROW_ASSIGN_OR_RAISE(conformed, EnforceConstraints(constraints, *options.evaluator,
                                                            conformed, location));
      }
      if (!options.predicate.empty()) {
        ARROW_RETURN_NOT_OK(
            CheckReplaceWhereRows(options.predicate, *options.evaluator, *conformed, location));
      }
      ARROW_RETURN_NOT_OK(writer.Write(conformed));
    }
    ARROW_ASSIGN_OR_RAISE(adds, writer.Finish());
    return Status::OK();
  }();
  if (!st.ok()) {
    writer.Abort();
    return st.WithMessage("cannot write to Delta table '", location, "': ", st.message());
  }
  ShoalFailPoint("delta_after_data_files");

  result.num_rows = writer.num_rows();
  result.num_files = static_cast<int64_t>(adds.size());
  result.num_bytes = writer.num_bytes();
  std::vector<std::string> written;
  for (const auto& a : adds) written.push_back(JoinPath(root, DecodeActionPath(a.path)));

  // Fill and commit a transaction reading `read` (null: creating the table).
  auto commit = [&](WriteTransaction* t, const Snapshot* read,
                    std::vector<AddFile> files) -> Result<CommitResult> {
    JsonValue params = JsonValue::Object();
    params.Add("mode", JsonValue::String(ModeName(options.mode)));
    JsonValue pb = JsonValue::Array();
    for (const auto& p : partition_cols) pb.Append(JsonValue::String(p));
    params.Add("partitionBy", JsonValue::String(pb.ToJson()));
    if (!options.predicate.empty()) {
      params.Add("predicate", JsonValue::String(options.predicate));
    }
    std::string operation = options.operation;
    if (operation.empty()) operation = read ? "WRITE" : "CREATE TABLE";
    t->SetOperation(operation, std::move(params));
    result.removed_files = 0;
    if (read && options.mode == SaveMode::kOverwrite && !options.predicate.empty()) {
      // replaceWhere: remove / rewrite only the files whose rows may match.
      TableLocation table{loc.fs, root};
      auto rewrite = RewriteForReplaceWhere(*read, table, options.predicate, *options.evaluator,
                                            options.target_file_size);
      if (!rewrite.ok()) return rewrite.status();
      for (const auto& p : rewrite->written) written.push_back(p);
      result.removed_files = static_cast<int64_t>(rewrite->removes.size());
      t->AddRemoves(std::move(rewrite->removes));
      for (auto& a : rewrite->adds) files.push_back(std::move(a));
      t->SetMetric("numRemovedFiles", result.removed_files);
      t->SetMetric("numCopiedRows", rewrite->rows_copied);
      t->SetMetric("numDeletedRows", rewrite->rows_deleted);
      if (read == snapshot.get()) {
        AddReplaceWhereConflictCheck(t, snapshot, options.predicate, options.evaluator);
      }
    } else if (read && options.mode == SaveMode::kOverwrite) {
      result.removed_files = static_cast<int64_t>(read->files().size());
      t->RemoveAllFiles(NowMs());
      t->SetMetric("numRemovedFiles", result.removed_files);
    }
    t->SetMetric("numFiles", result.num_files);
    t->SetMetric("numOutputRows", result.num_rows);
    t->SetMetric("numOutputBytes", result.num_bytes);
    if (options.app_transaction) {
      t->SetAppTransaction(options.app_transaction->first, options.app_transaction->second);
    }
    t->AddFiles(std::move(files));
    return t->Commit(options.max_commit_attempts);
  };
  auto committed = commit(tx.get(), snapshot.get(), adds);
  if (!committed.ok() && !snapshot && committed.status().IsAlreadyExists() &&
      options.mode != SaveMode::kError) {
    // Another writer created the table first. Ignore: done. Append / overwrite:
    // commit the files already written against the new table when it matches.
    auto now = Snapshot::Make(engine, root);
    if (now.ok() && options.mode == SaveMode::kIgnore) {
      for (const auto& p : written) (void)loc.fs->DeleteFile(p);
      DeltaWriteResult skipped;
      skipped.skipped = true;
      skipped.version = (*now)->version();
      return skipped;
    }
    if (now.ok() && (*now)->metadata().partition_columns == partition_cols &&
        CheckWriteSupported((*now)->protocol(), (*now)->metadata(), root).ok() &&
        CheckSchemaMatches(*(*now)->schema(), *table_schema, location).ok()) {
      ARROW_ASSIGN_OR_RAISE(auto retry, WriteTransaction::ForSnapshot(*now));
      committed = commit(retry.get(), now->get(), adds);
    }
  }
  if (!committed.ok() || committed->noop) {
    for (const auto& p : written) (void)loc.fs->DeleteFile(p);
  }
  if (!committed.ok()) return committed.status();
  result.version = committed->version;
  result.commit_attempts = committed->attempts;
  if (committed->noop) {
    result.skipped = true;
    result.num_rows = result.num_files = result.num_bytes = result.removed_files = 0;
    return result;
  }
  if (options.checkpoints && interval > 0 && result.version > 0 &&
      result.version % interval == 0) {
    auto snap = Snapshot::Make(engine, root, SnapshotSpec{result.version, std::nullopt});
    Status cs = snap.status();
    if (snap.ok()) cs = WriteCheckpoint(**snap, loc.fs).status();
    if (cs.ok()) {
      result.checkpoint_written = true;
      // Expired commits before the new checkpoint go (delta.logRetentionDuration);
      // a failure leaves them for the next checkpoint.
      (void)CleanupExpiredLogs(TableLocation{loc.fs, root}, (*snap)->metadata().configuration,
                               result.version);
    } else {
      result.checkpoint_error = cs.ToString();
    }
  }
  return result;
}

}  // namespace shoal::delta
