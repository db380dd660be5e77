// The files of the Delta log that make up one snapshot: the newest complete
// checkpoint not newer than the wanted version plus the JSON commits after it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shoal/common/status.h"
#include "shoal/delta/engine.h"

namespace shoal::delta {

/// What a file in _delta_log is.
enum class LogFileKind {
  kCommit,               ///< <v>.json
  kClassicCheckpoint,    ///< <v>.checkpoint.parquet
  kMultiPartCheckpoint,  ///< <v>.checkpoint.<part>.<parts>.parquet
  kUuidCheckpoint,       ///< <v>.checkpoint.<uuid>.json|parquet (v2)
  kCompaction,           ///< <x>.<y>.compacted.json (not used for reading)
  kChecksum,             ///< <v>.crc
};

/// A _delta_log file with its decoded name.
struct LogFile {
  FileMeta file;
  int64_t version = 0;
  LogFileKind kind = LogFileKind::kCommit;
  int32_t part = 0;       ///< Multi-part checkpoints: this part (1-based).
  int32_t num_parts = 0;  ///< Multi-part checkpoints: number of parts.
  bool is_json = false;   ///< UUID checkpoints: JSON (else Parquet).
  /// Return the file name (last path component).
  std::string name() const;
};

/// Return the decoded name of a _delta_log file, or nullopt for other files.
std::optional<LogFile> ParseLogFileName(const FileMeta& file);

/// Return `version` zero-padded to 20 digits.
std::string VersionPrefix(int64_t version);

/// The log files of one snapshot.
struct LogSegment {
  std::string table_root;
  std::string log_root;  ///< table_root + "/_delta_log"
  int64_t version = -1;  ///< Version of the snapshot.
  /// Parts of the checkpoint the snapshot starts from (empty: replay from version 0).
  std::vector<LogFile> checkpoint_parts;
  std::optional<int64_t> checkpoint_version;
  /// Commits after the checkpoint, ascending, ending at `version`.
  std::vector<LogFile> commits;
  /// Modification time of the newest file (the snapshot's commit timestamp).
  int64_t timestamp_ms = 0;
  /// Number of add actions in the checkpoint, from `_last_checkpoint`'s
  /// numOfAddFiles when it describes that checkpoint (a sizing hint only).
  std::optional<int64_t> checkpoint_num_add_files;
};

/// Return the log segment of `table_root` at `version` (the latest when nullopt).
/// Uses _last_checkpoint when it is usable and lists the log otherwise (missing,
/// stale or corrupt hints are recovered from). Errors name the table, the
/// version and the file: no _delta_log, a missing version in the middle of the
/// log, a version newer than the latest or older than the oldest kept.
Result<LogSegment> BuildLogSegment(const Engine& engine, const std::string& table_root,
                                   std::optional<int64_t> version = std::nullopt);

/// Return every commit file of the log in ascending version order.
Result<std::vector<LogFile>> ListCommitFiles(const Engine& engine, const std::string& table_root);

}  // namespace shoal::delta
