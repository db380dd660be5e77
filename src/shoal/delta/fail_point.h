// Test-only crash points for the Delta write path. Setting the environment
// variable SHOAL_DELTA_FAIL_POINT to a point's name makes the process exit at
// once (std::_Exit(77), no cleanup, no flushing) when that point is reached, so
// tests can check that a crash at any step leaves a readable table. The variable
// is read once; when it is unset a point costs one load and a branch.
//
// Points (see delta/README.md "Write path"):
//   delta_after_data_files       data files written and closed, nothing committed
//   delta_before_commit_put      commit text built, _delta_log/<v>.json not yet put
//   delta_after_commit_put       _delta_log/<v>.json committed, no checkpoint yet
//   delta_mid_checkpoint         checkpoint row groups written to the temporary
//                                file, file not closed nor renamed
//   delta_before_last_checkpoint checkpoint renamed in place, _last_checkpoint not
//                                yet updated
#pragma once

namespace shoal::delta {

/// Exit code of a process stopped by a fail point.
inline constexpr int kFailPointExitCode = 77;

/// Return the fail point named by SHOAL_DELTA_FAIL_POINT (read once), or null.
const char* ActiveFailPoint();

/// Exit the process with kFailPointExitCode when `name` is the active fail point.
void HitFailPoint(const char* name);

}  // namespace shoal::delta

/// Crash here when SHOAL_DELTA_FAIL_POINT equals `name` (a string literal).
#define ShoalFailPoint(name)                                                     \
  do {                                                                           \
    if (::shoal::delta::ActiveFailPoint() != nullptr) ::shoal::delta::HitFailPoint(name); \
  } while (0)
