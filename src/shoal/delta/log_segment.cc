#include "shoal/delta/log_segment.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>

#include <arrow/buffer.h>

#include "shoal/delta/json.h"

namespace shoal::delta {

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string LogFile::name() const { return BaseName(file.location); }

std::string VersionPrefix(int64_t version) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020lld", static_cast<long long>(version));
  return buf;
}

std::optional<LogFile> ParseLogFileName(const FileMeta& file) {
  std::string name = BaseName(file.location);
  std::string_view n(name);
  if (n.size() < 21 || !AllDigits(n.substr(0, 20)) || n[20] != '.') return std::nullopt;
  LogFile out;
  out.file = file;
  out.version = ToInt(n.substr(0, 20));
  std::string_view rest = n.substr(21);
  if (rest == "json") {
    out.kind = LogFileKind::kCommit;
    return out;
  }
  if (rest == "crc") {
    out.kind = LogFileKind::kChecksum;
    return out;
  }
  if (rest == "checkpoint.parquet") {
    out.kind = LogFileKind::kClassicCheckpoint;
    return out;
  }
  if (rest.size() > 20 && AllDigits(rest.substr(0, 20)) && rest.substr(20) == ".compacted.json") {
    out.kind = LogFileKind::kCompaction;
    return out;
  }
  const std::string_view cp = "checkpoint.";
  if (rest.substr(0, cp.size()) != cp) return std::nullopt;
  rest = rest.substr(cp.size());
  // <part:10>.<parts:10>.parquet
  if (rest.size() == 10 + 1 + 10 + 8 && AllDigits(rest.substr(0, 10)) && rest[10] == '.' &&
      AllDigits(rest.substr(11, 10)) && rest.substr(21) == ".parquet") {
    out.kind = LogFileKind::kMultiPartCheckpoint;
    out.part = static_cast<int32_t>(ToInt(rest.substr(0, 10)));
    out.num_parts = static_cast<int32_t>(ToInt(rest.substr(11, 10)));
    if (out.part < 1 || out.num_parts < 1 || out.part > out.num_parts) return std::nullopt;
    return out;
  }
  // <uuid>.json | <uuid>.parquet
  auto dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::string_view ext = rest.substr(dot + 1);
  if (ext != "json" && ext != "parquet") return std::nullopt;
  if (rest.substr(0, dot).find('.') != std::string_view::npos) return std::nullopt;
  out.kind = LogFileKind::kUuidCheckpoint;
  out.is_json = ext == "json";
  return out;
}

namespace {

struct CheckpointHint {
  int64_t version = 0;
  std::optional<int64_t> num_add_files;
};

/// Read _last_checkpoint; nullopt when missing or unusable (corrupt).
std::optional<CheckpointHint> ReadLastCheckpointHint(const Engine& engine,
                                                     const std::string& log_root) {
  auto data = engine.storage->ReadFile(JoinPath(log_root, "_last_checkpoint"));
  if (!data.ok()) return std::nullopt;
  std::string_view text(reinterpret_cast<const char*>((*data)->data()),
                        static_cast<size_t>((*data)->size()));
  auto doc = ParseJson(text);
  if (!doc.ok()) return std::nullopt;
  const JsonValue* v = doc->Find("version");
  if (!v) return std::nullopt;
  auto version = v->AsInt64();
  if (!version || *version < 0) return std::nullopt;
  CheckpointHint hint{*version, std::nullopt};
  if (const JsonValue* n = doc->Find("numOfAddFiles")) {
    auto adds = n->AsInt64();
    if (adds && *adds >= 0) hint.num_add_files = adds;
  }
  return hint;
}

Result<std::vector<LogFile>> ListLog(const Engine& engine, const std::string& table_root,
                                     const std::string& log_root, int64_t from_version) {
  auto listed = engine.storage->ListFrom(JoinPath(log_root, VersionPrefix(from_version)));
  if (!listed.ok()) {
    if (listed.status().message().find("does not exist") != std::string::npos) {
      return Status::Invalid("'", table_root,
                             "' is not a Delta table: it has no _delta_log directory");
    }
    return Status::FromArgs(listed.status().code(), "cannot list the log of Delta table '",
                            table_root, "': ", listed.status().message());
  }
  std::vector<LogFile> out;
  for (const auto& f : *listed) {
    if (auto parsed = ParseLogFileName(f)) out.push_back(std::move(*parsed));
  }
  return out;
}

struct CheckpointChoice {
  int64_t version = -1;
  std::vector<LogFile> parts;
};

/// Return the newest complete checkpoint with version <= max_version.
std::optional<CheckpointChoice> PickCheckpoint(const std::vector<LogFile>& files,
                                               int64_t max_version) {
  // version -> candidates
  std::map<int64_t, std::vector<const LogFile*>> by_version;
  for (const auto& f : files) {
    if (f.version > max_version) continue;
    if (f.kind == LogFileKind::kClassicCheckpoint || f.kind == LogFileKind::kMultiPartCheckpoint ||
        f.kind == LogFileKind::kUuidCheckpoint) {
      by_version[f.version].push_back(&f);
    }
  }
  for (auto it = by_version.rbegin(); it != by_version.rend(); ++it) {
    const auto& cands = it->second;
    // Prefer a single-file checkpoint (v2 UUID, then classic).
    for (LogFileKind kind : {LogFileKind::kUuidCheckpoint, LogFileKind::kClassicCheckpoint}) {
      for (const LogFile* f : cands) {
        if (f->kind == kind) return CheckpointChoice{it->first, {*f}};
      }
    }
    // Multi-part: a set with every part 1..n present (incomplete sets are ignored).
    std::map<int32_t, std::map<int32_t, const LogFile*>> by_parts;
    for (const LogFile* f : cands) {
      if (f->kind == LogFileKind::kMultiPartCheckpoint) by_parts[f->num_parts][f->part] = f;
    }
    for (const auto& [n, parts] : by_parts) {
      if (static_cast<int32_t>(parts.size()) != n) continue;
      CheckpointChoice c{it->first, {}};
      for (const auto& [p, f] : parts) c.parts.push_back(*f);
      return c;
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

/// One listing of the log; `*listing_gap` is set when a commit is missing
/// between the ones listed (possibly a listing that raced a concurrent commit).
Result<LogSegment> BuildLogSegmentOnce(const Engine& engine, const std::string& table_root,
                                       std::optional<int64_t> version, bool* listing_gap) {
  if (version && *version < 0) {
    return Status::Invalid("invalid version ", *version, " of Delta table '", table_root,
                           "': versions start at 0");
  }
  LogSegment seg;
  seg.table_root = table_root;
  seg.log_root = JoinPath(table_root, "_delta_log");

  std::optional<CheckpointHint> last = ReadLastCheckpointHint(engine, seg.log_root);
  std::optional<int64_t> hint;
  if (last) hint = last->version;
  if (hint && version && *hint > *version) hint.reset();

  std::vector<LogFile> files;
  std::optional<CheckpointChoice> checkpoint;
  int64_t target = version.value_or(INT64_MAX);
  if (hint) {
    ARROW_ASSIGN_OR_RAISE(files, ListLog(engine, table_root, seg.log_root, *hint));
    checkpoint = PickCheckpoint(files, target);
    // A stale or wrong hint (no complete checkpoint at or after it): list everything.
    if (!checkpoint || checkpoint->version < *hint) checkpoint.reset();
  }
  if (!checkpoint) {
    ARROW_ASSIGN_OR_RAISE(files, ListLog(engine, table_root, seg.log_root, 0));
    checkpoint = PickCheckpoint(files, target);
  }

  // Commits and the latest version present.
  std::vector<const LogFile*> commits;
  int64_t latest = -1;
  for (const auto& f : files) {
    if (f.kind == LogFileKind::kCommit) {
      commits.push_back(&f);
      latest = std::max(latest, f.version);
    } else if (f.kind != LogFileKind::kCompaction && f.kind != LogFileKind::kChecksum) {
      latest = std::max(latest, f.version);  // a checkpoint without its commit (cleaned up)
    }
  }
  if (latest < 0) {
    return Status::Invalid("'", table_root, "' is not a Delta table: its _delta_log has no commits");
  }
  if (version && *version > latest) {
    return Status::Invalid("cannot load version ", *version, " of Delta table '", table_root,
                           "': the latest version is ", latest);
  }
  seg.version = version.value_or(latest);

  int64_t expected = 0;
  if (checkpoint) {
    seg.checkpoint_version = checkpoint->version;
    seg.checkpoint_parts = checkpoint->parts;
    if (last && last->version == checkpoint->version) {
      seg.checkpoint_num_add_files = last->num_add_files;
    }
    expected = checkpoint->version + 1;
    for (const auto& p : checkpoint->parts) {
      seg.timestamp_ms = std::max(seg.timestamp_ms, p.file.last_modified_ms);
    }
  }
  const LogFile* previous = nullptr;
  for (const LogFile* c : commits) {
    if (c->version < expected || c->version > seg.version) continue;
    if (c->version != expected) {
      if (!previous && !checkpoint) {
        return Status::Invalid("cannot load version ", seg.version, " of Delta table '",
                               table_root, "': the log starts at '", c->name(),
                               "' and has no checkpoint before it (versions 0 to ",
                               c->version - 1, " are missing)");
      }
      *listing_gap = true;
      return Status::Invalid("the log of Delta table '", table_root, "' is missing version ",
                             expected, ": '", c->name(), "' follows '",
                             previous ? previous->name() : seg.checkpoint_parts.front().name(),
                             "'");
    }
    seg.commits.push_back(*c);
    previous = c;
    ++expected;
  }
  if (expected <= seg.version) {
    if (seg.commits.empty() && !checkpoint) {
      return Status::Invalid("cannot load version ", seg.version, " of Delta table '", table_root,
                             "': no commit or checkpoint for it is left in the log");
    }
    *listing_gap = true;
    return Status::Invalid("the log of Delta table '", table_root, "' is missing version ",
                           expected, " (needed to load version ", seg.version, ")");
  }
  if (!seg.commits.empty()) seg.timestamp_ms = seg.commits.back().file.last_modified_ms;
  return seg;
}

}  // namespace

Result<LogSegment> BuildLogSegment(const Engine& engine, const std::string& table_root,
                                   std::optional<int64_t> version) {
  // A directory listing that runs while other writers commit may miss a file
  // created during the listing yet return a later one (readdir gives no
  // guarantee for entries added meanwhile), which looks like a gap in the log.
  // A file that existed before a listing started is always returned, so list
  // again: a real gap stays, a racy one is gone.
  constexpr int kListAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    bool listing_gap = false;
    auto seg = BuildLogSegmentOnce(engine, table_root, version, &listing_gap);
    if (seg.ok() || !listing_gap || attempt == kListAttempts) return seg;
  }
}

Result<std::vector<LogFile>> ListCommitFiles(const Engine& engine, const std::string& table_root) {
  ARROW_ASSIGN_OR_RAISE(auto files,
                        ListLog(engine, table_root, JoinPath(table_root, "_delta_log"), 0));
  std::vector<LogFile> out;
  for (auto& f : files) {
    if (f.kind == LogFileKind::kCommit) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace shoal::delta
