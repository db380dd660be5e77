#include "shoal/delta/fail_point.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace shoal::delta {

const char* ActiveFailPoint() {
  static const char* const active = [] {
    const char* v = std::getenv("SHOAL_DELTA_FAIL_POINT");
    return (v != nullptr && v[0] != '\0') ? v : nullptr;
  }();
  return active;
}

void HitFailPoint(const char* name) {
  const char* active = ActiveFailPoint();
  if (active == nullptr || std::strcmp(active, name) != 0) return;
  std::fprintf(stderr, "shoal: fail point '%s' hit, exiting\n", name);
  std::fflush(stderr);
  std::_Exit(kFailPointExitCode);
}

}  // namespace shoal::delta
