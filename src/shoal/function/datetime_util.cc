#include "shoal/function/datetime_util.h"

#include <algorithm>

namespace shoal::function_internal {

// Howard Hinnant's civil calendar algorithms.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

int64_t UnitsPerSecond(arrow::TimeUnit::type unit) {
  switch (unit) {
    case arrow::TimeUnit::SECOND: return 1;
    case arrow::TimeUnit::MILLI: return 1000;
    case arrow::TimeUnit::MICRO: return 1000000;
    case arrow::TimeUnit::NANO: return 1000000000;
  }
  return 1;
}

namespace {

// Shift a day number by the interval's months (clamping to the month's last day,
// so Jan 31 + 1 month = Feb 28/29) and then its days.
int64_t AddMonthsAndDays(int64_t day, arrow::MonthDayNanoIntervalType::MonthDayNanos iv) {
  if (iv.months != 0) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(day, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + iv.months;
    int64_t ny = FloorDiv(total, 12);
    unsigned nm = static_cast<unsigned>(total - ny * 12 + 1);
    unsigned nd = std::min(d, DaysInMonth(ny, nm));
    day = DaysFromCivil(ny, nm, nd);
  }
  return day + iv.days;
}

}  // namespace

Result<int64_t> AddIntervalToTimestamp(int64_t value, int64_t ups,
                                       arrow::MonthDayNanoIntervalType::MonthDayNanos iv) {
  const int64_t per_day = 86400 * ups;
  int64_t day = FloorDiv(value, per_day);
  int64_t tod = value - day * per_day;
  day = AddMonthsAndDays(day, iv);
  int64_t delta = ups >= 1000000000 ? iv.nanoseconds : iv.nanoseconds / (1000000000 / ups);
  int64_t out;
  if (__builtin_mul_overflow(day, per_day, &out) || __builtin_add_overflow(out, tod, &out) ||
      __builtin_add_overflow(out, delta, &out)) {
    return Status::Invalid("timestamp out of range after adding an interval");
  }
  return out;
}

Result<int32_t> AddIntervalToDate(int32_t days,
                                  arrow::MonthDayNanoIntervalType::MonthDayNanos iv) {
  int64_t day = AddMonthsAndDays(days, iv);
  if (day < INT32_MIN || day > INT32_MAX) {
    return Status::Invalid("date out of range after adding an interval");
  }
  return static_cast<int32_t>(day);
}

}  // namespace shoal::function_internal
