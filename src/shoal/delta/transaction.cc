#include "shoal/delta/transaction.h"

#include <chrono>
#include <set>

#include <arrow/buffer.h>

#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/fail_point.h"
#include "shoal/delta/log_segment.h"
#include "shoal/delta/schema.h"

namespace shoal::delta {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool Contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

Status CheckWriteSupported(const Protocol& protocol, const Metadata& metadata,
                           const std::string& table_root) {
  auto refuse = [&](const std::string& what) {
    return Status::NotImplemented("cannot write Delta table '", table_root, "': ", what,
                                  " is not supported by Shoal's writer yet");
  };
  if (protocol.min_writer_version > 7 || protocol.min_writer_version < 1) {
    return refuse("writer version " + std::to_string(protocol.min_writer_version));
  }
  if (protocol.min_writer_version == 7 && protocol.writer_features) {
    static const std::set<std::string> kSupported = {
        "appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns",
        "columnMapping", "identityColumns", "timestampNtz", "deletionVectors",
        "vacuumProtocolCheck", "domainMetadata"};
    for (const auto& f : *protocol.writer_features) {
      if (!kSupported.count(f)) return refuse("writer feature '" + f + "'");
    }
  }
  // Features that are supported only while unused.
  // Invariants, CHECK constraints and generated columns are enforced by the
  // writers (delta/constraints.h).
  const std::string& schema = metadata.schema_string;
  if (Contains(schema, "delta.identity.")) return refuse("an identity column");
  ARROW_ASSIGN_OR_RAISE(auto mode, GetColumnMappingMode(metadata));
  if (mode != ColumnMappingMode::kNone) return refuse("column mapping");
  return Status::OK();
}

Result<std::unique_ptr<WriteTransaction>> WriteTransaction::ForSnapshot(
    std::shared_ptr<const Snapshot> read_snapshot) {
  if (!read_snapshot) return Status::Invalid("WriteTransaction needs a snapshot");
  std::unique_ptr<WriteTransaction> tx(new WriteTransaction());
  tx->engine_ = read_snapshot->engine();
  tx->table_root_ = read_snapshot->table_root();
  tx->snapshot_ = std::move(read_snapshot);
  return tx;
}

Result<std::unique_ptr<WriteTransaction>> WriteTransaction::ForNewTable(
    std::shared_ptr<Engine> engine, std::string table_root, Protocol protocol, Metadata metadata) {
  if (!engine) return Status::Invalid("WriteTransaction needs an engine");
  std::unique_ptr<WriteTransaction> tx(new WriteTransaction());
  tx->engine_ = std::move(engine);
  tx->table_root_ = std::move(table_root);
  tx->new_protocol_ = std::move(protocol);
  tx->new_metadata_ = std::move(metadata);
  tx->operation_ = "CREATE TABLE";
  return tx;
}

void WriteTransaction::SetOperation(std::string operation, JsonValue parameters) {
  operation_ = std::move(operation);
  operation_parameters_ = std::move(parameters);
}

void WriteTransaction::SetMetric(const std::string& key, int64_t value) { metrics_[key] = value; }

void WriteTransaction::SetAppTransaction(std::string app_id, int64_t version) {
  Transaction t;
  t.app_id = std::move(app_id);
  t.version = version;
  app_txn_ = std::move(t);
}

void WriteTransaction::AddFiles(std::vector<AddFile> adds) {
  for (auto& a : adds) adds_.push_back(std::move(a));
}

void WriteTransaction::RemoveAllFiles(int64_t deletion_timestamp_ms) {
  read_whole_table_ = true;
  if (!snapshot_) return;
  for (const auto& f : snapshot_->files()) {
    RemoveFile r;
    r.path = f.path;
    r.deletion_timestamp = deletion_timestamp_ms;
    r.data_change = true;
    r.partition_values = f.partition_values;
    r.size = f.size;
    r.deletion_vector = f.deletion_vector;
    removes_.push_back(std::move(r));
  }
}

void WriteTransaction::RemoveFiles(std::vector<RemoveFile> removes) {
  for (auto& r : removes) removes_.push_back(std::move(r));
}

void WriteTransaction::AddChangeFiles(std::vector<CdcFile> cdcs) {
  for (auto& c : cdcs) cdcs_.push_back(std::move(c));
}

void WriteTransaction::ReadFiles(std::vector<std::string> paths,
                                 std::function<bool(const AddFile&)> may_match,
                                 std::string predicate) {
  read_tracked_ = true;
  for (auto& p : paths) read_paths_.push_back(std::move(p));
  read_may_match_ = std::move(may_match);
  read_predicate_ = std::move(predicate);
}

void WriteTransaction::UpdateMetadata(Metadata metadata) { new_metadata_ = std::move(metadata); }

void WriteTransaction::UpdateProtocol(Protocol protocol) { new_protocol_ = std::move(protocol); }

void WriteTransaction::AddRemoves(std::vector<RemoveFile> removes) {
  for (auto& r : removes) removes_.push_back(std::move(r));
}

void WriteTransaction::AddConflictCheck(
    std::function<Status(int64_t winner, const ActionBatch&)> check) {
  conflict_checks_.push_back(std::move(check));
}

int64_t WriteTransaction::read_version() const { return snapshot_ ? snapshot_->version() : -1; }

const Metadata& WriteTransaction::metadata() const {
  return new_metadata_ ? *new_metadata_ : snapshot_->metadata();
}

const Protocol& WriteTransaction::protocol() const {
  return new_protocol_ ? *new_protocol_ : snapshot_->protocol();
}

Result<std::string> WriteTransaction::CommitText(int64_t version, int64_t now_ms) const {
  std::string out;
  // commitInfo first, as Spark and delta-rs write it.
  JsonValue info = JsonValue::Object();
  info.Add("timestamp", JsonValue::Number(std::to_string(now_ms)));
  info.Add("operation", JsonValue::String(operation_));
  info.Add("operationParameters", operation_parameters_);
  if (read_version() >= 0) {
    info.Add("readVersion", JsonValue::Number(std::to_string(read_version())));
  }
  info.Add("isolationLevel", JsonValue::String("Serializable"));
  info.Add("isBlindAppend",
           JsonValue::Bool(removes_.empty() && !read_whole_table_ && !read_tracked_));
  JsonValue metrics = JsonValue::Object();
  for (const auto& [k, v] : metrics_) metrics.Add(k, JsonValue::String(std::to_string(v)));
  info.Add("operationMetrics", std::move(metrics));
  info.Add("engineInfo", JsonValue::String(ShoalEngineInfo()));
  info.Add("txnId", JsonValue::String(NewUuid()));
  JsonValue line = JsonValue::Object();
  line.Add("commitInfo", std::move(info));
  out += line.ToJson() + "\n";
  if (new_protocol_) out += ProtocolLine(*new_protocol_) + "\n";
  if (new_metadata_) out += MetadataLine(*new_metadata_) + "\n";
  if (app_txn_) {
    Transaction t = *app_txn_;
    t.last_updated = now_ms;
    out += TxnLine(t) + "\n";
  }
  for (const auto& r : removes_) out += RemoveLine(r) + "\n";
  for (const auto& a : adds_) out += AddLine(a) + "\n";
  for (const auto& c : cdcs_) out += CdcLine(c) + "\n";
  (void)version;
  return out;
}

Status WriteTransaction::CheckConflicts(int64_t winner, const ActionBatch& actions) const {
  auto conflict = [&](const std::string& what) {
    return Status::Invalid("concurrent modification: version ", winner, " of Delta table '",
                           table_root_, "' ", what, " (this transaction read version ",
                           read_version(), "); retry the operation");
  };
  if (!snapshot_) {
    return Status::AlreadyExists("concurrent modification: version ", winner,
                                 " of Delta table '", table_root_,
                                 "' was committed by another writer while this transaction "
                                 "created the table");
  }
  if (actions.protocol) return conflict("changed the table's protocol");
  if (actions.metadata) return conflict("changed the table's metadata (schema or properties)");
  if (app_txn_) {
    for (const auto& t : actions.txns) {
      if (t.app_id == app_txn_->app_id) {
        return conflict("committed a transaction for the same application id '" + t.app_id + "'");
      }
    }
  }
  if (!removes_.empty()) {
    std::set<std::string> ours;
    for (const auto& r : removes_) ours.insert(DecodeActionPath(r.path));
    for (const auto& r : actions.removes) {
      if (ours.count(DecodeActionPath(r.path))) {  // any remove, also dataChange = false
        return conflict("removed file '" + r.path + "', which this transaction also removes");
      }
    }
  }
  for (const auto& check : conflict_checks_) ARROW_RETURN_NOT_OK(check(winner, actions));
  if (read_tracked_) {
    std::set<std::string> read(read_paths_.begin(), read_paths_.end());
    for (const auto& r : actions.removes) {
      if (read.count(DecodeActionPath(r.path))) {  // e.g. OPTIMIZE compacted a file we read
        return conflict("removed file '" + r.path + "', which this transaction read");
      }
    }
    for (const auto& a : actions.adds) {
      if (a.data_change && (!read_may_match_ || read_may_match_(a))) {
        return conflict("added file '" + a.path + "', which may hold rows matching " +
                        (read_predicate_.empty() ? std::string("what this transaction read")
                                                 : "'" + read_predicate_ + "'"));
      }
    }
  }
  if (read_whole_table_) {
    for (const auto& a : actions.adds) {
      if (a.data_change) {
        return conflict("added files while this transaction overwrites the whole table");
      }
    }
  }
  return Status::OK();
}

Result<CommitResult> WriteTransaction::Commit(int32_t max_attempts) {
  if (committed_) return Status::Invalid("the transaction was already committed");
  committed_ = true;
  CommitResult result;
  if (app_txn_ && snapshot_) {
    for (const auto& t : snapshot_->transactions()) {
      if (t.app_id == app_txn_->app_id && t.version >= app_txn_->version) {
        result.version = snapshot_->version();
        result.noop = true;
        return result;
      }
    }
  }
  ARROW_RETURN_NOT_OK(CheckWriteSupported(protocol(), metadata(), table_root_));
  if (!removes_.empty()) {
    auto it = metadata().configuration.find("delta.appendOnly");
    if (it != metadata().configuration.end() && ToLower(it->second) == "true") {
      return Status::Invalid("Delta table '", table_root_,
                             "' is append-only (delta.appendOnly = true): files cannot be "
                             "removed or overwritten");
    }
  }
  const std::string log_root = JoinPath(table_root_, "_delta_log");
  int64_t version = read_version() + 1;
  for (int32_t attempt = 1; attempt <= max_attempts; ++attempt) {
    ARROW_ASSIGN_OR_RAISE(std::string text, CommitText(version, NowMs()));
    std::string path = JoinPath(log_root, VersionPrefix(version) + ".json");
    ShoalFailPoint("delta_before_commit_put");
    Status st = engine_->storage->PutIfAbsent(path, arrow::Buffer::FromString(std::move(text)));
    if (st.ok()) {
      ShoalFailPoint("delta_after_commit_put");
      result.version = version;
      result.attempts = attempt;
      return result;
    }
    if (!st.IsAlreadyExists()) {
      return st.WithMessage("cannot commit version ", version, " of Delta table '", table_root_,
                            "': ", st.message());
    }
    LogFile winner;
    winner.file.location = path;
    winner.version = version;
    winner.kind = LogFileKind::kCommit;
    ARROW_ASSIGN_OR_RAISE(auto actions, ReadCommit(*engine_, winner, table_root_));
    if (app_txn_) {
      for (const auto& t : actions.txns) {
        if (t.app_id == app_txn_->app_id && t.version >= app_txn_->version) {
          result.version = version;
          result.noop = true;
          result.attempts = attempt;
          return result;
        }
      }
    }
    ARROW_RETURN_NOT_OK(CheckConflicts(version, actions));
    ++version;
  }
  return Status::IOError("cannot commit to Delta table '", table_root_, "': gave up after ",
                         max_attempts, " attempts lost to concurrent writers");
}

}  // namespace shoal::delta
