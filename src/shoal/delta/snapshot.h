// A snapshot: the state of a Delta table at one version, reconstructed by log
// replay (PROTOCOL.md "Action Reconciliation"): newest to oldest, the first
// action seen for a logical file (path, deletion vector id) wins, removes hide
// older adds, and the newest protocol and metadata apply.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/engine.h"
#include "shoal/delta/log_segment.h"
#include "shoal/delta/schema.h"

namespace shoal::delta {

/// Where to load a snapshot (time travel): the latest version, a version, or
/// the newest version committed at or before a timestamp.
struct SnapshotSpec {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;
};

/// One commit of the table's history (from its commitInfo).
struct CommitSummary {
  int64_t version = 0;
  int64_t timestamp_ms = 0;  ///< inCommitTimestamp, else commitInfo.timestamp, else file mtime.
  std::optional<JsonValue> commit_info;
};

/// An immutable snapshot. Safe to share between threads.
class Snapshot {
 public:
  /// Load the snapshot of `table_root` described by `spec` through `engine`.
  static Result<std::shared_ptr<const Snapshot>> Make(std::shared_ptr<Engine> engine,
                                                      const std::string& table_root,
                                                      const SnapshotSpec& spec = {});

  /// Return the snapshot's version.
  int64_t version() const { return segment_.version; }
  /// Return the commit timestamp of the snapshot's version (ms since the epoch).
  int64_t timestamp_ms() const { return timestamp_ms_; }
  const Protocol& protocol() const { return protocol_; }
  const Metadata& metadata() const { return metadata_; }
  /// Return the table schema as users see it (no field metadata), in Delta order.
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }
  /// Return the schema with delta.columnMapping.* field metadata.
  const std::shared_ptr<arrow::Schema>& annotated_schema() const { return annotated_schema_; }
  ColumnMappingMode column_mapping_mode() const { return mapping_mode_; }
  /// Return the live logical files (add actions after reconciliation).
  const std::vector<AddFile>& files() const { return files_; }
  /// Return the latest transaction version per application id.
  const std::vector<Transaction>& transactions() const { return txns_; }
  const LogSegment& log_segment() const { return segment_; }
  const std::string& table_root() const { return segment_.table_root; }
  const std::shared_ptr<Engine>& engine() const { return engine_; }
  /// Return the statistics of each of files() (same order; null for a file
  /// without statistics or whose JSON statistics do not parse), decoded once per
  /// snapshot on first use and shared by everything reading them (file skipping,
  /// TableProvider::statistics()): a checkpoint's stats_parsed when present, else
  /// the JSON stats of the non-nested columns, typed as the current schema.
  /// Thread-safe.
  const std::vector<std::shared_ptr<const ParsedStats>>& file_stats() const;
  /// Return file_stats() when they have been decoded already, else null (does
  /// not decode them).
  const std::vector<std::shared_ptr<const ParsedStats>>* decoded_file_stats() const;

 private:
  struct StatsCache;
  Snapshot();
  std::shared_ptr<Engine> engine_;
  LogSegment segment_;
  int64_t timestamp_ms_ = 0;
  Protocol protocol_;
  Metadata metadata_;
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::Schema> annotated_schema_;
  ColumnMappingMode mapping_mode_ = ColumnMappingMode::kNone;
  std::vector<AddFile> files_;
  std::vector<Transaction> txns_;
  std::shared_ptr<StatsCache> stats_cache_;  ///< file_stats(), filled on first use
};

/// Check that Shoal can read a table with `protocol`: reader version <= 3 and
/// every reader feature supported; otherwise an error naming the feature.
Status CheckReadSupported(const Protocol& protocol, const std::string& table_root);

/// Read and decode the commit file `commit`.
Result<ActionBatch> ReadCommit(const Engine& engine, const LogFile& commit,
                               const std::string& table_root);

/// Return the history of the table (newest first), at most `limit` commits
/// when given.
Result<std::vector<CommitSummary>> ReadHistory(const Engine& engine, const std::string& table_root,
                                               std::optional<int64_t> limit = std::nullopt);

/// Return the version committed last at or before `timestamp_ms`. Errors when
/// the timestamp is before the first commit still in the log.
Result<int64_t> VersionAtTimestamp(const Engine& engine, const std::string& table_root,
                                   int64_t timestamp_ms);

}  // namespace shoal::delta
