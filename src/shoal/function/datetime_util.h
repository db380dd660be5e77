// Internal: civil calendar arithmetic for Shoal's date/time kernels.
#pragma once

#include <cstdint>

#include <arrow/type.h>

#include "shoal/common/status.h"

namespace shoal::function_internal {

constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
/// The date of `days` since 1970-01-01.
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);
/// Number of days in month `m` of year `y`.
unsigned DaysInMonth(int64_t y, unsigned m);
/// 1, 1000, 1000000 or 1000000000 for s, ms, us, ns.
int64_t UnitsPerSecond(arrow::TimeUnit::type unit);
/// Floor division.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
/// Add a month/day/nanosecond interval to a timestamp value counted in
/// 1/units_per_second seconds: months first (the day is clamped to the end of
/// the month, like PostgreSQL), then days, then nanoseconds. Errors on overflow.
Result<int64_t> AddIntervalToTimestamp(int64_t value, int64_t units_per_second,
                                       arrow::MonthDayNanoIntervalType::MonthDayNanos iv);

/// Add a month/day interval to a date (days since 1970-01-01): months first (the
/// day clamped to the end of the month), then days. The interval's nanoseconds
/// must be 0 (callers check: a time part makes the result a timestamp). Errors
/// when the result leaves the DATE range.
Result<int32_t> AddIntervalToDate(int32_t days,
                                  arrow::MonthDayNanoIntervalType::MonthDayNanos iv);

}  // namespace shoal::function_internal
