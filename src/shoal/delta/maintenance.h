// Maintenance and schema operations on Delta tables, each one commit
// (PROTOCOL.md "Add File and Remove File", "CHECK Constraints", "commitInfo"):
// ALTER TABLE (add columns, table properties, CHECK constraints), RESTORE,
// OPTIMIZE (bin-packing compaction, Z-order), VACUUM, FSCK REPAIR; and the
// file rewriting behind replaceWhere overwrites (delta_writer.h).
//
// Expressions (constraints, predicates) are evaluated by the caller's
// ExpressionEvaluator (constraints.h); the file system is the table's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta {

class ExpressionEvaluator;
class WriteTransaction;

/// Where an operation runs: the table's file system and root path in it.
struct TableLocation {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string root;
};

/// Return the table location of `location` (a local path or file:// URI, or a
/// path inside `fs` when given).
Result<TableLocation> ResolveTableLocation(const std::string& location,
                                           std::shared_ptr<arrow::fs::FileSystem> fs = nullptr);

/// What an operation did.
struct MaintenanceResult {
  int64_t version = -1;        ///< Version committed; -1 when nothing was committed.
  std::string operation;       ///< commitInfo.operation.
  std::map<std::string, int64_t> metrics;  ///< commitInfo.operationMetrics (numbers).
  std::vector<std::string> files;          ///< Files deleted / to delete (VACUUM),
                                           ///< removed (FSCK), relative to the root.
  bool dry_run = false;
};

// ---------------------------------------------------------------------------
// ALTER TABLE
// ---------------------------------------------------------------------------

/// One ALTER TABLE change.
struct AlterTableChange {
  enum class Kind { kAddColumns, kSetProperties, kUnsetProperties, kAddConstraint, kDropConstraint };
  Kind kind = Kind::kSetProperties;
  std::vector<std::shared_ptr<arrow::Field>> columns;  ///< kAddColumns (nullable ones only)
  std::map<std::string, std::string> properties;       ///< kSetProperties
  std::vector<std::string> keys;                       ///< kUnsetProperties
  std::string constraint_name;                         ///< k*Constraint
  std::string expression;                              ///< kAddConstraint (SQL)
  bool if_exists = false;                              ///< UNSET / DROP ... IF EXISTS
};

/// Apply `change` to the table in one commit. ADD CONSTRAINT first checks every
/// existing row with `evaluator` (a violation is an error naming the constraint
/// and a row) and upgrades the protocol (writer version 3 or the
/// checkConstraints feature).
Result<MaintenanceResult> AlterTable(const TableLocation& table, const AlterTableChange& change,
                                     const ExpressionEvaluator* evaluator);

// ---------------------------------------------------------------------------
// RESTORE, OPTIMIZE, VACUUM, FSCK
// ---------------------------------------------------------------------------

/// Restore the table to the state of `target` (a version or a timestamp): adds
/// the files of that version missing now and removes the files it lacks
/// (dataChange = true). Files to restore that no longer exist are an error.
Result<MaintenanceResult> RestoreTable(const TableLocation& table, const SnapshotSpec& target);

struct OptimizeOptions {
  /// Only partitions matching this SQL predicate on partition columns (empty: all).
  std::string partition_predicate;
  /// Z-order by these columns (empty: bin-packing compaction).
  std::vector<std::string> zorder_by;
  /// Target file size in bytes; 0: delta.targetFileSize, else 100 MiB.
  int64_t target_size = 0;
  /// Needed when partition_predicate is given.
  const ExpressionEvaluator* evaluator = nullptr;
};

/// Compact small files per partition into files of about the target size (or
/// rewrite each partition ordered by a Z-order key); adds and removes have
/// dataChange = false. Metrics as Delta's (numFilesAdded, numFilesRemoved, ...).
Result<MaintenanceResult> OptimizeTable(const TableLocation& table, const OptimizeOptions& options);

struct VacuumOptions {
  std::optional<double> retention_hours;  ///< Default delta.deletedFileRetentionDuration (7 days).
  bool dry_run = false;
  /// Refuse a retention shorter than delta.deletedFileRetentionDuration.
  bool enforce_retention = true;
};

/// Delete files in the table directory that no version within the retention
/// needs: not referenced by the current snapshot, not removed by a commit within
/// the retention, older than the retention; never _delta_log or hidden files.
/// `files` lists them (relative paths). Commits VACUUM START / VACUUM END
/// unless dry run.
Result<MaintenanceResult> VacuumTable(const TableLocation& table, const VacuumOptions& options);

/// Remove the files of the current snapshot that no longer exist (FSCK REPAIR).
Result<MaintenanceResult> RepairTable(const TableLocation& table, bool dry_run);

/// Delete log files that expired (delta.logRetentionDuration, default 30 days,
/// unless delta.enableExpiredLogCleanup = false): commits and checkpoints older
/// than the retention and older than the checkpoint at `checkpoint_version`, so
/// that the table stays readable from that checkpoint on. Return the number of
/// files deleted.
Result<int64_t> CleanupExpiredLogs(const TableLocation& table,
                                   const std::map<std::string, std::string>& configuration,
                                   int64_t checkpoint_version);

/// Return a retention duration property ("interval 7 days", "interval 1 week",
/// "168 hours", ...) in milliseconds. Errors name the property.
Result<int64_t> ParseIntervalMillis(const std::string& key, const std::string& value);

// ---------------------------------------------------------------------------
// replaceWhere
// ---------------------------------------------------------------------------

/// The files a replaceWhere overwrite removes and the rows it keeps.
struct ReplaceWhereRewrite {
  std::vector<RemoveFile> removes;
  std::vector<AddFile> adds;          ///< Files holding the kept rows of rewritten files.
  std::vector<std::string> written;   ///< Full paths of `adds` (deleted on failure).
  int64_t rows_copied = 0;
  int64_t rows_deleted = 0;
};

/// Plan and write the replaceWhere rewrite of `snapshot` for `predicate`: files
/// none of whose rows match are kept; files whose rows all match are removed;
/// others are removed and their non-matching rows written to new files.
Result<ReplaceWhereRewrite> RewriteForReplaceWhere(const Snapshot& snapshot,
                                                   const TableLocation& table,
                                                   const std::string& predicate,
                                                   const ExpressionEvaluator& evaluator,
                                                   int64_t target_file_size);

/// Check that every row of `batch` satisfies the replaceWhere `predicate`.
Status CheckReplaceWhereRows(const std::string& predicate, const ExpressionEvaluator& evaluator,
                             const arrow::RecordBatch& batch, const std::string& table_root);

/// Add to `tx` the replaceWhere conflict rule: a concurrent commit adding files
/// whose rows may match `predicate` conflicts.
void AddReplaceWhereConflictCheck(WriteTransaction* tx, std::shared_ptr<const Snapshot> snapshot,
                                  std::string predicate,
                                  std::shared_ptr<const ExpressionEvaluator> evaluator);

}  // namespace shoal::delta
