#include "shoal/delta/change_feed.h"

#include <algorithm>
#include <map>

#include "shoal/common/strings.h"
#include "shoal/delta/log_segment.h"

namespace shoal::delta {

namespace {

constexpr const char* kEnableKey = "delta.enableChangeDataFeed";

std::string VersionRangeText(int64_t start, int64_t end) {
  return "versions " + std::to_string(start) + " to " + std::to_string(end);
}

/// Check the change data feed setting of a metaData action in the range (as delta-rs does).
Status CheckCdfEnabled(const Metadata& md, int64_t version, int64_t start, int64_t end,
                       const std::string& table_root) {
  auto it = md.configuration.find(kEnableKey);
  if (it == md.configuration.end()) {
    if (version != start) return Status::OK();
    return Status::Invalid("change data feed is not enabled on Delta table '", table_root,
                           "' at version ", version, " (set the table property ", kEnableKey,
                           " = true)");
  }
  std::string value = ToLower(it->second);
  if ((version == start && value != "true") || value == "false") {
    return Status::Invalid("change data feed was not recorded for version ", version,
                           " of Delta table '", table_root, "' (", kEnableKey, " = '", it->second,
                           "'), so ", VersionRangeText(start, end), " cannot be read as changes");
  }
  return Status::OK();
}

}  // namespace

int64_t CommitTimestampOf(const ActionBatch& batch, int64_t file_mtime_ms) {
  if (batch.commit_info) {
    if (const JsonValue* ict = batch.commit_info->Find("inCommitTimestamp")) {
      if (auto v = ict->AsInt64()) return *v;
    }
    if (const JsonValue* ts = batch.commit_info->Find("timestamp")) {
      if (auto v = ts->AsInt64()) return *v;
    }
  }
  return file_mtime_ms;
}

Result<std::vector<ChangeFile>> ChangeFilesOfCommit(const ActionBatch& batch, int64_t version,
                                                    int64_t timestamp_ms) {
  std::vector<ChangeFile> out;
  auto base = [&](const std::string& path, int64_t size) {
    ChangeFile f;
    f.path = path;
    f.size = size;
    f.version = version;
    f.timestamp_ms = timestamp_ms;
    return f;
  };
  if (!batch.cdcs.empty()) {
    for (const auto& c : batch.cdcs) {
      if (c.path.empty()) {
        return Status::Invalid("version ", version, " has a cdc action without a path");
      }
      ChangeFile f = base(c.path, c.size);
      f.partition_values = c.partition_values;
      f.is_cdc = true;
      out.push_back(std::move(f));
    }
    return out;
  }
  // Removes that an add of the same path replaces (a new deletion vector).
  std::map<std::string, const RemoveFile*> removed;
  for (const auto& r : batch.removes) {
    if (r.data_change) removed.emplace(DecodeActionPath(r.path), &r);
  }
  std::map<std::string, bool> paired;
  for (const auto& a : batch.adds) {
    if (!a.data_change) continue;
    auto it = removed.find(DecodeActionPath(a.path));
    if (it == removed.end()) {
      ChangeFile f = base(a.path, a.size);
      f.partition_values = a.partition_values;
      f.change_type = kChangeInsert;
      f.excluded_rows = a.deletion_vector;
      out.push_back(std::move(f));
      continue;
    }
    const RemoveFile& r = *it->second;
    paired[it->first] = true;
    // Rows deleted now but not before are deletes; rows deleted before but not
    // now (a restore) are inserts. Files are immutable, so nothing else changed.
    if (a.deletion_vector) {
      ChangeFile f = base(a.path, a.size);
      f.partition_values = a.partition_values;
      f.change_type = kChangeDelete;
      f.selected_rows = a.deletion_vector;
      f.excluded_rows = r.deletion_vector;
      out.push_back(std::move(f));
    }
    if (r.deletion_vector) {
      ChangeFile f = base(a.path, a.size);
      f.partition_values = a.partition_values;
      f.change_type = kChangeInsert;
      f.selected_rows = r.deletion_vector;
      f.excluded_rows = a.deletion_vector;
      out.push_back(std::move(f));
    }
  }
  for (const auto& r : batch.removes) {
    if (!r.data_change || paired.count(DecodeActionPath(r.path))) continue;
    ChangeFile f = base(r.path, r.size.value_or(-1));
    if (r.partition_values) f.partition_values = *r.partition_values;
    f.change_type = kChangeDelete;
    f.excluded_rows = r.deletion_vector;
    out.push_back(std::move(f));
  }
  return out;
}

Result<ChangeFeedPlan> PlanChangeFeed(std::shared_ptr<Engine> engine, const std::string& table_root,
                                      const ChangeFeedRange& range) {
  const std::string where = "Delta table '" + table_root + "'";
  if (!range.start_version && !range.start_timestamp_ms) {
    return Status::Invalid("reading the changes of ", where,
                           " needs a starting version or a starting timestamp");
  }
  if (range.start_version && *range.start_version < 0) {
    return Status::Invalid("the starting version of the changes of ", where,
                           " must not be negative, got ", *range.start_version);
  }
  if (range.end_version && *range.end_version < 0) {
    return Status::Invalid("the ending version of the changes of ", where,
                           " must not be negative, got ", *range.end_version);
  }
  if (range.start_version && range.end_version && *range.end_version < *range.start_version) {
    return Status::Invalid("the starting version ", *range.start_version,
                           " of the changes of ", where, " is after the ending version ",
                           *range.end_version);
  }
  if (range.start_timestamp_ms && range.end_timestamp_ms &&
      *range.end_timestamp_ms < *range.start_timestamp_ms) {
    return Status::Invalid("the starting timestamp of the changes of ", where,
                           " is after the ending timestamp");
  }
  ARROW_ASSIGN_OR_RAISE(auto commits, ListCommitFiles(*engine, table_root));
  if (commits.empty()) {
    return Status::Invalid("'", table_root, "' is not a Delta table: its _delta_log has no commits");
  }
  const int64_t latest = commits.back().version;
  const int64_t oldest = commits.front().version;
  std::map<int64_t, const LogFile*> by_version;
  for (const auto& c : commits) by_version[c.version] = &c;

  // Commits are read once each (in version order) and kept while planning.
  std::map<int64_t, std::pair<ActionBatch, int64_t>> read;
  auto commit_at = [&](int64_t v) -> Result<const std::pair<ActionBatch, int64_t>*> {
    auto hit = read.find(v);
    if (hit != read.end()) return &hit->second;
    auto it = by_version.find(v);
    if (it == by_version.end()) {
      return Status::Invalid("version ", v, " of ", where, " is not in its log (",
                             v < oldest ? "the oldest commit kept is version " + std::to_string(oldest)
                                        : "the log has a gap",
                             ")");
    }
    ARROW_ASSIGN_OR_RAISE(auto batch, ReadCommit(*engine, *it->second, table_root));
    int64_t ts = CommitTimestampOf(batch, it->second->file.last_modified_ms);
    auto [pos, ok] = read.emplace(v, std::make_pair(std::move(batch), ts));
    return &pos->second;
  };

  if (range.start_timestamp_ms) {
    ARROW_ASSIGN_OR_RAISE(auto last, commit_at(latest));
    if (*range.start_timestamp_ms > last->second) {
      return Status::Invalid("the starting timestamp ", *range.start_timestamp_ms,
                             " ms of the changes of ", where,
                             " is after its latest commit (version ", latest, " at ", last->second,
                             " ms)");
    }
  }
  int64_t start = 0;
  if (range.start_version) {
    start = *range.start_version;
  } else {
    start = latest;
    for (const auto& c : commits) {
      ARROW_ASSIGN_OR_RAISE(auto commit, commit_at(c.version));
      if (commit->second >= *range.start_timestamp_ms) {
        start = c.version;
        break;
      }
    }
  }
  if (start > latest) {
    return Status::Invalid("the starting version ", start, " of the changes of ", where,
                           " is after its latest version ", latest);
  }
  int64_t end = std::min(range.end_version.value_or(latest), latest);
  if (end < start) {
    return Status::Invalid("the starting version ", start, " of the changes of ", where,
                           " is after the ending version ", end);
  }

  ChangeFeedPlan plan;
  plan.start_version = start;
  plan.end_version = end;
  for (int64_t v = start; v <= end; ++v) {
    ARROW_ASSIGN_OR_RAISE(auto commit, commit_at(v));
    const ActionBatch& batch = commit->first;
    const int64_t ts = commit->second;
    if ((range.start_timestamp_ms && ts < *range.start_timestamp_ms) ||
        (range.end_timestamp_ms && ts > *range.end_timestamp_ms)) {
      read.erase(v);
      continue;
    }
    if (batch.protocol) ARROW_RETURN_NOT_OK(CheckReadSupported(*batch.protocol, table_root));
    if (batch.metadata) {
      ARROW_RETURN_NOT_OK(CheckCdfEnabled(*batch.metadata, v, start, end, table_root));
    }
    auto files = ChangeFilesOfCommit(batch, v, ts);
    if (!files.ok()) {
      return files.status().WithMessage(where, ": ", files.status().message());
    }
    for (auto& f : *files) plan.files.push_back(std::move(f));
    read.erase(v);
  }
  SnapshotSpec spec;
  spec.version = end;
  ARROW_ASSIGN_OR_RAISE(plan.snapshot, Snapshot::Make(engine, table_root, spec));
  return plan;
}

}  // namespace shoal::delta
