// A write transaction on a Delta table (PROTOCOL.md "Requirements for Writers"):
// collect actions, then commit them as _delta_log/<version>.json with the
// Engine's put-if-absent. When another writer took the version first, the
// winning commits are checked for conflicts and the commit is retried at the
// next version:
//   - a winner that changed the metadata or the protocol conflicts;
//   - a winner that removed a file this transaction removes conflicts;
//   - a winner that added files conflicts when this transaction read the whole
//     table (overwrite);
//   - a winner with a txn action for this transaction's application id conflicts;
//   - a winner that removed a file this transaction read (DELETE / UPDATE / MERGE)
//     conflicts, and so does a winner that added a file the read predicate may
//     match (ReadFiles);
//   - otherwise (e.g. blind appends on both sides) the commit moves on.
// Conflicts fail with "concurrent modification: version N ...".
//
// Protocol logic only: no data files are written here (see delta_writer.h).
#pragma once

#include <cstdint>
#include <functional>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/engine.h"
#include "shoal/delta/json.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta {

/// What a successful Commit() did.
struct CommitResult {
  int64_t version = -1;   ///< Version committed (the read version for a no-op).
  bool noop = false;      ///< The application transaction was already committed.
  int32_t attempts = 0;   ///< Put-if-absent attempts (1 when nobody raced us).
};

/// Return OK when Shoal can write a table with `protocol` and `metadata`, or an
/// error naming the writer feature or table property it does not support.
Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata,
                           const std::string& table_root);

/// Collects the actions of one commit. Not thread-safe; one per writer.
class WriteTransaction {
 public:
  /// Start a transaction on the table of `read_snapshot` (its version is the read version).
  static Result<std::unique_ptr<WriteTransaction>> ForSnapshot(
      std::shared_ptr<const Snapshot> read_snapshot);
  /// Start a transaction that creates the table at `table_root` (commits version 0
  /// with `protocol` and `metadata`). Fails at commit when the table exists.
  static Result<std::unique_ptr<WriteTransaction>> ForNewTable(std::shared_ptr<Engine> engine,
                                                               std::string table_root,
                                                               Protocol protocol,
                                                               Metadata metadata);

  /// Set commitInfo.operation ("WRITE", "CREATE TABLE", ...) and its parameters.
  void SetOperation(std::string operation, JsonValue parameters = JsonValue::Object());
  /// Set an operation metric (commitInfo.operationMetrics, values are text).
  void SetMetric(const std::string& key, int64_t value);
  /// Make the commit idempotent: it is a no-op when the table already recorded
  /// `version` (or a later one) for `app_id`, and it records (app_id, version).
  void SetAppTransaction(std::string app_id, int64_t version);
  /// Add data files.
  void AddFiles(std::vector<AddFile> adds);
  /// Remove every live file of the read snapshot (overwrite); the transaction
  /// then depends on the whole table, so concurrent adds conflict.
  void RemoveAllFiles(int64_t deletion_timestamp_ms);
  /// Remove the given files (DELETE / UPDATE / MERGE rewrites).
  void RemoveFiles(std::vector<RemoveFile> removes);
  /// Add change data files (_change_data/, PROTOCOL.md "Add CDC File").
  void AddChangeFiles(std::vector<CdcFile> cdcs);
  /// Record what the transaction read: the data files (decoded paths) and the
  /// predicate it read them with. `may_match` tells whether a file added by a
  /// concurrent commit could hold rows the predicate matches (null: any file
  /// could); `predicate` is its text for messages.
  void ReadFiles(std::vector<std::string> paths,
                 std::function<bool(const AddFile&)> may_match, std::string predicate);
  /// Replace the table's metadata (schema, partitioning, properties).
  void UpdateMetadata(Metadata metadata);
  /// Replace the table's protocol (an upgrade, e.g. for CHECK constraints).
  void UpdateProtocol(Protocol protocol);
  /// Remove the given files (replaceWhere, OPTIMIZE, RESTORE, FSCK).
  void AddRemoves(std::vector<RemoveFile> removes);
  /// Run `check` against every winning commit before retrying past it (e.g. a
  /// replaceWhere's predicate region); an error fails the commit.
  void AddConflictCheck(std::function<Status(int64_t winner, const ActionBatch&)> check);

  /// Return the read version (-1 for a new table).
  int64_t read_version() const;
  const std::string& table_root() const { return table_root_; }
  /// Return the metadata the commit will leave in place.
  const Metadata& metadata() const;
  const Protocol& protocol() const;

  /// Commit, retrying past non-conflicting concurrent commits at most
  /// `max_attempts` times. The transaction cannot be reused afterwards.
  Result<CommitResult> Commit(int32_t max_attempts = 1000);

 private:
  WriteTransaction() = default;
  Result<std::string> CommitText(int64_t version, int64_t now_ms) const;
  Status CheckConflicts(int64_t winner, const ActionBatch& actions) const;

  std::shared_ptr<Engine> engine_;
  std::string table_root_;
  std::shared_ptr<const Snapshot> snapshot_;  ///< null for a new table
  std::optional<Protocol> new_protocol_;
  std::optional<Metadata> new_metadata_;
  std::string operation_ = "WRITE";
  JsonValue operation_parameters_ = JsonValue::Object();
  std::map<std::string, int64_t> metrics_;
  std::optional<Transaction> app_txn_;
  std::vector<AddFile> adds_;
  std::vector<RemoveFile> removes_;
  std::vector<CdcFile> cdcs_;
  bool read_whole_table_ = false;
  bool read_tracked_ = false;  ///< ReadFiles was called.
  std::vector<std::string> read_paths_;
  std::function<bool(const AddFile&)> read_may_match_;
  std::string read_predicate_;
  bool committed_ = false;
  std::vector<std::function<Status(int64_t, const ActionBatch&)>> conflict_checks_;
};

}  // namespace shoal::delta
