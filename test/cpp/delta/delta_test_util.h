// Helpers for the Delta protocol tests: an in-memory table whose log is built
// line by line, and assertion macros.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/initialize.h>
#include <gtest/gtest.h>

#include "shoal/delta/log_segment.h"
#include "shoal/delta/memory_engine.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta::test {

#define DELTA_ASSERT_OK(expr)                \
  do {                                       \
    auto _st = (expr);                       \
    ASSERT_TRUE(_st.ok()) << _st.ToString(); \
  } while (0)

#define DELTA_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                            \
  auto ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__) = (rexpr);             \
  ASSERT_TRUE(ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__).ok())           \
      << ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__).status().ToString(); \
  lhs = std::move(ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__)).ValueOrDie()

#define EXPECT_CONTAINS(text, part)                                        \
  EXPECT_NE(std::string(text).find(part), std::string::npos)               \
      << "'" << (text) << "' does not contain '" << (part) << "'"

/// Protocol + metadata lines of a simple table (id: long, part: string partition).
inline std::string TableHeader(const std::string& partition = "",
                               const std::string& protocol =
                                   R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})") {
  std::string parts = partition.empty() ? "[]" : "[\"" + partition + "\"]";
  return protocol + "\n" +
         R"({"metaData":{"id":"t1","format":{"provider":"parquet","options":{}},)"
         R"("schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}",)"
         R"("partitionColumns":)" +
         parts + R"(,"configuration":{}}})" + "\n";
}

/// Return an add action line.
inline std::string AddLine(const std::string& path, const std::string& extra = "") {
  return R"({"add":{"path":")" + path +
         R"(","partitionValues":{},"size":10,"modificationTime":1,"dataChange":true)" + extra +
         "}}\n";
}

/// Return a remove action line.
inline std::string RemoveLine(const std::string& path, const std::string& extra = "") {
  return R"({"remove":{"path":")" + path + R"(","deletionTimestamp":5,"dataChange":true)" + extra +
         "}}\n";
}

/// An in-memory Delta table under "mem/t".
class MemoryTable {
 public:
  MemoryTable() : storage_(std::make_shared<InMemoryStorage>()), engine_(MakeInMemoryEngine(storage_)) {}
  static constexpr const char* kRoot = "mem/t";

  /// Write commit `version` with `lines`, modified at `mtime_ms`.
  void Commit(int64_t version, const std::string& lines, int64_t mtime_ms = 0) {
    storage_->Put(LogPath(VersionPrefix(version) + ".json"), lines,
                  mtime_ms ? mtime_ms : 1000 * (version + 1));
  }
  /// Write a file in the log directory.
  void PutLog(const std::string& name, const std::string& content, int64_t mtime_ms = 0) {
    storage_->Put(LogPath(name), content, mtime_ms);
  }
  std::string LogPath(const std::string& name) const { return std::string(kRoot) + "/_delta_log/" + name; }

  Result<std::shared_ptr<const Snapshot>> Load(SnapshotSpec spec = {}) {
    return Snapshot::Make(engine_, kRoot, spec);
  }

  /// Return the sorted paths of the live files.
  static std::vector<std::string> Paths(const Snapshot& snap) {
    std::vector<std::string> out;
    for (const auto& f : snap.files()) {
      out.push_back(f.path + (f.deletion_vector ? "#" + f.deletion_vector->UniqueId() : ""));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  const std::shared_ptr<InMemoryStorage>& storage() const { return storage_; }
  const std::shared_ptr<Engine>& engine() const { return engine_; }

 private:
  std::shared_ptr<InMemoryStorage> storage_;
  std::shared_ptr<Engine> engine_;
};

}  // namespace shoal::delta::test
