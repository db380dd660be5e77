#include "shoal/delta/snapshot.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <arrow/buffer.h>
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

std::string FileKey(const std::string& path, const std::optional<DeletionVectorDescriptor>& dv) {
  std::string key = DecodeActionPath(path);
  key.push_back('\0');
  if (dv) key += dv->UniqueId();
  return key;
}

Status ReadCheckpointPart(const Engine& engine, const LogSegment& seg, const LogFile& part,
                          ActionBatch* out) {
  auto named = [&](const Status& st) {
    return Status::FromArgs(st.code(), "cannot read checkpoint '", part.name(), "' (version ",
                            part.version, ") of Delta table '", seg.table_root, "': ",
                            st.message());
  };
  if (part.kind == LogFileKind::kUuidCheckpoint && part.is_json) {
    auto data = engine.storage->ReadFile(part.file.location);
    if (!data.ok()) return named(data.status());
    Status st = engine.json->ParseLines(**data, part.file.location,
                                        [&](int64_t, const JsonValue& line) {
                                          return ParseJsonAction(line, out);
                                        });
    if (!st.ok()) return named(st);
  } else {
    auto table = engine.parquet->ReadParquetFile(part.file, CheckpointColumns());
    if (!table.ok()) return named(table.status());
    Status st = ParseCheckpointTable(**table, out);
    if (!st.ok()) return named(st);
  }
  // v2 checkpoints reference sidecar files holding the file actions.
  std::vector<Sidecar> sidecars = std::move(out->sidecars);
  out->sidecars.clear();
  for (const auto& sc : sidecars) {
    std::string path = sc.path.find("://") != std::string::npos || (!sc.path.empty() && sc.path[0] == '/')
                           ? DecodeActionPath(sc.path)
                           : JoinPath(JoinPath(seg.log_root, "_sidecars"), DecodeActionPath(sc.path));
    FileMeta meta{path, sc.size_in_bytes, sc.modification_time};
    auto table = engine.parquet->ReadParquetFile(meta, {"add", "remove"});
    if (!table.ok()) {
      return Status::FromArgs(table.status().code(), "cannot read sidecar '", sc.path,
                              "' of checkpoint '", part.name(), "' of Delta table '",
                              seg.table_root, "': ", table.status().message());
    }
    ARROW_RETURN_NOT_OK(ParseCheckpointTable(**table, out));
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
  Status st = engine.json->ParseLines(**data, commit.name(), [&](int64_t line, const JsonValue& v) {
    Status s = ParseJsonAction(v, &batch);
    if (!s.ok()) return s.WithMessage("line ", line, ": ", s.message());
    return Status::OK();
  });
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
  std::unordered_set<std::string> seen;
  std::unordered_map<std::string, Transaction> txns;
  bool newest = true;
  for (auto it = seg.commits.rbegin(); it != seg.commits.rend(); ++it) {
    ARROW_ASSIGN_OR_RAISE(auto batch, ReadCommit(*engine, *it, table_root));
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
    for (const auto& r : batch.removes) seen.insert(FileKey(r.path, r.deletion_vector));
    for (auto& a : batch.adds) {
      if (seen.insert(FileKey(a.path, a.deletion_vector)).second) {
        snap->files_.push_back(std::move(a));
      }
    }
  }
  if (!seg.checkpoint_parts.empty()) {
    ActionBatch batch;
    for (const auto& part : seg.checkpoint_parts) {
      ARROW_RETURN_NOT_OK(ReadCheckpointPart(*engine, seg, part, &batch));
    }
    if (!protocol && batch.protocol) {
      protocol = std::move(batch.protocol);
      ARROW_RETURN_NOT_OK(CheckReadSupported(*protocol, table_root));
    }
    if (!metadata && batch.metadata) metadata = std::move(batch.metadata);
    for (auto& t : batch.txns) txns.emplace(t.app_id, t);
    // Checkpoint removes are tombstones of files already gone; adds are live
    // unless a newer commit removed or replaced them.
    for (auto& a : batch.adds) {
      if (!seen.count(FileKey(a.path, a.deletion_vector))) snap->files_.push_back(std::move(a));
    }
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

Result<int64_t> VersionAtTimestamp(const Engine& engine, const std::string& table_root,
                                   int64_t timestamp_ms) {
  ARROW_ASSIGN_OR_RAISE(auto commits, ListCommitFiles(engine, table_root));
  if (commits.empty()) {
    return Status::Invalid("'", table_root, "' is not a Delta table: its _delta_log has no commits");
  }
  // Commit timestamps are the commit files' modification times (kept monotonic).
  // TODO(delta): in-commit timestamps (inCommitTimestamp feature) for time travel.
  std::optional<int64_t> found;
  int64_t running = INT64_MIN;
  for (const auto& c : commits) {
    running = std::max(running, c.file.last_modified_ms);
    if (running <= timestamp_ms) found = c.version;
  }
  if (!found) {
    return Status::Invalid("Delta table '", table_root, "' has no version at or before the timestamp ",
                           timestamp_ms, " ms: its first commit (version ", commits.front().version,
                           ") is later");
  }
  return *found;
}

}  // namespace shoal::delta
