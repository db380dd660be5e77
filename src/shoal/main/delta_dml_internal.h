// Shared pieces of DELETE / UPDATE (statement_delta_dml.cc) and MERGE
// (statement_delta_merge.cc) on Delta tables.
#pragma once

#include <chrono>
#include <map>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/record_batch.h>

#include "shoal/common/status.h"
#include "shoal/delta/constraints.h"
#include "shoal/delta/deletion_vector.h"
#include "shoal/delta/delta_table.h"
#include "shoal/delta/dml.h"
#include "shoal/delta/transaction.h"
#include "shoal/main/query_result.h"
#include "shoal/parser/ast.h"

namespace shoal {

class SessionState;

namespace dml {

/// Column names the DML queries add (never table columns).
/// The int32 index of a row's data file in the target snapshot's files().
inline constexpr const char* kFileIndexCol = "__shoal_fidx";
inline constexpr const char* kRowIdCol = "__shoal_rid";
inline constexpr const char* kActCol = "__shoal_act";
inline constexpr const char* kMatchedCol = "__shoal_m";

/// Return `name` as a double-quoted SQL identifier.
std::string QuoteIdent(const std::string& name);
/// Return `text` as a single-quoted SQL string literal.
std::string QuoteString(const std::string& text);

/// Milliseconds elapsed since `start`.
int64_t MillisSince(std::chrono::steady_clock::time_point start);

/// The Delta table a DML statement writes.
struct Target {
  std::vector<std::string> name;   ///< Folded catalog name.
  std::string qualified;           ///< For messages.
  std::shared_ptr<delta::DeltaTableProvider> registered;
  std::shared_ptr<const delta::Snapshot> snapshot;  ///< Latest, loaded for this statement.
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string root;
  /// CHECK constraints, invariants and generated columns of the table.
  delta::TableConstraints constraints;
  /// Evaluates `constraints`; set when there are any.
  std::shared_ptr<const delta::ExpressionEvaluator> evaluator;
};

/// Return true when column `name` of the target is a generated column.
bool IsGenerated(const Target& target, const std::string& name);

/// Return the registered Delta table `name` at its latest version, checking
/// that Shoal can write it. `verb` ("DELETE", ...) goes into messages; other
/// table kinds give the "not supported" error of in-memory tables.
Result<Target> ResolveTarget(SessionState* state, const ast::QualifiedName& name,
                             const std::string& verb);

/// Return a provider over the target's snapshot with the file index column
/// kFileIndexCol (and the row id column kRowIdCol when `row_id`), limited to
/// `only_files` when given. With `physical_rows` (implies `row_id`) the row id
/// is the row's physical index in its data file (each file read whole by one
/// morsel).
Result<std::shared_ptr<delta::DmlScanProvider>> TargetScan(
    const Target& target, bool row_id,
    std::shared_ptr<const std::set<std::string>> only_files = nullptr,
    bool physical_rows = false);

/// A table registered in the session catalog for the statement's queries;
/// dropped again on destruction.
class TempTable {
 public:
  static Result<std::unique_ptr<TempTable>> Register(SessionState* state,
                                                     std::shared_ptr<TableProvider> table);
  ~TempTable();
  /// The quoted name to use in SQL.
  std::string sql_name() const { return QuoteIdent(name_[0]); }

 private:
  TempTable(SessionState* state, std::vector<std::string> name)
      : state_(state), name_(std::move(name)) {}
  SessionState* state_;
  std::vector<std::string> name_;
};

/// A query a DML statement runs, streaming; keeps its text alive.
struct InternalQuery {
  std::string text;
  std::unique_ptr<ast::Query> query;
  std::shared_ptr<arrow::RecordBatchReader> reader;
};

/// Parse, plan and start `text`. Errors are prefixed with `context`.
Result<std::unique_ptr<InternalQuery>> StartQuery(SessionState* state, std::string text,
                                                  const std::string& context);
/// Run `text` to completion.
Result<std::shared_ptr<arrow::Table>> RunQuery(SessionState* state, std::string text,
                                               const std::string& context);

/// Passes a query's batches on (to the data file writer), counting rows and
/// the values of its int action column (kActCol, when present) and dropping
/// repeated copies of a target row that several source rows matched (rows with
/// kMatchedCol true and action 0 whose kRowIdCol was seen before).
class TallyReader : public arrow::RecordBatchReader {
 public:
  explicit TallyReader(std::shared_ptr<arrow::RecordBatchReader> input)
      : input_(std::move(input)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override;
  Status Close() override { return input_->Close(); }

  int64_t rows() const { return rows_; }
  /// Rows per action value.
  const std::unordered_map<int64_t, int64_t>& actions() const { return actions_; }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  int64_t rows_ = 0;
  std::unordered_map<int64_t, int64_t> actions_;
  std::unordered_set<int64_t> copied_matched_;
};

/// Return column `name` of `batch` as int64 values (nulls as `null_value`).
Result<std::vector<int64_t>> Int64Column(const arrow::RecordBatch& batch, const std::string& name,
                                         int64_t null_value);

/// Data files written for a rewrite.
struct Written {
  std::vector<delta::AddFile> adds;
  int64_t bytes = 0;
};

/// Write the table columns of `reader`'s rows as new data files of the target.
/// When the rows carry the action column (kActCol), the rows with a non-zero
/// action (updated / inserted) must satisfy the table's constraints as every
/// write does (delta::EnforceConstraints: generated columns left null are
/// computed, given ones verified; CHECK constraints, invariants, NOT NULL);
/// rows with action 0 are copies of existing rows and are written as they are.
Result<Written> WriteRows(const Target& target, arrow::RecordBatchReader* reader);

/// Return true when the table has delta.enableChangeDataFeed = true.
bool ChangeDataFeedEnabled(const Target& target);

/// Run `query` (the table's columns plus a utf8 `_change_type` column) and write
/// its rows as change data files under _change_data/; return their cdc actions.
/// Generated columns of 'update_postimage' and 'insert' rows are computed when
/// the query leaves them null (as WriteRows computes them for the data files).
Result<std::vector<delta::CdcFile>> WriteChanges(SessionState* state, const Target& target,
                                                 std::string query, const std::string& context);

/// What to commit.
struct CommitRequest {
  std::string operation;
  delta::JsonValue parameters = delta::JsonValue::Object();
  std::vector<std::pair<std::string, int64_t>> metrics;  ///< commitInfo.operationMetrics
  std::vector<delta::RemoveFile> removes;
  std::vector<delta::AddFile> adds;
  /// Existing data files added again with a new deletion vector (committed
  /// after `adds`; never deleted when the commit fails).
  std::vector<delta::AddFile> dv_adds;
  /// Other files written for the commit (table-relative, e.g. deletion vector
  /// files), deleted when the commit fails.
  std::vector<std::string> written_files;
  std::vector<delta::CdcFile> cdcs;
  std::vector<std::string> read_files;
  std::shared_ptr<const delta::FileMatcher> matcher;  ///< null: any added file conflicts
  std::string predicate;
};

/// Return true when DELETE / UPDATE mark rows with deletion vectors: the table
/// has delta.enableDeletionVectors = true and the deletionVectors writer feature.
bool DeletionVectorsEnabled(const Target& target);

/// Rows of data files by the file's index in the target snapshot's files(),
/// as physical row indexes (the positions deletion vectors mark).
using RowsByFile = std::map<int32_t, std::vector<uint64_t>>;

/// Passes a query's batches on, adding the (kFileIndexCol, kRowIdCol) pairs of
/// its rows with a file index to `rows` (the row ids must be physical:
/// TargetScan with `physical_rows`) and dropping the rows whose action
/// (kActCol) is in `drop_actions` (rows only marked deleted, not written).
class RowsReader : public arrow::RecordBatchReader {
 public:
  RowsReader(std::shared_ptr<arrow::RecordBatchReader> input, std::vector<int64_t> drop_actions,
             RowsByFile* rows)
      : input_(std::move(input)), drop_(std::move(drop_actions)), rows_(rows) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override;
  Status Close() override { return input_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> input_;
  std::vector<int64_t> drop_;
  RowsByFile* rows_;
};

/// Run `text` (a query whose rows carry kFileIndexCol and physical kRowIdCol)
/// and return its rows by file.
Result<RowsByFile> QueryRows(SessionState* state, std::string text, const std::string& context);

/// What MarkRowsDeleted did.
struct MarkedRows {
  int64_t vectors_added = 0;    ///< Files added again with a (new) deletion vector.
  int64_t files_emptied = 0;    ///< Files whose every row is now deleted (only removed).
};

/// Mark `rows` deleted: per file, merged (union) with the file's current
/// deletion vector into `dv_file`, and the file added again with it to
/// `req->dv_adds`; a file left without rows gets no add. The removes of the
/// files are the caller's. Duplicates in `rows` are allowed.
Result<MarkedRows> MarkRowsDeleted(const Target& target, RowsByFile rows, int64_t now_ms,
                                   delta::DeletionVectorFileWriter* dv_file, CommitRequest* req);

/// Write `dv_file` (when not empty) to the table root and list it in
/// `req->written_files`.
Status WriteDeletionVectorFile(const Target& target, const delta::DeletionVectorFileWriter& dv_file,
                               const std::string& context, CommitRequest* req);

/// Commit `request` against the target's snapshot (deleting the added files
/// when the commit fails), write a due checkpoint, refresh the catalog entry.
/// Return the version committed.
Result<int64_t> CommitDml(SessionState* state, const Target& target, CommitRequest request);

/// Return a one-row result of int64 metric columns.
std::shared_ptr<QueryResult> MetricsResult(
    const std::vector<std::pair<std::string, int64_t>>& metrics, const std::string& kind);

/// Return the live file of `snapshot` by decoded path.
std::unordered_map<std::string, const delta::AddFile*> FilesByPath(const delta::Snapshot& snap);

/// Run MERGE (statement_delta_merge.cc).
Result<std::shared_ptr<QueryResult>> ExecuteMerge(SessionState* state, std::string_view sql,
                                                  const ast::MergeStatement& st);

}  // namespace dml
}  // namespace shoal
