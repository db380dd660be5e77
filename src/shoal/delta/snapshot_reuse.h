// Reusing the snapshot a caller loaded a moment ago (opening a DeltaTable, then
// create_checkpoint on it) instead of replaying the log again.
//
// One snapshot is remembered per process (the most recent one offered), keyed by
// the location text it was loaded from. It is handed out again only after a
// listing of the log shows it is still what loading would give: the file that
// ends its log segment (commit or checkpoint of its version) is unchanged (same
// size and modification time, so a table deleted and created again is noticed)
// and, for "the latest version", no newer commit exists.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "shoal/delta/snapshot.h"

namespace shoal::delta {

/// Remember `snapshot`, loaded from `location` (replacing the one remembered before).
void RememberSnapshot(const std::string& location, std::shared_ptr<const Snapshot> snapshot);

/// Return the remembered snapshot of `location` when it is at `version` (nullopt:
/// the table's latest version) and its log is unchanged; null otherwise (also when
/// the check cannot list the log).
std::shared_ptr<const Snapshot> FindRememberedSnapshot(const std::string& location,
                                                       std::optional<int64_t> version);

/// Drop the remembered snapshot (frees its memory).
void ForgetRememberedSnapshot();

}  // namespace shoal::delta
