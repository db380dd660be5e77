#include "shoal/delta/engine.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/io/memory.h>
#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>

#include "shoal/delta/actions.h"
#include "shoal/delta/json.h"

namespace shoal::delta {

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

namespace {

/// Call `visit(line_number, line)` for every non-blank line of `data` (trailing
/// whitespace and '\r' removed; line numbers start at 1).
Status ForEachLine(const arrow::Buffer& data,
                   const std::function<Status(int64_t, std::string_view)>& visit) {
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
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    ARROW_RETURN_NOT_OK(visit(line_no, line));
  }
  return Status::OK();
}

class DefaultJsonHandler : public JsonHandler {
 public:
  Status ParseLines(const arrow::Buffer& data, const std::string& origin,
                    const std::function<Status(int64_t, const JsonValue&)>& visit) const override {
    return ForEachLine(data, [&](int64_t line_no, std::string_view line) {
      auto value = ParseJson(line);
      if (!value.ok()) {
        return Status::Invalid("cannot parse '", origin, "' line ", line_no, ": ",
                               value.status().message());
      }
      return visit(line_no, *value);
    });
  }

  Status ParseActionLines(const arrow::Buffer& data, const std::string& origin,
                          ActionBatch* out) const override {
    return ForEachLine(data, [&](int64_t line_no, std::string_view line) {
      Status st = ParseJsonActionLine(line, out);
      if (st.ok()) return st;
      auto value = ParseJson(line);  // a syntax error, or an invalid action?
      if (!value.ok()) {
        return Status::Invalid("cannot parse '", origin, "' line ", line_no, ": ",
                               value.status().message());
      }
      return st.WithMessage("line ", line_no, ": ", st.message());
    });
  }
};

/// A read-only file over StorageHandler::ReadRange (so that Parquet readers
/// fetch the footer and the column chunks they need, not the whole file).
class StorageFile : public arrow::io::RandomAccessFile {
 public:
  StorageFile(std::shared_ptr<StorageHandler> storage, std::string path, int64_t size)
      : storage_(std::move(storage)), path_(std::move(path)), size_(size) {}

  Status Close() override {
    closed_ = true;
    return Status::OK();
  }
  bool closed() const override { return closed_; }
  Result<int64_t> Tell() const override { return position_; }
  Status Seek(int64_t position) override {
    if (position < 0 || position > size_) {
      return Status::IOError("cannot seek to ", position, " in '", path_, "' of ", size_, " bytes");
    }
    position_ = position;
    return Status::OK();
  }
  Result<int64_t> GetSize() override { return size_; }
  Result<int64_t> Read(int64_t nbytes, void* out) override {
    ARROW_ASSIGN_OR_RAISE(auto n, ReadAt(position_, nbytes, out));
    position_ += n;
    return n;
  }
  Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override {
    ARROW_ASSIGN_OR_RAISE(auto buf, ReadAt(position_, nbytes));
    position_ += buf->size();
    return buf;
  }
  Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override {
    ARROW_ASSIGN_OR_RAISE(auto buf, ReadAt(position, nbytes));
    std::memcpy(out, buf->data(), static_cast<size_t>(buf->size()));
    return buf->size();
  }
  Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes) override {
    if (position < 0 || nbytes < 0) {
      return Status::IOError("invalid read of ", nbytes, " bytes at ", position, " of '", path_, "'");
    }
    nbytes = std::max<int64_t>(0, std::min(nbytes, size_ - position));
    if (nbytes == 0) return std::make_shared<arrow::Buffer>(nullptr, 0);
    return storage_->ReadRange(path_, position, nbytes);
  }

 private:
  std::shared_ptr<StorageHandler> storage_;
  std::string path_;
  int64_t size_;
  int64_t position_ = 0;
  bool closed_ = false;
};

/// Return the leaf column indexes of `reader` selected by `columns` (see
/// ParquetHandler::ReadParquetBatches: "a" or "a.b"; all when empty).
std::vector<int> SelectLeaves(const parquet::arrow::FileReader& reader,
                              const std::vector<std::string>& columns) {
  std::vector<int> indices;
  std::function<void(const parquet::arrow::SchemaField&, const std::string&, bool)> walk =
      [&](const parquet::arrow::SchemaField& f, const std::string& path, bool wanted) {
        if (!wanted) {
          for (const auto& c : columns) {
            if (c == path) wanted = true;
          }
        }
        if (f.is_leaf()) {
          if (wanted) indices.push_back(f.column_index);
          return;
        }
        for (const auto& child : f.children) {
          const std::string child_path = path + "." + (child.field ? child.field->name() : "");
          // Descend only where a wanted name may be below.
          bool below = wanted;
          for (const auto& c : columns) {
            below = below || c.rfind(child_path, 0) == 0 || c == path;
          }
          if (below) walk(child, child_path, wanted);
        }
      };
  for (const auto& f : reader.manifest().schema_fields) {
    const std::string name = f.field ? f.field->name() : "";
    bool below = columns.empty();
    for (const auto& c : columns) below = below || c == name || c.rfind(name + ".", 0) == 0;
    if (below) walk(f, name, columns.empty());
  }
  std::sort(indices.begin(), indices.end());
  return indices;
}

class StorageParquetHandler : public ParquetHandler {
 public:
  explicit StorageParquetHandler(std::shared_ptr<StorageHandler> storage)
      : storage_(std::move(storage)) {}

  Result<std::shared_ptr<arrow::Table>> ReadParquetFile(
      const FileMeta& file, const std::vector<std::string>& columns) const override {
    std::vector<std::string> top;  // this method selects top-level columns only
    for (const auto& c : columns) {
      if (c.find('.') == std::string::npos) top.push_back(c);
    }
    if (top.empty() && !columns.empty()) top.push_back(std::string(1, '\0'));  // none exist
    try {
      ARROW_ASSIGN_OR_RAISE(auto reader, Open(file, /*batch_rows=*/0));
      auto table = reader->ReadTable(SelectLeaves(*reader, top));
      if (!table.ok()) return Named(file, table.status());
      return *table;
    } catch (const std::exception& e) {
      return Status::Invalid("cannot read parquet file '", file.location, "': ", e.what());
    }
  }

  Status ReadParquetBatches(
      const FileMeta& file, const std::vector<std::string>& columns, int64_t batch_rows,
      const std::function<Status(const arrow::RecordBatch&)>& visit) const override {
    try {
      ARROW_ASSIGN_OR_RAISE(auto reader, Open(file, std::max<int64_t>(batch_rows, 1)));
      std::vector<int> row_groups(static_cast<size_t>(reader->num_row_groups()));
      for (size_t i = 0; i < row_groups.size(); ++i) row_groups[i] = static_cast<int>(i);
      auto batches = reader->GetRecordBatchReader(row_groups, SelectLeaves(*reader, columns));
      if (!batches.ok()) return Named(file, batches.status());
      while (true) {
        auto b = (*batches)->Next();
        if (!b.ok()) return Named(file, b.status());
        if (!*b) return Status::OK();
        ARROW_RETURN_NOT_OK(visit(**b));
      }
    } catch (const std::exception& e) {
      return Status::Invalid("cannot read parquet file '", file.location, "': ", e.what());
    }
  }

 private:
  static Status Named(const FileMeta& file, const Status& st) {
    return Status::Invalid("cannot read parquet file '", file.location, "': ", st.message());
  }

  /// Open `file`: through ranged reads when its size is known (footer and the
  /// column chunks read only), else from its whole content.
  Result<std::unique_ptr<parquet::arrow::FileReader>> Open(const FileMeta& file,
                                                           int64_t batch_rows) const {
    std::shared_ptr<arrow::io::RandomAccessFile> input;
    if (file.size >= 0) {
      input = std::make_shared<StorageFile>(storage_, file.location, file.size);
    } else {
      auto bytes = storage_->ReadFile(file.location);
      if (!bytes.ok()) {
        return Status::FromArgs(bytes.status().code(), "cannot read '", file.location,
                                "': ", bytes.status().message());
      }
      input = std::make_shared<arrow::io::BufferReader>(*bytes);
    }
    // Log files are decoded into short-lived batches: the system allocator
    // returns their memory to the OS (a caching pool would keep it resident).
    arrow::MemoryPool* pool = arrow::system_memory_pool();
    parquet::arrow::FileReaderBuilder builder;
    builder.memory_pool(pool);
    Status st = builder.Open(input, parquet::ReaderProperties(pool));
    if (!st.ok()) {
      // A missing or unreadable file surfaces at the footer read: keep its IO error.
      if (st.IsIOError()) {
        return Status::FromArgs(st.code(), "cannot read '", file.location, "': ", st.message());
      }
      return Named(file, st);
    }
    parquet::ArrowReaderProperties props(/*use_threads=*/false);
    if (batch_rows > 0) props.set_batch_size(batch_rows);
    props.set_pre_buffer(false);  // stream column chunks instead of caching the whole row group
    builder.properties(props);
    auto reader = builder.Build();
    if (!reader.ok()) return Named(file, reader.status());
    return std::move(*reader);
  }

  std::shared_ptr<StorageHandler> storage_;
};

class ThreadTaskRunner : public TaskRunner {
 public:
  explicit ThreadTaskRunner(int max_threads) : max_threads_(std::max(1, max_threads)) {}

  Status ParallelFor(int64_t n, const std::function<Status(int64_t)>& task) const override {
    if (n <= 0) return Status::OK();
    int helpers = static_cast<int>(std::min<int64_t>(max_threads_, n)) - 1;
    if (helpers <= 0) return RunTasks(nullptr, n, task);
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> failed_at{INT64_MAX};
    std::mutex mu;
    Status first;
    auto work = [&]() {
      while (true) {
        int64_t i = next.fetch_add(1);
        if (i >= n || i > failed_at.load()) return;
        Status st = task(i);
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (i < failed_at.load()) {
            failed_at.store(i);
            first = std::move(st);
          }
        }
      }
    };
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(helpers));
    for (int t = 0; t < helpers; ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
    return first;
  }

 private:
  int max_threads_;
};

}  // namespace

std::shared_ptr<JsonHandler> MakeDefaultJsonHandler() {
  return std::make_shared<DefaultJsonHandler>();
}

Status JsonHandler::ParseActionLines(const arrow::Buffer& data, const std::string& origin,
                                     ActionBatch* out) const {
  return ParseLines(data, origin, [&](int64_t line, const JsonValue& v) {
    Status s = ParseJsonAction(v, out);
    if (!s.ok()) return s.WithMessage("line ", line, ": ", s.message());
    return Status::OK();
  });
}

Status ParquetHandler::ReadParquetBatches(
    const FileMeta& file, const std::vector<std::string>& columns, int64_t batch_rows,
    const std::function<Status(const arrow::RecordBatch&)>& visit) const {
  std::vector<std::string> top;
  for (const auto& c : columns) {
    const std::string name = c.substr(0, c.find('.'));
    if (std::find(top.begin(), top.end(), name) == top.end()) top.push_back(name);
  }
  ARROW_ASSIGN_OR_RAISE(auto table, ReadParquetFile(file, top));
  arrow::TableBatchReader batches(*table);
  batches.set_chunksize(std::max<int64_t>(batch_rows, 1));
  while (true) {
    std::shared_ptr<arrow::RecordBatch> b;
    ARROW_RETURN_NOT_OK(batches.ReadNext(&b));
    if (!b) return Status::OK();
    ARROW_RETURN_NOT_OK(visit(*b));
  }
}

std::shared_ptr<TaskRunner> MakeThreadTaskRunner(int max_threads) {
  return std::make_shared<ThreadTaskRunner>(max_threads);
}

Status RunTasks(const TaskRunner* runner, int64_t n, const std::function<Status(int64_t)>& task) {
  if (runner) return runner->ParallelFor(n, task);
  for (int64_t i = 0; i < n; ++i) ARROW_RETURN_NOT_OK(task(i));
  return Status::OK();
}

std::shared_ptr<ParquetHandler> MakeStorageParquetHandler(std::shared_ptr<StorageHandler> storage) {
  return std::make_shared<StorageParquetHandler>(std::move(storage));
}

}  // namespace shoal::delta
