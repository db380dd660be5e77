#include "shoal/delta/snapshot_reuse.h"

#include <mutex>
#include <utility>

#include "shoal/delta/log_segment.h"

namespace shoal::delta {

namespace {

struct Remembered {
  std::mutex mu;
  std::string location;
  std::shared_ptr<const Snapshot> snapshot;
};

Remembered& Slot() {
  static Remembered* slot = new Remembered();  // never destroyed (used at exit)
  return *slot;
}

/// Return whether the log of `snap` still ends at the same file and, when
/// `latest`, has no commit after the snapshot's version.
bool StillCurrent(const Snapshot& snap, bool latest) {
  const LogSegment& seg = snap.log_segment();
  const FileMeta* last = nullptr;
  if (!seg.commits.empty()) {
    last = &seg.commits.back().file;
  } else if (!seg.checkpoint_parts.empty()) {
    last = &seg.checkpoint_parts.back().file;
  }
  if (!last || !snap.engine() || !snap.engine()->storage) return false;
  auto listed = snap.engine()->storage->ListFrom(JoinPath(seg.log_root, VersionPrefix(seg.version)));
  if (!listed.ok()) return false;
  bool found = false;
  for (const auto& f : *listed) {
    auto lf = ParseLogFileName(f);
    if (!lf) continue;
    if (f.location == last->location) {
      if (f.size != last->size || f.last_modified_ms != last->last_modified_ms) return false;
      found = true;
    } else if (latest && lf->kind == LogFileKind::kCommit && lf->version > seg.version) {
      return false;
    }
  }
  return found;
}

}  // namespace

void RememberSnapshot(const std::string& location, std::shared_ptr<const Snapshot> snapshot) {
  auto& slot = Slot();
  std::shared_ptr<const Snapshot> old;  // released outside the lock
  std::lock_guard<std::mutex> lock(slot.mu);
  old = std::move(slot.snapshot);
  slot.location = location;
  slot.snapshot = std::move(snapshot);
}

std::shared_ptr<const Snapshot> FindRememberedSnapshot(const std::string& location,
                                                       std::optional<int64_t> version) {
  std::shared_ptr<const Snapshot> snap;
  {
    auto& slot = Slot();
    std::lock_guard<std::mutex> lock(slot.mu);
    if (slot.location != location) return nullptr;
    snap = slot.snapshot;
  }
  if (!snap || (version && snap->version() != *version)) return nullptr;
  return StillCurrent(*snap, /*latest=*/!version) ? snap : nullptr;
}

void ForgetRememberedSnapshot() {
  auto& slot = Slot();
  std::shared_ptr<const Snapshot> old;
  std::lock_guard<std::mutex> lock(slot.mu);
  old = std::move(slot.snapshot);
  slot.location.clear();
}

}  // namespace shoal::delta
