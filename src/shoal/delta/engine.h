// The IO boundary of the Delta module. Protocol logic (log segments, replay,
// snapshots, deletion vectors) never touches a file system: it asks an Engine,
// whose handlers have the exact contracts written below. arrow_engine.h backs
// them with arrow::fs (local now; S3/GCS/Azure file systems plug in the same
// way); memory_engine.h keeps files in memory for pure protocol tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal::delta {

class JsonValue;
struct ActionBatch;

/// A file as listed by a StorageHandler.
struct FileMeta {
  std::string location;          ///< Full path, usable with ReadFile.
  int64_t size = -1;             ///< Size in bytes (-1 if unknown).
  int64_t last_modified_ms = 0;  ///< Modification time, ms since the epoch (0 if unknown).
};

/// Access to the files of a table. Paths are '/'-separated; a directory path
/// never ends with '/'. Implementations must be safe to call from several threads.
class StorageHandler {
 public:
  virtual ~StorageHandler() = default;
  /// Return the files directly inside the directory of `path` (not recursively)
  /// whose name is >= the last component of `path`, sorted by name ascending.
  /// `path` = "t/_delta_log/00000000000000000010" lists from version 10 on.
  /// A missing directory is an IOError whose message contains "does not exist".
  virtual Result<std::vector<FileMeta>> ListFrom(const std::string& path) const = 0;
  /// Return the whole content of the file at `path`. A missing file is an
  /// IOError whose message contains "does not exist".
  virtual Result<std::shared_ptr<arrow::Buffer>> ReadFile(const std::string& path) const = 0;
  /// Return `length` bytes at `offset` of the file at `path`.
  virtual Result<std::shared_ptr<arrow::Buffer>> ReadRange(const std::string& path, int64_t offset,
                                                           int64_t length) const = 0;
  /// Create `path` with `data` unless it exists; when it exists, fail with
  /// Status::AlreadyExists and leave it unchanged.
  virtual Status PutIfAbsent(const std::string& path, std::shared_ptr<arrow::Buffer> data) = 0;
};

/// Parsing of newline-delimited JSON (commit files, v2 checkpoint JSON).
class JsonHandler {
 public:
  virtual ~JsonHandler() = default;
  /// Call `visit(line_number, value)` for every non-empty line of `data` in order
  /// (line numbers start at 1). Stop at the first error; parse errors name
  /// `origin` and the line.
  virtual Status ParseLines(const arrow::Buffer& data, const std::string& origin,
                            const std::function<Status(int64_t, const JsonValue&)>& visit) const = 0;
  /// Add the actions of the newline-delimited JSON `data` (a commit file) to
  /// `out`. A line that is not valid JSON fails with "cannot parse '<origin>'
  /// line N: ..."; an invalid action with "line N: ...". The default parses
  /// every line with ParseLines and decodes it with ParseJsonAction.
  virtual Status ParseActionLines(const arrow::Buffer& data, const std::string& origin,
                                  ActionBatch* out) const;
};

/// Reading Parquet files of the log (checkpoints, sidecars).
class ParquetHandler {
 public:
  virtual ~ParquetHandler() = default;
  /// Return the top-level `columns` of the Parquet file `file` that exist in it
  /// (all columns when empty), as one table. Errors name the file.
  virtual Result<std::shared_ptr<arrow::Table>> ReadParquetFile(
      const FileMeta& file, const std::vector<std::string>& columns) const = 0;
  /// Call `visit` with the rows of `file` in order, as record batches of at most
  /// `batch_rows` rows holding the `columns` that exist in the file (all when
  /// empty). A name "a.b" selects only the child `b` of the struct column `a`.
  /// Memory stays bounded by a batch and a column chunk where the implementation
  /// can stream; the default reads the whole file with ReadParquetFile (and
  /// selects top-level columns only). Errors name the file.
  virtual Status ReadParquetBatches(
      const FileMeta& file, const std::vector<std::string>& columns, int64_t batch_rows,
      const std::function<Status(const arrow::RecordBatch&)>& visit) const;
};

/// Runs independent pieces of protocol work (reading and parsing commit files)
/// for the protocol logic, which never starts threads itself.
class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  /// Call `task(i)` once for every i in [0, n), possibly concurrently and in any
  /// order, and return when all have finished. Tasks after a failed one may be
  /// skipped; the error returned is the one of the lowest failed index among the
  /// tasks that ran, so that a sequential and a parallel run report the same
  /// first error. `task` must be safe to call from several threads.
  virtual Status ParallelFor(int64_t n, const std::function<Status(int64_t)>& task) const = 0;
};

/// Return a TaskRunner using the calling thread and up to `max_threads - 1`
/// short-lived helper threads (so it never waits on a shared pool that may be
/// busy running the caller). `max_threads` <= 1 runs everything on the caller.
std::shared_ptr<TaskRunner> MakeThreadTaskRunner(int max_threads);

/// Run `task` for [0, n) with `runner`, or sequentially when `runner` is null.
Status RunTasks(const TaskRunner* runner, int64_t n, const std::function<Status(int64_t)>& task);

/// The handlers protocol logic uses.
struct Engine {
  std::shared_ptr<StorageHandler> storage;
  std::shared_ptr<JsonHandler> json;
  std::shared_ptr<ParquetHandler> parquet;
  /// Runs log reading in parallel; null runs it sequentially on the caller.
  std::shared_ptr<TaskRunner> tasks;
};

/// Return the JSON handler built on delta/json.h.
std::shared_ptr<JsonHandler> MakeDefaultJsonHandler();

/// Return a Parquet handler that reads files through `storage` (whole file in memory).
std::shared_ptr<ParquetHandler> MakeStorageParquetHandler(std::shared_ptr<StorageHandler> storage);

/// Return "a/b" for ("a", "b"), without doubling '/'.
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace shoal::delta
