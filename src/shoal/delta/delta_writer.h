// Writing data to a Delta table: a stream of record batches becomes Parquet
// data files (Hive-style partition directories, rolled over at a target size,
// statistics collected while writing) and one commit (transaction.h); a
// checkpoint follows every delta.checkpointInterval commits (checkpoint_writer.h).
//
// Memory: batches are consumed one at a time; one Parquet writer is open per
// partition value seen so far (each buffers at most one row group).
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
#include "shoal/delta/engine.h"

namespace shoal::delta {

class ExpressionEvaluator;

/// What to do when the table exists (or not).
enum class SaveMode {
  kError,      ///< Create the table; fail when it exists.
  kAppend,     ///< Add the rows (create the table when missing).
  kOverwrite,  ///< Replace every row (create the table when missing).
  kIgnore,     ///< Create the table with the rows; do nothing when it exists.
};

/// Return the mode named "error" / "errorifexists", "append", "overwrite" or "ignore".
Result<SaveMode> ParseSaveMode(const std::string& name);

/// How to write.
struct DeltaWriteOptions {
  SaveMode mode = SaveMode::kError;
  /// Partition columns of a new table (must match the table's when it exists).
  std::vector<std::string> partition_by;
  /// Table properties of a new table (delta.*, ...).
  std::map<std::string, std::string> configuration;
  std::optional<std::string> name;
  std::optional<std::string> description;
  /// Roll over to a new data file once a file reaches about this many bytes.
  int64_t target_file_size = 100 * 1024 * 1024;
  /// Schema evolution: "merge" adds the data's new columns (nullable) to the
  /// table; "overwrite" (with mode overwrite) replaces the schema and, when
  /// partition_by is given, the partitioning. Empty: the schemas must match.
  std::string schema_mode;
  /// replaceWhere predicate (SQL) for mode overwrite: only rows matching it are
  /// replaced; every row written must match it. Needs `evaluator`.
  std::string predicate;
  /// Evaluates CHECK constraints, invariants, generated columns and the
  /// predicate. Null: tables with constraints and predicates are refused.
  std::shared_ptr<const ExpressionEvaluator> evaluator;
  /// Idempotent write: skipped when the table already has (app_id, version).
  std::optional<std::pair<std::string, int64_t>> app_transaction;
  /// commitInfo.operation; empty: "CREATE TABLE" for a new table, else "WRITE".
  std::string operation;
  /// File system; null: resolved from the location (local paths, file:// URIs).
  std::shared_ptr<arrow::fs::FileSystem> filesystem;
  /// Write a checkpoint after commits at multiples of delta.checkpointInterval.
  bool checkpoints = true;
  /// Commit attempts lost to concurrent writers before giving up.
  int32_t max_commit_attempts = 1000;
};

/// What a write did.
struct DeltaWriteResult {
  int64_t version = -1;     ///< Version committed (or the current version when skipped).
  bool skipped = false;     ///< Nothing written (mode ignore on an existing table, or an
                            ///< already committed application transaction).
  int64_t num_rows = 0;
  int64_t num_files = 0;
  int64_t num_bytes = 0;
  int64_t removed_files = 0;
  int32_t commit_attempts = 0;
  bool checkpoint_written = false;
  std::string checkpoint_error;  ///< Why a due checkpoint failed (the commit stands).
};

/// Write `data` to the Delta table at `location` (a local path or file:// URI,
/// or a path inside `options.filesystem`). A new table takes the stream's
/// schema (normalized to Delta types). An existing table must have the same
/// columns (by name, any order) and types unless `options.schema_mode` says
/// otherwise; differences are an error listing them. Rows with nulls in NOT NULL
/// columns are an error.
Result<DeltaWriteResult> WriteDeltaTable(const std::string& location,
                                         std::shared_ptr<arrow::RecordBatchReader> data,
                                         const DeltaWriteOptions& options);

/// Write the rows of `data` (conformed to `table_schema`) as new data files of
/// the table at `root` in `fs`, partitioned by `partition_cols`, rolling files at
/// `target_file_size`; statistics follow `configuration`. Nothing is committed:
/// the add actions (with `data_change`) are returned, and on failure the files
/// written are deleted. `num_bytes` (optional) receives the bytes written.
Result<std::vector<AddFile>> WriteDataFiles(const std::shared_ptr<arrow::fs::FileSystem>& fs,
                                            const std::string& root,
                                            const std::shared_ptr<arrow::Schema>& table_schema,
                                            const std::vector<std::string>& partition_cols,
                                            const std::map<std::string, std::string>& configuration,
                                            int64_t target_file_size,
                                            arrow::RecordBatchReader* data, bool data_change,
                                            int64_t* num_bytes = nullptr);

/// Return an Engine for writing through `fs`: the same as MakeArrowEngine, whose
/// put-if-absent is atomic on the local file system (link(2) of a temporary file)
/// and refused with an explanation on object stores (kept for existing callers).
std::shared_ptr<Engine> MakeWriteEngine(std::shared_ptr<arrow::fs::FileSystem> fs);

}  // namespace shoal::delta
