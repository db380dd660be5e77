// The change data feed of a Delta table (PROTOCOL.md "Change Data Files",
// delta-rs `load_cdf`): which files hold the row changes of a range of
// versions. Pure protocol logic: it reads only the log, through the Engine.
//
// Per commit in the range:
//  - a commit with `cdc` actions takes its changes from those files only; their
//    rows carry `_change_type` (insert, delete, update_preimage, update_postimage);
//  - otherwise `add` actions with dataChange=true are inserts of the file's live
//    rows and `remove` actions with dataChange=true are deletes of the rows the
//    removed file still held; an add that replaces a removed file of the same
//    path with another deletion vector (a DELETE with deletion vectors) yields
//    only the rows whose deleted state changed;
//  - dataChange=false actions (OPTIMIZE, ...) yield nothing.
// As in delta-rs, a metaData action in the range must keep
// delta.enableChangeDataFeed: it must be "true" in the first version read when
// that version has a metaData action, and never "false".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/engine.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta {

/// The versions and commit timestamps to read changes from. Bounds are inclusive.
struct ChangeFeedRange {
  /// First version; when empty, the first version committed at or after
  /// `start_timestamp_ms` (one of the two is required).
  std::optional<int64_t> start_version;
  /// Last version (the latest when empty; a later one reads up to the latest).
  std::optional<int64_t> end_version;
  /// Leave out commits before / after these times (ms since the epoch).
  std::optional<int64_t> start_timestamp_ms;
  std::optional<int64_t> end_timestamp_ms;
};

/// The change types of the feed.
inline constexpr const char* kChangeInsert = "insert";
inline constexpr const char* kChangeDelete = "delete";

/// One file of the change feed and which of its rows are changes.
struct ChangeFile {
  std::string path;  ///< As written in the action (relative URI-encoded or absolute).
  PartitionValueMap partition_values;
  int64_t size = -1;  ///< Bytes, -1 when unknown.
  int64_t version = 0;
  int64_t timestamp_ms = 0;  ///< Commit timestamp.
  /// True: a change data file whose rows carry their own `_change_type`.
  /// False: a data file whose selected rows all have `change_type`.
  bool is_cdc = false;
  std::string change_type;
  /// Data files: rows to leave out (the file's deletion vector).
  std::optional<DeletionVectorDescriptor> excluded_rows;
  /// Data files: when set, only the rows marked in this deletion vector.
  std::optional<DeletionVectorDescriptor> selected_rows;
};

/// What a change feed read needs: the resolved range, the files, and the
/// snapshot at the last version (its schema is the schema of the feed).
struct ChangeFeedPlan {
  int64_t start_version = 0;
  int64_t end_version = 0;
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<ChangeFile> files;
};

/// Return the commit timestamp of a commit: its inCommitTimestamp, else its
/// commitInfo.timestamp, else `file_mtime_ms`.
int64_t CommitTimestampOf(const ActionBatch& batch, int64_t file_mtime_ms);

/// Return the change files of one commit (`version` at `timestamp_ms`).
/// Errors name the commit when its actions are inconsistent.
Result<std::vector<ChangeFile>> ChangeFilesOfCommit(const ActionBatch& batch, int64_t version,
                                                    int64_t timestamp_ms);

/// Plan reading the changes of `table_root` over `range`. Errors (naming the
/// table and the versions): no starting version or timestamp, a negative
/// version, a start after the end or after the latest version, versions no
/// longer in the log, a start timestamp after the latest commit, and change
/// data feed not enabled (see the file comment).
Result<ChangeFeedPlan> PlanChangeFeed(std::shared_ptr<Engine> engine, const std::string& table_root,
                                      const ChangeFeedRange& range);

}  // namespace shoal::delta
