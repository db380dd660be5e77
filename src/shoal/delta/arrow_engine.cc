#include "shoal/delta/arrow_engine.h"

#include <algorithm>
#include <thread>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/memory_pool.h>

namespace shoal::delta {

namespace {

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status NamedError(const Status& st, const char* what, const std::string& path) {
  return Status::FromArgs(st.code(), what, " '", path, "': ", st.message());
}

class ArrowStorageHandler : public StorageHandler {
 public:
  explicit ArrowStorageHandler(std::shared_ptr<arrow::fs::FileSystem> fs) : fs_(std::move(fs)) {}

  Result<std::vector<FileMeta>> ListFrom(const std::string& path) const override {
    std::string dir = DirOf(path);
    std::string from = BaseName(path);
    arrow::fs::FileSelector sel;
    sel.base_dir = dir;
    sel.recursive = false;
    sel.allow_not_found = false;
    auto infos = fs_->GetFileInfo(sel);
    if (!infos.ok()) {
      auto info = fs_->GetFileInfo(dir);
      if (info.ok() && info->type() == arrow::fs::FileType::NotFound) {
        return Status::IOError("directory '", dir, "' does not exist");
      }
      return NamedError(infos.status(), "cannot list", dir);
    }
    std::vector<FileMeta> out;
    for (const auto& info : *infos) {
      if (info.type() != arrow::fs::FileType::File) continue;
      std::string name = info.base_name();
      if (name < from) continue;
      FileMeta m;
      m.location = JoinPath(dir, name);
      m.size = info.size();
      auto mtime = info.mtime();
      m.last_modified_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               mtime.time_since_epoch()).count();
      out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(),
              [](const FileMeta& a, const FileMeta& b) { return a.location < b.location; });
    return out;
  }

  Result<std::shared_ptr<arrow::Buffer>> ReadFile(const std::string& path) const override {
    auto file = fs_->OpenInputFile(path);
    if (!file.ok()) return Missing(file.status(), path);
    auto size = (*file)->GetSize();
    if (!size.ok()) return NamedError(size.status(), "cannot read", path);
    return ReadInto(**file, path, 0, *size);
  }

  Result<std::shared_ptr<arrow::Buffer>> ReadRange(const std::string& path, int64_t offset,
                                                   int64_t length) const override {
    auto file = fs_->OpenInputFile(path);
    if (!file.ok()) return Missing(file.status(), path);
    auto data = ReadInto(**file, path, offset, length);
    if (!data.ok()) return data.status();
    if ((*data)->size() != length) {
      return Status::IOError("cannot read ", length, " bytes at offset ", offset, " of '", path,
                             "': the file is too short");
    }
    return *data;
  }

  Status PutIfAbsent(const std::string& path, std::shared_ptr<arrow::Buffer> data) override {
    // Local and most object stores have no atomic create-if-absent through
    // arrow::fs; check first (good enough for a single writer).
    auto info = fs_->GetFileInfo(path);
    if (!info.ok()) return NamedError(info.status(), "cannot stat", path);
    if (info->type() != arrow::fs::FileType::NotFound) {
      return Status::AlreadyExists("'", path, "' already exists");
    }
    ARROW_RETURN_NOT_OK(fs_->CreateDir(DirOf(path), /*recursive=*/true));
    ARROW_ASSIGN_OR_RAISE(auto out, fs_->OpenOutputStream(path));
    ARROW_RETURN_NOT_OK(out->Write(data));
    return out->Close();
  }

 private:
  /// Read `length` bytes at `offset` into a buffer of the system allocator: log
  /// files are short-lived, and a caching pool would keep their memory resident.
  static Result<std::shared_ptr<arrow::Buffer>> ReadInto(arrow::io::RandomAccessFile& file,
                                                         const std::string& path, int64_t offset,
                                                         int64_t length) {
    auto buffer = arrow::AllocateResizableBuffer(length, arrow::system_memory_pool());
    if (!buffer.ok()) return NamedError(buffer.status(), "cannot read", path);
    auto n = file.ReadAt(offset, length, (*buffer)->mutable_data());
    if (!n.ok()) return NamedError(n.status(), "cannot read", path);
    if (*n < length) ARROW_RETURN_NOT_OK((*buffer)->Resize(*n, /*shrink_to_fit=*/false));
    return std::shared_ptr<arrow::Buffer>(std::move(*buffer));
  }

  Status Missing(const Status& st, const std::string& path) const {
    auto info = fs_->GetFileInfo(path);
    if (info.ok() && info->type() == arrow::fs::FileType::NotFound) {
      return Status::IOError("file '", path, "' does not exist");
    }
    return NamedError(st, "cannot open", path);
  }

  std::shared_ptr<arrow::fs::FileSystem> fs_;
};

}  // namespace

std::shared_ptr<StorageHandler> MakeArrowStorageHandler(std::shared_ptr<arrow::fs::FileSystem> fs) {
  return std::make_shared<ArrowStorageHandler>(std::move(fs));
}

std::shared_ptr<Engine> MakeArrowEngine(std::shared_ptr<arrow::fs::FileSystem> fs) {
  auto engine = std::make_shared<Engine>();
  engine->storage = MakeArrowStorageHandler(fs);
  engine->json = MakeDefaultJsonHandler();
  engine->parquet = MakeStorageParquetHandler(engine->storage);
  // Local reads are CPU-bound (parsing): one thread per core. Object stores are
  // latency-bound: more requests in flight.
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  engine->tasks = MakeThreadTaskRunner(fs->type_name() == "local" ? cores : std::max(cores, 16));
  return engine;
}

}  // namespace shoal::delta
