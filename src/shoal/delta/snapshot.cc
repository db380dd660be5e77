#include "shoal/delta/snapshot.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string_view>
#include <unordered_map>

#include <arrow/buffer.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "shoal/common/strings.h"

namespace shoal::delta {

namespace {

const std::set<std::string>& SupportedReaderFeatures() {
  static const std::set<std::string> kFeatures = {
      "columnMapping",       "deletionVectors", "timestampNtz",        "v2Checkpoint",
      "vacuumProtocolCheck", "typeWidening",    "typeWidening-preview", "domainMetadata",
      "variantType",         "variantType-preview",
      "appendOnly",          "invariants",      "checkConstraints",    "changeDataFeed",
      "generatedColumns",    "identityColumns", "rowTracking",         "inCommitTimestamp",
      "icebergCompatV1",     "icebergCompatV2", "clustering",          "allowColumnDefaults"};
  return kFeatures;
}

/// Write the key of a logical file to `key`: its decoded path, '\0', and the
/// deletion vector's unique id (PROTOCOL.md: files are identified by both).
void BuildFileKey(const std::string& path, const std::optional<DeletionVectorDescriptor>& dv,
                  std::string* key) {
  key->clear();
  if (path.find('%') != std::string::npos || path.rfind("file:", 0) == 0) {
    key->append(DecodeActionPath(path));
  } else {
    key->append(path);  // DecodeActionPath would return it unchanged
  }
  key->push_back('\0');
  if (dv) {
    key->append(dv->storage_type);
    key->append(dv->path_or_inline_dv);
    if (dv->offset) {
      key->push_back('@');
      key->append(std::to_string(*dv->offset));
    }
  }
}

/// A set of file keys stored in one arena (no allocation per key): open
/// addressing over (hash, offset, length) slots.
class FileKeySet {
 public:
  /// Insert `key`; return true when it was not there.
  bool Insert(std::string_view key) {
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
    const uint64_t h = Hash(key);
    size_t i = h & (slots_.size() - 1);
    while (slots_[i].hash != 0) {
      if (slots_[i].hash == h && View(slots_[i]) == key) return false;
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = Slot{h, arena_.size(), key.size()};
    arena_.append(key);
    ++count_;
    return true;
  }
  /// Return true when `key` is in the set.
  bool Contains(std::string_view key) const {
    if (count_ == 0) return false;
    const uint64_t h = Hash(key);
    size_t i = h & (slots_.size() - 1);
    while (slots_[i].hash != 0) {
      if (slots_[i].hash == h && View(slots_[i]) == key) return true;
      i = (i + 1) & (slots_.size() - 1);
    }
    return false;
  }
  bool empty() const { return count_ == 0; }

 private:
  struct Slot {
    uint64_t hash = 0;  ///< 0: empty
    size_t offset = 0;
    size_t length = 0;
  };
  static uint64_t Hash(std::string_view key) {
    uint64_t h = std::hash<std::string_view>()(key);
    return h == 0 ? 1 : h;
  }
  std::string_view View(const Slot& s) const {
    return std::string_view(arena_.data() + s.offset, s.length);
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    for (const Slot& s : old) {
      if (s.hash == 0) continue;
      size_t i = s.hash & (slots_.size() - 1);
      while (slots_[i].hash != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t count_ = 0;
};

/// Rows per record batch when streaming checkpoint files.
constexpr int64_t kCheckpointBatchRows = 8192;
/// Commit files read and parsed together (bounds the memory of parsed commits).
constexpr size_t kCommitWindow = 128;

/// Return the checkpoint columns log replay needs: every action but `remove`
/// (checkpoint removes are tombstones of files no longer live).
const std::vector<std::string>& ReplayCheckpointColumns() {
  static const std::vector<std::string> kColumns = [] {
    std::vector<std::string> out;
    for (const auto& c : CheckpointColumns()) {
      if (c != "remove") out.push_back(c);
    }
    return out;
  }();
  return kColumns;
}

/// Read one checkpoint part (and the sidecars it references), calling
/// `consume` with the actions of every batch of rows.
Status ReadCheckpointPart(const Engine& engine, const LogSegment& seg, const LogFile& part,
                          const std::function<Status(ActionBatch*)>& consume) {
  auto named = [&](const Status& st) {
    return Status::FromArgs(st.code(), "cannot read checkpoint '", part.name(), "' (version ",
                            part.version, ") of Delta table '", seg.table_root, "': ",
                            st.message());
  };
  std::vector<Sidecar> sidecars;
  auto take = [&](ActionBatch* batch) {
    for (auto& sc : batch->sidecars) sidecars.push_back(std::move(sc));
    batch->sidecars.clear();
    return consume(batch);
  };
  if (part.kind == LogFileKind::kUuidCheckpoint && part.is_json) {
    auto data = engine.storage->ReadFile(part.file.location);
    if (!data.ok()) return named(data.status());
    ActionBatch batch;
    Status st = engine.json->ParseLines(**data, part.file.location,
                                        [&](int64_t, const JsonValue& line) {
                                          return ParseJsonAction(line, &batch);
                                        });
    if (!st.ok()) return named(st);
    ARROW_RETURN_NOT_OK(take(&batch));
  } else {
    Status st = engine.parquet->ReadParquetBatches(
        part.file, ReplayCheckpointColumns(), kCheckpointBatchRows,
        [&](const arrow::RecordBatch& rows) {
          ActionBatch batch;
          ARROW_RETURN_NOT_OK(ParseCheckpointBatch(rows, &batch));
          return take(&batch);
        });
    if (!st.ok()) return named(st);
  }
  // v2 checkpoints reference sidecar files holding the file actions.
  for (const auto& sc : sidecars) {
    std::string path = sc.path.find("://") != std::string::npos || (!sc.path.empty() && sc.path[0] == '/')
                           ? DecodeActionPath(sc.path)
                           : JoinPath(JoinPath(seg.log_root, "_sidecars"), DecodeActionPath(sc.path));
    // The size is not trusted for ranged reads: the whole file is read.
    FileMeta meta{path, -1, sc.modification_time};
    Status st = engine.parquet->ReadParquetBatches(
        meta, {"add"}, kCheckpointBatchRows, [&](const arrow::RecordBatch& rows) {
          ActionBatch batch;
          ARROW_RETURN_NOT_OK(ParseCheckpointBatch(rows, &batch));
          return consume(&batch);
        });
    if (!st.ok()) {
      return Status::FromArgs(st.code(), "cannot read sidecar '", sc.path,
                              "' of checkpoint '", part.name(), "' of Delta table '",
                              seg.table_root, "': ", st.message());
    }
  }
  return Status::OK();
}

std::optional<int64_t> CommitTimestamp(const std::optional<JsonValue>& info) {
  if (!info) return std::nullopt;
  if (const JsonValue* ict = info->Find("inCommitTimestamp")) {
    if (auto v = ict->AsInt64()) return v;
  }
  return std::nullopt;
}

}  // namespace

Status CheckReadSupported(const Protocol& protocol, const std::string& table_root) {
  if (protocol.min_reader_version < 1) {
    return Status::Invalid("Delta table '", table_root, "' has an invalid protocol: reader version ",
                           protocol.min_reader_version);
  }
  if (protocol.min_reader_version > 3) {
    return Status::NotImplemented("Delta table '", table_root, "' requires reader version ",
                                  protocol.min_reader_version,
                                  "; Shoal supports reader versions 1 to 3");
  }
  if (protocol.min_reader_version == 3) {
    if (!protocol.reader_features) {
      return Status::Invalid("Delta table '", table_root,
                             "' has an invalid protocol: reader version 3 without readerFeatures");
    }
    for (const auto& f : *protocol.reader_features) {
      if (!SupportedReaderFeatures().count(f)) {
        return Status::NotImplemented("Delta table '", table_root, "' requires the reader feature '",
                                      f, "', which Shoal does not support");
      }
    }
  }
  return Status::OK();
}

Result<ActionBatch> ReadCommit(const Engine& engine, const LogFile& commit,
                               const std::string& table_root) {
  auto named = [&](const Status& st) {
    return Status::FromArgs(st.code(), "cannot read version ", commit.version, " of Delta table '",
                            table_root, "' ('", commit.name(), "'): ", st.message());
  };
  auto data = engine.storage->ReadFile(commit.file.location);
  if (!data.ok()) return named(data.status());
  ActionBatch batch;
  Status st = engine.json->ParseActionLines(**data, commit.name(), &batch);
  if (!st.ok()) return named(st);
  return batch;
}

Result<std::shared_ptr<const Snapshot>> Snapshot::Make(std::shared_ptr<Engine> engine,
                                                       const std::string& table_root,
                                                       const SnapshotSpec& spec) {
  std::optional<int64_t> version = spec.version;
  if (spec.timestamp_ms) {
    if (spec.version) {
      return Status::Invalid("give either a version or a timestamp for Delta table '", table_root,
                             "', not both");
    }
    ARROW_ASSIGN_OR_RAISE(auto v, VersionAtTimestamp(*engine, table_root, *spec.timestamp_ms));
    version = v;
  }
  std::shared_ptr<Snapshot> snap(new Snapshot());
  snap->engine_ = engine;
  ARROW_ASSIGN_OR_RAISE(snap->segment_, BuildLogSegment(*engine, table_root, version));
  const LogSegment& seg = snap->segment_;
  snap->timestamp_ms_ = seg.timestamp_ms;

  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  FileKeySet seen;
  std::string key;
  std::unordered_map<std::string, Transaction> txns;
  bool newest = true;
  // Commits newest to oldest, read and parsed a window at a time in parallel,
  // reconciled in order (errors come out as a sequential replay reports them).
  const auto& commits = seg.commits;
  for (size_t done = 0; done < commits.size();) {
    const size_t n = std::min(kCommitWindow, commits.size() - done);
    std::vector<ActionBatch> batches(n);
    std::vector<Status> statuses(n);
    ARROW_RETURN_NOT_OK(RunTasks(engine->tasks.get(), static_cast<int64_t>(n), [&](int64_t i) {
      const LogFile& commit = commits[commits.size() - 1 - done - static_cast<size_t>(i)];
      auto batch = ReadCommit(*engine, commit, table_root);
      if (batch.ok()) {
        batches[i] = std::move(*batch);
      } else {
        statuses[i] = batch.status();
      }
      return Status::OK();
    }));
    for (size_t i = 0; i < n; ++i) {
      ARROW_RETURN_NOT_OK(statuses[i]);
      ActionBatch& batch = batches[i];
      if (newest) {
        if (auto ict = CommitTimestamp(batch.commit_info)) snap->timestamp_ms_ = *ict;
        newest = false;
      }
      if (!protocol && batch.protocol) {
        protocol = std::move(batch.protocol);
        // Refuse unsupported tables before reading more of the log.
        ARROW_RETURN_NOT_OK(CheckReadSupported(*protocol, table_root));
      }
      if (!metadata && batch.metadata) metadata = std::move(batch.metadata);
      for (auto& t : batch.txns) txns.emplace(t.app_id, t);
      for (const auto& r : batch.removes) {
        BuildFileKey(r.path, r.deletion_vector, &key);
        seen.Insert(key);
      }
      for (auto& a : batch.adds) {
        BuildFileKey(a.path, a.deletion_vector, &key);
        if (seen.Insert(key)) snap->files_.push_back(std::move(a));
      }
      batch = ActionBatch();  // free as we go
    }
    done += n;
  }
  if (!seg.checkpoint_parts.empty()) {
    // Streamed batch by batch: only the live adds are kept.
    std::optional<Protocol> cp_protocol;
    std::optional<Metadata> cp_metadata;
    auto consume = [&](ActionBatch* batch) -> Status {
      if (batch->protocol) cp_protocol = std::move(batch->protocol);
      if (batch->metadata) cp_metadata = std::move(batch->metadata);
      for (auto& t : batch->txns) txns.emplace(t.app_id, t);
      // Checkpoint adds are live unless a newer commit removed or replaced them.
      for (auto& a : batch->adds) {
        if (!seen.empty()) {
          BuildFileKey(a.path, a.deletion_vector, &key);
          if (seen.Contains(key)) continue;
        }
        snap->files_.push_back(std::move(a));
      }
      return Status::OK();
    };
    if (seg.checkpoint_num_add_files) {
      // Size the file list once. The count is only a hint: bound it by the
      // checkpoint's bytes (an add takes more than a byte) and give back what a
      // wrong hint over-reserved once loaded.
      int64_t bytes = 0;
      for (const auto& part : seg.checkpoint_parts) bytes += std::max<int64_t>(part.file.size, 0);
      const int64_t hint = std::min(*seg.checkpoint_num_add_files, bytes);
      snap->files_.reserve(snap->files_.size() + static_cast<size_t>(std::max<int64_t>(hint, 0)));
    }
    for (const auto& part : seg.checkpoint_parts) {
      ARROW_RETURN_NOT_OK(ReadCheckpointPart(*engine, seg, part, consume));
    }
    if (!protocol && cp_protocol) {
      protocol = std::move(cp_protocol);
      ARROW_RETURN_NOT_OK(CheckReadSupported(*protocol, table_root));
    }
    if (!metadata && cp_metadata) metadata = std::move(cp_metadata);
  }
  std::string at = " at version " + std::to_string(seg.version);
  if (!protocol) {
    return Status::Invalid("Delta table '", table_root, "'", at, " has no protocol action in its log");
  }
  if (!metadata) {
    return Status::Invalid("Delta table '", table_root, "'", at, " has no metaData action in its log");
  }
  if (ToLower(metadata->format_provider) != "parquet") {
    return Status::NotImplemented("Delta table '", table_root, "' stores its data as '",
                                  metadata->format_provider, "'; only parquet is supported");
  }
  if (metadata->schema_string.empty()) {
    return Status::Invalid("Delta table '", table_root, "'", at,
                           ": its metaData action has no schemaString");
  }
  snap->protocol_ = std::move(*protocol);
  snap->metadata_ = std::move(*metadata);
  auto schema = ParseSchemaString(snap->metadata_.schema_string);
  if (!schema.ok()) {
    return schema.status().WithMessage("Delta table '", table_root, "'", at, ": ",
                                       schema.status().message());
  }
  snap->annotated_schema_ = *schema;
  snap->schema_ = StripDeltaMetadata(*schema);
  auto mode = GetColumnMappingMode(snap->metadata_);
  if (!mode.ok()) return mode.status().WithMessage("Delta table '", table_root, "': ", mode.status().message());
  snap->mapping_mode_ = *mode;
  for (const auto& p : snap->metadata_.partition_columns) {
    if (snap->schema_->GetFieldIndex(p) < 0) {
      return Status::Invalid("Delta table '", table_root, "'", at, ": partition column '", p,
                             "' is not in the schema");
    }
  }
  if (snap->files_.capacity() > snap->files_.size() + snap->files_.size() / 2 + 1024) {
    snap->files_.shrink_to_fit();
  }
  // Oldest-first file order (the order files were added) reads naturally.
  std::reverse(snap->files_.begin(), snap->files_.end());
  for (auto& [k, t] : txns) snap->txns_.push_back(t);
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

Result<std::vector<CommitSummary>> ReadHistory(const Engine& engine, const std::string& table_root,
                                               std::optional<int64_t> limit) {
  ARROW_ASSIGN_OR_RAISE(auto commits, ListCommitFiles(engine, table_root));
  if (commits.empty()) {
    return Status::Invalid("'", table_root, "' is not a Delta table: its _delta_log has no commits");
  }
  std::vector<CommitSummary> out;
  for (auto it = commits.rbegin(); it != commits.rend(); ++it) {
    if (limit && static_cast<int64_t>(out.size()) >= *limit) break;
    ARROW_ASSIGN_OR_RAISE(auto batch, ReadCommit(engine, *it, table_root));
    CommitSummary s;
    s.version = it->version;
    s.timestamp_ms = it->file.last_modified_ms;
    if (auto ict = CommitTimestamp(batch.commit_info)) {
      s.timestamp_ms = *ict;
    } else if (batch.commit_info) {
      if (const JsonValue* ts = batch.commit_info->Find("timestamp")) {
        if (auto v = ts->AsInt64()) s.timestamp_ms = *v;
      }
    }
    s.commit_info = std::move(batch.commit_info);
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// The version of `commits` (ascending) committed last at or before `timestamp_ms`
// by `ts(i)`, kept monotonic (a commit never counts as older than one before it).
template <typename TimestampOf>
Result<std::optional<size_t>> LastAtOrBefore(size_t n, int64_t timestamp_ms, TimestampOf ts) {
  std::optional<size_t> found;
  int64_t running = INT64_MIN;
  for (size_t i = 0; i < n; ++i) {
    ARROW_ASSIGN_OR_RAISE(int64_t t, ts(i));
    running = std::max(running, t);
    if (running > timestamp_ms) break;
    found = i;
  }
  return found;
}

bool ConfigTrue(const Metadata& m, const char* key) {
  auto it = m.configuration.find(key);
  return it != m.configuration.end() && ToLower(it->second) == "true";
}

}  // namespace

Result<int64_t> VersionAtTimestamp(const Engine& engine, const std::string& table_root,
                                   int64_t timestamp_ms) {
  ARROW_ASSIGN_OR_RAISE(auto commits, ListCommitFiles(engine, table_root));
  if (commits.empty()) {
    return Status::Invalid("'", table_root, "' is not a Delta table: its _delta_log has no commits");
  }
  auto too_early = [&](int64_t first_version) {
    return Status::Invalid("Delta table '", table_root, "' has no version at or before the timestamp ",
                           timestamp_ms, " ms: its first commit (version ", first_version,
                           ") is later");
  };
  // In-commit timestamps (table feature inCommitTimestamp): versions from the
  // enablement version on are timed by commitInfo.inCommitTimestamp, older ones by
  // their files' modification times. Enabled tables write it in every commit, so a
  // latest commit without one means the feature is off.
  ARROW_ASSIGN_OR_RAISE(auto latest, ReadCommit(engine, commits.back(), table_root));
  size_t ict_from = commits.size();  // index of the first commit timed by ICT
  if (CommitTimestamp(latest.commit_info)) {
    // The table properties: from the newest commit with a metaData action, else
    // (only in a checkpoint) from the latest snapshot.
    std::optional<Metadata> metadata = std::move(latest.metadata);
    for (size_t k = commits.size() - 1; !metadata && k > 0 && commits.size() - k <= 100; --k) {
      ARROW_ASSIGN_OR_RAISE(auto batch, ReadCommit(engine, commits[k - 1], table_root));
      metadata = std::move(batch.metadata);
    }
    if (!metadata) {
      // The engine outlives this call: a non-owning pointer is enough for Make.
      std::shared_ptr<Engine> borrowed(std::shared_ptr<Engine>(), const_cast<Engine*>(&engine));
      ARROW_ASSIGN_OR_RAISE(auto snap, Snapshot::Make(borrowed, table_root, SnapshotSpec{}));
      metadata = snap->metadata();
    }
    if (ConfigTrue(*metadata, "delta.enableInCommitTimestamps")) {
      int64_t enabled_at = commits.front().version;  // enabled at creation: no property
      auto it = metadata->configuration.find("delta.inCommitTimestampEnablementVersion");
      if (it != metadata->configuration.end()) {
        char* end = nullptr;
        long long v = std::strtoll(it->second.c_str(), &end, 10);
        if (it->second.empty() || *end != '\0') {
          return Status::Invalid("Delta table '", table_root, "' has an invalid "
                                 "delta.inCommitTimestampEnablementVersion '", it->second, "'");
        }
        enabled_at = v;
      }
      ict_from = 0;
      while (ict_from < commits.size() && commits[ict_from].version < enabled_at) ++ict_from;
    }
  }
  auto mtime = [&](size_t i) -> Result<int64_t> { return commits[i].file.last_modified_ms; };
  if (ict_from < commits.size()) {
    auto ict = [&](size_t i) -> Result<int64_t> {
      const LogFile& c = commits[ict_from + i];
      ARROW_ASSIGN_OR_RAISE(auto batch, ReadCommit(engine, c, table_root));
      auto t = CommitTimestamp(batch.commit_info);
      if (!t) {
        return Status::Invalid("Delta table '", table_root, "' version ", c.version,
                               " has no commitInfo.inCommitTimestamp although in-commit "
                               "timestamps are enabled");
      }
      return *t;
    };
    // ICT are monotonic: find the first ICT commit after the timestamp by
    // bisection, then confirm with the running maximum over a short stretch.
    size_t n = commits.size() - ict_from;
    ARROW_ASSIGN_OR_RAISE(int64_t first, ict(0));
    if (first <= timestamp_ms) {
      size_t lo = 0, hi = n;  // ict(lo) <= ts; answer in [lo, hi)
      while (hi - lo > 64) {
        size_t mid = lo + (hi - lo) / 2;
        ARROW_ASSIGN_OR_RAISE(int64_t t, ict(mid));
        if (t <= timestamp_ms) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      ARROW_ASSIGN_OR_RAISE(auto found, LastAtOrBefore(hi - lo, timestamp_ms,
                                                       [&](size_t i) { return ict(lo + i); }));
      return commits[ict_from + lo + (found ? *found : 0)].version;
    }
    // Before the first ICT commit: the versions before enablement, by file time.
  }
  ARROW_ASSIGN_OR_RAISE(auto found, LastAtOrBefore(ict_from, timestamp_ms, mtime));
  if (!found) return too_early(commits.front().version);
  return commits[*found].version;
}

}  // namespace shoal::delta
