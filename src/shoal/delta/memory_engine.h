// An in-memory Engine for pure protocol tests: files are byte strings keyed by
// path, with a settable modification time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "shoal/delta/engine.h"

namespace shoal::delta {

/// A storage handler whose files live in a map. Thread-safe.
class InMemoryStorage : public StorageHandler {
 public:
  /// Create or replace `path` with `content` and modification time `mtime_ms`.
  void Put(const std::string& path, std::string content, int64_t mtime_ms = 0);
  /// Remove `path` if present.
  void Remove(const std::string& path);

  Result<std::vector<FileMeta>> ListFrom(const std::string& path) const override;
  Result<std::shared_ptr<arrow::Buffer>> ReadFile(const std::string& path) const override;
  Result<std::shared_ptr<arrow::Buffer>> ReadRange(const std::string& path, int64_t offset,
                                                   int64_t length) const override;
  Status PutIfAbsent(const std::string& path, std::shared_ptr<arrow::Buffer> data) override;

 private:
  struct Entry {
    std::shared_ptr<arrow::Buffer> data;
    int64_t mtime_ms = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> files_;
};

/// Return an Engine over `storage` (default JSON handler, Parquet read from memory).
std::shared_ptr<Engine> MakeInMemoryEngine(std::shared_ptr<InMemoryStorage> storage);

}  // namespace shoal::delta
