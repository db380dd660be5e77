#include "shoal/delta/memory_engine.h"

#include <arrow/buffer.h>

namespace shoal::delta {

void InMemoryStorage::Put(const std::string& path, std::string content, int64_t mtime_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  files_[path] = Entry{arrow::Buffer::FromString(std::move(content)), mtime_ms};
}

void InMemoryStorage::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  files_.erase(path);
}

Result<std::vector<FileMeta>> InMemoryStorage::ListFrom(const std::string& path) const {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FileMeta> out;
  bool dir_exists = false;
  for (auto it = files_.lower_bound(dir); it != files_.end(); ++it) {
    const std::string& p = it->first;
    if (p.compare(0, dir.size(), dir) != 0) break;
    dir_exists = true;
    std::string rest = p.substr(dir.size());
    if (rest.find('/') != std::string::npos) continue;  // deeper level
    if (p < path) continue;
    out.push_back(FileMeta{p, it->second.data->size(), it->second.mtime_ms});
  }
  if (!dir_exists) return Status::IOError("directory '", dir, "' does not exist");
  return out;
}

Result<std::shared_ptr<arrow::Buffer>> InMemoryStorage::ReadFile(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return Status::IOError("file '", path, "' does not exist");
  return it->second.data;
}

Result<std::shared_ptr<arrow::Buffer>> InMemoryStorage::ReadRange(const std::string& path,
                                                                  int64_t offset,
                                                                  int64_t length) const {
  ARROW_ASSIGN_OR_RAISE(auto data, ReadFile(path));
  if (offset < 0 || length < 0 || offset + length > data->size()) {
    return Status::IOError("cannot read ", length, " bytes at offset ", offset, " of '", path,
                           "': the file is too short");
  }
  return arrow::SliceBuffer(data, offset, length);
}

Status InMemoryStorage::PutIfAbsent(const std::string& path, std::shared_ptr<arrow::Buffer> data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.count(path)) return Status::AlreadyExists("'", path, "' already exists");
  files_[path] = Entry{std::move(data), 0};
  return Status::OK();
}

std::shared_ptr<Engine> MakeInMemoryEngine(std::shared_ptr<InMemoryStorage> storage) {
  auto engine = std::make_shared<Engine>();
  engine->storage = storage;
  engine->json = MakeDefaultJsonHandler();
  engine->parquet = MakeStorageParquetHandler(storage);
  return engine;
}

}  // namespace shoal::delta
