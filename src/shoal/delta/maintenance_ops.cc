// RESTORE, OPTIMIZE, VACUUM and FSCK REPAIR of Delta tables (maintenance.h).
#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/constraints.h"
#include "shoal/delta/deletion_vector.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/delta/log_segment.h"
#include "shoal/delta/maintenance_internal.h"
#include "shoal/delta/transaction.h"

namespace shoal::delta {

namespace cp = arrow::compute;
using internal::NowMillis;
using internal::RemoveFor;
using internal::TableFilePath;

namespace {

constexpr int64_t kDefaultTargetSize = 100LL * 1024 * 1024;

std::string FileKey(const std::string& path, const std::optional<DeletionVectorDescriptor>& dv) {
  return DecodeActionPath(path) + "|" + (dv ? dv->UniqueId() : std::string());
}

Result<bool> FileExists(arrow::fs::FileSystem& fs, const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(auto info, fs.GetFileInfo(path));
  return info.type() != arrow::fs::FileType::NotFound;
}

void FillResult(MaintenanceResult* out, const std::string& op,
                const std::map<std::string, int64_t>& metrics) {
  out->operation = op;
  out->metrics = metrics;
}

Result<int64_t> CommitWith(WriteTransaction* tx, const std::string& op, JsonValue params,
                           const std::map<std::string, int64_t>& metrics) {
  tx->SetOperation(op, std::move(params));
  for (const auto& [k, v] : metrics) tx->SetMetric(k, v);
  ARROW_ASSIGN_OR_RAISE(auto committed, tx->Commit());
  return committed.version;
}

/// A conflict rule for operations that read the whole table (RESTORE, FSCK):
/// a concurrent commit that changed data conflicts.
void AddDataChangeConflictCheck(WriteTransaction* tx, const std::string& root,
                                const std::string& op) {
  tx->AddConflictCheck([root, op](int64_t winner, const ActionBatch& actions) -> Status {
    bool changed = false;
    for (const auto& a : actions.adds) changed = changed || a.data_change;
    for (const auto& r : actions.removes) changed = changed || r.data_change;
    if (!changed) return Status::OK();
    return Status::Invalid("concurrent modification: version ", winner, " of Delta table '",
                           root, "' changed data while ", op, " ran; retry the operation");
  });
}

// ---------------------------------------------------------------------------
// Z-order
// ---------------------------------------------------------------------------

/// Return the z-order key of every row: the ranks of the columns' values
/// (nulls last), scaled to the same number of bits, with their bits interleaved.
Result<std::shared_ptr<arrow::Array>> ZOrderKeys(const arrow::Table& table,
                                                 const std::vector<std::string>& columns) {
  int64_t n = table.num_rows();
  int k = static_cast<int>(columns.size());
  int bits = std::min(32, 64 / std::max(1, k));
  uint64_t max_scaled = (bits >= 64) ? ~0ULL : ((1ULL << bits) - 1);
  std::vector<std::vector<uint64_t>> scaled(k, std::vector<uint64_t>(n));
  for (int c = 0; c < k; ++c) {
    auto col = table.GetColumnByName(columns[c]);
    if (!col) return Status::Invalid("ZORDER BY column '", columns[c], "' does not exist");
    ARROW_ASSIGN_OR_RAISE(auto idx, cp::SortIndices(*col));
    const auto* order = static_cast<const arrow::UInt64Array&>(*idx).raw_values();
    for (int64_t i = 0; i < n; ++i) {
      uint64_t rank = static_cast<uint64_t>(i);
      double frac = n > 1 ? static_cast<double>(rank) / static_cast<double>(n - 1) : 0.0;
      scaled[c][order[i]] = static_cast<uint64_t>(std::llround(frac * static_cast<double>(max_scaled)));
    }
  }
  arrow::UInt64Builder keys;
  ARROW_RETURN_NOT_OK(keys.Reserve(n));
  for (int64_t r = 0; r < n; ++r) {
    uint64_t key = 0;
    for (int b = bits - 1; b >= 0; --b) {
      for (int c = 0; c < k; ++c) key = (key << 1) | ((scaled[c][r] >> b) & 1ULL);
    }
    keys.UnsafeAppend(key);
  }
  return keys.Finish();
}

}  // namespace

// ---------------------------------------------------------------------------
// RESTORE
// ---------------------------------------------------------------------------

Result<MaintenanceResult> RestoreTable(const TableLocation& table, const SnapshotSpec& target) {
  auto engine = MakeWriteEngine(table.fs);
  ARROW_ASSIGN_OR_RAISE(auto current, Snapshot::Make(engine, table.root));
  ARROW_RETURN_NOT_OK(CheckWriteSupported(current->protocol(), current->metadata(), table.root));
  int64_t version;
  if (target.version) {
    version = *target.version;
  } else if (target.timestamp_ms) {
    ARROW_ASSIGN_OR_RAISE(version, VersionAtTimestamp(*engine, table.root, *target.timestamp_ms));
  } else {
    return Status::Invalid("RESTORE needs a version or a timestamp");
  }
  if (version < 0 || version > current->version()) {
    return Status::Invalid("cannot restore Delta table '", table.root, "' to version ", version,
                           ": the table's versions are up to ", current->version());
  }
  if (version == current->version()) {
    return Status::Invalid("Delta table '", table.root, "' is already at version ", version);
  }
  auto old = Snapshot::Make(engine, table.root, SnapshotSpec{version, std::nullopt});
  if (!old.ok()) {
    return old.status().WithMessage("cannot restore Delta table '", table.root, "' to version ",
                                    version, ": ", old.status().message());
  }
  std::set<std::string> now_keys, old_keys;
  for (const auto& f : current->files()) now_keys.insert(FileKey(f.path, f.deletion_vector));
  for (const auto& f : (*old)->files()) old_keys.insert(FileKey(f.path, f.deletion_vector));
  std::vector<AddFile> adds;
  std::vector<RemoveFile> removes;
  int64_t restored_bytes = 0, removed_bytes = 0, size_after = 0;
  for (const auto& f : (*old)->files()) {
    size_after += f.size;
    if (now_keys.count(FileKey(f.path, f.deletion_vector))) continue;
    ARROW_ASSIGN_OR_RAISE(auto path, TableFilePath(table.root, f.path));
    ARROW_ASSIGN_OR_RAISE(bool exists, FileExists(*table.fs, path));
    if (!exists) {
      return Status::Invalid("cannot restore Delta table '", table.root, "' to version ",
                             version, ": data file '", f.path,
                             "' of that version no longer exists (removed by VACUUM?)");
    }
    AddFile a = f;
    a.data_change = true;
    a.stats_parsed = nullptr;
    restored_bytes += f.size;
    adds.push_back(std::move(a));
  }
  int64_t now = NowMillis();
  for (const auto& f : current->files()) {
    if (old_keys.count(FileKey(f.path, f.deletion_vector))) continue;
    removed_bytes += f.size;
    removes.push_back(RemoveFor(f, true, now));
  }
  ARROW_ASSIGN_OR_RAISE(auto tx, WriteTransaction::ForSnapshot(current));
  const Metadata& m_old = (*old)->metadata();
  const Metadata& m_now = current->metadata();
  if (m_old.schema_string != m_now.schema_string || m_old.configuration != m_now.configuration ||
      m_old.partition_columns != m_now.partition_columns) {
    Metadata m = m_old;
    tx->UpdateMetadata(std::move(m));
  }
  MaintenanceResult out;
  std::map<std::string, int64_t> metrics = {
      {"numRestoredFiles", static_cast<int64_t>(adds.size())},
      {"restoredFilesSize", restored_bytes},
      {"numRemovedFiles", static_cast<int64_t>(removes.size())},
      {"removedFilesSize", removed_bytes},
      {"numOfFilesAfterRestore", static_cast<int64_t>((*old)->files().size())},
      {"tableSizeAfterRestore", size_after}};
  FillResult(&out, "RESTORE", metrics);
  tx->AddFiles(std::move(adds));
  tx->AddRemoves(std::move(removes));
  AddDataChangeConflictCheck(tx.get(), table.root, "RESTORE");
  JsonValue params = JsonValue::Object();
  params.Add("version", JsonValue::Number(std::to_string(version)));
  if (target.timestamp_ms) {
    params.Add("timestamp", JsonValue::Number(std::to_string(*target.timestamp_ms)));
  }
  ARROW_ASSIGN_OR_RAISE(out.version, CommitWith(tx.get(), "RESTORE", std::move(params), metrics));
  return out;
}

// ---------------------------------------------------------------------------
// OPTIMIZE
// ---------------------------------------------------------------------------

Result<MaintenanceResult> OptimizeTable(const TableLocation& table,
                                        const OptimizeOptions& options) {
  auto engine = MakeWriteEngine(table.fs);
  ARROW_ASSIGN_OR_RAISE(auto snap, Snapshot::Make(engine, table.root));
  ARROW_RETURN_NOT_OK(CheckWriteSupported(snap->protocol(), snap->metadata(), table.root));
  const auto& config = snap->metadata().configuration;
  const auto& parts = snap->metadata().partition_columns;
  int64_t target = options.target_size;
  if (target <= 0) {
    ARROW_ASSIGN_OR_RAISE(target, IntProperty(config, "delta.targetFileSize", kDefaultTargetSize));
  }
  for (const auto& c : options.zorder_by) {
    if (!snap->schema()->GetFieldByName(c)) {
      return Status::Invalid("ZORDER BY column '", c, "' is not a column of Delta table '",
                             table.root, "'");
    }
    if (std::find(parts.begin(), parts.end(), c) != parts.end()) {
      return Status::Invalid("ZORDER BY column '", c, "' is a partition column");
    }
  }
  if (!options.partition_predicate.empty()) {
    if (!options.evaluator) return Status::Invalid("OPTIMIZE WHERE needs an expression evaluator");
    if (parts.empty()) {
      return Status::Invalid("OPTIMIZE WHERE needs a partitioned table; Delta table '",
                             table.root, "' has no partition columns");
    }
  }
  // Files per partition, in log order.
  std::map<std::string, std::vector<const AddFile*>> groups;
  std::map<std::string, PartitionValueMap> group_values;
  for (const auto& f : snap->files()) {
    std::string key;
    for (const auto& p : parts) {
      auto it = f.partition_values.find(p);
      key += (it != f.partition_values.end() && it->second) ? "v" + *it->second : "n";
      key += '\x1f';
    }
    groups[key].push_back(&f);
    group_values[key] = f.partition_values;
  }
  int64_t considered = 0, skipped = 0, partitions = 0, batches = 0;
  int64_t bytes_removed = 0;
  std::vector<std::vector<const AddFile*>> bins;
  for (auto& [key, files] : groups) {
    if (!options.partition_predicate.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto pv, internal::PartitionValuesBatch(*snap, group_values[key]));
      auto verdict = options.evaluator->Evaluate(options.partition_predicate, *pv);
      if (!verdict.ok()) {
        return verdict.status().WithMessage(
            "OPTIMIZE WHERE may only use partition columns (", Join(parts, ", "), "): ",
            verdict.status().message());
      }
      const auto& b = static_cast<const arrow::BooleanArray&>(**verdict);
      if ((*verdict)->type_id() != arrow::Type::BOOL || b.IsNull(0) || !b.Value(0)) continue;
    }
    considered += static_cast<int64_t>(files.size());
    size_t before = bins.size();
    if (!options.zorder_by.empty()) {
      bins.push_back(files);
    } else {
      std::vector<const AddFile*> small;
      for (const auto* f : files) {
        if (f->size < target) {
          small.push_back(f);
        } else {
          ++skipped;
        }
      }
      std::vector<const AddFile*> bin;
      int64_t bin_size = 0;
      auto flush = [&]() {
        if (bin.size() >= 2) {
          bins.push_back(bin);
        } else {
          skipped += static_cast<int64_t>(bin.size());
        }
        bin.clear();
        bin_size = 0;
      };
      for (const auto* f : small) {
        if (!bin.empty() && bin_size + f->size > target) flush();
        bin.push_back(f);
        bin_size += f->size;
      }
      flush();
    }
    if (bins.size() > before) ++partitions;
  }
  MaintenanceResult out;
  out.operation = "OPTIMIZE";
  std::vector<AddFile> adds;
  std::vector<RemoveFile> removes;
  std::vector<std::string> written;
  int64_t now = NowMillis();
  Status st = [&]() -> Status {
    for (const auto& bin : bins) {
      ++batches;
      std::vector<std::shared_ptr<arrow::RecordBatch>> rows;
      for (const auto* f : bin) {
        ARROW_ASSIGN_OR_RAISE(auto reader, internal::ReadTableFile(*snap, table, *f));
        while (true) {
          std::shared_ptr<arrow::RecordBatch> b;
          ARROW_RETURN_NOT_OK(reader->ReadNext(&b));
          if (!b) break;
          if (b->num_rows() > 0) rows.push_back(b);
        }
        removes.push_back(RemoveFor(*f, false, now));
        bytes_removed += f->size;
      }
      ARROW_ASSIGN_OR_RAISE(auto all, arrow::Table::FromRecordBatches(snap->schema(), rows));
      if (!options.zorder_by.empty() && all->num_rows() > 1) {
        ARROW_ASSIGN_OR_RAISE(all, all->CombineChunks());
        ARROW_ASSIGN_OR_RAISE(auto keys, ZOrderKeys(*all, options.zorder_by));
        ARROW_ASSIGN_OR_RAISE(auto order, cp::SortIndices(*keys));
        ARROW_ASSIGN_OR_RAISE(auto sorted, cp::Take(all, order));
        all = sorted.table();
      }
      arrow::TableBatchReader reader(*all);
      int64_t bytes = 0;
      ARROW_ASSIGN_OR_RAISE(auto files, WriteDataFiles(table.fs, table.root, snap->schema(), parts,
                                                       config, target, &reader, false, &bytes));
      for (auto& a : files) {
        ARROW_ASSIGN_OR_RAISE(auto p, TableFilePath(table.root, a.path));
        written.push_back(p);
        adds.push_back(std::move(a));
      }
    }
    return Status::OK();
  }();
  auto cleanup = [&]() {
    for (const auto& p : written) (void)table.fs->DeleteFile(p);
  };
  if (!st.ok()) {
    cleanup();
    return st.WithMessage("OPTIMIZE of Delta table '", table.root, "': ", st.message());
  }
  int64_t bytes_added = 0;
  for (const auto& a : adds) bytes_added += a.size;
  std::map<std::string, int64_t> metrics = {
      {"numFilesAdded", static_cast<int64_t>(adds.size())},
      {"numFilesRemoved", static_cast<int64_t>(removes.size())},
      {"numBytesAdded", bytes_added},
      {"numBytesRemoved", bytes_removed},
      {"partitionsOptimized", partitions},
      {"numBatches", batches},
      {"totalConsideredFiles", considered},
      {"totalFilesSkipped", skipped}};
  out.metrics = metrics;
  if (removes.empty()) return out;  // nothing to compact: no commit
  ARROW_ASSIGN_OR_RAISE(auto tx, WriteTransaction::ForSnapshot(snap));
  tx->AddFiles(std::move(adds));
  tx->AddRemoves(std::move(removes));
  JsonValue params = JsonValue::Object();
  JsonValue preds = JsonValue::Array();
  if (!options.partition_predicate.empty()) {
    preds.Append(JsonValue::String(options.partition_predicate));
  }
  params.Add("predicate", JsonValue::String(preds.ToJson()));
  JsonValue z = JsonValue::Array();
  for (const auto& c : options.zorder_by) z.Append(JsonValue::String(c));
  params.Add("zOrderBy", JsonValue::String(z.ToJson()));
  params.Add("targetSize", JsonValue::String(std::to_string(target)));
  auto version = CommitWith(tx.get(), "OPTIMIZE", std::move(params), metrics);
  if (!version.ok()) {
    cleanup();
    return version.status();
  }
  out.version = *version;
  return out;
}

// ---------------------------------------------------------------------------
// VACUUM
// ---------------------------------------------------------------------------

Result<MaintenanceResult> VacuumTable(const TableLocation& table, const VacuumOptions& options) {
  auto engine = MakeWriteEngine(table.fs);
  ARROW_ASSIGN_OR_RAISE(auto snap, Snapshot::Make(engine, table.root));
  ARROW_RETURN_NOT_OK(CheckWriteSupported(snap->protocol(), snap->metadata(), table.root));
  const auto& config = snap->metadata().configuration;
  auto it = config.find("delta.deletedFileRetentionDuration");
  int64_t default_ms = 7LL * 24 * 3600 * 1000;
  if (it != config.end()) {
    ARROW_ASSIGN_OR_RAISE(default_ms,
                          ParseIntervalMillis("delta.deletedFileRetentionDuration", it->second));
  }
  int64_t retention_ms = default_ms;
  if (options.retention_hours) {
    if (*options.retention_hours < 0) return Status::Invalid("VACUUM retention must not be negative");
    retention_ms = static_cast<int64_t>(*options.retention_hours * 3600e3);
  }
  if (options.enforce_retention && retention_ms < default_ms) {
    auto hours = [](int64_t ms) {
      std::string s = std::to_string(static_cast<double>(ms) / 3600e3);
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
      return s;
    };
    return Status::Invalid(
        "VACUUM retention of ", hours(retention_ms), " hours on Delta table '", table.root,
        "' is shorter than delta.deletedFileRetentionDuration (", hours(default_ms),
        " hours): readers of older versions and concurrent writers may still need those files. "
        "To vacuum anyway, SET shoal.delta.vacuum_retention_check = false (Python: "
        "enforce_retention_duration=False)");
  }
  int64_t now = NowMillis();
  int64_t cutoff = now - retention_ms;
  // Files that must stay: the current snapshot's (and their deletion vectors),
  // and those removed within the retention (tombstones, read from the commits).
  std::set<std::string> keep;
  auto keep_file = [&](const std::string& raw,
                       const std::optional<DeletionVectorDescriptor>& dv) -> Status {
    ARROW_ASSIGN_OR_RAISE(auto p, TableFilePath(table.root, raw));
    keep.insert(p);
    if (dv && dv->storage_type != "i") {
      auto dvp = DeletionVectorPath(*dv, table.root);
      if (dvp.ok()) keep.insert(*dvp);
    }
    return Status::OK();
  };
  for (const auto& f : snap->files()) ARROW_RETURN_NOT_OK(keep_file(f.path, f.deletion_vector));
  const std::string log_dir = JoinPath(table.root, "_delta_log");
  ARROW_ASSIGN_OR_RAISE(auto listed, engine->storage->ListFrom(JoinPath(log_dir, VersionPrefix(0))));
  for (const auto& f : listed) {
    auto parsed = ParseLogFileName(f);
    if (!parsed || parsed->kind != LogFileKind::kCommit || parsed->version > snap->version()) {
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto actions, ReadCommit(*engine, *parsed, table.root));
    for (const auto& r : actions.removes) {
      if (!r.deletion_timestamp || *r.deletion_timestamp > cutoff) {
        ARROW_RETURN_NOT_OK(keep_file(r.path, r.deletion_vector));
      }
    }
  }
  arrow::fs::FileSelector selector;
  selector.base_dir = table.root;
  selector.recursive = true;
  ARROW_ASSIGN_OR_RAISE(auto infos, table.fs->GetFileInfo(selector));
  std::vector<std::string> to_delete;
  int64_t bytes = 0;
  for (const auto& info : infos) {
    if (info.type() != arrow::fs::FileType::File) continue;
    std::string rel = info.path().substr(std::min(info.path().size(), table.root.size() + 1));
    // Never hidden files or directories (_delta_log, _change_data, .tmp, ...),
    // except partition directories such as "_p=1".
    bool hidden = false;
    size_t start = 0;
    while (start <= rel.size()) {
      size_t slash = rel.find('/', start);
      std::string part = rel.substr(start, slash == std::string::npos ? std::string::npos
                                                                        : slash - start);
      bool is_dir = slash != std::string::npos;
      if (!part.empty() && (part[0] == '_' || part[0] == '.') &&
          !(is_dir && part.find('=') != std::string::npos)) {
        hidden = true;
      }
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (hidden || keep.count(info.path())) continue;
    int64_t mtime_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           info.mtime().time_since_epoch())
                           .count();
    if (mtime_ms > cutoff) continue;
    to_delete.push_back(rel);
    bytes += std::max<int64_t>(info.size(), 0);
  }
  std::sort(to_delete.begin(), to_delete.end());
  MaintenanceResult out;
  out.operation = "VACUUM";
  out.files = to_delete;
  out.dry_run = options.dry_run;
  out.metrics = {{"numFilesToDelete", static_cast<int64_t>(to_delete.size())},
                 {"sizeOfDataToDelete", bytes}};
  if (options.dry_run) return out;
  {
    ARROW_ASSIGN_OR_RAISE(auto tx, WriteTransaction::ForSnapshot(snap));
    JsonValue params = JsonValue::Object();
    params.Add("retentionCheckEnabled", JsonValue::Bool(options.enforce_retention));
    params.Add("specifiedRetentionMillis", JsonValue::Number(std::to_string(retention_ms)));
    params.Add("defaultRetentionMillis", JsonValue::Number(std::to_string(default_ms)));
    ARROW_RETURN_NOT_OK(
        CommitWith(tx.get(), "VACUUM START", std::move(params), out.metrics).status());
  }
  int64_t deleted = 0;
  for (const auto& rel : to_delete) {
    Status st = table.fs->DeleteFile(JoinPath(table.root, rel));
    if (st.ok()) ++deleted;
  }
  ARROW_ASSIGN_OR_RAISE(auto after, Snapshot::Make(engine, table.root));
  ARROW_ASSIGN_OR_RAISE(auto tx, WriteTransaction::ForSnapshot(after));
  JsonValue params = JsonValue::Object();
  params.Add("status", JsonValue::String("COMPLETED"));
  std::map<std::string, int64_t> end_metrics = {{"numDeletedFiles", deleted},
                                                {"numVacuumedDirectories", 0}};
  ARROW_ASSIGN_OR_RAISE(out.version,
                        CommitWith(tx.get(), "VACUUM END", std::move(params), end_metrics));
  out.metrics["numDeletedFiles"] = deleted;
  return out;
}

// ---------------------------------------------------------------------------
// Expired log cleanup
// ---------------------------------------------------------------------------

Result<int64_t> CleanupExpiredLogs(const TableLocation& table,
                                   const std::map<std::string, std::string>& configuration,
                                   int64_t checkpoint_version) {
  auto enabled = configuration.find("delta.enableExpiredLogCleanup");
  if (enabled != configuration.end() && ToLower(enabled->second) == "false") return 0;
  int64_t retention_ms = 30LL * 86400 * 1000;
  auto it = configuration.find("delta.logRetentionDuration");
  if (it != configuration.end()) {
    ARROW_ASSIGN_OR_RAISE(retention_ms,
                          ParseIntervalMillis("delta.logRetentionDuration", it->second));
  }
  int64_t cutoff = NowMillis() - retention_ms;
  auto engine = MakeWriteEngine(table.fs);
  const std::string log_dir = JoinPath(table.root, "_delta_log");
  ARROW_ASSIGN_OR_RAISE(auto listed, engine->storage->ListFrom(JoinPath(log_dir, VersionPrefix(0))));
  int64_t deleted = 0;
  for (const auto& f : listed) {
    auto parsed = ParseLogFileName(f);
    if (!parsed || parsed->version >= checkpoint_version) continue;
    if (f.last_modified_ms <= 0 || f.last_modified_ms > cutoff) continue;
    switch (parsed->kind) {
      case LogFileKind::kCommit:
      case LogFileKind::kClassicCheckpoint:
      case LogFileKind::kMultiPartCheckpoint:
      case LogFileKind::kUuidCheckpoint:
        break;
      default:
        continue;  // compactions, CRC files, ...: left alone
    }
    if (table.fs->DeleteFile(f.location).ok()) ++deleted;
  }
  return deleted;
}

// ---------------------------------------------------------------------------
// FSCK REPAIR
// ---------------------------------------------------------------------------

Result<MaintenanceResult> RepairTable(const TableLocation& table, bool dry_run) {
  auto engine = MakeWriteEngine(table.fs);
  ARROW_ASSIGN_OR_RAISE(auto snap, Snapshot::Make(engine, table.root));
  ARROW_RETURN_NOT_OK(CheckWriteSupported(snap->protocol(), snap->metadata(), table.root));
  MaintenanceResult out;
  out.operation = "FSCK";
  out.dry_run = dry_run;
  std::vector<RemoveFile> removes;
  int64_t now = NowMillis();
  for (const auto& f : snap->files()) {
    ARROW_ASSIGN_OR_RAISE(auto path, TableFilePath(table.root, f.path));
    ARROW_ASSIGN_OR_RAISE(bool exists, FileExists(*table.fs, path));
    if (exists) continue;
    out.files.push_back(DecodeActionPath(f.path));
    removes.push_back(RemoveFor(f, true, now));
  }
  out.metrics = {{"numFilesRemoved", static_cast<int64_t>(removes.size())}};
  if (dry_run || removes.empty()) return out;
  ARROW_ASSIGN_OR_RAISE(auto tx, WriteTransaction::ForSnapshot(snap));
  tx->AddRemoves(std::move(removes));
  ARROW_ASSIGN_OR_RAISE(out.version,
                        CommitWith(tx.get(), "FSCK", JsonValue::Object(), out.metrics));
  return out;
}

}  // namespace shoal::delta
